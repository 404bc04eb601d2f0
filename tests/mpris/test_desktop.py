"""A visible panel is a viewer: while the player is on the bus and the person's desktop session
is active, unlocked and not idle (python-dbusmock's logind on a private system bus), the daemon
polls at the viewer cadence; locked, idle, hidden or without logind, only the safety poll runs."""

import os
import subprocess

import dbus
import dbusmock

from harness import CP_PATH, main
from mpris_harness import MprisTestCase
from test_hide import LocalClient

LOGIND = "org.freedesktop.login1"
SESSION_IFACE = "org.freedesktop.login1.Session"
USER_IFACE = "org.freedesktop.login1.User"
SESSION_PATH = "/org/freedesktop/login1/session/c1"
TIMELINE = '1000 track id=t1 name="Long Song" artists="The Testers" album="A" duration=900\n'
SAFETY_S = 300


class DesktopTestCase(MprisTestCase):
    timeline = TIMELINE
    presence = {"desktop-session": "true"}
    polling = {"fresh-playing-s": "0.3"}
    start_daemon = False

    def assert_fast_polling(self):
        self.wait_for(lambda: self.status()["viewers"] == 1, timeout=5, what="desktop viewer")
        before = self.fake.requests(CP_PATH)
        self.pump(1.5)
        self.assertGreaterEqual(self.fake.requests(CP_PATH) - before, 3,
                                "an active desktop should keep the snapshot fresh")

    def assert_safety_polling_only(self):
        self.wait_for(lambda: self.status()["viewers"] == 0, timeout=5, what="no viewer")
        self.pump(0.4)  # let a poll already in flight land
        status = self.status()
        self.assertAlmostEqual((status["nextPollAt"] - status["lastPollAt"]) / 1000, SAFETY_S,
                               delta=2)
        before = self.fake.requests(CP_PATH)
        self.pump(1.5)
        self.assertEqual(self.fake.requests(CP_PATH) - before, 0)

    def assert_no_warnings(self):
        out = self.daemon_output()
        self.assertNotIn("WARNING", out)
        self.assertNotIn("CRITICAL", out)


class DesktopSession(DesktopTestCase, dbusmock.DBusTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_system_bus()

    def setUp(self):
        super().setUp()
        self.system = self.get_dbus(system_bus=True)
        self.logind = None

    def tearDown(self):
        super().tearDown()
        self.stop_logind()

    def start_logind(self):
        self.logind, self.manager = self.spawn_server_template("logind", {},
                                                               stdout=subprocess.DEVNULL)
        # The template's GetUser adds a string to the uid and fails (dbusmock 0.28); logind
        # answers with the user's object path.
        self.manager.AddMethod("org.freedesktop.login1.Manager", "GetUser", "u", "o",
                               'ret = "/org/freedesktop/login1/user/%d" % args[0]')

    def stop_logind(self):
        if self.logind is not None:
            self.logind.terminate()
            self.logind.wait(5)
            self.logind = None

    def add_session(self, active=True, display=True, session_type="wayland"):
        """The user's graphical session c1, named as the user's Display like logind does."""
        path = self.manager.AddSession("c1", "seat0", dbus.UInt32(os.getuid()), "tester", active,
                                       dbus_interface=dbusmock.MOCK_IFACE)
        self.system.get_object(LOGIND, path).UpdateProperties(
            SESSION_IFACE, {"Type": session_type}, dbus_interface=dbusmock.MOCK_IFACE)
        if display:
            user = self.system.get_object(LOGIND, f"/org/freedesktop/login1/user/{os.getuid()}")
            user.Set(USER_IFACE, "Display", dbus.Struct(("c1", dbus.ObjectPath(path)),
                                                        signature="so"),
                     dbus_interface=dbus.PROPERTIES_IFACE)
        return self.system.get_object(LOGIND, path)

    def set_session(self, session, **props):
        session.UpdateProperties(SESSION_IFACE, props, dbus_interface=dbusmock.MOCK_IFACE)

    def test_active_session_polls_fast_and_lock_slows_it(self):
        self.start_logind()
        session = self.add_session()
        self.start()
        self.assert_fast_polling()
        session.SetLockedHint(True, dbus_interface=SESSION_IFACE)
        self.assert_safety_polling_only()
        session.SetLockedHint(False, dbus_interface=SESSION_IFACE)
        self.assert_fast_polling()
        self.assert_no_warnings()

    def test_idle_and_inactive_sessions_are_not_viewers(self):
        self.start_logind()
        session = self.add_session(active=False)
        self.start()
        self.assert_safety_polling_only()
        self.set_session(session, Active=True)
        self.assert_fast_polling()
        self.set_session(session, IdleHint=True)
        self.assert_safety_polling_only()
        self.set_session(session, IdleHint=False)
        self.assert_fast_polling()

    def test_own_session_when_no_display(self):
        """A daemon started from a terminal of the session: GetSessionByPID finds it."""
        self.start_logind()
        self.manager.AddMethod("org.freedesktop.login1.Manager", "GetSessionByPID", "u", "o",
                               f'ret = "{SESSION_PATH}"')
        self.add_session(display=False)
        self.start()
        self.assert_fast_polling()

    def test_terminal_session_is_no_viewer(self):
        """Logged in over ssh (or on a text console): logind names that session the Display,
        but there is no panel to look at, so only the safety poll runs."""
        self.start_logind()
        session = self.add_session(session_type="tty")
        self.start()
        self.wait_for_player()
        self.assert_safety_polling_only()
        self.set_session(session, Type="x11")
        self.assert_fast_polling()

    def test_logind_arriving_and_leaving_is_followed(self):
        self.start()
        self.wait_for_player()
        self.pump(0.5)
        self.assertEqual(self.status()["viewers"], 0)
        self.start_logind()
        self.add_session()
        # A user logging in after logind started: logind announces it.
        uid = dbus.UInt32(os.getuid())
        self.manager.EmitSignal("org.freedesktop.login1.Manager", "UserNew", "uo",
                                [uid, dbus.ObjectPath(f"/org/freedesktop/login1/user/{uid}")],
                                dbus_interface=dbusmock.MOCK_IFACE)
        self.assert_fast_polling()
        self.stop_logind()
        self.assert_safety_polling_only()
        self.assert_no_warnings()

    def test_session_ending_is_followed(self):
        self.start_logind()
        self.add_session()
        self.start()
        self.assert_fast_polling()
        # Logging out: the user has no graphical session any more, and logind says c1 is gone.
        user = self.system.get_object(LOGIND, f"/org/freedesktop/login1/user/{os.getuid()}")
        user.Set(USER_IFACE, "Display", dbus.Struct(("", dbus.ObjectPath("/")), signature="so"),
                 dbus_interface=dbus.PROPERTIES_IFACE)
        self.manager.EmitSignal("org.freedesktop.login1.Manager", "SessionRemoved", "so",
                                ["c1", dbus.ObjectPath(SESSION_PATH)],
                                dbus_interface=dbusmock.MOCK_IFACE)
        self.assert_safety_polling_only()

    def test_hidden_player_is_no_viewer(self):
        self.start_logind()
        self.add_session()
        self.start()
        self.assert_fast_polling()
        local = LocalClient(self.bus)
        self.wait_for_player(present=False)
        self.assert_safety_polling_only()
        local.leave()
        self.wait_for_player()
        self.assert_fast_polling()

    def test_desktop_session_false_ignores_logind(self):
        self.presence = {"desktop-session": "false"}
        self.write_config()
        self.start_logind()
        self.add_session()
        self.start()
        self.wait_for_player()
        self.assert_safety_polling_only()


class NoSystemBus(DesktopTestCase):
    def setUp(self):
        self.saved = os.environ.get("DBUS_SYSTEM_BUS_ADDRESS")
        os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = "unix:path=/nonexistent/spotnow-test/bus"
        super().setUp()

    def tearDown(self):
        super().tearDown()
        if self.saved is None:
            os.environ.pop("DBUS_SYSTEM_BUS_ADDRESS", None)
        else:
            os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = self.saved

    def test_only_explicit_presence_counts(self):
        self.start()
        self.wait_for_player()
        self.assert_safety_polling_only()
        self.report()
        self.assertEqual(self.status()["viewers"], 1)
        self.assert_no_warnings()


if __name__ == "__main__":
    main()
