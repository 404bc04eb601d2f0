"""The front door: spotnow-web answers a plain GET|HEAD /api/now-playing itself and hands every
other request, at its request boundary, to libsoup, which answers it as its connection's last
(Connection: close; doc/design.md section 10, web/web-front.c). A client must not tell the two
apart but by that: the same bytes but the Date, keep-alive after the front's answers, pipelined
answers in order, split and oversized heads, Connection: close and HTTP/1.0, idle and greedy
connections closed, clients that hang up early forgotten, the event stream and the card after
now-playing, and the 503 while spotnowd is away."""

import email.utils
import json
import os
import re
import socket
import struct
import threading
import time

from webtest import EventStream, WebTestCase, main

QUICK = {"fresh-playing-s": "0.3", "fresh-paused-s": "0.3"}
FAST = "/api/now-playing"
# The same resource by libsoup: a query string is never the front's, and libsoup ignores it.
SOUP = "/api/now-playing?x=1"
# web/web-bounds.h: SPN_WEB_REQUEST_TIMEOUT_S and SPN_WEB_MAX_PENDING.
REQUEST_TIMEOUT_S = 10
MAX_PENDING = 1024


def wrapped():
    """spotnow-web runs under a tool (valgrind, …): bounds on its own speed do not hold."""
    return bool(os.environ.get("SPOTNOW_WEB_WRAPPER"))


def http_request(path=FAST, method="GET", headers=(), version="HTTP/1.1", host="127.0.0.1"):
    """One request head as bytes; @headers a sequence of (name, value), sent in that order."""
    lines = [f"{method} {path} {version}"]
    if host is not None:
        lines.append(f"Host: {host}")
    lines += [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class Response:
    """An answer as it went over the wire: the status line, the header lines in order (names
    as sent), the body."""

    def __init__(self, status_line, headers, body):
        match = re.match(r"HTTP/1\.[01] (\d{3}) ", status_line)
        if match is None:
            raise AssertionError(f"not a status line: {status_line[:200]!r}")
        self.status_line = status_line
        self.headers = headers
        self.body = body
        self.status = int(match.group(1))

    def header(self, name):
        values = [v for n, v in self.headers if n.lower() == name.lower()]
        return values[0] if values else None

    def names(self):
        return [n for n, _ in self.headers]

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<{self.status_line} {self.headers} {self.body[:80]!r}>"


class Connection:
    """One connection to spotnow-web, bytes in and answers out, each answer split from the next
    by its own framing (Content-Length, chunks, or the end of the connection)."""

    def __init__(self, port, timeout=30, rcvbuf=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:
            # Before connect, so the window offered is this small from the start.
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect(("127.0.0.1", port))
        # Each send() its own segment: a head sent in parts arrives in parts.
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def close(self):
        self.sock.close()

    def send(self, data):
        self.sock.sendall(data)

    def _more(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError(f"spotnow-web closed the connection; unparsed: {self.buffer[:200]!r}")
        self.buffer += data

    def _take(self, size):
        while len(self.buffer) < size:
            self._more()
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def _line(self):
        while b"\r\n" not in self.buffer:
            self._more()
        line, _, self.buffer = self.buffer.partition(b"\r\n")
        return line

    def response(self, method="GET"):
        while b"\r\n\r\n" not in self.buffer:
            self._more()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = []
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep:
                raise AssertionError(f"malformed header line {line!r} in {lines}")
            headers.append((name, value.strip()))
        response = Response(lines[0], headers, b"")
        if method == "HEAD" or response.status in (204, 304) or response.status < 200:
            return response
        length = response.header("Content-Length")
        if length is not None:
            response.body = self._take(int(length))
        elif (response.header("Transfer-Encoding") or "").lower() == "chunked":
            body = b""
            while True:
                size = int(self._line().split(b";")[0], 16)
                if size == 0:
                    while self._line():
                        pass
                    break
                body += self._take(size)
                self._line()
            response.body = body
        else:
            while True:
                try:
                    self._more()
                except EOFError:
                    break
            response.body, self.buffer = self.buffer, b""
        return response

    def exchange(self, request, method="GET"):
        self.send(request)
        return self.response(method)

    def wait_closed(self, timeout):
        """Waits for the end of the connection (EOF or a reset); fails on any byte before it."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(4096)
        except ConnectionResetError:
            data = b""
        except TimeoutError:
            raise AssertionError(f"the connection is still open after {timeout} s") from None
        if data or self.buffer:
            raise AssertionError(f"bytes instead of the end: {(self.buffer + data)[:200]!r}")


class FrontTestCase(WebTestCase):
    def setUp(self):
        super().setUp()
        self.wait_for_json(lambda d: d["trackName"] == "First Song")

    def connect(self, **kwargs):
        conn = Connection(self.web_port, **kwargs)
        self.addCleanup(conn.close)
        return conn

    def answer(self, request, method="GET"):
        """The answer to @request, the first on a connection of its own, with a Date that lies
        within the exchange and nothing after it."""
        conn = self.connect()
        sent = time.time()
        response = conn.exchange(request, method)
        received = time.time()
        # Nothing follows but the end, or the next answer: the framing is exact (a HEAD or a
        # 304 with a body would show here).
        self.assert_next_answer(conn, response)
        conn.close()
        date = response.header("Date")
        self.assertIsNotNone(date, response)
        at = email.utils.parsedate_to_datetime(date).timestamp()
        # IMF-fixdate has whole seconds: the second it was written in.
        self.assertTrue(sent - 1 <= at <= received + 1, f"Date {date} outside the exchange")
        return response

    def assert_next_answer(self, conn, response):
        """After @response, the connection ends if it said so, else it answers the next
        request."""
        if response.header("Connection") == "close":
            conn.wait_closed(30)
        else:
            self.assertEqual(conn.exchange(http_request("/no-such-page")).status, 404)

    def reference(self):
        """The JSON libsoup serves now."""
        response = self.answer(http_request(SOUP))
        self.assertEqual(response.status, 200)
        return response.body

    def assert_same_answer(self, fast, soup, fast_keeps=True):
        """@fast the front's answer, @soup libsoup's: the same but the Date and libsoup's
        Connection: close, as the front keeps the connection (unless not @fast_keeps: libsoup
        answered both, alike)."""
        soup_headers = soup.headers
        if fast_keeps:
            self.assertIsNone(fast.header("Connection"), fast)
            soup_headers = [h for h in soup.headers if h[0] != "Connection"]
        self.assertEqual(fast.status_line, soup.status_line)
        # The same names, spelt the same, in the same order, with the same values but Date's.
        self.assertEqual(fast.names(), [n for n, _ in soup_headers])
        self.assertEqual([h for h in fast.headers if h[0] != "Date"],
                         [h for h in soup_headers if h[0] != "Date"])
        self.assertEqual(fast.body, soup.body)

    def assert_parity(self, method="GET", headers=(), status=200, fast_keeps=True):
        fast = self.answer(http_request(FAST, method, headers), method)
        soup = self.answer(http_request(SOUP, method, headers), method)
        self.assertEqual(fast.status, status, fast)
        self.assert_same_answer(fast, soup, fast_keeps)
        return fast


class Parity(FrontTestCase):
    polling = QUICK

    def test_get_head_and_304_are_libsoups_bytes(self):
        fast = self.assert_parity("GET")
        self.assertEqual(fast.names(), ["Server", "Date", "X-Content-Type-Options",
                                        "Access-Control-Allow-Origin", "Cache-Control", "ETag",
                                        "Content-Type", "Content-Length"])
        self.assertEqual(fast.header("Access-Control-Allow-Origin"), "*")
        self.assertEqual(int(fast.header("Content-Length")), len(fast.body))
        self.assertEqual(fast.json()["trackName"], "First Song")
        etag = fast.header("ETag")

        head = self.assert_parity("HEAD")
        self.assertEqual(head.body, b"")
        self.assertEqual(head.header("Content-Length"), fast.header("Content-Length"))
        self.assertEqual(head.header("ETag"), etag)

        for tag in (etag, f"W/{etag}", f'"other", {etag}', f'"a",W/{etag} , "b"', "*"):
            with self.subTest(if_none_match=tag):
                for method in ("GET", "HEAD"):
                    not_modified = self.assert_parity(method, [("If-None-Match", tag)], 304)
                    self.assertEqual(not_modified.body, b"")
                    self.assertEqual(not_modified.header("ETag"), etag)
                    self.assertEqual(not_modified.header("Content-Length"), "0")
                    self.assertIsNone(not_modified.header("Content-Type"))
        # An ETag the client has that is not the current one: the whole answer.
        stale = self.assert_parity("GET", [("If-None-Match", '"0123abcd"')])
        self.assertEqual(stale.body, fast.body)
        # Headers the front does not need change nothing either.
        self.assert_parity("GET", [("Accept", "application/json"), ("Origin", "https://x.example"),
                                   ("User-Agent", "test/1"), ("Connection", "Keep-Alive"),
                                   ("Content-Length", "0")])
        # Names in any case; an If-None-Match the front leaves to libsoup (two of them, or a
        # long list) is answered alike.
        self.assert_parity("GET", [("if-none-match", etag), ("accept", "*/*")], 304)
        self.assert_parity("GET", [("If-None-Match", '"x"'), ("If-None-Match", etag)], 304,
                           fast_keeps=False)
        long_list = ", ".join(f'"{i:040x}"' for i in range(10)) + f", {etag}"
        self.assertGreater(len(long_list), 256)
        self.assert_parity("GET", [("If-None-Match", long_list)], 304, fast_keeps=False)

    def test_a_change_is_served_by_both_at_once(self):
        etag = self.assert_parity("GET").header("ETag")
        self.fake.timeline('100 track id=t2 name="Second Song" artists=B album=C duration=100\n')
        self.wait_for(lambda: (self.ensure_fresh(), True)[1] and
                      json.loads(self.reference())["trackName"] == "Second Song", 10,
                      "the change served by libsoup")
        fast = self.assert_parity("GET")
        self.assertEqual(fast.json()["trackName"], "Second Song")
        self.assertNotEqual(fast.header("ETag"), etag)
        # The old ETag is no longer good: the new answer, not a 304.
        self.assertEqual(self.assert_parity("GET", [("If-None-Match", etag)]).body, fast.body)

    def test_503_while_the_daemon_is_away(self):
        self.stop()
        self.wait_for(lambda: self.answer(http_request(FAST)).status == 503, 10,
                      "503 without the daemon")
        for method in ("GET", "HEAD"):
            # The front leaves it to libsoup: the same answer, the connection's last.
            unavailable = self.assert_parity(method, status=503, fast_keeps=False)
            self.assertEqual(unavailable.header("Retry-After"), "5")
            self.assertEqual(unavailable.header("Cache-Control"), "no-store")
        self.start()
        self.wait_for(lambda: self.answer(http_request(FAST)).status == 200, 15, "recovery")
        self.assertEqual(self.assert_parity("GET").json()["trackName"], "First Song")


class ParityOneOrigin(FrontTestCase):
    web = {"allow-origin": "https://me.example"}

    def test_vary_origin(self):
        origin = [("Origin", "https://visitor.example")]
        fast = self.assert_parity("GET", origin)
        self.assertEqual(fast.names(), ["Server", "Date", "X-Content-Type-Options",
                                        "Access-Control-Allow-Origin", "Vary", "Cache-Control",
                                        "ETag", "Content-Type", "Content-Length"])
        self.assertEqual(fast.header("Access-Control-Allow-Origin"), "https://me.example")
        self.assertEqual(fast.header("Vary"), "Origin")
        self.assert_parity("HEAD", origin)
        etag = fast.header("ETag")
        for tag in (etag, f"W/{etag}", "*"):
            self.assert_parity("GET", origin + [("If-None-Match", tag)], 304)


class ParityNoCors(FrontTestCase):
    web = {"allow-origin": ""}

    def test_no_cors_headers(self):
        fast = self.assert_parity("GET")
        self.assertIsNone(fast.header("Access-Control-Allow-Origin"))
        self.assertIsNone(fast.header("Vary"))
        self.assert_parity("HEAD")
        self.assert_parity("GET", [("If-None-Match", fast.header("ETag"))], 304)


class KeepAlive(FrontTestCase):
    def check(self, response, path, status, body=None):
        expected_type = {FAST: "application/json", "/card.svg": "image/svg+xml",
                         "/widget.js": "text/javascript"}.get(path, "application/json")
        self.assertEqual(response.status, status, (path, response))
        if status == 200:
            self.assertTrue(response.header("Content-Type").startswith(expected_type),
                            (path, response))
        if body is not None:
            self.assertEqual(response.body, body, path)
        # The front's answers keep the connection; libsoup's are their connection's last.
        self.assertEqual(response.header("Connection"), None if path == FAST else "close",
                         (path, response))

    def test_one_visitor_mixing_paths(self):
        # A client that opens a new connection when told to, as browsers do.
        body = self.reference()
        etag = self.answer(http_request(FAST)).header("ETag")
        conn = self.connect()
        connections = 1
        steps = [
            ("GET", FAST, [], 200, body),
            ("HEAD", FAST, [], 200, b""),
            ("GET", FAST, [("If-None-Match", etag)], 304, b""),
            ("GET", "/card.svg", [], 200, None),
            ("GET", FAST, [], 200, body),
            ("GET", "/widget.js", [], 200, None),
            ("GET", "/no-such-page", [], 404, None),
            ("GET", FAST, [], 200, body),
            ("GET", FAST, [("If-None-Match", etag)], 304, b""),
            ("HEAD", FAST, [], 200, b""),
        ]
        for method, path, headers, status, expected in steps:
            with self.subTest(method=method, path=path, headers=headers):
                response = conn.exchange(http_request(path, method, headers), method)
                self.check(response, path, status, expected)
                if path == "/no-such-page":
                    self.assertIn(b"/api/now-playing", response.body)
                if response.header("Connection") == "close":
                    conn.wait_closed(30)
                    conn = self.connect()
                    connections += 1
        # A new connection after each of libsoup's three answers only.
        self.assertEqual(connections, 4)
        self.assertEqual(conn.exchange(http_request(FAST)).body, body)

    def assert_pipeline(self, steps):
        """@steps (method, path, status, body) sent in one go: answered in order, up to the
        first of libsoup's answers, the connection's last. The number answered."""
        conn = self.connect()
        conn.send(b"".join(http_request(path, method) for method, path, _, _ in steps))
        for answered, (method, path, status, expected) in enumerate(steps, 1):
            response = conn.response(method)
            self.check(response, path, status, expected)
            if response.header("Connection") == "close":
                conn.wait_closed(30)
                return answered
        self.assertEqual(conn.exchange(http_request(FAST)).status, 200)
        return len(steps)

    def test_pipelined_answers_in_order(self):
        body = self.reference()
        card = ("GET", "/card.svg", 200, None)
        fast = ("GET", FAST, 200, body)
        self.assertEqual(self.assert_pipeline([fast, fast, card, fast]), 3)
        # The client sends what was left unanswered again, on a new connection (RFC 9112
        # section 9.3.2).
        self.assertEqual(self.assert_pipeline([fast]), 1)
        head = ("HEAD", FAST, 200, b"")
        self.assertEqual(self.assert_pipeline([fast, head, fast, head, head, fast]), 6)
        steps = [fast, head, fast, ("GET", "/no-such-page", 404, None), fast, head]
        self.assertEqual(self.assert_pipeline(steps), 4)
        self.assertEqual(self.assert_pipeline([head, ("HEAD", "/card.svg", 200, b""), fast]), 2)
        self.assertEqual(self.assert_pipeline([("GET", "/widget.js", 200, None), fast]), 1)

    def test_a_long_pipeline_behind_libsoups_answer(self):
        # libsoup's answer ends the connection with requests still unread behind it: that
        # answer (and the front's before it) must still arrive whole, not be reset away (RFC
        # 9112 section 9.6: close in stages).
        body = self.reference()
        for first in ([], [FAST]):
            with self.subTest(first=first):
                conn = self.connect()
                conn.send(b"".join(http_request(path) for path in first) +
                          http_request("/card.svg") + http_request(FAST) * 1000)
                for path in first:
                    self.assertEqual(conn.response().body, body)
                card = conn.response()
                self.check(card, "/card.svg", 200)
                self.assertIn(b"</svg>", card.body)

    def test_many_pipelined_now_playing(self):
        body = self.reference()
        conn = self.connect()
        count = 300
        conn.send(http_request(FAST) * count)
        for i in range(count):
            response = conn.response()
            self.assertEqual((response.status, response.body), (200, body), i)
            self.assertIsNone(response.header("Connection"))
        # Still open and still answering.
        self.assertEqual(conn.exchange(http_request(FAST)).body, body)

    def test_a_head_larger_than_the_front_reads(self):
        # Heads of growing size, up to what libsoup takes: each answered alike.
        body = self.reference()
        for size in (600, 1500, 3000, 4200, 6000, 7500):
            with self.subTest(size=size):
                filler = [("X-Filler", "f" * (size - 40))]
                response = self.answer(http_request(FAST, headers=filler))
                self.assertEqual((response.status, response.body), (200, body))
                self.assert_same_answer(response, self.answer(http_request(SOUP, headers=filler)),
                                        fast_keeps=response.header("Connection") is None)
                # Pipelined after a plain one: both answered.
                conn = self.connect()
                conn.send(http_request(FAST) + http_request(FAST, headers=filler))
                self.assertEqual(conn.response().body, body)
                self.assertEqual(conn.response().body, body)


class SplitHeads(FrontTestCase):
    def test_a_head_in_parts_is_answered(self):
        body = self.reference()
        etag = self.answer(http_request(FAST)).header("ETag")
        plain = http_request(FAST)
        conditional = http_request(FAST, headers=[("If-None-Match", etag)])
        cases = [
            # (what is sent, in parts; the answers expected: status and body)
            ([plain[:15], plain[15:]], [(200, body)]),                   # in the request line
            ([plain[:-4], plain[-4:]], [(200, body)]),                   # before the blank line
            ([plain[:-1], plain[-1:]], [(200, body)]),                   # its last byte
            ([plain[:-3], plain[-3:]], [(200, body)]),                   # inside a CRLF
            ([conditional[:-8], conditional[-8:]], [(304, b"")]),        # inside the ETag
            ([plain + plain[:20], plain[20:]], [(200, body), (200, body)]),  # after a whole one
            ([plain[i:i + 1] for i in range(len(plain))], [(200, body)]),    # a byte at a time
        ]
        for parts, answers in cases:
            with self.subTest(parts=parts):
                conn = self.connect()
                for part in parts[:-1]:
                    conn.send(part)
                    # The server has surely read this part by the time it answers a client that
                    # came later: it serves one connection after the other.
                    self.assertEqual(self.answer(http_request(FAST)).status, 200)
                conn.send(parts[-1])
                for status, expected in answers:
                    response = conn.response()
                    self.assertEqual((response.status, response.body), (status, expected))
                # Then the connection goes on, or ends if the answer said so.
                self.assert_next_answer(conn, response)


class Closing(FrontTestCase):
    def test_connection_close_and_http_1_0(self):
        body = self.reference()
        cases = [
            ("GET", http_request(FAST, headers=[("Connection", "close")])),
            ("HEAD", http_request(FAST, "HEAD", [("Connection", "close")])),
            ("GET", http_request(FAST, version="HTTP/1.0")),
            ("GET", http_request(FAST, version="HTTP/1.0", host=None)),
            ("HEAD", http_request(FAST, "HEAD", version="HTTP/1.0")),
            # After a plain one on the same connection.
            ("GET", http_request(FAST) + http_request(FAST, headers=[("Connection", "close")])),
            ("GET", http_request(FAST) + http_request(FAST, version="HTTP/1.0")),
        ]
        for method, request in cases:
            with self.subTest(request=request):
                conn = self.connect()
                conn.send(request)
                for _ in range(request.count(b"\r\n\r\n")):
                    response = conn.response(method)
                    self.assertEqual(response.status, 200, response)
                    self.assertEqual(response.body, b"" if method == "HEAD" else body)
                # Then spotnow-web hangs up.
                conn.wait_closed(30)

    def test_an_idle_connection_is_closed(self):
        body = self.reference()
        silent = self.connect()  # never sends a thing
        conn = self.connect()
        self.assertEqual(conn.exchange(http_request(FAST)).body, body)
        answered = time.monotonic()
        conn.wait_closed(3 * REQUEST_TIMEOUT_S * (5 if wrapped() else 1))
        # Kept for a while first: keep-alive is worth something.
        self.assertGreater(time.monotonic() - answered, REQUEST_TIMEOUT_S / 2)
        silent.wait_closed(3 * REQUEST_TIMEOUT_S * (5 if wrapped() else 1))
        self.assertEqual(self.answer(http_request(FAST)).body, body)

    def test_past_max_pending_the_oldest_is_closed(self):
        body = self.reference()
        oldest = self.connect()
        self.assertEqual(oldest.exchange(http_request(FAST)).body, body)
        answered = time.monotonic()
        idle = [socket.create_connection(("127.0.0.1", self.web_port), timeout=30)
                for _ in range(MAX_PENDING)]
        try:
            oldest.wait_closed(3 * REQUEST_TIMEOUT_S * (5 if wrapped() else 1))
            if not wrapped():
                # Closed for the bound, not because it was idle too long.
                self.assertLess(time.monotonic() - answered, REQUEST_TIMEOUT_S)
            newest = Connection(self.web_port)
            self.addCleanup(newest.close)
            self.assertEqual(newest.exchange(http_request(FAST)).body, body)
        finally:
            for s in idle:
                s.close()
        self.assertEqual(self.answer(http_request(FAST)).body, body)


class Greedy(FrontTestCase):
    def assert_greedy_dropped(self, batch):
        """Thousands of pipelined requests, @batch heads per send, their answers never read:
        everyone else is served meanwhile, and the greedy connection ends."""
        body = self.reference()
        count = 20000  # ~11 MB of answers, far beyond what the sockets' buffers hold
        greedy = self.connect(rcvbuf=4096, timeout=120)
        sent = {}

        def send_all():
            try:
                for _ in range(count // batch):
                    greedy.send(http_request(FAST) * batch)
                sent["result"] = "all sent"
            except OSError as e:
                sent["result"] = f"refused: {e}"
        sender = threading.Thread(target=send_all, daemon=True)
        sender.start()
        for _ in range(5):
            self.assertIsNone(self.web_proc.poll(), "spotnow-web died")
            self.assertEqual(self.answer(http_request(FAST)).body, body)
            self.assertEqual(self.answer(http_request("/card.svg")).status, 200)
        stream = EventStream(self.web_port)
        self.addCleanup(stream.close)
        self.assertEqual(stream.next_event()[2], json.loads(body))
        # Its requests are taken or refused: the sender does not hang.
        sender.join(120 * (5 if wrapped() else 1))
        self.assertFalse(sender.is_alive(), "the greedy client's requests are stuck")
        # Then the end of the connection, well before all its answers (a server that waited for
        # the client to read would send them all once it does, and keep the connection).
        answers = 0
        status_line = b"HTTP/1.1 200 OK"
        tail = b""  # too short to hold a whole status line: none is counted twice
        greedy.sock.settimeout(60 * (5 if wrapped() else 1))
        while True:
            try:
                chunk = greedy.sock.recv(1 << 20)
            except ConnectionResetError:
                break
            except TimeoutError:
                self.fail(f"the greedy connection is still open after {answers} answers "
                          f"({sent['result']})")
            if not chunk:
                break
            answers += (tail + chunk).count(status_line)
            tail = (tail + chunk)[-(len(status_line) - 1):]
        self.assertLess(answers, count, f"answered all of them ({sent['result']})")
        self.assertIsNone(self.web_proc.poll(), "spotnow-web died")
        self.assertEqual(self.answer(http_request(FAST)).body, body)

    def test_a_client_that_never_reads_is_dropped(self):
        # Whole heads in each send: every head the server peeks at is complete.
        self.assert_greedy_dropped(batch=100)

    def test_a_client_that_never_reads_is_dropped_whatever_its_segments(self):
        # One stream of bytes: the server may well catch up with the client mid-head.
        self.assert_greedy_dropped(batch=20000)


class HangUps(FrontTestCase):
    def test_clients_that_hang_up_early(self):
        body = self.reference()
        plain = http_request(FAST)

        def at_once(conn):
            pass

        def half_a_head(conn):
            conn.send(plain[:20])

        def a_whole_head_unread(conn):
            conn.send(plain)

        def many_unread(conn):
            conn.send(plain * 50 + http_request("/card.svg") + plain * 50)

        def reset(conn):
            conn.send(plain * 5)
            # SO_LINGER 0: the close is a reset, not a FIN.
            conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

        for hang_up in (at_once, half_a_head, a_whole_head_unread, many_unread, reset):
            with self.subTest(hang_up=hang_up.__name__):
                for _ in range(20):
                    conn = Connection(self.web_port)
                    hang_up(conn)
                    conn.close()
                self.assertIsNone(self.web_proc.poll(), "spotnow-web died")
                self.assertEqual(self.answer(plain).body, body)

    def test_half_closed_clients_are_answered_then_closed(self):
        body = self.reference()
        plain = http_request(FAST)
        # The client has said all it will: a whole head is answered, then the connection ends.
        conn = self.connect()
        conn.send(plain + plain)
        conn.sock.shutdown(socket.SHUT_WR)
        sent = time.monotonic()
        self.assertEqual(conn.response().body, body)
        self.assertEqual(conn.response().body, body)
        conn.wait_closed(30)
        if not wrapped():
            # At once, not at the idle deadline.
            self.assertLess(time.monotonic() - sent, REQUEST_TIMEOUT_S / 2)
        # Half a head that will never be finished: no answer but an error, then the end.
        conn = self.connect()
        conn.send(plain[:20])
        conn.sock.shutdown(socket.SHUT_WR)
        conn.sock.settimeout(30)
        rest = b""
        while True:
            try:
                chunk = conn.sock.recv(4096)
            except ConnectionResetError:
                break
            if not chunk:
                break
            rest += chunk
        self.assertFalse(rest.startswith(b"HTTP/1.1 2"), rest[:80])
        self.assertEqual(self.answer(plain).body, body)

    def open_fds(self):
        return len(os.listdir(f"/proc/{self.web_proc.pid}/fd"))

    def test_a_clients_close_is_noticed_at_once(self):
        # Whoever holds the connection then, the front or libsoup, and after one answer or
        # more, its end is closed at once (test_hostile.py counts descriptors after many
        # visitors; this is about when).
        body = self.reference()
        before = self.open_fds()
        for paths in ([FAST], [FAST, FAST], [FAST, "/card.svg"], ["/card.svg"], ["/widget.js"],
                      ["/no-such-page"]):
            for _ in range(20):
                conn = Connection(self.web_port)
                for path in paths:
                    conn.exchange(http_request(path))
                conn.close()
        # At once: well before the idle connections' deadline would close them anyway.
        self.wait_for(lambda: self.open_fds() <= before + 3, 30 if wrapped() else 4,
                      f"spotnow-web's descriptors back from {self.open_fds()} to {before}")
        self.assertEqual(self.answer(http_request(FAST)).body, body)


class AfterNowPlaying(FrontTestCase):
    polling = QUICK

    def test_the_event_stream_on_a_connection_that_asked_for_now_playing(self):
        body = self.reference()
        for first in ([("GET", FAST)], [("HEAD", FAST)], [("GET", FAST), ("GET", FAST)]):
            with self.subTest(first=first):
                conn = self.connect()
                for method, path in first:
                    response = conn.exchange(http_request(path, method), method)
                    self.assertEqual(response.status, 200, response)
                self.assertEqual(conn.buffer, b"")
                stream = EventStream(self.web_port, sock=conn.sock)
                self.addCleanup(stream.close)
                self.assertEqual(stream.status, 200)
                self.assertTrue(stream.headers["content-type"].startswith("text/event-stream"))
                _, name, doc = stream.next_event()
                self.assertEqual((name, doc), ("snapshot", json.loads(body)))
        # The stream goes on: the next change arrives on it.
        self.fake.timeline('100 track id=t2 name="Second Song" artists=B album=C duration=100\n')
        _, _, doc = stream.event_where(lambda d: d["trackName"] == "Second Song")
        self.assertEqual(doc["trackName"], "Second Song")

    def test_the_card_on_a_connection_that_asked_for_now_playing(self):
        body = self.reference()
        conn = self.connect()
        self.assertEqual(conn.exchange(http_request(FAST)).body, body)
        self.assertEqual(conn.exchange(http_request(FAST, "HEAD"), "HEAD").status, 200)
        card = conn.exchange(http_request("/card.svg"))
        self.assertEqual(card.status, 200, card)
        self.assertTrue(card.header("Content-Type").startswith("image/svg+xml"))
        self.assertIn(b"First Song", card.body)
        self.assertIn(b"</svg>", card.body)
        self.assert_next_answer(conn, card)


if __name__ == "__main__":
    main()
