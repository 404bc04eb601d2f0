"""spotnow's MPRIS player as playerctl and panels read it: metadata, status, position, types,
and signals only for real changes."""

import os
import time
import xml.etree.ElementTree as ET

from gi.repository import GLib

from harness import CP_PATH, main
from mpris_harness import (MPRIS_NAME, PLAYER_IFACE, PROPS_IFACE, ROOT_IFACE, MprisTestCase,
                           READ_SCOPE)

NO_TRACK = "/org/mpris/MediaPlayer2/TrackList/NoTrack"

FIRST = ('track id=t1 name="First Song" artists="The Testers|Ann" album="Test Album" '
         'duration=200 progress=30')

# The types of MPRIS 2.2, required (True) or optional (False).
ROOT_TYPES = {
    "CanQuit": ("b", True), "CanRaise": ("b", True), "HasTrackList": ("b", True),
    "Identity": ("s", True), "DesktopEntry": ("s", False), "SupportedUriSchemes": ("as", True),
    "SupportedMimeTypes": ("as", True), "Fullscreen": ("b", False),
    "CanSetFullscreen": ("b", False),
}
PLAYER_TYPES = {
    "PlaybackStatus": ("s", True), "LoopStatus": ("s", False), "Rate": ("d", True),
    "Shuffle": ("b", False), "Metadata": ("a{sv}", True), "Volume": ("d", True),
    "Position": ("x", True), "MinimumRate": ("d", True), "MaximumRate": ("d", True),
    "CanGoNext": ("b", True), "CanGoPrevious": ("b", True), "CanPlay": ("b", True),
    "CanPause": ("b", True), "CanSeek": ("b", True), "CanControl": ("b", True),
}
PLAYER_METHODS = {
    "Next": "", "Previous": "", "Pause": "", "PlayPause": "", "Stop": "", "Play": "",
    "Seek": "x", "SetPosition": "ox", "OpenUri": "s",
}
METADATA_TYPES = {
    "mpris:trackid": "o", "mpris:length": "x", "mpris:artUrl": "s", "xesam:title": "s",
    "xesam:artist": "as", "xesam:album": "s", "xesam:url": "s",
}


class Player(MprisTestCase):
    timeline = f"1000 {FIRST}\n"

    def setUp(self):
        super().setUp()
        self.wait_for_snapshot(lambda s: s["trackName"] == "First Song")
        self.wait_for_player()

    def test_playerctl_lists_spotnow(self):
        self.assertIn("spotnow", self.playerctl("-l").stdout.split())

    def test_root_properties(self):
        root = self.get_all(ROOT_IFACE)
        self.assertEqual(root["Identity"], "Spotify (spotnow)")
        self.assertEqual(root["DesktopEntry"], "io.github.spotnow.Applet")
        self.assertFalse(root["CanQuit"])
        self.assertFalse(root["CanRaise"])
        self.assertFalse(root["HasTrackList"])
        self.assertEqual(root["SupportedUriSchemes"], [])
        self.assertEqual(root["SupportedMimeTypes"], [])
        # Raise and Quit do nothing, and the daemon keeps running.
        self.mpris_call(ROOT_IFACE, "Raise")
        self.mpris_call(ROOT_IFACE, "Quit")
        self.pump(0.2)
        self.assertIsNone(self.daemon.poll())
        self.assertTrue(self.has_owner(MPRIS_NAME))

    def test_metadata_status_position_length(self):
        out = self.spotnow("metadata", "--format", "{{artist}} - {{title}}").stdout
        self.assertEqual(out, "The Testers, Ann - First Song\n")
        self.assertEqual(self.spotnow("status").stdout, "Playing\n")
        self.assertEqual(self.spotnow("metadata", "mpris:length").stdout, "200000000\n")
        self.assertEqual(self.spotnow("metadata", "album").stdout, "Test Album\n")
        self.assertEqual(self.spotnow("metadata", "mpris:trackid").stdout,
                         "'/io/github/spotnow/track/t1'\n")
        self.assertEqual(self.spotnow("metadata", "xesam:url").stdout,
                         "https://open.spotify.com/track/t1\n")
        # GNOME Shell loads art as a file: the daemon's cached copy of the largest of the
        # three images the fake lists small to large, as a file:// URI.
        snap = self.wait_for_snapshot(lambda s: "albumArtFile" in s, what="cached art")
        self.assertIn("s=640", snap["albumArt"])
        self.assertEqual(self.spotnow("metadata", "mpris:artUrl").stdout,
                         GLib.filename_to_uri(snap["albumArtFile"]) + "\n")
        self.assertTrue(os.path.isfile(snap["albumArtFile"]))
        # Position: extrapolated at read time, so it moves between polls and matches the
        # timeline (30 s in at the step's start).
        first = float(self.spotnow("position").stdout)
        self.assertAlmostEqual(first, self.predicted_position_s(), delta=0.3)
        self.assertGreaterEqual(first, 30)
        time.sleep(1.0)
        second = float(self.spotnow("position").stdout)
        self.assertAlmostEqual(second - first, 1.0, delta=0.3)
        self.assertAlmostEqual(second, self.predicted_position_s(), delta=0.3)

    def test_position_is_microseconds_from_get(self):
        position = self.get("Position").get_int64()
        self.assertAlmostEqual(position / 1e6, self.predicted_position_s(), delta=0.3)

    def test_types_match_the_specification(self):
        for iface, spec in ((ROOT_IFACE, ROOT_TYPES), (PLAYER_IFACE, PLAYER_TYPES)):
            values = self.get_all_raw(iface)
            seen = {}
            for i in range(values.n_children()):
                entry = values.get_child_value(i)
                name = entry.get_child_value(0).get_string()
                seen[name] = entry.get_child_value(1).get_variant().get_type_string()
            for name, (signature, required) in spec.items():
                if required:
                    self.assertIn(name, seen, f"{iface}.{name} missing")
                if name in seen:
                    self.assertEqual(seen[name], signature, f"{iface}.{name}")
                    # Get agrees with GetAll.
                    self.assertEqual(self.get(name, iface).get_type_string(), signature, name)
            for name in seen:
                self.assertIn(name, spec, f"{iface}.{name} is not in the specification")

        metadata = self.get("Metadata")
        for i in range(metadata.n_children()):
            entry = metadata.get_child_value(i)
            key = entry.get_child_value(0).get_string()
            kind = entry.get_child_value(1).get_variant().get_type_string()
            self.assertEqual(kind, METADATA_TYPES[key], key)
        trackid = self.get("Metadata").unpack()["mpris:trackid"]
        self.assertFalse(trackid.startswith("/org/mpris"))

        # The introspection data says the same, with the specification's method signatures.
        xml = self.conn.call_sync(MPRIS_NAME, "/org/mpris/MediaPlayer2",
                                  "org.freedesktop.DBus.Introspectable", "Introspect", None,
                                  GLib.VariantType("(s)"), 0, 5000, None).unpack()[0]
        node = ET.fromstring(xml)
        player = node.find(f"interface[@name='{PLAYER_IFACE}']")
        self.assertIsNotNone(node.find(f"interface[@name='{ROOT_IFACE}']"))
        self.assertIsNotNone(player)
        for prop in player.findall("property"):
            self.assertEqual(prop.get("type"), PLAYER_TYPES[prop.get("name")][0])
        for method in player.findall("method"):
            signature = "".join(a.get("type") for a in method.findall("arg"))
            self.assertEqual(signature, PLAYER_METHODS[method.get("name")], method.get("name"))
        seeked = player.find("signal[@name='Seeked']")
        self.assertEqual([a.get("type") for a in seeked.findall("arg")], ["x"])

    def test_rate_and_volume(self):
        props = self.get_all()
        self.assertEqual((props["Rate"], props["MinimumRate"], props["MaximumRate"]),
                         (1.0, 1.0, 1.0))
        self.assertEqual(props["Volume"], 1.0)
        with self.assertRaises(GLib.Error) as ctx:
            self.mpris_call(PROPS_IFACE, "Set",
                            GLib.Variant("(ssv)", (PLAYER_IFACE, "Volume", GLib.Variant("d", 0.5))))
        self.assertIn("NotSupported", ctx.exception.message)
        self.assertEqual(self.get("Volume").get_double(), 1.0)

    def test_getall_counts_as_a_viewer_get_does_not(self):
        self.assertEqual(self.status()["viewers"], 0)
        self.get("Position")
        self.get("Metadata")
        self.assertEqual(self.status()["viewers"], 0)
        self.get_all()
        self.assertEqual(self.status()["viewers"], 1)


class Paused(MprisTestCase):
    timeline = f"0.5 {FIRST}\n1000 paused progress=42\n"
    polling = {"fresh-playing-s": "0.25"}

    def test_paused_position_stands_still(self):
        self.wait_for_player()
        self.get_all()  # a viewer: poll often
        self.wait_for_snapshot(lambda s: s["trackName"] == "First Song" and not s["isPlaying"],
                               what="paused")
        self.assertEqual(self.spotnow("status").stdout, "Paused\n")
        # The last played track stays, marked paused.
        self.assertEqual(self.spotnow("metadata", "title").stdout, "First Song\n")
        first = float(self.spotnow("position").stdout)
        time.sleep(0.6)
        self.assertEqual(float(self.spotnow("position").stdout), first)
        self.assertAlmostEqual(first, 42, delta=0.01)


class SignedOut(MprisTestCase):
    """Signed out (or revoked), nobody updates the snapshot: panels see it as last played."""
    timeline = f"1000 {FIRST}\n"

    def test_sign_out_while_playing_shows_paused(self):
        self.wait_for_player()
        self.wait_for_snapshot(lambda s: s["isPlaying"], what="playing")
        self.assertEqual(self.spotnow("status").stdout, "Playing\n")
        self.watch_player_signals()
        self.call("SignOut")
        # The daemon's snapshot stays as it was; the player presents it as last played.
        self.assertTrue(self.snapshot()["isPlaying"])
        self.wait_for(lambda: any(c.get("PlaybackStatus") == "Paused"
                                  for c in self.properties_changed()),
                      what="PropertiesChanged to Paused")
        # Signed out, control is gone too (CanGoNext false); the last played still shows.
        self.assertEqual(self.spotnow("status").stdout, "Paused\n")
        self.assertEqual(self.spotnow("metadata", "title").stdout, "First Song\n")
        props = self.get_all()
        self.assertEqual(props["Metadata"]["xesam:title"], "First Song")
        time.sleep(0.3)
        self.assertEqual(self.get_all()["Position"], props["Position"])

    def test_restart_without_credentials_starts_paused(self):
        self.wait_for_snapshot(lambda s: s["isPlaying"], what="playing")
        self.assertEqual(self.stop(), 0)
        os.unlink(os.path.join(self.state_dir, "credentials.ini"))
        self.start()
        self.wait_for_player()
        self.assertTrue(self.snapshot()["isPlaying"])
        props = self.get_all()
        self.assertEqual(props["PlaybackStatus"], "Paused")
        self.assertEqual(props["Metadata"]["xesam:title"], "First Song")


class NothingSeen(MprisTestCase):
    """A fresh daemon whose Spotify has nothing playing: Stopped, NoTrack."""
    timeline = "1000 nothing\n"

    def test_stopped_with_no_track(self):
        self.wait_for(lambda: self.status()["pollCount"] >= 1, what="first poll")
        self.wait_for_player()
        props = self.get_all()
        self.assertEqual(props["PlaybackStatus"], "Stopped")
        self.assertEqual(props["Metadata"], {"mpris:trackid": NO_TRACK})
        self.assertEqual(props["Position"], 0)
        self.assertEqual(self.spotnow("status").stdout, "Stopped\n")


class Follow(MprisTestCase):
    """playerctld and playerctl --follow treat every PropertiesChanged as news: one per track
    change, none for the many polls in between."""
    timeline = (f"3 {FIRST}\n"
                '2 track id=t2 name="Second Song" artists="Bea" album="B Sides" duration=2\n'
                '1000 track id=t3 name="Third Song" artists="Cy" album="C" duration=100\n')
    polling = {"fresh-playing-s": "0.25"}

    def test_one_update_per_track_change(self):
        # The first poll's change (nothing seen → First Song, with its art) is real news, but
        # it is over before we listen.
        self.wait_for_snapshot(lambda s: s["trackName"] == "First Song" and "albumArtFile" in s)
        self.wait_for_player()
        self.watch_player_signals()
        follow = self.spawn_playerctl("--follow", "metadata", "--format",
                                      "{{artist}} - {{title}}")
        try:
            # playerctl's GetAll makes it a viewer: the daemon now polls every 0.25 s.
            self.wait_for_snapshot(lambda s: s["trackName"] == "Third Song", timeout=10,
                                   what="third song")
            requests = self.fake.requests(CP_PATH)
            self.pump(2.0)
            self.assertGreaterEqual(self.fake.requests(CP_PATH) - requests, 4,
                                    "the daemon should keep polling while playerctl watches")
        finally:
            follow.terminate()
            out, _ = follow.communicate(timeout=5)
            lines = out.splitlines()
        self.assertEqual(lines, ["The Testers, Ann - First Song", "Bea - Second Song",
                                 "Cy - Third Song"])
        # On the bus: exactly the two track changes, each with the new Metadata, and never
        # Position.
        changes = self.properties_changed()
        titles = [c["Metadata"]["xesam:title"] for c in changes]
        self.assertEqual(titles, ["Second Song", "Third Song"], changes)
        self.assertTrue(all("Position" not in c for c in changes))
        self.assertEqual(self.seeked(), [])


class Seeked(MprisTestCase):
    """A scrub on the phone (progress off its prediction by more than 3 s) is Seeked, with no
    PropertiesChanged; a new track starting is not a seek."""
    timeline = (f"2 {FIRST}\n"
                '2 track id=t1 name="First Song" artists="The Testers|Ann" album="Test Album" '
                'duration=200 progress=120\n'
                '1000 track id=t2 name="Second Song" artists="Bea" album="B Sides" duration=100\n')
    polling = {"fresh-playing-s": "0.25"}

    def test_scrub_is_seeked(self):
        self.wait_for_snapshot(lambda s: s["trackName"] == "First Song" and "albumArtFile" in s)
        self.wait_for_player()
        self.watch_player_signals()
        self.get_all()  # a viewer: poll often
        self.wait_for(lambda: self.seeked(), timeout=5, what="Seeked")
        self.assertAlmostEqual(self.seeked()[0] / 1e6, 120, delta=1.0)
        self.assertEqual(self.properties_changed(), [])
        self.wait_for_snapshot(lambda s: s["trackName"] == "Second Song", what="second song")
        self.pump(0.5)
        self.assertEqual(len(self.seeked()), 1)
        self.assertEqual(len(self.properties_changed()), 1)


class ReadOnly(MprisTestCase):
    """Without user-modify-playback-state: CanGoNext, CanGoPrevious and CanSeek false, commands
    refused with the reason, and the track still shown (CanControl and CanPlay true: the
    specification keeps CanControl constant, GNOME Shell and `playerctl metadata` want CanPlay)."""
    timeline = f"1000 {FIRST}\n"
    scope = READ_SCOPE

    def test_can_control_false_and_play_fails_cleanly(self):
        self.wait_for_snapshot(lambda s: s["trackName"] == "First Song")
        self.wait_for_player()
        props = self.get_all()
        for name in ("CanGoNext", "CanGoPrevious", "CanSeek"):
            self.assertIs(props[name], False, name)
        for name in ("CanControl", "CanPlay", "CanPause"):
            self.assertIs(props[name], True, name)
        # A free account sees its track in playerctl like anyone.
        self.assertEqual(self.spotnow("status").stdout, "Playing\n")
        self.assertEqual(
            self.spotnow("metadata", "--format", "{{artist}} - {{title}}").stdout,
            "The Testers, Ann - First Song\n")
        # playerctl play reaches the daemon, which refuses with the reason.
        proc = self.spotnow("play", check=False)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("user-modify-playback-state", proc.stderr)
        self.assertIsNone(self.daemon.poll())
        # A direct call gets the reason.
        for method in ("Play", "Pause", "Next", "Previous"):
            with self.assertRaises(GLib.Error) as ctx:
                self.mpris_call(PLAYER_IFACE, method)
            self.assertIn("io.github.spotnow.Error.NotSupported", ctx.exception.message)
            self.assertIn("user-modify-playback-state", ctx.exception.message)
        with self.assertRaises(GLib.Error) as ctx:
            self.mpris_call(PLAYER_IFACE, "Seek", GLib.Variant("(x)", (5_000_000,)))
        self.assertIn("NotSupported", ctx.exception.message)
        self.assertEqual(self.fake.stats()["requests"].get("/v1/me/player/play", 0), 0)


if __name__ == "__main__":
    main()
