"""Session activation: the first call to the name starts the installed daemon.

A private session bus reads the installed services directory; nothing runs spotnowd but the bus.
Without systemd the bus runs Exec= itself (a systemd session bus would start spotnowd.service,
whose ExecStart= the validate test checks against the same binary).
"""

import os
import shutil
import subprocess
import tempfile
import time

from installtree import (BUS_NAME, INTERFACE, OBJECT_PATH, InstallTestCase, in_tree, main,
                         write_state)


class SessionActivation(InstallTestCase):
    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix="spotnow-activation-")
        self.home = os.path.join(self.dir, "home")
        os.makedirs(self.home)
        config = os.path.join(self.dir, "session.conf")
        with open(config, "w", encoding="utf-8") as f:
            f.write(f"""<busconfig>
  <type>session</type>
  <listen>unix:path={self.dir}/bus</listen>
  <auth>EXTERNAL</auth>
  <servicedir>{self.tree.staged(self.tree.dirs["dbus_session_services_dir"])}</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
""")
        # The bus passes its environment to what it activates: a home of our own.
        self.env = {
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
            "LANG": "C.UTF-8",
            "HOME": self.home,
            "XDG_CONFIG_HOME": os.path.join(self.home, ".config"),
            "XDG_STATE_HOME": os.path.join(self.home, ".local", "state"),
            "XDG_CACHE_HOME": os.path.join(self.home, ".cache"),
            "GIO_USE_PROXY_RESOLVER": "dummy",
            "GSETTINGS_BACKEND": "memory",
        }
        self.log = open(os.path.join(self.dir, "dbus-daemon.log"), "w")
        # In the tree's namespace, so Exec= finds the daemon at its installed path.
        self.bus = subprocess.Popen(
            in_tree(self.tree, ["dbus-daemon", f"--config-file={config}", "--nofork",
                                "--print-address=1"]),
            stdout=subprocess.PIPE, stderr=self.log, text=True, env=self.env)
        address = self.bus.stdout.readline().strip()
        self.assertTrue(address, "dbus-daemon did not start")
        self.env["DBUS_SESSION_BUS_ADDRESS"] = address

    def tearDown(self):
        pid = self.daemon_pid()
        if pid is not None:
            os.kill(pid, 15)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and os.path.exists(f"/proc/{pid}"):
                time.sleep(0.05)
        self.bus.terminate()
        self.bus.wait(timeout=10)
        self.bus.stdout.close()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def gdbus(self, *args):
        return subprocess.run(["gdbus", "call", "--session", "--timeout", "20"] + list(args),
                              env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, timeout=30)

    def daemon_pid(self):
        result = self.gdbus("--dest", "org.freedesktop.DBus", "--object-path",
                            "/org/freedesktop/DBus", "--method",
                            "org.freedesktop.DBus.GetConnectionUnixProcessID", f"'{BUS_NAME}'")
        if result.returncode != 0:
            return None
        return int(result.stdout.strip("()\n ,").split()[-1])

    def test_first_call_starts_the_installed_daemon(self):
        # The user's last snapshot, where a session daemon keeps it.
        write_state(os.path.join(self.env["XDG_STATE_HOME"], "spotnow"), "Activated Song")
        self.assertIsNone(self.daemon_pid(), "the name is owned before any call")
        result = self.gdbus("--dest", BUS_NAME, "--object-path", OBJECT_PATH,
                            "--method", f"{INTERFACE}.CurrentlyPlaying")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("'trackName': <'Activated Song'>", result.stdout)

        pid = self.daemon_pid()
        self.assertIsNotNone(pid)
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = f.read().rstrip(b"\0").split(b"\0")
        self.assertEqual([a.decode() for a in argv],
                         [self.tree.path("libexecdir", "spotnowd"), "--session"])
        result = self.gdbus("--dest", BUS_NAME, "--object-path", OBJECT_PATH,
                            "--method", f"{INTERFACE}.GetStatus")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("'authState': <'signed-out'>", result.stdout)


if __name__ == "__main__":
    main()
