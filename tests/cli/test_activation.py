"""A daemon that D-Bus activation cannot start (issue 13 A1): the CLI says "failed to start" with
the daemon's own reason, not "not running"; with --wait it keeps waiting and recovers once
config.ini is fixed. A private session bus of the test's own, with an activation file for the
build's spotnowd and a home whose config.ini the test breaks and fixes."""

import json
import os
import signal
import subprocess

from clitest import NOT_RUNNING_HINT, CliTestCase
from gi.repository import Gio, GLib
from harness import BUS_NAME, main

BAD_VALUE = "[polling] fresh-playing-s: expected a positive number of seconds, got “ten”"


class FailedStart(CliTestCase):
    start_daemon = False

    def setUp(self):
        super().setUp()
        self.home_config = os.path.join(self.workdir, "home-config")
        self.user_config = os.path.join(self.home_config, "spotnow", "config.ini")
        os.makedirs(os.path.dirname(self.user_config))
        services = os.path.join(self.workdir, "data", "dbus-1", "services")
        os.makedirs(services)
        with open(os.path.join(services, f"{BUS_NAME}.service"), "w") as f:
            f.write(f"[D-BUS Service]\nName={BUS_NAME}\n"
                    f"Exec={os.environ['SPOTNOWD']} --session --state-dir {self.state_dir}\n")
        self.break_config()
        # The bus passes its environment to what it activates.
        env = dict(os.environ, XDG_DATA_HOME=os.path.join(self.workdir, "data"),
                   XDG_CONFIG_HOME=self.home_config, GIO_USE_PROXY_RESOLVER="dummy",
                   XDG_CACHE_HOME=os.path.join(self.workdir, "cache"),
                   DBUS_SYSTEM_BUS_ADDRESS="unix:path=/nonexistent/spotnow-test")
        self.activating_bus = subprocess.Popen(
            ["dbus-daemon", "--session", "--nofork", "--print-address=1"], env=env,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.address = self.activating_bus.stdout.readline().strip()
        self.assertTrue(self.address, "dbus-daemon did not start")
        self.activating_conn = Gio.DBusConnection.new_for_address_sync(
            self.address, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
            | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)

    def tearDown(self):
        pid = self.owner_pid()
        if pid:
            os.kill(pid, signal.SIGTERM)
            self.wait_for(lambda: not os.path.exists(f"/proc/{pid}"), what="spotnowd to end")
        self.activating_conn.close_sync(None)
        self.activating_bus.terminate()
        self.activating_bus.wait(5)
        self.activating_bus.stdout.close()
        super().tearDown()

    def owner_pid(self):
        try:
            reply = self.activating_conn.call_sync(
                "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                "GetConnectionUnixProcessID", GLib.Variant("(s)", (BUS_NAME,)), None,
                Gio.DBusCallFlags.NONE, 2000, None)
        except GLib.Error:
            return None
        return reply.unpack()[0]

    def write_user_config(self, **polling):
        with open(self.config_path) as f:
            text = f.read()
        for key, value in polling.items():
            text = text.replace("[polling]\n", f"[polling]\n{key} = {value}\n")
        with open(self.user_config, "w") as f:
            f.write(text)

    def break_config(self):
        # The harness's config has no fresh-playing-s of its own by default: add a bad one.
        with open(self.config_path) as f:
            text = f.read()
        text = "\n".join(line for line in text.splitlines()
                         if not line.startswith("fresh-playing-s"))
        with open(self.user_config, "w") as f:
            f.write(text.replace("[polling]", "[polling]\nfresh-playing-s = ten") + "\n")

    def fix_config(self):
        with open(self.config_path) as f:
            text = f.read()
        with open(self.user_config, "w") as f:
            f.write(text)

    def env(self):
        return self.cli_env(DBUS_SESSION_BUS_ADDRESS=self.address,
                            XDG_CONFIG_HOME=self.home_config)

    def test_one_shot_says_failed_to_start_and_why(self):
        for args in ([], ["status"], ["pause"], ["login"], ["logout"]):
            result = self.spotnow(*args, env=self.env())
            self.assertExit(result, 3)
            self.assertEqual(result.stdout, "")
            self.assertIn(f"spotnow: the spotnow daemon failed to start: {self.user_config}: "
                          f"{BAD_VALUE}\n", result.stderr)
            self.assertNotIn(NOT_RUNNING_HINT, result.stderr)

    def test_wait_recovers_once_the_file_is_fixed(self):
        fresh = self.spawn("fresh", "--wait", env=self.env())
        follow = self.spawn("--follow", "--wait", "--waybar", env=self.env())
        data = json.loads(follow.line(15))
        self.assertEqual((data["class"], data["text"]), ("not-running", "spotnowd failed to start"))
        self.assertIn(BAD_VALUE, data["tooltip"])
        self.wait_for(lambda: BAD_VALUE in follow.stderr(), what="the reason on stderr")
        self.wait_for(lambda: BAD_VALUE in fresh.stderr(), what="the one-shot's reason")
        self.assertIsNone(fresh.proc.poll())

        self.fix_config()
        data = json.loads(follow.line(20))
        self.assertEqual((data["class"], data["text"]), ("playing", "The Testers — First Song"))
        self.assertEqual(self.wait_exit(fresh, 20), 0, fresh.stderr())
        self.assertRegex(fresh.line(), r"^▶ The Testers — First Song \(")
        follow.signal(signal.SIGTERM)
        self.assertEqual(self.wait_exit(follow), 0)


if __name__ == "__main__":
    main()
