"""The scripted clients a newcomer copies: examples/ and boxoffice-call(1),
run against a real daemon so they can never rot."""

import os
import sqlite3
import subprocess
import tempfile
import unittest

from harness import ROOT, Daemon, DaemonTestCase, broken_invariants

PYTHON = "/usr/bin/python3"
CALL = os.path.join(ROOT, "build/release/boxoffice-call")


def run(command, **kwargs):
    return subprocess.run(command, capture_output=True, text=True, timeout=60, **kwargs)


class ExamplesTest(DaemonTestCase):
    # One admission per interval, so the examples really wait in line.
    DAEMON_ARGS = ["--admit-batch", "1", "--admit-interval-ms", "300"]

    def paid_count(self):
        with sqlite3.connect(self.daemon.database) as db:
            return db.execute("SELECT COUNT(*) FROM reservations WHERE status = 'paid'").fetchone()[0]

    def test_python_example_buys_a_ticket(self):
        before = self.paid_count()
        result = run([PYTHON, os.path.join(ROOT, "examples/buy_ticket.py"),
                      "--endpoint", self.daemon.endpoint, "--name", "예제 구매자"])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertRegex(result.stdout, r"reservation \d+ is paid")
        self.assertEqual(self.paid_count(), before + 1)

    def test_shell_example_buys_a_ticket(self):
        before = self.paid_count()
        result = run(["sh", os.path.join(ROOT, "examples/buy_ticket.sh"), self.daemon.endpoint],
                     env=dict(os.environ, BOXOFFICE_CALL=CALL))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertRegex(result.stdout, r"reservation \d+ is paid")
        self.assertEqual(self.paid_count(), before + 1)

    def test_shell_example_stops_unless_admitted(self):
        # A token that leaves the line other than by admission (here a
        # stand-in tool says it expired) ends the script, not the purchase.
        with tempfile.TemporaryDirectory() as directory:
            tool = os.path.join(directory, "boxoffice-call")
            with open(tool, "w") as out:
                out.write('#!/bin/sh\ncase "$*" in *queue.status*) echo expired; exit 0;; esac\n'
                          'exec %s "$@"\n' % CALL)
            os.chmod(tool, 0o755)
            before = self.paid_count()
            result = run(["sh", os.path.join(ROOT, "examples/buy_ticket.sh"), self.daemon.endpoint],
                         env=dict(os.environ, BOXOFFICE_CALL=tool))
        self.assertEqual(result.returncode, 1, result.stdout)
        self.assertIn("not admitted: token expired", result.stderr)
        self.assertNotIn("holding", result.stdout)
        self.assertEqual(self.paid_count(), before)

    def test_both_examples_at_once_buy_two_different_seats(self):
        before = self.paid_count()
        python = subprocess.Popen([PYTHON, os.path.join(ROOT, "examples/buy_ticket.py"),
                                   "--endpoint", self.daemon.endpoint],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        shell = run(["sh", os.path.join(ROOT, "examples/buy_ticket.sh"), self.daemon.endpoint],
                    env=dict(os.environ, BOXOFFICE_CALL=CALL))
        out, err = python.communicate(timeout=60)
        # Both may aim at the same first free seat; the loser must fail
        # cleanly with SEAT_TAKEN, never both win.
        outcomes = sorted([python.returncode, shell.returncode])
        self.assertIn(outcomes, ([0, 0], [0, 1]), (err, shell.stderr))
        if outcomes == [0, 1]:
            self.assertIn("SEAT_TAKEN", err + shell.stderr)
        self.assertEqual(self.paid_count(), before + outcomes.count(0))


class CallToolTest(DaemonTestCase):
    def call(self, *args, stdin=None):
        return run([CALL, "-e", self.daemon.endpoint] + list(args), input=stdin)

    def test_reply_printed_and_ok_exits_0(self):
        result = self.call('{"op":"server.ping"}')
        self.assertEqual(result.returncode, 0)
        self.assertRegex(result.stdout, r'^\{"ok":true,"version":"[0-9.]+"')

    def test_field_is_printed_raw(self):
        result = self.call("-f", "user_id", '{"op":"user.create","name":"Minji"}')
        self.assertEqual(result.returncode, 0)
        self.assertRegex(result.stdout, r"^\d+\n$")
        user = result.stdout.strip()
        token = self.call("-f", "token", '{"op":"queue.enter","user_id":%s}' % user)
        self.assertRegex(token.stdout, r"^[A-Za-z0-9_-]{40}\n$")
        expires = self.call("-f", "expires_at",
                            '{"op":"queue.status","user_id":%s,"token":"nope"}' % user)
        self.assertEqual(expires.returncode, 1)
        self.assertEqual(expires.stdout, "")
        self.assertIn("TOKEN_INVALID", expires.stderr)

    def test_lines_of_standard_input(self):
        requests = '{"op":"server.ping"}\n\n{"op":"no.such"}\n{"op":"server.ping"}\n'
        result = self.call(stdin=requests)
        self.assertEqual(result.returncode, 1)
        lines = result.stdout.splitlines()
        self.assertEqual(len(lines), 3)
        self.assertIn('"UNKNOWN_OP"', lines[1])
        self.assertIn('"ok":true', lines[2])

    def test_long_lines_are_sent_whole(self):
        # Lines of standard input of any length go out as one request each:
        # 200 KiB is TOO_LARGE (not split into several requests), and the
        # next line is still answered.
        padding = "x" * (200 * 1024)
        requests = '{"op":"server.ping","pad":"%s"}\n{"op":"server.ping"}\n' % padding
        result = self.call(stdin=requests)
        self.assertEqual(result.returncode, 1, result.stderr)
        lines = result.stdout.splitlines()
        self.assertEqual(len(lines), 2, result.stdout[:500])
        self.assertIn('"TOO_LARGE"', lines[0])
        self.assertIn('"ok":true', lines[1])
        # Just under the limit, a long line is an ordinary request.
        padding = "x" * (60 * 1024)
        result = self.call(stdin='{"op":"server.ping","pad":"%s"}' % padding)
        self.assertEqual(result.returncode, 0, result.stdout[:500])

    def test_argument_may_span_lines(self):
        result = self.call('{"op":"point.balance",\n "user_id":2}')
        self.assertEqual(result.returncode, 0, result.stdout)
        self.assertIn('"point":', result.stdout)

    def test_unreadable_standard_input_exits_74(self):
        # A directory opens but cannot be read: the read error is reported.
        directory = os.open(self.daemon.directory, os.O_RDONLY)
        try:
            result = subprocess.run([CALL, "-e", self.daemon.endpoint], stdin=directory,
                                    capture_output=True, text=True, timeout=60)
        finally:
            os.close(directory)
        self.assertEqual(result.returncode, 74, result.stderr)
        self.assertIn("cannot read standard input", result.stderr)

    def test_bad_usage_exits_64(self):
        self.assertEqual(run([CALL, "--bogus"]).returncode, 64)
        self.assertEqual(run([CALL, "-t", "0", "{}"]).returncode, 64)
        self.assertEqual(run([CALL, "{}", "{}"]).returncode, 64)

    def test_help_and_version(self):
        self.assertIn("--endpoint", run([CALL, "--help"]).stdout)
        self.assertRegex(run([CALL, "-V"]).stdout, r"^boxoffice-call \d")


class CallToolWithoutServerTest(unittest.TestCase):
    def test_silence_exits_69(self):
        daemon = Daemon()  # never started: nothing listens there
        self.addCleanup(daemon.cleanup)
        result = run([CALL, "-e", daemon.endpoint, "-t", "300", '{"op":"server.ping"}'])
        self.assertEqual(result.returncode, 69)
        self.assertIn("no reply", result.stderr)


if __name__ == "__main__":
    unittest.main()
