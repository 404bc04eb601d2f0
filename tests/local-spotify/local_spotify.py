#!/usr/bin/python3
"""A stand-in for the Spotify desktop client as other programs on the session bus see it: it owns
org.mpris.MediaPlayer2.spotify and exports /org/mpris/MediaPlayer2 with the shapes the real client
uses (mpris:trackid an object path /com/spotify/track/<id>, mpris:length in µs as t, artists as
as, Position read on demand and never signalled, PropertiesChanged on PlaybackStatus and Metadata,
Seeked on a seek).

    local_spotify.py        (on the bus named by DBUS_SESSION_BUS_ADDRESS)

It prints READY once the name is owned, then takes one command per line on stdin (words split
as by a shell, so quote titles with spaces) and answers each with `OK <command>` once its
signals are sent, or `ERROR <reason>`:

    play TRACKID TITLE ARTIST ALBUM LENGTH_S   a 22-character track id; artists split at '|'
    pause | resume | stop
    seek SECONDS                               position, emits Seeked
    remote                                     playing with an empty title, as while the client
                                               remote-controls another device
    quit                                       (so does the end of stdin)
"""

import os
import re
import shlex
import sys
import time

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

BUS_NAME = "org.mpris.MediaPlayer2.spotify"
PATH = "/org/mpris/MediaPlayer2"
ROOT = "org.mpris.MediaPlayer2"
PLAYER = "org.mpris.MediaPlayer2.Player"
TRACK_ID = re.compile(r"^[0-9A-Za-z]{22}$")

XML = f"""
<node>
  <interface name="{ROOT}">
    <method name="Raise"/>
    <method name="Quit"/>
    <property name="CanQuit" type="b" access="read"/>
    <property name="CanRaise" type="b" access="read"/>
    <property name="HasTrackList" type="b" access="read"/>
    <property name="Identity" type="s" access="read"/>
    <property name="DesktopEntry" type="s" access="read"/>
    <property name="SupportedUriSchemes" type="as" access="read"/>
    <property name="SupportedMimeTypes" type="as" access="read"/>
  </interface>
  <interface name="{PLAYER}">
    <method name="Next"/>
    <method name="Previous"/>
    <method name="Pause"/>
    <method name="PlayPause"/>
    <method name="Stop"/>
    <method name="Play"/>
    <method name="Seek"><arg name="Offset" type="x" direction="in"/></method>
    <method name="SetPosition">
      <arg name="TrackId" type="o" direction="in"/>
      <arg name="Position" type="x" direction="in"/>
    </method>
    <method name="OpenUri"><arg name="Uri" type="s" direction="in"/></method>
    <signal name="Seeked"><arg name="Position" type="x"/></signal>
    <property name="PlaybackStatus" type="s" access="read"/>
    <property name="LoopStatus" type="s" access="readwrite"/>
    <property name="Rate" type="d" access="readwrite"/>
    <property name="Shuffle" type="b" access="readwrite"/>
    <property name="Metadata" type="a{{sv}}" access="read"/>
    <property name="Volume" type="d" access="readwrite"/>
    <property name="Position" type="x" access="read"/>
    <property name="MinimumRate" type="d" access="read"/>
    <property name="MaximumRate" type="d" access="read"/>
    <property name="CanGoNext" type="b" access="read"/>
    <property name="CanGoPrevious" type="b" access="read"/>
    <property name="CanPlay" type="b" access="read"/>
    <property name="CanPause" type="b" access="read"/>
    <property name="CanSeek" type="b" access="read"/>
    <property name="CanControl" type="b" access="read"/>
  </interface>
</node>
"""


class Player:
    def __init__(self, conn, loop):
        self.conn = conn
        self.loop = loop
        self.status = "Stopped"
        self.track = None           # (id, title, artists, album, length_us)
        self.title_override = None  # "" while remote-controlling another device
        self.position_us = 0        # at anchor
        self.anchor = time.monotonic()

    # ---- state ----------------------------------------------------------------------------

    def position(self):
        pos = self.position_us
        if self.status == "Playing":
            pos += int((time.monotonic() - self.anchor) * 1e6)
        if self.track is not None:
            pos = min(pos, self.track[4])
        return pos

    def set_position(self, pos_us):
        self.position_us = max(0, pos_us)
        self.anchor = time.monotonic()

    def metadata(self):
        if self.track is None:
            return GLib.Variant("a{sv}", {})
        track_id, title, artists, album, length_us = self.track
        if self.title_override is not None:
            title = self.title_override
        return GLib.Variant("a{sv}", {
            "mpris:trackid": GLib.Variant("o", f"/com/spotify/track/{track_id}"),
            "mpris:length": GLib.Variant("t", length_us),
            "mpris:artUrl": GLib.Variant("s", f"https://i.scdn.co/image/{track_id}"),
            "xesam:album": GLib.Variant("s", album),
            "xesam:albumArtist": GLib.Variant("as", artists[:1]),
            "xesam:artist": GLib.Variant("as", artists),
            "xesam:autoRating": GLib.Variant("d", 0.5),
            "xesam:discNumber": GLib.Variant("i", 1),
            "xesam:title": GLib.Variant("s", title),
            "xesam:trackNumber": GLib.Variant("i", 1),
            "xesam:url": GLib.Variant("s", f"https://open.spotify.com/track/{track_id}"),
        })

    def root_property(self, name):
        values = {
            "CanQuit": GLib.Variant("b", True), "CanRaise": GLib.Variant("b", False),
            "HasTrackList": GLib.Variant("b", False), "Identity": GLib.Variant("s", "Spotify"),
            "DesktopEntry": GLib.Variant("s", "spotify"),
            "SupportedUriSchemes": GLib.Variant("as", ["spotify"]),
            "SupportedMimeTypes": GLib.Variant("as", []),
        }
        return values.get(name)

    def player_property(self, name):
        have = self.track is not None
        values = {
            "PlaybackStatus": GLib.Variant("s", self.status),
            "LoopStatus": GLib.Variant("s", "None"), "Rate": GLib.Variant("d", 1.0),
            "Shuffle": GLib.Variant("b", False), "Metadata": self.metadata(),
            "Volume": GLib.Variant("d", 1.0), "Position": GLib.Variant("x", self.position()),
            "MinimumRate": GLib.Variant("d", 1.0), "MaximumRate": GLib.Variant("d", 1.0),
            "CanGoNext": GLib.Variant("b", True), "CanGoPrevious": GLib.Variant("b", True),
            "CanPlay": GLib.Variant("b", True), "CanPause": GLib.Variant("b", True),
            "CanSeek": GLib.Variant("b", have), "CanControl": GLib.Variant("b", True),
        }
        return values.get(name)

    # ---- signals --------------------------------------------------------------------------

    def changed(self, *names):
        props = {name: self.player_property(name) for name in names}
        self.conn.emit_signal(None, PATH, "org.freedesktop.DBus.Properties", "PropertiesChanged",
                              GLib.Variant("(sa{sv}as)", (PLAYER, props, [])))

    def seeked(self):
        self.conn.emit_signal(None, PATH, PLAYER, "Seeked", GLib.Variant("(x)", (self.position(),)))

    def flush(self):
        """Signals are queued on the connection: make sure they left before answering OK."""
        self.conn.flush_sync(None)

    # ---- what the person (or the test) does --------------------------------------------------

    def play(self, track_id, title, artists, album, length_s):
        if not TRACK_ID.match(track_id):
            raise ValueError(f"track id '{track_id}' is not 22 characters of [0-9A-Za-z]")
        try:
            length_us = int(float(length_s) * 1e6)
        except ValueError:
            length_us = 0
        if length_us <= 0:
            raise ValueError(f"length '{length_s}' must be a positive number of seconds")
        self.track = (track_id, title, artists.split("|"), album, length_us)
        self.title_override = None
        self.set_position(0)
        self.status = "Playing"
        self.changed("PlaybackStatus", "Metadata")

    def set_status(self, status):
        if self.status == status:
            return
        self.set_position(self.position())
        self.status = status
        self.changed("PlaybackStatus")

    def seek_to(self, pos_us):
        self.set_position(min(pos_us, self.track[4] if self.track else 0))
        self.seeked()

    def remote(self):
        if self.track is None:
            self.track = ("0" * 22, "", [""], "", 0)
        self.title_override = ""
        self.set_position(0)
        self.status = "Playing"
        self.changed("PlaybackStatus", "Metadata")

    def command(self, words):
        name, args = words[0], words[1:]
        arity = {"play": 5, "pause": 0, "resume": 0, "stop": 0, "seek": 1, "remote": 0, "quit": 0}
        if name not in arity:
            raise ValueError(f"unknown command '{name}' (play, pause, resume, stop, seek, remote, "
                             "quit)")
        if len(args) != arity[name]:
            raise ValueError(f"{name} takes {arity[name]} argument(s), got {len(args)}")
        if name == "play":
            self.play(*args)
        elif name == "pause":
            self.set_status("Paused")
        elif name == "resume":
            self.set_status("Playing")
        elif name == "stop":
            self.set_status("Stopped")
        elif name == "seek":
            try:
                self.seek_to(int(float(args[0]) * 1e6))
            except ValueError:
                raise ValueError(f"seek takes seconds, not '{args[0]}'") from None
        elif name == "remote":
            self.remote()
        elif name == "quit":
            self.loop.quit()
        self.flush()

    # ---- D-Bus ----------------------------------------------------------------------------

    def on_method(self, conn, sender, path, iface, method, params, invocation):
        if method in ("Play",):
            self.set_status("Playing")
        elif method == "Pause":
            self.set_status("Paused")
        elif method == "PlayPause":
            self.set_status("Paused" if self.status == "Playing" else "Playing")
        elif method == "Stop":
            self.set_status("Stopped")
        elif method == "Seek":
            self.seek_to(self.position() + params.unpack()[0])
        elif method == "SetPosition":
            self.seek_to(params.unpack()[1])
        elif method == "Quit":
            GLib.idle_add(self.loop.quit)
        invocation.return_value(None)

    def on_get_property(self, conn, sender, path, iface, name):
        return self.root_property(name) if iface == ROOT else self.player_property(name)

    def on_set_property(self, conn, sender, path, iface, name, value):
        return True  # LoopStatus, Rate, Shuffle, Volume: accepted and ignored


def main():
    loop = GLib.MainLoop()
    conn = Gio.bus_get_sync(Gio.BusType.SESSION, None)
    player = Player(conn, loop)
    info = Gio.DBusNodeInfo.new_for_xml(XML)
    for iface in info.interfaces:
        conn.register_object(PATH, iface, player.on_method, player.on_get_property,
                             player.on_set_property)

    def on_acquired(conn, name):
        print("READY", flush=True)

    def on_lost(conn, name):
        print(f"ERROR could not own {name}", flush=True)
        loop.quit()

    Gio.bus_own_name_on_connection(conn, BUS_NAME, Gio.BusNameOwnerFlags.DO_NOT_QUEUE,
                                   on_acquired, on_lost)

    pending = b""

    def on_stdin(fd, condition):
        nonlocal pending
        data = os.read(fd, 65536) if condition & GLib.IO_IN else b""
        if not data:
            loop.quit()  # the test went away: so do we
            return GLib.SOURCE_REMOVE
        pending += data
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            text = line.decode("utf-8", "replace").strip()
            if not text:
                continue
            try:
                player.command(shlex.split(text))
                print(f"OK {text.split()[0]}", flush=True)
            except ValueError as e:
                print(f"ERROR {e}", flush=True)
        return GLib.SOURCE_CONTINUE

    GLib.io_add_watch(sys.stdin.fileno(), GLib.PRIORITY_DEFAULT,
                      GLib.IO_IN | GLib.IO_HUP | GLib.IO_ERR, on_stdin)
    loop.run()
    conn.flush_sync(None)


if __name__ == "__main__":
    main()
