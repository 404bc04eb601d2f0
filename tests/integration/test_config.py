"""config.ini mistakes a person makes, seen from outside (issue 13 A1, A4): `--check-config`
says what is wrong without the bus or the name; unknown names and " #" comments are warned
about with a "did you mean"; SIGHUP reloads a valid config and keeps the running one otherwise."""

import os
import signal
import subprocess

from gi.repository import GLib
from harness import SpotnowTestCase, main

MPRIS_NAME = "org.mpris.MediaPlayer2.spotnow"


class Config(SpotnowTestCase):
    start_daemon = False

    def append_config(self, text):
        with open(self.config_path, "a") as f:
            f.write(text)

    def check_config(self, *extra):
        env = dict(os.environ)
        # No bus at all: the check needs none.
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        return subprocess.run([os.environ["SPOTNOWD"], "--check-config", "--config",
                               self.config_path, *extra], env=env, capture_output=True,
                              text=True, timeout=30)

    def test_check_config_names_the_bad_value(self):
        self.write_config(**{"fresh-playing-s": "ten"})
        result = self.check_config()
        self.assertEqual(result.returncode, 1, result)
        self.assertEqual(result.stderr,
                         f"spotnowd: {self.config_path}: [polling] fresh-playing-s: expected a "
                         "positive number of seconds, got “ten”\n")
        self.assertEqual(result.stdout, "")

    def test_check_config_of_a_directory_and_garbage(self):
        os.unlink(self.config_path)
        os.mkdir(self.config_path)
        result = self.check_config()
        self.assertEqual(result.returncode, 1, result)
        self.assertTrue(result.stderr.startswith(f"spotnowd: {self.config_path}: "), result.stderr)
        os.rmdir(self.config_path)
        with open(self.config_path, "w") as f:
            f.write("[spotify]\nthis is not a key\n")
        result = self.check_config()
        self.assertEqual(result.returncode, 1, result)
        self.assertIn(self.config_path, result.stderr)

    def test_typos_are_warned_about(self):
        self.write_config()
        self.append_config("[Spotify]\nclient-id=x\n"
                           "[mpris]\nenabeld=false\n"
                           "[presence]\nfresh-playing-s=3\n"
                           "[web]\nlisten=127.0.0.1:8080\n")
        with open(self.config_path) as f:
            text = f.read()
        with open(self.config_path, "w") as f:
            f.write(text.replace("client-id = test-client",
                                 "client_id = test-client\nclient-secret = s3cret # my app"))
        result = self.check_config()
        self.assertEqual(result.returncode, 0, result)
        self.assertEqual(result.stdout, f"{self.config_path}: valid\n")
        path = self.config_path
        for expected in (
                f"{path}: unknown key [spotify] client_id, ignored (did you mean client-id?)",
                f"{path}: unknown group [Spotify], ignored (did you mean [spotify]?)",
                f"{path}: unknown key [mpris] enabeld, ignored (did you mean enabled?)",
                f"{path}: unknown key [presence] fresh-playing-s, ignored (did you mean "
                "[polling] fresh-playing-s?)",
                f"{path}: [spotify] client-secret: the value contains “ #”"):
            self.assertIn(f"spotnowd: warning: {expected}", result.stderr)
        # [web] is spotnow-web's, in the same file: no warning.
        self.assertNotIn("[web]", result.stderr)
        self.assertIn("client-id is not set", result.stderr)
        self.assertNotIn("s3cret", result.stderr)
        # The daemon says the same at its start.
        self.start()
        self.wait_for(lambda: "did you mean client-id?" in self.daemon_output(),
                      what="the warning in the daemon's log")

    def test_sighup_reloads_a_valid_config_only(self):
        self.write_config()
        self.start()
        self.wait_for(lambda: self.mpris_owned(), what="the MPRIS name")
        pid = self.daemon.pid

        # A broken config: the daemon keeps running with what it had, and says why.
        self.write_config(**{"fresh-playing-s": "ten"})
        self.daemon.send_signal(signal.SIGHUP)
        self.wait_for(lambda: "not reloading" in self.daemon_output(), what="the refusal")
        self.assertTrue(self.name_has_owner())
        self.assertEqual(self.status()["authState"], "signed-in")

        # Fixed, with MPRIS turned off: the same process applies it.
        self.write_config()
        self.append_config("[mpris]\nenabled=false\n")
        self.daemon.send_signal(signal.SIGHUP)
        self.wait_for(lambda: "reloading" in self.daemon_output(), what="the reload")
        self.wait_for(lambda: not self.mpris_owned(), what="MPRIS off after the reload")
        # The name is released and taken again: wait until it answers.
        self.wait_for(self.answers, what="the daemon answering after the reload")
        self.assertIsNone(self.daemon.poll())
        self.assertEqual(self.daemon.pid, pid)
        self.assertEqual(self.status()["authState"], "signed-in")

    def answers(self):
        try:
            return self.status() is not None
        except GLib.Error:
            return False

    def mpris_owned(self):
        reply = self.conn.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                    "org.freedesktop.DBus", "NameHasOwner",
                                    GLib.Variant("(s)", (MPRIS_NAME,)), None, 0, 2000, None)
        return reply.unpack()[0]


if __name__ == "__main__":
    main()
