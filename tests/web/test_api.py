"""GET /api/now-playing against the real daemon: the seed's keys, ETag and 304, caching and
CORS headers, HEAD, the 503 while spotnowd is away (and the recovery), show-last-played, and
what is never served."""

import json
import os
import socket
import subprocess

from webtest import WebTestCase, free_port, main

SEED_KEYS = {"isPlaying", "trackName", "artistName", "albumName", "albumArt", "trackUrl",
             "trackId", "itemType", "progressMs", "durationMs", "fetchedAt"}

QUICK = {"fresh-playing-s": "0.3", "fresh-paused-s": "0.3"}


def change(case, timeline):
    """A new story at the fake, and a poll that sees it (EnsureFresh over the bus)."""
    case.fake.timeline(timeline)
    case.wait_for(lambda: (case.ensure_fresh(), True)[1] and
                  case.get_json()[2].get("trackName") in timeline, 10, "the change served")


class NowPlaying(WebTestCase):
    polling = QUICK

    def test_the_seeds_keys_and_values(self):
        doc = self.wait_for_json(lambda d: d["trackName"] == "First Song")
        self.assertEqual(set(doc), SEED_KEYS)
        self.assertIs(doc["isPlaying"], True)
        self.assertEqual(doc["artistName"], "The Testers")
        self.assertEqual(doc["albumName"], "Test Album")
        self.assertEqual(doc["trackUrl"], "https://open.spotify.com/track/t1")
        self.assertEqual(doc["trackId"], "t1")
        self.assertEqual(doc["itemType"], "track")
        self.assertEqual(doc["durationMs"], 1000 * 1000)
        self.assertGreater(doc["fetchedAt"], 0)
        # The daemon has cached the cover by now; its path is never served.
        self.wait_for(lambda: "albumArtFile" in self.snapshot(), 10, "the cover cached")
        status, headers, body = self.request("GET", "/api/now-playing")
        self.assertNotIn(b"albumArtFile", body)
        self.assertNotIn(self.workdir.encode(), body)
        self.assertTrue(headers["content-type"].startswith("application/json"))

    def test_local_file_has_null_url_and_no_id(self):
        change(self, '100 track local=true name="My Demo" artists=Me album=Tapes duration=100\n')
        doc = self.wait_for_json(lambda d: d["trackName"] == "My Demo")
        self.assertIn("trackUrl", doc)
        self.assertIsNone(doc["trackUrl"])
        self.assertNotIn("trackId", doc)
        self.assertEqual(set(doc), SEED_KEYS - {"trackId"})

    def test_etag_304_and_a_new_etag_exactly_when_the_body_changes(self):
        self.wait_for_json(lambda d: d["trackName"] == "First Song")
        status, headers, body = self.request("GET", "/api/now-playing")
        etag = headers["etag"]
        self.assertRegex(etag, r'^"[0-9a-f]+"$')
        # The same body again: the same ETag; the client's copy is good: 304 without a body.
        status2, headers2, body2 = self.request("GET", "/api/now-playing")
        self.assertEqual((status2, body2), (200, body))
        self.assertEqual(headers2["etag"], etag)
        status, headers, body = self.request("GET", "/api/now-playing",
                                             {"If-None-Match": etag})
        self.assertEqual(status, 304)
        self.assertEqual(body, b"")
        self.assertEqual(headers["etag"], etag)
        self.assertIn("cache-control", headers)
        for tag in (f'W/{etag}', f'"other", {etag}', "*"):
            self.assertEqual(self.request("GET", "/api/now-playing",
                                          {"If-None-Match": tag})[0], 304, tag)
        self.assertEqual(self.request("GET", "/api/now-playing",
                                      {"If-None-Match": '"stale"'})[0], 200)

        change(self, '100 track id=t2 name="Second Song" artists=B album=C duration=100\n')
        status, headers, body = self.request("GET", "/api/now-playing",
                                             {"If-None-Match": etag})
        self.assertEqual(status, 200)
        self.assertNotEqual(headers["etag"], etag)
        self.assertEqual(json.loads(body)["trackName"], "Second Song")

    def test_caching_and_cors_headers(self):
        self.wait_for_json(lambda d: True)
        status, headers, _ = self.request("GET", "/api/now-playing",
                                          {"Origin": "https://visitor.example"})
        # A CDN may hold it a few seconds; browsers revalidate with the ETag.
        self.assertRegex(headers["cache-control"], r"s-maxage=\d+")
        self.assertIn("public", headers["cache-control"])
        self.assertEqual(headers["access-control-allow-origin"], "*")
        self.assertEqual(headers["x-content-type-options"], "nosniff")

    def test_head_has_the_headers_and_no_body(self):
        self.wait_for_json(lambda d: True)

        def same_snapshot():
            # The GET is a viewer: the daemon may poll and change the snapshot (its fetchedAt)
            # between the two requests. Then the pair is asked again.
            _, get_headers, get_body = self.request("GET", "/api/now-playing")
            status, headers, body = self.request("HEAD", "/api/now-playing")
            if headers.get("etag") != get_headers["etag"]:
                return None
            return status, headers, body, get_body
        status, headers, body, get_body = self.wait_for(
            same_snapshot, 30, "a GET and a HEAD of one snapshot")
        self.assertEqual(status, 200)
        self.assertEqual(body, b"")
        self.assertEqual(int(headers["content-length"]), len(get_body))

    def test_preflight(self):
        status, headers, body = self.request("OPTIONS", "/api/now-playing", {
            "Origin": "https://visitor.example", "Access-Control-Request-Method": "GET"})
        self.assertEqual(status, 204)
        self.assertEqual(headers["access-control-allow-origin"], "*")
        self.assertIn("GET", headers["access-control-allow-methods"])
        self.assertIn("If-None-Match", headers["access-control-allow-headers"])

    def test_a_request_is_a_viewer_heartbeat(self):
        self.wait_for(lambda: self.viewers() == 0, 20, "no viewer before")
        self.request("GET", "/api/now-playing")
        self.wait_for(lambda: self.viewers() == 1, 20, "the request's heartbeat")

    def test_503_while_the_daemon_is_away_and_recovery(self):
        self.wait_for_json(lambda d: d["trackName"] == "First Song")
        self.stop()
        def unavailable():
            status, headers, body = self.request("GET", "/api/now-playing")
            return (status, headers, body) if status == 503 else None
        status, headers, body = self.wait_for(unavailable, 10, "503 without the daemon")
        self.assertGreaterEqual(int(headers["retry-after"]), 1)
        self.assertIn("error", json.loads(body))
        self.assertIn("no-store", headers["cache-control"])
        self.assertEqual(self.request("GET", "/card.svg")[0], 503)
        # spotnowd back (it restores its snapshot from state.ini): served again.
        self.start()
        doc = self.wait_for_json(lambda d: d["trackName"] == "First Song", 15, "recovery")
        self.assertEqual(doc["itemType"], "track")

    def test_never_status_details(self):
        self.fake.fault("status", status=502, count=50)
        self.wait_for(lambda: (self.ensure_fresh(), self.status()["lastError"])[1], 10,
                      "a lastError at the daemon")
        last_error = self.status()["lastError"]
        for path in ("/api/now-playing", "/card.svg", "/", "/widget.js"):
            status, headers, body = self.request("GET", path)
            self.assertEqual(status, 200, path)
            text = body.decode(errors="replace")
            for secret in (last_error, "fake-access", "fake-refresh", "lastError",
                           self.state_dir, "credentials"):
                self.assertNotIn(secret, text, f"{secret!r} served at {path}")


class SignedOut(WebTestCase):
    polling = QUICK

    def test_signed_out_is_served_as_last_played(self):
        # Nobody learns any more whether it still plays: the track stays, not as playing.
        self.wait_for_json(lambda d: d["trackName"] == "First Song" and d["isPlaying"])
        self.call("SignOut")
        doc = self.wait_for_json(lambda d: not d["isPlaying"], 10, "not playing once signed out")
        self.assertEqual((doc["trackName"], doc["itemType"]), ("First Song", "track"))


class AllowOrigin(WebTestCase):
    web = {"allow-origin": "https://me.example"}

    def test_one_origin(self):
        status, headers, _ = self.request("GET", "/api/now-playing")
        self.assertEqual(headers["access-control-allow-origin"], "https://me.example")
        self.assertIn("Origin", headers["vary"])


class NoCors(WebTestCase):
    web = {"allow-origin": ""}

    def test_no_cors_header(self):
        status, headers, _ = self.request("GET", "/api/now-playing")
        self.assertEqual(status, 200)
        self.assertNotIn("access-control-allow-origin", headers)


class HideLastPlayed(WebTestCase):
    web = {"show-last-played": "false"}
    polling = QUICK
    timeline = ('1000 track id=t1 name="First Song" artists="The Testers" album="Test Album" '
                'duration=1000 playing=false\n')

    def test_paused_is_served_as_none(self):
        self.wait_for(lambda: self.snapshot()["trackName"] == "First Song", 10, "the poll")
        doc = self.wait_for_json(lambda d: True)
        self.assertEqual(doc["itemType"], "none")
        self.assertIs(doc["isPlaying"], False)
        for key in ("trackName", "artistName", "albumName", "albumArt"):
            self.assertEqual(doc[key], "", key)
        self.assertIsNone(doc["trackUrl"])
        self.assertNotIn("trackId", doc)
        self.assertEqual((doc["progressMs"], doc["durationMs"]), (0, 0))


class ShowLastPlayed(WebTestCase):
    polling = QUICK
    timeline = HideLastPlayed.timeline

    def test_paused_is_the_last_played_track(self):
        doc = self.wait_for_json(lambda d: d["trackName"] == "First Song")
        self.assertIs(doc["isPlaying"], False)
        self.assertEqual(doc["itemType"], "track")


class SocketActivation(WebTestCase):
    """systemd's socket activation, by systemd-socket-activate: the passed socket is served,
    and [web] listen / --listen are not bound."""
    start_web = False

    def test_serves_the_passed_socket(self):
        unused = free_port()
        env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=self.bus.address,
                   GIO_USE_PROXY_RESOLVER="dummy")
        self.web_log_path = os.path.join(self.workdir, "spotnow-web-activated.log")
        self.web_log = open(self.web_log_path, "w")
        self.web_proc = subprocess.Popen(
            # It hands the program a clean environment: -E passes the bus on.
            ["systemd-socket-activate", "-l", f"127.0.0.1:{self.web_port}",
             "-E", "DBUS_SESSION_BUS_ADDRESS", "-E", "GIO_USE_PROXY_RESOLVER",
             os.environ["SPOTNOW_WEB"], "--config", self.config_path,
             "--listen", f"127.0.0.1:{unused}"],
            env=env, stdout=self.web_log, stderr=subprocess.STDOUT)
        self.wait_for(self.web_answers, 10, "systemd-socket-activate listening")
        # The first connection starts it, as systemd would.
        doc = self.wait_for_json(lambda d: d["trackName"] == "First Song", 15)
        self.assertEqual(doc["itemType"], "track")
        with socket.socket() as s:
            s.bind(("127.0.0.1", unused))  # --listen's port was never taken


class BadConfig(WebTestCase):
    start_web = False

    def run_web(self, *args):
        return subprocess.run([os.environ["SPOTNOW_WEB"], "--config", self.config_path, *args],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=30, env=dict(os.environ, LANGUAGE="C"))

    def test_bad_values_name_file_group_key(self):
        for key, value in (("listen", "localhost:80"), ("max-streams", "0"),
                           ("show-last-played", "maybe"), ("allow-origin", "a b")):
            with self.subTest(key=key):
                with open(self.config_path, "a") as f:
                    f.write(f"\n[web]\n{key}={value}\n")
                result = self.run_web()
                self.assertEqual(result.returncode, 1, result.stderr)
                self.assertIn(f"{self.config_path}: [web] {key}:", result.stderr)
                self.write_config()

    def test_bad_listen_option_is_a_usage_error(self):
        result = self.run_web("--listen", "example.org:80")
        self.assertEqual(result.returncode, 2)
        self.assertIn("is not ADDR:PORT", result.stderr)
        result = self.run_web("--session", "--system")
        self.assertEqual(result.returncode, 2)

    def test_version(self):
        result = self.run_web("--version")
        self.assertRegex(result.stdout, r"^spotnow-web \d+\.\d+\.\d+\n$")


if __name__ == "__main__":
    main()
