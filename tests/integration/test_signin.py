"""Sign-in end to end: the daemon's PKCE flow against the fake accounts service, followed the way
a browser follows it (real HTTP to /authorize, then to the daemon's loopback callback)."""

import os
import socket
import stat
import urllib.error
import urllib.parse
import urllib.request

from gi.repository import GLib

from harness import (CP_PATH, TOKEN_PATH, SpotnowTestCase, authorize, browse,
                     main)

SCOPE = "user-read-currently-playing user-read-playback-state user-modify-playback-state"



class SignIn(SpotnowTestCase):
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

    def port_is_free(self):
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) != 0

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

    def test_port_in_use(self):
        with socket.socket() as blocker:
            blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            blocker.bind(("127.0.0.1", self.port))
            blocker.listen(1)
            error = self.assertDBusError("io.github.spotnow.Error.Busy", "BeginSignIn")
            self.assertIn(str(self.port), error.message)

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
