"""Scheduler tests: admission, max-active, token expiry, abandoned waiters, hold
release and exact positions in a long line, with lifetimes of a second or so.

The schedulers run on the wall clock, so the tests never sleep a fixed time and
then hope: they poll with deadlines, and every timing assertion is derived from
what the client knows for certain. A request sent at wall time s and answered at
r was evaluated by the server at some time in [s, r] (both read CLOCK_REALTIME),
so "admitted between the last `wait` and the first `active`", "the hold had not
lapsed when a reply arrived before hold_expires_at" and so on are exact bounds,
with generous deadlines only on how long things may take.
"""

import calendar
import json
import math
import sqlite3
import time
import unittest

import zmq

from harness import CONTEXT, DaemonTestCase

DEADLINE_S = 10  # generous upper bound for anything a scheduler should do "soon"


def epoch(text):
    """Seconds since the epoch of an RFC 3339 UTC time such as 2026-11-24T21:05:00Z."""
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))


class Pipeline:
    """A DEALER socket (with the empty delimiter the protocol expects) that keeps
    many requests in flight, so thousands of calls take a fraction of a second.
    Replies come back in order; each carries its request_id, which is checked."""

    def __init__(self, endpoint, window=400, timeout_ms=30000):
        self.window = window
        self.socket = CONTEXT.socket(zmq.DEALER)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.setsockopt(zmq.RCVTIMEO, timeout_ms)
        self.socket.connect(endpoint)
        self.serial = 0

    def calls(self, requests):
        requests = [dict(request) for request in requests]
        for request in requests:
            self.serial += 1
            request["request_id"] = "pipe-%d" % self.serial
        replies, sent = [], 0
        while len(replies) < len(requests):
            while sent < len(requests) and sent - len(replies) < self.window:
                self.socket.send_multipart([b"", json.dumps(requests[sent]).encode()])
                sent += 1
            try:
                frames = self.socket.recv_multipart()
            except zmq.Again:
                raise TimeoutError("pipelined reply %d of %d did not come"
                                   % (len(replies) + 1, len(requests)))
            if len(frames) != 2 or frames[0] != b"":
                raise AssertionError("malformed reply frames: %r" % frames)
            reply = json.loads(frames[1])
            expected = requests[len(replies)]["request_id"]
            if reply.get("request_id") != expected:
                raise AssertionError("reply out of order: wanted %s, got %r" % (expected, reply))
            replies.append(reply)
        return replies

    def close(self):
        self.socket.close(linger=0)


class SchedulerTestCase(DaemonTestCase):
    """DaemonTestCase (one daemon per test, stopped and checked in tearDown) plus
    timed calls and database peeks."""

    def timed(self, **request):
        """Returns (sent, reply, received) in wall-clock seconds."""
        sent = time.time()
        reply = self.client.call(**request)
        received = time.time()
        self.assertTrue(reply.get("ok"), "%s failed: %r" % (request.get("op"), reply))
        return sent, reply, received

    def status(self, user_id, token):
        return self.timed(op="queue.status", user_id=user_id, token=token)

    def enter(self, user_id):
        return self.timed(op="queue.enter", user_id=user_id)

    def db(self, query, *args):
        connection = sqlite3.connect(self.daemon.database, timeout=30)
        try:
            return connection.execute(query, args).fetchall()
        finally:
            connection.close()

    def assert_waiting(self, reply, position, waiting=None):
        self.assertEqual(reply["status"], "wait", reply)
        self.assertEqual(reply["position"], position, reply)
        if waiting is not None:
            self.assertEqual(reply["waiting"], waiting, reply)
        self.assertIsNone(reply["expires_at"], reply)
        self.assertIsInstance(reply["eta_s"], int, reply)
        self.assertGreaterEqual(reply["eta_s"], 1, reply)


class AdmissionOrderTest(SchedulerTestCase):
    BATCH = 2
    INTERVAL_MS = 1000
    TTL_S = 60  # long: here no token may expire while the line moves
    DAEMON_ARGS = ["--admit-batch", str(BATCH), "--admit-interval-ms", str(INTERVAL_MS),
                   "--token-ttl", str(TTL_S), "--hold-ttl", "30"]

    def test_admission_in_entry_order_at_most_a_batch_per_window(self):
        count = 6
        users = [self.new_user("line %d" % i) for i in range(count)]
        tokens = [None] * count
        # Bounds on each user's admission time, in wall-clock milliseconds.
        lower = [None] * count
        upper = [None] * count
        expires = [None] * count
        # How many of the line (always a prefix) are known to be admitted by now.
        state = {"admitted": 0}

        def observe(index, sent, reply, received, entered):
            if reply["status"] == "active":
                self.assertEqual(reply["position"], 0, reply)
                self.assertIsNotNone(reply["expires_at"], reply)
                if upper[index] is None:
                    upper[index] = math.ceil(received * 1000)
                    expires[index] = epoch(reply["expires_at"])
                self.assertEqual(epoch(reply["expires_at"]), expires[index],
                                 "expires_at changed while active: %r" % reply)
                state["admitted"] = max(state["admitted"], index + 1)
                self.assertGreaterEqual(reply["waiting"], 0, reply)
                self.assertLessEqual(reply["waiting"], entered - state["admitted"], reply)
                return
            self.assertEqual(reply["status"], "wait", reply)
            self.assertIsNone(upper[index], "user %d went from active back to %r"
                              % (index, reply))
            position = reply["position"]
            self.assertGreaterEqual(position, 1, reply)
            self.assertLessEqual(position, index + 1, reply)
            # Admission takes the oldest first, so the position says exactly
            # how many of those ahead have been admitted; that number never
            # goes down, and it includes anyone already seen active.
            ahead_admitted = index - (position - 1)
            self.assertGreaterEqual(
                ahead_admitted, state["admitted"],
                "user %d is at position %d although %d of the line were already admitted: "
                "admission is not in entry order" % (index, position, state["admitted"]))
            state["admitted"] = ahead_admitted
            self.assert_waiting(reply, position, waiting=entered - ahead_admitted)
            lower[index] = math.floor(sent * 1000)

        for index, user_id in enumerate(users):
            sent, reply, received = self.enter(user_id)
            tokens[index] = reply["token"]
            lower[index] = math.floor(sent * 1000)
            observe(index, sent, reply, received, entered=index + 1)
        # An unused interval's budget admits at once.
        self.assertIsNotNone(upper[0], "the first user was not admitted at once")
        self.assertIsNotNone(upper[1], "the second user was not admitted at once")

        # Poll from the back of the line to the front: if someone is seen
        # active, everyone ahead of them, polled afterwards, must be too.
        deadline = time.monotonic() + 15
        while any(bound is None for bound in upper):
            self.assertLess(time.monotonic(), deadline,
                            "not everyone was admitted within 15 s: %r" % upper)
            time.sleep(0.1)
            for index in reversed(range(count)):
                sent, reply, received = self.status(users[index], tokens[index])
                observe(index, sent, reply, received, entered=count)
        for index in range(count):
            sent, reply, received = self.status(users[index], tokens[index])
            observe(index, sent, reply, received, entered=count)
        self.assertEqual(self.call_ok(op="server.ping")["waiting"], 0)

        # expires_at = (admission time rounded up to a second) + token-ttl, so
        # it narrows each admission to a second; intersect that with what the
        # polls saw, then count the admissions that surely fell into one
        # admission window (windows are multiples of the interval on the wall
        # clock).
        per_window = {}
        for index in range(count):
            ceiling_ms = (expires[index] - self.TTL_S) * 1000
            low = max(lower[index], ceiling_ms - 999)
            high = min(upper[index], ceiling_ms)
            self.assertLessEqual(
                low, high, "user %d: expires_at %d does not fit an admission between %d and "
                "%d ms" % (index, expires[index], lower[index], upper[index]))
            if low // self.INTERVAL_MS == high // self.INTERVAL_MS:
                window = low // self.INTERVAL_MS
                per_window.setdefault(window, []).append(index)
        for window, admitted in per_window.items():
            self.assertLessEqual(len(admitted), self.BATCH,
                                 "users %r were all admitted in window %d" % (admitted, window))
        # With two per window, six people need at least three windows.
        self.assertGreaterEqual(max(upper) - min(lower), self.INTERVAL_MS,
                                "six people admitted faster than the rate allows")


class MaxActiveTest(SchedulerTestCase):
    DAEMON_ARGS = ["--max-active", "2", "--admit-batch", "100", "--admit-interval-ms", "200",
                   "--token-ttl", "60", "--hold-ttl", "60"]

    def hold_steady(self, seconds, waiters, active):
        """Polls for `seconds` (many admission intervals): nobody moves."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            for position, (user_id, token) in enumerate(waiters, start=1):
                self.assert_waiting(self.status(user_id, token)[1], position,
                                    waiting=len(waiters))
            for user_id, token in active:
                self.assertEqual(self.status(user_id, token)[1]["status"], "active")
            ping = self.call_ok(op="server.ping")
            self.assertEqual((ping["active"], ping["waiting"]), (len(active), len(waiters)),
                             ping)
            time.sleep(0.1)

    def test_max_active_caps_active_tokens_until_one_pays(self):
        buyer = self.new_user("buyer", points=500000)
        second, third, fourth = (self.new_user("user %d" % i) for i in range(3))
        buyer_token = self.call_ok(op="queue.enter", user_id=buyer)
        second_token = self.call_ok(op="queue.enter", user_id=second)
        self.assertEqual(buyer_token["status"], "active", buyer_token)
        self.assertEqual(second_token["status"], "active", second_token)
        buyer_token, second_token = buyer_token["token"], second_token["token"]
        reply = self.call_ok(op="queue.enter", user_id=third)
        self.assert_waiting(reply, 1, waiting=1)
        third_token = reply["token"]
        reply = self.call_ok(op="queue.enter", user_id=fourth)
        self.assert_waiting(reply, 2, waiting=2)
        fourth_token = reply["token"]

        # Many intervals with a batch of 100, yet only two are active.
        self.hold_steady(1.5, [(third, third_token), (fourth, fourth_token)],
                         [(buyer, buyer_token), (second, second_token)])

        # Paying ends the buyer's token; the next in line takes the slot.
        schedule_id = self.open_schedule(buyer, buyer_token)
        hold = self.call_ok(op="seat.reserve", user_id=buyer, token=buyer_token,
                            schedule_id=schedule_id, seat_number=21)
        paid = self.call_ok(op="payment.pay", user_id=buyer, token=buyer_token,
                            reservation_id=hold["reservation_id"])
        self.assertEqual(paid["reservation_status"], "paid")
        self.assertEqual(self.status(buyer, buyer_token)[1]["status"], "expired")
        deadline = time.monotonic() + DEADLINE_S
        while True:
            # The fourth is asked first: if the third still waits after, it
            # waited when the fourth was asked too, so the fourth was second.
            fourth_reply = self.status(fourth, fourth_token)[1]
            reply = self.status(third, third_token)[1]
            if reply["status"] == "active":
                break
            self.assert_waiting(reply, 1)
            self.assert_waiting(fourth_reply, 2)
            self.assertLess(time.monotonic(), deadline, "the freed slot was never given out")
            time.sleep(0.1)
        # The payment recorded the end in the buyer's row; the pass that gave
        # the slot out first marked the token's own row, leaving nothing queued.
        self.assertEqual(self.db("SELECT status FROM queue_tokens WHERE token = ?", buyer_token),
                         [("expired",)])
        self.assertEqual(self.db("SELECT COUNT(*) FROM token_ends"), [(0,)])
        # Only one slot was freed: the fourth user still waits, now first.
        self.hold_steady(1.2, [(fourth, fourth_token)],
                         [(second, second_token), (third, third_token)])
        self.call_ok(op="concert.list", user_id=third, token=third_token)
        self.call_error("TOKEN_WAITING", op="concert.list", user_id=fourth, token=fourth_token)


class MaxActiveExpiryTest(SchedulerTestCase):
    DAEMON_ARGS = ["--max-active", "1", "--admit-batch", "100", "--admit-interval-ms", "200",
                   "--token-ttl", "1"]

    def test_an_expired_token_frees_its_slot(self):
        first, second = self.new_user("first"), self.new_user("second")
        sent, reply, received = self.enter(first)
        self.assertEqual(reply["status"], "active", reply)
        first_token, first_expires = reply["token"], epoch(reply["expires_at"])
        # expires_at = admission rounded up to a second, plus one second.
        self.assertGreaterEqual(first_expires, sent + 1 - 0.001)
        self.assertLessEqual(first_expires, received + 2)
        _, reply, received = self.enter(second)
        second_token = reply["token"]
        admitted_seen = None
        if reply["status"] == "active":
            admitted_seen = received
        else:
            self.assert_waiting(reply, 1, waiting=1)

        deadline = first_expires + DEADLINE_S
        while admitted_seen is None:
            self.assertLess(time.time(), deadline, "the second user was never admitted")
            sent, reply, received = self.status(first, first_token)
            if received < first_expires:
                self.assertEqual(reply["status"], "active", reply)
            if sent >= first_expires:
                self.assertEqual(reply["status"], "expired", reply)
            sent, reply, received = self.status(second, second_token)
            if reply["status"] == "active":
                admitted_seen = received
            else:
                self.assert_waiting(reply, 1, waiting=1)
                time.sleep(0.1)
        # With --max-active 1 the second can only have been admitted once the
        # first token's time was up.
        self.assertGreaterEqual(admitted_seen, first_expires,
                                "admitted while the only active slot was still taken")
        self.assertEqual(self.status(first, first_token)[1]["status"], "expired")


class TokenExpiryTest(SchedulerTestCase):
    DAEMON_ARGS = ["--token-ttl", "1", "--admit-interval-ms", "200", "--hold-ttl", "30"]

    def test_active_token_expires(self):
        user_id = self.new_user("brief", points=500000)
        sent, reply, received = self.enter(user_id)
        self.assertEqual(reply["status"], "active", reply)
        token, expires = reply["token"], epoch(reply["expires_at"])
        self.assertGreaterEqual(expires, sent + 1 - 0.001)
        self.assertLessEqual(expires, received + 2)

        # Active until expires_at, expired from then on; within ~2 s of entry.
        deadline = expires + DEADLINE_S
        while True:
            self.assertLess(time.time(), deadline, "the token never expired")
            sent, reply, received = self.status(user_id, token)
            if received < expires:
                self.assertEqual(reply["status"], "active", reply)
                self.assertEqual(epoch(reply["expires_at"]), expires, reply)
            if sent >= expires:
                self.assertEqual(reply["status"], "expired", reply)
                break
            time.sleep(0.1)
        self.assertEqual(reply["position"], 0, reply)

        # Every gated op refuses the token now.
        gated = [
            dict(op="concert.list"),
            dict(op="concert.dates", concert_id=1),
            dict(op="concert.seats", schedule_id=1),
            dict(op="seat.reserve", schedule_id=1, seat_number=5),
            dict(op="payment.pay", reservation_id=1),
        ]
        for request in gated:
            self.call_error("TOKEN_EXPIRED", user_id=user_id, token=token, **request)
        self.assertEqual(self.db("SELECT COUNT(*) FROM reservations WHERE user_id = ?",
                                 user_id), [(0,)])

        # The expire scheduler marks the row itself (a soft delete).
        deadline = time.monotonic() + DEADLINE_S
        while self.db("SELECT status FROM queue_tokens WHERE token = ?", token) != [("expired",)]:
            self.assertLess(time.monotonic(), deadline,
                            "the expire job never marked the token expired")
            time.sleep(0.1)

        # Entering again gives a new token, admitted at once (the budget is free).
        sent, reply, received = self.enter(user_id)
        self.assertNotEqual(reply["token"], token)
        self.assertEqual(reply["status"], "active", reply)
        new_token, new_expires = reply["token"], epoch(reply["expires_at"])
        self.assertGreaterEqual(new_expires, sent + 1 - 0.001)
        self.assertLessEqual(new_expires, received + 2)
        sent = time.time()
        reply = self.client.call(op="concert.list", user_id=user_id, token=new_token)
        if sent < new_expires - 0.5:
            self.assertTrue(reply.get("ok"), reply)
        self.call_error("TOKEN_EXPIRED", op="concert.list", user_id=user_id, token=token)
        self.assertEqual(self.status(user_id, token)[1]["status"], "expired")


class AbandonedWaiterTest(SchedulerTestCase):
    DAEMON_ARGS = ["--max-active", "1", "--admit-batch", "100", "--admit-interval-ms", "200",
                   "--token-ttl", "60", "--abandon-after", "1"]

    def test_silent_waiter_dropped_and_the_line_moves_up(self):
        front, silent, patient, last = (self.new_user(name) for name in
                                        ("front", "silent", "patient", "last"))
        self.assertEqual(self.call_ok(op="queue.enter", user_id=front)["status"], "active")
        silent_sent, reply, _ = self.enter(silent)
        self.assert_waiting(reply, 1, waiting=1)
        silent_token = reply["token"]
        _, reply, _ = self.enter(patient)
        self.assert_waiting(reply, 2, waiting=2)
        patient_token = reply["token"]
        _, reply, _ = self.enter(last)
        self.assert_waiting(reply, 3, waiting=3)
        last_token = reply["token"]

        # The silent waiter never asks again; the others ask every 300 ms.
        dropped_seen = None
        deadline = time.monotonic() + DEADLINE_S
        while dropped_seen is None:
            self.assertLess(time.monotonic(), deadline, "the silent waiter was never dropped")
            time.sleep(0.3)
            _, first, first_received = self.status(patient, patient_token)
            _, second, second_received = self.status(last, last_token)
            if first["position"] == 1:
                dropped_seen = first_received
                self.assert_waiting(first, 1, waiting=2)
                self.assert_waiting(second, 1 + 1, waiting=2)
            elif second_received < silent_sent + 1:
                # Nobody may be dropped before abandon-after has passed.
                self.assert_waiting(first, 2, waiting=3)
                self.assert_waiting(second, 3, waiting=3)
            else:
                self.assertIn(first["position"], (1, 2), first)
                self.assertEqual(first["status"], "wait", first)
                self.assertEqual(second["status"], "wait", second)
        self.assertGreaterEqual(dropped_seen, silent_sent + 1,
                                "dropped before abandon-after had passed")

        reply = self.status(silent, silent_token)[1]
        self.assertEqual(reply["status"], "expired", reply)
        self.assertEqual(reply["position"], 0, reply)
        self.call_error("TOKEN_EXPIRED", op="concert.list", user_id=silent, token=silent_token)

        # Waiters who keep asking are never dropped, however long they wait.
        end = time.monotonic() + 2.5
        while time.monotonic() < end:
            self.assert_waiting(self.status(patient, patient_token)[1], 1, waiting=2)
            self.assert_waiting(self.status(last, last_token)[1], 2, waiting=2)
            time.sleep(0.3)
        self.assertEqual(self.call_ok(op="server.ping")["waiting"], 2)

        # Coming back means a new token at the end of the line.
        reply = self.call_ok(op="queue.enter", user_id=silent)
        self.assertNotEqual(reply["token"], silent_token)
        self.assert_waiting(reply, 3, waiting=3)


class HoldReleaseTest(SchedulerTestCase):
    DAEMON_ARGS = ["--hold-ttl", "1", "--token-ttl", "60", "--admit-interval-ms", "200"]

    def seat_status(self, user_id, token, schedule_id, number):
        seats = self.call_ok(op="concert.seats", user_id=user_id, token=token,
                             schedule_id=schedule_id)
        return {seat["number"]: seat["status"] for seat in seats["seats"]}[number]

    def left_tickets(self, user_id, token, schedule_id):
        dates = self.call_ok(op="concert.dates", user_id=user_id, token=token,
                             concert_id=1)["dates"]
        return {date["schedule_id"]: date["left_tickets"] for date in dates}[schedule_id]

    def test_unpaid_hold_is_released(self):
        holder = self.new_user("holder", points=500000)
        other = self.new_user("other", points=500000)
        holder_token = self.active_token(holder)
        other_token = self.active_token(other)
        schedule_id, seat = 1, 9
        left = self.left_tickets(holder, holder_token, schedule_id)
        self.assertEqual(self.db("SELECT left_tickets FROM concert_schedules WHERE id = ?",
                                 schedule_id), [(left,)])

        sent, hold, received = self.timed(op="seat.reserve", user_id=holder, token=holder_token,
                                          schedule_id=schedule_id, seat_number=seat)
        expires = epoch(hold["hold_expires_at"])
        self.assertGreaterEqual(expires, sent + 1 - 0.001)
        self.assertLessEqual(expires, received + 2)
        reservation_id = hold["reservation_id"]
        # While the hold lasts (checked only with time to spare), the seat is
        # held, the show is one ticket down and nobody else can take the seat.
        if time.time() < expires - 0.5:
            self.call_error("SEAT_TAKEN", op="seat.reserve", user_id=other, token=other_token,
                            schedule_id=schedule_id, seat_number=seat)
        if time.time() < expires - 0.3:
            self.assertEqual(self.seat_status(holder, holder_token, schedule_id, seat), "held")
        if time.time() < expires - 0.3:
            self.assertEqual(self.left_tickets(holder, holder_token, schedule_id), left - 1)
        if time.time() < expires - 0.3:
            self.assertEqual(self.db("SELECT left_tickets FROM concert_schedules WHERE id = ?",
                                     schedule_id), [(left - 1,)])

        # Held until hold_expires_at, free from then on.
        deadline = expires + DEADLINE_S
        while True:
            self.assertLess(time.time(), deadline, "the seat never came free")
            status = self.seat_status(holder, holder_token, schedule_id, seat)
            received = time.time()
            if received < expires:
                self.assertEqual(status, "held")
            elif status == "free":
                break
            time.sleep(0.1)
        self.assertEqual(self.left_tickets(holder, holder_token, schedule_id), left)

        # The expire job writes the release down: seat, show and reservation.
        deadline = time.monotonic() + DEADLINE_S
        while self.db("SELECT status FROM reservations WHERE id = ?",
                      reservation_id) != [("cancelled",)]:
            self.assertLess(time.monotonic(), deadline, "the expire job never released the hold")
            time.sleep(0.1)
        self.assertEqual(self.db("SELECT left_tickets FROM concert_schedules WHERE id = ?",
                                 schedule_id), [(left,)])
        self.assertEqual(self.db("SELECT status, reservation_id, hold_expires_at FROM seats"
                                 " WHERE schedule_id = ? AND number = ?", schedule_id, seat),
                         [("free", None, None)])
        listed = self.call_ok(op="reservation.list", user_id=holder)["reservations"]
        self.assertEqual([(r["reservation_id"], r["status"], r["seat_number"]) for r in listed],
                         [(reservation_id, "cancelled", seat)])
        self.assertIsNone(listed[0]["hold_expires_at"])
        self.call_error("HOLD_EXPIRED", op="payment.pay", user_id=holder, token=holder_token,
                        reservation_id=reservation_id)
        self.assertEqual(self.call_ok(op="point.balance", user_id=holder)["point"], 500000)

        # Someone else can have the seat now.
        taken = self.call_ok(op="seat.reserve", user_id=other, token=other_token,
                             schedule_id=schedule_id, seat_number=seat)
        self.assertEqual(taken["seat_number"], seat)
        self.assertEqual(self.seat_status(other, other_token, schedule_id, seat), "held")
        self.assertEqual(self.left_tickets(other, other_token, schedule_id), left - 1)
        self.assertEqual(self.db("SELECT left_tickets FROM concert_schedules WHERE id = ?",
                                 schedule_id), [(left - 1,)])


class LongLineTest(SchedulerTestCase):
    """Positions come from counters and the departures of dropped waiters, so they
    are exact in a long line and shift exactly when waiters in the middle leave."""

    LINE = 2000
    ABANDON_S = 3
    # The first user is admitted at once and then nobody else: one admission
    # per ten-minute window and, should such a window begin during the test,
    # a cap of one active token (held for an hour) all the same.
    DAEMON_ARGS = ["--admit-batch", "1", "--admit-interval-ms", "600000", "--max-active", "1",
                   "--token-ttl", "3600", "--abandon-after", str(ABANDON_S)]

    def test_exact_positions_in_a_long_line(self):
        pipe = Pipeline(self.daemon.endpoint)
        self.addCleanup(pipe.close)
        created = pipe.calls([dict(op="user.create", name="waiter %d" % i)
                              for i in range(self.LINE)])
        for reply in created:
            self.assertTrue(reply.get("ok"), reply)
        users = [reply["user_id"] for reply in created]
        self.assertEqual(len(set(users)), self.LINE)

        entered = pipe.calls([dict(op="queue.enter", user_id=u) for u in users])
        self.assertEqual(entered[0]["status"], "active", entered[0])
        self.assertEqual(entered[0]["position"], 0)
        for k in range(1, self.LINE):
            # user k+1 (1-based) sees position k: one person was admitted.
            self.assert_waiting(entered[k], k, waiting=k)
        tokens = [reply["token"] for reply in entered]

        def poll(indexes):
            sent = time.time()
            replies = pipe.calls([dict(op="queue.status", user_id=users[k], token=tokens[k])
                                  for k in indexes])
            for reply in replies:
                self.assertTrue(reply.get("ok"), reply)
            return sent, replies, time.time()

        waiters = range(1, self.LINE)
        last_asked, replies, _ = poll(waiters)  # the last time the dropped ones ask
        for k, reply in zip(waiters, replies):
            self.assert_waiting(reply, k, waiting=self.LINE - 1)

        # Waiters in the middle (and the very last) stop asking.
        victims = set(range(300, 340)) | {1000, 1001} | set(range(1500, 1520, 2)) | \
            {self.LINE - 1}
        survivors = [k for k in waiters if k not in victims]
        ahead = {}
        count = 0
        for k in range(self.LINE):
            ahead[k] = count
            count += k in victims
        final_waiting = self.LINE - 1 - len(victims)

        # Nobody is dropped before abandon-after has passed since they last
        # asked (the server allows more, for marks it writes lazily).
        earliest_drop = last_asked + self.ABANDON_S
        last_position = {k: k for k in survivors}
        deadline = time.monotonic() + 30
        while True:
            self.assertLess(time.monotonic(), deadline, "the silent waiters were never dropped")
            time.sleep(0.25)
            sent, replies, received = poll(survivors)
            done = True
            for k, reply in zip(survivors, replies):
                self.assertEqual(reply["status"], "wait",
                                 "waiter %d, who kept asking, left the line: %r" % (k, reply))
                position = reply["position"]
                if received < earliest_drop:
                    self.assert_waiting(reply, k, waiting=self.LINE - 1)
                self.assertLessEqual(position, last_position[k], "moved back: %r" % reply)
                self.assertGreaterEqual(position, k - ahead[k], reply)
                self.assertGreaterEqual(reply["waiting"], final_waiting, reply)
                self.assertLessEqual(reply["waiting"], self.LINE - 1, reply)
                last_position[k] = position
                done = done and reply["waiting"] == final_waiting
            if done:
                break

        # Everyone behind a dropped waiter moved up by exactly the number
        # dropped ahead of them.
        _, replies, _ = poll(survivors)
        for k, reply in zip(survivors, replies):
            self.assert_waiting(reply, k - ahead[k], waiting=final_waiting)
        _, replies, _ = poll(sorted(victims))
        for k, reply in zip(sorted(victims), replies):
            self.assertEqual(reply["status"], "expired", "waiter %d: %r" % (k, reply))
            self.assertEqual(reply["position"], 0, reply)
        ping = self.call_ok(op="server.ping")
        self.assertEqual((ping["active"], ping["waiting"]), (1, final_waiting), ping)

        # A newcomer joins at the end of the shortened line.
        newcomer = self.new_user("newcomer")
        reply = self.call_ok(op="queue.enter", user_id=newcomer)
        self.assert_waiting(reply, final_waiting + 1, waiting=final_waiting + 1)


if __name__ == "__main__":
    unittest.main()
