"""The fake's whole fault matrix, each fault followed by good replies (issue 8, "Faults").

A viewer is present throughout, so the daemon wants a poll every FRESH_S and only the back-off
rule (doc/design.md section 4, rule 6) spaces its requests. For every fault the test checks that the
daemon lives, that state.ini and credentials.ini still parse, that the snapshot is fresh again
once Spotify answers, and that the requests it sent stay within what the back-off allows over the
time that passed (max_polls below). invalid_grant is the exception by design: revoked stays
revoked, and nothing is sent after it.
"""

import time

from faultcase import FaultCase
from harness import TOKEN_PATH, FakeSpotify, free_port, main

FRESH_S = 0.1           # a viewer wants a poll this often
BACKOFF_INITIAL_S = 0.4  # > FRESH_S, so a daemon that ignored the back-off would be caught
BACKOFF_MAX_S = 1.6
RETRY_AFTER_DEFAULT_S = 1.0
TIMEOUT_S = 1
SETTLE_S = 1.0          # steady polling after the recovery, counted too
TIMER_SLACK = 0.95      # timers fire on whole milliseconds; never count a gap as longer

RECOVERED = ("1000 track id=t2 name=\"Recovered\" artists=\"The Testers\" album=\"Later\""
             " duration=1000\n")
SIGNED_OUT = "io.github.spotnow.Error.SignedOut"


def backoff_gap(failures):
    """The shortest wait rule 6 allows after the n-th failure in a row: the nominal delay
    (doubling from the initial one, capped); jitter only ever adds to it."""
    nominal = min(BACKOFF_INITIAL_S * 2 ** (failures - 1), BACKOFF_MAX_S)
    return nominal * TIMER_SLACK


def max_polls(elapsed_s, failed_polls, gap_after_failure=backoff_gap):
    """How many polls the rules allow in @elapsed_s when the first @failed_polls fail: each
    failure is followed by its back-off, each success by the freshness window."""
    t, polls, failures = 0.0, 0, 0
    while t <= elapsed_s:
        polls += 1
        if polls <= failed_polls:
            failures += 1
            t += gap_after_failure(failures)
        else:
            failures = 0
            t += FRESH_S * TIMER_SLACK
    return polls


class FaultMatrix(FaultCase):
    polling = {
        "fresh-playing-s": str(FRESH_S),
        "fresh-paused-s": str(FRESH_S),
        "backoff-initial-s": str(BACKOFF_INITIAL_S),
        "backoff-max-s": str(BACKOFF_MAX_S),
        "retry-after-default-s": str(RETRY_AFTER_DEFAULT_S),
    }
    spotify = {"request-timeout-s": str(TIMEOUT_S)}

    def setUp(self):
        # A reserved port rather than an ephemeral one: test_connection_refused restarts the
        # fake on the same port, which another test's outgoing connection must not take first.
        self.fake_args = ("--port", str(free_port()))
        super().setUp()
        self.wait_first_poll()
        self.report()
        self.pump(0.3)

    # ---- the steps every fault goes through ----------------------------------------------------

    def queue(self, kind, **params):
        self.assertTrue(self.fake.fault(kind, **params)["ok"])

    def errors_since(self, first_signal):
        return [s["lastError"] for s in self.status_signals()[first_signal:] if s["lastError"]]

    def inject(self, name, queue, error, failed_polls, per_failure=1, extra=0, gap=backoff_gap):
        """Puts a fault in place with @queue, then lets Spotify recover (a new track starts), and
        checks the daemon through it. @failed_polls: the range of polls the fault can fail (a
        reset may be resent by libsoup); @per_failure: upstream requests one failed poll may
        make; @extra: requests beyond one per poll otherwise (the retry after a single 401);
        @error: what lastError must have said, or None when the fault is no error at all."""
        self.fake.control("reset-stats")
        first_signal = len(self.status_signals())
        started = time.monotonic()
        queue()
        self.fake.timeline(RECOVERED)
        self.wait_for_snapshot(lambda s: s["trackName"] == "Recovered", timeout=20,
                               what=f"recovery from {name}")
        self.pump(SETTLE_S)
        elapsed = time.monotonic() - started

        requests = self.api_requests()
        # The leading 1: a poll already due when the fault was queued.
        allowed = 1 + extra + max(max_polls(elapsed, f, gap) + (per_failure - 1) * f
                                  for f in failed_polls)
        print(f"{name}: {requests} requests in {elapsed:.2f} s, back-off allows {allowed}")
        self.assertLessEqual(requests, allowed, f"{name}: more requests than the back-off allows")

        errors = self.errors_since(first_signal)
        if error is None:
            self.assertEqual(errors, [], f"{name} is not an error")
        else:
            self.assertTrue(any(error in e for e in errors), f"{name}: {errors}")
        self.assert_recovered()
        return requests

    def assert_recovered(self):
        self.assert_alive()
        snap = self.snapshot()
        self.assertEqual(snap["trackName"], "Recovered")
        self.assertTrue(snap["isPlaying"])
        self.assertLess(self.age_ms(snap), FRESH_S * 1000 + 400, "the snapshot is not fresh")
        status = self.status()
        self.assertEqual(status["lastError"], "")
        self.assertEqual(status["backoffUntil"], 0)
        self.assertEqual(status["authState"], "signed-in")
        state, creds = self.assert_files_intact()
        self.assertEqual(state["now-playing"]["trackName"], "Recovered")
        stats = self.fake.stats()
        self.assertEqual(creds["access-token"], stats["currentAccessToken"])
        self.assertEqual(creds["refresh-token"], stats["currentRefreshToken"])

    def served(self):
        """What the fake answered since the fault was queued, but the old track: a poll may have
        got it just before the fault was queued, or between the fault and the new timeline."""
        return [name for name in self.fake.stats()["served"] if name != "First Song"]

    # ---- the matrix ------------------------------------------------------------------------------

    def test_204_nothing_playing(self):
        def queue():
            self.queue("empty", count=3)
        self.inject("204", queue, None, range(0, 1))
        self.assertEqual(self.served()[:3], ["204"] * 3)
        # Meanwhile: the last track, not playing (rule 7), announced once.
        paused = [s for s in self.changed_signals() if not s["isPlaying"]]
        self.assertEqual([s["trackName"] for s in paused], ["First Song"])

    def test_401_once_refreshes_and_retries(self):
        self.inject("401 once", lambda: self.queue("status", status=401), None, range(0, 1),
                    extra=1)
        stats = self.fake.stats()
        self.assertEqual(self.served()[:2], ["error 401", "Recovered"])
        self.assertEqual(stats["requests"].get(TOKEN_PATH), 1)

    def test_401_always(self):
        # Every request of four polls: each refreshes once and retries once, then backs off.
        self.inject("401 always", lambda: self.queue("status", status=401, count=8), "401",
                    range(4, 5), per_failure=2)
        stats = self.fake.stats()
        self.assertEqual(self.served()[:8], ["error 401"] * 8)
        self.assertEqual(stats["requests"].get(TOKEN_PATH), 4)

    def test_403(self):
        self.inject("403", lambda: self.queue("status", status=403, count=3),
                    "User not registered in the Developer Dashboard", range(3, 4))

    def test_429_with_retry_after(self):
        self.inject("429 Retry-After: 1", lambda: self.queue("status", status=429, count=2,
                                                             retry_after=1),
                    "HTTP 429", range(2, 3), gap=lambda n: 1.0 * TIMER_SLACK)
        self.assertEqual(self.served()[:3], ["error 429", "error 429", "Recovered"])

    def test_429_without_retry_after(self):
        self.inject("429", lambda: self.queue("status", status=429, count=2), "HTTP 429",
                    range(2, 3), gap=lambda n: RETRY_AFTER_DEFAULT_S * TIMER_SLACK)

    def test_5xx(self):
        def queue():
            for status in (500, 502, 503):
                self.queue("status", status=status)
        self.inject("500/502/503", queue, "HTTP 50", range(3, 4))
        self.assertEqual(self.served()[:4], ["error 500", "error 502", "error 503", "Recovered"])
        errors = " ".join(self.errors_since(0))
        for status in ("500", "502", "503"):
            self.assertIn(f"HTTP {status}", errors)

    def test_slow_beyond_the_timeout(self):
        self.inject("slow (2 s, timeout 1 s)", lambda: self.queue("slow", delay=2, count=2),
                    f"no reply from Spotify within {TIMEOUT_S:.1f} s", range(2, 3))

    def test_truncated_body(self):
        self.inject("truncated", lambda: self.queue("truncated", count=3), "not valid JSON",
                    range(3, 4))
        self.assertEqual(self.served()[:3], ["truncated"] * 3)

    def test_invalid_json(self):
        self.inject("invalid JSON", lambda: self.queue("garbage", count=3), "not valid JSON",
                    range(3, 4))
        self.assertEqual(self.served()[:3], ["garbage"] * 3)

    def test_10_mib_body(self):
        self.inject("10 MiB body", lambda: self.queue("huge", count=2), "larger than 1024 KiB",
                    range(2, 3))
        self.assertEqual(self.served()[:2], ["huge"] * 2)

    def test_connection_reset(self):
        # libsoup may resend a request once after a reset of a kept-alive connection, so three
        # resets fail one to three polls of up to two requests each.
        self.inject("reset", lambda: self.queue("reset", count=3), "Cannot reach Spotify",
                    range(1, 4), per_failure=2)
        self.assertEqual(self.served()[:3], ["reset"] * 3)

    def test_connection_refused(self):
        """Spotify unreachable: nothing listens on its port for a while, then it is back."""
        port = self.fake.port
        first_signal = len(self.status_signals())
        before = self.status()["upstreamRequests"]
        self.fake.stop()
        down = time.monotonic()
        self.pump(3.0)
        outage = time.monotonic() - down
        # Refused connections never reach the fake: count what the daemon sent.
        sent = self.status()["upstreamRequests"] - before
        allowed = 1 + max_polls(outage, 10 ** 6)
        print(f"connection refused: {sent} requests in {outage:.2f} s, back-off allows {allowed}")
        self.assertLessEqual(sent, allowed)
        self.assertGreaterEqual(sent, 2, "the outage was not noticed")
        self.assertTrue(any("Cannot reach Spotify" in e for e in self.errors_since(first_signal)))
        self.assert_alive()
        self.assert_files_intact()

        self.fake = FakeSpotify(self.workdir, RECOVERED, ("--port", str(port)))
        self.wait_for_snapshot(lambda s: s["trackName"] == "Recovered", timeout=10,
                               what="recovery after the outage")
        self.pump(SETTLE_S)
        self.assert_recovered()

    def test_invalid_grant_stays_revoked(self):
        self.fake.control("reset-stats")
        self.queue("status", target="token", status=400, error="invalid_grant")
        self.fake.control("expire-access-token")
        self.wait_for(lambda: self.status()["authState"] == "revoked", timeout=10,
                      what="invalid_grant to revoke the sign-in")
        self.assertIn("sign in again", self.status()["lastError"])
        total = self.fake.stats()["total"]
        self.assertEqual(self.fake.stats()["requests"].get(TOKEN_PATH), 1)

        # The token endpoint answers well again, and a viewer still wants fresh data: no
        # request, ever (never retry invalid_grant).
        self.fake.timeline(RECOVERED)
        self.pump(2.0)
        self.assertEqual(self.fake.stats()["total"], total)
        self.assertDBusError(SIGNED_OUT, "EnsureFresh")
        self.assert_alive()
        snap = self.snapshot()
        self.assertEqual(snap["trackName"], "First Song")
        state, creds = self.assert_files_intact()
        self.assertEqual(state["now-playing"]["trackName"], "First Song")
        self.assertEqual(creds["revoked"], "true")


if __name__ == "__main__":
    main()
