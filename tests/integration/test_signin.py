"""Sign-in end to end: the daemon's PKCE flow against the fake accounts service, followed the way
a browser follows it (real HTTP to /authorize, then to the daemon's loopback callback)."""

import base64
import hashlib
import os
import resource
import socket
import stat
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from gi.repository import GLib

from harness import (CP_PATH, TOKEN_PATH, SpotnowTestCase, authorize, browse,
                     main)

SCOPE = "user-read-currently-playing user-read-playback-state user-modify-playback-state"


class SignInCase(SpotnowTestCase):
    """A daemon with a client id and a redirect port of its own, and no credentials yet."""

    credentials = False

    redirect_port = True
    spotify = {"sign-in-timeout-s": "60"}

    def credentials_path(self):
        return os.path.join(self.state_dir, "credentials.ini")

    def begin(self):
        return self.call("BeginSignIn")

    def complete(self, url):
        return self.call("CompleteSignIn", GLib.Variant("(s)", (url,)))

    def assert_signed_in(self):
        self.wait_for(lambda: self.status()["authState"] == "signed-in", what="signed-in")
        path = self.credentials_path()
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        creds = self.read_keyfile("credentials.ini")["credentials"]
        fake = self.fake.stats()
        self.assertEqual(creds["refresh-token"], fake["currentRefreshToken"])
        self.assertEqual(creds["scope"], SCOPE)
        # "polls at once": the first poll follows the sign-in without waiting for a timer.
        self.wait_for_snapshot(lambda s: s["trackName"] == "First Song", timeout=5,
                               what="the first poll after sign-in")

    def port_is_free(self):
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) != 0


class SignIn(SignInCase):
    def test_authorize_url_carries_pkce_and_scope(self):
        url = self.begin()
        parsed = urllib.parse.urlparse(url)
        self.assertEqual(f"{parsed.scheme}://{parsed.netloc}", self.fake.url)
        self.assertEqual(parsed.path, "/authorize")
        q = dict(urllib.parse.parse_qsl(parsed.query))
        self.assertEqual(q["client_id"], "test-client")
        self.assertEqual(q["response_type"], "code")
        self.assertEqual(q["redirect_uri"], f"http://127.0.0.1:{self.port}/callback")
        self.assertEqual(q["code_challenge_method"], "S256")
        self.assertRegex(q["code_challenge"], r"^[A-Za-z0-9_-]{43}$")
        self.assertGreaterEqual(len(q["state"]), 16)
        self.assertEqual(q["scope"], SCOPE)

    def test_browser_loop(self):
        url = self.begin()
        callback = authorize(url)
        self.assertTrue(callback.startswith(f"http://127.0.0.1:{self.port}/callback?"))
        status, page = browse(callback)
        self.assertEqual(status, 200, page)
        self.assertIn("Signed in", page)
        self.assert_signed_in()
        self.assertEqual(self.fake.requests(TOKEN_PATH), 1)
        self.wait_for(lambda: any(n == "StatusChanged" and s["authState"] == "signed-in"
                                  for (_, n, s) in self.signals), what="StatusChanged")
        # The port is free again: the callback server listened for one sign-in only.
        self.wait_for(lambda: self.port_is_free(), timeout=5, what="the port to be freed")

    def test_pasted_url(self):
        callback = authorize(self.begin())
        self.complete(callback)
        self.assert_signed_in()

    def test_wrong_verifier_is_rejected_and_reported(self):
        # A code issued for the first flow's challenge, presented by the second flow (whose
        # verifier differs): Spotify (the fake) checks the verifier against the challenge.
        first = authorize(self.begin())
        code = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(first).query))["code"]
        second = self.begin()
        state = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(second).query))["state"]
        forged = f"http://127.0.0.1:{self.port}/callback?code={code}&state={state}"
        error = self.assertDBusError("io.github.spotnow.Error.Upstream", "CompleteSignIn",
                                     GLib.Variant("(s)", (forged,)))
        self.assertIn("code_verifier", error.message)
        self.assertFalse(os.path.exists(self.credentials_path()))
        self.assertEqual(self.status()["authState"], "signed-out")

    def test_wrong_state(self):
        callback = authorize(self.begin())
        bad = callback.replace("state=", "state=x")
        error = self.assertDBusError("io.github.spotnow.Error.InvalidArgs", "CompleteSignIn",
                                     GLib.Variant("(s)", (bad,)))
        self.assertIn("state", error.message)
        self.assertEqual(self.fake.requests(TOKEN_PATH), 0)
        # The flow survives a forged redirect: the real one still works.
        self.complete(callback)
        self.assert_signed_in()

    def test_access_denied(self):
        self.fake.control("authorize", outcome="access_denied")
        callback = authorize(self.begin())
        self.assertIn("error=access_denied", callback)
        error = self.assertDBusError("io.github.spotnow.Error.SignedOut", "CompleteSignIn",
                                     GLib.Variant("(s)", (callback,)))
        self.assertIn("access_denied", error.message)
        # Spotify's page has answered: that flow is over, its port free.
        self.assertFalse(self.status()["signInPending"])
        # The browser path shows the reason on the page, and on the bus for `spotnow login`.
        callback = authorize(self.begin())
        self.assertTrue(self.status()["signInPending"])
        status, page = browse(callback)
        self.assertEqual(status, 400)
        self.assertIn("access_denied", page)
        self.wait_for(lambda: any(n == "StatusChanged" and "access_denied" in s["lastError"]
                                  for (_, n, s) in self.signals), what="StatusChanged")
        self.assertFalse(os.path.exists(self.credentials_path()))

    def test_missing_code_and_not_a_url(self):
        self.begin()
        for bad in ("hello", f"http://127.0.0.1:{self.port}/callback"):
            self.assertDBusError("io.github.spotnow.Error.InvalidArgs", "CompleteSignIn",
                                 GLib.Variant("(s)", (bad,)))

    def test_no_flow(self):
        error = self.assertDBusError("io.github.spotnow.Error.InvalidArgs", "CompleteSignIn",
                                     GLib.Variant("(s)", ("?code=x&state=y",)))
        self.assertIn("No sign-in", error.message)

    def test_second_begin_replaces_first(self):
        first = authorize(self.begin())
        self.begin()
        self.assertDBusError("io.github.spotnow.Error.InvalidArgs", "CompleteSignIn",
                             GLib.Variant("(s)", (first,)))

    def test_port_in_use_leaves_the_paste_path(self):
        """Another program on the redirect port: no listener, but a pasted redirect needs none,
        and the reason is the real one (the port is in use, not "busy")."""
        with socket.socket() as blocker:
            blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            blocker.bind(("127.0.0.1", self.port))
            blocker.listen(1)
            url = self.begin()
            status = self.status()
            self.assertTrue(status["signInPending"])
            self.assertIn(f"Port {self.port} on 127.0.0.1 is in use", status["signInListenError"])
            self.assertIn("--paste", status["signInListenError"])
            self.complete(authorize(url))
            self.assert_signed_in()
        self.assertEqual(self.status()["signInListenError"], "")

    def test_old_credentials_survive_a_failed_sign_in(self):
        self.stop()
        self.write_credentials()
        self.start()
        self.wait_for_snapshot(lambda s: s["trackName"] == "First Song")
        with open(self.credentials_path()) as f:
            before = f.read()
        callback = authorize(self.begin())
        self.assertDBusError("io.github.spotnow.Error.InvalidArgs", "CompleteSignIn",
                             GLib.Variant("(s)", (callback.replace("state=", "state=z"),)))
        with open(self.credentials_path()) as f:
            self.assertEqual(f.read(), before)
        self.assertEqual(self.status()["authState"], "signed-in")

    def test_signing_in_again_is_announced(self):
        self.complete(authorize(self.begin()))
        self.assert_signed_in()
        self.pump(0.3)
        before = len([1 for (_, n, _s) in self.signals if n == "StatusChanged"])
        self.complete(authorize(self.begin()))
        self.wait_for(lambda: len([1 for (_, n, _s) in self.signals if n == "StatusChanged"])
                      > before, what="StatusChanged for the second sign-in")

    def test_sign_out_keeps_snapshot_and_stops_polling(self):
        self.complete(authorize(self.begin()))
        self.assert_signed_in()
        # Settled: the cover fetched too (albumArtFile comes with a later Changed), and that
        # Changed dispatched, so what follows SignOut is SignOut's alone.
        self.wait_for_snapshot(lambda s: "albumArtFile" in s, what="the cover")
        self.pump(0.3)
        before = self.snapshot()
        changed = len(self.changed_signals())
        self.call("SignOut")
        self.assertFalse(os.path.exists(self.credentials_path()))
        status = self.status()
        self.assertEqual(status["authState"], "signed-out")
        self.assertEqual(status["nextPollAt"], 0)
        # The snapshot stays exactly as it was (clients label it "last played" by authState).
        self.assertEqual(self.snapshot(), before)
        self.pump(0.3)
        self.assertEqual(len(self.changed_signals()), changed)
        self.wait_for(lambda: any(n == "StatusChanged" and s["authState"] == "signed-out"
                                  for (_, n, s) in self.signals), what="StatusChanged")
        self.assertDBusError("io.github.spotnow.Error.SignedOut", "EnsureFresh")

    def test_tokens_never_reach_the_log(self):
        callback = authorize(self.begin())
        code = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(callback).query))["code"]
        self.complete(callback)
        self.assert_signed_in()
        stats = self.fake.stats()
        log = self.daemon_output()
        self.assertIn("sign-in", log)  # the debug log is on, so silence would prove nothing
        for secret in (stats["currentAccessToken"], stats["currentRefreshToken"], code):
            self.assertNotIn(secret, log)


class SignInHostile(SignInCase):
    """What another local user can do to a pending sign-in's loopback server and its flow."""

    def setUp(self):
        super().setUp()
        self.url = self.begin()
        self.query = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(self.url).query))

    def daemon_rss_kib(self):
        with open(f"/proc/{self.daemon.pid}/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))

    def daemon_fds(self):
        return len(os.listdir(f"/proc/{self.daemon.pid}/fd"))

    def start_url(self):
        digest = hashlib.sha256(("spotnow sign-in start\n" + self.query["state"]).encode())
        token = base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")
        return f"http://127.0.0.1:{self.port}/start/{token}"

    # ---- B1: bodies -----------------------------------------------------------------------

    def test_a_300_mib_post_is_refused_from_its_headers(self):
        before = self.daemon_rss_kib()
        sent = 0
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
            s.sendall(f"POST /callback HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
                      f"Content-Length: {300 << 20}\r\n\r\n".encode())
            # The answer comes before any of the body is sent...
            head = s.recv(4096)
            self.assertTrue(head.startswith(b"HTTP/1.1 405"), head)
            # ...and the connection is closed: the body goes nowhere.
            chunk = b"x" * (1 << 20)
            with self.assertRaises(OSError):
                for _ in range(300):
                    s.sendall(chunk)
                    sent += len(chunk)
        self.assertLess(sent, 64 << 20)
        self.assertLess(self.daemon_rss_kib() - before, 8 << 10)
        # The flow is untouched: the real redirect still signs in.
        status, page = browse(authorize(self.url))
        self.assertEqual(status, 200, page)
        self.assert_signed_in()

    def test_a_get_with_a_body_is_refused_too(self):
        for framing in ("Content-Length: 1000000", "Transfer-Encoding: chunked"):
            with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
                s.sendall(f"GET /callback?code=x&state=y HTTP/1.1\r\nHost: x\r\n{framing}"
                          "\r\n\r\n".encode())
                head = s.recv(4096)
                self.assertTrue(head.startswith(b"HTTP/1.1 413"), (framing, head))
                self.assertEqual(s.recv(4096), b"", framing)
        self.assertTrue(self.status()["signInPending"])

    # ---- B2: connections ------------------------------------------------------------------

    def test_1100_idle_connections_do_not_exhaust_descriptors(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(soft, 4096), hard), hard))
        self.addCleanup(resource.setrlimit, resource.RLIMIT_NOFILE, (soft, hard))
        baseline = self.daemon_fds()
        idle = []
        try:
            for _ in range(1100):
                s = socket.socket()
                s.setblocking(False)
                s.connect_ex(("127.0.0.1", self.port))
                idle.append(s)
            # Once the daemon has taken them all in, it holds at most 16 of them.
            self.wait_for(lambda: self.backlog_drained(idle), timeout=30,
                          what="the daemon to accept the connections")
            self.assertLessEqual(self.daemon_fds(), baseline + 16 + 4)
            # The real browser still gets through, and the state file can still be written.
            status, page = browse(authorize(self.url))
            self.assertEqual(status, 200, page)
            self.assert_signed_in()
        finally:
            for s in idle:
                s.close()

    def backlog_drained(self, sockets):
        """Every connection is established (the daemon accepted it, or accepted and closed)."""
        pending = 0
        for s in sockets:
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                try:
                    s.getpeername()
                except OSError:
                    pending += 1
        return pending == 0 and self.daemon_fds() < 200

    def test_an_idle_connection_is_closed(self):
        with socket.create_connection(("127.0.0.1", self.port), timeout=30) as s:
            start = time.monotonic()
            self.assertEqual(s.recv(1), b"")  # closed by the daemon, not by the timeout here
            self.assertLess(time.monotonic() - start, 25)

    # ---- B3: the start address --------------------------------------------------------------

    def test_the_start_address_redirects_once(self):
        self.assertEqual(authorize(self.start_url()), self.url)
        # A second visit: someone else may have the address, so the flow ends.
        status, page = browse(self.start_url())
        self.assertEqual(status, 409, page)
        self.assertFalse(self.status()["signInPending"])
        self.assertIn("opened twice", self.status()["lastError"])
        self.wait_for(self.port_is_free, timeout=5, what="the port to be freed")

    def test_a_wrong_token_changes_nothing(self):
        status, _ = browse(f"http://127.0.0.1:{self.port}/start/" + "A" * 43)
        self.assertEqual(status, 404)
        self.assertEqual(authorize(self.start_url()), self.url)

    # ---- B4: the redirect's error text ----------------------------------------------------

    def test_the_redirect_error_is_cleaned(self):
        evil = urllib.parse.quote("\x1b[2J\x1b]0;pwned\x07\nFAKE: signed in\r")
        callback = (f"http://127.0.0.1:{self.port}/callback?error={evil}"
                    f"&state={self.query['state']}")
        status, page = browse(callback)
        self.assertEqual(status, 400)
        self.wait_for(lambda: "Sign-in failed" in self.status()["lastError"], what="lastError")
        last_error = self.status()["lastError"]
        self.assertIn("pwned", last_error)
        for bad in ("\x1b", "\x07", "\n", "\r"):
            self.assertNotIn(bad, last_error)
        for (_, name, s) in self.signals:
            if name == "StatusChanged":
                self.assertNotIn("\x1b", s["lastError"])

    # ---- B5: races ------------------------------------------------------------------------

    def slow_token(self, seconds=1.5):
        self.fake.fault("slow", target="token", delay=str(seconds))

    def browse_in_thread(self, url):
        result = {}
        thread = threading.Thread(target=lambda: result.update(answer=browse(url)))
        thread.start()
        self.addCleanup(thread.join, 30)
        return thread, result

    def test_a_stray_callback_during_the_exchange_leaves_the_real_one_alone(self):
        self.slow_token()
        callback = authorize(self.url)
        thread, result = self.browse_in_thread(callback)
        self.wait_for(lambda: self.fake.requests(TOKEN_PATH) == 1, what="the exchange")
        status, page = browse(callback)
        self.assertEqual(status, 400)
        self.assertIn("already being completed", page)
        thread.join(30)
        self.assertEqual(result["answer"][0], 200, result["answer"][1])
        self.assert_signed_in()

    def test_a_new_sign_in_mid_exchange_wins(self):
        self.slow_token()
        thread, result = self.browse_in_thread(authorize(self.url))
        self.wait_for(lambda: self.fake.requests(TOKEN_PATH) == 1, what="the exchange")
        second = self.begin()  # not Busy: the old flow's port is freed at once
        thread.join(30)
        self.assertEqual(result["answer"][0], 400, result["answer"][1])
        self.assertIn("replaced", result["answer"][1])
        # The old exchange ended without signing in, and without ending the new flow.
        self.pump(0.3)
        self.assertEqual(self.status()["authState"], "signed-out")
        self.assertFalse(os.path.exists(self.credentials_path()))
        self.assertTrue(self.status()["signInPending"])
        status, page = browse(authorize(second))
        self.assertEqual(status, 200, page)
        self.assert_signed_in()

    # ---- A7: cancelling -------------------------------------------------------------------

    def test_cancel_ends_the_flow(self):
        callback = authorize(self.url)
        self.call("CancelSignIn")
        self.assertFalse(self.status()["signInPending"])
        self.wait_for(self.port_is_free, timeout=5, what="the port to be freed")
        error = self.assertDBusError("io.github.spotnow.Error.InvalidArgs", "CompleteSignIn",
                                     GLib.Variant("(s)", (callback,)))
        self.assertIn("No sign-in", error.message)
        self.wait_for(lambda: any(n == "StatusChanged" and not s["signInPending"]
                                  for (_, n, s) in self.signals), what="StatusChanged")
        self.call("CancelSignIn")  # nothing to cancel: no error

    def test_cancel_mid_exchange_does_not_sign_in(self):
        self.slow_token()
        thread, result = self.browse_in_thread(authorize(self.url))
        self.wait_for(lambda: self.fake.requests(TOKEN_PATH) == 1, what="the exchange")
        self.call("CancelSignIn")
        thread.join(30)
        self.assertEqual(result["answer"][0], 400)
        self.pump(0.3)
        self.assertEqual(self.status()["authState"], "signed-out")
        self.assertFalse(os.path.exists(self.credentials_path()))

    def test_two_callers_make_one_sign_in(self):
        """Two `gdbus call`s on a headless machine: the flow outlives the caller that began
        it, and another connection completes it."""
        other = self.bus.connect()
        url = self.call("BeginSignIn", conn=other)
        other.close_sync(None)
        self.pump(0.3)
        self.assertTrue(self.status()["signInPending"])
        self.call("CompleteSignIn", GLib.Variant("(s)", (authorize(url),)))
        self.assertEqual(self.status()["authState"], "signed-in")

    def test_another_caller_leaving_leaves_the_flow(self):
        other = self.bus.connect()
        self.call("GetStatus", conn=other)
        other.close_sync(None)
        self.pump(0.3)
        self.assertTrue(self.status()["signInPending"])

    def test_sign_out_ends_a_pending_flow(self):
        callback = authorize(self.url)
        self.call("SignOut")
        self.assertFalse(self.status()["signInPending"])
        self.assertDBusError("io.github.spotnow.Error.InvalidArgs", "CompleteSignIn",
                             GLib.Variant("(s)", (callback,)))

    # ---- A8: paste mistakes ---------------------------------------------------------------

    def test_quotes_and_spaces_around_a_pasted_address(self):
        callback = authorize(self.url)
        half = len(callback) // 2
        self.complete(f"  '{callback[:half]} {callback[half:]}'\n")
        self.assert_signed_in()

    def test_a_cut_short_address_says_so_and_the_flow_stays(self):
        callback = authorize(self.url)
        error = self.assertDBusError("io.github.spotnow.Error.InvalidArgs", "CompleteSignIn",
                                     GLib.Variant("(s)", (callback[:-6],)))
        self.assertIn("cut short", error.message)
        error = self.assertDBusError("io.github.spotnow.Error.InvalidArgs", "CompleteSignIn",
                                     GLib.Variant("(s)", (callback + ".",)))
        self.assertIn("extra characters", error.message)
        self.complete(callback)
        self.assert_signed_in()

    def test_a_cut_short_code_is_not_called_revoked(self):
        callback = authorize(self.url)
        code = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(callback).query))["code"]
        error = self.assertDBusError("io.github.spotnow.Error.Upstream", "CompleteSignIn",
                                     GLib.Variant("(s)", (callback.replace(code, code[:-4]),)))
        self.assertNotIn("revoked", error.message)
        self.assertIn("did not accept the code", error.message)
        self.assertTrue(self.status()["signInPending"])
        self.complete(callback)
        self.assert_signed_in()


class SignInTimeout(SpotnowTestCase):
    credentials = False

    redirect_port = True
    spotify = {"sign-in-timeout-s": "0.5"}

    def test_expired_flow_frees_the_port(self):
        callback = authorize(self.call("BeginSignIn"))
        self.pump(1.0)
        error = self.assertDBusError("io.github.spotnow.Error.InvalidArgs", "CompleteSignIn",
                                     GLib.Variant("(s)", (callback,)))
        self.assertIn("expired", error.message)
        with socket.socket() as s:
            self.assertNotEqual(s.connect_ex(("127.0.0.1", self.port)), 0)


class SignInWithoutClientId(SpotnowTestCase):
    credentials = False
    client_id = None

    def test_missing_client_id_explains_the_three_steps(self):
        error = self.assertDBusError("io.github.spotnow.Error.NotSupported", "BeginSignIn")
        self.assertIn("developer.spotify.com/dashboard", error.message)
        self.assertIn("/callback", error.message)
        self.assertIn("client-id", error.message)


class SignInWithClientSecret(SpotnowTestCase):
    """A confidential app: the token call authenticates with HTTP Basic instead of client_id."""

    credentials = False
    fake_args = ("--client-secret", "s3cret")

    redirect_port = True
    spotify = {"client-secret": "s3cret"}

    def test_basic_auth_exchange(self):
        self.call("CompleteSignIn", GLib.Variant("(s)", (authorize(self.call("BeginSignIn")),)))
        self.wait_for(lambda: self.status()["authState"] == "signed-in", what="signed-in")
        self.wait_for(lambda: self.fake.requests(CP_PATH) >= 1, what="first poll")


if __name__ == "__main__":
    main()
