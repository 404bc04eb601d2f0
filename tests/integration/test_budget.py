"""doc/design.md section 4, rules 11-14: the request budget, Spotify's QUOTA_EXCEEDED, the
Spotify client on this machine as a free source, and the long pause that costs little. The real
daemon against tests/fake-spotify, with a real MPRIS player on the test bus standing in for the
desktop client.

Each test checks what a user would see: requests that reached "Spotify", GetStatus over D-Bus,
state.ini after a restart, and what a refused command says.
"""

import configparser
import os
import socket
import threading
import time

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

from harness import (BUS_NAME, LocalSpotify, SpotnowTestCase, authorize, main,  # noqa: E402
                     now_ms)

QUOTA_BODY = '{"error":{"status":429,"message":"Too many requests","reason":"QUOTA_EXCEEDED"}}'
RATE_LIMITED = "io.github.spotnow.Error.RateLimited"
SIGNED_OUT = "io.github.spotnow.Error.SignedOut"
HOUR_MS = 3600 * 1000
DAY_MS = 24 * HOUR_MS
CONTROL_SCOPE = "user-read-currently-playing user-modify-playback-state"


class QuotaExceeded(SpotnowTestCase):
    """Rule 12: a spent quota is told apart from a 429, honoured up to a day, persisted with its
    reason, and holds back control too."""

    polling = {"fresh-playing-s": "0.3"}

    def setUp(self):
        super().setUp()
        # The cover fetched: a track change no longer waits for it, so EnsureFresh polls.
        self.wait_for_snapshot(lambda s: "albumArtFile" in s, what="the first poll's cover")

    def ensure_fresh(self):
        """EnsureFresh once the cache is older than the window, so it would poll."""
        fetched = self.snapshot()["fetchedAt"]
        self.wait_for(lambda: now_ms() - fetched > 400, what="a stale cache")
        return super().ensure_fresh()

    def quota_fault(self, retry_after):
        self.fake.control("fault", body=QUOTA_BODY, kind="json", status=429,
                          retry_after=retry_after)

    def state_poll_group(self):
        cfg = configparser.ConfigParser()
        cfg.read(os.path.join(self.state_dir, "state.ini"))
        return cfg["poll"]

    def test_quota_is_honoured_persisted_and_explained(self):
        self.quota_fault(retry_after=13 * 3600)
        before = now_ms()
        self.ensure_fresh()
        status = self.wait_for(lambda: (lambda s: s if s["quotaExceededUntil"] else None)(
            self.status()), what="quotaExceededUntil")
        until = status["quotaExceededUntil"]
        self.assertAlmostEqual(until, before + 13 * HOUR_MS, delta=60_000)
        self.assertIn("quota", status["lastError"])
        # Persisted at once, not at exit: a crash must not forget a wait of hours.
        self.assertEqual(int(self.state_poll_group()["quota-exceeded-until"]), until)
        # Nothing goes out before it passes: EnsureFresh answers from the cache.
        requests = self.fake.requests()
        self.ensure_fresh()
        self.assertEqual(self.fake.requests(), requests)
        # A kill -9 and a restart keep the wait and say why.
        self.daemon.kill()
        self.daemon.wait()
        self.start()
        status = self.status()
        self.assertEqual(status["quotaExceededUntil"], until)
        self.assertIn("quota", status["lastError"])
        self.ensure_fresh()
        self.assertEqual(self.fake.requests(), requests)

    def test_hostile_retry_after_is_read_as_a_day(self):
        self.quota_fault(retry_after=315360000)
        before = now_ms()
        self.ensure_fresh()
        until = self.wait_for(lambda: self.status()["quotaExceededUntil"], what="the quota")
        self.assertLessEqual(until, before + DAY_MS + 60_000)
        self.assertGreater(until, before + DAY_MS - 60_000)

    def test_plain_429_is_no_quota(self):
        self.fake.fault("status", status=429, retry_after=5)
        self.ensure_fresh()
        status = self.wait_for(lambda: (lambda s: s if s["backoffUntil"] else None)(
            self.status()), what="the back-off")
        self.assertEqual(status["quotaExceededUntil"], 0)


class QuotaHoldsControl(QuotaExceeded):
    """Rule 12: control is refused with RateLimited and the time while the quota is spent."""

    test_quota_is_honoured_persisted_and_explained = None
    test_hostile_retry_after_is_read_as_a_day = None
    test_plain_429_is_no_quota = None

    def write_credentials(self, **kwargs):
        super().write_credentials(scope=CONTROL_SCOPE)

    fake_args = ("--scope", CONTROL_SCOPE)

    def test_command_refused_with_the_time(self):
        self.quota_fault(retry_after=7200)
        self.ensure_fresh()
        self.wait_for(lambda: self.status()["quotaExceededUntil"], what="the quota")
        commands = len(self.fake.stats()["controls"])
        error = self.assertDBusError(RATE_LIMITED, "Pause")
        self.assertIn("quota", error.message)
        self.assertRegex(error.message, r"\d\d:\d\d")
        self.assertEqual(len(self.fake.stats()["controls"]), commands)


class Budget(SpotnowTestCase):
    """Rule 11: never more Web API requests in the window than the budget, counted across
    restarts; a spent budget is the cache, not an error."""

    polling = {"budget-requests": "6", "budget-window-s": "3600", "fresh-playing-s": "0.2",
               "safety-interval-s": "0.3"}

    def test_never_exceeded_and_survives_a_restart(self):
        self.report()
        status = self.wait_for(lambda: (lambda s: s if s["requestsInWindow"] >= 5 else None)(
            self.status()), what="the budget to be spent")
        self.assertEqual(status["budgetRequests"], 6)
        self.assertEqual(status["budgetWindowMs"], 3600 * 1000)
        # More time with a viewer and safety polls due: no more requests go out.
        self.pump(1.5)
        self.report()
        self.pump(1.0)
        spent = self.fake.api_requests() - self.fake.requests("/api/token")
        self.assertLessEqual(spent, 6)
        # A spent budget is no error: EnsureFresh answers from the cache.
        snapshot = self.ensure_fresh()
        self.assertEqual(snapshot["trackName"], "First Song")
        self.assertEqual(self.fake.api_requests() - self.fake.requests("/api/token"), spent)
        # The count survives a restart (state.ini [budget]).
        self.stop()
        self.start()
        self.assertEqual(self.status()["requestsInWindow"], spent)
        self.report()
        self.pump(1.0)
        self.assertEqual(self.fake.api_requests() - self.fake.requests("/api/token"), spent)


class NoBudget(SpotnowTestCase):
    """budget-requests=0: no budget (an app in extended quota mode)."""

    polling = {"budget-requests": "0", "fresh-playing-s": "0.2"}

    def test_zero_means_none(self):
        self.report()
        status = self.wait_for(lambda: (lambda s: s if s["requestsInWindow"] >= 8 else None)(
            self.status()), what="polls past any small budget")
        self.assertEqual(status["budgetRequests"], 0)


class StretchedCadence(SpotnowTestCase):
    """Rule 11: at the default budget the viewer cadence stretches so the rest lasts the
    window: a tight budget polls far less often than fresh-playing-s."""

    polling = {"budget-requests": "100", "budget-window-s": "300", "fresh-playing-s": "0.1"}

    def test_cadence_stretches(self):
        self.report()
        self.wait_for(lambda: self.status()["pollCount"] >= 1, what="the first poll")
        status = self.status()
        # 95 left for 300 s, a fifth of which someone is assumed to look: ~0.6 s, not 0.1 s.
        interval = status["nextPollAt"] - status["lastPollAt"]
        self.assertGreater(interval, 500, status)


class ReplayRace(SpotnowTestCase):
    """A command in flight when the person signs out is answered, and never sent again later
    (it used to stay queued and go out a second time, on the next account's sign-in)."""

    fake_args = ("--scope", CONTROL_SCOPE)
    redirect_port = True
    polling = {"fresh-playing-s": "0.3"}

    def write_credentials(self, **kwargs):
        super().write_credentials(scope=CONTROL_SCOPE)

    def test_sign_out_answers_the_command_in_flight(self):
        self.wait_for_snapshot(lambda s: "albumArtFile" in s, what="the first poll's cover")
        self.fake.control("delay", s=1.5)
        replies = []
        self.conn.call(BUS_NAME, "/io/github/spotnow/NowPlaying1", "io.github.spotnow.NowPlaying1",
                       "Next", None, None, Gio.DBusCallFlags.NONE, 20000, None,
                       lambda c, r: replies.append(self._finish(c, r)))
        # The fake counts a request when it arrives; its reply waits 1.5 s.
        self.wait_for(lambda: self.fake.requests("/v1/me/player/next") >= 1,
                      what="the command to reach Spotify")
        self.call("SignOut")
        self.wait_for(lambda: replies, what="the command's answer")
        self.fake.control("delay", s=0)
        # Signed in again in the same daemon: the old command must not go out a second time.
        polls = self.status()["pollCount"]
        self.call("CompleteSignIn", GLib.Variant("(s)", (authorize(self.call("BeginSignIn")),)))
        self.wait_for(lambda: self.status()["pollCount"] > polls, what="the poll after sign-in")
        fetched = self.snapshot()["fetchedAt"]
        self.wait_for(lambda: now_ms() - fetched > 400, what="a stale cache")
        self.ensure_fresh()
        self.assertEqual(self.fake.requests("/v1/me/player/next"), 1)

    @staticmethod
    def _finish(conn, result):
        try:
            conn.call_finish(result)
            return "ok"
        except GLib.Error as error:
            return Gio.DBusError.get_remote_error(error)


class LocalSource(SpotnowTestCase):
    """Rule 13: while the Spotify client here plays, the snapshot follows its MPRIS and nothing
    is sent to the Web API; when it pauses, one poll at once."""

    polling = {"fresh-playing-s": "0.2"}

    def test_follows_the_local_client_for_free(self):
        self.report()
        self.wait_for(lambda: self.status()["pollCount"] >= 1, what="the first poll")
        player = LocalSpotify(self.bus.address)
        self.addCleanup(player.quit)
        player.play("4uLU6hMCjMI75M1A2tKUQC", "Local Song", ["Desk Artist"], "Desk Album", 200)
        snap = self.wait_for_snapshot(lambda s: s["trackName"] == "Local Song",
                                      what="the local track")
        self.assertEqual(snap["artistName"], "Desk Artist")
        self.assertEqual(snap["trackId"], "4uLU6hMCjMI75M1A2tKUQC")
        self.assertEqual(snap["trackUrl"], "https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC")
        self.assertEqual(snap["durationMs"], 200_000)
        self.assertTrue(snap["isPlaying"])
        self.assertEqual(self.status()["source"], "local")
        requests = self.fake.requests()
        # A viewer at a 0.2 s cadence for a while, and an EnsureFresh: no request.
        self.pump(1.5)
        self.report()
        self.ensure_fresh()
        self.assertEqual(self.fake.requests(), requests)
        # Paused here: playback may have moved to the phone; one poll, at once.
        player.pause()
        self.wait_for(lambda: self.fake.requests() > requests, what="the poll after the pause")
        self.wait_for(lambda: self.status()["source"] == "web", what="source web")
        self.wait_for_snapshot(lambda s: s["trackName"] == "First Song", what="the web's track")

    def test_empty_title_is_no_source(self):
        self.wait_for(lambda: self.status()["pollCount"] >= 1, what="the first poll")
        # Playing here first, then remote-controlling the phone: the title empties, and the
        # daemon goes back to the Web API.
        player = LocalSpotify(self.bus.address)
        self.addCleanup(player.quit)
        player.play("4uLU6hMCjMI75M1A2tKUQC", "Local Song", ["Desk Artist"], "Desk Album", 200)
        self.wait_for(lambda: self.status()["source"] == "local", what="source local")
        player.remote()
        self.wait_for(lambda: self.status()["source"] == "web", what="source web again")
        self.wait_for_snapshot(lambda s: s["trackName"] == "First Song", what="the web's track")


class Properties(SpotnowTestCase):
    """The Snapshot and Status properties: a proxy reads them with no round trip, and they
    change exactly with Changed and StatusChanged."""

    timeline = ('1 track id=a name="One" artists=A duration=1\n'
                '1000 track id=b name="Two" artists=B duration=1000\n')
    polling = {"fresh-playing-s": "0.2"}

    def test_properties_follow_the_signals(self):
        proxy = Gio.DBusProxy.new_sync(self.conn, Gio.DBusProxyFlags.NONE, None, BUS_NAME,
                                       "/io/github/spotnow/NowPlaying1",
                                       "io.github.spotnow.NowPlaying1", None)
        self.report()
        self.wait_for(lambda: (proxy.get_cached_property("Snapshot") or
                               GLib.Variant("a{sv}", {})).unpack().get("trackName") == "Two",
                      what="the Snapshot property to show the second track")
        self.wait_for(lambda: self.changed_signals() and
                      self.changed_signals()[-1]["trackName"] == "Two", what="Changed")
        cached = proxy.get_cached_property("Snapshot").unpack()
        self.assertEqual(cached["trackName"], self.snapshot()["trackName"])
        status = proxy.get_cached_property("Status").unpack()
        self.assertEqual(status["authState"], "signed-in")
        self.assertEqual(status["source"], "web")


class SilentArtServer:
    """Accepts connections and never answers: a cover that takes longer than the hold."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)

    def close(self):
        self.sock.close()
        for conn in self.conns:
            conn.close()


class ArtHold(SpotnowTestCase):
    """While a track change waits for its cover, readers get what the last Changed announced:
    no reader sees a track before its Changed (it used to read the new one during the hold)."""

    polling = {"fresh-playing-s": "0.2"}

    def test_no_track_before_its_changed(self):
        art = SilentArtServer()
        self.addCleanup(art.close)
        self.fake.timeline(f'1.5 track id=a name="One" artists=A duration=1.5 art=none\n'
                           f'1000 track id=b name="Two" artists=B duration=1000 '
                           f'art=http://127.0.0.1:{art.port}/never.png\n')
        self.report()
        ctx = GLib.MainContext.default()
        deadline = time.monotonic() + 20
        while True:
            name = self.snapshot()["trackName"]
            # The signal came before this reply on the wire: dispatch it before judging.
            while ctx.pending():
                ctx.iteration(False)
            announced = any(s.get("trackName") == "Two" for s in self.changed_signals())
            if name == "Two":
                self.assertTrue(announced, "CurrentlyPlaying showed a track no Changed announced")
                break
            self.assertLess(time.monotonic(), deadline, "the second track never showed")
            time.sleep(0.02)


if __name__ == "__main__":
    main()
