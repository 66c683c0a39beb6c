"""A terminal for end-to-end tests: one tmux server on its own socket with one
session of a given size running a clean shell.

    term = Tmux(80, 24)             # starts `tmux -L <unique> -f /dev/null`
    term.run("boxoffice -e ...")    # types a command line and presses Enter
    term.send("Down", "Enter")      # tmux key names
    term.type("12x")                # literal text (send-keys -l)
    term.wait_for("S T A G E")      # text or predicate(screen_text), polled every 50 ms
    term.resize(120, 40)
    term.kill()                     # also registered by the tests with addCleanup

The shell starts from an empty environment (`env -i`) with PATH, HOME,
TERM=xterm-256color, LANG=C.UTF-8, XDG_CONFIG_HOME and TZ=UTC0 set, and a
prompt the tests can recognise (PROMPT). The client binary is $BOXOFFICE
(default build/release/boxoffice).
"""

import itertools
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BOXOFFICE = os.path.abspath(
    os.path.join(ROOT, os.environ.get("BOXOFFICE", "build/release/boxoffice")))
TMUX = shutil.which("tmux") or "tmux"
PROMPT = "e2e$ "
POLL_S = 0.05

_counter = itertools.count(1)


class Timeout(AssertionError):
    """wait_for gave up; the message holds the last screen."""


class Tmux:
    def __init__(self, width=80, height=24, env=None):
        self.name = "boxoffice-e2e-%d-%d-%s" % (os.getpid(), next(_counter),
                                                os.urandom(3).hex())
        self.directory = tempfile.mkdtemp(prefix="boxoffice-e2e-")
        self.home = os.path.join(self.directory, "home")
        self.config_home = os.path.join(self.directory, "config")
        os.makedirs(self.home)
        os.makedirs(self.config_home)
        self.shell = None
        # Where tmux puts the socket of `-L name`; confirmed once it runs.
        self.socket_path = os.path.join(os.environ.get("TMUX_TMPDIR", "/tmp"),
                                        "tmux-%d" % os.getuid(), self.name)
        environment = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": self.home,
            "TERM": "xterm-256color",
            "LANG": "C.UTF-8",
            "XDG_CONFIG_HOME": self.config_home,
            "TZ": "UTC0",
            "PS1": PROMPT,
        }
        environment.update(env or {})
        shell = (["env", "-i"] + ["%s=%s" % item for item in sorted(environment.items())]
                 + ["bash", "--norc", "--noprofile", "-i"])
        self.alive = True
        try:
            self.tmux("new-session", "-d", "-s", "e2e", "-x", str(width), "-y", str(height),
                      " ".join(shlex.quote(word) for word in shell))
            self.socket_path = self.display("#{socket_path}")
            self.shell = int(self.display("#{pane_pid}"))
            self.wait_for(lambda screen: screen.rstrip().endswith(PROMPT.rstrip()), timeout=10)
        except BaseException:
            self.kill()
            raise

    # -- tmux itself -------------------------------------------------------
    def tmux(self, *args, check=True):
        result = subprocess.run([TMUX, "-L", self.name, "-f", "/dev/null"] + list(args),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                timeout=10)
        if check and result.returncode != 0:
            raise AssertionError("tmux %s failed (%d): %s" % (
                " ".join(args), result.returncode,
                result.stderr.decode("utf-8", "replace")))
        return result.stdout.decode("utf-8", "replace")

    def kill(self):
        """Kills the server, and so the shell and whatever still runs in it
        (they get SIGHUP; what ignores that gets SIGKILL after 5 s), then
        removes the socket tmux leaves behind and the temporary directory."""
        if self.alive:
            self.alive = False
            pids = [self.shell] + self._descendants(self.shell) if self.shell else []
            started = {pid: _start_time(pid) for pid in pids}
            self.tmux("kill-server", check=False)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and any(
                    _start_time(pid) == since for pid, since in started.items()):
                time.sleep(POLL_S)
            for pid, since in started.items():
                if since is not None and _start_time(pid) == since:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
        if self.socket_path:
            try:
                os.unlink(self.socket_path)
            except FileNotFoundError:
                pass
        shutil.rmtree(self.directory, ignore_errors=True)

    def display(self, format_string):
        """A tmux format about the pane, such as #{alternate_on} or #{pane_pid}."""
        return self.tmux("display-message", "-p", "-t", "e2e", format_string).strip()

    # -- input -------------------------------------------------------------
    def send(self, *keys):
        """tmux key names: "Enter", "Up", "C-c", "Escape", "BSpace", "q" ..."""
        self.tmux("send-keys", "-t", "e2e", *keys)

    def type(self, text):
        """Literal text, UTF-8 included."""
        self.tmux("send-keys", "-t", "e2e", "-l", text)

    def run(self, command_line):
        self.type(command_line)
        self.send("Enter")

    def resize(self, width, height):
        self.tmux("resize-window", "-t", "e2e", "-x", str(width), "-y", str(height))

    # -- output ------------------------------------------------------------
    def capture(self, join=False, history=False, escapes=False):
        args = ["capture-pane", "-p", "-t", "e2e"]
        if join:
            args.append("-J")
        if history:
            args += ["-S", "-"]
        if escapes:
            args.append("-e")
        return self.tmux(*args)

    def lines(self):
        """The visible screen, one string per row (trailing blanks dropped)."""
        return self.capture().split("\n")[:self.size()[1]]

    def size(self):
        width, height = self.display("#{pane_width} #{pane_height}").split()
        return int(width), int(height)

    def wait_for(self, what, timeout=10.0, join=False, settle=True):
        """Polls every 50 ms until `what` (a string, a compiled regex or a
        predicate of the screen text) matches; returns the screen (or the
        predicate's truthy result). Raises Timeout with the last screen.

        With `settle`, a match counts only once the next capture, 50 ms
        later, is the same: a frame the terminal has only half drawn is
        never what a test goes on to read."""
        deadline = time.monotonic() + timeout
        screen = self.capture(join=join)
        while True:
            if isinstance(what, str):
                found = what in screen
            elif isinstance(what, re.Pattern):
                found = what.search(screen)
            else:
                found = what(screen)
            if time.monotonic() >= deadline and not found:
                raise Timeout("waited %.1fs for %r; the screen is:\n%s"
                              % (timeout, getattr(what, "pattern", what), screen))
            time.sleep(POLL_S)
            again = self.capture(join=join)
            if found and (not settle or again == screen or time.monotonic() >= deadline):
                return found if not isinstance(found, bool) else screen
            screen = again

    def settled(self, join=False, timeout=5.0):
        """The screen once two captures 50 ms apart agree."""
        return self.wait_for(lambda screen: True, timeout, join)

    def wait_gone(self, text, timeout=10.0):
        return self.wait_for(lambda screen: text not in screen, timeout)

    # -- the processes in the pane -----------------------------------------
    def shell_pid(self):
        return int(self.display("#{pane_pid}"))

    def children(self):
        """Pids of the live processes whose parent is the pane's shell."""
        shell = self.shell_pid()
        return [pid for pid, parent in _processes() if parent == shell]

    @staticmethod
    def _descendants(root):
        table = _processes()
        found, frontier = [], [root]
        while frontier:
            parent = frontier.pop()
            for pid, ppid in table:
                if ppid == parent:
                    found.append(pid)
                    frontier.append(pid)
        return found


def _processes():
    """(pid, parent pid) of every live (not zombie) process, from /proc."""
    table = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            table.append((int(entry), int(fields[1])))
    return table


def _start_time(pid):
    """When a live process started (to tell it from a later one with its
    pid), or None once it has ended."""
    try:
        with open("/proc/%d/stat" % pid) as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if fields[0] == "Z" else int(fields[19])
