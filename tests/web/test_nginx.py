"""The real nginx in front of spotnow-web, configured as the README shows: the JSON, its ETag
and 304 pass through, and the event stream's events arrive through the proxy at once (not
when a buffer fills)."""

import socket
import time

from gi.repository import Gio
from harness import BUS_NAME, INTERFACE, OBJECT_PATH
from webtest import EventStream, Nginx, WebTestCase, free_port, main, proxy_config


class BehindNginx(WebTestCase):
    polling = {"fresh-playing-s": "0.3", "fresh-paused-s": "0.3"}

    def setUp(self):
        super().setUp()
        self.nginx_port = free_port()
        self.nginx = Nginx(self.workdir, proxy_config(self.nginx_port, self.web_port))
        self.addCleanup(self.nginx.stop)

        def up():
            try:
                with socket.create_connection(("127.0.0.1", self.nginx_port), timeout=1):
                    return True
            except OSError:
                return False
        self.wait_for(up, 10, "nginx listening")
        self.changed_at = {}
        self.conn.signal_subscribe(BUS_NAME, INTERFACE, "Changed", OBJECT_PATH, None,
                                   Gio.DBusSignalFlags.NONE, self._on_changed)

    def _on_changed(self, conn, sender, path, iface, name, params):
        self.changed_at.setdefault(params.unpack()[0].get("trackName"), time.monotonic())

    def test_json_and_304_through_the_proxy(self):
        direct = self.wait_for_json(lambda d: d["trackName"] == "First Song")
        port, self.web_port = self.web_port, self.nginx_port
        try:
            status, headers, doc = self.get_json()
            self.assertEqual((status, doc), (200, direct))
            status, _, body = self.request("GET", "/api/now-playing",
                                           {"If-None-Match": headers["etag"]})
            self.assertEqual((status, body), (304, b""))
            self.assertEqual(self.request("GET", "/card.svg")[0], 200)
        finally:
            self.web_port = port

    def test_events_pass_through_at_once(self):
        # Over the bus, not a GET: a GET would count as a viewer of its own.
        self.wait_for_snapshot(lambda s: s["trackName"] == "First Song")
        stream = EventStream(self.nginx_port)
        self.addCleanup(stream.close)
        self.assertEqual(stream.status, 200)
        _, name, doc = stream.event_where(lambda d: d["trackName"] == "First Song")
        self.assertEqual(name, "snapshot")
        self.fake.timeline('100 track id=t2 name="Through Nginx" artists=B album=C '
                           'duration=100\n')
        _, _, doc = stream.next_event()
        arrived = time.monotonic()
        self.assertEqual(doc["trackName"], "Through Nginx")
        self.wait_for(lambda: "Through Nginx" in self.changed_at, 20, "Changed seen")
        delay = arrived - self.changed_at["Through Nginx"]
        self.assertLess(delay, 0.5, f"the event took {delay:.3f} s through nginx")
        # The stream through the proxy is a viewer like a direct one, and leaves with it.
        self.wait_for(lambda: self.viewers() == 1, 20, "the proxied stream as a viewer")
        stream.close()
        self.wait_for(lambda: self.viewers() == 0, 10, "gone with the stream")


if __name__ == "__main__":
    main()
