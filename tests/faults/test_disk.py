"""Disk trouble (issue 8): the state dir turns read-only, or fills up (ENOSPC), under a running
daemon. It must say so once, go on serving from memory (tracks keep changing), leave the last
good files intact with no half-written or temporary file beside them, and write again once the
disk is back.

The state dir is a tmpfs of its own in a private mount namespace: the test re-runs itself under
`unshare --mount` (with --map-root-user when not root). Plain permissions would not do, since CI
runs as root and root writes through them.
"""

import errno
import os
import subprocess
import sys

from faultcase import STATE_FILES, FaultCase, parse_ini
from harness import main

if os.environ.get("SPN_IN_MOUNT_NS") != "1":
    unshare = ["unshare", "--mount", "--propagation", "private"]
    if os.getuid() != 0:
        unshare.append("--map-root-user")
    os.execvpe("unshare", [*unshare, sys.executable, os.path.abspath(__file__), *sys.argv[1:]],
               dict(os.environ, SPN_IN_MOUNT_NS="1"))

STEP_S = 0.3
TRACKS = 40
WARNING = "going on from memory"


class DiskCase(FaultCase):
    timeline = "".join(f"{STEP_S} track id=k{i} name=\"Track {i}\" duration={STEP_S}\n"
                       for i in range(TRACKS)) + "loop\n"
    polling = {"fresh-playing-s": "0.1", "end-of-item-delay-s": "0.05"}
    credentials = False
    start_daemon = False
    tmpfs_size = "1m"

    def setUp(self):
        super().setUp()
        os.makedirs(self.state_dir, mode=0o700)
        self.mount("-t", "tmpfs", "-o", f"size={self.tmpfs_size},mode=0700", "tmpfs",
                   self.state_dir)
        self.addCleanup(self.mount_cleanup)
        self.write_credentials()
        self.start()
        self.report()
        # Running normally: the first tracks are on disk.
        self.wait_for(lambda: os.path.exists(self.state_path("state.ini")), what="state.ini")

    def mount(self, *args):
        subprocess.run(["mount", *args], check=True)

    def mount_cleanup(self):
        subprocess.run(["umount", "-l", self.state_dir], check=False)

    def files(self):
        return {name: open(self.state_path(name), "rb").read()
                for name in sorted(os.listdir(self.state_dir))}

    def track(self):
        return self.snapshot()["trackName"]

    def warnings(self):
        return self.daemon_output().count(WARNING)

    def assert_goes_on_from_memory(self, before, allowed=STATE_FILES):
        """Tracks keep changing over D-Bus while nothing reaches the disk."""
        # A token refresh too: its credentials cannot be saved either.
        self.fake.control("expire-access-token")
        seen = set()
        self.wait_for(lambda: seen.add(self.track()) or len(seen) >= 5, timeout=10,
                      what="five tracks from memory")
        self.assert_alive()
        self.assertEqual(self.status()["lastError"], "")
        self.assertGreaterEqual(self.fake.stats()["requests"].get("/api/token", 0), 1)
        self.assertEqual(self.files(), before, "the files changed, or something was left")
        self.assertEqual(self.warnings(), 1, "the warning is not said exactly once")
        self.assertIn("still cannot write", self.daemon_output())
        self.assert_files_intact(allowed)
        return seen

    def assert_writes_again(self, allowed=STATE_FILES):
        self.wait_for(lambda: parse_ini(self.state_path("state.ini"))["now-playing"]["trackName"]
                      == self.track(), timeout=5, what="state.ini to follow again")
        # The token refreshed meanwhile reaches the disk too.
        self.wait_for(lambda: self.credentials_ini()["access-token"]
                      == self.fake.stats()["currentAccessToken"], timeout=5,
                      what="credentials.ini to catch up")
        self.assert_files_intact(allowed)
        self.assertEqual(self.warnings(), 1)


class ReadOnly(DiskCase):
    def test_read_only_state_dir(self):
        # The kernel refuses the remount (EBUSY) while the daemon has a file there open for
        # writing, as it does for a moment every 0.3 s: asked again until it takes.
        self.wait_for(lambda: subprocess.run(["mount", "-o", "remount,ro", self.state_dir],
                                             stderr=subprocess.DEVNULL).returncode == 0,
                      timeout=10, what="the state directory remounted read-only")
        # Read once nothing can be written any more: tracks change every 0.3 s, and a write
        # between reading and the remount would look like one that got through.
        before = self.files()
        with self.assertRaises(OSError) as ctx:
            open(self.state_path("probe"), "w")
        self.assertEqual(ctx.exception.errno, errno.EROFS)

        seen = self.assert_goes_on_from_memory(before)
        self.assertIn("Read-only file system", self.daemon_output())
        print(f"read-only: {len(seen)} tracks served from memory, files untouched")

        self.mount("-o", "remount,rw", self.state_dir)
        self.assert_writes_again()


class FullDisk(DiskCase):
    tmpfs_size = "64k"

    def fill(self):
        filler = self.state_path("filler")
        with open(filler, "wb", buffering=0) as f:
            try:
                while True:
                    f.write(b"\0" * 4096)
            except OSError as error:
                self.assertEqual(error.errno, errno.ENOSPC)
        return filler

    def test_no_space_left(self):
        filler = self.fill()
        before = self.files()
        seen = self.assert_goes_on_from_memory(before, STATE_FILES | {"filler"})
        self.assertIn("No space left on device", self.daemon_output())
        print(f"ENOSPC: {len(seen)} tracks served from memory, files untouched")

        os.unlink(filler)
        self.assert_writes_again()


if __name__ == "__main__":
    main()
