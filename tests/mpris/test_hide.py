"""The player steps off the bus while the local Spotify client's own player is there, so panels
do not show the same song twice; and [mpris] enabled=false means no player at all."""

from gi.repository import Gio, GLib

from harness import BUS_NAME, main
from mpris_harness import MPRIS_NAME, MprisTestCase

LOCAL_SPOTIFY = "org.mpris.MediaPlayer2.spotify"
TIMELINE = '1000 track id=t1 name="First Song" artists="The Testers" album="A" duration=200\n'


class LocalClient:
    """A second connection owning the local client's MPRIS name, as Spotify's desktop app
    does."""

    def __init__(self, bus):
        self.conn = bus.connect()
        reply = self.conn.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                    "org.freedesktop.DBus", "RequestName",
                                    GLib.Variant("(su)", (LOCAL_SPOTIFY, 4)),
                                    GLib.VariantType("(u)"), Gio.DBusCallFlags.NONE, 2000, None)
        assert reply.unpack()[0] == 1, "could not own the local client's name"

    def leave(self):
        self.conn.close_sync(None)


class HideWhenLocal(MprisTestCase):
    timeline = TIMELINE

    def test_local_client_hides_and_returns(self):
        self.wait_for_player()
        self.assertIn("spotnow", self.playerctl("-l").stdout.split())
        local = LocalClient(self.bus)
        self.wait_for_player(present=False, timeout=5)
        self.assertNotIn("spotnow", self.playerctl("-l", check=False).stdout.split())
        # Our own interface stays: only the MPRIS player steps off.
        self.assertTrue(self.has_owner(BUS_NAME))
        local.leave()
        self.wait_for_player(timeout=5)
        self.assertIn("spotnow", self.playerctl("-l").stdout.split())
        self.assertEqual(self.spotnow("metadata", "title").stdout, "First Song\n")

    def test_local_client_there_at_start_keeps_us_off(self):
        self.stop()
        local = LocalClient(self.bus)
        owners = []
        sub = self.conn.signal_subscribe(
            "org.freedesktop.DBus", "org.freedesktop.DBus", "NameOwnerChanged",
            "/org/freedesktop/DBus", MPRIS_NAME, Gio.DBusSignalFlags.NONE,
            lambda *args: owners.append(args[5].unpack()))
        self.addCleanup(self.conn.signal_unsubscribe, sub)
        self.start()
        self.pump(1.0)
        # Never on the bus, not even for an instant.
        self.assertFalse(self.has_owner(MPRIS_NAME))
        self.assertEqual(owners, [])
        local.leave()
        self.wait_for_player(timeout=5)


class ShownBesideLocal(MprisTestCase):
    timeline = TIMELINE
    mpris = {"hide-when-local": "false"}

    def test_stays_beside_the_local_client(self):
        self.wait_for_player()
        local = LocalClient(self.bus)
        self.pump(0.5)
        self.assertTrue(self.has_owner(MPRIS_NAME))
        local.leave()


class Disabled(MprisTestCase):
    timeline = TIMELINE
    mpris = {"enabled": "false"}

    def test_no_player_at_all(self):
        self.wait_for(lambda: self.status()["pollCount"] >= 1, what="first poll")
        self.pump(0.3)
        self.assertFalse(self.has_owner(MPRIS_NAME))
        self.assertNotIn("spotnow", self.playerctl("-l", check=False).stdout.split())
        # The daemon itself serves as ever.
        self.assertEqual(self.snapshot()["trackName"], "First Song")


if __name__ == "__main__":
    main()
