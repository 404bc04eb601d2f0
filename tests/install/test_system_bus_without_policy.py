"""The daemon's own guard: on a system bus whose policy lets everyone call everything (our
policy file missing, or replaced by a careless one), the sign-in members are still root's only,
because spotnowd asks the bus for the caller's uid itself."""

import os
import shutil
import subprocess
import tempfile

import unittest

from installtree import dbus_error, gdbus_call, main, require_root, wait_for_owner, write_state

PERMISSIVE_BUS = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
"""


class SignInWithoutPolicy(unittest.TestCase):
    def setUp(self):
        require_root(self)
        self.dir = tempfile.mkdtemp(prefix="spotnow-nopolicy-")
        os.chmod(self.dir, 0o755)
        config = os.path.join(self.dir, "bus.conf")
        with open(config, "w", encoding="utf-8") as f:
            f.write(PERMISSIVE_BUS.format(socket=os.path.join(self.dir, "socket")))
        self.bus = subprocess.Popen(["dbus-daemon", f"--config-file={config}", "--nofork",
                                     "--print-address=1"], stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL, text=True)
        self.address = self.bus.stdout.readline().strip()
        state = os.path.join(self.dir, "state")
        write_state(state, "System Song")
        with open(os.path.join(self.dir, "config.ini"), "w", encoding="utf-8") as f:
            f.write("[spotify]\nclient-id=test-client\n"
                    "[mpris]\nenabled=false\n")
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=self.address, CACHE_DIRECTORY=self.dir)
        self.daemon = subprocess.Popen(
            [os.environ["SPN_BUILD_SPOTNOWD"], "--system", "--config",
             os.path.join(self.dir, "config.ini"), "--state-dir", state],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wait_for_owner(self.address, self.daemon)

    def tearDown(self):
        for proc in (self.daemon, self.bus):
            if proc.poll() is None:
                proc.terminate()
            proc.communicate(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_nobody_is_refused_by_the_daemon_itself(self):
        calls = [("BeginSignIn",), ("CompleteSignIn", "'?code=c&state=s'"), ("CancelSignIn",),
                 ("SignOut",),
                 ("Play",), ("Pause",), ("Next",), ("Previous",), ("Seek", "int64 5000")]
        for call in calls:
            with self.subTest(member=call[0]):
                result = gdbus_call(self.address, *call, user="nobody")
                self.assertEqual(dbus_error(result), "org.freedesktop.DBus.Error.AccessDenied")
                # The daemon's own words, not the bus's: the policy let the call through.
                self.assertIn(f"Only root may call {call[0]}", result.stderr)
        # Reads stay open to everyone, and root still gets past the guard.
        self.assertEqual(gdbus_call(self.address, "CurrentlyPlaying", user="nobody").returncode, 0)
        root = gdbus_call(self.address, "CompleteSignIn", "'?code=c&state=s'", user="root")
        self.assertEqual(dbus_error(root), "io.github.spotnow.Error.InvalidArgs")


if __name__ == "__main__":
    main()
