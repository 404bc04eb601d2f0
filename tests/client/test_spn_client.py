"""SpnClient (lib/spn-client.c), the client object `spotnow --follow`, the applet and
spotnow-web share, against the real spotnowd and fake-spotify on a private bus, and against an
older daemon without the Snapshot and Status properties (a stand-in served by this test). It runs
as tests/client/spn-client-probe, which prints the client's signals as lines."""

import os
import queue

from gi.repository import Gio, GLib

from harness import BUS_NAME, OBJECT_PATH, LineProcess, SpotnowTestCase, main

PROBE = os.environ["SPN_CLIENT_PROBE"]

# The interface as it was before the properties: methods and signals only.
OLD_INTERFACE = """
<node>
  <interface name="io.github.spotnow.NowPlaying1">
    <method name="CurrentlyPlaying"><arg name="s" type="a{sv}" direction="out"/></method>
    <method name="EnsureFresh"><arg name="s" type="a{sv}" direction="out"/></method>
    <method name="GetStatus"><arg name="s" type="a{sv}" direction="out"/></method>
    <method name="ReportViewerPresence"><arg name="v" type="s" direction="in"/></method>
    <signal name="Changed"><arg name="s" type="a{sv}"/></signal>
    <signal name="StatusChanged"><arg name="s" type="a{sv}"/></signal>
  </interface>
</node>
"""


def old_snapshot(name):
    return {"isPlaying": GLib.Variant("b", True), "trackName": GLib.Variant("s", name),
            "artistName": GLib.Variant("s", "Old"), "albumName": GLib.Variant("s", "Old"),
            "albumArt": GLib.Variant("s", ""), "itemType": GLib.Variant("s", "track"),
            "progressMs": GLib.Variant("x", 0), "durationMs": GLib.Variant("x", 600000),
            "fetchedAt": GLib.Variant("x", GLib.get_real_time() // 1000)}


class Probe(LineProcess):
    def __init__(self, bus_address, *args):
        super().__init__([PROBE, *args], dict(os.environ, DBUS_SESSION_BUS_ADDRESS=bus_address))

    def quit(self):
        if self.proc.poll() is None:
            self.send("quit")
            self.proc.wait(10)
        self.proc.stdin.close()
        self.proc.stdout.close()
        return self.proc.returncode


class ClientCase(SpotnowTestCase):
    def setUp(self):
        super().setUp()
        self.probes = []
        self.seen = []

    def tearDown(self):
        for probe in self.probes:
            self.assertEqual(probe.quit(), 0)
        super().tearDown()

    def probe(self, *args):
        probe = Probe(self.bus.address, *args)
        self.probes.append(probe)
        return probe

    def expect(self, probe, prefix, timeout=10.0):
        """Pumps our main context (the old daemon lives in it) until @probe prints a line that
        starts with @prefix; returns it. Lines before it are kept in self.seen."""
        def found():
            try:
                line = probe.lines.get_nowait()
            except queue.Empty:
                return None
            self.assertIsNotNone(line, f"the probe ended before “{prefix}”: {self.seen}")
            self.seen.append(line)
            return line if line.startswith(prefix) else None
        return self.wait_for(found, timeout, f"the probe's “{prefix}”")


class WithDaemon(ClientCase):
    # A viewer keeps the snapshot this fresh, so a watching probe makes the daemon poll each second.
    polling = {"fresh-playing-s": "1"}

    def test_properties_are_there_on_arrival(self):
        """The Snapshot and Status properties come with the proxy: no call to wait for."""
        self.wait_for_snapshot(lambda s: s["trackName"] == "First Song")
        probe = self.probe()
        self.assertEqual(self.expect(probe, "appeared"),
                         "appeared snapshot=First Song status=signed-in")

    def test_follows_changes_and_settles(self):
        probe = self.probe()
        self.expect(probe, "appeared")
        probe.send("fresh")
        self.assertEqual(self.expect(probe, "fresh"), "fresh settled=1")
        probe.send("watch on")
        self.fake.timeline('100 track id=t2 name="Second Song" artists=B album=C duration=100\n')
        self.expect(probe, "changed Second Song")

    def test_heartbeats_while_watching(self):
        probe = self.probe("--viewer-id", "probe")
        self.expect(probe, "appeared")
        self.assertEqual(self.status()["viewers"], 0)
        probe.send("watch on")
        self.wait_for(lambda: self.status()["viewers"] == 1, what="the probe's viewer")
        probe.send("presence probe-request")
        self.wait_for(lambda: self.status()["viewers"] == 2, what="the second viewer id")

    def test_own_presence_connection_leaves_at_once(self):
        """Closing the connection ends the viewer now, not a TTL (60 s here) later."""
        probe = self.probe("--own-presence")
        self.expect(probe, "appeared")
        probe.send("watch on")
        self.wait_for(lambda: self.status()["viewers"] == 1, what="the probe's viewer")
        probe.send("watch off")
        self.wait_for(lambda: self.status()["viewers"] == 0, timeout=5, what="the viewer gone")

    def test_restart_is_survived(self):
        probe = self.probe("--viewer-id", "probe")
        self.expect(probe, "appeared")
        probe.send("watch on")
        self.wait_for(lambda: self.status()["viewers"] == 1, what="the probe's viewer")
        self.stop()
        self.expect(probe, "vanished")
        self.start()
        self.expect(probe, "appeared snapshot=")
        # Watching carries over to the new daemon: it hears the heartbeat at once.
        self.wait_for(lambda: self.status()["viewers"] == 1, what="the viewer after the restart")


class WithoutDaemon(ClientCase):
    start_daemon = False

    def test_not_running(self):
        """No activation file on this bus: the start fails plainly, and that is "vanished"."""
        probe = self.probe("--auto-start")
        self.expect(probe, "vanished")
        self.assertNotIn("start-failed", " ".join(self.seen))

    def test_waits_for_the_daemon(self):
        probe = self.probe()
        self.expect(probe, "vanished")
        self.start()
        self.expect(probe, "appeared snapshot=")


class OlderDaemon(ClientCase):
    """A daemon from before the properties: the methods on arrival, then the signals."""
    start_daemon = False

    def setUp(self):
        super().setUp()
        self.calls = []
        self.old_snapshot = old_snapshot("Old Song")
        info = Gio.DBusNodeInfo.new_for_xml(OLD_INTERFACE).interfaces[0]
        self.registration = self.conn.register_object(OBJECT_PATH, info, self._on_call)
        reply = self.conn.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                    "org.freedesktop.DBus", "RequestName",
                                    GLib.Variant("(su)", (BUS_NAME, 4)), None,
                                    Gio.DBusCallFlags.NONE, 5000, None)
        self.assertEqual(reply.unpack()[0], 1)

    def tearDown(self):
        self.conn.unregister_object(self.registration)
        super().tearDown()

    def _on_call(self, conn, sender, path, iface, method, params, invocation):
        self.calls.append(method)
        status = {"authState": GLib.Variant("s", "signed-in"),
                  "presenceTtlMs": GLib.Variant("x", 60000)}
        if method in ("CurrentlyPlaying", "EnsureFresh"):
            invocation.return_value(GLib.Variant("(a{sv})", (self.old_snapshot,)))
        elif method == "GetStatus":
            invocation.return_value(GLib.Variant("(a{sv})", (status,)))
        else:
            invocation.return_value(None)

    def test_methods_then_signals(self):
        probe = self.probe()
        self.expect(probe, "appeared snapshot=-")  # nothing to read without the properties
        self.expect(probe, "changed Old Song")
        self.wait_for(lambda: "GetStatus" in self.calls, what="GetStatus")
        self.assertIn("CurrentlyPlaying", self.calls)
        self.old_snapshot = old_snapshot("Newer Song")
        self.conn.emit_signal(None, OBJECT_PATH, BUS_NAME, "Changed",
                              GLib.Variant("(a{sv})", (self.old_snapshot,)))
        self.expect(probe, "changed Newer Song")
        probe.send("fresh")
        self.assertEqual(self.expect(probe, "fresh"), "fresh settled=1")


if __name__ == "__main__":
    main()
