"""The polling rules of doc/design.md section 4 (1-4 and 9), seen from the outside.

Each case drives the real spotnowd against tests/fake-spotify and judges it by what a user or a
client would notice: how many requests reach Spotify (the fake's /control/stats), which Changed
signals arrive, what GetStatus says and whether state.ini is rewritten. Intervals are scaled
down to fractions of a second; assertions use counts with bounds, never exact timings, so a
loaded machine makes them slower, not flaky.
"""

import os
import re
import time

from gi.repository import Gio, GLib

from harness import (BUS_NAME, CP_PATH, INTERFACE, OBJECT_PATH, SpotnowTestCase, main, now_ms,
                     slowness)

INVALID_ARGS = "io.github.spotnow.Error.InvalidArgs"

# One long track, playing: nothing changes on its own for the length of a test.
STEADY = 'track id=before name="Before" artists="The Testers" album="Test Album"'
STEADY_TIMELINE = f"1000 {STEADY} duration=1000\n"


def without_art(timeline):
    """The timeline with no album art: these tests count track changes, and a track's art
    arriving later than the daemon waits for it (a loaded machine) is a second, legitimate
    Changed. Art has its own tests (basics, mpris, applet)."""
    return re.sub(r"^(\S+ track .*)$", r"\1 art=none", timeline, flags=re.M)


class PollingTestCase(SpotnowTestCase):
    """Starts the daemon only when a case asks, with that case's [polling] settings."""

    timeline = without_art(STEADY_TIMELINE)
    start_daemon = False

    def launch(self, polling=None):
        self.write_config(**{key: str(value) for key, value in (polling or {}).items()})
        self.start()

    def requests(self):
        return self.fake.requests(CP_PATH)

    def poll_count(self):
        return self.status()["pollCount"]

    def wait_polls(self, count, timeout=10.0):
        """Waits until `count` polls have completed since the daemon started."""
        self.wait_for(lambda: self.poll_count() >= count, timeout, f"{count} poll(s)")

    def wait_requests(self, count, timeout=10.0):
        self.wait_for(lambda: self.requests() >= count, timeout, f"{count} upstream request(s)")

    def requests_during(self, seconds):
        """Upstream requests made while the main loop runs for `seconds`."""
        before = self.requests()
        self.pump(seconds)
        return self.requests() - before

    def changes(self):
        """The Changed signals so far, as (trackName, isPlaying) pairs."""
        return [(s["trackName"], s["isPlaying"]) for s in self.changed_signals()]

    def clear_signals(self):
        self.pump(0.05)
        self.signals.clear()

    def start_watching(self, polling):
        """Daemon up, one viewer present, the steady track seen and its signal set aside."""
        self.launch({"presence-ttl-s": 60, **polling})
        self.report()
        self.wait_for_snapshot(lambda s: s["trackName"] == "Before")
        self.wait_for(lambda: self.changes() == [("Before", True)], what="Changed for Before")
        self.clear_signals()

    def state_file_identity(self):
        st = os.stat(os.path.join(self.state_dir, "state.ini"))
        return st.st_ino, st.st_mtime_ns


class SafetyPoll(PollingTestCase):
    """Rules 1 and 3: with nobody watching, only the safety poll runs."""

    def test_safety_poll_repeats_without_viewers(self):
        self.launch({"safety-interval-s": 0.5})
        self.wait_requests(1)
        start = time.monotonic()
        # Five more polls must come on their own, and not faster than the interval allows.
        self.wait_requests(6, timeout=15)
        elapsed = time.monotonic() - start
        print(f"safety poll: 5 polls in {elapsed:.2f} s at a 0.5 s interval")
        self.assertGreaterEqual(elapsed, 5 * 0.5 - 0.3)
        self.assertEqual(self.status()["viewers"], 0)

    def test_idle_daemon_polls_once_at_start(self):
        # A track about to end and tiny freshness windows: they would all cause polls if they
        # applied without viewers.
        self.fake.timeline(
            without_art(f"1.5 {STEADY} duration=1.5\n1000 track id=next duration=1000\n"))
        self.launch({"fresh-playing-s": 0.2, "fresh-paused-s": 0.2})
        self.wait_polls(1)
        self.pump(2.5)
        self.assertEqual(self.requests(), 1)
        self.assertEqual(self.fake.api_requests(), 1)
        status = self.status()
        self.assertEqual(status["pollCount"], 1)
        # The next wake-up is the 5-minute safety poll: 12 an hour.
        wait_s = (status["nextPollAt"] - status["lastPollAt"]) / 1000
        self.assertAlmostEqual(wait_s, 300, delta=2)


class ViewerPresence(PollingTestCase):
    """Rule 2: viewers make polling fast; they leave by TTL or by leaving the bus."""

    def test_viewer_makes_polling_fast(self):
        self.launch({"fresh-playing-s": 0.3})
        self.wait_polls(1)
        idle = self.requests_during(1.5)
        self.report()
        watched = self.requests_during(1.5)
        print(f"presence: {idle} requests in 1.5 s without a viewer, {watched} with one")
        self.assertEqual(idle, 0)
        self.assertGreaterEqual(watched, 3)

    def test_viewer_expires_after_ttl(self):
        self.launch({"fresh-playing-s": 0.3, "presence-ttl-s": 1})
        self.wait_polls(1)
        start = time.monotonic()
        self.report()
        self.assertEqual(self.status()["viewers"], 1)
        self.wait_for(lambda: self.status()["viewers"] == 0, timeout=10, what="viewer expiry")
        elapsed = time.monotonic() - start
        watched = self.requests() - 1
        # Back to the safety poll: at most a poll that was already on its way.
        after = self.requests_during(1.5)
        print(f"presence TTL 1 s: gone after {elapsed:.2f} s; {watched} requests while "
              f"present, {after} in the 1.5 s after")
        self.assertGreaterEqual(elapsed, 0.9)
        self.assertGreaterEqual(watched, 2)
        self.assertLessEqual(after, 1)

    def test_viewer_leaving_the_bus_is_forgotten_at_once(self):
        self.launch({"presence-ttl-s": 60})
        panel = self.bus.connect()
        self.report("panel", conn=panel)
        self.report("main")
        self.assertEqual(self.status()["viewers"], 2)
        start = time.monotonic()
        panel.close_sync(None)
        # Only the leaver's viewer goes, long before its 60 s TTL.
        self.wait_for(lambda: self.status()["viewers"] == 1, timeout=5,
                      what="the departed sender's viewer to go")
        print(f"sender left the bus: viewer gone after {time.monotonic() - start:.2f} s")
        self.pump(0.3)
        self.assertEqual(self.status()["viewers"], 1)

    def test_viewer_table_is_bounded_per_sender(self):
        self.launch()
        for i in range(70):
            self.report(f"viewer-{i}")
        self.assertEqual(self.status()["viewers"], 64)
        # One greedy client does not lock the others out.
        other = self.bus.connect()
        try:
            self.report("other", conn=other)
            self.assertEqual(self.status()["viewers"], 65)
        finally:
            other.close_sync(None)

    def test_invalid_viewer_ids_are_rejected(self):
        self.launch()
        bad = ["", "x" * 129, "a\nb", "tab\there", "bell\x07", "del\x7f", "é" * 129]
        for viewer_id in bad:
            with self.subTest(viewer_id=viewer_id[:20]):
                self.assertDBusError(INVALID_ARGS, "ReportViewerPresence",
                                     GLib.Variant("(s)", (viewer_id,)))
        self.assertEqual(self.status()["viewers"], 0)
        # The limits themselves are fine: 128 characters, whatever their UTF-8 length.
        for viewer_id in ["x" * 128, "é" * 128, "applet on :0"]:
            self.report(viewer_id)
        self.assertEqual(self.status()["viewers"], 3)

    def test_arriving_viewer_with_stale_cache_triggers_a_poll(self):
        self.launch({"fresh-playing-s": 0.5})
        self.wait_polls(1)
        fetched_at = self.snapshot()["fetchedAt"]
        self.wait_for(lambda: now_ms() - fetched_at > 700, what="the cache to go stale")
        self.assertEqual(self.requests(), 1)
        start = time.monotonic()
        self.report()
        self.wait_requests(2, timeout=3)
        print(f"stale cache: a new viewer caused a poll after {time.monotonic() - start:.2f} s")
        self.wait_for_snapshot(lambda s: s["fetchedAt"] > fetched_at, timeout=3)

    def test_arriving_viewer_with_fresh_cache_does_not_poll(self):
        self.launch({"fresh-playing-s": 30})
        self.wait_polls(1)
        self.report()
        self.pump(1.0)
        self.assertEqual(self.requests(), 1)


class FreshnessWindows(PollingTestCase):
    """Rule 2: with a viewer, the playing window is kept while playing, the paused one while
    paused (and rule 14 doubles the paused one after each poll that finds the same pause)."""

    WINDOW_S = 5.0

    def test_playing_and_paused_windows(self):
        self.start_watching({"fresh-playing-s": 0.3, "fresh-paused-s": 1.5})
        self.wait_polls(self.poll_count() + 1)
        playing = self.requests_during(self.WINDOW_S)

        self.fake.timeline(
            without_art(f"1000 {STEADY} duration=1000 progress=5 playing=false\n"))
        self.wait_for_snapshot(lambda s: not s["isPlaying"], what="the pause")
        self.wait_polls(self.poll_count() + 1)
        paused = self.requests_during(self.WINDOW_S)

        print(f"freshness: {playing} requests in {self.WINDOW_S} s playing (0.3 s window), "
              f"{paused} paused (1.5 s window, doubling)")
        self.assertGreaterEqual(playing, 8)
        # 1.5 s, then 3 s, then 6 s: one or two polls in the window, never the four of a fixed
        # 1.5 s window.
        self.assertGreaterEqual(paused, 1)
        self.assertLessEqual(paused, 2)


class EndOfItemPoll(PollingTestCase):
    """Rule 2: a poll just after the current item is predicted to end shows the next one."""

    def test_next_track_shows_soon_after_the_predicted_end(self):
        # Paused at first, so the daemon is up, watched and polled before the first track
        # starts: a daemon slow to start (valgrind takes seconds) must not miss that track and
        # see only the second.
        self.fake.timeline(without_art(f"1000 {STEADY} duration=1000 playing=false\n"))
        self.launch({"fresh-playing-s": 30, "fresh-paused-s": 0.2, "end-of-item-delay-s": 0.2})
        self.report()
        self.wait_for(lambda: self.changes() == [("Before", False)], what="Changed for Before")
        self.clear_signals()
        first_s = 3 * slowness()
        self.fake.timeline(without_art(f'{first_s} track id=a name="First" duration={first_s}\n'
                                       '1000 track id=b name="Second" duration=1000\n'))
        # A caller's EnsureFresh polls as soon as the paused snapshot is 0.2 s old; once the
        # first track shows, the 30 s playing window alone would not poll again in this test.
        self.wait_for(lambda: self.ensure_fresh()["trackName"] == "First", what="First")
        requests_at_first = self.requests()
        self.wait_for(lambda: len(self.changed_signals()) >= 2, timeout=first_s + 7,
                      what="Changed for the second track")
        (t_first, _, first), (t_second, _, second) = [
            s for s in self.signals if s[1] == "Changed"][:2]
        self.assertEqual(first["trackName"], "First")
        self.assertEqual(second["trackName"], "Second")
        # Both stamps come from the daemon's clock: when it predicted the end, when it saw
        # the next track.
        predicted_end = first["fetchedAt"] + first["durationMs"] - first["progressMs"]
        late_ms = second["fetchedAt"] - predicted_end
        self.pump(1.0)
        requests = self.requests() - requests_at_first
        print(f"end of item: next track seen {late_ms} ms after the predicted end "
              f"({t_second - t_first:.2f} s between the signals), {requests} requests after "
              "the first track showed")
        self.assertGreaterEqual(late_ms, 0)
        self.assertLessEqual(late_ms, 1500 * slowness())
        self.assertLessEqual(requests, 2)
        self.assertEqual(len(self.changed_signals()), 2)


class SingleFlight(PollingTestCase):
    """Rule 4: concurrent triggers join the poll in flight."""

    CALLERS = 200
    DELAY_S = 0.5  # how long the held poll stays held once every call is in

    def test_concurrent_ensure_fresh_cause_one_request(self):
        self.launch({"fresh-playing-s": 0.3})
        self.wait_polls(1)
        stale_at = self.snapshot()["fetchedAt"]
        self.wait_for(lambda: now_ms() - stale_at > 500, what="the cache to go stale")
        # The fake holds the poll the first caller starts until every call is in. A fixed
        # reply delay would not do: on a loaded machine (or under a sanitizer) the daemon may
        # take longer than the delay to read 200 calls, and a call read after the poll
        # landed and the 0.3 s window passed rightly polls again.
        self.fake.control("hold")
        self.fake.control("reset-stats")

        replies, errors = [], []

        def on_reply(conn, result, *_):
            try:
                replies.append((time.monotonic(), conn.call_finish(result).unpack()[0]))
            except GLib.Error as error:
                errors.append(error)

        for _ in range(self.CALLERS):
            self.conn.call(BUS_NAME, OBJECT_PATH, INTERFACE, "EnsureFresh", None, None,
                           Gio.DBusCallFlags.NO_AUTO_START, 60000, None, on_reply)
        # One connection's messages arrive in order: once GetStatus answers, the daemon has
        # taken every EnsureFresh before it.
        self.status()
        self.wait_requests(1)
        self.pump(self.DELAY_S)
        # Everyone waits for the poll instead of taking the stale cache...
        self.assertEqual((replies, errors), ([], []))
        released = time.monotonic()
        self.fake.control("release")
        self.wait_for(lambda: len(replies) + len(errors) == self.CALLERS, timeout=30,
                      what="every EnsureFresh reply")
        first = min(t for t, _ in replies) - released
        last = max(t for t, _ in replies) - released
        upstream = self.fake.stats()
        print(f"single flight: {self.CALLERS} EnsureFresh -> {upstream['requests'].get(CP_PATH)} "
              f"upstream request(s); replies from {first:.3f} s to {last:.3f} s after the "
              "reply was released")

        self.assertEqual(errors, [])
        self.assertEqual(upstream["requests"].get(CP_PATH), 1)
        self.assertEqual(self.fake.api_requests(upstream), 1)
        stamps = {snapshot["fetchedAt"] for _, snapshot in replies}
        self.assertEqual(len(stamps), 1)
        self.assertGreater(stamps.pop(), stale_at)
        # ...and no one waited for a queue of polls.
        self.assertLess(last, 4 * slowness())

    def test_ensure_fresh_on_fresh_cache_answers_from_cache(self):
        self.launch({"fresh-playing-s": 30})
        self.wait_polls(1)
        fetched_at = self.snapshot()["fetchedAt"]
        for _ in range(5):
            self.assertEqual(self.ensure_fresh()["fetchedAt"], fetched_at)
        self.assertEqual(self.requests(), 1)


class WriteSuppression(PollingTestCase):
    """Rule 9: Changed and state.ini writes only for real changes, never for progress that
    moves as predicted."""

    FAST = {"fresh-playing-s": 0.2, "fresh-paused-s": 0.2}

    def test_changed_once_per_track_change(self):
        self.start_watching(self.FAST)
        identity = self.state_file_identity()
        steady_requests = self.requests_during(1.5)
        self.assertGreaterEqual(steady_requests, 4)
        self.assertEqual(self.changes(), [])
        self.assertEqual(self.state_file_identity(), identity,
                         "state.ini was rewritten by polls that changed nothing")

        self.fake.control("reset-stats")
        self.fake.timeline(without_art('1.5 track id=a name="A" duration=1.5\n'
                           '1.5 track id=b name="B" duration=1.5\n'
                           '1.5 track id=c name="C" duration=1.5\n'
                           '1000 paused\n'))
        self.wait_for_snapshot(lambda s: s["trackName"] == "C" and not s["isPlaying"],
                               what="the final pause")
        self.pump(1.0)
        requests = self.requests()
        print(f"write suppression: {requests} requests over 3 tracks and a pause, "
              f"{len(self.changes())} Changed: {self.changes()}")
        self.assertEqual(self.changes(), [("A", True), ("B", True), ("C", True), ("C", False)])
        self.assertGreaterEqual(requests, 3 * len(self.changes()))

    def test_progress_as_predicted_is_not_a_change(self):
        # Polls further apart than the 3 s seek threshold: progress moves more than that
        # between them, exactly as predicted.
        self.start_watching({"fresh-playing-s": 3.5})
        identity = self.state_file_identity()
        polls = self.poll_count()
        self.wait_polls(polls + 2, timeout=20)
        self.pump(0.2)
        print(f"predicted progress: {self.poll_count() - polls} polls 3.5 s apart, "
              f"{len(self.changes())} Changed")
        self.assertEqual(self.changes(), [])
        self.assertEqual(self.state_file_identity(), identity)

    def test_seek_is_one_change_and_small_drift_none(self):
        self.start_watching(self.FAST)
        # Same track throughout: 10 s -> 12 s, a 2 s skip (under the 3 s threshold) to 14 s,
        # then a seek to 46 s.
        self.fake.timeline(without_art('2 track id=s name="Seek" duration=100 progress=10\n'
                           '2 track id=s name="Seek" duration=100 progress=14\n'
                           '1000 track id=s name="Seek" duration=100 progress=46\n'))
        self.fake.control("reset-stats")
        self.wait_for(lambda: len(self.changed_signals()) >= 2, timeout=10,
                      what="Changed for the seek")
        self.pump(1.0)
        requests = self.requests()
        signals = self.changed_signals()
        print(f"seek: {requests} requests, {len(signals)} Changed at progress "
              f"{[s['progressMs'] for s in signals]} ms")
        self.assertEqual(self.changes(), [("Seek", True), ("Seek", True)])
        self.assertLess(signals[0]["progressMs"], 13000)
        self.assertGreaterEqual(signals[1]["progressMs"], 46000)
        self.assertLess(signals[1]["progressMs"], 49000)
        self.assertGreaterEqual(requests, 10)


class TwoMinuteTimeline(PollingTestCase):
    """Rule 9 over a longer story: 2 minutes of playback at 10x, a pause in the middle."""

    # Ten 12 s steps, each played in 1.2 s: five tracks, a pause, four more tracks.
    STEPS = [f"1.2 track id=t{i} name=\"Track {i}\" duration=1.2" for i in range(1, 6)]
    STEPS += ["1.2 paused"]
    STEPS += [f"1.2 track id=t{i} name=\"Track {i}\" duration=1.2" for i in range(6, 10)]
    EXPECTED = [(f"Track {i}", True) for i in range(1, 6)] + [("Track 5", False)]
    EXPECTED += [(f"Track {i}", True) for i in range(6, 10)]

    def test_changed_count_over_two_minutes(self):
        # The default windows scaled 10x down, except paused: a resume must not hide a 12 s
        # track.
        self.start_watching({"fresh-playing-s": 1.0, "fresh-paused-s": 0.5,
                             "end-of-item-delay-s": 0.1})
        self.fake.control("reset-stats")
        self.fake.timeline(without_art("\n".join(self.STEPS) + "\n"))
        self.wait_for_snapshot(lambda s: s["trackName"] == "Track 9", timeout=30,
                               what="the last track")
        self.pump(1.5)
        requests = self.requests()
        print(f"2-minute timeline (10x): {len(self.STEPS)} changes scripted, "
              f"{len(self.changes())} Changed, {requests} upstream requests")
        self.assertEqual(self.changes(), self.EXPECTED)
        self.assertLessEqual(requests, 4 * len(self.STEPS))


if __name__ == "__main__":
    main()
