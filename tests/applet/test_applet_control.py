"""The applet's menu controls playback (README: "from the applet's menu"): Play/Pause, Next
and Previous reach the fake Spotify's player; when control cannot work they are greyed out and
the menu says why, e.g. after Spotify's PREMIUM_REQUIRED, until the next sign-in (issue 13 A11)."""

from applet_shot import applet_env
from harness import SpotnowTestCase, main
from test_applet_signin import Applet

CONTROL_SCOPE = "user-read-currently-playing user-read-playback-state user-modify-playback-state"


class AppletControl(SpotnowTestCase):
    timeline = ('1000 track id=t1 name="First Song" artists="The Testers" album="A" '
                'duration=200 progress=30\n'
                '1000 track id=t2 name="Second Song" artists="Bea" album="B" duration=180\n')
    fake_args = ("--scope", CONTROL_SCOPE)

    def write_credentials(self, **kwargs):
        kwargs.setdefault("scope", CONTROL_SCOPE)
        super().write_credentials(**kwargs)

    def setUp(self):
        super().setUp()
        self.wait_for_snapshot(lambda s: s["trackName"] == "First Song")
        self.applet = Applet(applet_env(self))

    def tearDown(self):
        self.applet.quit()
        super().tearDown()

    def menu(self):
        return [line for line in self.applet.command("describe") if line.startswith("menu ")]

    def wait_menu(self, expected, what):
        seen = [None]

        def check():
            seen[0] = self.menu()
            return seen[0] == expected
        try:
            self.wait_for(check, timeout=15, what=what)
        except AssertionError:
            raise AssertionError(f"{what}: menu is {seen[0]}")

    def test_menu_controls_and_says_why_not(self):
        self.wait_menu(["menu _Pause\tenabled", "menu _Next\tenabled",
                        "menu P_revious\tenabled"], "the playing menu")
        self.applet.command("action next")
        self.wait_for(lambda: "next" in self.fake.stats()["controls"], what="Next at Spotify")
        self.wait_for_snapshot(lambda s: s["trackName"] == "Second Song", what="the next track")

        # A free account: Spotify refuses with PREMIUM_REQUIRED, and control stays off.
        self.fake.control("premium", on="0")
        self.applet.command("action play-pause")
        seen = [None]

        def refused():
            seen[0] = self.menu()
            return len(seen[0]) == 4 and seen[0][0] == "menu _Pause\tdisabled"
        self.wait_for(refused, timeout=15, what="the refusal in the menu")
        self.assertEqual(seen[0][1:3], ["menu _Next\tdisabled", "menu P_revious\tdisabled"])
        reason = seen[0][3]
        self.assertTrue(reason.startswith("menu Control is off until you sign in again: "), reason)
        self.assertIn("Premium", reason)
        self.assertTrue(reason.endswith("\tdisabled"), reason)


if __name__ == "__main__":
    main()
