"""Test harness: real boxofficed daemons on temporary databases, driven over ZeroMQ.

Each Daemon runs the binary named by $BOXOFFICED (default build/release/boxofficed)
in the foreground on an ipc:// endpoint inside its own temporary directory, and
stop() checks it exits 0 on SIGTERM with no sanitizer report in its log. Clients
are plain REQ sockets, as any scripted client would use.
"""

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
import unittest

import zmq

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BOXOFFICED = os.path.abspath(
    os.path.join(ROOT, os.environ.get("BOXOFFICED", "build/release/boxofficed")))

# Sanitizer builds: report, then fail the process; leaks count as failures.
SANITIZER_ENV = {
    "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:exitcode=86",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1:exitcode=86",
}
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")

# $BOXOFFICED_WRAPPER runs every daemon under a tool (`make valgrind` sets a
# valgrind command line whose error exit code stop() then sees as non-zero).
WRAPPER = os.environ.get("BOXOFFICED_WRAPPER", "").split()
# Daemons under valgrind start and answer many times slower.
SLOWDOWN = 10 if WRAPPER else 1

# Short lifetimes so scheduler behaviour shows within seconds.
FAST = ["--admit-interval-ms", "200", "--token-ttl", "30", "--hold-ttl", "30"]

CONTEXT = zmq.Context.instance()


class Daemon:
    """One boxofficed process. `directory` may be shared to put two on one database."""

    def __init__(self, directory=None, args=(), database=None, name="d", seed=True):
        self.owns_directory = directory is None
        self.directory = directory or tempfile.mkdtemp(prefix="boxoffice-test-")
        self.database = database or os.path.join(self.directory, "boxoffice.db")
        self.endpoint = "ipc://" + os.path.join(self.directory, name + ".sock")
        self.log_path = os.path.join(self.directory, name + ".log")
        self.args = list(args)
        self.seed = seed
        self.process = None
        self.log = None

    def command(self):
        command = WRAPPER + [BOXOFFICED, "--foreground", "--database", self.database,
                   "--endpoint", self.endpoint]
        if self.seed:
            command.append("--seed-demo")
        return command + self.args

    def start(self, timeout=15):
        # Callers register cleanup() once start() returns: a start that fails
        # stops what it started and removes its directory itself.
        try:
            return self._start(timeout)
        except BaseException:
            self.cleanup()
            raise

    def _start(self, timeout):
        timeout *= SLOWDOWN
        env = dict(os.environ, **SANITIZER_ENV)
        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen(self.command(), stdout=self.log, stderr=self.log, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError("boxofficed exited with %d at start:\n%s"
                                     % (self.process.returncode, self.log_text()))
            try:
                with Client(self.endpoint, timeout_ms=300) as client:
                    if client.call(op="server.ping").get("ok"):
                        return self
            except TimeoutError:
                pass
        raise AssertionError("boxofficed did not answer within %ss:\n%s"
                             % (timeout, self.log_text()))

    def log_text(self):
        try:
            with open(self.log_path, "r", errors="replace") as log:
                return log.read()
        except OSError:
            return ""

    def stop(self, sig=signal.SIGTERM, timeout=20):
        """Stops the daemon and returns its exit code after checking its log is clean."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError("boxofficed ignored signal %s:\n%s" % (sig, self.log_text()))
        finally:
            self.process = None
            self.log.close()
        text = self.log_text()
        for mark in SANITIZER_MARKS:
            if mark in text:
                raise AssertionError("sanitizer report in the daemon's log:\n" + text)
        return code

    def kill(self):
        """SIGKILL: no clean shutdown, as in a crash."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None
            self.log.close()

    def cleanup(self):
        if self.process is not None:
            self.kill()
        if self.log is not None:
            self.log.close()  # a no-op once stop() or kill() closed it
        if self.owns_directory:
            shutil.rmtree(self.directory, ignore_errors=True)

    def client(self, timeout_ms=10000):
        return Client(self.endpoint, timeout_ms=timeout_ms)


class Client:
    """A REQ socket that speaks JSON. After a timeout the socket is replaced, as
    the Lazy Pirate pattern does, so the client stays usable."""

    def __init__(self, endpoint, timeout_ms=10000):
        self.endpoint = endpoint
        self.timeout_ms = timeout_ms
        self.socket = None
        self._open()

    def _open(self):
        if self.socket is not None:
            self.socket.close(linger=0)
        self.socket = CONTEXT.socket(zmq.REQ)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.setsockopt(zmq.RCVTIMEO, self.timeout_ms)
        self.socket.connect(self.endpoint)

    def send_frames(self, frames):
        """Sends raw frames as one message and returns the reply bytes."""
        self.socket.send_multipart(frames)
        try:
            return self.socket.recv()
        except zmq.Again:
            self._open()
            raise TimeoutError("no reply within %d ms" % self.timeout_ms)

    def call_raw(self, data):
        reply = self.send_frames([data])
        return json.loads(reply)

    def call(self, **request):
        return self.call_raw(json.dumps(request).encode())

    def close(self):
        self.socket.close(linger=0)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# Each query returns the rows that break one invariant; the checker is kept
# independent of the daemon's own code on purpose.
INVARIANTS = {
    "a held or sold seat belongs to one live reservation of that seat": """
        SELECT s.id FROM seats s LEFT JOIN reservations r ON r.id = s.reservation_id
        WHERE s.status != 'free' AND (r.id IS NULL OR r.seat_id != s.id
              OR (s.status = 'held' AND r.status != 'reserved')
              OR (s.status = 'sold' AND r.status != 'paid'))""",
    "at most one live reservation per seat": """
        SELECT seat_id FROM reservations WHERE status IN ('reserved', 'paid')
        GROUP BY seat_id HAVING COUNT(*) > 1""",
    "a free seat has no reservation": """
        SELECT id FROM seats WHERE status = 'free' AND reservation_id IS NOT NULL""",
    "left_tickets equals the free seats": """
        SELECT cs.id FROM concert_schedules cs WHERE cs.left_tickets !=
            (SELECT COUNT(*) FROM seats WHERE schedule_id = cs.id AND status = 'free')""",
    "each balance equals the sum of its ledger": """
        SELECT u.id FROM users u WHERE u.point !=
            (SELECT COALESCE(SUM(amount), 0) FROM point_ledger WHERE user_id = u.id)""",
    "no balance is negative": "SELECT id FROM users WHERE point < 0",
    "each paid reservation was paid exactly once": """
        SELECT r.id FROM reservations r WHERE r.status = 'paid' AND (SELECT COUNT(*)
            FROM point_ledger l WHERE l.reservation_id = r.id AND l.kind = 'use') != 1""",
    "at most one live token per user": """
        SELECT user_id FROM queue_tokens WHERE status IN ('wait', 'active')
        GROUP BY user_id HAVING COUNT(*) > 1""",
}


def broken_invariants(database):
    """Returns {invariant: offending rows} for every invariant that does not hold."""
    connection = sqlite3.connect(database, timeout=30)
    try:
        broken = {}
        for name, query in INVARIANTS.items():
            rows = connection.execute(query).fetchall()
            if rows:
                broken[name] = rows[:10]
        return broken
    finally:
        connection.close()


class DaemonTestCase(unittest.TestCase):
    """A test case with one daemon started per test (override DAEMON_ARGS)."""

    DAEMON_ARGS = FAST

    def setUp(self):
        self.daemon = Daemon(args=self.DAEMON_ARGS).start()
        self.addCleanup(self.daemon.cleanup)
        self.client = self.daemon.client()
        self.addCleanup(self.client.close)

    def tearDown(self):
        self.client.close()
        code = self.daemon.stop()
        self.assertEqual(code, 0, "boxofficed exit status on SIGTERM:\n" + self.daemon.log_text())
        self.assertEqual(broken_invariants(self.daemon.database), {})

    # Helpers that walk the journey; each asserts its step worked.
    def call_ok(self, **request):
        reply = self.client.call(**request)
        self.assertTrue(reply.get("ok"), "%s failed: %r" % (request.get("op"), reply))
        return reply

    def call_error(self, code, **request):
        reply = self.client.call(**request)
        self.assertFalse(reply.get("ok"), "%s should fail with %s: %r"
                         % (request.get("op"), code, reply))
        self.assertEqual(reply.get("error"), code, reply)
        self.assertIsInstance(reply.get("message"), str)
        self.assertTrue(reply["message"])
        return reply

    def new_user(self, name="tester", points=0):
        user_id = self.call_ok(op="user.create", name=name)["user_id"]
        if points:
            self.call_ok(op="point.charge", user_id=user_id, amount=points)
        return user_id

    def active_token(self, user_id, timeout=10):
        """Enters the queue and polls until the token is active."""
        reply = self.call_ok(op="queue.enter", user_id=user_id)
        token = reply["token"]
        deadline = time.monotonic() + timeout
        while reply["status"] != "active":
            self.assertLess(time.monotonic(), deadline, "never admitted: %r" % reply)
            time.sleep(0.05)
            reply = self.call_ok(op="queue.status", user_id=user_id, token=token)
        return token

    def open_schedule(self, user_id, token, concert_id=1):
        dates = self.call_ok(op="concert.dates", user_id=user_id, token=token,
                             concert_id=concert_id)["dates"]
        self.assertTrue(dates, "demo concert %d has no open show" % concert_id)
        return dates[0]["schedule_id"]
