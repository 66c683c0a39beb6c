"""A catalogue of hostile requests against a real boxofficed (see harness.py).

Each entry sends something a broken or malicious client might: JSON nested
past any sane depth, huge strings, NUL bytes, invalid UTF-8, numbers past
2^63, values of the wrong type in every field, another user's token or
reservation, replayed and forged retries. For each the test checks the
error code (or that it succeeds, where it must), and, the point of the
catalogue, that nothing changed: balances, ledgers, reservations, seat
states, tickets left and the waiting line are read through the protocol
before and after, the server must still answer server.ping on a new
connection, and the daemon's database must pass harness.broken_invariants
at teardown.

test_protocol.py covers the ordinary errors of each op; here the inputs are
the hostile ones, and every entry is checked against the whole visible
state. Replies are parsed with Python's json module, which accepts only
valid JSON: a reply the server mangled fails the test.
"""

import json
import unittest

import zmq

from harness import CONTEXT, Client, DaemonTestCase

ALICE, BOB, CAROL = 1, 2, 3  # demo users: 500000, 200000 and 0 points
BUYER = 4  # the demo user who bought show 6
MISSING_ID = 987654321
UNKNOWN_TOKEN = "A" * 32
MAX_FRAME = 64 * 1024
# Longer lives than harness.FAST, so no hold or token lapses during a test
# and changes the state under the comparison.
HOSTILE_ARGS = ["--admit-interval-ms", "200", "--token-ttl", "300", "--hold-ttl", "300"]


def dumps(request):
    return json.dumps(request, separators=(",", ":")).encode()


def many_members(count, extra=b'"op":"server.ping"'):
    """An object with `count` distinct short members (k0, k1...) plus `extra`."""
    members = b",".join(b'"k%x":0' % i for i in range(count))
    return b"{" + members + b"," + extra + b"}"


class HostileCase(DaemonTestCase):
    """A daemon with the demo data, two admitted users, and a held seat: Alice
    holds seat 9 of show 1, so another user's reservation is at hand."""

    DAEMON_ARGS = HOSTILE_ARGS

    def setUp(self):
        super().setUp()
        self.alice_token = self.active_token(ALICE)
        self.bob_token = self.active_token(BOB)
        # The observer reads seats and shows; it never pays, so its token lasts.
        self.observer_token = self.active_token(BUYER)
        self.held = self.call_ok(op="seat.reserve", user_id=ALICE, token=self.alice_token,
                                 schedule_id=1, seat_number=9)
        self.reservation = self.held["reservation_id"]

    # --- the visible state --------------------------------------------------

    def state(self):
        """Everything a client can see that a request could change."""
        state = {}
        for user in (ALICE, BOB, CAROL, BUYER):
            state["balance", user] = self.call_ok(op="point.balance", user_id=user)["point"]
            state["ledger", user] = self.call_ok(op="point.history", user_id=user,
                                                 limit=1000)["entries"]
            state["reservations", user] = self.call_ok(op="reservation.list",
                                                       user_id=user)["reservations"]
        # No user was created: the next id does not exist.
        reply = self.client.call(op="point.balance", user_id=BUYER + 1)
        state["next user"] = reply.get("error")
        for show in range(1, 9):
            reply = self.call_ok(op="concert.seats", user_id=BUYER,
                                 token=self.observer_token, schedule_id=show)
            state["seats", show] = [(s["number"], s["status"]) for s in reply["seats"]]
        for concert in range(1, 5):
            dates = self.call_ok(op="concert.dates", user_id=BUYER,
                                 token=self.observer_token, concert_id=concert)["dates"]
            state["left", concert] = [(d["schedule_id"], d["left_tickets"]) for d in dates]
        ping = self.call_ok(op="server.ping")
        state["line"] = (ping["waiting"], ping["active"])
        for user, token in ((ALICE, self.alice_token), (BOB, self.bob_token)):
            reply = self.call_ok(op="queue.status", user_id=user, token=token)
            state["token", user] = (reply["status"], reply["expires_at"])
        return state

    def assert_serving(self):
        """A brand-new client gets an answer to server.ping."""
        with Client(self.daemon.endpoint, timeout_ms=5000) as client:
            reply = client.call(op="server.ping")
        self.assertIs(reply.get("ok"), True, reply)

    def assert_unchanged(self, before, what):
        after = self.state()
        for key in before:
            self.assertEqual(before[key], after[key], "%s changed %r" % (what, key))
        self.assert_serving()

    # --- sending -----------------------------------------------------------------

    def send(self, data):
        """Sends raw bytes as one frame; returns the parsed reply."""
        reply = self.client.send_frames([data])
        try:
            return json.loads(reply)
        except ValueError:
            self.fail("reply to %r is not valid JSON: %r" % (data[:80], reply[:200]))

    def rejected(self, code, data):
        """Sends raw bytes that must fail with `code` and a message."""
        reply = self.send(data)
        where = "%r... (%d bytes) -> %r" % (data[:80], len(data), reply)
        self.assertIs(reply.get("ok"), False, where)
        self.assertEqual(reply.get("error"), code, where)
        self.assertIsInstance(reply.get("message"), str, where)
        self.assertTrue(reply["message"], where)
        self.assertLess(len(reply["message"]), 1000, "the message echoes the input: " + where)
        return reply

    def catalogue(self, entries, what):
        """Runs (code, bytes) entries, then checks that nothing changed."""
        before = self.state()
        for code, data in entries:
            with self.subTest(what=what, request=data[:60], size=len(data)):
                if code == "ok":
                    reply = self.send(data)
                    self.assertIs(reply.get("ok"), True, "%r -> %r" % (data[:80], reply))
                else:
                    self.rejected(code, data)
        self.assert_unchanged(before, what)

    # The requests the catalogue bends: for each op, one that passes the
    # decoder but fails (or only reads) without changing anything, so any
    # field that is dropped or ignored still leaves the state as it was.
    def templates(self):
        return {
            "user.create": ({"name": "   "}, "BAD_REQUEST"),
            "queue.enter": ({"user_id": MISSING_ID}, "NOT_FOUND"),
            "queue.status": ({"user_id": ALICE, "token": UNKNOWN_TOKEN}, "TOKEN_INVALID"),
            "concert.list": ({"user_id": ALICE, "token": UNKNOWN_TOKEN}, "TOKEN_INVALID"),
            "concert.dates": ({"user_id": ALICE, "token": UNKNOWN_TOKEN, "concert_id": 1},
                              "TOKEN_INVALID"),
            "concert.seats": ({"user_id": ALICE, "token": UNKNOWN_TOKEN, "schedule_id": 1},
                              "TOKEN_INVALID"),
            "seat.reserve": ({"user_id": BOB, "token": self.bob_token, "schedule_id": 4,
                              "seat_number": 1}, "NOT_RESERVABLE"),
            "point.charge": ({"user_id": MISSING_ID, "amount": 100}, "NOT_FOUND"),
            "point.balance": ({"user_id": ALICE}, "ok"),
            "point.history": ({"user_id": ALICE, "limit": 5}, "ok"),
            "payment.pay": ({"user_id": BOB, "token": self.bob_token,
                             "reservation_id": self.reservation}, "FORBIDDEN"),
            "reservation.list": ({"user_id": ALICE}, "ok"),
            "server.ping": ({}, "ok"),
        }


class HostileInputTest(HostileCase):
    """Frames that are hostile as bytes: depth, size, NUL, UTF-8."""

    def test_deep_nesting(self):
        depth = 100000
        entries = [
            # Past the frame limit: refused before parsing.
            ("TOO_LARGE", b"[" * depth),
            ("TOO_LARGE", b"[" * depth + b"]" * depth),
            ("TOO_LARGE", b'{"a":' * depth),
            ("TOO_LARGE", b'{"a":' * depth + b"1" + b"}" * depth),
            # As deep as fits in a frame: the parser's depth limit answers.
            ("BAD_REQUEST", b"[" * MAX_FRAME),
            ("BAD_REQUEST", b"[" * 32000 + b"]" * 32000),
            ("BAD_REQUEST", b'{"a":' * 13000),
            ("BAD_REQUEST", b'{"op":"server.ping","a":' + b'{"a":' * 10000 + b"1"
             + b"}" * 10001),
            ("BAD_REQUEST", b'{"op":"point.charge","user_id":1,"amount":5,"x":'
             + b"[" * 5000 + b"]" * 5000 + b"}"),
            # Deep but within the limit, in a member nobody reads: served.
            ("ok", b'{"op":"server.ping","a":' + b"[" * 1000 + b"]" * 1000 + b"}"),
        ]
        self.catalogue(entries, "deep nesting")

    def test_huge_strings(self):
        huge = "x" * (60 * 1024)
        entries = [
            ("BAD_REQUEST", dumps({"op": "user.create", "name": huge})),
            ("BAD_REQUEST", dumps({"op": "point.charge", "user_id": ALICE, "amount": 5,
                                   "request_id": huge})),
            ("BAD_REQUEST", dumps({"op": "concert.list", "user_id": ALICE, "token": huge})),
            ("BAD_REQUEST", dumps({"op": "seat.reserve", "user_id": BOB,
                                   "token": self.bob_token, "concert_id": 1,
                                   "concert_date": huge, "seat_number": 1})),
            ("UNKNOWN_OP", dumps({"op": huge})),
            ("BAD_REQUEST", dumps({"op": "point.balance", "user_id": huge})),
            ("ok", dumps({"op": "server.ping", "padding": huge})),
            ("ok", dumps({"op": "point.balance", "user_id": ALICE, huge: 1})),
            # One byte past the limit, and a frame the size of the limit
            # made of a single string.
            ("TOO_LARGE", dumps({"op": "user.create", "name": "y" * MAX_FRAME})),
            ("BAD_REQUEST", b'"' + b"z" * (MAX_FRAME - 2) + b'"'),
        ]
        self.catalogue(entries, "huge strings")

    def test_many_members(self):
        # 10,000 members do not fit in 64 KiB: refused unparsed. 6,000 do, and
        # unknown members are ignored; a duplicate among them is refused.
        entries = [
            ("TOO_LARGE", many_members(10000)),
            ("ok", many_members(6000)),
            ("ok", many_members(6000, b'"op":"point.balance","user_id":1')),
            ("BAD_REQUEST", many_members(6000, b'"op":"point.charge","user_id":1,"amount":5,'
                                               b'"k0":1')),
            ("BAD_REQUEST", b'{"op":"point.charge","user_id":1,"amount":5,"amount":10000000}'),
            ("BAD_REQUEST", b'{"op":"point.charge","op":"point.balance","user_id":1,'
                            b'"amount":5}'),
            ("BAD_REQUEST", b'{"op":"payment.pay","user_id":2,"user_id":1,"token":"%s",'
                            b'"reservation_id":%d}'
             % (self.alice_token.encode(), self.reservation)),
            ("BAD_REQUEST", b'{"op":"server.ping","x":{"a":1,"a":2}}'),
        ]
        self.catalogue(entries, "many members and duplicate keys")

    def test_nul_bytes(self):
        charge = b'{"op":"point.charge","user_id":1,"amount":5}'
        token = self.alice_token.encode()
        entries = [
            # Raw NUL: inside a string, before, after and instead of the object.
            ("BAD_REQUEST", b'{"op":"point.charge\x00","user_id":1,"amount":5}'),
            ("BAD_REQUEST", b'{"op":"user.create","name":"nul\x00name"}'),
            ("BAD_REQUEST", charge + b"\x00"),
            ("BAD_REQUEST", charge + b"\x00" + charge),
            ("BAD_REQUEST", b"\x00" + charge),
            ("BAD_REQUEST", b"\x00"),
            ("BAD_REQUEST", b"\x00" * 1000),
            # As \u0000 escapes, in every kind of string.
            ("BAD_REQUEST", b'{"op":"user.create","name":"a\\u0000b"}'),
            ("BAD_REQUEST", b'{"op":"point.charge\\u0000","user_id":1,"amount":5}'),
            ("BAD_REQUEST", b'{"op":"point.charge","user_id":1,"amount":5,'
                            b'"request_id":"r\\u0000x"}'),
            ("BAD_REQUEST", b'{"op":"seat.reserve","user_id":1,"token":"' + token
             + b'\\u0000junk","schedule_id":1,"seat_number":10}'),
            ("BAD_REQUEST", b'{"op":"seat.reserve","user_id":1,"token":"' + token
             + b'","concert_id":1,"concert_date":"2030-01-01\\u0000","seat_number":10}'),
            ("BAD_REQUEST", b'{"op\\u0000":"server.ping"}'),
        ]
        self.catalogue(entries, "NUL bytes")

    def test_invalid_utf8(self):
        def named(raw):
            return b'{"op":"user.create","name":"' + raw + b'"}'

        entries = [
            ("BAD_REQUEST", named(b"\xc0\xaf")),  # overlong '/'
            ("BAD_REQUEST", named(b"\xe0\x80\xaf")),  # overlong, three bytes
            ("BAD_REQUEST", named(b"\xf0\x80\x80\xaf")),  # overlong, four bytes
            ("BAD_REQUEST", named(b"\xc1\xbf")),
            ("BAD_REQUEST", named(b"\x80")),  # lone continuation byte
            ("BAD_REQUEST", named(b"abc\xbfdef")),
            ("BAD_REQUEST", named(b"\xed\xa0\x80")),  # U+D800 as raw bytes
            ("BAD_REQUEST", named(b"\xed\xbf\xbf")),  # U+DFFF as raw bytes
            ("BAD_REQUEST", named(b"\xed\xa0\xbd\xed\xb2\xa9")),  # a CESU-8 pair
            ("BAD_REQUEST", named(b"\xf4\x90\x80\x80")),  # past U+10FFFF
            ("BAD_REQUEST", named(b"\xff\xfe")),
            ("BAD_REQUEST", named(b"cut \xe2\x82")),  # truncated sequence
            ("BAD_REQUEST", named(b"\\ud800")),  # lone surrogates as escapes
            ("BAD_REQUEST", named(b"\\udfff")),
            ("BAD_REQUEST", named(b"\\ud800\\ud800")),
            ("BAD_REQUEST", named(b"\\udc00\\ud800")),  # a pair in the wrong order
            ("BAD_REQUEST", named(b"\\ud800x")),
            ("BAD_REQUEST", b'{"op":"server.ping\xff"}'),
            ("BAD_REQUEST", b'{"op":"point.charge","user_id":1,"amount":5,'
                            b'"request_id":"\xc0\xaf"}'),
            ("BAD_REQUEST", b'{"op":"point.charge","user_id":1,"amount":5,"\xed\xa0\x80":1}'),
            ("BAD_REQUEST", b'\xef\xbb\xbf{"op":"server.ping"}'),  # a byte-order mark
            ("BAD_REQUEST", b'{"op":"server.ping"}\xff'),
        ]
        self.catalogue(entries, "invalid UTF-8")

    def test_error_messages_stay_valid_utf8(self):
        # Every error reply carries a message (CONTRACT: "error" and
        # "message"), even when the text the server would quote is cut in the
        # middle of a UTF-8 sequence: an unknown op name longer than the 100
        # bytes quoted, or the parser's "near '...'" excerpt stopping inside a
        # character. Found by the fuzzer: tests/fuzz/corpus/regress-*.
        entries = [
            ("UNKNOWN_OP", json.dumps({"op": "a" + "\u00e9" * 60}, ensure_ascii=False).encode()),
            ("UNKNOWN_OP", json.dumps({"op": "좌석예약" * 30}, ensure_ascii=False).encode()),
            ("UNKNOWN_OP", dumps({"op": "a" + "\u00e9" * 100})),  # as \u escapes
            ("BAD_REQUEST", '{"op":"user.create","name":"\\uř"}'.encode()),
            ("BAD_REQUEST", '{"op":"user.create","name":"\\u00ř"}'.encode()),
        ]
        self.catalogue(entries, "messages cut inside UTF-8")

    def test_long_op_names(self):
        entries = [
            ("UNKNOWN_OP", dumps({"op": "x" * 60000})),
            ("UNKNOWN_OP", dumps({"op": "seat.reserve" * 1000, "user_id": BOB,
                                  "token": self.bob_token, "schedule_id": 1,
                                  "seat_number": 1})),
            ("UNKNOWN_OP", dumps({"op": "payment.pay" + " " * 50000, "user_id": ALICE,
                                  "token": self.alice_token,
                                  "reservation_id": self.reservation})),
            ("UNKNOWN_OP", dumps({"op": "point.charge.", "user_id": ALICE, "amount": 5})),
            ("UNKNOWN_OP", dumps({"op": "point.charge\n", "user_id": ALICE, "amount": 5})),
            ("UNKNOWN_OP", dumps({"op": "%s%s%s%n", "user_id": ALICE})),
        ]
        self.catalogue(entries, "long op names")


class HostileValuesTest(HostileCase):
    """Well-formed JSON with hostile values in the fields."""

    def test_integers_past_the_limits(self):
        token = self.bob_token
        too_big = ("9223372036854775808", "18446744073709551616", "-9223372036854775809",
                   "1" + "0" * 400)
        out_of_range = ("9223372036854775807", "-9223372036854775808", "9007199254740992",
                        "-0", "0", "-1")
        entries = []
        shapes = (
            '{"op":"point.charge","user_id":%s,"amount":5}',
            '{"op":"point.charge","user_id":1,"amount":%s}',
            '{"op":"seat.reserve","user_id":2,"token":"%s","schedule_id":%%s,"seat_number":10}'
            % token,
            '{"op":"seat.reserve","user_id":2,"token":"%s","schedule_id":1,"seat_number":%%s}'
            % token,
            '{"op":"payment.pay","user_id":2,"token":"%s","reservation_id":%%s}' % token,
            '{"op":"concert.dates","user_id":2,"token":"%s","concert_id":%%s}' % token,
            '{"op":"point.history","user_id":1,"limit":%s}',
        )
        for shape in shapes:
            for number in too_big + out_of_range:
                entries.append(("BAD_REQUEST", (shape % number).encode()))
        # 2^53 - 1 is the largest id: well-formed, and no such thing exists.
        entries += [
            ("NOT_FOUND", b'{"op":"point.charge","user_id":9007199254740991,"amount":5}'),
            ("NOT_FOUND", ('{"op":"payment.pay","user_id":2,"token":"%s",'
                           '"reservation_id":9007199254740991}' % token).encode()),
            ("NOT_FOUND", ('{"op":"seat.reserve","user_id":2,"token":"%s",'
                           '"schedule_id":9007199254740991,"seat_number":10}' % token).encode()),
        ]
        self.catalogue(entries, "integers past the limits")

    def test_floats_and_strings_where_integers_belong(self):
        token = self.bob_token
        entries = []
        for text in ("5.0", "5e0", "5E+0", "0.5e1", "-0.0", "1e400", "5.000000000000001",
                     '"5"', '"0x5"', '" 5"', "[5]", "{}"):
            for shape in ('{"op":"point.charge","user_id":1,"amount":%s}',
                          '{"op":"point.charge","user_id":%s,"amount":100}',
                          '{"op":"seat.reserve","user_id":2,"token":"' + token
                          + '","schedule_id":1,"seat_number":%s}',
                          '{"op":"payment.pay","user_id":2,"token":"' + token
                          + '","reservation_id":%s}'):
                entries.append(("BAD_REQUEST", (shape % text).encode()))
        self.catalogue(entries, "floats and strings for integers")

    def test_booleans_and_nulls_in_every_field(self):
        fields = {
            "user.create": {"name": True},
            "queue.enter": {"user_id": True},
            "queue.status": {"user_id": True, "token": True},
            "concert.list": {"user_id": True, "token": True},
            "concert.dates": {"user_id": True, "token": True, "concert_id": True},
            "concert.seats": {"user_id": True, "token": True, "schedule_id": True},
            # schedule_id is optional, but without it neither form names a show.
            "seat.reserve": {"user_id": True, "token": True, "seat_number": True,
                             "schedule_id": True, "concert_id": False, "concert_date": False},
            "point.charge": {"user_id": True, "amount": True},
            "point.balance": {"user_id": True},
            "point.history": {"user_id": True, "limit": False},
            "payment.pay": {"user_id": True, "token": True, "reservation_id": True},
            "reservation.list": {"user_id": True},
            "server.ping": {},
        }  # field -> required (a null counts as absent)
        templates = self.templates()
        entries = []
        for op, (template, outcome) in templates.items():
            for field, required in dict(fields[op], op=True, request_id=False).items():
                for value in (True, False, None):
                    request = dict(template, op=op)
                    request[field] = value
                    if value is None and not required:
                        expected = outcome  # null is absent: the template's own outcome
                    else:
                        expected = "BAD_REQUEST"
                    entries.append((expected, dumps(request)))
        self.catalogue(entries, "booleans and nulls")

    def test_unknown_members_are_ignored(self):
        extras = {"admin": True, "price": 0, "point": 10 ** 9, "balance": 10 ** 9,
                  "owner": ALICE, "status": "paid", "users": [ALICE, BOB],
                  "nested": {"op": "point.charge", "amount": 10000000}, "": None}
        entries = []
        for op, (template, outcome) in self.templates().items():
            entries.append((outcome, dumps(dict(extras, op=op, **template))))
        self.catalogue(entries, "unknown members")
        # A write with unknown members does exactly what it says, no more.
        before = self.state()
        reply = self.call_ok(op="point.charge", user_id=CAROL, amount=300000, **extras)
        self.assertEqual(reply["point"], 300000)
        self.assertEqual(set(reply), {"ok", "point"}, "no unknown member is echoed")
        paid = self.call_ok(op="payment.pay", user_id=ALICE, token=self.alice_token,
                            reservation_id=self.reservation, **extras)
        self.assertEqual(paid["point"], 500000 - self.held["price"], "price 0 was ignored")
        after = self.state()
        self.assertEqual(after["balance", CAROL], 300000)
        self.assertEqual(len(after["ledger", CAROL]), len(before["ledger", CAROL]) + 1)
        self.assertEqual(after["balance", ALICE], 500000 - self.held["price"])
        self.assertEqual(after["balance", BOB], before["balance", BOB])
        self.assertEqual(after["reservations", ALICE][0]["status"], "paid")
        self.assertEqual(after["next user"], "NOT_FOUND")


class HostileIdentityTest(HostileCase):
    """Another user's token or reservation, replays and forged retries."""

    def test_another_users_token(self):
        alice, bob = self.alice_token, self.bob_token
        entries = []
        for user, token in ((BOB, alice), (ALICE, bob), (CAROL, alice), (BUYER, bob)):
            for op, fields in (("queue.status", {}), ("concert.list", {}),
                               ("concert.dates", {"concert_id": 1}),
                               ("concert.seats", {"schedule_id": 1}),
                               ("seat.reserve", {"schedule_id": 1, "seat_number": 20}),
                               ("seat.reserve", {"schedule_id": 1, "seat_number": 9}),
                               ("payment.pay", {"reservation_id": self.reservation})):
                entries.append(("TOKEN_INVALID", dumps(dict(fields, op=op, user_id=user,
                                                            token=token))))
        # Near misses of Alice's own token, and guesses.
        for token in (alice[:-1], alice + "A", alice.swapcase(), " " + alice, alice + " ",
                      alice[::-1], "%", "_" * 32, "*", "' OR '1'='1", "\" OR 1=1 --",
                      alice.encode().hex()[:128]):
            entries.append(("TOKEN_INVALID", dumps({"op": "payment.pay", "user_id": ALICE,
                                                    "token": token,
                                                    "reservation_id": self.reservation})))
        self.catalogue(entries, "another user's token")

    def test_another_users_reservation(self):
        pay = {"op": "payment.pay", "user_id": BOB, "token": self.bob_token,
               "reservation_id": self.reservation}
        entries = [
            ("FORBIDDEN", dumps(pay)),
            ("FORBIDDEN", dumps(dict(pay, request_id="steal-1"))),
            ("FORBIDDEN", dumps(dict(pay, request_id="steal-1"))),  # replayed
            # Alice's own request_id under Bob's user: another key, still his.
            ("FORBIDDEN", dumps(dict(pay, request_id="alice-pay"))),
            # Bob cannot take the held seat either.
            ("SEAT_TAKEN", dumps({"op": "seat.reserve", "user_id": BOB,
                                  "token": self.bob_token, "schedule_id": 1,
                                  "seat_number": 9})),
        ]
        self.catalogue(entries, "another user's reservation")
        # The owner still can pay, once; then Bob still cannot touch it.
        paid = self.call_ok(op="payment.pay", user_id=ALICE, token=self.alice_token,
                            reservation_id=self.reservation, request_id="alice-pay")
        self.assertEqual(paid["reservation_status"], "paid")
        self.call_error("FORBIDDEN", **pay)
        self.assertEqual(self.call_ok(op="point.balance", user_id=BOB)["point"], 200000)
        self.assertEqual(self.call_ok(op="point.balance", user_id=ALICE)["point"],
                         500000 - self.held["price"])

    def charge_state(self, user):
        return (self.call_ok(op="point.balance", user_id=user)["point"],
                len(self.call_ok(op="point.history", user_id=user, limit=1000)["entries"]))

    def test_replayed_requests_apply_once(self):
        before = self.state()
        request = {"op": "point.charge", "user_id": CAROL, "amount": 1234, "request_id": "c-1"}
        first = self.client.send_frames([dumps(request)])
        self.assertTrue(json.loads(first)["ok"], first)
        # The same request, written differently: members reordered, spaces,
        # escapes, unknown members, a null optional field. Each is the same
        # request, so each gets the first reply byte for byte.
        variants = [
            dumps(request),
            json.dumps(request, indent=4).encode(),
            dumps(dict(reversed(list(request.items())))),
            b'{"op":"point.charge","user_id":3,"amount":1234,"request_id":"c\\u002d1"}',
            b'{"op":"point\\u002echarge","user_id":3,"amount":1234,"request_id":"c-1"}',
            dumps(dict(request, color="blue", nested={"a": [1, 2]})),
        ] + [dumps(request)] * 20
        for data in variants:
            self.assertEqual(self.client.send_frames([data]), first, data)
        # Twenty copies at once over one DEALER socket, most likely drained
        # into one batch: one charge, twenty identical replies.
        storm = dict(request, request_id="c-storm")
        socket = CONTEXT.socket(zmq.DEALER)
        socket.setsockopt(zmq.LINGER, 0)
        socket.setsockopt(zmq.RCVTIMEO, 5000)
        socket.connect(self.daemon.endpoint)
        try:
            for _ in range(20):
                socket.send_multipart([b"", dumps(storm)])
            replies = {socket.recv_multipart()[1] for _ in range(20)}
        finally:
            socket.close(0)
        self.assertEqual(len(replies), 1, replies)
        self.assertTrue(json.loads(replies.pop())["ok"])
        self.assertEqual(self.charge_state(CAROL), (2468, 2), "two charges, each applied once")
        # A replayed hold and a replayed payment, applied once each.
        hold = {"op": "seat.reserve", "user_id": BOB, "token": self.bob_token,
                "schedule_id": 2, "seat_number": 33, "request_id": "h-1"}
        held = self.client.send_frames([dumps(hold)])
        reservation = json.loads(held)["reservation_id"]
        for _ in range(5):
            self.assertEqual(self.client.send_frames([dumps(hold)]), held)
        pay = {"op": "payment.pay", "user_id": BOB, "token": self.bob_token,
               "reservation_id": reservation, "request_id": "p-1"}
        paid = self.client.send_frames([dumps(pay)])
        self.assertEqual(json.loads(paid)["reservation_status"], "paid", paid)
        for _ in range(5):
            self.assertEqual(self.client.send_frames([dumps(pay)]), paid)
        after = self.state()
        price = json.loads(held)["price"]
        self.assertEqual(after["balance", BOB], before["balance", BOB] - price)
        self.assertEqual(len(after["ledger", BOB]), len(before["ledger", BOB]) + 1)
        self.assertEqual(len(after["reservations", BOB]), 1)
        left = dict(after["left", 1])
        self.assertEqual(left[2], dict(before["left", 1])[2] - 1, "one seat of show 2 taken")
        for key in before:
            if key not in (("balance", BOB), ("ledger", BOB), ("reservations", BOB),
                           ("balance", CAROL), ("ledger", CAROL), ("seats", 2), ("left", 1),
                           ("token", BOB), "line"):
                self.assertEqual(before[key], after[key], key)
        self.assert_serving()

    def test_request_id_reused_with_other_fields(self):
        charge = {"op": "point.charge", "user_id": CAROL, "amount": 500, "request_id": "r-1"}
        self.call_ok(**charge)
        hold = {"op": "seat.reserve", "user_id": BOB, "token": self.bob_token,
                "schedule_id": 3, "seat_number": 12, "request_id": "h-1"}
        self.call_ok(**hold)
        entries = [
            ("BAD_REQUEST", dumps(dict(charge, amount=501))),
            ("BAD_REQUEST", dumps(dict(charge, amount=10000000))),
            ("BAD_REQUEST", b'{"op":"point.charge","user_id":3,"amount":500.0,'
                            b'"request_id":"r-1"}'),
            ("BAD_REQUEST", dumps({"op": "queue.enter", "user_id": CAROL,
                                   "request_id": "r-1"})),
            ("BAD_REQUEST", dumps(dict(hold, seat_number=13))),
            ("BAD_REQUEST", dumps(dict(hold, schedule_id=2))),
            ("BAD_REQUEST", dumps({"op": "seat.reserve", "user_id": BOB,
                                   "token": self.bob_token, "concert_id": 2,
                                   "concert_date": "2030-01-01", "seat_number": 12,
                                   "request_id": "h-1"})),
            ("BAD_REQUEST", dumps({"op": "point.charge", "user_id": BOB, "amount": 5,
                                   "request_id": "h-1"})),
        ]
        self.catalogue(entries, "request_id reused with other fields")
        # The original requests still replay.
        self.assertEqual(self.call_ok(**charge)["point"], 500)


if __name__ == "__main__":
    unittest.main()
