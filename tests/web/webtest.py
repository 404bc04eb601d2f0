"""spotnow-web against the real daemon: tests/integration/harness.py's bus, fake Spotify and
spotnowd, plus the real spotnow-web on a reserved loopback port, and a raw HTTP client (so
every header and status is exactly what went over the wire)."""

import configparser
import http.client
import json
import os
import shlex
import socket
import subprocess
import tempfile
import time

from harness import MEMORY_ERROR, SpotnowTestCase, free_port, main  # noqa: F401

# Work directories of their own name: on a machine shared with other test runs, a cleanup of
# "spotnow-it-*" elsewhere must not take this run's files away mid-test (it did).
_mkdtemp = tempfile.mkdtemp


def _web_mkdtemp(suffix=None, prefix=None, dir=None):
    if prefix == "spotnow-it-":
        prefix = "spotnow-web-it-"
    return _mkdtemp(suffix, prefix, dir)


tempfile.mkdtemp = _web_mkdtemp


class WebTestCase(SpotnowTestCase):
    web = {}            # [web] keys for the config
    start_web = True

    def setUp(self):
        super().setUp()
        self.web_port = free_port()
        self.web_proc = None
        if self.start_web:
            self.start_web_server()

    def tearDown(self):
        problems = self.stop_web_server()
        super().tearDown()
        self.assertEqual(problems, [], "spotnow-web did not end cleanly")

    def write_config(self, **overrides):
        super().write_config(**overrides)
        if self.web:
            cfg = configparser.ConfigParser()
            cfg.optionxform = str
            cfg.read(self.config_path)
            cfg["web"] = dict(self.web)
            with open(self.config_path, "w") as f:
                cfg.write(f)

    def start_web_server(self, extra_args=(), wait=True):
        env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=self.bus.address,
                   G_MESSAGES_DEBUG="all", GIO_USE_PROXY_RESOLVER="dummy")
        self.web_log_path = os.path.join(self.workdir, f"spotnow-web-{time.time():.3f}.log")
        self.web_log = open(self.web_log_path, "w")
        # SPOTNOW_WEB_WRAPPER runs it under a tool, e.g. "valgrind --error-exitcode=1".
        wrapper = shlex.split(os.environ.get("SPOTNOW_WEB_WRAPPER", ""))
        self.web_proc = subprocess.Popen(
            [*wrapper, os.environ["SPOTNOW_WEB"], "--config", self.config_path,
             "--listen", f"127.0.0.1:{self.web_port}", *extra_args],
            env=env, stdout=self.web_log, stderr=subprocess.STDOUT)
        if wait:
            self.wait_for(lambda: self.web_answers(), timeout=30, what="spotnow-web listening")
            if self.daemon is not None:
                # HEAD: not a viewer heartbeat, so tests of presence start from none.
                self.wait_for(lambda: self.request("HEAD", "/api/now-playing")[0] == 200,
                              timeout=10,
                              what="spotnow-web following spotnowd")

    def stop_web_server(self):
        problems = []
        if self.web_proc is None:
            return problems
        if self.web_proc.poll() is None:
            self.web_proc.terminate()
            try:
                self.web_proc.wait(20)
            except subprocess.TimeoutExpired:
                self.web_proc.kill()
                self.web_proc.wait()
            if self.web_proc.returncode != 0:
                problems.append(f"spotnow-web: exit status {self.web_proc.returncode}")
        else:
            problems.append(f"spotnow-web died: exit status {self.web_proc.returncode}")
        self.web_log.close()
        try:
            with open(self.web_log_path, errors="replace") as f:
                for line in f:
                    if MEMORY_ERROR.search(line) or "CRITICAL" in line:
                        problems.append(line.strip())
        except FileNotFoundError:
            problems.append(f"{self.web_log_path} vanished")
        self.web_proc = None
        return problems

    def web_output(self):
        with open(self.web_log_path, errors="replace") as f:
            return f.read()

    def web_answers(self):
        try:
            with socket.create_connection(("127.0.0.1", self.web_port), timeout=1):
                return True
        except OSError:
            return False

    @property
    def base(self):
        return f"http://127.0.0.1:{self.web_port}"

    def request(self, method, path, headers=None, body=None, timeout=10):
        """(status, headers as a dict with lower-case names, body bytes)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.web_port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            reply = conn.getresponse()
            data = reply.read()
            return reply.status, {k.lower(): v for k, v in reply.getheaders()}, data
        finally:
            conn.close()

    def get_json(self, path="/api/now-playing", headers=None):
        status, hdrs, body = self.request("GET", path, headers)
        return status, hdrs, (json.loads(body) if body else None)

    def wait_for_json(self, predicate, timeout=10.0, what="/api/now-playing"):
        def check():
            status, _, doc = self.get_json()
            return doc if status == 200 and predicate(doc) else None
        return self.wait_for(check, timeout, what)

    def viewers(self):
        return self.status()["viewers"]


class EventStream:
    """One GET /api/events, read line by line from a raw socket (no buffering in between);
    on @sock, a connection already open (that has read every answer it asked for), if given."""

    def __init__(self, port, headers=None, timeout=10, sock=None):
        self.sock = sock or socket.create_connection(("127.0.0.1", port), timeout=timeout)
        lines = ["GET /api/events HTTP/1.1", f"Host: 127.0.0.1:{port}",
                 "Accept: text/event-stream"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.file = self.sock.makefile("rb")
        status_line = self.file.readline().decode()
        self.status = int(status_line.split()[1])
        self.headers = {}
        while True:
            line = self.file.readline().decode().rstrip("\r\n")
            if not line:
                break
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()
        self.chunked = self.headers.get("transfer-encoding") == "chunked"
        self.buffer = b""

    def _read_more(self):
        if self.chunked:
            size_line = self.file.readline()
            if not size_line:
                raise EOFError("stream closed")
            size = int(size_line.strip() or b"0", 16)
            if size == 0:
                raise EOFError("stream ended")
            data = self.file.read(size)
            self.file.readline()
        else:
            data = self.file.read1(4096)
            if not data:
                raise EOFError("stream closed")
        self.buffer += data

    def next_block(self):
        """The next SSE block (text up to a blank line)."""
        while b"\n\n" not in self.buffer:
            self._read_more()
        block, _, self.buffer = self.buffer.partition(b"\n\n")
        return block.decode()

    def next_event(self):
        """(id, event name, data) of the next event, skipping comments and retry hints."""
        while True:
            block = self.next_block()
            fields = {}
            for line in block.split("\n"):
                if line.startswith(":"):
                    continue
                name, _, value = line.partition(":")
                fields.setdefault(name, value[1:] if value.startswith(" ") else value)
            if "data" in fields:
                return int(fields.get("id", "0")), fields.get("event", "message"), \
                    json.loads(fields["data"])

    def event_where(self, predicate):
        """The first event whose data satisfies @predicate (earlier ones are skipped: the
        server may have opened the stream before it heard the daemon's latest change)."""
        while True:
            event = self.next_event()
            if predicate(event[2]):
                return event

    def close(self):
        self.file.close()
        self.sock.close()


class Nginx:
    """The real nginx (Debian's nginx-light), unprivileged from a private prefix, with the
    http-level @config (server blocks, upstreams) given by the caller."""

    def __init__(self, workdir, config):
        self.prefix = os.path.join(workdir, "nginx")
        os.makedirs(self.prefix, exist_ok=True)
        user = "user root;\n" if os.geteuid() == 0 else ""
        temp = "\n".join(f"  {kind}_temp_path {self.prefix}/{kind};"
                         for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        self.conf = os.path.join(self.prefix, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(f"{user}worker_processes 1;\nerror_log stderr;\n"
                    "events {\n  worker_connections 8192;\n}\n"
                    f"http {{\n  access_log off;\n{temp}\n{config}\n}}\n")
        self.log = open(os.path.join(workdir, "nginx.log"), "w")
        self.proc = subprocess.Popen(
            ["nginx", "-p", self.prefix, "-c", self.conf, "-g",
             f"daemon off; pid {self.prefix}/nginx.pid;"],
            stdout=self.log, stderr=subprocess.STDOUT)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def proxy_config(listen_port, upstream_port):
    """nginx in front of spotnow-web, as the README shows it (TLS left out)."""
    return f"""
  upstream spotnow_web {{
    server 127.0.0.1:{upstream_port};
    keepalive 16;
  }}
  server {{
    listen 127.0.0.1:{listen_port};
    # The event stream: unbuffered, and open as long as the visitor stays.
    location = /api/events {{
      proxy_pass http://spotnow_web;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_read_timeout 1h;
    }}
    location / {{
      proxy_pass http://spotnow_web;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }}
  }}
"""
