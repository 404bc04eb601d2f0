"""Durability (issue 8): 300 × kill -9 at a random moment while the track changes every 100 ms
and the refresh token rotates on every refresh.

After each kill, state.ini and credentials.ini must parse, the snapshot on disk must be one the
fake actually served (whole: its id matches its name), temporary files of interrupted writes
must not pile up, and the refresh token on disk must be the newest one the daemon received:
Spotify's rotated refresh tokens are single-use, so a token the daemon got and did not persist
at once signs the person out for good. After each restart the daemon must be signed in and
serve a snapshot that was served.

The one loss no daemon can prevent is a token still on its way when the process dies: the fake
has rotated, and the reply has not reached the daemon or is still being written to disk. The
daemon's log tells that apart from a token it dropped: it says "refresh token rotated" once per
new token, after it is on disk. Such a loss is counted, and the person "signs in again" (the
test writes the fake's current tokens).
"""

import os
import random
import re
import signal
import time

from faultcase import FaultCase, parse_ini
from harness import main, now_ms

CYCLES = 300
STEP_S = 0.1
TRACKS = 1000  # 100 s of distinct names: longer than the test, so no name comes round again
MAX_RUN_S = 0.2  # each daemon lives a random 0..MAX_RUN_S after it is on the bus
ROTATED = "(refresh token rotated)"
STALE_TEMP_S = 5  # daemon/engine.c: STALE_TEMP_FILE_AGE_S


def token_number(token):
    match = re.fullmatch(r"fake-(?:access|refresh)-(\d+)", token)
    if match is None:
        raise AssertionError(f"not a token the fake issued: {token!r}")
    return int(match.group(1))


class Durability(FaultCase):
    timeline = "".join(f"{STEP_S} track id=d{i:04d} name=\"Song {i:04d}\" duration={STEP_S}\n"
                       for i in range(TRACKS)) + "loop\n"
    first_track = "Song 0000"
    # A viewer keeps the daemon polling every 50 ms; an access token lives 1 s and is refreshed
    # 0.9 s early, so about every other poll refreshes and rotates the refresh token.
    polling = {
        "fresh-playing-s": "0.05",
        "fresh-paused-s": "0.05",
        "end-of-item-delay-s": "0.01",
        "token-refresh-margin-s": "0.9",
    }
    fake_args = ("--rotate-refresh-token", "--expires-in", "1")
    start_daemon = False

    def setUp(self):
        super().setUp()
        seed = int(os.environ.get("SPN_SEED", time.time_ns()))
        print(f"SPN_SEED={seed}")
        self.random = random.Random(seed)
        self.served_names = set()
        self.in_transit = 0
        self.rotations = 0
        self.temp_files = set()

    def served_name_set(self):
        self.served_names.update(self.fake.stats()["served"])
        return self.served_names

    def assert_served_snapshot(self, snapshot, where):
        """A snapshot the fake served, whole: name and id from the same timeline step."""
        name = snapshot["trackName"]
        self.assertIn(name, self.served_name_set(), f"{where}: never served")
        self.assertEqual(snapshot["trackId"], "d" + name.removeprefix("Song "), where)

    def check_temp_files(self, where):
        """A kill in the middle of an atomic write leaves its temporary file (the real one is
        intact); the next instance removes those older than a few seconds, so they never pile
        up."""
        for name in set(os.listdir(self.state_dir)) - {"state.ini", "credentials.ini"}:
            self.assertRegex(name, r"^(state|credentials)\.ini\.[A-Za-z0-9]{6}$", where)
            self.temp_files.add(name)
            age = time.time() - os.stat(self.state_path(name)).st_mtime
            self.assertLess(age, STALE_TEMP_S + 1, f"{where}: {name} was not cleaned up")

    def check_files_after_kill(self, cycle, on_disk_before):
        where = f"cycle {cycle}"
        state_path = self.state_path("state.ini")
        if os.path.exists(state_path):
            self.assert_served_snapshot(parse_ini(state_path)["now-playing"], where)
        else:
            self.assertIsNone(self.state_seen_at, f"{where}: state.ini vanished")
        if os.path.exists(state_path) and self.state_seen_at is None:
            self.state_seen_at = cycle
        self.check_temp_files(where)

        creds = parse_ini(self.state_path("credentials.ini"))["credentials"]
        self.assertNotIn("revoked", creds, f"{where}: the daemon met invalid_grant")
        on_disk = token_number(creds["refresh-token"])
        issued = token_number(self.fake.stats()["currentRefreshToken"])
        with open(self.daemon_log_path) as f:
            received = f.read().count(ROTATED)
        self.rotations += received
        # Every new refresh token the daemon received is on disk...
        self.assertGreaterEqual(on_disk, on_disk_before + received,
                                f"{where}: a rotated refresh token was received but not saved")
        # ...and at most the one reply in flight at the kill is missing.
        self.assertIn(issued - on_disk, (0, 1), where)
        if issued != on_disk:
            self.in_transit += 1
            stats = self.fake.stats()
            self.write_credentials(access=stats["currentAccessToken"],
                                   refresh=stats["currentRefreshToken"],
                                   expires_at=now_ms() + 1000)
        return issued

    def test_kill_9_at_random_moments(self):
        started = time.monotonic()
        self.state_seen_at = None
        on_disk = 0  # harness.write_credentials() wrote fake-refresh-0
        for cycle in range(CYCLES):
            self.start()
            status = self.status()
            self.assertEqual(status["authState"], "signed-in", f"cycle {cycle}: signed out")
            snapshot = self.snapshot()
            if snapshot["trackName"] != "":
                self.assert_served_snapshot(snapshot, f"cycle {cycle} after restart")
            self.report()
            time.sleep(self.random.uniform(0, MAX_RUN_S))
            self.stop(signal.SIGKILL)
            on_disk = self.check_files_after_kill(cycle, on_disk)

        elapsed = time.monotonic() - started
        total = self.fake.stats()["total"]
        print(f"{CYCLES} kill -9 cycles in {elapsed:.1f} s; {total} requests; "
              f"{self.rotations} refresh tokens received and kept, {self.in_transit} still on "
              f"their way at the kill; {len(self.temp_files)} temporary files left by a kill; "
              f"state.ini first written in cycle {self.state_seen_at}")
        self.assertIsNotNone(self.state_seen_at)
        # Enough happened to mean something: the token rotated and tracks changed under the kills.
        self.assertGreater(self.rotations, CYCLES // 2)
        self.assertGreater(len(self.served_names), CYCLES)
        # The reply in flight and the write of credentials.ini (fsync included) take a
        # millisecond or two of each refresh, which comes every 100 ms or so.
        self.assertLessEqual(self.in_transit, CYCLES // 10)


if __name__ == "__main__":
    main()
