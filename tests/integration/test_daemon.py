"""Integration tests of the boxofficed process: options, the config file,
signals, restarts on the same database, endpoint clashes and detaching.

Every daemon a test starts is stopped by the test, and also by a cleanup
registered before it starts, so a failing assertion leaves nothing running.
"""

import calendar
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
import unittest

from harness import (BOXOFFICED, SANITIZER_ENV, SANITIZER_MARKS, SLOWDOWN, WRAPPER, Client,
                     Daemon, broken_invariants)

EX_USAGE = 64
EX_CONFIG = 78
LONG_OPTIONS = ("--endpoint", "--database", "--config", "--seed-demo", "--admit-batch",
                "--admit-interval-ms", "--max-active", "--token-ttl", "--hold-ttl",
                "--abandon-after", "--stats-interval", "--foreground", "--verbose", "--help",
                "--version")
SHORT_OPTIONS = ("-e", "-d", "-c", "-f", "-v", "-h", "-V")


class CommandDaemon(Daemon):
    """A foreground daemon started with exactly `argv`, answering at `endpoint`."""

    def __init__(self, directory, argv, endpoint, name):
        super().__init__(directory=directory, name=name, seed=False)
        self.argv = list(argv)
        self.endpoint = endpoint

    def command(self):
        return [BOXOFFICED] + self.argv


def answers(endpoint, timeout_ms=500):
    """True if a server.ping at `endpoint` gets an ok reply in time."""
    try:
        with Client(endpoint, timeout_ms=timeout_ms) as client:
            return client.call(op="server.ping").get("ok") is True
    except TimeoutError:
        return False


def pids_using(marker):
    """Pids of the processes whose command line contains `marker` (read from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as cmdline:
                words = cmdline.read().split(b"\0")
            with open("/proc/%s/stat" % entry) as stat:
                state = stat.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z" and any(marker.encode() in word for word in words):
            found.append(int(entry))
    return found


def wait_gone(pid, timeout=10):
    """Waits until `pid` has exited (gone from /proc, or a zombie); True if it did."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open("/proc/%d/stat" % pid) as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except OSError:
            return True
        time.sleep(0.05)
    return False


class DaemonProcessTest(unittest.TestCase):

    def setUp(self):
        self.directory = tempfile.mkdtemp(prefix="boxoffice-daemon-test-")
        self.addCleanup(shutil.rmtree, self.directory, True)

    def path(self, name):
        return os.path.join(self.directory, name)

    def endpoint(self, name):
        return "ipc://" + self.path(name + ".sock")

    def run_cli(self, args, timeout=10, env=None):
        """Runs boxofficed to completion; a run that does not end is killed and fails."""
        process = subprocess.Popen([BOXOFFICED] + list(args), stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, env=env or dict(os.environ,
                                                                           **SANITIZER_ENV))
        try:
            out, err = process.communicate(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
            timed_out = True
        if timed_out:
            self.fail("boxofficed %r was still running after %ss (killed); stderr:\n%s"
                      % (args, timeout, err.decode(errors="replace")))
        err_text = err.decode(errors="replace")
        for mark in SANITIZER_MARKS:
            self.assertNotIn(mark, err_text)
        return process.returncode, out.decode(errors="replace"), err_text

    def start(self, daemon):
        """Starts a harness daemon, making sure it is stopped whatever happens."""
        self.addCleanup(daemon.cleanup)
        return daemon.start()

    def stop(self, daemon, sig=signal.SIGTERM):
        code = daemon.stop(sig)
        self.assertEqual(code, 0, "exit status on %s:\n%s" % (sig, daemon.log_text()))

    def write_config(self, name, text):
        path = self.path(name)
        with open(path, "w") as config:
            config.write(text)
        return path

    def token(self, client, user_id):
        reply = client.call(op="queue.enter", user_id=user_id)
        self.assertTrue(reply.get("ok"), reply)
        deadline = time.monotonic() + 10
        while reply["status"] != "active":
            self.assertLess(time.monotonic(), deadline, reply)
            time.sleep(0.05)
            reply = client.call(op="queue.status", user_id=user_id, token=reply["token"])
        return reply["token"]

    def hold_ttl_seen(self, endpoint):
        """Holds a seat at `endpoint` and returns the hold's length in seconds."""
        with Client(endpoint) as client:
            user = client.call(op="user.create", name="ttl probe")["user_id"]
            token = self.token(client, user)
            before = time.time()
            held = client.call(op="seat.reserve", user_id=user, token=token, schedule_id=1,
                               seat_number=1)
        self.assertTrue(held.get("ok"), held)
        expires = calendar.timegm(time.strptime(held["hold_expires_at"], "%Y-%m-%dT%H:%M:%SZ"))
        return expires - before

    def assert_hold_ttl(self, endpoint, seconds, why):
        # The server rounds the moment of the hold up to a whole second.
        seen = self.hold_ttl_seen(endpoint)
        self.assertGreaterEqual(seen, seconds - 0.5, why)
        self.assertLessEqual(seen, seconds + 1.5, why)

    # --- the command line ----------------------------------------------------

    def test_help_lists_every_option(self):
        for flag in ("--help", "-h"):
            code, out, err = self.run_cli([flag])
            self.assertEqual(code, 0, err)
            self.assertIn("usage", out.lower())
            for option in LONG_OPTIONS:
                self.assertIn(option, out, "%s missing from --help:\n%s" % (option, out))
            for option in SHORT_OPTIONS:
                self.assertIn(option + ",", out, "%s missing from --help:\n%s" % (option, out))

    def test_version(self):
        for flag in ("--version", "-V"):
            code, out, err = self.run_cli([flag])
            self.assertEqual(code, 0, err)
            self.assertEqual(out.strip(), "boxofficed 0.1.0")

    def test_bad_options_exit_64(self):
        base = ["--foreground", "--database", self.path("never.db"),
                "--endpoint", self.endpoint("never")]
        cases = (
            (["--no-such-option"], "no-such-option"),
            (["-x"], "'x'"),
            (["--admit-batch", "0"], "admit-batch"),
            (["--admit-batch", "-3"], "admit-batch"),
            (["--admit-batch"], "admit-batch"),
            (["--token-ttl", "abc"], "token-ttl"),
            (["--token-ttl", "10s"], "token-ttl"),
            (["--token-ttl", "99999999999999999999999"], "token-ttl"),
            (["--hold-ttl", ""], "hold-ttl"),
            (["--admit-interval-ms", "5"], "admit-interval-ms"),
            (["--max-active", "0"], "max-active"),
            (["--abandon-after", "1.5"], "abandon-after"),
            (["extra"], "extra"),
            (["--seed-demo", "extra", "more"], "extra"),
            (["--endpoint", "tcp://nonsense"], "endpoint"),
            (["--endpoint", "tcp://127.0.0.1:70000"], "endpoint"),
            (["--endpoint", "localhost:5555"], "endpoint"),
            (["--endpoint", "ipc://"], "endpoint"),
        )
        for args, named in cases:
            with self.subTest(args=args):
                code, out, err = self.run_cli(base + args)
                self.assertEqual(code, EX_USAGE, "exit status for %r; stderr:\n%s" % (args, err))
                self.assertTrue(err.strip(), "no message on stderr for %r" % (args,))
                self.assertIn(named, err)
                self.assertIn("usage:", err, "no usage line for %r" % (args,))
                self.assertEqual(out, "", "the usage error goes to stderr, not stdout")
        self.assertFalse(os.path.exists(self.path("never.db")),
                         "a refused command line must not create the database")

    # --- the config file ----------------------------------------------------

    def test_config_file_is_applied(self):
        endpoint = self.endpoint("from-file")
        database = self.path("from-file.db")
        config = self.write_config("boxoffice.conf", (
            "# boxofficed settings\n"
            "\n"
            "endpoint = %s\n"
            "database = \"%s\"   # quoted\n"
            "seed-demo = yes\n"
            "  hold-ttl=7\n"
            "admit-interval-ms = 200\n") % (endpoint, database))
        daemon = CommandDaemon(self.directory, ["-f", "-c", config], endpoint, "file")
        self.start(daemon)
        self.assertTrue(answers(endpoint))
        self.assertTrue(os.path.exists(database), "the database named in the file is used")
        self.assert_hold_ttl(endpoint, 7, "hold-ttl = 7 from the file")
        self.stop(daemon)
        self.assertEqual(broken_invariants(database), {})

    def test_command_line_wins_over_config_file(self):
        file_endpoint = self.endpoint("file")
        cli_endpoint = self.endpoint("cli")
        config = self.write_config("boxoffice.conf", (
            "endpoint = %s\n"
            "database = %s\n"
            "seed-demo = yes\n"
            "hold-ttl = 7\n") % (file_endpoint, self.path("file.db")))
        # The command line wins wherever it stands relative to -c.
        argv = ["--endpoint", cli_endpoint, "--foreground", "-c", config,
                "--hold-ttl", "3", "--database", self.path("cli.db")]
        daemon = CommandDaemon(self.directory, argv, cli_endpoint, "cli")
        self.start(daemon)
        self.assertTrue(answers(cli_endpoint))
        self.assertFalse(answers(file_endpoint, timeout_ms=300),
                         "the file's endpoint must not be bound")
        self.assertTrue(os.path.exists(self.path("cli.db")))
        self.assertFalse(os.path.exists(self.path("file.db")))
        self.assert_hold_ttl(cli_endpoint, 3, "--hold-ttl 3 beats the file")
        self.stop(daemon)

    def test_bad_config_line_exits_78(self):
        base = ["--foreground", "--database", self.path("never.db"),
                "--endpoint", self.endpoint("never")]
        cases = (
            ("# fine\nhold-ttl = 5\nthis line has no equals sign\n", 3),
            ("colour = blue\n", 1),
            ("\n\nadmit-batch = 0\n", 3),
            ("token-ttl = soon\n", 1),
            ("seed-demo = maybe\n", 1),
            ("# a file may not name another\nconfig = /etc/other.conf\n", 2),
            ("endpoint =\n", 1),
        )
        for number, (text, line) in enumerate(cases):
            with self.subTest(text=text):
                config = self.write_config("bad%d.conf" % number, text)
                code, out, err = self.run_cli(base + ["-c", config])
                self.assertEqual(code, EX_CONFIG, "exit status; stderr:\n%s" % err)
                self.assertIn("%s:%d" % (config, line), err,
                              "the message names the file and the line")
        self.assertFalse(os.path.exists(self.path("never.db")))

    def test_missing_config_file_exits_78(self):
        missing = self.path("no-such.conf")
        code, out, err = self.run_cli(["--foreground", "-c", missing, "--database",
                                       self.path("never.db"), "--endpoint",
                                       self.endpoint("never")])
        self.assertEqual(code, EX_CONFIG, err)
        self.assertIn(missing, err)
        self.assertFalse(os.path.exists(self.path("never.db")))

    # --- signals and the database -----------------------------------------------

    def check_restart_keeps_data(self, sig):
        database = self.path("kept-%d.db" % sig)
        first = Daemon(directory=self.directory, database=database, name="first-%d" % sig,
                       args=["--admit-interval-ms", "200"])
        self.start(first)
        with first.client() as client:
            user = client.call(op="user.create", name="kept")["user_id"]
            self.assertEqual(client.call(op="point.charge", user_id=user,
                                         amount=4321)["point"], 4321)
            token = self.token(client, user)
            held = client.call(op="seat.reserve", user_id=user, token=token, schedule_id=1,
                               seat_number=20)
            self.assertTrue(held.get("ok"), held)
        self.stop(first, sig)
        connection = sqlite3.connect(database)
        try:
            self.assertEqual(connection.execute("PRAGMA integrity_check").fetchone()[0], "ok")
        finally:
            connection.close()
        self.assertEqual(broken_invariants(database), {})

        second = Daemon(directory=self.directory, database=database, name="second-%d" % sig,
                        seed=False)
        self.start(second)
        with second.client() as client:
            self.assertEqual(client.call(op="point.balance", user_id=user),
                             {"ok": True, "point": 4321})
            history = client.call(op="point.history", user_id=user)["entries"]
            self.assertEqual([(e["kind"], e["amount"]) for e in history], [("charge", 4321)])
            listed = client.call(op="reservation.list", user_id=user)["reservations"]
            self.assertEqual([r["reservation_id"] for r in listed], [held["reservation_id"]])
        self.stop(second)

    def test_sigterm_exits_0_and_keeps_the_database(self):
        self.check_restart_keeps_data(signal.SIGTERM)

    def test_sigint_exits_0_and_keeps_the_database(self):
        self.check_restart_keeps_data(signal.SIGINT)

    @unittest.skipIf(WRAPPER, "under a tool the signal lands before the daemon starts")
    def test_sigterm_while_starting_exits_0(self):
        """Another process holds the write lock, so start-up waits on it; a
        SIGTERM then still ends the daemon with 0, once the wait is over."""
        database = self.path("locked.db")
        first = Daemon(directory=self.directory, database=database, name="lock-first")
        self.start(first)
        self.stop(first)
        holder = sqlite3.connect(database, isolation_level=None)
        self.addCleanup(holder.close)
        holder.execute("BEGIN IMMEDIATE")
        try:
            second = Daemon(directory=self.directory, database=database, name="lock-second")
            log = open(second.log_path, "ab")
            self.addCleanup(log.close)
            process = subprocess.Popen(second.command(), stdout=log, stderr=log,
                                       env=dict(os.environ, **SANITIZER_ENV))
            time.sleep(0.5)
            process.send_signal(signal.SIGTERM)
            try:
                code = process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                raise
        finally:
            holder.execute("COMMIT")
        self.assertEqual(code, 0, second.log_text())

    def test_seed_demo_twice_changes_nothing(self):
        database = self.path("seeded.db")
        tables = ("concerts", "concert_schedules", "seats", "users", "reservations",
                  "point_ledger")

        def counts():
            connection = sqlite3.connect(database)
            try:
                return {table: connection.execute("SELECT COUNT(*) FROM " + table).fetchone()[0]
                        for table in tables}
            finally:
                connection.close()

        first = Daemon(directory=self.directory, database=database, name="seed1")
        self.start(first)
        self.stop(first)
        seeded = counts()
        self.assertEqual(seeded["concerts"], 4)
        self.assertEqual(seeded["seats"], 50 * seeded["concert_schedules"])
        second = Daemon(directory=self.directory, database=database, name="seed2")
        self.start(second)
        self.stop(second)
        self.assertEqual(counts(), seeded)
        self.assertEqual(broken_invariants(database), {})

    # --- endpoints ---------------------------------------------------------------

    def test_two_daemons_cannot_bind_one_endpoint(self):
        first = Daemon(directory=self.directory, database=self.path("one.db"), name="shared")
        self.start(first)
        endpoint = first.endpoint
        code, out, err = self.run_cli(["--foreground", "--database", self.path("two.db"),
                                       "--endpoint", endpoint], timeout=5)
        self.assertNotEqual(code, 0)
        self.assertIn(endpoint, err, "the message names the endpoint it could not bind")
        # The first daemon still owns its endpoint.
        self.assertTrue(answers(endpoint, timeout_ms=2000))
        self.stop(first)

    # --- detaching ---------------------------------------------------------------

    def kill_by_marker(self, marker):
        for pid in pids_using(marker):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def test_detached_daemon(self):
        database = self.path("detached-%d.db" % os.getpid())
        endpoint = self.endpoint("detached")
        # Sanitizer reports of the detached daemon would go to /dev/null: send
        # them to files in the test directory instead.
        report = self.path("sanitizer")
        env = dict(os.environ,
                   ASAN_OPTIONS=SANITIZER_ENV["ASAN_OPTIONS"] + ":log_path=" + report,
                   UBSAN_OPTIONS=SANITIZER_ENV["UBSAN_OPTIONS"] + ":log_path=" + report)
        self.addCleanup(self.kill_by_marker, database)
        started = time.monotonic()
        code, out, err = self.run_cli(["--database", database, "--endpoint", endpoint,
                                       "--seed-demo"], timeout=10, env=env)
        self.assertEqual(code, 0, err)
        self.assertLess(time.monotonic() - started, 5, "the launcher returns once ready")
        self.assertTrue(answers(endpoint, timeout_ms=3000), "the detached daemon answers")
        pids = pids_using(database)
        self.assertEqual(len(pids), 1, "exactly one daemon process: %r" % pids)
        pid = pids[0]
        with open("/proc/%d/stat" % pid) as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        self.assertEqual(int(fields[3]), pid, "the daemon leads its own session")
        with Client(endpoint) as client:
            user = client.call(op="user.create", name="detached")["user_id"]
            self.assertEqual(client.call(op="point.balance", user_id=user)["point"], 0)
        os.kill(pid, signal.SIGTERM)
        self.assertTrue(wait_gone(pid), "the detached daemon ignored SIGTERM")
        self.assertFalse(answers(endpoint, timeout_ms=300))
        leftovers = [name for name in os.listdir(self.directory) if name.startswith("sanitizer")]
        self.assertEqual(leftovers, [], "sanitizer reports from the detached daemon")
        self.assertEqual(broken_invariants(database), {})

    def test_detached_start_with_unbindable_endpoint(self):
        database = self.path("unbindable-%d.db" % os.getpid())
        endpoint = "ipc://" + self.path("no-such-directory/boxoffice.sock")
        self.addCleanup(self.kill_by_marker, database)
        code, out, err = self.run_cli(["--database", database, "--endpoint", endpoint],
                                      timeout=10)
        self.assertNotEqual(code, 0)
        self.assertIn(endpoint, err, "the reason reaches the terminal")
        # The failed child may take a moment to finish exiting after its report.
        deadline = time.monotonic() + 5
        while pids_using(database) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(pids_using(database), [], "no daemon is left running")


STATS_LINE = re.compile(
    r"info: stats: (\d+) requests in ([\d.]+) s \((\d+)/s\), (\d+) batches \(([\d.]+) a batch\);"
    r" per request: receive ([\d.]+) us, run ([\d.]+) us, commit ([\d.]+) us,"
    r" send ([\d.]+) us, log ([\d.]+) KiB; store busy (\d+)% \(jobs (\d+)%\),"
    r" socket busy (\d+)%$")


class StatsTest(unittest.TestCase):
    """--stats-interval: one line of the request loop's figures an interval."""

    def start(self, args):
        daemon = Daemon(args=args).start()
        self.addCleanup(daemon.cleanup)
        return daemon

    def test_every_request_is_counted_once(self):
        daemon = self.start(["--stats-interval", "1"])
        sent = 120
        with daemon.client() as client:
            user = client.call(op="user.create", name="stats", request_id="s-1")
            self.assertTrue(user.get("ok"), user)
            for _ in range(sent - 1):
                self.assertTrue(client.call(op="server.ping").get("ok"))
        # Once an interval after the last request is logged quiet, every
        # request sent is in a line.
        def stats_lines():
            return [line for line in daemon.log_text().splitlines() if "stats: " in line]
        logged_before = len(stats_lines())
        deadline = time.monotonic() + 15 * SLOWDOWN
        while time.monotonic() < deadline:
            lines = stats_lines()
            if len(lines) > logged_before and "stats: no requests in" in lines[-1]:
                break
            time.sleep(0.2)
        self.assertEqual(daemon.stop(), 0, daemon.log_text())
        lines = [line for line in daemon.log_text().splitlines() if "stats: " in line]
        busy = [STATS_LINE.search(line) for line in lines if "no requests" not in line]
        self.assertTrue(busy, "no stats line with requests:\n" + "\n".join(lines))
        self.assertNotIn(None, busy, "a line in another format:\n" + "\n".join(lines))
        self.assertTrue(any("stats: no requests in" in line for line in lines))
        total = sum(int(match.group(1)) for match in busy)
        # The harness's own readiness pings (one a try) come on top.
        self.assertGreaterEqual(total, sent + 1)
        self.assertLessEqual(total, sent + 1 + 20)
        for match in busy:
            requests, batches = int(match.group(1)), int(match.group(4))
            self.assertLessEqual(batches, requests)
            self.assertAlmostEqual(float(match.group(5)), requests / batches, delta=0.051)
            self.assertGreaterEqual(float(match.group(7)), 0)

    def test_the_log_figure_counts_what_writes_put_in_the_log(self):
        """Reads write nothing to the write-ahead log; a write, at least a page."""
        daemon = self.start(["--stats-interval", "1"])

        def lines():
            return [line for line in daemon.log_text().splitlines() if "stats: " in line]

        def until_quiet(since):
            """The lines from `since` up to the first quiet one after some busy one."""
            deadline = time.monotonic() + 15 * SLOWDOWN
            while time.monotonic() < deadline:
                busy = []
                for i, line in enumerate(lines()[since:]):
                    if "no requests" not in line:
                        busy.append(line)
                    elif busy:
                        matches = [STATS_LINE.search(line) for line in busy]
                        self.assertNotIn(None, matches, "\n".join(busy))
                        return since + i + 1, matches
                time.sleep(0.2)
            self.fail("no quiet interval after the requests:\n" + daemon.log_text())

        # Past the harness's readiness pings, which may share a line.
        mark, _ = until_quiet(0)
        with daemon.client() as client:
            for _ in range(50):
                self.assertTrue(client.call(op="server.ping").get("ok"))
        mark, reads = until_quiet(mark)
        self.assertEqual([float(match.group(10)) for match in reads], [0.0] * len(reads))
        with daemon.client() as client:
            for i in range(20):
                reply = client.call(op="user.create", name=f"log {i}", request_id=f"log-{i}")
                self.assertTrue(reply.get("ok"), reply)
        mark, writes = until_quiet(mark)
        self.assertEqual(sum(int(match.group(1)) for match in writes), 20)
        for match in writes:
            # Each write is a batch of its own, and a commit writes at
            # least one page (4 KiB and the frame's header).
            self.assertGreaterEqual(float(match.group(10)), 4.0, match.group(0))
        self.assertEqual(daemon.stop(), 0, daemon.log_text())

    def test_off_by_default(self):
        daemon = self.start([])
        with daemon.client() as client:
            for _ in range(10):
                self.assertTrue(client.call(op="server.ping").get("ok"))
        time.sleep(1.5)
        self.assertEqual(daemon.stop(), 0)
        self.assertNotIn("stats: ", daemon.log_text())

    def test_out_of_range_is_refused(self):
        for value in ("-1", "86401", "soon"):
            process = subprocess.run([BOXOFFICED, "--stats-interval", value], capture_output=True,
                                     text=True, timeout=10, env=dict(os.environ, **SANITIZER_ENV))
            self.assertEqual(process.returncode, 64, value)
            self.assertIn("stats-interval", process.stderr, value)


if __name__ == "__main__":
    unittest.main()
