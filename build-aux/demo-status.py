#!/usr/bin/python3
"""The demo's second voice: one line per StatusChanged, so a newcomer sees a 429 ridden out."""

import datetime
import signal
import sys

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402


def on_status(conn, sender, path, iface, name, params):
    status = params.unpack()[0]
    until = status.get("backoffUntil", 0)
    error = status.get("lastError", "")
    if until:
        when = datetime.datetime.fromtimestamp(until / 1000).strftime("%H:%M:%S")
        print(f"   ⚠ spotnowd: {error or 'backing off'} — waiting until {when}, serving the cache",
              flush=True)
    elif error:
        print(f"   ⚠ spotnowd: {error}", flush=True)
    else:
        print("   ✓ spotnowd: Spotify answers again", flush=True)


def main():
    bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
    bus.signal_subscribe("io.github.spotnow.NowPlaying1", "io.github.spotnow.NowPlaying1",
                         "StatusChanged", "/io/github/spotnow/NowPlaying1", None,
                         Gio.DBusSignalFlags.NONE, on_status)
    loop = GLib.MainLoop()
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, loop.quit)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
