"""A daemon that D-Bus activation cannot start (issue 13 A1): the CLI says "failed to start" with
the daemon's own reason, not "not running"; with --wait it keeps waiting and recovers once
config.ini is fixed. A private session bus of the test's own, with an activation file for the
build's spotnowd and a home whose config.ini the test breaks and fixes."""

import json
import os
import signal

from clitest import NOT_RUNNING_HINT, CliTestCase
from harness import ActivatingBus, main

BAD_VALUE = "[polling] fresh-playing-s: expected a positive number of seconds, got “ten”"


class FailedStart(CliTestCase):
    start_daemon = False

    def setUp(self):
        super().setUp()
        self.activating = ActivatingBus(self.workdir, self.state_dir)
        self.home_config = self.activating.home_config
        self.user_config = self.activating.user_config
        self.break_config()
        self.address = self.activating.address

    def tearDown(self):
        self.activating.stop(self)
        super().tearDown()

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
