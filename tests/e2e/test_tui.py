"""End-to-end tests of the boxoffice terminal client: the real `boxoffice` in a
tmux pane (80x24 unless a test resizes it) against a real `boxofficed`,
driven by keys and checked on the text tmux captures.

    BOXOFFICE=build/release/boxoffice BOXOFFICED=build/release/boxofficed \
        /usr/bin/python3 -m unittest discover -s tests/e2e -v

Every client is started from the pane's shell as
`boxoffice ...; echo EXITED=$?`, and every test ends by quitting it and
checking the terminal was left clean: exit status 0, the shell's prompt
back, no client process left, the alternate screen left, the cursor shown,
mouse reporting off, the tty modes as before, and no sanitizer report.
"""

import os
import re
import shlex
import sys
import time
import unicodedata
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
sys.path.insert(0, HERE)

from harness import SANITIZER_ENV, SANITIZER_MARKS, Client, Daemon, broken_invariants  # noqa: E402
from tmux import BOXOFFICE, PROMPT, Tmux  # noqa: E402

ADMIT = ["--admit-interval-ms", "200"]
TTL_30 = ["--token-ttl", "30", "--hold-ttl", "30"]
CLIENT_MARKS = ("boxoffice │", "? help  q ")
DATE_ROW = re.compile(r"> \w{3} \d\d \w{3} \d\d:\d\d ")
SEAT_CELL = re.compile(r"[\[>](?:\d\d|··|××)[\]<]")
GRID_ROW = re.compile(r"^\s*([A-E])  ((?:[\[>](?:\d\d|··|××)[\]<] ?){10})\s*$")
SANITIZER_TEXT = SANITIZER_MARKS + ("AddressSanitizer", "LeakSanitizer",
                                    "UndefinedBehaviorSanitizer")
KOREAN_TITLES = ("봄날의 재즈 — Spring Jazz Night", "베토벤 교향곡 9번 〈합창〉",
                 "Neon Nights Tour", "한여름 밤의 록 페스티벌")


# -- reading a captured screen ------------------------------------------------
def rows(screen):
    lines = screen.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def title(screen):
    lines = rows(screen)
    return lines[1].strip() if len(lines) > 1 else ""


def status_bar(screen):
    lines = rows(screen)
    return lines[0] if lines else ""


def message_line(screen):
    lines = rows(screen)
    return lines[-2].strip() if len(lines) > 2 else ""


def grid(screen):
    """{seat number: cell text} when all 50 cells are on screen, else None."""
    cells = {}
    for line in rows(screen):
        match = GRID_ROW.match(line)
        if match:
            row = ord(match.group(1)) - ord("A")
            for index, cell in enumerate(SEAT_CELL.findall(match.group(2))):
                cells[row * 10 + index + 1] = cell
    return cells if len(cells) == 50 else None


def cursor(cells):
    """The seat under the cursor (its cell's brackets turn to arrows)."""
    under = [seat for seat, cell in cells.items() if cell.startswith(">")]
    return under[0] if len(under) == 1 else None


def display_width(text):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def colour_sgr(screen_with_escapes):
    """The SGR parameters that set a foreground or background colour."""
    found = []
    for params in re.findall(r"\x1b\[([0-9;:]*)m", screen_with_escapes):
        for param in re.split(r"[;:]", params):
            if param and (30 <= int(param) <= 49 and int(param) not in (39, 49)
                          or 90 <= int(param) <= 107):
                found.append(params)
    return found


def countdown_s(screen, pattern):
    match = re.search(pattern + r"(\d+):(\d\d)", screen)
    return int(match.group(1)) * 60 + int(match.group(2)) if match else None


class TuiTestCase(unittest.TestCase):
    """Daemons, terminals and clients, each stopped by a cleanup."""

    maxDiff = None

    # -- daemons and a scripted second client -------------------------------
    def start_daemon(self, args=(), **kwargs):
        daemon = Daemon(args=list(args), **kwargs)
        self.addCleanup(daemon.cleanup)
        return daemon.start()

    def stop_daemon(self, daemon):
        code = daemon.stop()
        self.assertEqual(code, 0, "boxofficed exit status on SIGTERM:\n" + daemon.log_text())
        self.assertEqual(broken_invariants(daemon.database), {})

    def api(self, daemon):
        client = Client(daemon.endpoint, timeout_ms=10000)
        self.addCleanup(client.close)
        return client

    def call_ok(self, client, **request):
        reply = client.call(**request)
        self.assertTrue(reply.get("ok"), "%s failed: %r" % (request.get("op"), reply))
        return reply

    def new_user(self, client, name, points=0):
        user_id = self.call_ok(client, op="user.create", name=name)["user_id"]
        if points:
            self.call_ok(client, op="point.charge", user_id=user_id, amount=points)
        return user_id

    def active_token(self, client, user_id, timeout=10):
        reply = self.call_ok(client, op="queue.enter", user_id=user_id)
        deadline = time.monotonic() + timeout
        while reply["status"] != "active":
            self.assertLess(time.monotonic(), deadline, "never admitted: %r" % reply)
            time.sleep(0.05)
            reply = self.call_ok(client, op="queue.status", user_id=user_id,
                                 token=reply["token"])
        return reply["token"]

    def first_schedule(self, client, user_id, token, concert_id=1):
        dates = self.call_ok(client, op="concert.dates", user_id=user_id, token=token,
                             concert_id=concert_id)["dates"]
        self.assertTrue(dates)
        return dates[0]["schedule_id"]

    def balance_and_ledger(self, client, user_id):
        balance = self.call_ok(client, op="point.balance", user_id=user_id)["point"]
        entries = self.call_ok(client, op="point.history", user_id=user_id,
                               limit=1000)["entries"]
        return balance, entries

    # -- terminals and the client -------------------------------------------
    def terminal(self, width=80, height=24):
        term = Tmux(width, height, env=SANITIZER_ENV)
        self.addCleanup(term.kill)
        return term

    def start_client(self, term, daemon, user=None, prefix=""):
        """Runs the client from the pane's shell, recording the tty modes
        before and after it."""
        args = ["-e", daemon.endpoint] + (["-u", str(user)] if user else [])
        term.run('stty -g >"$HOME/tty.before"; %s%s %s; echo EXITED=$?; '
                 'stty -g >"$HOME/tty.after"'
                 % (prefix, shlex.quote(BOXOFFICE), " ".join(shlex.quote(a) for a in args)))
        term.wait_for(lambda screen: "│" in status_bar(screen), timeout=10)

    def wait_title(self, term, expected, timeout=10):
        return term.wait_for(lambda screen: title(screen) == expected and screen, timeout)

    def wait_grid(self, term, predicate=lambda cells: True, timeout=10):
        def ready(screen):
            cells = grid(screen)
            return cells if cells and predicate(cells) else None
        return term.wait_for(ready, timeout)

    def assert_left_cleanly(self, term, timeout=20):
        """The client has exited 0 and left the terminal as it found it."""
        # (A resize may have reflowed the shell's lines under the status.)
        match = term.wait_for(re.compile(r"EXITED=(\d+)"), timeout, join=True)
        history = term.capture(history=True, join=True)
        for mark in SANITIZER_TEXT:
            self.assertNotIn(mark, history, "sanitizer report from the client")
        self.assertEqual(match.group(1), "0", "the client's exit status:\n" + history)
        screen = term.wait_for(
            lambda text: [line for line in rows(text) if line.strip()][-1:] == [PROMPT.rstrip()]
            and text, timeout=5)
        for mark in CLIENT_MARKS:
            self.assertNotIn(mark, screen, "the client's screen is still shown")
        deadline = time.monotonic() + 5
        while term.children() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(term.children(), [], "a process is left in the shell")
        self.assertEqual(term.display("#{alternate_on}"), "0", "still on the alternate screen")
        self.assertEqual(term.display("#{cursor_flag}"), "1", "the cursor is still hidden")
        self.assertEqual(term.display("#{mouse_any_flag}"), "0", "mouse reporting left on")
        self.assertEqual(term.display("#{keypad_cursor_flag}"), "0", "keypad mode left on")
        with open(os.path.join(term.home, "tty.before")) as before, \
                open(os.path.join(term.home, "tty.after")) as after:
            self.assertEqual(before.read(), after.read(), "the tty modes were not restored")

    def quit(self, term):
        term.send("Q")
        self.assert_left_cleanly(term)

    # -- walking the journey --------------------------------------------------
    def reach_concerts_from_queue(self, term, timeout=15):
        return term.wait_for(lambda screen: title(screen) == "Concerts"
                             and "> 봄날의 재즈" in screen and screen, timeout)

    def reach_concerts(self, term, daemon, user):
        self.start_client(term, daemon, user)
        return self.reach_concerts_from_queue(term)

    def reach_seats(self, term, daemon, user):
        self.reach_concerts(term, daemon, user)
        term.send("Enter")
        term.wait_for(lambda screen: title(screen) == "Dates" and DATE_ROW.search(screen))
        term.send("Enter")
        self.wait_title(term, "Seats")
        return self.wait_grid(term)

    def reach_hold(self, term, daemon, user):
        self.reach_seats(term, daemon, user)
        term.send("Enter")
        return term.wait_for(lambda screen: title(screen) == "Hold"
                             and "Your seat is held" in screen and screen)


class Journey(TuiTestCase):
    def test_1_queue_to_paid_ticket(self):
        daemon = self.start_daemon(["--admit-batch", "1"] + ADMIT + TTL_30)
        api = self.api(daemon)
        term = self.terminal()
        remembered = os.path.join(term.config_home, "boxoffice", "user")

        self.start_client(term, daemon)
        screen = self.wait_title(term, "Sign in")
        self.assertIn("Who is buying tickets today?", screen)
        self.assertIn("> 1  Demo user 1", screen)
        self.assertIn("not signed in", status_bar(screen))
        self.assertFalse(os.path.exists(remembered))

        # Twelve people line up first: admitted one per 200 ms, they keep
        # the client in the waiting room for two of its polls or more.
        ahead = [self.new_user(api, "ahead %d" % i) for i in range(12)]
        for user_id in ahead:
            self.call_ok(api, op="queue.enter", user_id=user_id)
        term.send("Enter")
        waiting = []
        deadline = time.monotonic() + 15
        while True:
            screen = term.settled()
            if title(screen) == "Concerts":
                break
            if title(screen) == "Waiting room" and "Your place in line:" in screen:
                position = re.search(r"Your place in line:\s+(\d+) of (\d+)", screen)
                bar = re.search(r"\[([#.]{20,})\]", screen)
                self.assertIsNotNone(position, screen)
                self.assertIsNotNone(bar, screen)
                self.assertRegex(screen, r"Estimated wait:\s+(less than a minute|about \d+ min)")
                self.assertIn("in line: %s" % position.group(1), status_bar(screen))
                self.assertIn("user 1", status_bar(screen))
                waiting.append((int(position.group(1)), bar.group(1).count("#")))
            self.assertLess(time.monotonic(), deadline, "never admitted:\n" + screen)
            time.sleep(0.05)
        self.assertTrue(waiting, "the waiting room was never shown")
        positions = [position for position, _ in waiting]
        self.assertEqual(positions, sorted(positions, reverse=True), "the line moved back")
        self.assertGreater(positions[0], positions[-1], "the position never changed: %r"
                           % waiting)
        self.assertGreater(waiting[-1][1], waiting[0][1], "the progress bar did not fill")

        # Active: the concerts, Korean titles whole and the columns aligned.
        screen = term.wait_for(lambda text: KOREAN_TITLES[0] in text and text)
        bar = status_bar(screen)
        self.assertRegex(bar, r"boxoffice │ user 1 │ 500,000 P │ your turn: 0:[0-3]\d left")
        self.assertTrue(bar.rstrip().endswith("● connected"), bar)
        self.assertIn("It's your turn!", message_line(screen))
        performer_columns = set()
        for concert in KOREAN_TITLES:
            line = next((line for line in rows(screen) if concert in line), None)
            self.assertIsNotNone(line, "%s is not shown whole:\n%s" % (concert, screen))
            performer = re.search(r"\S\s{2,}(\S.*)$", line[line.index(concert):])
            self.assertIsNotNone(performer, line)
            prefix = line[:line.index(concert) + performer.start(1)]
            performer_columns.add(display_width(prefix))
        self.assertEqual(len(performer_columns), 1, "the performer column is ragged:\n" + screen)
        self.assertIn("서울 재즈 트리오", screen)
        self.assertRegex(screen, r"> 봄날의 재즈 — Spring Jazz Night")

        # ? lists the keys; any key closes the help.
        term.send("?")
        screen = term.wait_for("Q, Ctrl-C    quit at once")
        for line in ("Keys: Concerts", "q, Esc       back", "Enter        see the dates",
                     "w            wallet", "t            my tickets", "g G, Home End",
                     "r            refresh"):
            self.assertIn(line, screen)
        term.send("x")
        screen = term.wait_gone("quit at once")
        self.assertEqual(title(screen), "Concerts")

        term.send("Enter")
        screen = term.wait_for(lambda text: title(text) == "Dates" and "Booking window" in text
                               and text)
        self.assertIn(KOREAN_TITLES[0], screen)
        # The whole reservation window: opens – closes, in the row and below.
        self.assertRegex(screen, r"> \w{3} \d\d \w{3} 10:00\s+80,000 P\s+50\s+"
                         r"\d\d-\d\d \d\d:\d\d – \d\d-\d\d \d\d:\d\d")
        self.assertRegex(screen, r"Booking window: \d{4}-\d\d-\d\d \d\d:\d\d – "
                         r"\d{4}-\d\d-\d\d \d\d:\d\d")

        term.send("Enter")
        screen = self.wait_title(term, "Seats")
        cells = self.wait_grid(term)
        screen = term.settled()
        self.assertIn("S T A G E", screen)
        self.assertIn("[12]", screen)
        self.assertEqual(cells[1], ">01<")
        self.assertTrue(all(cells[n] == "[%02d]" % n for n in range(2, 51)), cells)
        self.assertIn("Rows A–B 120,000 P · Rows C–E 80,000 P", screen)

        # Arrows and hjkl, each step checked: 1 2 12 13 23 22 12 11 1 11 12.
        for key, seat in (("Right", 2), ("Down", 12), ("l", 13), ("j", 23), ("h", 22),
                          ("k", 12), ("Left", 11), ("Up", 1), ("Down", 11), ("l", 12)):
            term.send(key)
            self.wait_grid(term, lambda cells, seat=seat: cells[seat] == ">%02d<" % seat
                           and cursor(cells) == seat)
        screen = term.wait_for("Seat B2 · 120,000 P · free: Enter holds it for you")

        term.send("Enter")
        screen = term.wait_for(lambda text: title(text) == "Hold" and "Your seat is held" in text
                               and text)
        self.assertIn("Concert:   " + KOREAN_TITLES[0], screen)
        self.assertIn("Seat:      B2", screen)
        self.assertIn("Price:     120,000 P", screen)
        self.assertIn("Seat B2 is held for you", message_line(screen))
        first = countdown_s(screen, r"Hold ends in ")
        self.assertIsNotNone(first, screen)
        # 30 s from the next whole second, as the server counts.
        self.assertTrue(25 <= first <= 31, screen)
        later = term.wait_for(lambda text: (countdown_s(text, r"Hold ends in ") or first) < first
                              and countdown_s(text, r"Hold ends in "), timeout=3)
        self.assertLess(later, first)

        term.send("p")
        screen = term.wait_for(lambda text: title(text) == "Payment" and text)
        self.assertIn("Pay 120,000 P for seat B2?", screen)
        self.assertIn("y  yes, pay", screen)
        self.assertRegex(screen, r"\n\s+\w{3} \d\d \w{3} 10:00\s*\n")
        self.assertIn("Your balance: 500,000 P, after paying 380,000 P.", screen)
        self.assertTrue(rows(screen)[-1].startswith(" y pay  n back"), screen)
        term.send("y")
        screen = term.wait_for("PAID — here is your ticket")
        self.assertIn("Seat B2   120,000 P", screen)
        self.assertIn("q quit", rows(screen)[-1])
        self.assertIn("Balance now: 380,000 P", screen)
        self.assertIn("Paid. Enjoy the show!", message_line(screen))
        self.assertIn("380,000 P", status_bar(screen))

        term.send("Enter")
        screen = term.wait_for(lambda text: title(text) == "My tickets" and "PAID" in text
                               and text)
        ticket = next(line for line in rows(screen) if "PAID" in line)
        self.assertRegex(ticket,
                         r"PAID\s+\w{3} \d\d \w{3} 10:00\s+B2\s+120,000 P\s+봄날의 재즈")

        with open(remembered) as stored:
            self.assertEqual(stored.read().strip(), "1")
        self.quit(term)

        balance, _ = self.balance_and_ledger(api, 1)
        self.assertEqual(balance, 380000)
        paid = [r for r in self.call_ok(api, op="reservation.list", user_id=1)["reservations"]
                if r["status"] == "paid"]
        self.assertEqual([r["seat_number"] for r in paid], [12])
        self.stop_daemon(daemon)

    def test_2_charge_when_short(self):
        daemon = self.start_daemon(ADMIT + TTL_30)
        api = self.api(daemon)
        term = self.terminal()
        self.start_client(term, daemon)
        self.wait_title(term, "Sign in")
        term.send("n")
        term.wait_for("Your name: _")
        term.type("지민 Kim")
        term.wait_for("Your name: 지민 Kim_")
        term.send("Enter")
        self.wait_title(term, "Concerts")
        with open(os.path.join(term.config_home, "boxoffice", "user")) as stored:
            user_id = int(stored.read())
        self.assertEqual(self.balance_and_ledger(api, user_id), (0, []))
        screen = term.wait_for(KOREAN_TITLES[0])
        # The person's name, not their id.
        self.assertIn("boxoffice │ 지민 Kim │ 0 P │", status_bar(screen))

        term.send("Enter")
        term.wait_for("Booking window")
        term.send("Enter")
        self.wait_grid(term)
        term.send("Enter")
        screen = term.wait_for("Your seat is held")
        self.assertIn("Balance 0 P: charge at least 120,000 P more (w).", screen)
        term.send("p")
        term.wait_for("y  yes, pay")
        term.send("y")
        screen = term.wait_for("Not enough points")
        self.assertIn("Not enough points: your balance is 0 P.", screen)
        self.assertIn("Charge at least 120,000 P (w), then y to pay.", screen)
        self.assertIn("Not enough points for seat A1", screen)
        self.assertNotIn("balance is 0\n", screen)

        term.send("w")
        screen = term.wait_for(lambda text: title(text) == "Wallet" and "Nothing yet." in text
                               and text)
        self.assertIn("Balance: 0 P", screen)
        term.send("c")
        term.wait_for("Charge amount: _")
        term.type("12x")
        term.wait_for("Charge amount: 12x_")
        term.send("Enter")
        screen = term.wait_for("Type digits only")
        self.assertIn("Type digits only, like 50000.", message_line(screen))
        self.assertIn("Balance: 0 P", screen)
        self.assertIn(" 0 P │", status_bar(screen))
        self.assertEqual(self.balance_and_ledger(api, user_id), (0, []))

        term.send("BSpace", "BSpace", "BSpace")
        term.wait_for("Charge amount: _")
        term.type("150000")
        term.send("Enter")
        screen = term.wait_for(lambda text: "150,000 P" in status_bar(text) and text)
        screen = term.wait_for("+150,000 P")
        self.assertIn("Charged. Your balance is now 150,000 P.", message_line(screen))
        self.assertIn("Balance: 150,000 P", screen)
        balance, entries = self.balance_and_ledger(api, user_id)
        self.assertEqual(balance, 150000)
        self.assertEqual([(e["kind"], e["amount"]) for e in entries], [("charge", 150000)])

        term.send("q")
        screen = term.wait_for(lambda text: title(text) == "Payment" and text)
        # Back from charging, nothing stale: the balance as it is now.
        self.assertNotIn("Not enough points", screen)
        self.assertNotIn("Charge at least", screen)
        self.assertIn("Your balance: 150,000 P, after paying 30,000 P.", screen)
        term.send("y")
        screen = term.wait_for("PAID — here is your ticket")
        self.assertIn("Balance now: 30,000 P", screen)
        self.quit(term)
        self.assertEqual(self.balance_and_ledger(api, user_id)[0], 30000)
        self.stop_daemon(daemon)


class LiveUpdates(TuiTestCase):
    def test_3_hold_expires_on_the_hold_screen(self):
        daemon = self.start_daemon(ADMIT + ["--hold-ttl", "2", "--token-ttl", "30"])
        term = self.terminal()
        self.reach_seats(term, daemon, 2)
        for seat in (2, 3, 4, 5):
            term.send("l")
            self.wait_grid(term, lambda cells, seat=seat: cursor(cells) == seat)
        term.send("Enter")
        screen = term.wait_for("Your seat is held")
        self.assertIn("Seat:      A5", screen)
        # The server rounds the hold's start up to a whole second.
        self.assertLessEqual(countdown_s(screen, r"Hold ends in "), 3)
        start = time.monotonic()
        screen = term.wait_for(lambda text: title(text) == "Seats" and text, timeout=6)
        self.assertGreater(time.monotonic() - start, 0.5)
        self.assertIn("Your hold on seat A5 ended and the seat went back on sale.",
                      message_line(screen))
        # The seat is free again, on the server and in the grid.
        self.wait_grid(term, lambda cells: cells[5] == ">05<")
        term.wait_for("Seat A5 · 120,000 P · free: Enter holds it for you", timeout=6)
        term.send("h")
        self.wait_grid(term, lambda cells: cells[4] == ">04<" and cells[5] == "[05]")
        api = self.api(daemon)
        token = self.active_token(api, 3)
        seats = self.call_ok(api, op="concert.seats", user_id=3, token=token,
                             schedule_id=self.first_schedule(api, 3, token))["seats"]
        self.assertEqual([seat["status"] for seat in seats if seat["number"] == 5], ["free"])
        lapsed = self.call_ok(api, op="reservation.list", user_id=2)["reservations"]
        self.assertEqual([(r["seat_number"], r["status"]) for r in lapsed], [(5, "cancelled")])
        self.quit(term)
        self.stop_daemon(daemon)

    def test_4_seat_taken_by_another_client(self):
        daemon = self.start_daemon(ADMIT + TTL_30)
        api = self.api(daemon)
        term = self.terminal()
        cells = self.reach_seats(term, daemon, 1)
        self.assertEqual(cells[5], "[05]")
        self.assertEqual(cells[6], "[06]")

        token = self.active_token(api, 2)
        schedule = self.first_schedule(api, 2, token)
        self.call_ok(api, op="seat.reserve", user_id=2, token=token, schedule_id=schedule,
                     seat_number=5)
        start = time.monotonic()
        cells = self.wait_grid(term, lambda cells: cells[5] == "[··]", timeout=5)
        self.assertLess(time.monotonic() - start, 4.5)
        self.assertEqual(cells[6], "[06]")

        sold = self.call_ok(api, op="seat.reserve", user_id=2, token=token,
                            schedule_id=schedule, seat_number=6)
        self.call_ok(api, op="payment.pay", user_id=2, token=token,
                     reservation_id=sold["reservation_id"])
        cells = self.wait_grid(term, lambda cells: cells[6] == "[××]", timeout=5)
        self.assertEqual(cells[5], "[··]")

        # Holding a seat that was taken meanwhile says so and changes nothing.
        for seat in (2, 3, 4, 5):
            term.send("l")
            self.wait_grid(term, lambda cells, seat=seat: cursor(cells) == seat)
        screen = term.wait_for("held by someone")
        term.send("Enter")
        screen = term.wait_for("Seat A5 is held by someone; choose a free one.")
        self.assertEqual(title(screen), "Seats")
        self.quit(term)
        self.stop_daemon(daemon)

    def test_5_server_restarted_mid_session(self):
        daemon = self.start_daemon(ADMIT + TTL_30)
        api = self.api(daemon)
        before, ledger = self.balance_and_ledger(api, 1)
        term = self.terminal()
        self.reach_concerts(term, daemon, 1)
        term.send("w")
        screen = term.wait_for(lambda text: title(text) == "Wallet" and "+500,000 P" in text
                               and text)
        self.assertIn("Balance: 500,000 P", screen)

        self.stop_daemon(daemon)
        term.send("c")
        term.wait_for("Charge amount: _")
        term.type("25000")
        term.send("Enter")
        term.wait_for("Charging 25,000 P…")
        screen = term.wait_for(lambda text: "○ reconnecting…" in status_bar(text) and text,
                               timeout=8)
        self.assertIn("500,000 P", status_bar(screen))
        # The message line says which server is silent, not only the corner.
        said = " ".join(term.capture().split())
        self.assertIn("The server at %s is not answering; retrying…" % daemon.endpoint, said)
        # The keyboard still answers while the network waits.
        term.send("?")
        term.wait_for("Q, Ctrl-C    quit at once", timeout=3)
        term.send("x")
        term.wait_gone("quit at once", timeout=3)

        again = Daemon(directory=daemon.directory, database=daemon.database,
                       args=ADMIT + TTL_30)
        self.addCleanup(again.cleanup)
        self.assertEqual(again.endpoint, daemon.endpoint)
        again.start()
        screen = term.wait_for(lambda text: "● connected" in status_bar(text)
                               and "525,000 P" in status_bar(text) and text, timeout=10)
        screen = term.wait_for("Charged. Your balance is now 525,000 P.")
        term.wait_for("+25,000 P")

        with Client(again.endpoint) as check:
            balance, entries = self.balance_and_ledger(check, 1)
            self.assertEqual(balance, before + 25000)
            self.assertEqual(len(entries), len(ledger) + 1)
            # Nothing arrives late either.
            time.sleep(1)
            self.assertEqual(self.balance_and_ledger(check, 1), (balance, entries))
        self.assertEqual(term.settled().count("+25,000 P"), 1)
        self.quit(term)
        self.stop_daemon(again)

    def test_5b_server_not_yet_started(self):
        daemon = Daemon(args=ADMIT + TTL_30)
        self.addCleanup(daemon.cleanup)
        term = self.terminal()
        started = time.monotonic()
        self.start_client(term, daemon, 1)
        # Once the client's reply timeout (2.5 s) has passed, it says so,
        # and keeps saying so while it retries.
        term.wait_for(lambda text: time.monotonic() - started > 2.5
                      and "○ reconnecting…" in status_bar(text), timeout=8)
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:
            screen = term.capture()
            self.assertIn("○ reconnecting…", status_bar(screen))
            self.assertEqual(title(screen), "Waiting room")
            self.assertIn("Joining the line…", screen)
            time.sleep(0.1)
        daemon.start()
        screen = self.reach_concerts_from_queue(term)
        self.assertTrue(status_bar(screen).rstrip().endswith("● connected"), screen)
        self.assertIn("500,000 P", status_bar(screen))
        self.quit(term)
        self.stop_daemon(daemon)

    def test_5c_no_server_is_not_connected(self):
        """On the sign-in screen, before any server has answered, the status
        bar must not claim a connection."""
        daemon = Daemon(args=ADMIT + TTL_30)
        self.addCleanup(daemon.cleanup)
        term = self.terminal()
        self.start_client(term, daemon)
        self.wait_title(term, "Sign in")
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            bar = status_bar(term.capture())
            self.assertNotIn("● connected", bar, "no server is running")
            time.sleep(0.1)
        daemon.start()
        term.send("Enter")
        screen = self.reach_concerts_from_queue(term)
        self.assertTrue(status_bar(screen).rstrip().endswith("● connected"), screen)
        self.quit(term)
        self.stop_daemon(daemon)


class Terminal(TuiTestCase):
    @staticmethod
    def drawn(width, height):
        """A predicate: the seats screen drawn whole for this terminal size."""
        def check(screen):
            lines = rows(screen)
            return (len(lines) == height and grid(screen)
                    and "S T A G E" in screen
                    # Narrow bars drop the program's name before anything else.
                    and (lines[0].startswith(" boxoffice │ user 1")
                         or (width < 70 and lines[0].startswith(" user 1 │")))
                    and lines[0].rstrip().endswith("● connected")
                    and lines[1].strip() == "Seats"
                    # The screen's own keys first; the shared ones may be cut.
                    and lines[-1].startswith(" hjkl/←↑↓→ move  Enter hold  r refresh")
                    and all(display_width(line) <= width for line in lines)
                    and screen)
        return check

    def test_6_resize(self):
        """Each resize redraws by itself: no key is pressed after it."""
        daemon = self.start_daemon(ADMIT + TTL_30)
        term = self.terminal()
        self.reach_seats(term, daemon, 1)

        with self.subTest(size="60x20"):
            term.resize(60, 20)
            self.assertEqual(term.size(), (60, 20))
            term.wait_for(self.drawn(60, 20), timeout=5)

        with self.subTest(size="50x15"):
            term.resize(50, 15)
            self.assertEqual(term.size(), (50, 15))
            screen = term.wait_for("Please make the window larger", timeout=5)
            lines = rows(screen)
            self.assertEqual(len(lines), 15)
            notice = [line for line in lines if line.strip()]
            self.assertEqual(len(notice), 2, screen)
            self.assertIn("Please make the window larger", notice[0])
            self.assertIn("at least 60x20; now 50x15", notice[1])

        with self.subTest(size="120x40"):
            term.resize(120, 40)
            self.assertEqual(term.size(), (120, 40))
            screen = term.wait_for(self.drawn(120, 40), timeout=5)
            self.assertEqual(cursor(grid(screen)), 1)

        # Keys still work at the new size.
        term.send("l")
        self.wait_grid(term, lambda cells: cells[2] == ">02<")
        self.quit(term)
        self.stop_daemon(daemon)

    def test_6b_smallest_size(self):
        """At the minimum size, 60x20, everything fits, the status bar's
        countdown included."""
        daemon = self.start_daemon(ADMIT + TTL_30)
        term = self.terminal(60, 20)
        self.reach_seats(term, daemon, 1)
        screen = term.wait_for(self.drawn(60, 20))
        self.assertRegex(status_bar(screen), r"your turn: \d+:\d\d",
                         "the token's countdown is cut from the status bar")
        self.quit(term)
        self.stop_daemon(daemon)

    def test_8_no_color_keeps_the_symbols(self):
        daemon = self.start_daemon(ADMIT + TTL_30)
        api = self.api(daemon)
        token = self.active_token(api, 2)
        schedule = self.first_schedule(api, 2, token)
        self.call_ok(api, op="seat.reserve", user_id=2, token=token, schedule_id=schedule,
                     seat_number=3)
        sold = self.call_ok(api, op="seat.reserve", user_id=2, token=token,
                            schedule_id=schedule, seat_number=4)
        self.call_ok(api, op="payment.pay", user_id=2, token=token,
                     reservation_id=sold["reservation_id"])

        # With colours the screen uses them, so the check below means something.
        term = self.terminal()
        self.reach_seats(term, daemon, 1)
        self.assertTrue(colour_sgr(term.capture(escapes=True)), "no colour without NO_COLOR")
        self.quit(term)

        term = self.terminal()
        self.start_client(term, daemon, 1, prefix="NO_COLOR=1 ")
        term.wait_for(KOREAN_TITLES[0])
        term.send("Enter")
        term.wait_for("Booking window")
        term.send("Enter")
        for seat in range(1, 8):
            if seat != 1:
                term.send("l")
            cells = self.wait_grid(term, lambda cells, seat=seat: cursor(cells) == seat)
        self.assertEqual(cells[3], "[··]")
        self.assertEqual(cells[4], "[××]")
        self.assertEqual(cells[7], ">07<")
        self.assertEqual(cells[8], "[08]")
        self.assertTrue(all(cells[n] == "[%02d]" % n for n in range(8, 51)), cells)
        escapes = term.capture(escapes=True)
        self.assertEqual(colour_sgr(escapes), [], "colours despite NO_COLOR")
        self.quit(term)
        self.stop_daemon(daemon)


class QuitCleanly(TuiTestCase):
    """q from every screen (and Q, and Ctrl-C) leaves the terminal clean."""

    @classmethod
    def setUpClass(cls):
        cls.daemon = Daemon(args=ADMIT + TTL_30)
        cls.addClassCleanup(cls.daemon.cleanup)
        cls.daemon.start()
        cls.admin = Client(cls.daemon.endpoint)
        cls.addClassCleanup(cls.admin.close)

    @classmethod
    def tearDownClass(cls):
        code = cls.daemon.stop()
        assert code == 0, "boxofficed exit status %r:\n%s" % (code, cls.daemon.log_text())
        broken = broken_invariants(cls.daemon.database)
        assert broken == {}, broken

    def user(self):
        return self.new_user(self.admin, "quitter %s" % self._testMethodName, points=500000)

    def back_out(self, term, titles, confirm=True):
        """q, and the titles expected after each q; the last q quits, after
        a y when the person's turn is on (the key bar says "q quit")."""
        for expected in titles:
            term.send("q")
            self.wait_title(term, expected)
        self.assertIn("q quit", rows(term.wait_for("q quit"))[-1])
        term.send("q")
        if confirm:
            term.wait_for("Quit?")
            term.send("y")
        self.assert_left_cleanly(term)

    def test_7a_signin(self):
        term = self.terminal()
        self.start_client(term, self.daemon)
        self.wait_title(term, "Sign in")
        term.wait_for(lambda screen: status_bar(screen).rstrip().endswith("● connected"),
                      timeout=3)
        self.back_out(term, [], confirm=False)
        self.assertFalse(os.path.exists(os.path.join(term.config_home, "boxoffice", "user")))

    def test_7b_queue(self):
        daemon = self.start_daemon(["--admit-batch", "1", "--admit-interval-ms", "600000"]
                                   + TTL_30)
        api = self.api(daemon)
        # Two people ahead: one takes the interval's only slot, the other is
        # first in line even if a new interval starts meanwhile.
        for name in ("first", "second"):
            self.call_ok(api, op="queue.enter", user_id=self.new_user(api, name))
        user = self.new_user(api, "third")
        term = self.terminal()
        self.start_client(term, daemon, user)
        screen = term.wait_for(lambda text: "You are in the waiting room." in text and text)
        self.assertEqual(title(screen), "Waiting room")
        self.assertRegex(screen, r"Your place in line:\s+[12] of [12]")
        self.assertRegex(screen, r"Estimated wait:\s+about (10|20) min")
        self.back_out(term, [], confirm=False)
        self.stop_daemon(daemon)

    def test_7c_concerts(self):
        term = self.terminal()
        self.reach_concerts(term, self.daemon, self.user())
        self.back_out(term, [])

    def test_7d_dates(self):
        term = self.terminal()
        self.reach_concerts(term, self.daemon, self.user())
        term.send("Enter")
        term.wait_for("Booking window")
        self.back_out(term, ["Concerts"])

    def test_7e_seats(self):
        term = self.terminal()
        self.reach_seats(term, self.daemon, self.user())
        self.back_out(term, ["Dates", "Concerts"])

    def test_7f_hold(self):
        term = self.terminal()
        self.reach_hold(term, self.daemon, self.user())
        self.back_out(term, ["Seats", "Dates", "Concerts"])

    def test_7g_pay_confirm(self):
        term = self.terminal()
        self.reach_hold(term, self.daemon, self.user())
        term.send("p")
        term.wait_for("y  yes, pay")
        self.back_out(term, ["Hold", "Seats", "Dates", "Concerts"])

    def test_7h_wallet(self):
        term = self.terminal()
        self.reach_seats(term, self.daemon, self.user())
        term.send("w")
        term.wait_for(lambda text: title(text) == "Wallet" and "+500,000 P" in text)
        self.back_out(term, ["Seats", "Dates", "Concerts"])

    def test_7i_tickets(self):
        term = self.terminal()
        self.reach_concerts(term, self.daemon, self.user())
        term.send("t")
        term.wait_for(lambda text: title(text) == "My tickets" and "no tickets yet" in text)
        self.back_out(term, ["Concerts"])

    def test_7j_capital_q_quits_at_once(self):
        term = self.terminal()
        self.reach_hold(term, self.daemon, self.user())
        term.send("p")
        term.wait_for("y  yes, pay")
        self.quit(term)

    def test_7k_ctrl_c_on_the_seats(self):
        term = self.terminal()
        self.reach_seats(term, self.daemon, self.user())
        term.send("C-c")
        self.assert_left_cleanly(term)

    def test_7l_ctrl_c_while_typing_an_amount(self):
        term = self.terminal()
        self.reach_concerts(term, self.daemon, self.user())
        term.send("w")
        self.wait_title(term, "Wallet")
        term.send("c")
        term.wait_for("Charge amount: _")
        term.type("12")
        term.wait_for("Charge amount: 12_")
        term.send("C-c")
        self.assert_left_cleanly(term)


class Legible(TuiTestCase):
    """Every screen fits the minimum size legibly; help lists every key in a
    frame; the grid's details line up with it on a large terminal."""

    def test_9a_every_screen_at_60x20(self):
        daemon = self.start_daemon(ADMIT + TTL_30)
        term = self.terminal(60, 20)
        self.reach_concerts(term, daemon, 1)
        screen = term.settled()
        self.assertTrue(rows(screen)[-1].startswith(" ↑↓ move  Enter dates  r refresh"), screen)

        term.send("Enter")
        screen = term.wait_for(lambda text: title(text) == "Dates" and "Booking window" in text
                               and text)
        self.assertRegex(screen, r"Booking window: \d{4}-\d\d-\d\d \d\d:\d\d – "
                         r"\d{4}-\d\d-\d\d \d\d:\d\d")
        self.assertNotIn("…", "\n".join(rows(screen)[2:-2]))

        term.send("Enter")
        self.wait_grid(term)
        term.send("Enter")
        screen = term.wait_for(lambda text: title(text) == "Hold" and "Your seat is held" in text
                               and text)
        self.assertIn("q  back; the seat stays yours until the countdown ends", screen)
        self.assertNotIn("…", "\n".join(rows(screen)[2:-2]))

        term.send("p")
        screen = term.wait_for(lambda text: title(text) == "Payment" and "y  yes, pay" in text
                               and text)
        self.assertIn("Your balance: 500,000 P, after paying 380,000 P.", screen)
        self.assertTrue(rows(screen)[-1].startswith(" y pay  n back"), screen)
        term.send("n")
        self.wait_title(term, "Hold")

        term.send("w")
        screen = term.wait_for(lambda text: title(text) == "Wallet" and "+500,000 P" in text
                               and text)
        self.assertRegex(screen, r"When\s+What\s+Amount\s+Balance")
        self.assertRegex(screen, r"charge\s+\+500,000 P\s+500,000 P")
        term.send("q")
        self.wait_title(term, "Hold")

        term.send("t")
        screen = term.wait_for(lambda text: title(text) == "My tickets" and "held" in text
                               and text)
        ticket = next(line for line in rows(screen) if "held" in line)
        # The concert keeps a column of its own, the seat its grid name.
        self.assertRegex(ticket, r"held \d:\d\d\s+\d\d-\d\d 10:00\s+A1\s+120,000 P\s+봄날의")
        for line in rows(screen):
            self.assertLessEqual(display_width(line), 60)
        self.quit(term)
        self.stop_daemon(daemon)

    def test_9b_help_in_a_frame(self):
        daemon = self.start_daemon(ADMIT + TTL_30)
        term = self.terminal(60, 20)
        self.reach_seats(term, daemon, 1)
        term.send("?")
        screen = term.wait_for("Keys: Seats")
        lines = rows(screen)
        top = next(i for i, line in enumerate(lines) if "┌" in line)
        bottom = next(i for i, line in enumerate(lines) if "└" in line)
        self.assertGreater(bottom, top)
        left = lines[top].index("┌")
        for line in lines[top + 1:bottom]:
            self.assertEqual(line[left], "│", screen)
            # Nothing of the screen under it shows at its left.
            self.assertEqual(line[:left].strip(), "", screen)
        for key in ("h j k l", "Enter, Space", "mouse", "r            refresh",
                    "Q, Ctrl-C    quit at once", "w            wallet", "t            my tickets"):
            self.assertIn(key, screen)
        term.send("x")
        term.wait_gone("Keys: Seats")

        # Sign-in's help lists its own keys, and no wallet before signing in.
        other = self.terminal()
        self.start_client(other, daemon)
        self.wait_title(other, "Sign in")
        self.assertNotIn("w wallet", rows(other.settled())[-1])
        other.send("?")
        screen = other.wait_for("Keys: Sign in")
        self.assertIn("1 2 3        sign in as demo user 1, 2 or 3", screen)
        self.assertIn("n            new user", screen)
        self.assertNotIn("wallet", screen)
        other.send("x")
        other.wait_gone("Keys: Sign in")
        other.send("q")
        self.assert_left_cleanly(other)
        self.quit(term)
        self.stop_daemon(daemon)

    def test_9c_details_centred_with_the_grid(self):
        daemon = self.start_daemon(ADMIT + TTL_30)
        term = self.terminal(120, 40)
        self.reach_seats(term, daemon, 1)
        screen = term.wait_for("Seat A1 · 120,000 P")
        lines = rows(screen)
        grid_left = next(line for line in lines if GRID_ROW.match(line)).index("A  ")
        legend = next(line for line in lines if "[07] free" in line)
        detail = next(line for line in lines if "Seat A1 ·" in line)
        self.assertEqual(legend.index("[07] free"), grid_left)
        self.assertEqual(detail.index("Seat A1"), grid_left)
        self.quit(term)
        self.stop_daemon(daemon)


if __name__ == "__main__":
    unittest.main()
