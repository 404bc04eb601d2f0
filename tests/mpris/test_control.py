"""Control from panels and scripts: playerctl (MPRIS) and our own Play/Pause/Next/Previous/Seek
reach the fake Spotify's player commands, the new state shows at once, and a refusal (no scope,
no Premium) is reported with its reason, and the player stays on the bus with CanGoNext,
CanGoPrevious and CanSeek false (CanControl is constant: true)."""

import os
import subprocess

from gi.repository import Gio, GLib

from harness import BUS_NAME, INTERFACE, OBJECT_PATH, main
from mpris_harness import CONTROL_SCOPE, PLAYER_IFACE, MprisTestCase, READ_SCOPE

TIMELINE = (
    '1000 track id=t1 name="First Song" artists="The Testers" album="A" duration=200 progress=30\n'
    '1000 track id=t2 name="Second Song" artists="Bea" album="B" duration=180\n'
    '1000 track id=t3 name="Third Song" artists="Cy" album="C" duration=160\n')


class ControlTestCase(MprisTestCase):
    timeline = TIMELINE
    fake_args = ("--scope", CONTROL_SCOPE)

    def setUp(self):
        super().setUp()
        self.wait_for_snapshot(lambda s: s["trackName"] == "First Song")
        self.wait_for_player()

    def soon(self, predicate):
        """The poll that follows every command lands within moments."""
        return self.wait_for_snapshot(predicate, timeout=2, what="the command's effect")

    def controls(self):
        return self.fake.stats()["controls"]

    def gdbus(self, method, *args, check=True):
        proc = subprocess.run(
            ["gdbus", "call", "--address", self.bus.address, "--dest", BUS_NAME,
             "--object-path", OBJECT_PATH, "--method", f"{INTERFACE}.{method}", *args],
            capture_output=True, text=True, timeout=15)
        if check and proc.returncode != 0:
            self.fail(f"{method} failed: {proc.stderr}")
        return proc


class PlayerctlControl(ControlTestCase):
    def test_pause_next_position_play(self):
        props = self.get_all()
        for name in ("CanControl", "CanPlay", "CanPause", "CanGoNext", "CanGoPrevious",
                     "CanSeek"):
            self.assertIs(props[name], True, name)

        self.spotnow("pause")
        self.assertEqual(self.controls(), ["pause"])
        # The daemon polls once right after the command: the new state shows at once.
        self.soon(lambda s: not s["isPlaying"])
        self.wait_for(lambda: self.spotnow("status").stdout == "Paused\n", timeout=3,
                      what="Paused in playerctl")

        self.spotnow("next")
        self.assertEqual(self.controls(), ["pause", "next"])
        self.soon(lambda s: s["trackName"] == "Second Song")
        self.wait_for(lambda: self.spotnow("metadata", "title").stdout == "Second Song\n",
                      timeout=3, what="Second Song in playerctl")

        # playerctl position N is SetPosition on the current track id.
        self.spotnow("position", "30")
        self.assertEqual(self.controls()[-1], "seek 30000")
        self.wait_for(lambda: abs(float(self.spotnow("position").stdout) - 30) < 0.01,
                      timeout=3, what="position 30 in playerctl")
        # position N+ is a relative Seek: paused, so exactly 10 s on.
        self.spotnow("position", "10+")
        self.assertEqual(self.controls()[-1], "seek 40000")

        self.spotnow("previous")
        self.assertEqual(self.controls()[-1], "previous")
        self.soon(lambda s: s["trackName"] == "First Song")

        self.spotnow("play")
        self.assertEqual(self.controls()[-1], "play")
        self.soon(lambda s: s["isPlaying"])
        self.wait_for(lambda: self.spotnow("status").stdout == "Playing\n", timeout=3,
                      what="Playing in playerctl")
        self.spotnow("play-pause")
        self.assertEqual(self.controls()[-1], "pause")
        self.spotnow("stop")  # no stop in Spotify: a pause
        self.assertEqual(self.controls()[-1], "pause")

    def test_seek_past_the_end_is_next_and_before_start_is_zero(self):
        self.spotnow("pause")
        self.mpris_call(PLAYER_IFACE, "Seek", GLib.Variant("(x)", (-3600 * 10**6,)))
        self.assertEqual(self.controls()[-1], "seek 0")
        self.mpris_call(PLAYER_IFACE, "Seek", GLib.Variant("(x)", (3600 * 10**6,)))
        self.assertEqual(self.controls()[-1], "next")
        self.soon(lambda s: s["trackName"] == "Second Song")

    def test_set_position_for_another_track_is_a_no_op(self):
        self.mpris_call(PLAYER_IFACE, "SetPosition",
                        GLib.Variant("(ox)", ("/io/github/spotnow/track/t2", 5 * 10**6)))
        self.mpris_call(PLAYER_IFACE, "SetPosition",
                        GLib.Variant("(ox)", ("/io/github/spotnow/track/t1", 999 * 10**6)))
        self.assertEqual(self.controls(), [])
        self.mpris_call(PLAYER_IFACE, "SetPosition",
                        GLib.Variant("(ox)", ("/io/github/spotnow/track/t1", 5 * 10**6)))
        self.assertEqual(self.controls(), ["seek 5000"])

    def test_open_uri_not_supported(self):
        with self.assertRaises(GLib.Error) as ctx:
            self.mpris_call(PLAYER_IFACE, "OpenUri", GLib.Variant("(s)", ("spotify:track:x",)))
        self.assertIn("io.github.spotnow.Error.NotSupported", ctx.exception.message)


class OwnInterface(ControlTestCase):
    def test_members_reach_spotify(self):
        self.gdbus("Pause")
        self.soon(lambda s: not s["isPlaying"])
        self.gdbus("Next")
        self.soon(lambda s: s["trackName"] == "Second Song")
        self.gdbus("Previous")
        self.soon(lambda s: s["trackName"] == "First Song")
        # Seek is relative to where playback is now (paused: exactly), clamped at 0.
        progress = self.soon(lambda s: s["trackName"] == "First Song")["progressMs"]
        self.gdbus("Seek", "5000")
        self.assertEqual(self.controls()[-1], f"seek {progress + 5000}")
        self.gdbus("Seek", "--", "-3600000")
        self.assertEqual(self.controls()[-1], "seek 0")
        self.gdbus("Play")
        self.soon(lambda s: s["isPlaying"])
        self.assertEqual(self.controls(), ["pause", "next", "previous",
                                           f"seek {progress + 5000}", "seek 0", "play"])


class ReadOnlyOwnInterface(ControlTestCase):
    scope = READ_SCOPE

    def test_members_say_why_not(self):
        for method, args in (("Play", ()), ("Pause", ()), ("Next", ()), ("Previous", ()),
                             ("Seek", ("1000",))):
            proc = self.gdbus(method, *args, check=False)
            self.assertNotEqual(proc.returncode, 0, method)
            self.assertIn("io.github.spotnow.Error.NotSupported", proc.stderr, method)
            self.assertIn("user-modify-playback-state", proc.stderr, method)
        self.assertEqual(self.controls(), [])
        self.assertIsNone(self.daemon.poll())


class Refusals(ControlTestCase):
    """Control ends without the name leaving the bus (test_focus.py: playerctld would take a
    name that comes back for the player just started)."""

    def assert_control_gone(self, changes):
        self.wait_for(lambda: self.get("CanGoNext").get_boolean() is False, timeout=5,
                      what="CanGoNext false")
        props = self.get_all()
        for name in ("CanGoNext", "CanGoPrevious", "CanSeek"):
            self.assertIs(props[name], False, name)
        # CanControl is constant; CanPlay keeps the player listed by GNOME Shell and playerctl.
        for name in ("CanControl", "CanPlay", "CanPause"):
            self.assertIs(props[name], True, name)
        self.assertEqual(props["Metadata"]["xesam:title"], "First Song")
        self.assertEqual(changes, [])

    def test_no_premium(self):
        changes = self.watch_owner_changes()
        self.fake.control("premium", on=0)
        proc = self.spotnow("next", check=False)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("Premium", proc.stderr)
        self.assert_control_gone(changes)
        self.assertNotEqual(self.spotnow("play", check=False).returncode, 0)
        with self.assertRaises(GLib.Error) as ctx:
            self.mpris_call(PLAYER_IFACE, "Play")
        self.assertIn("Premium", ctx.exception.message)
        self.assertEqual(self.controls(), [])

    def start_notification_server(self):
        """python-dbusmock's notification daemon on the test bus: it records every Notify."""
        env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=self.bus.address)
        server = subprocess.Popen(["/usr/bin/python3", "-m", "dbusmock", "--template",
                                   "notification_daemon"], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL)
        self.addCleanup(server.wait)
        self.addCleanup(server.terminate)
        self.wait_for(lambda: self.conn.call_sync(
            "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
            "NameHasOwner", GLib.Variant("(s)", ("org.freedesktop.Notifications",)), None,
            Gio.DBusCallFlags.NONE, 2000, None).unpack()[0], what="the notification server")

    def notifications(self):
        calls = self.conn.call_sync("org.freedesktop.Notifications",
                                    "/org/freedesktop/Notifications", "org.freedesktop.DBus.Mock",
                                    "GetMethodCalls", GLib.Variant("(s)", ("Notify",)), None,
                                    Gio.DBusCallFlags.NONE, 2000, None).unpack()[0]
        return [args for _, args in calls]

    def test_refused_press_is_said_once(self):
        """A panel drops a refused press's error: one notification per reason says why."""
        self.start_notification_server()
        self.fake.control("premium", on=0)
        for _ in range(3):
            with self.assertRaises(GLib.Error):
                self.mpris_call(PLAYER_IFACE, "PlayPause")
        notes = self.wait_for(self.notifications, what="a notification")
        self.pump(0.3)
        notes = self.notifications()
        self.assertEqual(len(notes), 1, notes)
        app, _, _, summary, body = notes[0][:5]
        self.assertEqual(app, "spotnow")
        self.assertIn("Premium", body)

    def test_restriction_violated_keeps_control(self):
        """Spotify answers 403 "Restriction violated" for one command at one moment (pause while
        paused): that command fails with the reason, control stays."""
        changes = self.watch_owner_changes()
        self.fake.control("fault", kind="json", status=403, target="control",
                          body='{"error":{"status":403,"message":"Player command failed: '
                               'Restriction violated","reason":"UNKNOWN"}}')
        proc = self.spotnow("pause", check=False)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("Restriction violated", proc.stderr)
        self.assertIs(self.get_all()["CanControl"], True)
        self.spotnow("pause")
        self.assertEqual(self.controls(), ["pause"])
        self.pump(0.3)
        self.assertEqual(changes, [])

    def test_sign_out(self):
        changes = self.watch_owner_changes()
        self.call("SignOut")
        self.assert_control_gone(changes)
        with self.assertRaises(GLib.Error) as ctx:
            self.mpris_call(PLAYER_IFACE, "Pause")
        self.assertIn("io.github.spotnow.Error.SignedOut", ctx.exception.message)


if __name__ == "__main__":
    main()
