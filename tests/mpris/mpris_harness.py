"""MPRIS on top of the integration harness: the real playerctl and GIO against spotnowd's player
on the private session bus of each test case."""

import os
import subprocess
import time

from gi.repository import Gio, GLib

from harness import SpotnowTestCase, now_ms

MPRIS_NAME = "org.mpris.MediaPlayer2.spotnow"
MPRIS_PATH = "/org/mpris/MediaPlayer2"
ROOT_IFACE = "org.mpris.MediaPlayer2"
PLAYER_IFACE = "org.mpris.MediaPlayer2.Player"
PROPS_IFACE = "org.freedesktop.DBus.Properties"
CONTROL_SCOPE = "user-read-currently-playing user-read-playback-state user-modify-playback-state"
READ_SCOPE = "user-read-currently-playing user-read-playback-state"


class MprisTestCase(SpotnowTestCase):
    """A daemon with MPRIS on; the desktop session off unless a test turns it on, so a real
    logind on the machine running the tests cannot add a viewer."""

    mpris = {}
    presence = {"desktop-session": "false"}
    scope = CONTROL_SCOPE

    def write_config(self, **overrides):
        super().write_config(**overrides)
        with open(self.config_path, "a") as f:
            f.write("\n[mpris]\n")
            for key, value in self.mpris.items():
                f.write(f"{key} = {value}\n")
            f.write("\n[presence]\n")
            for key, value in self.presence.items():
                f.write(f"{key} = {value}\n")

    def write_credentials(self, **kwargs):
        kwargs.setdefault("scope", self.scope)
        super().write_credentials(**kwargs)

    # ---- bus -----------------------------------------------------------------------------------

    def has_owner(self, name, conn=None):
        reply = (conn or self.conn).call_sync(
            "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
            "NameHasOwner", GLib.Variant("(s)", (name,)), GLib.VariantType("(b)"),
            Gio.DBusCallFlags.NONE, 2000, None)
        return reply.unpack()[0]

    def watch_owner_changes(self):
        """The player name's NameOwnerChanged signals from now on: a list that fills."""
        changes = []
        sub = self.conn.signal_subscribe(
            "org.freedesktop.DBus", "org.freedesktop.DBus", "NameOwnerChanged",
            "/org/freedesktop/DBus", MPRIS_NAME, Gio.DBusSignalFlags.NONE,
            lambda *args: changes.append(args[5].unpack()))
        self.addCleanup(self.conn.signal_unsubscribe, sub)
        return changes

    def mpris_call(self, iface, method, args=None, timeout_ms=10000):
        return self.conn.call_sync(MPRIS_NAME, MPRIS_PATH, iface, method, args, None,
                                   Gio.DBusCallFlags.NO_AUTO_START, timeout_ms, None)

    def get_all_raw(self, iface=PLAYER_IFACE):
        """GetAll's a{sv} as a GLib.Variant, so tests can read each value's exact type."""
        reply = self.mpris_call(PROPS_IFACE, "GetAll", GLib.Variant("(s)", (iface,)))
        return reply.get_child_value(0)

    def get_all(self, iface=PLAYER_IFACE):
        return self.get_all_raw(iface).unpack()

    def get(self, name, iface=PLAYER_IFACE):
        reply = self.mpris_call(PROPS_IFACE, "Get", GLib.Variant("(ss)", (iface, name)))
        return reply.get_child_value(0).get_variant()

    def wait_for_player(self, present=True, timeout=10):
        self.wait_for(lambda: self.has_owner(MPRIS_NAME) == present, timeout=timeout,
                      what=f"{MPRIS_NAME} {'on' if present else 'off'} the bus")

    # ---- playerctl -----------------------------------------------------------------------------

    def playerctl_env(self):
        return dict(os.environ, DBUS_SESSION_BUS_ADDRESS=self.bus.address)

    def playerctl(self, *args, check=True):
        proc = subprocess.run(["playerctl", *args], capture_output=True, text=True, timeout=15,
                              env=self.playerctl_env())
        if check and proc.returncode != 0:
            self.fail(f"playerctl {' '.join(args)} failed ({proc.returncode}): {proc.stderr}")
        return proc

    def spotnow(self, *args, check=True):
        return self.playerctl("-p", "spotnow", *args, check=check)

    def spawn_playerctl(self, *args):
        return subprocess.Popen(["playerctl", "-p", "spotnow", *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=self.playerctl_env())

    def predicted_position_s(self):
        """Where the daemon's snapshot says playback is now, in seconds."""
        snap = self.snapshot()
        if not snap["isPlaying"]:
            return snap["progressMs"] / 1000
        return min(snap["durationMs"], snap["progressMs"] + now_ms() - snap["fetchedAt"]) / 1000

    # ---- signals from the player ----------------------------------------------------------------

    def watch_player_signals(self):
        """Records PropertiesChanged and Seeked from the player's path, whoever sends them."""
        self.player_signals = []

        def on_signal(conn, sender, path, iface, name, params):
            self.player_signals.append((time.monotonic(), iface, name, params.unpack()))

        sub = self.conn.signal_subscribe(None, None, None, MPRIS_PATH, None,
                                         Gio.DBusSignalFlags.NONE, on_signal)
        self.addCleanup(self.conn.signal_unsubscribe, sub)

    def properties_changed(self):
        return [args[1] for (_, iface, name, args) in self.player_signals
                if name == "PropertiesChanged" and args[0] == PLAYER_IFACE]

    def seeked(self):
        return [args[0] for (_, iface, name, args) in self.player_signals if name == "Seeked"]
