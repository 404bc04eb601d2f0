"""playerctld (playerctl's daemon) makes the player that appeared or sent any signal last the
one that `playerctl` and media keys act on. A change of control (no Premium, a revoked sign-in)
is no playback activity and must not make spotnow that player: the name stays on the bus,
CanControl stays true (the specification wants it constant), CanGoNext, CanGoPrevious and
CanSeek follow at once for whoever reads them, and their PropertiesChanged rides along with the
next real change."""

import subprocess

from gi.repository import Gio, GLib

from harness import main
from mpris_harness import CONTROL_SCOPE, MPRIS_NAME, PLAYER_IFACE, MprisTestCase

PLAYERCTLD = "org.mpris.MediaPlayer2.playerctld"
PLAYERCTLD_IFACE = "com.github.altdesktop.playerctld"
MPRIS_PATH = "/org/mpris/MediaPlayer2"
TIMELINE = '1000 track id=t1 name="First Song" artists="The Testers" album="A" duration=200\n'
SECOND = '1000 track id=t2 name="Second Song" artists="Bea" album="B" duration=180\n'

PLAYER_XML = """
<node>
  <interface name="org.mpris.MediaPlayer2">
    <property name="Identity" type="s" access="read"/>
    <property name="CanQuit" type="b" access="read"/>
    <property name="CanRaise" type="b" access="read"/>
    <property name="HasTrackList" type="b" access="read"/>
    <property name="SupportedUriSchemes" type="as" access="read"/>
    <property name="SupportedMimeTypes" type="as" access="read"/>
  </interface>
  <interface name="org.mpris.MediaPlayer2.Player">
    <property name="PlaybackStatus" type="s" access="read"/>
    <property name="Metadata" type="a{sv}" access="read"/>
    <property name="CanControl" type="b" access="read"/>
    <property name="CanPlay" type="b" access="read"/>
    <property name="CanPause" type="b" access="read"/>
  </interface>
</node>"""


class OtherPlayer:
    """Another MPRIS player on its own connection (a local music player), playing."""

    def __init__(self, bus, name):
        self.conn = bus.connect()
        node = Gio.DBusNodeInfo.new_for_xml(PLAYER_XML)
        values = {
            "Identity": GLib.Variant("s", name), "CanQuit": GLib.Variant("b", False),
            "CanRaise": GLib.Variant("b", False), "HasTrackList": GLib.Variant("b", False),
            "SupportedUriSchemes": GLib.Variant("as", []),
            "SupportedMimeTypes": GLib.Variant("as", []),
            "PlaybackStatus": GLib.Variant("s", "Playing"),
            "Metadata": GLib.Variant("a{sv}", {"xesam:title": GLib.Variant("s", name)}),
            "CanControl": GLib.Variant("b", True), "CanPlay": GLib.Variant("b", True),
            "CanPause": GLib.Variant("b", True),
        }
        for iface in node.interfaces:
            self.conn.register_object(MPRIS_PATH, iface, None,
                                      lambda c, s, p, i, n: values.get(n), None)
        reply = self.conn.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                    "org.freedesktop.DBus", "RequestName",
                                    GLib.Variant("(su)", (f"org.mpris.MediaPlayer2.{name}", 4)),
                                    GLib.VariantType("(u)"), Gio.DBusCallFlags.NONE, 2000, None)
        assert reply.unpack()[0] == 1, f"could not own the name of {name}"

    def leave(self):
        if not self.conn.is_closed():
            self.conn.close_sync(None)


class FocusTestCase(MprisTestCase):
    timeline = TIMELINE
    fake_args = ("--scope", CONTROL_SCOPE)
    polling = {"fresh-playing-s": "0.5"}

    def setUp(self):
        super().setUp()
        # The cover too: its arrival changes Metadata (mpris:artUrl), real news that would
        # rightly make spotnow playerctld's active player in the middle of a case.
        self.wait_for_snapshot(lambda s: s["trackName"] == "First Song" and "albumArtFile" in s)
        self.wait_for_player()
        # playerctld after spotnow, then a local player: that one played last.
        self.playerctld = subprocess.Popen(["playerctld"], env=self.playerctl_env(),
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(self.stop_playerctld)
        self.wait_for(lambda: self.has_owner(PLAYERCTLD), what="playerctld on the bus")
        self.wait_for(lambda: self.player_names() == [MPRIS_NAME], what="playerctld sees spotnow")
        self.local = OtherPlayer(self.bus, "localplayer")
        self.addCleanup(self.local.leave)
        self.expected = ["org.mpris.MediaPlayer2.localplayer", MPRIS_NAME]
        self.wait_for(lambda: self.player_names() == self.expected,
                      what="the local player first in playerctld")
        self.watch_spotnow_signals()
        self.owners = self.watch_owner_changes()

    def stop_playerctld(self):
        self.playerctld.terminate()
        self.playerctld.wait(10)

    def watch_spotnow_signals(self):
        """PropertiesChanged from spotnow's own connection (playerctld re-sends its active
        player's on the same path)."""
        owner = self.conn.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                    "org.freedesktop.DBus", "GetNameOwner",
                                    GLib.Variant("(s)", (MPRIS_NAME,)), GLib.VariantType("(s)"),
                                    Gio.DBusCallFlags.NONE, 2000, None).unpack()[0]
        self.changes = []
        sub = self.conn.signal_subscribe(
            owner, "org.freedesktop.DBus.Properties", "PropertiesChanged", MPRIS_PATH,
            PLAYER_IFACE, Gio.DBusSignalFlags.NONE,
            lambda *args: self.changes.append(args[5].unpack()[1]))
        self.addCleanup(self.conn.signal_unsubscribe, sub)

    def player_names(self):
        reply = self.conn.call_sync(PLAYERCTLD, MPRIS_PATH, "org.freedesktop.DBus.Properties",
                                    "Get", GLib.Variant("(ss)", (PLAYERCTLD_IFACE, "PlayerNames")),
                                    None, Gio.DBusCallFlags.NO_AUTO_START, 5000, None)
        return reply.unpack()[0]

    def wait_for_control(self, allowed):
        self.wait_for(lambda: self.get("CanGoNext").get_boolean() is allowed,
                      what=f"CanGoNext {allowed}")

    def assert_focus_kept(self):
        """A third player appears: once playerctld lists it first, it has handled whatever
        spotnow sent before, and the rest of its list must be as it was."""
        sentinel = OtherPlayer(self.bus, "sentinel")
        self.addCleanup(sentinel.leave)
        names = self.wait_for(
            lambda: (lambda n: n if n[:1] == ["org.mpris.MediaPlayer2.sentinel"] else None)(
                self.player_names()), what="the sentinel player in playerctld")
        self.assertEqual(names[1:], self.expected)

    def assert_control_shown(self, allowed):
        """Readers see the new flags at once; nothing was signalled, the name never moved."""
        props = self.get_all()
        flags = {name: props[name] for name in ("CanControl", "CanGoNext", "CanGoPrevious",
                                                "CanSeek", "CanPlay", "CanPause")}
        self.assertEqual(flags, {"CanControl": True, "CanGoNext": allowed,
                                 "CanGoPrevious": allowed, "CanSeek": allowed, "CanPlay": True,
                                 "CanPause": True})
        self.assertEqual(self.changes, [])
        self.assertEqual(self.owners, [])


class NoPremium(FocusTestCase):
    def test_no_premium_keeps_focus(self):
        self.fake.control("premium", on=0)
        proc = self.spotnow("next", check=False)
        self.assertIn("Premium", proc.stderr)
        self.wait_for_control(False)
        self.assert_focus_kept()
        self.assert_control_shown(False)
        # A refused press still says why.
        with self.assertRaises(GLib.Error) as ctx:
            self.mpris_call(PLAYER_IFACE, "Play")
        self.assertIn("Premium", ctx.exception.message)
        # The next real change (a new track on the phone) carries the flags to caches, once.
        self.get_all()  # a viewer: the daemon polls every 0.5 s
        self.fake.timeline(SECOND)
        self.wait_for(lambda: self.changes, what="PropertiesChanged for Second Song")
        change = self.changes[0]
        self.assertEqual(change["Metadata"]["xesam:title"], "Second Song")
        self.assertEqual((change["CanGoNext"], change["CanGoPrevious"], change["CanSeek"]),
                         (False, False, False))
        self.assertNotIn("CanControl", change)
        # Later changes (Second Song's cover arriving, First Song again) carry them no more.
        self.fake.timeline(TIMELINE)
        self.wait_for(lambda: any(c.get("Metadata", {}).get("xesam:title") == "First Song"
                                  for c in self.changes[1:]),
                      what="PropertiesChanged for First Song")
        self.assertEqual([c for c in self.changes if "CanGoNext" in c], [change])


class Revoked(FocusTestCase):
    """Paused on the phone, so the end of the sign-in changes nothing that plays."""
    timeline = TIMELINE.replace("duration=200", "duration=200 playing=false")
    polling = {"fresh-paused-s": "0.5"}

    def test_revoked_sign_in_keeps_focus(self):
        # The refresh token is revoked and the access token expired: the next poll's refresh
        # gets invalid_grant, and control ends with the sign-in.
        self.fake.control("revoke")
        self.fake.control("expire-access-token")
        try:
            self.call("EnsureFresh")
        except GLib.Error:
            pass  # a poll since the revocation found it already: SignedOut
        self.wait_for(lambda: self.status()["authState"] == "revoked", what="revoked")
        self.wait_for_control(False)
        self.assert_focus_kept()
        self.assert_control_shown(False)


if __name__ == "__main__":
    main()
