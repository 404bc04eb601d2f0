"""Session activation: the first call to the name, by `gdbus call` or by `spotnow`, starts the
installed daemon.

A private session bus reads the installed services directory; nothing runs spotnowd but the bus.
Without systemd the bus runs Exec= itself (a systemd session bus would start spotnowd.service,
whose ExecStart= the validate test checks against the same binary).
"""

from installtree import (BUS_NAME, INTERFACE, OBJECT_PATH, InstallTestCase, SessionBus, main,
                         write_state)

# spotnow's exit status when it printed the last known state of a signed-out account.
EXIT_SIGNED_OUT = 4


class SessionActivation(InstallTestCase):
    def setUp(self):
        super().setUp()
        self.bus = SessionBus(self.tree)
        # The user's last snapshot, where a session daemon keeps it.
        write_state(self.bus.state_dir, "Activated Song")
        self.assertIsNone(self.bus.daemon_pid(), "the name is owned before any call")

    def tearDown(self):
        self.bus.stop()

    def assert_installed_daemon_runs(self):
        pid = self.bus.daemon_pid()
        self.assertIsNotNone(pid)
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = f.read().rstrip(b"\0").split(b"\0")
        self.assertEqual([a.decode() for a in argv],
                         [self.tree.path("libexecdir", "spotnowd"), "--session"])

    def test_first_call_starts_the_installed_daemon(self):
        result = self.bus.gdbus("--dest", BUS_NAME, "--object-path", OBJECT_PATH,
                                "--method", f"{INTERFACE}.CurrentlyPlaying")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("'trackName': <'Activated Song'>", result.stdout)
        self.assert_installed_daemon_runs()
        result = self.bus.gdbus("--dest", BUS_NAME, "--object-path", OBJECT_PATH,
                                "--method", f"{INTERFACE}.GetStatus")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("'authState': <'signed-out'>", result.stdout)

    def test_first_spotnow_starts_the_installed_daemon(self):
        # No --wait: the call itself must start the daemon. Never signed in, so the line is
        # the last known state and the exit status says signed out.
        result = self.bus.spotnow()
        self.assertEqual(result.returncode, EXIT_SIGNED_OUT, result.stderr)
        self.assertIn("The Packagers — Activated Song", result.stdout)
        self.assertIn("signed out of Spotify", result.stderr)
        self.assert_installed_daemon_runs()


if __name__ == "__main__":
    main()
