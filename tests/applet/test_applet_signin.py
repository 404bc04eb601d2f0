"""The applet's "Sign in…" runs the sign-in as `spotnow login` does: BeginSignIn, the
authorize page in the default browser, and the window turns to the track once the daemon has
finished the flow at its loopback callback. The browser is a registered fake that notes the
address; this test then plays the browser's part over real HTTP."""

import os
import queue
import subprocess

from applet_shot import applet_env
from harness import (LineProcess, SpotnowTestCase, TOKEN_PATH, authorize, browse, main,
                     register_fake_browser)


class Applet(LineProcess):
    """spotnow-applet --test-control under Xvfb: commands in, "ok …"/"event …"/labels out."""

    def __init__(self, env):
        super().__init__(["xvfb-run", "-a", "-s", "-screen 0 800x600x24",
                          os.environ["SPOTNOW_APPLET"], "--test-control"],
                         env, stderr=subprocess.PIPE)

    def command(self, command, timeout=15):
        """Sends @command; returns the lines printed up to its "ok"."""
        self.send(command)
        out = []
        while True:
            line = self.lines.get(timeout=timeout)
            if line is None:
                raise AssertionError(f"applet exited: {self.proc.stderr.read()}")
            if line == f"ok {command}":
                return out
            out.append(line)

    def quit(self):
        try:
            self.command("quit", timeout=5)
        except (AssertionError, BrokenPipeError, queue.Empty):
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class AppletSignIn(SpotnowTestCase):
    credentials = False

    redirect_port = True
    spotify = {"sign-in-timeout-s": "60"}

    def applet_env(self):
        return applet_env(self, XDG_DATA_HOME=os.path.join(self.workdir, "xdg-data"),
                          XDG_DATA_DIRS=os.path.join(self.workdir, "no-data-dirs"))

    def wait_for_mode(self, applet, mode):
        seen = [[]]

        def described():
            seen[0] = applet.command("describe")
            return f"mode\t{mode}" in seen[0]
        self.wait_for(described, timeout=15, what=f"mode {mode}")
        return seen[0]

    def test_sign_in_button_opens_the_page_and_the_window_follows(self):
        opened = register_fake_browser(self.workdir)
        applet = Applet(self.applet_env())
        self.addCleanup(applet.quit)
        self.wait_for_mode(applet, "signed-out")

        applet.command("sign-in")
        self.wait_for(lambda: os.path.exists(opened), timeout=15, what="the browser")
        with open(opened) as f:
            start_url = f.read().strip()
        # The one-time loopback address (no state or challenge on the browser's command line),
        # which sends the browser on to Spotify's page.
        self.assertRegex(start_url, rf"^http://127\.0\.0\.1:{self.port}/start/[A-Za-z0-9_-]{{43}}$")
        url = authorize(start_url)
        self.assertTrue(url.startswith(f"{self.fake.url}/authorize?"), url)
        self.assertIn(f"127.0.0.1%3A{self.port}%2Fcallback", url)
        self.assertTrue(self.status()["signInPending"])
        # The launch's own reply may come a moment after the browser ran.
        said = ("label sign-in-help\tFinish signing in in your browser. This window updates by "
                "itself once you are signed in.")
        self.wait_for(lambda: said in applet.command("describe"), timeout=15,
                      what="the popover to say so")
        # Pressing again starts over (e.g. after closing that tab): the button stays.
        self.assertTrue(any(BUTTON in line for line in applet.command("describe")))

        status, page = browse(authorize(url))
        self.assertEqual(status, 200, page)
        lines = self.wait_for_mode(applet, "playing")
        self.assertIn("label title\tFirst Song", lines)
        self.assertEqual(self.fake.requests(TOKEN_PATH), 1)
        self.assertEqual(self.status()["authState"], "signed-in")

    def test_without_a_browser_the_address_is_shown(self):
        os.makedirs(os.path.join(self.workdir, "xdg-config"))
        applet = Applet(self.applet_env())
        self.addCleanup(applet.quit)
        self.wait_for_mode(applet, "signed-out")
        applet.command("sign-in")
        said = "label sign-in-help\tOpen this address in a browser on this machine to sign in:"
        seen = [[]]

        def described():
            seen[0] = applet.command("describe")
            return said in seen[0]
        self.wait_for(described, timeout=15, what="the address in the popover")
        # The short one-time address on a line of its own (never broken in the middle), and no
        # button that could only fail again.
        address = [line for line in seen[0] if line.startswith("label sign-in-address\t")]
        self.assertEqual(len(address), 1, seen[0])
        self.assertRegex(address[0], rf"\thttp://127\.0\.0\.1:{self.port}/start/[A-Za-z0-9_-]{{43}}$")
        self.assertFalse(any(BUTTON in line for line in seen[0]), seen[0])
        # It leads to Spotify's page.
        url = authorize(address[0].split("\t", 1)[1])
        self.assertTrue(url.startswith(f"{self.fake.url}/authorize?"), url)


BUTTON = "Open Spotify’s sign-in page"


class AppletSignInWithoutClientId(SpotnowTestCase):
    credentials = False
    client_id = None

    def test_the_reason_is_shown(self):
        applet = Applet(applet_env(self))
        self.addCleanup(applet.quit)
        self.wait_for(lambda: "mode\tsigned-out" in applet.command("describe"), timeout=15,
                      what="signed-out")
        applet.command("sign-in")
        self.wait_for(lambda: any(line.startswith("label sign-in-help\tNo Spotify client id is "
                                                  "configured. To set one up:")
                                  for line in applet.command("describe")),
                      timeout=15, what="the reason in the popover")
        # The daemon's steps, one a line.
        described = applet.command("describe")
        self.assertIn("\n  1. Create an app at https://developer.spotify.com/dashboard",
                      "\n".join(described))
        # Pressing again cannot help until the config is fixed: no button.
        self.assertFalse(any(BUTTON in line for line in described), described)


if __name__ == "__main__":
    main()
