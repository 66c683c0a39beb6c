"""The benchmark still runs: boxoffice-bench for a moment with few clients.

`make bench` is not part of `make test` (it takes minutes and its figures
depend on the machine), so without this a change to the daemon or to the
bench itself could leave the benchmark broken unnoticed. This runs every
phase briefly and checks that each produced figures and that no request
failed; it judges no timing goal (those live in `make bench`)."""
import csv
import os
import re
import subprocess
import tempfile
import time
import unittest

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
BENCH = os.environ.get("BOXOFFICE_BENCH", os.path.join(ROOT, "build/release/boxoffice-bench"))
DAEMON = os.environ.get("BOXOFFICED", os.path.join(ROOT, "build/release/boxofficed"))

# Every row the table has: (phase, what).
EXPECTED = [("baseline", "echo (bare ZeroMQ)"),
            ("baseline", "reserve txn, raw SQLite FULL"),
            ("baseline", "reserve txn, raw SQLite NORMAL")] + \
    [(phase, op) for phase, op in [("create", "user.create"), ("enter", "queue.enter"),
                                    ("status", "queue.status"), ("dates", "concert.dates"),
                                    ("seats", "concert.seats"), ("reserve", "seat.reserve"),
                                    ("charge", "point.charge"), ("pay", "payment.pay")]] + \
    [("journey", op) for op in ("user.create", "queue.enter", "concert.dates", "concert.seats",
                                "seat.reserve", "point.charge", "payment.pay")] + \
    [("read mix", op) for op in ("queue.status", "concert.dates", "concert.seats",
                                 "point.charge")] + \
    [("line", "queue.status, 10 waiting"), ("line", "queue.status, 200 waiting")]


class BenchSmokeTest(unittest.TestCase):
    def test_every_phase_runs_and_no_request_fails(self):
        with tempfile.TemporaryDirectory() as directory:
            # A directory that does not exist yet is made.
            out = os.path.join(directory, "new", "results.csv")
            run = subprocess.run([BENCH, "-c", "4", "-s", "0.6", "--line", "200", "-d", DAEMON,
                                  "-o", out], cwd=ROOT, capture_output=True, text=True,
                                 timeout=300)
            self.assertEqual(run.returncode, 0, run.stderr[-2000:])
            with open(out, newline="") as f:
                rows = list(csv.DictReader(f))
        found = [(row["phase"], row["what"]) for row in rows]
        self.assertEqual(found, EXPECTED)
        for row in rows:
            where = "%s / %s" % (row["phase"], row["what"])
            self.assertGreater(int(row["requests"]), 0, where)
            self.assertEqual(int(row["errors"]), 0, where)
            self.assertGreater(float(row["per_s"]), 0, where)
            # Ratios are against baselines pooled from slices: each judged
            # row has one, and it is the row's rate over the baseline's.
            if row["baseline"] in ("echo", "raw FULL"):
                base = {"echo": rows[0], "raw FULL": rows[1]}[row["baseline"]]
                self.assertAlmostEqual(float(row["baseline_value"]), float(base["per_s"]),
                                       delta=0.1, msg=where)
                self.assertAlmostEqual(float(row["ratio"]),
                                       float(row["per_s"]) / float(base["per_s"]), places=2,
                                       msg=where)
        self.assertIn("baselines pooled from slices", run.stdout)
        # The machine's balance: echo over raw FULL, and what a write at the
        # goal's 3× raw FULL is as a share of the echo.
        balance = re.search(r"machine balance: the echo is ([0-9.]+)× raw FULL, so a write at 3× "
                            r"raw FULL is ([0-9.]+)× echo here; the judged writes ran at "
                            r"([0-9.]+)–([0-9.]+)× echo", run.stdout)
        self.assertIsNotNone(balance, run.stdout[-1500:])
        echo, full = float(rows[0]["per_s"]), float(rows[1]["per_s"])
        self.assertAlmostEqual(float(balance.group(1)), echo / full, delta=0.051)
        self.assertAlmostEqual(float(balance.group(2)), 3 * full / echo, delta=0.0051)
        shares = [float(row["per_s"]) / echo for row in rows if row["goal"].endswith("raw FULL")]
        self.assertEqual(len(shares), 4)
        self.assertAlmostEqual(float(balance.group(3)), min(shares), delta=0.0051)
        self.assertAlmostEqual(float(balance.group(4)), max(shares), delta=0.0051)

    def test_the_daemons_stop_when_the_bench_is_killed(self):
        with tempfile.TemporaryDirectory() as directory:
            # The bench's work directory goes under $TMPDIR: here, where the
            # test can see that it is removed.
            work = os.path.join(directory, "tmp")
            os.mkdir(work)
            bench = subprocess.Popen([BENCH, "-c", "2", "-s", "2.5", "-d", DAEMON,
                                      "-o", os.path.join(directory, "results.csv")],
                                     cwd=ROOT, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, env=dict(os.environ, TMPDIR=work))
            try:
                daemons = self.wait_for(lambda: self.children(bench.pid, "boxofficed"), 30)
                self.assertTrue(daemons, "the bench started no daemon")
                made = os.listdir(work)
            finally:
                bench.kill()
                bench.wait()
            gone = self.wait_for(lambda: not any(os.path.exists("/proc/%d" % pid)
                                                 and not self.zombie(pid) for pid in daemons), 10)
            self.assertTrue(gone, "daemons %s outlived the bench" % daemons)
            self.assertEqual(len(made), 1, "the bench's work directory in $TMPDIR: %s" % made)
            removed = self.wait_for(lambda: not os.listdir(work), 10)
            self.assertTrue(removed, "the killed bench left %s" % os.listdir(work))

    @staticmethod
    def wait_for(check, seconds):
        deadline = time.time() + seconds
        while True:
            result = check()
            if result or time.time() > deadline:
                return result
            time.sleep(0.05)

    @staticmethod
    def children(pid, name):
        found = []
        for entry in os.listdir("/proc"):
            try:
                with open("/proc/%s/stat" % entry) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                with open("/proc/%s/comm" % entry) as f:
                    comm = f.read().strip()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == pid and comm == name:
                found.append(int(entry))
        return found

    @staticmethod
    def zombie(pid):
        try:
            with open("/proc/%d/stat" % pid) as f:
                return f.read().rsplit(")", 1)[1].split()[0] == "Z"
        except OSError:
            return False

    def test_a_csv_that_cannot_be_written_fails_before_the_run(self):
        with tempfile.TemporaryDirectory() as directory:
            blocker = os.path.join(directory, "file")
            open(blocker, "w").close()
            run = subprocess.run([BENCH, "-d", DAEMON, "-o", os.path.join(blocker, "x.csv")],
                                 cwd=ROOT, capture_output=True, text=True, timeout=30)
        self.assertEqual(run.returncode, 73, run.stderr)
        self.assertIn("cannot write", run.stderr)
        self.assertEqual(run.stdout, "", "nothing was measured")


if __name__ == "__main__":
    unittest.main()
