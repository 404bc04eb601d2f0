"""Every state of the applet as a user gets there: tests/fake-spotify plays a timeline, the
real spotnowd polls it over HTTP, and the real applet renders what the daemon knows
(--screenshot): the window is drawn and not blank, and shows the expected texts. The window
tests (test-applet-window.c) cover the same states from a seeded state.ini, plus timers and
presence."""

import fnmatch

from applet_shot import screenshot
from harness import SpotnowTestCase, main

SONG = ('track id=4u7EnebtmKWzUH433cf5Qv name="Bohemian Rhapsody" artists=Queen '
        'album="A Night at the Opera" duration=354 progress=83')


class AppletState(SpotnowTestCase):
    # A viewer present (the test, then the applet) keeps the snapshot within 0.2 s.
    polling = {"fresh-playing-s": "0.2", "fresh-paused-s": "0.2"}

    def settle(self, predicate, what):
        """Until the daemon's snapshot (art included, when there is art) matches."""
        self.report()
        return self.wait_for_snapshot(
            lambda s: predicate(s) and (s["albumArt"] == "" or "albumArtFile" in s),
            timeout=15, what=what)

    def assertShows(self, labels, *patterns):
        for pattern in patterns:
            self.assertTrue(any(fnmatch.fnmatchcase(line, pattern) for line in labels),
                            f"no line like {pattern!r} in:\n" + "\n".join(labels))

    def assertLacks(self, labels, pattern):
        self.assertFalse(any(fnmatch.fnmatchcase(line, pattern) for line in labels), pattern)


class Playing(AppletState):
    timeline = f"1000 {SONG}\n"

    def test_playing(self):
        snap = self.settle(lambda s: s["isPlaying"], "playing")
        labels = screenshot(self, "playing")
        self.assertShows(labels, "mode\tplaying", "label headline\tNow playing",
                         "label title\tBohemian Rhapsody",
                         "label subtitle\tQueen · A Night at the Opera",
                         f"art art\t{snap['albumArtFile']}", "label elapsed\t1:2?",
                         "label total\t5:54")


class LastPlayed(AppletState):
    timeline = f"0.3 {SONG}\n1000 paused\n"

    def test_last_played(self):
        snap = self.settle(lambda s: not s["isPlaying"] and s["trackName"], "paused")
        labels = screenshot(self, "last-played")
        self.assertShows(labels, "mode\tlast-played", "label headline\tLast played",
                         "label title\tBohemian Rhapsody",
                         f"art art\t{snap['albumArtFile']} (dimmed)")


class Episode(AppletState):
    timeline = ('1000 episode id=7makk4oTQel546B0PZlDM5 name="Why the Universe Hums" '
                'show="Science Weekly" duration=2700 progress=600\n')

    def test_episode(self):
        self.settle(lambda s: s["itemType"] == "episode", "an episode")
        labels = screenshot(self, "episode")
        self.assertShows(labels, "mode\tplaying", "label headline\tEpisode",
                         "label title\tWhy the Universe Hums", "label subtitle\tScience Weekly",
                         "label total\t45:00", "art art\t*")


class Advertisement(AppletState):
    timeline = f"0.3 {SONG}\n1000 ad\n"

    def test_ad(self):
        snap = self.settle(lambda s: s["itemType"] == "ad", "an ad")
        labels = screenshot(self, "ad")
        self.assertShows(labels, "mode\tad", "label headline\tAdvertisement",
                         "label subtitle\tAfter “Bohemian Rhapsody” by Queen",
                         f"art art\t{snap['albumArtFile']} (dimmed)")
        self.assertLacks(labels, "progress progress*")


class NeverPlayed(AppletState):
    timeline = "1000 nothing\n"

    def test_never_played(self):
        self.settle(lambda s: s["fetchedAt"] > 0, "the first poll")
        labels = screenshot(self, "never-played")
        self.assertShows(labels, "mode\tnever-played", "label title\tNothing played yet")
        self.assertLacks(labels, "art art*")


class SignedOut(AppletState):
    credentials = False

    def test_signed_out(self):
        labels = screenshot(self, "signed-out")
        self.assertShows(labels, "mode\tsigned-out", "label headline\tNot signed in",
                         "label sign-in-label\tSign in…")


class BackingOff(AppletState):
    timeline = f"0.3 {SONG}\n1000 status code=429 retry-after=3600\n"

    def test_rate_limited(self):
        self.settle(lambda s: s["isPlaying"], "playing")
        self.wait_for(lambda: self.status()["backoffUntil"] > 0, timeout=15, what="the 429")
        labels = screenshot(self, "backoff")
        # The last known track stays, with an unobtrusive warning giving the reason.
        self.assertShows(labels, "label title\tBohemian Rhapsody",
                         "tooltip warning\t*429*")


class NoDaemon(AppletState):
    start_daemon = False

    def test_no_daemon(self):
        labels = screenshot(self, "no-daemon")
        self.assertShows(labels, "mode\tno-daemon", "label title\tspotnowd is not running")


if __name__ == "__main__":
    main()
