"""doc/design.md section 4, rules 5-8 and 10 (tokens, back-off, 204/ad, normalisation, bounds), and
the rule that no token reaches a log: the real daemon against tests/fake-spotify.

Each test drives the fake into one situation and checks what a user would see: the snapshot and
GetStatus over D-Bus, the files in the state dir, and how many requests reached "Spotify".
"""

import email.utils
import json
import os
import signal
import time
import urllib.parse
import urllib.request

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

from harness import (BUS_NAME, CP_PATH, INTERFACE, OBJECT_PATH, TOKEN_PATH,  # noqa: E402
                     SpotnowTestCase, main, now_ms)

FIXTURES = os.environ["SPN_FIXTURES_DIR"]
FRESH_S = 0.3           # EnsureFresh polls once the snapshot is this old
HOUR_MS = 3600 * 1000
SIGNED_OUT = "io.github.spotnow.Error.SignedOut"


def load_fixture(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return json.load(f)


class ResilienceCase(SpotnowTestCase):
    polling = {"fresh-playing-s": str(FRESH_S)}
    first_track = "First Song"  # what the timeline plays first

    # ---- helpers ------------------------------------------------------------------------------

    def wait_first_poll(self):
        self.wait_for_snapshot(lambda s: s["trackName"] == self.first_track, what="first poll")
        self.wait_for(lambda: self.status()["pollCount"] >= 1, what="first poll counted")

    def wait_stale(self):
        """Until EnsureFresh would poll: the snapshot is older than the freshness window."""
        self.wait_for(lambda: now_ms() - self.snapshot()["fetchedAt"] > FRESH_S * 1000 + 20,
                      what="the snapshot to go stale")

    def poll_now(self):
        """One poll right now, as `spotnow fresh` asks for it; returns EnsureFresh's snapshot."""
        self.wait_for(lambda: self.status()["backoffUntil"] == 0, timeout=20,
                      what="the back-off to end")
        self.wait_stale()
        before = self.status()["pollCount"]
        snap = self.ensure_fresh()
        self.assertEqual(self.status()["pollCount"], before + 1, "EnsureFresh did not poll")
        return snap

    def queue(self, kind, **params):
        self.assertTrue(self.fake.fault(kind, **params)["ok"])

    def queue_json(self, body):
        req = urllib.request.Request(f"{self.fake.url}/control/fault?kind=json",
                                     data=body.encode(), method="POST")
        with urllib.request.urlopen(req, timeout=5) as reply:
            self.assertTrue(json.loads(reply.read())["ok"])

    def credentials_file(self):
        return self.read_keyfile("credentials.ini")["credentials"]

    def state_file(self):
        return self.read_keyfile("state.ini")

    def counts(self):
        stats = self.fake.stats()
        return stats["requests"].get(CP_PATH, 0), stats["requests"].get(TOKEN_PATH, 0)

    def served(self):
        return self.fake.stats()["served"]

    def status_signals(self):
        return [s for (_, name, s) in self.signals if name == "StatusChanged"]

    def assert_alive(self):
        self.assertIsNone(self.daemon.poll(), "spotnowd died")
        self.assertTrue(self.name_has_owner())

    def assert_cache_kept(self, access="fake-access-0", refresh="fake-refresh-0"):
        """What a user had before the error is still there, in memory and on disk."""
        self.assertEqual(self.snapshot()["trackName"], "First Song")
        self.assertEqual(self.state_file()["now-playing"]["trackName"], "First Song")
        creds = self.credentials_file()
        self.assertEqual(creds.get("access-token"), access)
        self.assertEqual(creds.get("refresh-token"), refresh)
        self.assertEqual(self.status()["authState"], "signed-in")

    def assert_backoff_delays(self, failures, initial_s, max_s):
        """Each failure's back-off is its nominal delay plus jitter, within
        [nominal, min(1.25 nominal, max)], and the next request waited for it. @failures are
        GetStatus dicts, one per failed poll."""
        delays = []
        for k, status in enumerate(failures):
            nominal_ms = min(initial_s * 2 ** k, max_s) * 1000
            delay = status["backoffUntil"] - status["lastPollAt"]
            self.assertGreaterEqual(delay, nominal_ms - 1, f"failure {k + 1}")
            self.assertLessEqual(delay, min(nominal_ms * 1.25, max_s * 1000) + 1,
                                 f"failure {k + 1}")
            delays.append((delay, nominal_ms))
        for earlier, later in zip(failures, failures[1:]):
            self.assertGreaterEqual(later["lastPollAt"], earlier["backoffUntil"],
                                    "a request went out during the back-off")
        return delays

    def drain(self):
        """Dispatches whatever already arrived (signals, async replies)."""
        ctx = GLib.MainContext.default()
        while ctx.pending():
            ctx.iteration(False)

    def call_async(self, method):
        """Starts a D-Bus call; returns a list that receives its reply (or GLib.Error)."""
        box = []

        def done(conn, result):
            try:
                box.append(conn.call_finish(result).unpack()[0])
            except GLib.Error as error:
                box.append(error)

        self.conn.call(BUS_NAME, OBJECT_PATH, INTERFACE, method, None, None,
                       Gio.DBusCallFlags.NO_AUTO_START, 30000, None, done)
        return box


# ---- rule 5: tokens ---------------------------------------------------------------------------

class TokenRefreshBeforeExpiry(ResilienceCase):
    start_daemon = False

    def start_with_token_expiring_at(self, expires_at):
        self.write_credentials(expires_at=expires_at)
        before = now_ms()
        self.start()
        self.wait_first_poll()
        return before, now_ms()

    def assert_refreshed_first(self, before, after):
        self.assertEqual(self.counts(), (1, 1))
        # The refresh came first: the one player request carried the new token, no 401.
        self.assertEqual(self.served(), ["First Song"])
        creds = self.credentials_file()
        self.assertEqual(creds["access-token"], "fake-access-1")
        self.assertEqual(creds["refresh-token"], "fake-refresh-0")
        self.assertGreaterEqual(int(creds["expires-at"]), before + HOUR_MS)
        self.assertLessEqual(int(creds["expires-at"]), after + HOUR_MS)
        mode = os.stat(os.path.join(self.state_dir, "credentials.ini")).st_mode & 0o777
        self.assertEqual(mode, 0o600)
        self.assertEqual(self.status()["lastError"], "")

    def test_expired_token_is_refreshed_before_the_first_request(self):
        self.assert_refreshed_first(*self.start_with_token_expiring_at(now_ms() - 1000))

    def test_token_within_the_margin_is_refreshed_before_the_first_request(self):
        # token-refresh-margin-s is 60: 30 s left is too little.
        self.assert_refreshed_first(*self.start_with_token_expiring_at(now_ms() + 30 * 1000))

    def test_token_outside_the_margin_is_used_as_it_is(self):
        self.start_with_token_expiring_at(now_ms() + 120 * 1000)
        self.assertEqual(self.counts(), (1, 0))
        self.assertEqual(self.credentials_file()["access-token"], "fake-access-0")


class RotatedRefreshToken(ResilienceCase):
    fake_args = ("--rotate-refresh-token",)

    def test_rotated_refresh_token_is_persisted_at_once(self):
        self.wait_first_poll()
        self.fake.control("expire-access-token")
        self.poll_now()
        creds = self.credentials_file()
        self.assertEqual(creds["access-token"], "fake-access-1")
        self.assertEqual(creds["refresh-token"], "fake-refresh-1")

        # A crash right after: fake-refresh-0 is dead at Spotify now, so only a token already
        # on disk keeps the person signed in. This time the reply carries no refresh token.
        self.stop(signal.SIGKILL)
        self.fake.control("config", rotate=0)
        self.fake.control("expire-access-token")
        self.fake.control("reset-stats")
        self.start()
        # The first poll after the restart: started now, or already under way (the crash kept
        # the state file from recording the last poll); EnsureFresh waits for it either way.
        self.ensure_fresh()
        self.assertEqual(self.counts(), (2, 1))
        self.assertEqual(self.served(), ["error 401", "First Song"])
        creds = self.credentials_file()
        self.assertEqual(creds["access-token"], "fake-access-2")
        self.assertEqual(creds["refresh-token"], "fake-refresh-1")
        status = self.status()
        self.assertEqual(status["authState"], "signed-in")
        self.assertEqual(status["lastError"], "")


class Unauthorized(ResilienceCase):
    def test_one_401_refreshes_and_retries_once(self):
        self.wait_first_poll()
        self.fake.control("reset-stats")
        self.fake.control("expire-access-token")
        before = now_ms()
        snap = self.poll_now()
        self.assertEqual(self.counts(), (2, 1))
        self.assertEqual(self.served(), ["error 401", "First Song"])
        self.assertEqual(snap["trackName"], "First Song")
        self.assertGreaterEqual(snap["fetchedAt"], before)
        status = self.status()
        self.assertEqual(status["lastError"], "")
        self.assertEqual(status["backoffUntil"], 0)
        self.assertEqual(self.credentials_file()["access-token"], "fake-access-1")

    def test_persistent_401_is_not_a_loop(self):
        self.wait_first_poll()
        self.fake.control("reset-stats")
        self.queue("status", status=401, count=10, target="api")
        self.poll_now()
        # One refresh and one retry, then the poll gives up.
        self.assertEqual(self.counts(), (2, 1))
        self.assertEqual(self.served(), ["error 401", "error 401"])
        status = self.status()
        self.assertIn("401", status["lastError"])
        self.assertGreater(status["backoffUntil"], status["lastPollAt"])
        # Backing off, and no viewer: nothing more is sent until someone asks.
        self.pump(1.5)
        self.assertEqual(self.counts(), (2, 1))
        self.poll_now()
        self.assertEqual(self.counts(), (4, 2))
        self.assert_cache_kept(access="fake-access-2")


class InvalidGrant(ResilienceCase):
    polling = {**ResilienceCase.polling, "safety-interval-s": "0.4"}

    def test_revoked_sign_in_stops_polling_and_keeps_the_snapshot(self):
        self.wait_first_poll()
        self.fake.control("revoke")
        self.fake.control("reset-stats")
        self.fake.control("expire-access-token")
        # The next safety poll meets the 401, tries to refresh and is told invalid_grant.
        self.wait_for(lambda: self.status()["authState"] == "revoked", what="revoked")
        status = self.status()
        self.assertIn("sign in again", status["lastError"])
        self.wait_for(lambda: any(s["authState"] == "revoked" for s in self.status_signals()),
                      what="StatusChanged to announce it")
        stats = self.fake.stats()
        self.assertEqual(stats["requests"].get(TOKEN_PATH), 1)
        self.assertEqual(stats["served"].count("error 401"), 1)
        self.assertEqual(stats["served"][-1], "error 401")

        # Polling stops: several safety intervals pass without a request.
        self.pump(2.0)
        self.assertDBusError(SIGNED_OUT, "EnsureFresh")
        self.assertEqual(self.fake.api_requests(), self.fake.api_requests(stats))
        self.assertEqual(self.snapshot()["trackName"], "First Song")
        creds = self.credentials_file()
        self.assertEqual(creds["revoked"], "true")
        self.assertEqual(creds["refresh-token"], "fake-refresh-0")

        # A restart remembers it: no refresh is tried again, no request at all.
        self.stop()
        self.fake.control("reset-stats")
        self.start()
        self.assertEqual(self.status()["authState"], "revoked")
        self.assertEqual(self.snapshot()["trackName"], "First Song")
        self.assertDBusError(SIGNED_OUT, "EnsureFresh")
        self.pump(1.5)
        self.assertEqual(self.fake.api_requests(), 0)


class InvalidGrantOnEnsureFresh(ResilienceCase):
    def test_ensure_fresh_that_meets_invalid_grant_says_signed_out(self):
        # Like `spotnow fresh` at the moment Spotify drops the sign-in: it must not print the
        # old track as if all were well (exit 0) when the next call says signed out (exit 4).
        self.wait_first_poll()
        self.fake.control("revoke")
        self.fake.control("expire-access-token")
        self.fake.control("reset-stats")
        self.wait_stale()
        error = self.assertDBusError(SIGNED_OUT, "EnsureFresh")
        self.assertIn("sign in again", error.message)
        self.assertEqual(self.counts(), (1, 1))
        self.assertEqual(self.status()["authState"], "revoked")
        self.assertEqual(self.snapshot()["trackName"], "First Song")


# ---- rule 6: back-off -------------------------------------------------------------------------

class RateLimited(ResilienceCase):
    polling = {**ResilienceCase.polling, "retry-after-default-s": "1.5"}

    def rate_limit(self, **fault):
        """Queues a 429, polls into it; returns GetStatus right after."""
        self.wait_first_poll()
        self.queue("status", status=429, **fault)
        self.poll_now()
        status = self.status()
        self.assertIn("429", status["lastError"])
        self.assertEqual(self.served()[-1], "error 429")
        return status

    def assert_answers_from_cache(self):
        requests = self.fake.api_requests()
        started = time.monotonic()
        snap = self.ensure_fresh()
        self.assertLess(time.monotonic() - started, 1.0, "EnsureFresh waited for the back-off")
        self.assertEqual(snap["trackName"], "First Song")
        self.assertEqual(self.fake.api_requests(), requests)

    def assert_resumes_after(self, backoff_until):
        """A viewer wants fresh data all along; the daemon waits out the back-off, then polls."""
        requests = self.counts()[0]
        self.report()
        time.sleep(max(0, (backoff_until - now_ms()) / 1000 - 0.3))
        self.assertEqual(self.counts()[0], requests, "polled during the back-off")
        self.wait_for(lambda: self.status()["lastError"] == "", timeout=10, what="recovery")
        status = self.status()
        self.assertGreaterEqual(status["lastPollAt"], backoff_until)
        self.assertEqual(status["backoffUntil"], 0)
        self.assertGreater(self.counts()[0], requests)

    def test_retry_after_seconds(self):
        status = self.rate_limit(retry_after=2)
        self.assertAlmostEqual(status["backoffUntil"] - status["lastPollAt"], 2000, delta=20)
        self.assert_answers_from_cache()
        self.assert_resumes_after(status["backoffUntil"])

    def test_retry_after_http_date(self):
        value = email.utils.formatdate(time.time() + 4, usegmt=True)
        until = int(email.utils.parsedate_to_datetime(value).timestamp()) * 1000
        status = self.rate_limit(retry_after=urllib.parse.quote(value))
        self.assertEqual(status["backoffUntil"], until)
        self.assert_answers_from_cache()
        self.assert_resumes_after(until)

    def test_missing_retry_after_uses_the_default(self):
        status = self.rate_limit()
        # retry-after-default-s is 1.5 here.
        self.assertAlmostEqual(status["backoffUntil"] - status["lastPollAt"], 1500, delta=20)
        self.assert_answers_from_cache()

    def test_long_retry_after_survives_a_restart(self):
        status = self.rate_limit(retry_after=7200)
        until = status["backoffUntil"]
        self.assertAlmostEqual(until - status["lastPollAt"], 7200 * 1000, delta=20)
        self.assertEqual(int(self.state_file()["poll"]["backoff-until"]), until)
        self.assert_answers_from_cache()

        self.stop()
        self.fake.control("reset-stats")
        self.start()
        self.assertEqual(self.status()["backoffUntil"], until)
        # Even a viewer wanting fresh data does not make it ask before the time is up.
        self.report()
        self.assert_answers_from_cache()
        self.pump(1.5)
        self.assertEqual(self.fake.api_requests(), 0)
        self.assertEqual(self.snapshot()["trackName"], "First Song")


class ServerErrors(ResilienceCase):
    # A viewer keeps asking for fresh data, so only the back-off spaces the requests.
    polling = {"fresh-playing-s": "1", "backoff-initial-s": "0.3", "backoff-max-s": "2"}

    def failures_seen(self, prefix):
        return [s for s in self.status_signals() if s["lastError"].startswith(prefix)]

    def test_5xx_backs_off_exponentially_with_jitter(self):
        self.wait_first_poll()
        self.fake.control("reset-stats")
        for status in (500, 502, 503, 502):
            self.queue("status", status=status)
        self.report()
        self.wait_for(lambda: len(self.status_signals()) >= 5, timeout=20,
                      what="four failures and a recovery")
        signals = self.status_signals()
        failures, recovery = signals[:4], signals[4]
        self.assertEqual([s["lastError"] for s in failures], [
            "HTTP 500: Service unavailable",
            "HTTP 502: Backend respond with 500",
            "HTTP 503: Service unavailable",
            "HTTP 502: Backend respond with 500",
        ])
        delays = self.assert_backoff_delays(failures, 0.3, 2)
        print("5xx back-off (ms, measured/nominal):",
              ", ".join(f"{d}/{n:.0f}" for d, n in delays))
        # Jitter: the delays below the cap are not all exactly the nominal ones.
        self.assertTrue(any(n + 5 < d for d, n in delays), delays)

        self.assertEqual(recovery["lastError"], "")
        self.assertEqual(recovery["backoffUntil"], 0)
        self.assertEqual(self.served()[:5], ["error 500", "error 502", "error 503", "error 502",
                                             "First Song"])
        snap = self.snapshot()
        self.assertGreaterEqual(snap["fetchedAt"], failures[-1]["backoffUntil"])
        self.assert_cache_kept()

    def test_network_errors_back_off(self):
        self.wait_first_poll()
        self.fake.stop()
        self.report()
        self.wait_for(lambda: len(self.failures_seen("Cannot reach Spotify")) >= 3, timeout=20,
                      what="three network failures")
        self.assert_backoff_delays(self.failures_seen("Cannot reach Spotify")[:3], 0.3, 2)
        self.assertEqual(self.snapshot()["trackName"], "First Song")
        self.assert_alive()


# ---- rule 7: nothing playing, ads, unknown; errors keep the cache ------------------------------

class LastPlayed(ResilienceCase):
    def play(self, timeline):
        self.fake.timeline(timeline)
        return self.poll_now()

    def assert_last_played(self, snap, item_type):
        self.assertFalse(snap["isPlaying"])
        self.assertEqual(snap["trackName"], "First Song")
        self.assertEqual(snap["artistName"], "The Testers")
        self.assertEqual(snap["albumName"], "Test Album")
        self.assertEqual(snap["trackId"], "t1")
        self.assertEqual(snap["itemType"], item_type)

    def test_204_ad_and_unknown_keep_the_last_track(self):
        self.wait_first_poll()
        self.assertTrue(self.snapshot()["isPlaying"])
        self.assert_last_played(self.play("1000 nothing\n"), "track")
        self.assert_last_played(self.play("1000 ad\n"), "ad")
        self.assert_last_played(self.play("1000 unknown\n"), "unknown")
        self.assertEqual(self.served()[-3:], ["204", "ad", "unknown"])
        # An item of null with is_playing true and type track is not a track either.
        self.queue_json(json.dumps({"timestamp": now_ms(), "progress_ms": 0, "item": None,
                                    "currently_playing_type": "track", "is_playing": True}))
        self.assert_last_played(self.poll_now(), "unknown")
        self.assertEqual(self.state_file()["now-playing"]["trackName"], "First Song")
        self.assertEqual(self.status()["lastError"], "")

    def test_errors_never_delete_cached_data(self):
        self.wait_first_poll()
        self.queue("status", status=403)
        self.poll_now()
        self.assertIn("User not registered in the Developer Dashboard", self.status()["lastError"])
        self.assert_cache_kept()

        self.queue("status", status=500)
        self.poll_now()
        self.assertIn("500", self.status()["lastError"])
        self.assert_cache_kept()

        self.queue("status", status=429, retry_after=1)
        self.poll_now()
        self.assertIn("429", self.status()["lastError"])
        self.assert_cache_kept()

        self.queue("status", status=401, count=2)
        self.poll_now()
        self.assertIn("401", self.status()["lastError"])
        self.assert_cache_kept(access="fake-access-1")

        snap = self.poll_now()
        self.assertTrue(snap["isPlaying"])
        self.assertEqual(self.status()["lastError"], "")


# ---- rule 8: normalisation --------------------------------------------------------------------

class Normalisation(ResilienceCase):
    timeline = "1000 track id=abc local=true name=\"My Demo\" artists=Me album=Tapes duration=500\n"
    first_track = "My Demo"

    def fetch_reply(self):
        """What the fake itself answers now, to compare with what the daemon made of it."""
        token = self.fake.stats()["currentAccessToken"]
        req = urllib.request.Request(self.fake.url + CP_PATH,
                                     headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(req, timeout=5) as reply:
            return json.loads(reply.read())

    def test_local_file_has_no_url_or_id(self):
        self.wait_first_poll()
        snap = self.snapshot()
        self.assertEqual(snap["itemType"], "track")
        self.assertEqual(snap["artistName"], "Me")
        self.assertEqual(snap["albumArt"], "")
        self.assertNotIn("trackUrl", snap)
        self.assertNotIn("trackId", snap)
        saved = self.state_file()["now-playing"]
        self.assertEqual(saved["trackName"], "My Demo")
        self.assertNotIn("trackUrl", saved)
        self.assertNotIn("trackId", saved)

    def test_episode_maps_the_show_to_artist_and_album(self):
        self.wait_first_poll()
        self.fake.timeline("1000 episode id=ep1 name=\"Pilot\" show=\"The Show\" duration=900\n")
        snap = self.poll_now()
        self.assertEqual(snap["itemType"], "episode")
        self.assertEqual(snap["trackName"], "Pilot")
        self.assertEqual(snap["artistName"], "The Show")
        self.assertEqual(snap["albumName"], "The Show")
        self.assertEqual(snap["trackId"], "ep1")
        self.assertEqual(snap["durationMs"], 900 * 1000)
        images = self.fetch_reply()["item"]["images"]
        self.assertEqual(snap["albumArt"], max(images, key=lambda i: i["width"])["url"])

    def test_largest_album_image_wins(self):
        self.wait_first_poll()
        self.fake.timeline("1000 track id=t2 name=\"Second\" duration=300\n")
        snap = self.poll_now()
        images = self.fetch_reply()["item"]["album"]["images"]
        largest = max(images, key=lambda i: i["width"] * i["height"])
        self.assertNotEqual(images[0], largest, "the fake should list the largest last")
        self.assertEqual(snap["albumArt"], largest["url"])
        self.assertEqual(snap["trackUrl"], "https://open.spotify.com/track/t2")

    def test_progress_is_clamped(self):
        self.wait_first_poll()
        reply = load_fixture("currently-playing-track.json")
        duration = reply["item"]["duration_ms"]
        reply["progress_ms"] = duration + 60000
        self.queue_json(json.dumps(reply))
        snap = self.poll_now()
        self.assertEqual(snap["trackName"], reply["item"]["name"])
        self.assertEqual(snap["durationMs"], duration)
        self.assertEqual(snap["progressMs"], duration)

        reply["progress_ms"] = None
        self.queue_json(json.dumps(reply))
        self.assertEqual(self.poll_now()["progressMs"], 0)


# ---- rule 10: bounded bodies and timeouts ------------------------------------------------------

class Bounds(ResilienceCase):
    spotify = {"request-timeout-s": "2"}

    def assert_fault_is_an_error(self, kind, expected, **params):
        self.queue(kind, **params)
        self.poll_now()
        self.assert_alive()
        self.assertEqual(self.served()[-1], kind)
        self.assertIn(expected, self.status()["lastError"])
        self.assert_cache_kept()
        self.assert_restored()

    def assert_restored(self):
        before = now_ms()
        snap = self.poll_now()
        self.assertGreaterEqual(snap["fetchedAt"], before)
        self.assertEqual(snap["trackName"], "First Song")
        self.assertEqual(self.status()["lastError"], "")

    def test_huge_body_is_refused(self):
        self.wait_first_poll()
        self.assert_fault_is_an_error("huge", "larger than 1024 KiB")

    def test_garbage_json_is_an_upstream_error(self):
        self.wait_first_poll()
        self.assert_fault_is_an_error("garbage", "not valid JSON")

    def test_truncated_body_is_an_upstream_error(self):
        self.wait_first_poll()
        self.assert_fault_is_an_error("truncated", "not valid JSON")

    def test_connection_reset_is_an_error(self):
        self.wait_first_poll()
        # Two: libsoup may resend once on a fresh connection after a reset of a kept-alive one.
        self.queue("reset", count=2)
        self.poll_now()
        self.assert_alive()
        self.assertIn("Cannot reach Spotify", self.status()["lastError"])
        self.assert_cache_kept()
        self.fake.control("clear-faults")
        self.assert_restored()

    def test_slow_reply_times_out_and_never_blocks_readers(self):
        self.wait_first_poll()
        self.queue("slow", delay=6)
        self.wait_stale()
        requests = self.counts()[0]
        started = time.monotonic()
        reply = self.call_async("EnsureFresh")
        self.wait_for(lambda: self.counts()[0] == requests + 1, what="the request to hang")

        # The request hangs; a reader is answered from cache at once.
        read_started = time.monotonic()
        self.assertEqual(self.snapshot()["trackName"], "First Song")
        self.assertLess(time.monotonic() - read_started, 0.5)
        self.drain()
        self.assertEqual(reply, [], "EnsureFresh returned before the request ended")

        self.wait_for(lambda: reply, timeout=10, what="EnsureFresh to return")
        self.assertLess(time.monotonic() - started, 5, "the timeout did not cut the request")
        self.assertEqual(reply[0]["trackName"], "First Song")
        self.assertIn("no reply from Spotify within 2.0 s", self.status()["lastError"])
        self.assert_alive()
        self.assert_restored()


# ---- no token in any log ----------------------------------------------------------------------

LONG_ACCESS = "BQD" + "x7Kp_2-Lm" * 12
LONG_REFRESH = "AQC" + "r4Zt-9_Qw" * 12


class TokensNeverLogged(ResilienceCase):
    fake_args = ("--rotate-refresh-token", "--access-token", LONG_ACCESS,
                 "--refresh-token", LONG_REFRESH)
    start_daemon = False

    def test_no_token_in_the_log(self):
        self.write_credentials(access=LONG_ACCESS, refresh=LONG_REFRESH)
        self.start()
        self.wait_first_poll()
        seen = {LONG_ACCESS, LONG_REFRESH}

        # Two refreshes, each rotating the refresh token.
        for _ in range(2):
            self.fake.control("expire-access-token")
            self.poll_now()
            stats = self.fake.stats()
            seen |= {stats["currentAccessToken"], stats["currentRefreshToken"]}
        self.assertEqual(self.credentials_file()["refresh-token"], "fake-refresh-2")

        # Then a revoke, whose invalid_grant reply goes through the error path.
        self.fake.control("revoke")
        self.fake.control("expire-access-token")
        self.wait_stale()
        self.assertDBusError(SIGNED_OUT, "EnsureFresh")
        status = self.status()
        self.assertEqual(status["authState"], "revoked")
        for token in seen:
            self.assertNotIn(token, status["lastError"])
        self.stop()

        log = self.daemon_output()
        self.assertIn("access token refreshed", log, "debug output was not on")
        self.assertIn("revoked", log)
        self.assertGreaterEqual(len(seen), 6)
        for token in seen:
            self.assertNotIn(token, log)
        self.assertNotIn("fake-access-", log)
        self.assertNotIn("fake-refresh-", log)
        with open(os.path.join(self.state_dir, "state.ini")) as f:
            state = f.read()
        for token in seen:
            self.assertNotIn(token, state)


if __name__ == "__main__":
    main()
