"""Bad D-Bus input (issue 8): wrong types, bad viewer ids, floods of viewer ids and of
connections. Every call must be answered with success or a named error, the viewer table must
hold its limits (64 per sender, 4096 in all; doc/design.md section 3), memory must stay bounded, and
the daemon must live.

A viewer id that is not UTF-8 cannot be sent with GIO at all (GDBusMessage asserts its strings
are UTF-8 and aborts the sender), so test_non_utf8_never_reaches_the_daemon writes the message
bytes itself: dbus-daemon validates every message and drops the client that sends one, so the
daemon never sees it.
"""

import os
import socket
import time

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

from faultcase import FaultCase  # noqa: E402
from harness import BUS_NAME, INTERFACE, OBJECT_PATH, main  # noqa: E402

SPN_INVALID_ARGS = "io.github.spotnow.Error.InvalidArgs"
SPN_BUSY = "io.github.spotnow.Error.Busy"
DBUS_INVALID_ARGS = "org.freedesktop.DBus.Error.InvalidArgs"
PER_SENDER = 64
TOTAL = 4096
RSS_GROWTH_KIB = 4096  # over the RSS after the first poll; a leak per call or connection exceeds it
WINDOW = 256               # calls in flight at once


class RawBusClient:
    """A D-Bus client without GIO, which would refuse to build the message (GDBusMessage asserts
    its strings are UTF-8): EXTERNAL authentication, Hello, then bytes as given."""

    def __init__(self, address):
        params = dict(p.split("=", 1) for p in address.split(":", 1)[1].split(","))
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(5)
        self.sock.connect("\0" + params["abstract"] if "abstract" in params else params["path"])
        uid = str(os.getuid()).encode().hex().encode()
        self.sock.sendall(b"\0AUTH EXTERNAL " + uid + b"\r\n")
        if not self.sock.recv(4096).startswith(b"OK "):
            raise RuntimeError("EXTERNAL authentication refused")
        self.sock.sendall(b"BEGIN\r\n")
        self.send(message_blob("Hello", None, 1, "org.freedesktop.DBus",
                               "/org/freedesktop/DBus", "org.freedesktop.DBus"))

    def send(self, blob):
        self.sock.sendall(blob)

    def closed_by_bus(self):
        try:
            while self.sock.recv(65536):
                pass
            return True
        except socket.timeout:
            return False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.sock.close()


def message_blob(method, body, serial, destination=BUS_NAME, path=OBJECT_PATH,
                 interface=INTERFACE):
    message = Gio.DBusMessage.new_method_call(destination, path, interface, method)
    if body is not None:
        message.set_body(body)
    message.set_serial(serial)
    return bytes(message.to_blob(Gio.DBusCapabilityFlags.NONE))


def error_name(error):
    return Gio.DBusError.get_remote_error(error) or f"(unnamed: {error.message})"


class BadInput(FaultCase):
    def setUp(self):
        super().setUp()
        self.wait_first_poll()
        self.baseline_kib = self.rss_kib()

    # ---- calls ------------------------------------------------------------------------------

    def raw_call(self, method, args, conn=None, path=OBJECT_PATH, interface=INTERFACE):
        """One call whatever its signature; returns "ok" or the D-Bus error name."""
        try:
            (conn or self.conn).call_sync(BUS_NAME, path, interface, method, args, None,
                                          Gio.DBusCallFlags.NO_AUTO_START, 20000, None)
            return "ok"
        except GLib.Error as error:
            return error_name(error)

    def call_many(self, calls):
        """@calls: (connection, method, args) triples, sent with up to WINDOW in flight.
        Returns one "ok" or error name per call, in order; waits for every reply."""
        results = [None] * len(calls)
        outstanding = 0
        ctx = GLib.MainContext.default()

        def done(conn, result, index):
            nonlocal outstanding
            try:
                conn.call_finish(result)
                results[index] = "ok"
            except GLib.Error as error:
                results[index] = error_name(error)
            outstanding -= 1

        for index, (conn, method, args) in enumerate(calls):
            while outstanding >= WINDOW:
                ctx.iteration(True)
            outstanding += 1
            conn.call(BUS_NAME, OBJECT_PATH, INTERFACE, method, args, None,
                      Gio.DBusCallFlags.NO_AUTO_START, 60000, None,
                      lambda c, r, i=index: done(c, r, i))
        while outstanding > 0:
            ctx.iteration(True)
        return results

    def report_args(self, viewer_id):
        return GLib.Variant("(s)", (viewer_id,))

    def viewers(self):
        return self.status()["viewers"]

    def assert_healthy(self):
        self.assert_alive()
        self.assertEqual(self.snapshot()["trackName"], "First Song")
        rss = self.rss_kib()
        self.assertLess(rss, self.baseline_kib + RSS_GROWTH_KIB,
                        f"VmRSS {rss} KiB, {self.baseline_kib} KiB at start")
        return rss

    # ---- wrong types and bad values ---------------------------------------------------------

    def test_wrong_types_get_invalid_args(self):
        wrong = [
            ("ReportViewerPresence", GLib.Variant("(i)", (42,))),
            ("ReportViewerPresence", None),
            ("ReportViewerPresence", GLib.Variant("(ss)", ("a", "b"))),
            ("ReportViewerPresence", GLib.Variant("(as)", (["a"],))),
            ("EnsureFresh", GLib.Variant("(s)", ("now",))),
            ("EnsureFresh", GLib.Variant("(i)", (1,))),
            ("CurrentlyPlaying", GLib.Variant("(b)", (True,))),
            ("GetStatus", GLib.Variant("(v)", (GLib.Variant("s", "x"),))),
            ("CompleteSignIn", GLib.Variant("(u)", (7,))),
            ("SignOut", GLib.Variant("(s)", ("x",))),
        ]
        for method, args in wrong:
            with self.subTest(method=method, args=args):
                self.assertEqual(self.raw_call(method, args), DBUS_INVALID_ARGS)
        self.assertEqual(self.raw_call("NoSuchMethod", None),
                         "org.freedesktop.DBus.Error.UnknownMethod")
        self.assertIn(self.raw_call("Ping", None, interface="io.github.spotnow.Nope1"),
                      ("org.freedesktop.DBus.Error.UnknownMethod",
                       "org.freedesktop.DBus.Error.UnknownInterface"))
        self.assertIn(self.raw_call("CurrentlyPlaying", None, path="/io/github/spotnow/Nope"),
                      ("org.freedesktop.DBus.Error.UnknownMethod",
                       "org.freedesktop.DBus.Error.UnknownObject"))
        self.assertEqual(self.viewers(), 0)
        self.assert_healthy()

    def test_bad_viewer_ids_get_invalid_args(self):
        bad = ["", "a" * 129, "é" * 129, "x" * (1024 * 1024), "\x01", "tab\there", "line\nbreak",
               "bell\x07", "del\x7f", "c1\u0085", "\x1b[31mred"]
        for viewer_id in bad:
            with self.subTest(viewer_id=viewer_id[:20], length=len(viewer_id)):
                self.assertEqual(self.raw_call("ReportViewerPresence",
                                               self.report_args(viewer_id)), SPN_INVALID_ARGS)
        self.assertEqual(self.viewers(), 0)
        # The edges that are fine: 1 and 128 characters, non-ASCII, spaces.
        good = ["a", "b" * 128, "é" * 128, "🎵 waybar on DP-1", "viewer with spaces"]
        for viewer_id in good:
            with self.subTest(viewer_id=viewer_id[:20]):
                self.assertEqual(self.raw_call("ReportViewerPresence",
                                               self.report_args(viewer_id)), "ok")
        self.assertEqual(self.viewers(), len(good))
        self.assert_healthy()

    def test_complete_sign_in_with_garbage_is_a_named_error(self):
        for url in ["", "not a url", "http://127.0.0.1:1/callback?code=x&state=y",
                    "\x01" * 100, "u" * (1024 * 1024)]:
            with self.subTest(url=url[:20], length=len(url)):
                name = self.raw_call("CompleteSignIn", GLib.Variant("(s)", (url,)))
                self.assertTrue(name.startswith("io.github.spotnow.Error."), name)
        self.assertEqual(self.status()["authState"], "signed-in")
        self.assert_healthy()

    def test_non_utf8_never_reaches_the_daemon(self):
        placeholder = "PLACEHOLDER"
        valid = message_blob("ReportViewerPresence", GLib.Variant("(s)", (placeholder,)), 2)
        # The raw client works: a valid message from it is a viewer.
        with RawBusClient(self.bus.address) as client:
            client.send(valid)
            self.wait_for(lambda: self.viewers() == 1, what="the raw client's viewer")
        self.wait_for(lambda: self.viewers() == 0, what="the raw client to be forgotten")
        # The same message with the id's bytes swapped for invalid UTF-8: the bus drops the
        # client, and the daemon never hears of it.
        invalid = valid.replace(placeholder.encode(), bytes(range(0xf5, 0x100)))
        with RawBusClient(self.bus.address) as client:
            client.send(invalid)
            self.assertTrue(client.closed_by_bus(), "dbus-daemon forwarded invalid UTF-8")
        self.assertEqual(self.viewers(), 0)
        self.assert_healthy()

    # ---- floods ---------------------------------------------------------------------------------

    def test_10000_viewer_ids_from_one_sender(self):
        started = time.monotonic()
        results = self.call_many([(self.conn, "ReportViewerPresence", self.report_args(f"v{i}"))
                                  for i in range(10000)])
        elapsed = time.monotonic() - started
        self.assertEqual(results, ["ok"] * 10000)
        # The oldest ones make room: the sender keeps its 64 newest.
        self.assertEqual(self.viewers(), PER_SENDER)
        rss = self.assert_healthy()
        print(f"10000 ids from one sender in {elapsed:.2f} s: viewers {PER_SENDER}, "
              f"VmRSS {self.baseline_kib} -> {rss} KiB")

    def test_table_is_bounded_across_senders(self):
        senders = TOTAL // PER_SENDER + 16
        conns = [self.bus.connect() for _ in range(senders)]
        calls = [(conn, "ReportViewerPresence", self.report_args(f"v{i}"))
                 for conn in conns for i in range(PER_SENDER)]
        results = self.call_many(calls)
        self.assertEqual(set(results), {"ok", SPN_BUSY})
        self.assertEqual(results.count("ok"), TOTAL)
        self.assertEqual(self.viewers(), TOTAL)
        # Heartbeats of viewers already in the table still work when it is full.
        self.assertEqual(self.raw_call("ReportViewerPresence", self.report_args("v0"),
                                       conn=conns[0]), "ok")
        full_rss = self.assert_healthy()
        for conn in conns:
            conn.close_sync(None)
        self.wait_for(lambda: self.viewers() == 0, timeout=20, what="the senders to be forgotten")
        print(f"{len(calls)} ids from {senders} senders: {TOTAL} kept, "
              f"{results.count(SPN_BUSY)} Busy; VmRSS {self.baseline_kib} -> {full_rss} KiB")
        self.assert_healthy()

    def test_5000_connections_join_and_leave(self):
        batches, batch = 50, 100
        rss = []
        started = time.monotonic()
        for n in range(batches):
            conns = [self.bus.connect() for _ in range(batch)]
            results = self.call_many([(conn, "ReportViewerPresence", self.report_args("panel"))
                                      for conn in conns])
            self.assertEqual(results, ["ok"] * batch)
            self.assertLessEqual(self.viewers(), TOTAL)
            self.assertGreaterEqual(self.viewers(), batch)
            for conn in conns:
                conn.close_sync(None)
            if n in (batches // 2 - 1, batches - 1):
                self.wait_for(lambda: self.viewers() == 0, timeout=20,
                              what="the senders to be forgotten")
                rss.append(self.assert_healthy())
        elapsed = time.monotonic() - started
        print(f"{batches * batch} connections joined and left in {elapsed:.1f} s; VmRSS "
              f"{self.baseline_kib} KiB at start, {rss[0]} after half, {rss[1]} after all")
        # Flat: the second half of the connections left nothing behind.
        self.assertLessEqual(rss[1], rss[0] + 1024)
        self.assertEqual(self.raw_call("EnsureFresh", None), "ok")


if __name__ == "__main__":
    main()
