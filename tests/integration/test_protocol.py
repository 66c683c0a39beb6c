"""Integration tests of the boxoffice protocol: every op, every error code a
client can provoke, bad frames, reply shapes and idempotency, each against a
real boxofficed (see harness.py) on a fresh demo database.

Two error codes need another writer on the database file, which the tests
play themselves with Python's sqlite3 (as a second daemon or a tool would):
  - CONFLICT: point.charge exhausts its optimistic retries. With SQLite the
    retries run inside one write transaction, so no real writer can win the
    race; a trigger that turns the version-checked update into a no-op makes
    every attempt lose, as a PostgreSQL backend's racing writers could.
  - INTERNAL: another process holds the write lock past the busy timeout.
"""

import datetime
import json
import os
import re
import sqlite3
import time
import unittest

import zmq

from harness import CONTEXT, FAST, Client, DaemonTestCase

TIME_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
# A well-formed token of the right length that the server never issued.
UNKNOWN_TOKEN = "A" * 32
MISSING_ID = 987654321


def parse_time(text):
    """RFC 3339 UTC text -> seconds since the epoch."""
    text = re.sub(r"\.\d+Z$", "Z", text)
    moment = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")
    return moment.replace(tzinfo=datetime.timezone.utc).timestamp()


# Reply shapes, from the protocol table of the spec. Each checker is a name
# understood by ProtocolCase.assert_value.
REPLY_FIELDS = {
    "user.create": {"user_id": "id"},
    "queue.enter": {"token": "str", "status": "token_status", "position": "int",
                    "expires_at": "time_or_null"},
    "queue.status": {"status": "token_status", "position": "int", "waiting": "int",
                     "eta_s": "int", "expires_at": "time_or_null"},
    "concert.list": {"concerts": "list"},
    "concert.dates": {"dates": "list"},
    "concert.seats": {"free": "list", "seats": "list"},
    "seat.reserve": {"reservation_id": "id", "seat_number": "int", "title": "str",
                     "show_time": "time", "price": "int", "hold_expires_at": "time_or_null"},
    "point.charge": {"point": "int"},
    "point.balance": {"point": "int"},
    "point.history": {"entries": "list"},
    "payment.pay": {"reservation_status": "reservation_status", "point": "int"},
    "reservation.list": {"reservations": "list"},
    "server.ping": {"version": "str", "uptime_s": "int", "waiting": "int", "active": "int"},
}
ITEM_FIELDS = {
    "concerts": {"concert_id": "id", "title": "str", "performer": "str"},
    "dates": {"schedule_id": "id", "title": "str", "performer": "str", "price": "int",
              "show_time": "time", "reservation_start": "time", "reservation_end": "time",
              "left_tickets": "int"},
    "seats": {"number": "int", "status": "seat_status", "price": "int"},
    "entries": {"kind": "ledger_kind", "amount": "int", "balance_after": "int", "at": "time"},
    "reservations": {"reservation_id": "id", "status": "reservation_status", "title": "str",
                     "show_time": "time", "seat_number": "int", "price": "int",
                     "hold_expires_at": "time_or_null"},
}
ENUMS = {
    "token_status": ("wait", "active", "expired"),
    "seat_status": ("free", "held", "sold"),
    "reservation_status": ("reserved", "paid", "cancelled"),
    "ledger_kind": ("charge", "use", "refund"),
}


def padded(request, size):
    """A valid JSON request padded with trailing whitespace to exactly `size` bytes."""
    text = json.dumps(request).encode()
    assert len(text) <= size
    return text + b" " * (size - len(text))


class ProtocolCase(DaemonTestCase):
    """Shared helpers; the test classes below pick the daemon's options."""

    def assert_value(self, kind, value, where):
        if kind in ("int", "id"):
            self.assertIsInstance(value, int, where)
            self.assertNotIsInstance(value, bool, where)
            if kind == "id":
                self.assertGreaterEqual(value, 1, where)
        elif kind == "str":
            self.assertIsInstance(value, str, where)
        elif kind == "list":
            self.assertIsInstance(value, list, where)
        elif kind == "time":
            self.assertIsInstance(value, str, where)
            self.assertRegex(value, TIME_PATTERN, where)
        elif kind == "time_or_null":
            if value is not None:
                self.assert_value("time", value, where)
        elif kind in ENUMS:
            self.assertIn(value, ENUMS[kind], where)
        else:
            raise AssertionError("unknown kind " + kind)

    def assert_shape(self, op, reply):
        """Every reply field the spec names for `op` is present with its type,
        and so is every field of every list item."""
        self.assertIs(reply.get("ok"), True, reply)
        for field, kind in REPLY_FIELDS[op].items():
            self.assertIn(field, reply, "%s reply lacks %r: %r" % (op, field, reply))
            self.assert_value(kind, reply[field], "%s.%s in %r" % (op, field, reply))
            if kind == "list" and field in ITEM_FIELDS:
                for item in reply[field]:
                    self.assertIsInstance(item, dict, item)
                    for key, item_kind in ITEM_FIELDS[field].items():
                        self.assertIn(key, item, "%s item lacks %r: %r" % (op, key, item))
                        self.assert_value(item_kind, item[key], "%s.%s[].%s = %r"
                                          % (op, field, key, item))
        if op == "concert.seats":
            for number in reply["free"]:
                self.assert_value("int", number, "concert.seats.free")

    def shaped(self, **request):
        """call_ok plus a check of the reply's shape."""
        reply = self.call_ok(**request)
        self.assert_shape(request["op"], reply)
        return reply

    def raw(self, request):
        """Sends a request and returns the reply's exact bytes."""
        return self.client.send_frames([json.dumps(request).encode()])

    def raw_error(self, code, data, client=None):
        reply = json.loads((client or self.client).send_frames([data]))
        self.assertIs(reply.get("ok"), False, "%r should fail with %s: %r" % (data[:80], code,
                                                                               reply))
        self.assertEqual(reply.get("error"), code, "%r -> %r" % (data[:80], reply))
        self.assertIsInstance(reply.get("message"), str)
        self.assertTrue(reply["message"])
        return reply

    def assert_serving(self):
        """A brand-new client gets an answer to server.ping."""
        with Client(self.daemon.endpoint, timeout_ms=5000) as client:
            reply = client.call(op="server.ping")
        self.assertIs(reply.get("ok"), True, reply)
        self.assert_shape("server.ping", reply)

    def balance(self, user_id):
        return self.call_ok(op="point.balance", user_id=user_id)["point"]

    def history(self, user_id):
        return self.call_ok(op="point.history", user_id=user_id)["entries"]

    def reservations(self, user_id):
        return self.call_ok(op="reservation.list", user_id=user_id)["reservations"]

    def seats(self, user_id, token, schedule_id):
        reply = self.call_ok(op="concert.seats", user_id=user_id, token=token,
                             schedule_id=schedule_id)
        return {seat["number"]: seat for seat in reply["seats"]}, reply["free"]

    def left_tickets(self, user_id, token, schedule_id, concert_id=1):
        dates = self.call_ok(op="concert.dates", user_id=user_id, token=token,
                             concert_id=concert_id)["dates"]
        for date in dates:
            if date["schedule_id"] == schedule_id:
                return date["left_tickets"]
        self.fail("show %d not listed: %r" % (schedule_id, dates))

    def hold(self, user_id, token, seat_number, schedule_id=1, **extra):
        return self.call_ok(op="seat.reserve", user_id=user_id, token=token,
                            schedule_id=schedule_id, seat_number=seat_number, **extra)

    def db_scalar(self, query, *args):
        connection = sqlite3.connect(self.daemon.database, timeout=30)
        try:
            return connection.execute(query, args).fetchone()[0]
        finally:
            connection.close()

    def sleep_past(self, rfc3339, margin=0.3):
        """Sleeps until the given server time has passed by `margin` seconds."""
        delay = parse_time(rfc3339) - time.time() + margin
        self.assertLess(delay, 5, "a 1-second lifetime ends too late: %s" % rfc3339)
        if delay > 0:
            time.sleep(delay)


class ProtocolTest(ProtocolCase):
    DAEMON_ARGS = FAST

    # --- server.ping and the shape of every reply -------------------------

    def test_server_ping_fields(self):
        reply = self.shaped(op="server.ping")
        self.assertEqual(reply["version"], "0.1.0")
        self.assertGreaterEqual(reply["uptime_s"], 0)
        self.assertEqual(reply["waiting"], 0)
        self.assertEqual(reply["active"], 0)
        user = self.new_user("pinger")
        self.active_token(user)
        reply = self.shaped(op="server.ping")
        self.assertEqual(reply["active"], 1)
        self.assertEqual(reply["waiting"], 0)

    def test_every_op_reply_has_its_fields(self):
        user = self.shaped(op="user.create", name="shape tester")["user_id"]
        self.assertEqual(self.shaped(op="point.charge", user_id=user, amount=300000)["point"],
                         300000)
        self.assertEqual(self.shaped(op="point.balance", user_id=user)["point"], 300000)
        entered = self.shaped(op="queue.enter", user_id=user)
        token = entered["token"]
        self.assertGreaterEqual(len(token), 22, "a token carries at least 128 bits")
        status = self.shaped(op="queue.status", user_id=user, token=token)
        if status["status"] == "wait":
            self.assertIsNone(status["expires_at"])
            token = self.active_token(user)
            status = self.shaped(op="queue.status", user_id=user, token=token)
        self.assertEqual(status["status"], "active")
        self.assertEqual(status["position"], 0)
        self.assertIsNotNone(status["expires_at"])
        self.assertGreater(parse_time(status["expires_at"]), time.time())

        concerts = self.shaped(op="concert.list", user_id=user, token=token)["concerts"]
        self.assertEqual([c["concert_id"] for c in concerts], [1, 2, 3, 4])
        self.assertTrue(any(re.search("[\uac00-\ud7a3]", c["title"]) for c in concerts),
                        "some demo titles are Korean")
        dates = self.shaped(op="concert.dates", user_id=user, token=token, concert_id=1)["dates"]
        self.assertTrue(dates)
        seats = self.shaped(op="concert.seats", user_id=user, token=token, schedule_id=1)
        self.assertEqual(len(seats["seats"]), 50)
        held = self.shaped(op="seat.reserve", user_id=user, token=token, schedule_id=1,
                           seat_number=21)
        self.assertIsNotNone(held["hold_expires_at"])
        self.assertGreater(parse_time(held["hold_expires_at"]), time.time())
        self.assertEqual(held["seat_number"], 21)
        listed = self.shaped(op="reservation.list", user_id=user)["reservations"]
        self.assertEqual(len(listed), 1)
        self.assertEqual(listed[0]["status"], "reserved")
        self.assertEqual(listed[0]["hold_expires_at"], held["hold_expires_at"])
        paid = self.shaped(op="payment.pay", user_id=user, token=token,
                           reservation_id=held["reservation_id"])
        self.assertEqual(paid["reservation_status"], "paid")
        self.assertEqual(paid["point"], 300000 - held["price"])
        listed = self.shaped(op="reservation.list", user_id=user)["reservations"]
        self.assertEqual(listed[0]["status"], "paid")
        self.assertIn("hold_expires_at", listed[0])
        self.assertIsNone(listed[0]["hold_expires_at"], "hold_expires_at is null once paid")
        entries = self.shaped(op="point.history", user_id=user)["entries"]
        self.assertEqual(len(entries), 2)
        self.shaped(op="server.ping")

    # --- malformed requests --------------------------------------------------

    def test_not_json_and_not_an_object(self):
        for data in (b"not json", b"{", b'{"op": "server.ping"', b"{'op': 'server.ping'}",
                     b'{"op":"server.ping","x":"\xff\xfe"}',  # not UTF-8
                     b'[{"op": "server.ping"}]', b"[]", b'"server.ping"', b"42", b"null",
                     b"true"):
            self.raw_error("BAD_REQUEST", data)
        self.assert_serving()

    def test_missing_or_mistyped_op(self):
        for request in ({}, {"user_id": 1}, {"op": None}, {"op": 5}, {"op": True},
                        {"op": ["server.ping"]}, {"op": {"name": "server.ping"}}):
            self.call_error("BAD_REQUEST", **request)
        self.assert_serving()

    def test_unknown_op(self):
        for name in ("nope", "", "SERVER.PING", "server.ping ", "seat.reserve.now", "user"):
            self.call_error("UNKNOWN_OP", op=name)
        # The op is checked before its fields.
        self.call_error("UNKNOWN_OP", op="no.such.op", user_id="not an id")

    def test_bad_request_id(self):
        for request_id in (5, True, "", "x" * 129, ["a"]):
            self.call_error("BAD_REQUEST", op="point.charge", user_id=1, amount=100,
                            request_id=request_id)
        self.assertEqual(self.balance(1), 500000, "nothing was charged")

    def test_missing_and_mistyped_fields(self):
        token = UNKNOWN_TOKEN
        templates = {
            "user.create": {"name": "someone"},
            "queue.enter": {"user_id": 1},
            "queue.status": {"user_id": 1, "token": token},
            "concert.list": {"user_id": 1, "token": token},
            "concert.dates": {"user_id": 1, "token": token, "concert_id": 1},
            "concert.seats": {"user_id": 1, "token": token, "schedule_id": 1},
            "seat.reserve": {"user_id": 1, "token": token, "schedule_id": 1, "seat_number": 1},
            "point.charge": {"user_id": 1, "amount": 100},
            "point.balance": {"user_id": 1},
            "point.history": {"user_id": 1},
            "payment.pay": {"user_id": 1, "token": token, "reservation_id": 1},
            "reservation.list": {"user_id": 1},
        }
        string_fields = ("name", "token")
        for op, template in templates.items():
            for field in template:
                if op == "seat.reserve" and field == "schedule_id":
                    continue  # either form may name the show: see the test below
                missing = dict(template)
                del missing[field]
                self.call_error("BAD_REQUEST", op=op, **missing)
                self.call_error("BAD_REQUEST", op=op, **dict(template, **{field: None}))
                if field in string_fields:
                    wrong = (5, True, [], {}, "")
                else:
                    wrong = ("1", "one", 1.5, True, [1], {"id": 1}, 0, -1)
                for value in wrong:
                    self.call_error("BAD_REQUEST", op=op, **dict(template, **{field: value}))
        # Ids stop below 2^53; a token and a name have maximum lengths.
        self.call_error("BAD_REQUEST", op="point.balance", user_id=2 ** 53)
        self.call_error("BAD_REQUEST", op="concert.list", user_id=1, token="t" * 129)
        self.call_error("BAD_REQUEST", op="user.create", name="n" * 201)
        # A name must have something visible and no control characters.
        for name in ("   ", "tab\there", "bell\x07", "line\nbreak"):
            self.call_error("BAD_REQUEST", op="user.create", name=name)
        # point.history's optional limit is 1..1000.
        for limit in (0, 1001, "5", 2.5):
            self.call_error("BAD_REQUEST", op="point.history", user_id=1, limit=limit)
        self.assertEqual(len(self.call_ok(op="point.history", user_id=1, limit=1)["entries"]), 1)
        # Nothing malformed was applied.
        self.assertEqual(self.balance(1), 500000)
        self.assertEqual(len(self.history(1)), 1)
        self.assertEqual(self.db_scalar("SELECT COUNT(*) FROM users"), 4)
        self.assertEqual(self.db_scalar("SELECT COUNT(*) FROM queue_tokens"), 0)
        self.assertEqual(self.db_scalar("SELECT COUNT(*) FROM reservations"), 50)

    def test_charge_amount_range(self):
        user = self.new_user("amounts")
        for amount in (-1, -10000, 0, 0.5, 1.5, 1000.25, 1e3, 10000001, 2 ** 31, 2 ** 53,
                       2 ** 63 - 1, 2 ** 63, 2 ** 64 + 5, 10 ** 30, -(2 ** 63) - 1, "1000"):
            self.call_error("BAD_REQUEST", op="point.charge", user_id=user, amount=amount)
        # The check of the fields comes before the lookup of the user.
        self.call_error("BAD_REQUEST", op="point.charge", user_id=MISSING_ID, amount=0)
        self.assertEqual(self.balance(user), 0)
        self.assertEqual(self.history(user), [])
        # The bounds themselves are accepted.
        self.assertEqual(self.call_ok(op="point.charge", user_id=user, amount=1)["point"], 1)
        self.assertEqual(self.call_ok(op="point.charge", user_id=user,
                                      amount=10000000)["point"], 10000001)
        self.assertEqual(self.balance(user), 10000001)

    def test_seat_number_range_and_show_forms(self):
        user = self.new_user("seats")
        token = self.active_token(user)
        for seat in (0, 51, -1, 100, 1.5, "5"):
            self.call_error("BAD_REQUEST", op="seat.reserve", user_id=user, token=token,
                            schedule_id=1, seat_number=seat)
        show_date = self.call_ok(op="concert.dates", user_id=user, token=token,
                                 concert_id=1)["dates"][0]["show_time"][:10]
        # Exactly one of the two ways to name a show.
        self.call_error("BAD_REQUEST", op="seat.reserve", user_id=user, token=token,
                        schedule_id=1, concert_id=1, seat_number=1)
        self.call_error("BAD_REQUEST", op="seat.reserve", user_id=user, token=token,
                        schedule_id=1, concert_id=1, concert_date=show_date, seat_number=1)
        self.call_error("BAD_REQUEST", op="seat.reserve", user_id=user, token=token,
                        seat_number=1)
        self.call_error("BAD_REQUEST", op="seat.reserve", user_id=user, token=token,
                        concert_id=1, seat_number=1)
        for date in ("tomorrow", "2026/12/01", "20261201", "2026-13-45", 20261201):
            self.call_error("BAD_REQUEST", op="seat.reserve", user_id=user, token=token,
                            concert_id=1, concert_date=date, seat_number=1)
        self.assertEqual(self.reservations(user), [])
        self.assertEqual(self.left_tickets(user, token, 1), 50)

    def test_show_form_is_checked_before_user_and_token(self):
        # CONTRACT-NOTES, order of checks: the fields of the op (step 2) come
        # before the user and the token gate (step 4). For seat.reserve the
        # fields name the show in exactly one of two forms, with a valid date.
        bad_forms = ({},  # neither schedule_id nor concert_id + concert_date
                     {"schedule_id": 1, "concert_id": 1},
                     {"schedule_id": 1, "concert_id": 1, "concert_date": "2026-12-01"},
                     {"concert_id": 1},
                     {"concert_date": "2026-12-01"},
                     {"concert_id": 1, "concert_date": "tomorrow"})
        for form in bad_forms:
            for user_id in (1, MISSING_ID):
                with self.subTest(form=form, user_id=user_id, token="unknown"):
                    self.call_error("BAD_REQUEST", op="seat.reserve", user_id=user_id,
                                    token=UNKNOWN_TOKEN, seat_number=1, **form)

    # --- frames ----------------------------------------------------------------

    def test_too_large(self):
        ping = {"op": "server.ping"}
        # Exactly 64 KiB is allowed: a valid request padded with whitespace.
        reply = json.loads(self.client.send_frames([padded(ping, 65536)]))
        self.assertIs(reply.get("ok"), True, "a 65536-byte request is within the limit")
        for size in (65537, 100000, 512 * 1024, 1048575, 1048576):
            self.raw_error("TOO_LARGE", padded(ping, size))
            self.assert_serving()
        # Anything over the limit is refused before it is parsed.
        self.raw_error("TOO_LARGE", b"x" * 70000)
        charge = {"op": "point.charge", "user_id": 1, "amount": 5}
        self.raw_error("TOO_LARGE", padded(charge, 65537))
        self.assertEqual(self.balance(1), 500000)
        self.assert_serving()

    def test_frame_over_one_mebibyte_is_dropped(self):
        with Client(self.daemon.endpoint, timeout_ms=1000) as client:
            with self.assertRaises(TimeoutError):
                client.send_frames([padded({"op": "server.ping"}, 2 * 1024 * 1024)])
        self.assert_serving()
        # The connection of the harness's own client was not harmed either.
        self.call_ok(op="server.ping")

    def test_empty_frame(self):
        self.raw_error("BAD_REQUEST", b"")
        self.assert_serving()

    def dealer(self):
        socket = CONTEXT.socket(zmq.DEALER)
        socket.setsockopt(zmq.LINGER, 0)
        socket.setsockopt(zmq.RCVTIMEO, 5000)
        socket.connect(self.daemon.endpoint)
        self.addCleanup(socket.close, 0)
        return socket

    def dealer_call(self, frames):
        socket = self.dealer()
        socket.send_multipart(frames)
        try:
            reply = socket.recv_multipart()
        except zmq.Again:
            self.fail("no reply to %r" % frames)
        self.assertEqual(reply[0], b"", "the reply keeps the empty delimiter: %r" % reply)
        self.assertEqual(len(reply), 2, reply)
        return json.loads(reply[1])

    def test_multi_frame_message(self):
        reply = self.dealer_call([b"", b'{"op": "server.ping"}', b"extra"])
        self.assertIs(reply.get("ok"), False, reply)
        self.assertEqual(reply.get("error"), "BAD_REQUEST", reply)
        self.assert_serving()
        # The same from a REQ socket sending two body frames.
        reply = json.loads(self.client.send_frames([b'{"op": "server.ping"}', b"{}"]))
        self.assertEqual(reply.get("error"), "BAD_REQUEST", reply)
        # A multi-frame charge is not applied.
        charge = json.dumps({"op": "point.charge", "user_id": 1, "amount": 7}).encode()
        reply = self.dealer_call([b"", charge, b"more"])
        self.assertEqual(reply.get("error"), "BAD_REQUEST", reply)
        self.assertEqual(self.balance(1), 500000)
        self.assert_serving()

    def test_message_with_many_parts(self):
        # Longer than the server keeps of a message (ten parts): refused
        # whole, with nothing applied, and its reply still finds the peer.
        charge = json.dumps({"op": "point.charge", "user_id": 1, "amount": 7}).encode()
        reply = self.dealer_call([b"", charge] + [b"more"] * 20)
        self.assertEqual(reply.get("error"), "BAD_REQUEST", reply)
        self.assertEqual(self.balance(1), 500000)
        # Routing frames past what is kept: the reply goes back by the
        # routing id alone, so it comes without the delimiter.
        socket = self.dealer()
        socket.send_multipart([b"hop"] * 12 + [b"", charge])
        reply = socket.recv_multipart()
        self.assertEqual(len(reply), 1, reply)
        self.assertEqual(json.loads(reply[0]).get("error"), "BAD_REQUEST", reply)
        self.assertEqual(self.balance(1), 500000)
        self.assert_serving()

    def test_message_with_no_body(self):
        # A DEALER sending only the empty delimiter: a request with no body.
        reply = self.dealer_call([b""])
        self.assertIs(reply.get("ok"), False, reply)
        self.assertEqual(reply.get("error"), "BAD_REQUEST", reply)
        self.assert_serving()
        # A well-formed DEALER request is served normally.
        reply = self.dealer_call([b"", b'{"op": "server.ping"}'])
        self.assertIs(reply.get("ok"), True, reply)

    # --- NOT_FOUND, the token gate ----------------------------------------------

    def test_not_found(self):
        user = self.new_user("finder")
        token = self.active_token(user)
        # No such user, for every op that names one (gated ops check the user first).
        for op, fields in (("queue.enter", {}), ("queue.status", {"token": token}),
                           ("concert.list", {"token": token}),
                           ("concert.dates", {"token": token, "concert_id": 1}),
                           ("concert.seats", {"token": token, "schedule_id": 1}),
                           ("seat.reserve", {"token": token, "schedule_id": 1,
                                             "seat_number": 1}),
                           ("point.charge", {"amount": 100}), ("point.balance", {}),
                           ("point.history", {}),
                           ("payment.pay", {"token": token, "reservation_id": 1}),
                           ("reservation.list", {})):
            self.call_error("NOT_FOUND", op=op, user_id=MISSING_ID, **fields)
        # No such concert, show, seat or reservation.
        self.call_error("NOT_FOUND", op="concert.dates", user_id=user, token=token,
                        concert_id=MISSING_ID)
        self.call_error("NOT_FOUND", op="concert.seats", user_id=user, token=token,
                        schedule_id=MISSING_ID)
        self.call_error("NOT_FOUND", op="seat.reserve", user_id=user, token=token,
                        schedule_id=MISSING_ID, seat_number=1)
        self.call_error("NOT_FOUND", op="seat.reserve", user_id=user, token=token,
                        concert_id=MISSING_ID, concert_date="2026-12-01", seat_number=1)
        self.call_error("NOT_FOUND", op="seat.reserve", user_id=user, token=token,
                        concert_id=1, concert_date="2000-01-01", seat_number=1)
        self.call_error("NOT_FOUND", op="payment.pay", user_id=user, token=token,
                        reservation_id=MISSING_ID)
        self.assertEqual(self.reservations(user), [])
        self.assertEqual(self.balance(user), 0)

    def test_token_invalid(self):
        alice = self.new_user("alice")
        bob = self.new_user("bob")
        alice_token = self.active_token(alice)
        bob_token = self.active_token(bob)
        for token in (UNKNOWN_TOKEN, "x", bob_token):
            self.call_error("TOKEN_INVALID", op="queue.status", user_id=alice, token=token)
            self.call_error("TOKEN_INVALID", op="concert.list", user_id=alice, token=token)
            self.call_error("TOKEN_INVALID", op="concert.dates", user_id=alice, token=token,
                            concert_id=1)
            self.call_error("TOKEN_INVALID", op="concert.seats", user_id=alice, token=token,
                            schedule_id=1)
            self.call_error("TOKEN_INVALID", op="seat.reserve", user_id=alice, token=token,
                            schedule_id=1, seat_number=1)
            self.call_error("TOKEN_INVALID", op="payment.pay", user_id=alice, token=token,
                            reservation_id=MISSING_ID)
        # The user is checked before the token.
        self.call_error("NOT_FOUND", op="concert.list", user_id=MISSING_ID, token=UNKNOWN_TOKEN)
        # The rightful owners are unaffected.
        self.call_ok(op="concert.list", user_id=alice, token=alice_token)
        self.call_ok(op="concert.list", user_id=bob, token=bob_token)
        self.assertEqual(self.reservations(alice), [])

    def test_queue_enter_twice_returns_the_same_token(self):
        user = self.new_user("twice")
        first = self.shaped(op="queue.enter", user_id=user)
        second = self.shaped(op="queue.enter", user_id=user)
        self.assertEqual(first["token"], second["token"])
        token = self.active_token(user)
        self.assertEqual(token, first["token"])
        third = self.shaped(op="queue.enter", user_id=user)
        self.assertEqual(third["token"], token)
        self.assertEqual(third["status"], "active")
        self.assertEqual(third["position"], 0)
        self.assertIsNotNone(third["expires_at"])
        self.assertEqual(self.shaped(op="server.ping")["active"], 1)

    # --- catalog ---------------------------------------------------------------

    def test_concert_dates_lists_only_open_shows_with_tickets(self):
        user = self.new_user("browser")
        token = self.active_token(user)
        # Demo: 4 is closed, 6 sold out and 7 not open yet.
        expected = {1: [1, 2], 2: [3], 3: [5], 4: [8]}
        now = time.time()
        for concert_id, schedules in expected.items():
            dates = self.shaped(op="concert.dates", user_id=user, token=token,
                                concert_id=concert_id)["dates"]
            self.assertEqual([d["schedule_id"] for d in dates], schedules, dates)
            for date in dates:
                self.assertGreater(date["left_tickets"], 0)
                self.assertLessEqual(parse_time(date["reservation_start"]), now + 1)
                self.assertGreater(parse_time(date["reservation_end"]), now - 1)
                seats, _ = self.seats(user, token, date["schedule_id"])
                self.assertEqual(date["price"], min(s["price"] for s in seats.values()),
                                 "price is the lowest seat price")
                self.assertEqual(date["left_tickets"],
                                 sum(s["status"] == "free" for s in seats.values()))
        # The sold-out show still has its seats, all sold.
        seats, free = self.seats(user, token, 6)
        self.assertEqual(free, [])
        self.assertEqual({s["status"] for s in seats.values()}, {"sold"})
        self.assertEqual(len(seats), 50)

    def test_concert_seats_shows_held_and_sold(self):
        buyer = self.new_user("buyer", points=500000)
        other = self.new_user("other")
        token = self.active_token(buyer)
        other_token = self.active_token(other)
        seats, free = self.seats(buyer, token, 1)
        self.assertEqual(sorted(seats), list(range(1, 51)))
        self.assertEqual(free, list(range(1, 51)))
        self.assertEqual({seats[n]["price"] for n in range(1, 21)}, {120000})
        self.assertEqual({seats[n]["price"] for n in range(21, 51)}, {80000})
        held = self.hold(buyer, token, 3)
        self.assertEqual(held["price"], 120000)
        sold = self.hold(buyer, token, 30)
        self.assertEqual(sold["price"], 80000)
        self.call_ok(op="payment.pay", user_id=buyer, token=token,
                     reservation_id=sold["reservation_id"])
        seats, free = self.seats(other, other_token, 1)
        self.assertEqual(seats[3]["status"], "held")
        self.assertEqual(seats[30]["status"], "sold")
        self.assertEqual(seats[4]["status"], "free")
        self.assertNotIn(3, free)
        self.assertNotIn(30, free)
        self.assertEqual(len(free), 48)
        self.assertEqual(sorted(free), [n for n, s in seats.items() if s["status"] == "free"])
        self.assertEqual(self.left_tickets(other, other_token, 1), 48)

    # --- seat.reserve ------------------------------------------------------------

    def test_reserve_by_concert_and_date(self):
        user = self.new_user("by date")
        token = self.active_token(user)
        dates = self.call_ok(op="concert.dates", user_id=user, token=token,
                             concert_id=1)["dates"]
        second = [d for d in dates if d["schedule_id"] == 2][0]
        held = self.shaped(op="seat.reserve", user_id=user, token=token, concert_id=1,
                           concert_date=second["show_time"][:10], seat_number=7)
        self.assertEqual(held["show_time"], second["show_time"])
        self.assertEqual(held["title"], second["title"])
        self.assertEqual(held["seat_number"], 7)
        seats, _ = self.seats(user, token, 2)
        self.assertEqual(seats[7]["status"], "held")
        seats, _ = self.seats(user, token, 1)
        self.assertEqual(seats[7]["status"], "free")
        # The show time itself also names the show.
        again = self.shaped(op="seat.reserve", user_id=user, token=token, concert_id=1,
                            concert_date=second["show_time"], seat_number=8)
        self.assertEqual(again["show_time"], second["show_time"])
        self.assertEqual(self.left_tickets(user, token, 2), 48)
        self.assertEqual(self.left_tickets(user, token, 1), 50)

    def test_not_reservable(self):
        user = self.new_user("late", points=1000000)
        token = self.active_token(user)
        for schedule_id in (4, 6, 7):  # closed, sold out, not open yet
            self.call_error("NOT_RESERVABLE", op="seat.reserve", user_id=user, token=token,
                            schedule_id=schedule_id, seat_number=10)
        self.assertEqual(self.reservations(user), [])
        seats, free = self.seats(user, token, 4)
        self.assertEqual(len(free), 50)
        seats, free = self.seats(user, token, 7)
        self.assertEqual(len(free), 50)
        self.assertEqual(self.balance(user), 1000000)

    def test_seat_taken(self):
        alice = self.new_user("alice", points=500000)
        bob = self.new_user("bob", points=500000)
        alice_token = self.active_token(alice)
        bob_token = self.active_token(bob)
        held = self.hold(alice, alice_token, 5)
        self.call_error("SEAT_TAKEN", op="seat.reserve", user_id=bob, token=bob_token,
                        schedule_id=1, seat_number=5)
        self.call_error("SEAT_TAKEN", op="seat.reserve", user_id=alice, token=alice_token,
                        schedule_id=1, seat_number=5)
        self.call_ok(op="payment.pay", user_id=alice, token=alice_token,
                     reservation_id=held["reservation_id"])
        self.call_error("SEAT_TAKEN", op="seat.reserve", user_id=bob, token=bob_token,
                        schedule_id=1, seat_number=5)
        self.assertEqual(self.reservations(bob), [])
        self.assertEqual(self.left_tickets(bob, bob_token, 1), 49)

    def test_hold_limit(self):
        user = self.new_user("greedy", points=1000000)
        token = self.active_token(user)
        holds = [self.hold(user, token, seat) for seat in (1, 2, 3, 4)]
        self.call_error("HOLD_LIMIT", op="seat.reserve", user_id=user, token=token,
                        schedule_id=1, seat_number=5)
        self.call_error("HOLD_LIMIT", op="seat.reserve", user_id=user, token=token,
                        schedule_id=2, seat_number=5)
        seats, _ = self.seats(user, token, 1)
        self.assertEqual(seats[5]["status"], "free")
        self.assertEqual(self.left_tickets(user, token, 1), 46)
        self.assertEqual(len(self.reservations(user)), 4)
        # A paid seat is no longer an open hold, so one more may be taken.
        self.call_ok(op="payment.pay", user_id=user, token=token,
                     reservation_id=holds[0]["reservation_id"])
        token = self.active_token(user)
        self.hold(user, token, 5)
        self.call_error("HOLD_LIMIT", op="seat.reserve", user_id=user, token=token,
                        schedule_id=1, seat_number=6)

    # --- payment -------------------------------------------------------------------

    def test_insufficient_points_keeps_the_hold(self):
        user = self.new_user("short", points=1000)
        token = self.active_token(user)
        held = self.hold(user, token, 25)
        self.assertEqual(held["price"], 80000)
        self.call_error("INSUFFICIENT_POINTS", op="payment.pay", user_id=user, token=token,
                        reservation_id=held["reservation_id"])
        self.assertEqual(self.balance(user), 1000)
        self.assertEqual(len(self.history(user)), 1)
        listed = self.reservations(user)
        self.assertEqual(listed[0]["status"], "reserved")
        self.assertEqual(listed[0]["hold_expires_at"], held["hold_expires_at"])
        seats, _ = self.seats(user, token, 1)
        self.assertEqual(seats[25]["status"], "held")
        # The token is still good, and after a charge the payment goes through.
        self.call_ok(op="point.charge", user_id=user, amount=79000)
        paid = self.call_ok(op="payment.pay", user_id=user, token=token,
                            reservation_id=held["reservation_id"])
        self.assertEqual(paid["reservation_status"], "paid")
        self.assertEqual(paid["point"], 0)
        self.assertEqual(self.balance(user), 0)
        viewer = self.new_user("viewer")
        seats, _ = self.seats(viewer, self.active_token(viewer), 1)
        self.assertEqual(seats[25]["status"], "sold")

    def test_forbidden(self):
        alice = self.new_user("alice", points=500000)
        bob = self.new_user("bob", points=500000)
        alice_token = self.active_token(alice)
        bob_token = self.active_token(bob)
        held = self.hold(alice, alice_token, 9)
        self.call_error("FORBIDDEN", op="payment.pay", user_id=bob, token=bob_token,
                        reservation_id=held["reservation_id"])
        self.assertEqual(self.balance(bob), 500000)
        self.assertEqual(self.balance(alice), 500000)
        self.assertEqual(self.reservations(alice)[0]["status"], "reserved")
        self.assertEqual(self.reservations(bob), [])
        # Alice can still pay; then Bob still may not touch it.
        self.call_ok(op="payment.pay", user_id=alice, token=alice_token,
                     reservation_id=held["reservation_id"])
        self.call_error("FORBIDDEN", op="payment.pay", user_id=bob, token=bob_token,
                        reservation_id=held["reservation_id"])
        self.assertEqual(self.balance(alice), 500000 - held["price"])

    def test_token_expired_after_payment(self):
        user = self.new_user("payer", points=500000)
        token = self.active_token(user)
        first = self.hold(user, token, 11)
        second = self.hold(user, token, 12)
        self.call_ok(op="payment.pay", user_id=user, token=token,
                     reservation_id=first["reservation_id"])
        for op, fields in (("concert.list", {}), ("concert.dates", {"concert_id": 1}),
                           ("concert.seats", {"schedule_id": 1}),
                           ("seat.reserve", {"schedule_id": 1, "seat_number": 13}),
                           ("payment.pay", {"reservation_id": second["reservation_id"]})):
            self.call_error("TOKEN_EXPIRED", op=op, user_id=user, token=token, **fields)
        status = self.shaped(op="queue.status", user_id=user, token=token)
        self.assertEqual(status["status"], "expired")
        self.assertEqual(status["position"], 0)
        self.assertEqual(self.balance(user), 500000 - first["price"])
        # Paying again with the old token is refused; a new token works.
        fresh = self.call_ok(op="queue.enter", user_id=user)["token"]
        self.assertNotEqual(fresh, token)
        fresh = self.active_token(user)
        paid = self.call_ok(op="payment.pay", user_id=user, token=fresh,
                            reservation_id=second["reservation_id"])
        self.assertEqual(paid["point"], 500000 - first["price"] - second["price"])

    def test_paying_a_paid_reservation_charges_nothing(self):
        user = self.new_user("double", points=500000)
        token = self.active_token(user)
        held = self.hold(user, token, 40)
        paid = self.call_ok(op="payment.pay", user_id=user, token=token,
                            reservation_id=held["reservation_id"])
        token = self.active_token(user)
        again = self.call_ok(op="payment.pay", user_id=user, token=token,
                             reservation_id=held["reservation_id"])
        self.assertEqual(again["reservation_status"], "paid")
        self.assertEqual(again["point"], paid["point"])
        self.assertEqual(self.balance(user), 500000 - held["price"])
        self.assertEqual(len(self.history(user)), 2)

    # --- points and reservations ---------------------------------------------------

    def test_point_history_newest_first_with_signed_amounts(self):
        user = self.new_user("ledger")
        self.call_ok(op="point.charge", user_id=user, amount=100000)
        self.call_ok(op="point.charge", user_id=user, amount=2500)
        token = self.active_token(user)
        held = self.hold(user, token, 33)
        self.call_ok(op="payment.pay", user_id=user, token=token,
                     reservation_id=held["reservation_id"])
        entries = self.shaped(op="point.history", user_id=user)["entries"]
        self.assertEqual([(e["kind"], e["amount"], e["balance_after"]) for e in entries],
                         [("use", -80000, 22500), ("charge", 2500, 102500),
                          ("charge", 100000, 100000)])
        self.assertEqual(sum(e["amount"] for e in entries), self.balance(user))
        times = [parse_time(e["at"]) for e in entries]
        self.assertEqual(times, sorted(times, reverse=True))
        self.assertEqual(self.call_ok(op="point.history", user_id=user, limit=1)["entries"],
                         entries[:1])

    def test_reservation_list(self):
        user = self.new_user("lister", points=500000)
        self.assertEqual(self.shaped(op="reservation.list", user_id=user)["reservations"], [])
        token = self.active_token(user)
        first = self.hold(user, token, 14)
        second = self.hold(user, token, 15, schedule_id=2)
        self.call_ok(op="payment.pay", user_id=user, token=token,
                     reservation_id=first["reservation_id"])
        listed = self.shaped(op="reservation.list", user_id=user)["reservations"]
        self.assertEqual([r["reservation_id"] for r in listed],
                         [second["reservation_id"], first["reservation_id"]], "newest first")
        self.assertEqual(listed[0]["status"], "reserved")
        self.assertEqual(listed[0]["seat_number"], 15)
        self.assertEqual(listed[0]["show_time"], second["show_time"])
        self.assertEqual(listed[0]["price"], second["price"])
        self.assertEqual(listed[0]["hold_expires_at"], second["hold_expires_at"])
        self.assertEqual(listed[1]["status"], "paid")
        self.assertEqual(listed[1]["title"], first["title"])
        self.assertIsNone(listed[1]["hold_expires_at"])
        # Another user's list is their own.
        self.assertEqual(self.reservations(1), [])

    # --- idempotency -----------------------------------------------------------------

    def test_retried_point_charge_is_applied_once(self):
        user = self.new_user("retry charge")
        request = {"op": "point.charge", "user_id": user, "amount": 1234, "request_id": "c-1"}
        first = self.raw(request)
        self.assertEqual(json.loads(first)["point"], 1234)
        for _ in range(3):
            self.assertEqual(self.raw(request), first)
        self.assertEqual(self.balance(user), 1234)
        self.assertEqual(len(self.history(user)), 1)
        # Keys order does not make it a different request.
        reordered = json.dumps(dict(reversed(list(request.items())))).encode()
        self.assertEqual(self.client.send_frames([reordered]), first)
        # A new request_id is a new charge.
        self.call_ok(op="point.charge", user_id=user, amount=1234, request_id="c-2")
        self.assertEqual(self.balance(user), 2468)
        # The key is user_id + request_id: another user may use the same id.
        other = self.new_user("other")
        reply = self.call_ok(op="point.charge", user_id=other, amount=99, request_id="c-1")
        self.assertEqual(reply["point"], 99)
        self.assertEqual(self.balance(user), 2468)
        self.assertEqual(len(self.history(user)), 2)

    def test_conflict_when_every_optimistic_attempt_loses(self):
        user = self.new_user("unlucky")
        other_writer = sqlite3.connect(self.daemon.database, timeout=30)
        self.addCleanup(other_writer.close)
        other_writer.execute("CREATE TRIGGER always_loses BEFORE UPDATE OF point ON users"
                             " WHEN NEW.id = %d BEGIN SELECT RAISE(IGNORE); END" % user)
        other_writer.commit()
        request = dict(op="point.charge", user_id=user, amount=500, request_id="race-1")
        self.call_error("CONFLICT", **request)
        self.assertEqual(self.balance(user), 0)
        self.assertEqual(self.history(user), [])
        # Not kept as the request's answer: the retry runs again, and wins.
        other_writer.execute("DROP TRIGGER always_loses")
        other_writer.commit()
        self.assertEqual(self.call_ok(**request)["point"], 500)
        self.assertEqual(len(self.history(user)), 1)

    def test_internal_while_another_process_holds_the_write_lock(self):
        user = self.new_user("patient")
        other_writer = sqlite3.connect(self.daemon.database, timeout=30,
                                       isolation_level=None)
        self.addCleanup(other_writer.close)
        other_writer.execute("BEGIN IMMEDIATE")
        try:
            # The daemon waits out its busy timeout (5 s), then answers.
            with Client(self.daemon.endpoint, timeout_ms=30000) as client:
                reply = client.call(op="point.charge", user_id=user, amount=300,
                                    request_id="busy-1")
        finally:
            other_writer.execute("COMMIT")
        self.assertIs(reply.get("ok"), False, reply)
        self.assertEqual(reply.get("error"), "INTERNAL", reply)
        self.assertEqual(reply.get("request_id"), "busy-1", reply)
        self.assertIn("busy", reply.get("message"), reply)
        # Nothing was applied or kept: the retry is applied, once.
        self.assertEqual(self.call_ok(op="point.charge", user_id=user, amount=300,
                                      request_id="busy-1")["point"], 300)
        self.assertEqual(self.balance(user), 300)

    def test_request_id_reused_for_a_different_request(self):
        user = self.new_user("reuse")
        self.call_ok(op="point.charge", user_id=user, amount=500, request_id="r-1")
        reply = self.call_error("BAD_REQUEST", op="point.charge", user_id=user, amount=600,
                                request_id="r-1")
        self.assertIn("request_id", reply["message"])
        token = self.active_token(user)
        self.call_error("BAD_REQUEST", op="seat.reserve", user_id=user, token=token,
                        schedule_id=1, seat_number=1, request_id="r-1")
        self.assertEqual(self.balance(user), 500)
        self.assertEqual(len(self.history(user)), 1)
        self.assertEqual(self.reservations(user), [])
        self.assertEqual(self.left_tickets(user, token, 1), 50)
        # user.create keys on request_id alone.
        self.call_ok(op="user.create", name="first name", request_id="u-1")
        users = self.db_scalar("SELECT COUNT(*) FROM users")
        self.call_error("BAD_REQUEST", op="user.create", name="second name", request_id="u-1")
        self.assertEqual(self.db_scalar("SELECT COUNT(*) FROM users"), users)

    def test_retried_seat_reserve_is_applied_once(self):
        user = self.new_user("retry hold")
        token = self.active_token(user)
        request = {"op": "seat.reserve", "user_id": user, "token": token, "schedule_id": 1,
                   "seat_number": 17, "request_id": "h-1"}
        first = self.raw(request)
        self.assertIs(json.loads(first)["ok"], True, first)
        self.assertEqual(self.raw(request), first)
        self.assertEqual(self.raw(request), first)
        self.assertEqual(len(self.reservations(user)), 1)
        self.assertEqual(self.left_tickets(user, token, 1), 49)
        # An error reply of the op itself is kept too: another user's retry of a
        # SEAT_TAKEN gets SEAT_TAKEN again, unchanged.
        other = self.new_user("other")
        other_token = self.active_token(other)
        taken = dict(request, user_id=other, token=other_token)
        refused = self.raw(taken)
        self.assertEqual(json.loads(refused)["error"], "SEAT_TAKEN")
        self.assertEqual(self.raw(taken), refused)
        self.assertEqual(self.reservations(other), [])

    def test_retried_payment_is_applied_once(self):
        user = self.new_user("retry pay", points=300000)
        token = self.active_token(user)
        held = self.hold(user, token, 2)
        request = {"op": "payment.pay", "user_id": user, "token": token,
                   "reservation_id": held["reservation_id"], "request_id": "p-1"}
        first = self.raw(request)
        reply = json.loads(first)
        self.assertEqual(reply["reservation_status"], "paid", reply)
        self.assertEqual(reply["point"], 300000 - 120000)
        # The payment expired the token; the retry still gets the original reply.
        self.call_error("TOKEN_EXPIRED", op="concert.list", user_id=user, token=token)
        self.assertEqual(self.raw(request), first)
        self.assertEqual(self.raw(request), first)
        self.assertEqual(self.balance(user), 180000)
        entries = self.history(user)
        self.assertEqual(len(entries), 2)
        self.assertEqual([e["kind"] for e in entries], ["use", "charge"])

    def test_retried_user_create_is_applied_once(self):
        request = {"op": "user.create", "name": "once", "request_id": "u-42"}
        first = self.raw(request)
        user = json.loads(first)["user_id"]
        users = self.db_scalar("SELECT COUNT(*) FROM users")
        self.assertEqual(self.raw(request), first)
        self.assertEqual(self.raw(request), first)
        self.assertEqual(self.db_scalar("SELECT COUNT(*) FROM users"), users)
        self.assertEqual(self.db_scalar("SELECT COUNT(*) FROM users WHERE name = 'once'"), 1)
        self.assertEqual(self.balance(user), 0)
        other = self.call_ok(op="user.create", name="once", request_id="u-43")["user_id"]
        self.assertNotEqual(other, user)


class WaitingRoomTest(ProtocolCase):
    """One admission per hour: the first user in is active, the next waits."""

    DAEMON_ARGS = ["--admit-batch", "1", "--admit-interval-ms", "3600000",
                   "--token-ttl", "30", "--hold-ttl", "30"]

    def test_token_waiting(self):
        # The hour's single admission normally goes to the first user; should an
        # hour boundary fall between two calls, the next user takes it instead.
        users, entered = [], None
        for attempt in range(3):
            user = self.new_user("fan %d" % attempt)
            reply = self.shaped(op="queue.enter", user_id=user)
            users.append((user, reply))
            if reply["status"] == "wait":
                entered = (user, reply)
                break
        self.assertIsNotNone(entered, "with --admit-batch 1 someone must wait: %r" % users)
        active_user, active_reply = users[0]
        self.assertEqual(active_reply["status"], "active")
        user, reply = entered
        token = reply["token"]
        self.assertEqual(reply["position"], 1)
        self.assertIn("expires_at", reply)
        self.assertIsNone(reply["expires_at"], "expires_at is null while waiting")

        status = self.shaped(op="queue.status", user_id=user, token=token)
        self.assertEqual(status["status"], "wait")
        self.assertEqual(status["position"], 1)
        self.assertEqual(status["waiting"], 1)
        self.assertGreater(status["eta_s"], 0)
        self.assertIsNone(status["expires_at"])

        for op, fields in (("concert.list", {}), ("concert.dates", {"concert_id": 1}),
                           ("concert.seats", {"schedule_id": 1}),
                           ("seat.reserve", {"schedule_id": 1, "seat_number": 1}),
                           ("payment.pay", {"reservation_id": MISSING_ID})):
            self.call_error("TOKEN_WAITING", op=op, user_id=user, token=token, **fields)
        # A waiting token is still someone else's to everyone else.
        self.call_error("TOKEN_INVALID", op="concert.list", user_id=active_user, token=token)

        # Entering again keeps the same token and place.
        again = self.shaped(op="queue.enter", user_id=user)
        self.assertEqual(again["token"], token)
        self.assertEqual(again["status"], "wait")
        self.assertEqual(again["position"], 1)
        self.assertIsNone(again["expires_at"])

        ping = self.shaped(op="server.ping")
        self.assertEqual(ping["waiting"], 1)
        self.assertEqual(ping["active"], len(users) - 1)
        self.assertEqual(self.reservations(user), [])


class TokenExpiryTest(ProtocolCase):
    DAEMON_ARGS = ["--admit-interval-ms", "200", "--token-ttl", "1", "--hold-ttl", "30"]

    def test_token_expired(self):
        user = self.new_user("slow")
        token = self.active_token(user)
        status = self.call_ok(op="queue.status", user_id=user, token=token)
        self.call_ok(op="concert.list", user_id=user, token=token)
        self.sleep_past(status["expires_at"])
        for op, fields in (("concert.list", {}), ("concert.dates", {"concert_id": 1}),
                           ("concert.seats", {"schedule_id": 1}),
                           ("seat.reserve", {"schedule_id": 1, "seat_number": 1}),
                           ("payment.pay", {"reservation_id": MISSING_ID})):
            self.call_error("TOKEN_EXPIRED", op=op, user_id=user, token=token, **fields)
        status = self.shaped(op="queue.status", user_id=user, token=token)
        self.assertEqual(status["status"], "expired")
        self.assertEqual(status["position"], 0)
        self.assertEqual(self.reservations(user), [])
        # Entering again gives a new token.
        fresh = self.shaped(op="queue.enter", user_id=user)
        self.assertNotEqual(fresh["token"], token)


class HoldExpiryTest(ProtocolCase):
    DAEMON_ARGS = ["--admit-interval-ms", "200", "--token-ttl", "30", "--hold-ttl", "1"]

    def test_hold_expired(self):
        user = self.new_user("dawdler", points=500000)
        token = self.active_token(user)
        held = self.hold(user, token, 19)
        self.assertEqual(self.left_tickets(user, token, 1), 49)
        self.sleep_past(held["hold_expires_at"], margin=0.5)
        self.call_error("HOLD_EXPIRED", op="payment.pay", user_id=user, token=token,
                        reservation_id=held["reservation_id"])
        self.assertEqual(self.balance(user), 500000)
        self.assertEqual(len(self.history(user)), 1)
        listed = self.reservations(user)
        self.assertEqual(listed[0]["status"], "cancelled")
        self.assertIsNone(listed[0]["hold_expires_at"])
        seats, free = self.seats(user, token, 1)
        self.assertEqual(seats[19]["status"], "free")
        self.assertIn(19, free)
        self.assertEqual(self.left_tickets(user, token, 1), 50)
        # Still expired on a second try; the token was not spent.
        self.call_error("HOLD_EXPIRED", op="payment.pay", user_id=user, token=token,
                        reservation_id=held["reservation_id"])
        self.call_ok(op="concert.list", user_id=user, token=token)
        # The seat can be taken again.
        self.hold(user, token, 19)


if __name__ == "__main__":
    unittest.main()
