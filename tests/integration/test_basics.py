"""The daemon as a user meets it: on the bus, with real clients, across restarts."""

import os
import subprocess

from harness import BUS_NAME, CP_PATH, INTERFACE, OBJECT_PATH, SpotnowTestCase, main

SNAPSHOT_TYPES = {
    "isPlaying": bool, "trackName": str, "artistName": str, "albumName": str, "albumArt": str,
    "itemType": str, "progressMs": int, "durationMs": int, "fetchedAt": int,
}


class Basics(SpotnowTestCase):
    def test_first_poll_fills_the_snapshot(self):
        snap = self.wait_for_snapshot(lambda s: s["trackName"] == "First Song")
        self.assertTrue(snap["isPlaying"])
        self.assertEqual(snap["artistName"], "The Testers")
        self.assertEqual(snap["albumName"], "Test Album")
        self.assertEqual(snap["itemType"], "track")
        self.assertEqual(snap["trackId"], "t1")
        self.assertEqual(snap["trackUrl"], "https://open.spotify.com/track/t1")
        for key, kind in SNAPSHOT_TYPES.items():
            self.assertIsInstance(snap[key], kind, key)
        self.assertLessEqual(snap["progressMs"], snap["durationMs"])

    def test_album_art_is_cached_once_and_named_in_the_snapshot(self):
        # The fake's album images point at its own /image endpoint; the largest one wins.
        snap = self.wait_for_snapshot(lambda s: "albumArtFile" in s, what="albumArtFile")
        path = snap["albumArtFile"]
        self.assertTrue(path.startswith(os.path.join(self.workdir, "cache", "spotnow", "art")))
        with open(path, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
        self.assertIn("s=640", snap["albumArt"])
        images = [p for p in self.fake.stats()["requests"] if p.startswith("/image/")]
        self.assertEqual(len(images), 1)
        self.assertEqual(self.fake.stats()["requests"][images[0]], 1)
        # A restart finds the file: no second download, and albumArtFile is there at once.
        self.stop()
        self.start()
        self.assertEqual(self.snapshot()["albumArtFile"], path)
        self.pump(0.5)
        self.assertEqual(self.fake.stats()["requests"][images[0]], 1)

    def test_status_keys(self):
        self.wait_for(lambda: self.status()["pollCount"] >= 1, what="first poll")
        status = self.status()
        self.assertEqual(status["authState"], "signed-in")
        self.assertEqual(status["viewers"], 0)
        self.assertGreater(status["lastPollAt"], 0)
        self.assertEqual(status["backoffUntil"], 0)
        self.assertEqual(status["lastError"], "")
        # Spotify's API and accounts service; album art comes from Spotify's CDN, not counted.
        requests = self.fake.stats()["requests"]
        self.assertEqual(status["upstreamRequests"],
                         requests.get(CP_PATH, 0) + requests.get("/api/token", 0))
        # No viewers: the next poll is the 5-minute safety poll.
        self.assertAlmostEqual((status["nextPollAt"] - status["lastPollAt"]) / 1000, 300, delta=2)

    def test_gdbus_call(self):
        self.wait_for_snapshot(lambda s: s["trackName"] == "First Song")
        out = subprocess.run(
            ["gdbus", "call", "--address", self.bus.address, "--dest", BUS_NAME,
             "--object-path", OBJECT_PATH, "--method", INTERFACE + ".CurrentlyPlaying"],
            capture_output=True, text=True, check=True).stdout
        self.assertIn("'trackName': <'First Song'>", out)
        self.assertIn("'isPlaying': <true>", out)

    def test_busctl_user_call(self):
        self.wait_for_snapshot(lambda s: s["trackName"] == "First Song")
        env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=self.bus.address)
        out = subprocess.run(
            ["busctl", "--user", "--json=short", "call", BUS_NAME, OBJECT_PATH, INTERFACE,
             "CurrentlyPlaying"], capture_output=True, text=True, check=True, env=env).stdout
        self.assertIn('"First Song"', out)
        out = subprocess.run(
            ["busctl", "--user", "call", BUS_NAME, OBJECT_PATH, INTERFACE, "GetStatus"],
            capture_output=True, text=True, check=True, env=env).stdout
        self.assertIn('"authState" s "signed-in"', out)

    def test_restart_with_spotify_down_serves_last_snapshot(self):
        self.wait_for_snapshot(lambda s: s["trackName"] == "First Song")
        self.assertEqual(self.stop(), 0)
        self.fake.stop()
        self.start()
        # Served from state.ini before (and without) any network traffic.
        snap = self.snapshot()
        self.assertEqual(snap["trackName"], "First Song")
        self.assertEqual(snap["artistName"], "The Testers")

    def test_restart_signed_out_serves_the_snapshot_as_it_was(self):
        """doc/design.md section 5: a restart shows the last snapshot at once. Without credentials
        nobody updates it, and nothing in it is rewritten: state.ini's bytes and the snapshot
        (isPlaying included) are what the last poll left."""
        # Settled: the cover fetched too (albumArtFile comes with a later Changed).
        before = self.wait_for_snapshot(
            lambda s: s["trackName"] == "First Song" and "albumArtFile" in s)
        self.assertTrue(before["isPlaying"])
        self.assertEqual(self.stop(), 0)
        state = os.path.join(self.state_dir, "state.ini")
        with open(state, "rb") as f:
            on_disk = f.read()
        os.unlink(os.path.join(self.state_dir, "credentials.ini"))
        self.pump(0.3)  # the first daemon's signals, already sent
        changed = len(self.changed_signals())
        self.start()
        self.assertEqual(self.snapshot(), before)
        self.assertEqual(self.status()["authState"], "signed-out")
        self.pump(0.5)
        self.assertEqual(self.snapshot(), before)
        with open(state, "rb") as f:
            self.assertEqual(f.read(), on_disk)
        self.assertEqual(len(self.changed_signals()), changed)

    def test_second_instance_refused_and_replace(self):
        # Settled: the cover fetched too (albumArtFile comes with a later Changed and write).
        self.wait_for_snapshot(lambda s: s["trackName"] == "First Song" and "albumArtFile" in s)
        state = os.stat(os.path.join(self.state_dir, "state.ini"))
        env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=self.bus.address)
        second = subprocess.run(
            [os.environ["SPOTNOWD"], "--config", self.config_path, "--state-dir",
             self.state_dir], capture_output=True, text=True, env=env, timeout=10)
        self.assertEqual(second.returncode, 1)
        self.assertIn("--replace", second.stderr)
        # The refused instance leaves the owner's files alone: it would write back what it read
        # at its start over whatever the owner saved since.
        after = os.stat(os.path.join(self.state_dir, "state.ini"))
        self.assertEqual((after.st_ino, after.st_mtime_ns), (state.st_ino, state.st_mtime_ns))
        # --replace takes over; the first exits cleanly.
        first = self.daemon
        first_log = self.daemon_log
        self.start(["--replace"])
        self.assertEqual(first.wait(10), 0)
        first_log.close()
        self.assertEqual(self.snapshot()["trackName"], "First Song")

    def test_no_bus_is_a_clear_error(self):
        """No bus: exit 1 with the reason, no GLib critical, and no state written."""
        empty = os.path.join(self.workdir, "no-bus-state")
        env = dict(os.environ, G_DEBUG="fatal-criticals",
                   DBUS_SESSION_BUS_ADDRESS="unix:path=" + os.path.join(self.workdir, "no-bus"))
        proc = subprocess.run(
            [os.environ["SPOTNOWD"], "--config", self.config_path, "--state-dir", empty],
            capture_output=True, text=True, env=env, timeout=10)
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertIn("cannot connect to the session bus:", proc.stderr)
        self.assertFalse(os.path.exists(os.path.join(empty, "state.ini")))

    def test_version(self):
        out = subprocess.run([os.environ["SPOTNOWD"], "--version"], capture_output=True,
                             text=True, check=True).stdout
        self.assertRegex(out, r"^spotnowd \d+\.\d+\.\d+\n$")

    def test_bad_config_value_names_file_group_key(self):
        self.stop()
        self.write_config(**{"safety-interval-s": "soon"})
        proc = subprocess.run(
            [os.environ["SPOTNOWD"], "--config", self.config_path, "--state-dir",
             self.state_dir], capture_output=True, text=True, timeout=10,
            env=dict(os.environ, DBUS_SESSION_BUS_ADDRESS=self.bus.address))
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn(self.config_path, proc.stderr)
        self.assertIn("[polling] safety-interval-s", proc.stderr)
        self.assertIn("soon", proc.stderr)

    def test_corrupt_state_is_set_aside(self):
        self.wait_for_snapshot(lambda s: s["trackName"] == "First Song")
        self.stop()
        state = os.path.join(self.state_dir, "state.ini")
        with open(state, "wb") as f:
            f.write(b"\x00\xff not a key file [[[\n")
        self.fake.control("reset-stats")
        self.start()
        self.wait_for_snapshot(lambda s: s["trackName"] == "First Song", what="re-polled")
        with open(state + ".corrupt", "rb") as f:
            self.assertEqual(f.read(), b"\x00\xff not a key file [[[\n")
        self.assertIn("corrupt", self.daemon_output())
        self.assertGreaterEqual(self.fake.requests(CP_PATH), 1)

    def test_signed_out(self):
        # The first poll must have filled state.ini (it may not have yet under valgrind).
        self.wait_for_snapshot(lambda s: s["trackName"] == "First Song")
        self.stop()
        os.unlink(os.path.join(self.state_dir, "credentials.ini"))
        self.fake.control("reset-stats")
        self.start()
        self.assertEqual(self.status()["authState"], "signed-out")
        self.assertDBusError("io.github.spotnow.Error.SignedOut", "EnsureFresh")
        # CurrentlyPlaying never fails: the last snapshot stays readable.
        self.assertEqual(self.snapshot()["trackName"], "First Song")
        self.pump(0.5)
        requests = self.fake.stats()["requests"]
        self.assertEqual(requests.get(CP_PATH, 0) + requests.get("/api/token", 0), 0)


if __name__ == "__main__":
    main()
