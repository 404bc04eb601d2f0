"""The applet shows the daemon's cached album art: fetched once from Spotify's image server
(the fake's /image endpoint), however often the applet starts."""

import os
import subprocess

from harness import SpotnowTestCase, main


class AppletArt(SpotnowTestCase):
    polling = {"fresh-playing-s": "3600"}

    def run_applet(self, name):
        png = os.path.join(self.workdir, name + ".png")
        env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=self.bus.address,
                   GSK_RENDERER="cairo", GDK_BACKEND="x11", GTK_A11Y="test",
                   XDG_CONFIG_HOME=os.path.join(self.workdir, "config"),
                   XDG_CACHE_HOME=os.path.join(self.workdir, "applet-cache"),
                   LC_ALL="C.UTF-8")
        env.pop("LANGUAGE", None)
        result = subprocess.run(
            ["xvfb-run", "-a", "-s", "-screen 0 800x600x24", os.environ["SPOTNOW_APPLET"],
             "--screenshot", png, "--dump-labels"],
            capture_output=True, text=True, env=env, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertTrue(os.path.getsize(png) > 0)
        return result.stdout.splitlines()

    def image_requests(self):
        return {p: n for p, n in self.fake.stats()["requests"].items() if p.startswith("/image/")}

    def test_art_is_the_daemons_cached_file_fetched_once(self):
        snap = self.wait_for_snapshot(lambda s: "albumArtFile" in s, what="cached art")
        cached = snap["albumArtFile"]
        for run in range(3):
            lines = self.run_applet(f"run{run}")
            self.assertIn(f"art art\t{cached}", lines)
            self.assertIn("label title\tFirst Song", lines)
        # One image, downloaded once by the daemon; the applet never fetched it itself.
        self.assertEqual(list(self.image_requests().values()), [1])
        self.assertFalse(os.path.exists(os.path.join(self.workdir, "applet-cache", "spotnow",
                                                     "art")))


if __name__ == "__main__":
    main()
