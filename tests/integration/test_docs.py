"""Docs that cannot drift: every man page passes mandoc's lint, every option a
binary's --help lists is in its page and every option its page lists is in
--help, the config page and the example config know exactly the daemon's
settings, and `make install` lays down the tree it promises."""

import glob
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import unittest

from harness import BOXOFFICED, ROOT, DaemonTestCase

RELEASE = os.path.join(ROOT, "build/release")


def run(command, **kwargs):
    return subprocess.run(command, capture_output=True, text=True, timeout=120, **kwargs)


def rendered(page):
    """The page as a reader sees it, without the overstrike used for bold."""
    text = run(["mandoc", "-T", "utf8", os.path.join(ROOT, "man", page)]).stdout
    return re.sub(".\b", "", text)


def section(text, name):
    """The lines of one top-level section of a rendered page."""
    match = re.search(r"^%s\n(.*?)(?=^[A-Z][A-Z ]+\n|\Z)" % re.escape(name), text, re.S | re.M)
    if not match:
        raise AssertionError("no %s section" % name)
    return match.group(1)


def options_in(text):
    """Long options and single-letter short options named in a text."""
    longs = set(re.findall(r"(?<![\w-])--([a-z][a-z-]*[a-z])", text))
    shorts = set(re.findall(r"(?<![\w-])-([a-zA-Z])(?![\w-])", text))
    return longs, shorts


def help_options(binary):
    result = run([binary, "--help"])
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.lstrip().startswith("-")]
    return options_in("\n".join(lines))


class ManPagesTest(unittest.TestCase):
    def test_every_page_passes_mandoc_lint(self):
        pages = sorted(glob.glob(os.path.join(ROOT, "man", "*.[1-8]")))
        self.assertEqual(len(pages), 5, pages)
        for page in pages:
            result = run(["mandoc", "-T", "lint", "-W", "warning", page])
            self.assertEqual((result.returncode, result.stdout + result.stderr), (0, ""), page)

    def test_make_installs_every_page(self):
        with open(os.path.join(ROOT, "Makefile")) as makefile:
            text = makefile.read()
        listed = re.search(r"^MAN_PAGES = ((?:.*\\\n)*.*)$", text, re.M).group(1)
        listed = set(re.findall(r"man/\S+", listed))
        present = {os.path.relpath(page, ROOT) for page in glob.glob(os.path.join(ROOT, "man/*"))}
        self.assertEqual(listed, present)

    def check_options(self, binary, page, section_name):
        documented = options_in(section(rendered(page), section_name))
        self.assertEqual(help_options(binary), documented,
                         "%s --help and %s disagree (long, short)" % (binary, page))

    def test_daemon_options_match_its_page(self):
        self.check_options(BOXOFFICED, "boxofficed.8", "OPTIONS")

    def test_client_options_match_its_page(self):
        self.check_options(os.path.join(RELEASE, "boxoffice"), "boxoffice.1", "OPTIONS")

    def test_call_tool_options_match_its_page(self):
        self.check_options(os.path.join(RELEASE, "boxoffice-call"), "boxoffice-call.1",
                           "DESCRIPTION")

    def daemon_settings(self):
        longs, _ = help_options(BOXOFFICED)
        return longs - {"config", "help", "version"}

    def test_config_page_lists_exactly_the_settings(self):
        text = section(rendered("boxoffice.conf.5"), "SETTINGS")
        documented = set(re.findall(r"^     ([a-z][a-z-]*) (?:text|integer|boolean)", text, re.M))
        self.assertEqual(documented, self.daemon_settings())

    def test_example_config_has_every_setting_and_works(self):
        with open(os.path.join(ROOT, "etc/boxofficed.conf.example")) as example:
            lines = example.read().splitlines()
        settings = re.compile(r"^#?([a-z][a-z-]*) = ")
        named = {settings.match(line).group(1) for line in lines if settings.match(line)}
        self.assertEqual(named, self.daemon_settings())
        # With every setting switched on, the daemon accepts the file. The
        # endpoint and database are overridden so the test touches nothing
        # but its own directory.
        with tempfile.TemporaryDirectory() as directory:
            config = os.path.join(directory, "boxofficed.conf")
            with open(config, "w") as out:
                out.write("\n".join(re.sub(r"^#([a-z][a-z-]* = )", r"\1", line)
                                    for line in lines) + "\n")
            daemon = subprocess.Popen(
                [BOXOFFICED, "-c", config, "-f", "-d", os.path.join(directory, "x.db"),
                 "-e", "ipc://" + os.path.join(directory, "x.sock")],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            try:
                with self.assertRaises(subprocess.TimeoutExpired):
                    daemon.wait(timeout=1.5)
            finally:
                daemon.send_signal(signal.SIGTERM)
                output, _ = daemon.communicate(timeout=20)
            self.assertEqual(daemon.returncode, 0, output)
            self.assertIn("serving", output)


class InstallTest(unittest.TestCase):
    def make(self, *targets, **variables):
        command = ["make", "-s", "-C", ROOT] + list(targets)
        command += ["%s=%s" % item for item in variables.items()]
        result = run(command)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def tree(self, root):
        return sorted(os.path.relpath(os.path.join(path, name), root)
                      for path, _, names in os.walk(root) for name in names)

    def test_install_and_uninstall_honour_prefix_and_destdir(self):
        with tempfile.TemporaryDirectory() as destdir:
            self.make("install", DESTDIR=destdir, PREFIX="/usr")
            self.assertEqual(self.tree(destdir), sorted([
                "etc/boxoffice/boxofficed.conf",
                "usr/bin/boxoffice",
                "usr/bin/boxoffice-call",
                "usr/lib/systemd/system/boxofficed.service",
                "usr/sbin/boxofficed",
                "usr/share/doc/boxoffice/README.md",
                "usr/share/doc/boxoffice/boxofficed.conf.example",
                "usr/share/doc/boxoffice/examples/buy_ticket.py",
                "usr/share/doc/boxoffice/examples/buy_ticket.sh",
                "usr/share/man/man1/boxoffice-call.1",
                "usr/share/man/man1/boxoffice.1",
                "usr/share/man/man5/boxoffice.conf.5",
                "usr/share/man/man7/boxoffice-protocol.7",
                "usr/share/man/man8/boxofficed.8",
            ]))
            installed = run([os.path.join(destdir, "usr/sbin/boxofficed"), "--version"])
            self.assertRegex(installed.stdout, r"^boxofficed \d")
            with open(os.path.join(destdir, "usr/lib/systemd/system/boxofficed.service")) as unit:
                text = unit.read()
            self.assertIn("ExecStart=/usr/sbin/boxofficed --foreground --config "
                          "/etc/boxoffice/boxofficed.conf\n", text)
            for setting in ("Restart=on-failure", "NoNewPrivileges=yes", "ProtectSystem=strict",
                            "StateDirectory=boxoffice", "Type=simple",
                            "RuntimeDirectory=boxoffice", "RuntimeDirectoryMode=0755"):
                self.assertIn(setting + "\n", text)
            self.assertNotIn("@", text)

            # An administrator's config survives both a reinstall and uninstall.
            config = os.path.join(destdir, "etc/boxoffice/boxofficed.conf")
            with open(config, "a") as out:
                out.write("admit-batch = 7\n")
            self.make("install", DESTDIR=destdir, PREFIX="/usr")
            with open(config) as kept:
                self.assertIn("admit-batch = 7", kept.read())
            self.make("uninstall", DESTDIR=destdir, PREFIX="/usr")
            self.assertEqual(self.tree(destdir), ["etc/boxoffice/boxofficed.conf"])

    def test_default_prefix_is_usr_local(self):
        with tempfile.TemporaryDirectory() as destdir:
            self.make("install", DESTDIR=destdir)
            self.assertTrue(os.path.exists(os.path.join(destdir, "usr/local/sbin/boxofficed")))
            self.assertTrue(os.path.exists(
                os.path.join(destdir, "usr/local/etc/boxoffice/boxofficed.conf")))
            with open(os.path.join(destdir, "usr/local/lib/systemd/system/boxofficed.service")) as unit:
                self.assertIn("/usr/local/etc/boxoffice/boxofficed.conf", unit.read())
            # Every /usr/local path the pages name is one a default install made.
            for page in ("boxofficed.8", "boxoffice.conf.5", "boxoffice-call.1",
                         "boxoffice-protocol.7", "boxoffice.1"):
                for path in set(re.findall(r"/usr/local/[\w./-]*[\w/]", rendered(page))):
                    self.assertTrue(os.path.exists(destdir + path), "%s names %s" % (page, path))
            self.make("uninstall", DESTDIR=destdir)
            self.assertEqual(self.tree(destdir), [])


# --- Drift guards: the protocol page against the code and a real daemon ----

def source(path):
    with open(os.path.join(ROOT, path)) as f:
        return f.read()


def code_ops():
    """The op names, in the order of the op table in shared/protocol.c."""
    text = source("shared/protocol.c")
    table = text[text.index("s_ops[BO_OP_COUNT]"):]
    table = table[:table.index("\n};")]
    return re.findall(r'"([a-z]+\.[a-z]+)"', table)


def code_errors():
    """The error codes of the status table in shared/protocol.c (OK is none)."""
    text = source("shared/protocol.c")
    return set(re.findall(r'\[BO_[A-Z_]+\] = \{"([A-Z_]+)"', text)) - {"OK"}


def page_section_source(page, name):
    """The mdoc source of one top-level section."""
    text = source(os.path.join("man", page))
    match = re.search(r"^\.Sh %s\n(.*?)(?=^\.Sh |\Z)" % re.escape(name), text, re.S | re.M)
    if not match:
        raise AssertionError("%s has no %s section" % (page, name))
    return match.group(1)


class ProtocolPageTest(DaemonTestCase):
    PAGE = "boxoffice-protocol.7"

    def test_op_table_and_subsections_are_the_code_op_table(self):
        ops = code_ops()
        self.assertEqual(len(ops), 13, ops)
        text = page_section_source(self.PAGE, "OPERATIONS")
        table = re.findall(r"^\.It Ic (\S+) Ta", text, re.M)
        self.assertEqual(table, ops, "the OPERATIONS table is not the op table, in order")
        subsections = re.findall(r"^\.Ss (\S+)$", text, re.M)
        self.assertEqual(subsections, ops, "one subsection per op, in table order")
        named = set(re.findall(r"^\.(?:It )?Ic ([a-z]+\.[a-z]+)", source("man/" + self.PAGE), re.M))
        self.assertLessEqual(named, set(ops), "the page names ops the code lacks")

    def test_error_codes_are_the_code_status_table(self):
        codes = code_errors()
        self.assertGreater(len(codes), 10, codes)
        text = page_section_source(self.PAGE, "ERROR CODES")
        listed = re.findall(r"^\.It Er ([A-Z_]+)$", text, re.M)
        self.assertEqual(len(listed), len(set(listed)), "a code listed twice")
        self.assertEqual(set(listed), codes)
        mentioned = set(re.findall(r"\bEr ([A-Z_]+)", source("man/" + self.PAGE)))
        self.assertLessEqual(mentioned, codes, "the page names codes the code lacks")

    def test_the_daemon_knows_every_documented_op(self):
        for op in code_ops():
            reply = self.client.call(op=op)
            self.assertNotEqual(reply.get("error"), "UNKNOWN_OP", op)
        self.assertEqual(self.client.call(op="no.such")["error"], "UNKNOWN_OP")

    def test_error_replies_carry_documented_codes(self):
        # Codes the daemon really sends are in the table the page documents.
        replies = [self.client.call(op="no.such"), self.client.call(op="point.balance"),
                   self.client.call(op="point.balance", user_id=999999),
                   self.client.call(op="concert.list", user_id=1, token="nope")]
        self.assertEqual([reply["error"] for reply in replies],
                         ["UNKNOWN_OP", "BAD_REQUEST", "NOT_FOUND", "TOKEN_INVALID"])


class DefaultsTest(unittest.TestCase):
    """The defaults and ranges the pages state are the daemon's."""

    @classmethod
    def setUpClass(cls):
        result = run([BOXOFFICED, "--help"])
        cls.defaults = dict(re.findall(r"--([a-z-]+)\b.*\(default (\S+)\)$", result.stdout, re.M))
        cls.ranges = {name: (int(low), int(high)) for name, low, high in re.findall(
            r'INT\("([a-z-]+)", \w+, (\d+), (\d+)', source("server/options.c"))}

    def test_help_lists_defaults(self):
        self.assertEqual(set(self.defaults), {
            "endpoint", "database", "admit-batch", "admit-interval-ms", "max-active",
            "token-ttl", "hold-ttl", "abandon-after", "stats-interval"})
        self.assertEqual(set(self.ranges), set(self.defaults) - {"endpoint", "database"})

    def items(self, page, name, start):
        """Each option's (or setting's) paragraph in a rendered section."""
        text = section(rendered(page), name)
        chunks = re.split(r"^(?=%s)" % start, text, flags=re.M)
        found = {}
        for chunk in chunks:
            head = chunk.split("\n", 1)[0]
            # "-e, --endpoint endpoint" in the daemon's page,
            # "endpoint text (-e, --endpoint)" in the config page.
            match = re.match(r"\s+(?:-\w, )?--([a-z-]+)", head) or \
                re.match(r"\s+([a-z][a-z-]*) (?:text|integer|boolean) ", head)
            if match and match.group(1) not in found:
                found[match.group(1)] = " ".join(chunk.split())
        return found

    def check_items(self, items, page):
        for name, default in self.defaults.items():
            self.assertIn(name, items, page)
            stated = re.search(r"[Tt]he default(?: is|,) (\S+)", items[name])
            self.assertIsNotNone(stated, "%s: no default for %s" % (page, name))
            self.assertEqual(stated.group(1).rstrip(",."), default, "%s: %s" % (page, name))
        for name, (low, high) in self.ranges.items():
            self.assertIn("from %d to %d" % (low, high), items[name].replace(",", ""),
                          "%s: range of %s" % (page, name))

    def test_daemon_page_options(self):
        self.check_items(self.items("boxofficed.8", "OPTIONS", r"     -"), "boxofficed.8")

    def test_config_page_settings(self):
        self.check_items(self.items("boxoffice.conf.5", "SETTINGS", r"     [a-z]"),
                         "boxoffice.conf.5")

    def test_defaults_in_running_text(self):
        # Wherever a page names a setting and then "(default N)", N is right.
        names = "|".join(sorted(self.defaults, key=len, reverse=True))
        pattern = re.compile(r"(?<![\w-])(?:--)?(%s)(?![\w-])((?:(?!(?:%s)(?![\w-]))[^()]){0,80}?)"
                             r"\(default (\S+?)\)" % (names, names))
        for page in ("boxofficed.8", "boxoffice.conf.5", "boxoffice-protocol.7"):
            text = " ".join(rendered(page).split())
            matches = pattern.findall(text)
            if page != "boxoffice.conf.5":
                self.assertTrue(matches, page)
            for name, _, default in matches:
                self.assertEqual(default, self.defaults[name], "%s: %s" % (page, name))

    def test_example_config_shows_the_defaults(self):
        text = source("etc/boxofficed.conf.example")
        shown = dict(re.findall(r"^#([a-z][a-z-]*) = (\S+)$", text, re.M))
        for name, default in self.defaults.items():
            self.assertEqual(shown.get(name), default, name)


# --- The worked examples of boxoffice-protocol(7), run as a reader would ----

def literal_after(text, first_line):
    """The literal display of a rendered page that starts with first_line,
    without its indentation, up to the first line indented less."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.strip() == first_line:
            indent = len(line) - len(line.lstrip())
            block = []
            for later in lines[i:]:
                if later.strip() and len(later) - len(later.lstrip()) < indent:
                    break
                block.append(later[indent:])
            return "\n".join(block).rstrip("\n") + "\n"
    raise AssertionError("no display starting %r" % first_line)


def renderings(page):
    """The page as mandoc renders it, and as groff does if it is installed."""
    texts = [rendered(page)]
    if shutil.which("groff"):
        result = run(["groff", "-mandoc", "-Tutf8", "-P-c", os.path.join(ROOT, "man", page)])
        if result.returncode == 0:
            texts.append(re.sub(".\b", "", result.stdout))
    return texts


def generalized(expected):
    """A regular expression for a sample output line: any number where it has one."""
    return re.sub(r"\d+", r"\\d+", re.escape(expected))


class ProtocolExamplesTest(DaemonTestCase):
    PAGE = "boxoffice-protocol.7"
    # One admission per interval, so the examples really wait in line.
    DAEMON_ARGS = ["--admit-batch", "1", "--admit-interval-ms", "300"]

    def extract(self, first_line):
        blocks = [literal_after(text, first_line) for text in renderings(self.PAGE)]
        for other in blocks[1:]:
            self.assertEqual(other, blocks[0], "mandoc and groff render the example differently")
        self.assertNotRegex(blocks[0], "[\u2010\u2018\u2019\u201c\u201d\u2212]",
                            "typographic characters would break a pasted example")
        return blocks[0]

    def sample_after(self, intro):
        """The sample output display that follows a sentence of the page."""
        text = rendered(self.PAGE)
        start = text.index(intro) + len(intro)
        first = next(line for line in text[start:].split("\n")[1:] if line.strip())
        return literal_after(text[start:], first.strip()).splitlines()

    def tool_dir(self):
        """A directory whose boxoffice-call reaches the test daemon, as the
        real one reaches a daemon on the default endpoint; a later -e on the
        command line still wins."""
        directory = tempfile.mkdtemp(prefix="boxoffice-docs-")
        self.addCleanup(shutil.rmtree, directory, True)
        tool = os.path.join(directory, "boxoffice-call")
        with open(tool, "w") as out:
            out.write('#!/bin/bash\nexec -a boxoffice-call %s -e %s "$@"\n'
                      % (os.path.join(RELEASE, "boxoffice-call"), self.daemon.endpoint))
        os.chmod(tool, 0o755)
        return directory

    def paid_count(self):
        with sqlite3.connect(self.daemon.database) as db:
            return db.execute("SELECT COUNT(*) FROM reservations WHERE status = 'paid'").fetchone()[0]

    def test_python_example_buys_a_ticket(self):
        script = self.extract("#!/usr/bin/python3")
        compile(script, "buy.py", "exec")
        before = self.paid_count()
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "buy.py")
            with open(path, "w") as out:
                out.write(script)
            result = run(["/usr/bin/python3", path, self.daemon.endpoint])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.paid_count(), before + 1)
        samples = [generalized(line) for line in
                   self.sample_after("Against a busy server it prints something like:")]
        lines = result.stdout.splitlines()
        self.assertRegex(lines[-1], "^%s$" % samples[-1])
        for line in lines:
            self.assertTrue(any(re.fullmatch(sample, line) for sample in samples), line)

    def test_shell_example_buys_a_ticket(self):
        script = self.extract("#!/bin/sh")
        before = self.paid_count()
        path = os.path.join(self.tool_dir(), "buy.sh")
        with open(path, "w") as out:
            out.write(script)
        result = run(["sh", path], env=dict(os.environ, PATH=os.path.dirname(path) + ":"
                                            + os.environ["PATH"]))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.paid_count(), before + 1)
        samples = self.sample_after("When the line is busy, it prints:")
        lines = result.stdout.splitlines()
        self.assertEqual(len(lines), len(samples), result.stdout)
        for line, sample in zip(lines, samples):
            self.assertRegex(line, "^%s$" % generalized(sample))

    def test_prompt_session_runs_as_shown(self):
        self.assertFalse(os.path.exists("/tmp/nobody.sock"), "something is at /tmp/nobody.sock")
        session = self.extract("$ boxoffice-call -f point '{\"op\":\"point.balance\",\"user_id\":2}'")
        commands, expected, continued = [], [], False
        for line in session.splitlines():
            if continued or line.startswith("$ "):
                commands.append(line[2:] if line.startswith("$ ") else line)
                continued = line.endswith("\\")
            else:
                expected.append(line)
        self.assertGreater(len(commands), 4, session)
        directory = self.tool_dir()
        result = run(["sh", "-c", "exec 2>&1\n" + "\n".join(commands)],
                     env=dict(os.environ, PATH=directory + ":" + os.environ["PATH"]))
        got = result.stdout.splitlines()
        self.assertEqual(len(got), len(expected), result.stdout)
        for line, sample in zip(got, expected):
            pattern = re.escape(sample)
            pattern = re.sub(r'"uptime_s":\d+', r'"uptime_s":\\d+', pattern)
            pattern = re.sub(r'"version":"[\d.\\]+"', r'"version":"[0-9.]+"', pattern)
            self.assertRegex(line, "^%s$" % pattern)


if __name__ == "__main__":
    unittest.main()
