#!/usr/bin/python3
"""Buy a concert ticket from boxofficed, end to end.

    /usr/bin/python3 examples/buy_ticket.py [--endpoint tcp://127.0.0.1:5555] [--name Minji]

Creates a user, waits in line until admitted, picks the first free seat of the
first open show of the first concert that has one, charges exactly the points
it costs, and pays. Needs pyzmq (Debian: python3-zmq). Every write carries a
request_id, so the retry after a lost reply is applied once (Lazy Pirate).
"""

import argparse
import json
import sys
import time
import uuid

import zmq

REPLY_TIMEOUT_MS = 3000
RETRIES = 5


class Box:
    """A REQ client that retries on silence: close, reopen, resend the same bytes."""

    def __init__(self, endpoint):
        self.endpoint = endpoint
        self.context = zmq.Context.instance()
        self.socket = None
        self._connect()

    def _connect(self):
        if self.socket is not None:
            self.socket.close(linger=0)
        self.socket = self.context.socket(zmq.REQ)
        self.socket.connect(self.endpoint)

    def call(self, op, **fields):
        request = dict(op=op, request_id=str(uuid.uuid4()), **fields)
        data = json.dumps(request).encode()
        for _ in range(RETRIES):
            self.socket.send(data)
            if self.socket.poll(REPLY_TIMEOUT_MS):
                reply = json.loads(self.socket.recv())
                if not reply["ok"]:
                    raise RuntimeError("%s: %s: %s" % (op, reply["error"], reply["message"]))
                return reply
            print("no reply to %s; retrying" % op, file=sys.stderr)
            self._connect()
        raise RuntimeError("boxofficed at %s does not answer" % self.endpoint)


def wait_for_turn(box, user_id):
    line = box.call("queue.enter", user_id=user_id)
    while line["status"] == "wait":
        print("in line: %d of %d, about %d s" % (line["position"], line["waiting"], line["eta_s"]))
        time.sleep(1)
        line = box.call("queue.status", user_id=user_id, token=line["token"])
    if line["status"] != "active":
        raise RuntimeError("the place in line lapsed")
    print("admitted; the token expires at %s" % line["expires_at"])
    return line["token"]


def first_free_seat(box, user_id, token):
    for concert in box.call("concert.list", user_id=user_id, token=token)["concerts"]:
        shows = box.call("concert.dates", user_id=user_id, token=token,
                         concert_id=concert["concert_id"])["dates"]
        for show in shows:
            seats = box.call("concert.seats", user_id=user_id, token=token,
                             schedule_id=show["schedule_id"])
            if seats["free"]:
                return show, seats["free"][0]
    raise RuntimeError("every show is sold out or closed")


def main():
    parser = argparse.ArgumentParser(description="Buy one ticket from boxofficed.")
    parser.add_argument("--endpoint", default="tcp://127.0.0.1:5555")
    parser.add_argument("--name", default="script buyer")
    args = parser.parse_args()

    box = Box(args.endpoint)
    user_id = box.call("user.create", name=args.name)["user_id"]
    token = wait_for_turn(box, user_id)
    show, seat = first_free_seat(box, user_id, token)
    hold = box.call("seat.reserve", user_id=user_id, token=token,
                    schedule_id=show["schedule_id"], seat_number=seat)
    print("holding seat %d of %s at %s until %s"
          % (seat, hold["title"], hold["show_time"], hold["hold_expires_at"]))
    box.call("point.charge", user_id=user_id, amount=hold["price"])
    paid = box.call("payment.pay", user_id=user_id, token=token,
                    reservation_id=hold["reservation_id"])
    print("reservation %d is %s; %d points left"
          % (hold["reservation_id"], paid["reservation_status"], paid["point"]))


if __name__ == "__main__":
    try:
        main()
    except RuntimeError as error:
        sys.exit("buy_ticket: %s" % error)
