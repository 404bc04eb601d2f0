"""The fake local Spotify client looks to other programs as the real one does: the real playerctl
and GIO read its name, metadata (with the real client's types), status and position, and see its
PropertiesChanged and Seeked signals. The daemon's local-source tests and the bench `day` stand on
this."""

import os
import subprocess
import time
import unittest

from harness import LOCAL_SPOTIFY_NAME, DBusDaemon, Gio, GLib, LocalSpotify

PATH = "/org/mpris/MediaPlayer2"
PLAYER = "org.mpris.MediaPlayer2.Player"
TRACK = "4uLU6hMCjMI75M1A2tKUQC"
OTHER = "7GhIk7Il098yCjg4BQjzvb"


class LocalSpotifyTest(unittest.TestCase):
    def setUp(self):
        self.bus = DBusDaemon()
        self.conn = self.bus.connect()
        self.signals = []
        self.sub = self.conn.signal_subscribe(
            None, None, None, PATH, None, Gio.DBusSignalFlags.NONE,
            lambda c, sender, p, iface, name, params: self.signals.append((name, params.unpack())))
        self.local = LocalSpotify(self.bus.address)

    def tearDown(self):
        self.assertEqual(self.local.quit(), 0)
        self.conn.signal_unsubscribe(self.sub)
        self.conn.close_sync(None)
        self.bus.stop()

    def playerctl(self, *args):
        proc = subprocess.run(["playerctl", "-p", "spotify", *args], capture_output=True,
                              text=True, timeout=15,
                              env=dict(os.environ, DBUS_SESSION_BUS_ADDRESS=self.bus.address))
        return proc.stdout.strip()

    def get(self, name):
        reply = self.conn.call_sync(LOCAL_SPOTIFY_NAME, PATH, "org.freedesktop.DBus.Properties",
                                    "Get", GLib.Variant("(ss)", (PLAYER, name)), None,
                                    Gio.DBusCallFlags.NONE, 5000, None)
        return reply.get_child_value(0).get_variant()

    def wait_for_signal(self, predicate, what):
        ctx = GLib.MainContext.default()
        end = time.monotonic() + 10
        while time.monotonic() < end:
            while ctx.pending():
                ctx.iteration(False)
            found = [s for s in self.signals if predicate(s)]
            if found:
                return found[-1]
            time.sleep(0.01)
        self.fail(f"no {what} signal")

    def properties_changed(self, key):
        return lambda s: s[0] == "PropertiesChanged" and s[1][0] == PLAYER and key in s[1][1]

    def test_playerctl_sees_the_real_clients_shapes(self):
        self.assertIn("spotify", self.playerctl("-l").split())
        self.assertEqual(self.playerctl("status"), "Stopped")
        self.local.play(TRACK, "Song Of Two Words", ["Ann", "The Bs"], "An Album", 215.5)
        self.assertEqual(self.playerctl("status"), "Playing")
        # playerctl quotes an object path (a string it would print bare), as for the real client.
        self.assertEqual(self.playerctl("metadata", "mpris:trackid"),
                         f"'/com/spotify/track/{TRACK}'")
        self.assertEqual(self.playerctl("metadata", "xesam:url"),
                         f"https://open.spotify.com/track/{TRACK}")
        self.assertEqual(self.playerctl("metadata", "mpris:artUrl"),
                         f"https://i.scdn.co/image/{TRACK}")
        self.assertEqual(self.playerctl("metadata", "mpris:length"), "215500000")
        self.assertEqual(self.playerctl("metadata", "title"), "Song Of Two Words")
        self.assertEqual(self.playerctl("metadata", "artist"), "Ann, The Bs")
        self.assertEqual(self.playerctl("metadata", "album"), "An Album")

        # The exact D-Bus types, as the real client sends them.
        meta = self.get("Metadata")
        types = {meta.get_child_value(i).get_child_value(0).get_string():
                 meta.get_child_value(i).get_child_value(1).get_variant().get_type_string()
                 for i in range(meta.n_children())}
        self.assertEqual(types, {
            "mpris:trackid": "o", "mpris:length": "t", "mpris:artUrl": "s", "xesam:album": "s",
            "xesam:albumArtist": "as", "xesam:artist": "as", "xesam:autoRating": "d",
            "xesam:discNumber": "i", "xesam:title": "s", "xesam:trackNumber": "i",
            "xesam:url": "s"})
        self.assertEqual(self.get("Position").get_type_string(), "x")

    def test_signals_and_position(self):
        self.local.play(TRACK, "One", "Ann", "A", 200)
        changed = self.wait_for_signal(self.properties_changed("Metadata"), "Metadata")
        self.assertEqual(changed[1][1]["PlaybackStatus"], "Playing")
        self.assertEqual(changed[1][1]["Metadata"]["xesam:title"], "One")

        # Position is read on demand and moves while playing; it is never signalled.
        first = self.get("Position").unpack()
        deadline = time.monotonic() + 10
        while self.get("Position").unpack() <= first:
            self.assertLess(time.monotonic(), deadline, "Position does not move while playing")
            time.sleep(0.01)
        self.assertFalse([s for s in self.signals if self.properties_changed("Position")(s)])

        self.local.pause()
        paused = self.wait_for_signal(
            lambda s: self.properties_changed("PlaybackStatus")(s)
            and s[1][1]["PlaybackStatus"] == "Paused", "Paused")
        self.assertNotIn("Metadata", paused[1][1])
        held = self.get("Position").unpack()
        self.assertEqual(self.playerctl("status"), "Paused")
        self.assertEqual(self.get("Position").unpack(), held)

        self.local.seek(42.5)
        seeked = self.wait_for_signal(lambda s: s[0] == "Seeked", "Seeked")
        self.assertEqual(seeked[1][0], 42500000)

        self.local.play(OTHER, "Two", "Bo|Cy", "B", 100)
        self.wait_for_signal(lambda s: self.properties_changed("Metadata")(s)
                             and s[1][1]["Metadata"]["xesam:title"] == "Two", "next track")
        self.local.stop()
        self.assertEqual(self.playerctl("status"), "Stopped")

    def test_remote_control_has_an_empty_title(self):
        self.local.play(TRACK, "One", "Ann", "A", 200)
        self.local.remote()
        self.assertEqual(self.playerctl("status"), "Playing")
        self.assertEqual(self.playerctl("metadata", "title"), "")
        self.assertEqual(self.get("Metadata").unpack()["xesam:title"], "")

    def test_bad_commands_are_refused_with_a_reason(self):
        with self.assertRaisesRegex(RuntimeError, "not 22 characters"):
            self.local.play("short", "One", "Ann", "A", 200)
        with self.assertRaisesRegex(RuntimeError, "unknown command 'dance'"):
            self.local.command("dance")
        with self.assertRaisesRegex(RuntimeError, "positive number"):
            self.local.play(TRACK, "One", "Ann", "A", "soon")
        # Still serving after the refusals.
        self.local.play(TRACK, "One", "Ann", "A", 200)
        self.assertEqual(self.playerctl("metadata", "title"), "One")

    def test_quit_leaves_the_bus(self):
        self.assertIn("spotify", self.playerctl("-l").split())
        self.local.command("quit")
        self.assertEqual(self.local.quit(), 0)
        self.assertNotIn("spotify", self.playerctl("-l").split())


if __name__ == "__main__":
    unittest.main(verbosity=2)
