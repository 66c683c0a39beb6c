"""Concurrency tests: real clients in parallel over ZeroMQ, one or two daemons.

Every client is a thread with its own REQ socket (pyzmq releases the GIL while it
waits), and the racing requests are released together by a threading.Barrier.
With two daemons, both processes share one database file and the clients are
split between their endpoints, so the only thing that keeps the invariants is
the database itself. Each test stops its daemons (exit 0 on SIGTERM) and then
checks every invariant with harness.broken_invariants.
"""

import random
import sqlite3
import threading
import time
import unittest

from harness import Client, Daemon, broken_invariants

# Everyone is admitted at once (a large batch, no cap to speak of) and nothing
# lapses while a test runs, so every outcome is decided by the race alone.
ARGS = ["--admit-batch", "1000", "--admit-interval-ms", "200", "--max-active", "100000",
        "--token-ttl", "300", "--hold-ttl", "300"]

CLIENT_TIMEOUT_MS = 30000
RACERS = 64
CHARGES = 100
CHARGE_THREADS = 100  # one charge each, all released together
CHARGE_AMOUNT = 1000


def run_parallel(count, work):
    """Runs work(i) for i in range(count), each in its own thread, all released
    together by a barrier that work() is handed. Returns the results in order;
    an exception in a thread is returned in its slot, never lost."""
    barrier = threading.Barrier(count, timeout=60)
    results = [None] * count

    def body(index):
        try:
            results[index] = work(index, barrier)
        except BaseException as error:  # reported by the caller
            barrier.abort()
            results[index] = error

    threads = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
        if thread.is_alive():
            raise AssertionError("a client thread did not finish within 120 s")
    return results


class ConcurrencyTestCase(unittest.TestCase):

    # ----- daemons -----------------------------------------------------------------
    def start_daemons(self, count, args=ARGS):
        """Starts `count` daemons on one database file, each on its own endpoint."""
        first = Daemon(args=args, name="a")
        self.addCleanup(first.cleanup)
        first.start()
        daemons = [first]
        for index in range(1, count):
            # The second one also gets --seed-demo: on a database that already
            # holds concerts it must change nothing.
            other = Daemon(directory=first.directory, database=first.database, args=args,
                           name="abcdefgh"[index])
            self.addCleanup(other.cleanup)
            other.start()
            daemons.append(other)
        self.daemons = daemons
        self.database = first.database
        self.admin = first.client(timeout_ms=CLIENT_TIMEOUT_MS)
        self.addCleanup(self.admin.close)
        return daemons

    def stop_daemons(self, daemons=None):
        """Stops the daemons (each must exit 0 on SIGTERM), then checks the invariants."""
        self.admin.close()
        for daemon in daemons or self.daemons:
            code = daemon.stop()
            self.assertEqual(code, 0, "boxofficed exit status on SIGTERM:\n" + daemon.log_text())
        self.assertEqual(broken_invariants(self.database), {})

    def endpoint(self, index):
        return self.daemons[index % len(self.daemons)].endpoint

    # ----- helpers over one client ---------------------------------------------------
    def ok(self, client, **request):
        reply = client.call(**request)
        self.assertTrue(reply.get("ok"), "%s failed: %r" % (request.get("op"), reply))
        return reply

    def new_user(self, client, name, points=0):
        user_id = self.ok(client, op="user.create", name=name)["user_id"]
        if points:
            self.ok(client, op="point.charge", user_id=user_id, amount=points)
        return user_id

    def active_token(self, client, user_id, timeout=20):
        reply = self.ok(client, op="queue.enter", user_id=user_id)
        token = reply["token"]
        deadline = time.monotonic() + timeout
        while reply["status"] != "active":
            self.assertEqual(reply["status"], "wait", reply)
            self.assertLess(time.monotonic(), deadline, "never admitted: %r" % reply)
            time.sleep(0.05)
            reply = self.ok(client, op="queue.status", user_id=user_id, token=token)
        return token

    def db_rows(self, query, *args):
        connection = sqlite3.connect(self.database, timeout=30)
        try:
            return connection.execute(query, args).fetchall()
        finally:
            connection.close()

    def left_tickets(self, user_id, token, schedule_id, concert_id=1):
        dates = self.ok(self.admin, op="concert.dates", user_id=user_id, token=token,
                        concert_id=concert_id)["dates"]
        for date in dates:
            if date["schedule_id"] == schedule_id:
                return date["left_tickets"]
        self.fail("schedule %d is not open: %r" % (schedule_id, dates))

    def seat_status(self, user_id, token, schedule_id, number):
        seats = self.ok(self.admin, op="concert.seats", user_id=user_id, token=token,
                        schedule_id=schedule_id)
        by_number = {seat["number"]: seat["status"] for seat in seats["seats"]}
        self.assertEqual(len(by_number), 50, seats)
        self.assertEqual(sorted(seats["free"]),
                         sorted(n for n, status in by_number.items() if status == "free"))
        return by_number[number]

    # ----- the scenarios, each run against one or two daemons -------------------------
    def seat_race(self, schedule_id=1, seat_number=17):
        """RACERS users, each with an active token, ask for one seat at the same moment."""
        users = []
        for index in range(RACERS):
            user_id = self.new_user(self.admin, "racer %d" % index)
            users.append((user_id, self.active_token(self.admin, user_id)))
        observer, observer_token = users[0]
        left_before = self.left_tickets(observer, observer_token, schedule_id)
        self.assertEqual(self.seat_status(observer, observer_token, schedule_id, seat_number),
                         "free")

        def race(index, barrier):
            user_id, token = users[index]
            with Client(self.endpoint(index), timeout_ms=CLIENT_TIMEOUT_MS) as client:
                # A first round trip makes sure the socket is connected, so the
                # race request itself leaves the moment the barrier opens.
                assert client.call(op="server.ping")["ok"]
                barrier.wait()
                return client.call(op="seat.reserve", user_id=user_id, token=token,
                                   schedule_id=schedule_id, seat_number=seat_number,
                                   request_id="race-%d" % index)

        replies = run_parallel(RACERS, race)
        for reply in replies:
            self.assertIsInstance(reply, dict, "a racer failed: %r" % (reply,))
        winners = [i for i, reply in enumerate(replies) if reply.get("ok")]
        self.assertEqual(len(winners), 1, "several winners, reservations %r"
                         % [replies[i].get("reservation_id") for i in winners][:10])
        losers = [reply for reply in replies if not reply.get("ok")]
        self.assertEqual(len(losers), RACERS - 1)
        for reply in losers:
            self.assertEqual(reply.get("error"), "SEAT_TAKEN", reply)
        winner_id, winner_token = users[winners[0]]
        won = replies[winners[0]]
        self.assertEqual(won["seat_number"], seat_number, won)

        # The winner holds the seat, and the show lost exactly one ticket.
        self.assertEqual(self.seat_status(winner_id, winner_token, schedule_id, seat_number),
                         "held")
        self.assertEqual(self.left_tickets(winner_id, winner_token, schedule_id),
                         left_before - 1)
        listed = self.ok(self.admin, op="reservation.list", user_id=winner_id)["reservations"]
        self.assertEqual([(r["reservation_id"], r["status"], r["seat_number"]) for r in listed],
                         [(won["reservation_id"], "reserved", seat_number)])
        for index, (user_id, _) in enumerate(users):
            if index != winners[0]:
                listed = self.ok(self.admin, op="reservation.list",
                                 user_id=user_id)["reservations"]
                self.assertEqual(listed, [], "a loser has a reservation: %r" % listed)
        rows = self.db_rows(
            "SELECT s.status, s.reservation_id, r.user_id FROM seats s"
            " JOIN reservations r ON r.id = s.reservation_id"
            " WHERE s.schedule_id = ? AND s.number = ?", schedule_id, seat_number)
        self.assertEqual(rows, [("held", won["reservation_id"], winner_id)])
        self.assertEqual(self.db_rows(
            "SELECT COUNT(*) FROM reservations WHERE schedule_id = ?", schedule_id), [(1,)])
        self.assertEqual(self.db_rows(
            "SELECT left_tickets FROM concert_schedules WHERE id = ?", schedule_id),
            [(left_before - 1,)])

    def charge_race(self):
        """CHARGES charges of CHARGE_AMOUNT to one user from CHARGE_THREADS threads."""
        user_id = self.new_user(self.admin, "charged")
        per_thread = CHARGES // CHARGE_THREADS

        def charge(index, barrier):
            replies = []
            with Client(self.endpoint(index), timeout_ms=CLIENT_TIMEOUT_MS) as client:
                assert client.call(op="server.ping")["ok"]
                barrier.wait()
                for step in range(per_thread):
                    replies.append(client.call(op="point.charge", user_id=user_id,
                                               amount=CHARGE_AMOUNT,
                                               request_id="charge-%d-%d" % (index, step)))
            return replies

        results = run_parallel(CHARGE_THREADS, charge)
        replies = []
        for result in results:
            self.assertIsInstance(result, list, "a charging thread failed: %r" % (result,))
            replies.extend(result)
        self.assertEqual(len(replies), CHARGES)
        for reply in replies:
            self.assertTrue(reply.get("ok"), reply)
        # Each charge was applied alone: the balances they report are exactly
        # 1000, 2000, ..., 100000, each once.
        self.assertEqual(sorted(reply["point"] for reply in replies),
                         [CHARGE_AMOUNT * (i + 1) for i in range(CHARGES)])
        total = CHARGES * CHARGE_AMOUNT
        self.assertEqual(self.ok(self.admin, op="point.balance", user_id=user_id)["point"], total)
        entries = self.ok(self.admin, op="point.history", user_id=user_id,
                          limit=1000)["entries"]
        self.assertEqual(len(entries), CHARGES)
        self.assertEqual({(entry["kind"], entry["amount"]) for entry in entries},
                         {("charge", CHARGE_AMOUNT)})
        # Newest first: the running balances count down from the total.
        self.assertEqual([entry["balance_after"] for entry in entries],
                         [total - CHARGE_AMOUNT * i for i in range(CHARGES)])
        self.assertEqual(self.db_rows(
            "SELECT COUNT(*), SUM(amount) FROM point_ledger WHERE user_id = ?", user_id),
            [(CHARGES, total)])
        self.assertEqual(self.db_rows("SELECT point FROM users WHERE id = ?", user_id),
                         [(total,)])

    # ----- the tests -----------------------------------------------------------------
    def test_64_clients_race_for_one_seat(self):
        self.start_daemons(1)
        self.seat_race()
        self.stop_daemons()

    def test_100_concurrent_charges(self):
        self.start_daemons(1)
        self.charge_race()
        self.stop_daemons()

    def test_two_daemons_one_database_seat_race(self):
        self.start_daemons(2)
        self.seat_race(schedule_id=2, seat_number=33)
        self.stop_daemons()

    def test_two_daemons_one_database_charges(self):
        self.start_daemons(2)
        self.charge_race()
        # The second daemon's --seed-demo found the demo data and left it alone.
        self.assertEqual(self.db_rows("SELECT COUNT(*) FROM concerts"), [(4,)])
        self.assertEqual(self.db_rows("SELECT COUNT(*) FROM seats"), [(400,)])
        self.stop_daemons()

    def test_two_daemons_keep_waiters_who_ask_the_other(self):
        """Waiters who keep asking daemon A are never dropped by daemon B's
        expire job, though B never hears from them; one who falls silent is."""
        args = ["--max-active", "1", "--admit-batch", "100", "--admit-interval-ms", "200",
                "--token-ttl", "300", "--abandon-after", "1"]
        first, second = self.start_daemons(2, args)
        holder = self.new_user(self.admin, "holder")
        self.assertEqual(self.ok(self.admin, op="queue.enter", user_id=holder)["status"], "active")
        waiters = [self.new_user(self.admin, "waiter %d" % i) for i in range(5)]
        tokens = [self.ok(self.admin, op="queue.enter", user_id=user)["token"]
                  for user in waiters]
        silent_user, silent_token = waiters.pop(), tokens.pop()
        # Polled every 0.9 s, just under abandon-after (1 s): for 4 s, several
        # of each daemon's expire passes, everyone but the silent one stays.
        end = time.monotonic() + 4
        silent_gone = False
        while time.monotonic() < end:
            cycle = time.monotonic() + 0.9
            for position, (user, token) in enumerate(zip(waiters, tokens), start=1):
                reply = self.ok(self.admin, op="queue.status", user_id=user, token=token)
                self.assertEqual(reply["status"], "wait", "waiter %d was dropped: %r"
                                 % (position, reply))
            time.sleep(max(0.0, cycle - time.monotonic()))
        # Asked through the other daemon, which never saw the silent waiter.
        with second.client() as other:
            reply = self.ok(other, op="queue.status", user_id=silent_user, token=silent_token)
            silent_gone = reply["status"] == "expired"
            for user, token in zip(waiters, tokens):
                reply = self.ok(other, op="queue.status", user_id=user, token=token)
                self.assertEqual(reply["status"], "wait", reply)
        self.assertTrue(silent_gone, "the silent waiter was never dropped")
        self.stop_daemons()

    def test_two_daemons_mixed_reserve_and_pay(self):
        """Users reserve and pay different and overlapping seats through both daemons;
        every payment that was answered `paid` survives a restart."""
        daemons = self.start_daemons(2)
        users = 32
        start_points = 300000
        # Seats 1..12 of the two open shows of concert 1: far fewer seats than
        # attempts, so most of them are fought over.
        pool = [(schedule, number) for schedule in (1, 2) for number in range(1, 13)]
        user_ids = [self.new_user(self.admin, "buyer %d" % i, start_points)
                    for i in range(users)]

        def shop(index, barrier):
            rng = random.Random(index)
            user_id = user_ids[index]
            outcome = {"reserved": [], "paid": [], "taken": 0}
            clients = [Client(self.endpoint(index + side), timeout_ms=CLIENT_TIMEOUT_MS)
                       for side in (0, 1)]
            try:
                for client in clients:
                    assert client.call(op="server.ping")["ok"]
                barrier.wait()
                for round_number in range(2):
                    # Each round goes through the other daemon than the last.
                    client = clients[round_number]
                    token = self.active_token(client, user_id)
                    holds = []
                    want = 2 if rng.random() < 0.5 else 1
                    for schedule_id, number in rng.sample(pool, 8):
                        reply = client.call(op="seat.reserve", user_id=user_id, token=token,
                                            schedule_id=schedule_id, seat_number=number)
                        if reply.get("ok"):
                            assert reply["seat_number"] == number, reply
                            holds.append((reply["reservation_id"], schedule_id, number,
                                          reply["price"]))
                            outcome["reserved"].append(holds[-1])
                            if len(holds) == want:
                                break
                        else:
                            assert reply.get("error") == "SEAT_TAKEN", reply
                            outcome["taken"] += 1
                    if not holds:
                        continue
                    # Pay for the first hold through the other daemon; the
                    # second one (if any) is left held.
                    reservation_id, schedule_id, number, price = holds[0]
                    reply = clients[1 - round_number].call(
                        op="payment.pay", user_id=user_id, token=token,
                        reservation_id=reservation_id, request_id="pay-%d" % reservation_id)
                    assert reply.get("ok") and reply["reservation_status"] == "paid", reply
                    outcome["paid"].append((reservation_id, schedule_id, number, price,
                                            reply["point"]))
                    # Paying ends the token: the next person in line gets the slot.
                    after = client.call(op="concert.seats", user_id=user_id, token=token,
                                        schedule_id=schedule_id)
                    assert after.get("error") == "TOKEN_EXPIRED", after
            finally:
                for client in clients:
                    client.close()
            return outcome

        outcomes = run_parallel(users, shop)
        for outcome in outcomes:
            self.assertIsInstance(outcome, dict, "a buyer failed: %r" % (outcome,))

        # No seat was won twice, and every payment was for a seat that its
        # payer had won.
        won = [(schedule, number) for outcome in outcomes
               for (_, schedule, number, _) in outcome["reserved"]]
        self.assertEqual(len(won), len(set(won)), "a seat was reserved twice: %r" % won)
        paid = {}
        for index, outcome in enumerate(outcomes):
            spent = 0
            for reservation_id, schedule, number, price, balance in outcome["paid"]:
                self.assertNotIn(reservation_id, paid)
                paid[reservation_id] = (user_ids[index], schedule, number)
                spent += price
                self.assertEqual(balance, start_points - spent)
        self.assertGreater(len(paid), 0)
        self.assertGreater(sum(outcome["taken"] for outcome in outcomes), 0,
                           "no attempt ever lost a race: the test did not race")

        self.stop_daemons(daemons)

        # A fresh daemon on the same file still has every payment it confirmed.
        fresh = Daemon(directory=daemons[0].directory, database=self.database, args=ARGS,
                       name="fresh", seed=False)
        self.addCleanup(fresh.cleanup)
        fresh.start()
        with fresh.client(timeout_ms=CLIENT_TIMEOUT_MS) as client:
            for index, outcome in enumerate(outcomes):
                user_id = user_ids[index]
                listed = {r["reservation_id"]: r for r in self.ok(
                    client, op="reservation.list", user_id=user_id)["reservations"]}
                for reservation_id, schedule, number, price, _ in outcome["paid"]:
                    self.assertIn(reservation_id, listed)
                    self.assertEqual(listed[reservation_id]["status"], "paid")
                    self.assertEqual(listed[reservation_id]["seat_number"], number)
                    self.assertEqual(listed[reservation_id]["price"], price)
                    self.assertIsNone(listed[reservation_id]["hold_expires_at"])
                paid_here = sorted(r for r, seen in listed.items() if seen["status"] == "paid")
                self.assertEqual(paid_here, sorted(p[0] for p in outcome["paid"]),
                                 "user %d has payments nobody was told about" % user_id)
                spent = sum(p[3] for p in outcome["paid"])
                self.assertEqual(self.ok(client, op="point.balance", user_id=user_id)["point"],
                                 start_points - spent)
        code = fresh.stop()
        self.assertEqual(code, 0, "boxofficed exit status on SIGTERM:\n" + fresh.log_text())
        # The database agrees: the sold seats of the two shows are exactly the
        # paid replies.
        sold = self.db_rows(
            "SELECT s.reservation_id, s.schedule_id, s.number FROM seats s"
            " WHERE s.schedule_id IN (1, 2) AND s.status = 'sold'")
        self.assertEqual(sorted(sold),
                         sorted((r, s, n) for r, (_, s, n) in paid.items()))
        self.assertEqual(broken_invariants(self.database), {})


if __name__ == "__main__":
    unittest.main()
