"""The applet on a bus that cannot start the daemon (issue 13 A1): it says "spotnowd failed to
start" with the daemon's own reason, not "connects once it starts", and starts it once
config.ini is fixed. The bus is the test's own, with an activation file for the build's spotnowd
and a home whose config.ini the test breaks and fixes."""

import os

from harness import ActivatingBus, SpotnowTestCase, main
from test_applet_signin import Applet


class AppletFailedStart(SpotnowTestCase):
    start_daemon = False

    def setUp(self):
        super().setUp()
        self.activating = ActivatingBus(self.workdir, self.state_dir)
        self.home_config = self.activating.home_config
        self.user_config = self.activating.user_config
        with open(self.config_path) as f:
            self.good_config = f.read()
        self.assertIn("safety-interval-s = 300", self.good_config)
        with open(self.user_config, "w") as f:
            f.write(self.good_config.replace("safety-interval-s = 300", "safety-interval-s = soon"))
        self.address = self.activating.address
        self.applet = Applet(dict(
            os.environ, DBUS_SESSION_BUS_ADDRESS=self.address, GSK_RENDERER="cairo",
            GDK_BACKEND="x11", GTK_A11Y="test", XDG_CONFIG_HOME=self.home_config,
            XDG_CACHE_HOME=os.path.join(self.workdir, "applet-cache"), LC_ALL="C.UTF-8"))

    def tearDown(self):
        self.applet.quit()
        self.activating.stop(self)
        super().tearDown()

    def test_says_why_and_recovers(self):
        seen = [[]]

        def shows(*texts):
            seen[0] = self.applet.command("describe")
            return all(any(text in line for line in seen[0]) for text in texts)
        try:
            self.wait_for(lambda: shows("label title\tspotnowd failed to start",
                                        "[polling] safety-interval-s: expected a positive number "
                                        "of seconds, got “soon”"),
                          timeout=15, what="the failure and its reason")
        except AssertionError:
            raise AssertionError(f"the applet shows {seen[0]}")
        with open(self.user_config, "w") as f:
            f.write(self.good_config)
        try:
            self.wait_for(lambda: shows("mode\tplaying", "label title\tFirst Song"), timeout=20,
                          what="the track once the config is fixed")
        except AssertionError:
            raise AssertionError(f"the applet shows {seen[0]}")


if __name__ == "__main__":
    main()
