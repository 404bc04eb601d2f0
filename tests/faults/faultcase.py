"""What the fault, durability, disk and bad-input suites share, on top of tests/integration's
harness: the files read the way a person (or another tool) would read them, with Python's
configparser, and the daemon's memory from /proc.
"""

import configparser
import os

from harness import CP_PATH, SpotnowTestCase, now_ms

STATE_FILES = {"state.ini", "credentials.ini"}


def parse_ini(path):
    """configparser's reading of a GKeyFile we wrote; raises on anything it cannot parse."""
    cfg = configparser.ConfigParser(interpolation=None, strict=True)
    cfg.optionxform = str
    with open(path, encoding="utf-8") as f:
        cfg.read_file(f)
    return cfg


def vm_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


class FaultCase(SpotnowTestCase):
    first_track = "First Song"

    def wait_first_poll(self):
        self.wait_for_snapshot(lambda s: s["trackName"] == self.first_track, what="first poll")
        self.wait_for(lambda: self.status()["pollCount"] >= 1, what="first poll counted")

    def state_path(self, name):
        return os.path.join(self.state_dir, name)

    def state_ini(self):
        return parse_ini(self.state_path("state.ini"))

    def credentials_ini(self):
        return parse_ini(self.state_path("credentials.ini"))["credentials"]

    def assert_files_intact(self, allowed=STATE_FILES):
        """Both files parse, carry what they must, and nothing half-written lies beside them."""
        state = self.state_ini()
        self.assertIn("now-playing", state)
        self.assertIn("trackName", state["now-playing"])
        self.assertIn("poll", state)
        creds = self.credentials_ini()
        self.assertTrue(creds.get("refresh-token"), "refresh token lost")
        int(creds["expires-at"])
        mode = os.stat(self.state_path("credentials.ini")).st_mode & 0o777
        self.assertEqual(mode, 0o600)
        self.assertEqual(set(os.listdir(self.state_dir)) - set(allowed), set(),
                         "temporary or set-aside files left in the state dir")
        return state, creds

    def assert_alive(self):
        self.assertIsNone(self.daemon.poll(), "spotnowd died")
        self.assertTrue(self.name_has_owner())

    def status_signals(self):
        return [s for (_, name, s) in self.signals if name == "StatusChanged"]

    def api_requests(self):
        return self.fake.stats()["requests"].get(CP_PATH, 0)

    def rss_kib(self):
        return vm_rss_kib(self.daemon.pid)

    def age_ms(self, snapshot):
        return now_ms() - snapshot["fetchedAt"]
