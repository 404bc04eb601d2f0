"""GET /api/events against the real daemon: the snapshot at once, one event per Changed with
increasing ids, Last-Event-ID, the keep-alive comment, the headers that keep proxies from
buffering, max-streams, and presence: an open stream is a viewer, gone when it closes."""

import time

from webtest import EventStream, WebTestCase, main

QUICK = {"fresh-playing-s": "0.3", "fresh-paused-s": "0.3"}


class Events(WebTestCase):
    polling = QUICK

    def open(self, **headers):
        stream = EventStream(self.web_port, headers)
        self.addCleanup(stream.close)
        return stream

    def test_headers_and_the_snapshot_at_once(self):
        self.wait_for_json(lambda d: d["trackName"] == "First Song")
        stream = self.open()
        self.assertEqual(stream.status, 200)
        self.assertTrue(stream.headers["content-type"].startswith("text/event-stream"))
        self.assertEqual(stream.headers["cache-control"], "no-cache, no-transform")
        self.assertEqual(stream.headers["x-accel-buffering"], "no")
        self.assertEqual(stream.headers["access-control-allow-origin"], "*")
        event_id, name, doc = stream.next_event()
        self.assertEqual(name, "snapshot")
        self.assertGreater(event_id, 0)
        self.assertEqual(doc, self.get_json()[2])

    def test_one_event_per_change_with_increasing_ids(self):
        self.wait_for_json(lambda d: d["trackName"] == "First Song")
        stream = self.open()
        first_id, _, first = stream.next_event()
        self.fake.timeline('100 track id=t2 name="Second Song" artists=B album=C duration=100\n'
                           '\n')
        second_id, name, second = stream.next_event()
        self.assertEqual(name, "snapshot")
        self.assertEqual(second["trackName"], "Second Song")
        self.assertGreater(second_id, first_id)
        self.wait_for(lambda: any(c["trackName"] == "Second Song"
                                  for c in self.changed_signals()), 5, "Changed seen")
        changes = len(self.changed_signals())
        self.fake.timeline('100 track id=t3 name="Third Song" artists=B album=C duration=100\n')
        third_id, _, third = stream.next_event()
        self.assertEqual(third["trackName"], "Third Song")
        self.assertGreater(third_id, second_id)
        # One event per Changed: the signals the test saw match the events, none in between.
        self.wait_for(lambda: any(c["trackName"] == "Third Song"
                                  for c in self.changed_signals()), 5, "Changed seen")
        self.assertEqual(len(self.changed_signals()), changes + 1)

    def test_last_event_id_is_honoured(self):
        self.wait_for_json(lambda d: d["trackName"] == "First Song")
        first = self.open()
        event_id, _, _ = first.next_event()
        first.close()
        # A reconnecting EventSource that has the current event gets no repeat of it, only what
        # comes next.
        again = self.open(**{"Last-Event-ID": str(event_id)})
        self.fake.timeline('100 track id=t2 name="Second Song" artists=B album=C duration=100\n')
        next_id, _, doc = again.next_event()
        self.assertEqual(doc["trackName"], "Second Song")
        self.assertGreater(next_id, event_id)
        # An older id gets the current snapshot at once.
        stale = self.open(**{"Last-Event-ID": str(event_id)})
        self.assertEqual(stale.next_event()[2]["trackName"], "Second Song")

    def test_a_stream_is_a_viewer_and_leaves_with_it(self):
        self.wait_for(lambda: self.snapshot()["fetchedAt"] > 0, 10, "the first poll")
        self.assertEqual(self.viewers(), 0)
        stream = self.open()
        stream.next_event()
        self.wait_for(lambda: self.viewers() == 1, 20, "the stream's viewer")
        # Any number of streams: still one viewer, so they cost what one viewer costs.
        more = [self.open() for _ in range(20)]
        for s in more:
            s.next_event()
        self.assertEqual(self.viewers(), 1)
        for s in more:
            s.close()
        self.assertEqual(self.viewers(), 1)
        stream.close()
        # Gone within seconds (not after the 60 s presence TTL).
        self.wait_for(lambda: self.viewers() == 0, 20, "the viewer gone with the last stream")

    def test_keepalive_comment(self):
        self.wait_for_json(lambda d: d["trackName"] == "First Song")
        stream = self.open()
        stream.event_where(lambda d: d["trackName"] == "First Song")
        stream.sock.settimeout(25)
        self.assertEqual(stream.next_block(), ": keep-alive")

    def test_heartbeats_keep_the_viewer_past_the_ttl(self):
        # presence-ttl-s is 2 here (below): a viewer without heartbeats would be gone by 3 s.
        stream = self.open()
        stream.next_event()
        self.wait_for(lambda: self.viewers() == 1, 20, "the stream's viewer")
        start = time.monotonic()
        while time.monotonic() - start < 5:
            self.assertEqual(self.viewers(), 1)
            self.pump(0.2)
        stream.close()
        self.wait_for(lambda: self.viewers() == 0, 20, "the viewer gone")

    def test_head(self):
        status, headers, body = self.request("HEAD", "/api/events")
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/event-stream"))
        self.assertEqual(body, b"")


Events.polling = {**QUICK, "presence-ttl-s": "2"}


class MaxStreams(WebTestCase):
    web = {"max-streams": "3"}

    def test_past_max_streams_503(self):
        streams = [EventStream(self.web_port) for _ in range(3)]
        for s in streams:
            self.assertEqual(s.status, 200)
            s.next_event()
        refused = EventStream(self.web_port)
        self.assertEqual(refused.status, 503)
        self.assertIn("retry-after", refused.headers)
        refused.close()
        streams.pop().close()
        # A closed stream frees its place.
        def reopened():
            s = EventStream(self.web_port)
            if s.status == 200:
                streams.append(s)
                return True
            s.close()
            return False
        self.wait_for(reopened, 20, "a place after a stream closed")
        for s in streams:
            s.close()


class DaemonRestart(WebTestCase):
    polling = QUICK

    def test_streams_survive_a_daemon_restart(self):
        self.wait_for_json(lambda d: d["trackName"] == "First Song")
        stream = EventStream(self.web_port)
        self.addCleanup(stream.close)
        stream.next_event()
        self.wait_for(lambda: self.viewers() == 1, 20, "viewer")
        self.stop()
        self.fake.timeline('100 track id=t2 name="After Restart" artists=B album=C '
                           'duration=100\n')
        self.start()
        # The stream is still a viewer of the new daemon, and gets what it polls.
        self.wait_for(lambda: self.viewers() == 1, 10, "viewer at the new daemon")
        # (The restored snapshot may come first: the daemon's state.ini keeps an older
        # progress than the last event had.)
        stream.event_where(lambda d: d["trackName"] == "After Restart")


if __name__ == "__main__":
    main()
