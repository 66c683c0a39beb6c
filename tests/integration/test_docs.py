"""Docs that cannot drift: every man page passes mandoc's lint, every option a
binary's --help lists is in its page and every option its page lists is in
--help, the config page and the example config know exactly the daemon's
settings, and `make install` lays down the tree it promises."""

import glob
import os
import re
import signal
import subprocess
import tempfile
import unittest

from harness import BOXOFFICED, ROOT

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


if __name__ == "__main__":
    unittest.main()
