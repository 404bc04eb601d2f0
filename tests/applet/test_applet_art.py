"""The applet shows the daemon's cached album art: fetched once from Spotify's image server
(the fake's /image endpoint), however often the applet starts."""

import os

from applet_shot import screenshot
from harness import SpotnowTestCase, main


class AppletArt(SpotnowTestCase):
    polling = {"fresh-playing-s": "3600"}

    def image_requests(self):
        return {p: n for p, n in self.fake.stats()["requests"].items() if p.startswith("/image/")}

    def test_art_is_the_daemons_cached_file_fetched_once(self):
        snap = self.wait_for_snapshot(lambda s: "albumArtFile" in s, what="cached art")
        cached = snap["albumArtFile"]
        for run in range(3):
            lines = screenshot(self, f"run{run}")
            self.assertIn(f"art art\t{cached}", lines)
            self.assertIn("label title\tFirst Song", lines)
        # One image, downloaded once by the daemon; the applet never fetched it itself.
        self.assertEqual(list(self.image_requests().values()), [1])
        self.assertFalse(os.path.exists(os.path.join(self.workdir, "applet-cache", "spotnow",
                                                     "art")))


if __name__ == "__main__":
    main()
