"""`spotnow login [--paste]` and `spotnow logout` against the daemon's real sign-in and the fake
accounts service: the browser's part is played by this test, over real HTTP. Also the control
commands' arguments as far as the daemon at hand lets them go."""

import os
import re
import shlex
import signal
import stat
import subprocess
import time
import unittest
import urllib.parse

from clitest import CliTestCase
from harness import authorize, browse, register_fake_browser
from harness import TOKEN_PATH, main

FULL_SCOPE = ("user-read-currently-playing user-read-playback-state "
              "user-modify-playback-state")
NOW_LINE = re.compile(r"^▶ The Testers — First Song \(\d+:\d\d/\d+:\d\d\)$")


class Login(CliTestCase):
    credentials = False

    redirect_port = True
    spotify = {"sign-in-timeout-s": "60"}

    def credentials_path(self):
        return os.path.join(self.state_dir, "credentials.ini")

    def cli_env(self, display=":99", **extra):
        """A display, so `spotnow login` tries a browser; display=None: a console or ssh."""
        env = super().cli_env(**extra)
        env.pop("WAYLAND_DISPLAY", None)
        if display is None:
            env.pop("DISPLAY", None)
        else:
            env["DISPLAY"] = display
        return env

    def port_is_free(self):
        import socket
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) != 0

    def assertFlowEnded(self):
        self.wait_for(lambda: not self.status()["signInPending"], what="the flow to end")
        self.wait_for(self.port_is_free, timeout=5, what="the port to be freed")

    def assertAuthorizeUrl(self, url):
        self.assertTrue(url.startswith(f"{self.fake.url}/authorize?"), url)
        self.assertIn("redirect_uri=http%3A%2F%2F127.0.0.1%3A" + str(self.port), url)

    def assertSignedIn(self, stdout_lines):
        self.assertEqual(stdout_lines[0], "Signed in.")
        self.assertRegex(stdout_lines[1], NOW_LINE)
        self.assertEqual(len(stdout_lines), 2, stdout_lines)
        self.assertEqual(stat.S_IMODE(os.stat(self.credentials_path()).st_mode), 0o600)
        self.assertEqual(self.status()["authState"], "signed-in")
        self.assertEqual(self.fake.requests(TOKEN_PATH), 1)

    def login_paste(self, transform=lambda location: location):
        """spotnow login --paste, with the redirect as a browser would land on it."""
        login = self.spawn("login", "--paste", stdin=subprocess.PIPE)
        url = login.line()
        self.assertAuthorizeUrl(url)
        login.write(transform(authorize(url)) + "\n")
        login.close_stdin()
        code = self.wait_exit(login, 30)
        return login, code

    def test_paste(self):
        login, code = self.login_paste()
        self.assertEqual(code, 0, login.stderr())
        self.assertSignedIn(login.pending_lines())
        # stdin is no terminal: no prompt in the way of a script.
        self.assertEqual(login.stderr(), "")

    def test_paste_prompts_on_a_terminal(self):
        master, slave = os.openpty()
        try:
            login = self.spawn("login", "--paste", stdin=slave)
            url = login.line()
            self.wait_for(lambda: login.stderr().endswith("Redirected address: "),
                          what="the prompt")
            self.assertIn(f"starting with http://127.0.0.1:{self.port}/callback", login.stderr())
            os.write(master, (authorize(url) + "\n").encode())
            self.assertEqual(self.wait_exit(login, 30), 0, login.stderr())
        finally:
            os.close(master)
            os.close(slave)
        self.assertSignedIn(login.pending_lines())

    def test_paste_access_denied(self):
        self.fake.control("authorize", outcome="access_denied")
        login, code = self.login_paste()
        self.assertEqual(code, 4)
        self.assertEqual(login.pending_lines(), [])
        self.assertEqual(login.stderr(),
                         "spotnow: Access was declined on Spotify's page (access_denied)\n")
        self.assertFalse(os.path.exists(self.credentials_path()))

    def test_paste_wrong_state(self):
        login, code = self.login_paste(lambda location: location.replace("state=", "state=x"))
        self.assertEqual(code, 4)
        self.assertIn("state mismatch", login.stderr())
        self.assertFalse(os.path.exists(self.credentials_path()))
        # Asked again, got nothing more: the flow is cancelled, not left for 10 minutes.
        self.assertIn("no address was pasted", login.stderr())
        self.assertFlowEnded()

    def test_paste_nothing(self):
        login = self.spawn("login", "--paste", stdin=subprocess.PIPE)
        login.line()
        login.close_stdin()
        self.assertEqual(self.wait_exit(login), 4)
        self.assertEqual(login.stderr(), "spotnow: no address was pasted; not signed in.\n")
        self.assertFlowEnded()

    def test_paste_of_a_huge_line_is_refused(self):
        login = self.spawn("login", "--paste", stdin=subprocess.PIPE)
        login.line()
        login.write("x" * (1 << 20) + "\n")
        login.close_stdin()
        self.assertEqual(self.wait_exit(login, 30), 4)
        self.assertIn("That line is not an address (longer than 64 KiB", login.stderr())
        self.assertFlowEnded()

    def test_paste_with_quotes_and_spaces(self):
        login, code = self.login_paste(lambda location: f"  \"{location}\" ")
        self.assertEqual(code, 0, login.stderr())
        self.assertSignedIn(login.pending_lines())

    def test_paste_mistake_asks_again(self):
        login = self.spawn("login", "--paste", stdin=subprocess.PIPE)
        callback = authorize(login.line())
        login.write(callback[:-8] + "\n")
        self.wait_for(lambda: "cut short" in login.stderr(), what="the first attempt's error")
        self.assertIsNone(login.proc.poll())
        login.write(callback + "\n")
        login.close_stdin()
        self.assertEqual(self.wait_exit(login, 30), 0, login.stderr())
        self.assertSignedIn(login.pending_lines())
        self.assertNotIn("revoked", login.stderr())

    def test_browser_loopback(self):
        # No browser here (empty XDG dirs): the URL is printed and the test plays the browser.
        login = self.spawn("login")
        url = login.line()
        self.assertAuthorizeUrl(url)
        status, page = browse(authorize(url))
        self.assertEqual(status, 200, page)
        self.assertEqual(self.wait_exit(login, 20), 0, login.stderr())
        self.assertSignedIn(login.pending_lines())
        self.assertIn("could not open a browser", login.stderr())
        self.assertFlowEnded()
        self.assertIn("spotnow login --paste", login.stderr())

    def login_in_browser(self):
        """spotnow login, with this test as the browser; returns (process, page status)."""
        login = self.spawn("login")
        url = login.line()
        status, _ = browse(authorize(url))
        return login, status

    def test_browser_declined_ends_the_wait(self):
        self.fake.control("authorize", outcome="access_denied")
        login, status = self.login_in_browser()
        self.assertEqual(status, 400)
        self.assertEqual(self.wait_exit(login, 20), 4)
        self.assertEqual(login.pending_lines(), [])
        self.assertIn("spotnow: Sign-in failed: Access was declined on Spotify's page "
                      "(access_denied)\n", login.stderr())
        self.assertFalse(os.path.exists(self.credentials_path()))
        self.assertFalse(self.status()["signInPending"])

    def test_browser_refused_code_ends_the_wait(self):
        self.fake.control("config", **{"code-lifetime": "0"})
        login, status = self.login_in_browser()
        self.assertEqual(status, 400)
        # At once, not after the flow's lifetime (60 s here).
        self.assertEqual(self.wait_exit(login, 20), 4)
        self.assertIn("spotnow: Sign-in failed: Spotify refused the sign-in", login.stderr())
        self.assertFalse(os.path.exists(self.credentials_path()))

    def test_browser_failure_while_signed_in_is_no_success(self):
        """Signed in already, a new sign-in that fails must not print "Signed in." (the auth
        state alone says signed-in all along)."""
        first, code = self.login_paste()
        self.assertEqual(code, 0, first.stderr())
        with open(self.credentials_path(), "rb") as f:
            credentials = f.read()
        self.fake.control("authorize", outcome="access_denied")
        login, status = self.login_in_browser()
        self.assertEqual(status, 400)
        self.assertEqual(self.wait_exit(login, 20), 4)
        self.assertEqual(login.pending_lines(), [])
        self.assertIn("access_denied", login.stderr())
        with open(self.credentials_path(), "rb") as f:
            self.assertEqual(f.read(), credentials)

    def test_browser_flow_expiring_ends_the_wait(self):
        self.stop()
        self.spotify["sign-in-timeout-s"] = "0.5"
        self.write_config()
        self.start()
        login = self.spawn("login")
        login.line()
        self.assertEqual(self.wait_exit(login, 20), 4)
        self.assertIn("The sign-in expired before it was completed", login.stderr())

    def test_opens_the_default_browser(self):
        opened = register_fake_browser(self.workdir)
        data = os.path.join(self.workdir, "xdg-data")
        config = os.path.join(self.workdir, "xdg-config")
        login = self.spawn("login", env=self.cli_env(XDG_DATA_HOME=data, XDG_CONFIG_HOME=config))
        url = login.line()
        self.wait_for(lambda: os.path.exists(opened), what="the browser to be opened")
        with open(opened) as f:
            opened_url = f.read().rstrip("\n")
        # The browser's command line carries no secret of the flow: a one-time loopback
        # address, which sends it on to Spotify's page, once.
        self.assertRegex(opened_url, rf"^http://127\.0\.0\.1:{self.port}/start/[A-Za-z0-9_-]{{43}}$")
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(url).query))
        for secret in (query["state"], query["code_challenge"]):
            self.assertNotIn(secret, opened_url)
        self.assertEqual(authorize(opened_url), url)
        browse(authorize(url))
        self.assertEqual(self.wait_exit(login, 20), 0, login.stderr())
        self.assertSignedIn(login.pending_lines())
        self.assertIn("opened the sign-in page in your browser", login.stderr())

    def test_no_display_falls_back_to_paste(self):
        """Over ssh: a browser is installed, but there is no display to show it on."""
        opened = register_fake_browser(self.workdir)
        env = self.cli_env(display=None, XDG_DATA_HOME=os.path.join(self.workdir, "xdg-data"),
                           XDG_CONFIG_HOME=os.path.join(self.workdir, "xdg-config"))
        login = self.spawn("login", stdin=subprocess.PIPE, env=env)
        url = login.line()
        self.wait_for(lambda: "no display here" in login.stderr(), what="the fallback")
        login.write(authorize(url) + "\n")
        login.close_stdin()
        self.assertEqual(self.wait_exit(login, 30), 0, login.stderr())
        self.assertSignedIn(login.pending_lines())
        self.assertFalse(os.path.exists(opened))
        self.assertNotIn("opened the", login.stderr())

    def test_ctrl_c_cancels(self):
        login = self.spawn("login")
        login.line()
        time.sleep(0.3)  # into the wait
        login.signal(signal.SIGINT)
        self.assertEqual(self.wait_exit(login), 130)
        self.assertIn("sign-in cancelled", login.stderr())
        self.assertEqual(login.pending_lines(), [])
        # Cancelled in the daemon too: no longer pending, the port free, the address dead.
        self.assertFlowEnded()

    def test_killed_login_leaves_the_flow_until_cancelled(self):
        """No chance to call CancelSignIn: the flow waits (BeginSignIn and CompleteSignIn may
        come from two programs, as two gdbus calls), until CancelSignIn, a new sign-in or its
        expiry ends it."""
        login = self.spawn("login")
        login.line()
        self.assertTrue(self.status()["signInPending"])
        login.signal(signal.SIGKILL)
        self.wait_exit(login)
        self.assertTrue(self.status()["signInPending"])
        self.call("CancelSignIn")
        self.assertFlowEnded()

    def test_status_shows_a_pending_sign_in(self):
        login = self.spawn("login")
        login.line()
        result = self.spotnow("status")
        self.assertIn("Sign-in:", result.stdout)
        self.assertIn("waiting for the browser", result.stdout)
        login.signal(signal.SIGINT)
        self.wait_exit(login)
        self.assertFlowEnded()
        self.assertNotIn("Sign-in:", self.spotnow("status").stdout)

    def test_daemon_leaving_ends_the_wait(self):
        login = self.spawn("login")
        login.line()
        self.stop()
        self.assertEqual(self.wait_exit(login), 3)
        self.assertIn("stopped before the sign-in finished", login.stderr())

    def test_port_taken(self):
        """Another program holds the redirect port: said as it is (not "busy"), and the sign-in
        goes on by pasting, which needs no listener."""
        import socket
        with socket.socket() as blocker:
            blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            blocker.bind(("127.0.0.1", self.port))
            blocker.listen(1)
            login = self.spawn("login", stdin=subprocess.PIPE)
            url = login.line()
            self.wait_for(lambda: "Redirected address" in login.stderr() or
                          "--paste" in login.stderr(), what="the fallback")
            self.assertIn(f"Port {self.port} on 127.0.0.1 is in use", login.stderr())
            self.assertNotIn("busy", login.stderr().lower())
            result = self.spotnow("status")
            self.assertIn(f"waiting for a pasted address (Port {self.port}", result.stdout)
            login.write(authorize(url) + "\n")
            login.close_stdin()
            self.assertEqual(self.wait_exit(login, 30), 0, login.stderr())
        self.assertSignedIn(login.pending_lines())


class LoginWithoutClientId(CliTestCase):
    credentials = False
    client_id = None

    def test_explains_the_three_steps(self):
        for args in (["login"], ["login", "--paste"]):
            result = self.spotnow(*args)
            self.assertExit(result, 4)
            self.assertEqual(result.stdout, "")
            lines = result.stderr.splitlines()
            self.assertEqual(lines[0], "spotnow: No Spotify client id is configured. "
                                       "To set one up:", result.stderr)
            # Numbered steps, one a line, with the exact file and how to restart.
            self.assertEqual([line.split()[0] for line in lines if line.strip()[:2] in
                              ("1.", "2.", "3.", "4.", "5.")], ["1.", "2.", "3.", "4.", "5."])
            self.assertIn("https://developer.spotify.com/dashboard", lines[1])
            self.assertIn("http://127.0.0.1:8898/callback", lines[2])
            self.assertIn(f"in {self.config_path}:", lines[3])
            self.assertEqual([lines[4].strip(), lines[5].strip()],
                             ["[spotify]", "client-id=…"])
            self.assertIn("systemctl --user restart spotnowd", lines[6])
            self.assertIn("spotnow login", lines[7])


class Logout(CliTestCase):
    def test_logout_keeps_the_last_played(self):
        self.wait_for_snapshot(lambda s: s["trackName"] == "First Song")
        result = self.spotnow("logout")
        self.assertExit(result, 0)
        self.assertEqual((result.stdout, result.stderr), ("Signed out.\n", ""))
        self.assertFalse(os.path.exists(os.path.join(self.state_dir, "credentials.ini")))
        self.assertEqual(self.status()["authState"], "signed-out")
        result = self.spotnow()
        self.assertExit(result, 4)
        self.assertEqual(result.stdout, "⏸ The Testers — First Song (last played)\n")
        # Signing out twice is no error.
        self.assertExit(self.spotnow("logout"), 0)


class Control(CliTestCase):
    """The control commands' arguments. Until the daemon has Play, Pause, Next, Previous and
    Seek, each says so (exit 2); once it has them, the fake records the command."""

    timeline = ('1000 track id=t1 name="First Song" artists="The Testers" album="Test Album" '
                'duration=1000 progress=100\n')
    fake_args = ("--scope", FULL_SCOPE)

    def write_credentials(self, **kwargs):
        super().write_credentials(**{"scope": FULL_SCOPE, **kwargs})

    def setUp(self):
        super().setUp()
        self.wait_for_snapshot(lambda s: s["trackName"] == "First Song")

    def test_bad_seek_arguments(self):
        for args, message in ((["seek"], "seek needs an offset in seconds, such as +30 or -10"),
                              (["seek", "abc"], "“abc” is not a number of seconds; seek needs "
                                                "an offset such as +30 or -10"),
                              (["seek", "1e3"], "“1e3” is not a number of seconds; seek needs "
                                                "an offset such as +30 or -10"),
                              (["seek", "+90000"], "seek moves at most 86400 seconds either way"),
                              (["seek", "5", "6"], "unexpected argument “6”"),
                              (["pause", "now"], "unexpected argument “now”")):
            result = self.spotnow(*args)
            self.assertExit(result, 2)
            self.assertEqual(result.stderr.splitlines()[0], f"spotnow: {message}", args)

    def test_verbs(self):
        if not self.daemon_has_method("Seek"):
            for args in (["play"], ["pause"], ["toggle"], ["next"], ["previous"], ["seek", "-5"],
                         ["seek", "+10"], ["--wait", "seek", "30"]):
                result = self.spotnow(*args)
                self.assertExit(result, 2)
                self.assertEqual(result.stderr, "spotnow: playback control is not available in "
                                                "this version of the daemon yet.\n")
            return
        self.fake.control("reset-stats")
        for args, recorded, playing in ((["pause"], "pause", False), (["play"], "play", True),
                                        (["toggle"], "pause", False), (["next"], "next", False),
                                        (["previous"], "previous", False)):
            result = self.spotnow(*args)
            self.assertExit(result, 0)
            # Done when it returns: Spotify has it, and the daemon has polled the new state,
            # so a script's next read (and toggle's) sees it.
            self.assertEqual(self.fake.stats()["controls"][-1:], [recorded], args)
            self.assertIs(self.snapshot()["isPlaying"], playing, args)
        before = self.fake.stats()["controls"]
        result = self.spotnow("seek", "-5")
        self.assertExit(result, 0)
        self.wait_for(lambda: len(self.fake.stats()["controls"]) > len(before), what="the seek")
        self.assertTrue(self.fake.stats()["controls"][-1].startswith("seek "))


class Completion(unittest.TestCase):
    """data/spotnow.bash-completion as bash runs it on Tab."""

    PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data",
                        "spotnow.bash-completion")

    def complete(self, *words):
        script = (f"source {shlex.quote(self.PATH)}; "
                  f"COMP_WORDS=({' '.join(shlex.quote(w) for w in words)}); "
                  f"COMP_CWORD={len(words) - 1}; _spotnow; printf '%s\\n' \"${{COMPREPLY[@]}}\"")
        out = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], capture_output=True,
                             text=True, check=True).stdout
        return sorted(line for line in out.splitlines() if line)

    def test_sign_in_words(self):
        self.assertEqual(self.complete("spotnow", "lo"), ["login", "logout"])
        self.assertEqual(self.complete("spotnow", "login", "--p"), ["--paste"])
        self.assertEqual(self.complete("spotnow", "logout", "--p"), [])
        self.assertEqual(self.complete("spotnow", "--system", "login", "--"),
                         ["--help", "--paste", "--system", "--version", "--wait"])

    def test_control_words(self):
        self.assertEqual(self.complete("spotnow", "p"), ["pause", "play", "previous"])
        self.assertEqual(self.complete("spotnow", "seek", "+"), ["+10", "+30"])
        self.assertEqual(self.complete("spotnow", "seek", "-1"), ["-10"])


if __name__ == "__main__":
    main()
