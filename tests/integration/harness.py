"""Real parts for integration tests: a private dbus-daemon, tests/fake-spotify on 127.0.0.1,
and the real spotnowd, with GIO as the D-Bus client.

Every test case gets its own bus, fake server, config and state dir, so cases cannot leak into
each other. Paths come from the environment meson sets: SPOTNOWD, FAKE_SPOTIFY, SPN_FIXTURES_DIR.
"""

import configparser
import fcntl
import glob
import json
import os
import random
import queue
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

BUS_NAME = "io.github.spotnow.NowPlaying1"
OBJECT_PATH = "/io/github/spotnow/NowPlaying1"
INTERFACE = "io.github.spotnow.NowPlaying1"
CP_PATH = "/v1/me/player/currently-playing"
TOKEN_PATH = "/api/token"

# Intervals scaled down so minutes of playback replay in seconds.
FAST_POLLING = {
    "safety-interval-s": "300",
    "fresh-playing-s": "10",
    "fresh-paused-s": "30",
    "presence-ttl-s": "60",
    "end-of-item-delay-s": "0.2",
    "backoff-initial-s": "0.3",
    "backoff-max-s": "2",
    "retry-after-default-s": "30",
    "token-refresh-margin-s": "60",
    # The request budget (rule 11) stretches the cadence; the tests of the other rules run
    # without it, and tests/integration/test_budget.py sets it.
    "budget-requests": "0",
}


# What a sanitizer or valgrind prints when it finds something in the daemon or the fake
# (build-aux/test.sh runs the integration suite under both). ASan and UBSan (with halt_on_error)
# also make the daemon's exit status non-zero, which stop() checks.
MEMORY_ERROR = re.compile(r"ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:"
                          r"|ERROR SUMMARY: [1-9]")


def now_ms():
    return int(time.time() * 1000)


def slowness():
    """How many times slower than plain the daemon runs: valgrind (SPOTNOWD_WRAPPER, as
    build-aux/test.sh's valgrind pass sets it) costs about an order of magnitude at start-up
    and several times per request. Waits for a condition scale by it; a bound a test judges
    the product by may too, when the bound is about the daemon's own speed."""
    return 5.0 if "valgrind" in os.environ.get("SPOTNOWD_WRAPPER", "") else 1.0


# Ports this process has reserved: the lock files stay open (and locked) until it exits.
_RESERVED_PORTS = []


def _ephemeral_range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = (int(v) for v in f.read().split())
            return low, high
    except (OSError, ValueError):
        return 32768, 60999


def free_port():
    """A loopback port for [spotify] redirect-port that nothing else will take meanwhile.

    Not bind(0): that hands out an ephemeral port, which any outgoing connection of a test
    running in parallel may take before the daemon binds it (CI saw exactly that). So the port
    comes from below the ephemeral range, and a lock file under /tmp keeps the tests of other
    processes off it for as long as this one runs.
    """
    low, high = _ephemeral_range()
    candidates = list(range(20000, low)) if low > 21000 else list(range(high + 1, 65536))
    lock_dir = os.path.join(tempfile.gettempdir(), "spotnow-test-ports")
    os.makedirs(lock_dir, exist_ok=True)
    rng = random.Random(os.getpid() ^ time.monotonic_ns())
    for port in rng.sample(candidates, min(200, len(candidates))):
        fd = os.open(os.path.join(lock_dir, str(port)), os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                os.close(fd)
                continue
        _RESERVED_PORTS.append(fd)
        return port
    raise RuntimeError("no free loopback port below the ephemeral range")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def authorize(url):
    """What a browser does with the authorize URL: returns the Location it is sent to."""
    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(url, timeout=5)
    except urllib.error.HTTPError as reply:
        if reply.code in (301, 302, 303, 307):
            return reply.headers["Location"]
        raise
    raise AssertionError("the authorize page did not redirect")


def browse(url):
    """GET @url like a browser: (status, page text)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as reply:
        return reply.code, reply.read().decode()


def register_fake_browser(workdir):
    """The desktop's default browser for http(s), registered the freedesktop way under
    @workdir/xdg-data and @workdir/xdg-config: it writes the address it is asked to open to the
    returned path. Run a client with XDG_DATA_HOME and XDG_CONFIG_HOME pointing there (and
    XDG_DATA_DIRS away from the host's) and g_app_info_launch_default_for_uri() reaches it."""
    data = os.path.join(workdir, "xdg-data")
    config = os.path.join(workdir, "xdg-config")
    opened = os.path.join(workdir, "opened-url")
    os.makedirs(os.path.join(data, "applications"), exist_ok=True)
    os.makedirs(config, exist_ok=True)
    script = os.path.join(workdir, "fake-browser")
    with open(script, "w") as f:
        f.write(f'#!/bin/sh\nprintf "%s\\n" "$1" > "{opened}.tmp" && mv "{opened}.tmp" '
                f'"{opened}"\n')
    os.chmod(script, 0o755)
    with open(os.path.join(data, "applications", "fake-browser.desktop"), "w") as f:
        f.write("[Desktop Entry]\nType=Application\nName=Fake Browser\n"
                f"Exec={script} %u\nMimeType=x-scheme-handler/http;x-scheme-handler/https;\n")
    with open(os.path.join(config, "mimeapps.list"), "w") as f:
        f.write("[Default Applications]\nx-scheme-handler/http=fake-browser.desktop\n"
                "x-scheme-handler/https=fake-browser.desktop\n")
    return opened


class FakeSpotify:
    def __init__(self, workdir, timeline=None, extra_args=()):
        args = [os.environ["FAKE_SPOTIFY"], "--port", "0",
                "--fixtures", os.environ["SPN_FIXTURES_DIR"], "--client-id", "test-client"]
        if timeline is not None:
            path = os.path.join(workdir, "timeline.txt")
            with open(path, "w") as f:
                f.write(timeline)
            args += ["--timeline", path]
        args += list(extra_args)
        self.log = open(os.path.join(workdir, "fake-spotify.log"), "w")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"fake-spotify did not start: {line!r}")
        self.port = int(line.split()[1])
        self.url = f"http://127.0.0.1:{self.port}"

    def control(self, what, body=None, **params):
        query = "&".join(f"{k.replace('_', '-')}={v}" for k, v in params.items())
        url = f"{self.url}/control/{what}" + (f"?{query}" if query else "")
        data = body.encode() if isinstance(body, str) else body
        req = urllib.request.Request(url, data=data if data is not None else b"", method="POST")
        with urllib.request.urlopen(req, timeout=5) as reply:
            return json.loads(reply.read() or b"{}")

    def stats(self):
        with urllib.request.urlopen(f"{self.url}/control/stats", timeout=5) as reply:
            return json.loads(reply.read())

    def requests(self, path=CP_PATH):
        return self.stats()["requests"].get(path, 0)

    def api_requests(self, stats=None):
        """Requests to Spotify's API and accounts service: everything but album art downloads,
        which come from Spotify's image CDN and do not count against the API quota."""
        stats = stats or self.stats()
        return sum(n for path, n in stats["requests"].items() if not path.startswith("/image/"))

    def fault(self, kind, **params):
        return self.control("fault", kind=kind, **params)

    def timeline(self, text):
        return self.control("timeline", body=text)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(5)
        self.proc.stdout.close()
        self.log.close()


LOCAL_SPOTIFY_NAME = "org.mpris.MediaPlayer2.spotify"
LOCAL_SPOTIFY = os.environ.get("SPN_LOCAL_SPOTIFY") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "local-spotify", "local_spotify.py")


class LineProcess:
    """A child spoken to line by line: send() writes one line to its stdin; its stdout's lines
    (newline removed) arrive in .lines, read on a thread of their own, then None at its end."""

    def __init__(self, argv, env, **popen_kwargs):
        self.proc = subprocess.Popen(argv, env=env, text=True, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, **popen_kwargs)
        self.lines = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def send(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()


class LocalSpotify(LineProcess):
    """tests/local-spotify/local_spotify.py on the bus at @bus_address: the Spotify desktop
    client's MPRIS player. Each method sends one command and returns once the player answered
    (its signals are on the bus by then); see that file for the commands."""

    def __init__(self, bus_address, timeout=10):
        super().__init__(["/usr/bin/python3", LOCAL_SPOTIFY],
                         dict(os.environ, DBUS_SESSION_BUS_ADDRESS=bus_address))
        self._unanswered = []
        self._expect("READY", timeout)

    def _expect(self, prefix, timeout=10):
        try:
            line = self.lines.get(timeout=timeout)
            line = "EOF" if line is None else line.strip()
        except queue.Empty:
            line = f"nothing in {timeout} s"
        if not line.startswith(prefix):
            raise RuntimeError(f"local Spotify said {line!r}, expected {prefix}")
        return line

    def command(self, *words, wait=True):
        """Sends one command; with wait=False returns at once, and settle() checks the answers
        (a benchmark driving several clients at one moment must not wait on each in turn)."""
        self.send(" ".join(shlex.quote(str(w)) for w in words))
        if not wait:
            self._unanswered.append(words[0])
            return None
        self.settle()
        return self._expect(f"OK {words[0]}")

    def settle(self, timeout=10):
        """Waits for the answers of the commands sent with wait=False."""
        while self._unanswered:
            self._expect(f"OK {self._unanswered.pop(0)}", timeout)

    def play(self, track_id, title, artists, album, length_s, wait=True):
        """@artists: a list, or one string of names separated by '|'."""
        if not isinstance(artists, str):
            artists = "|".join(artists)
        return self.command("play", track_id, title, artists, album, length_s, wait=wait)

    def pause(self):
        return self.command("pause")

    def resume(self):
        return self.command("resume")

    def stop(self):
        return self.command("stop")

    def seek(self, seconds):
        return self.command("seek", seconds)

    def remote(self):
        return self.command("remote")

    def quit(self):
        """Leaves the bus; returns its exit status."""
        self.settle()
        if self.proc.poll() is None:
            self.proc.stdin.close()
        self.proc.wait(10)
        return self.proc.returncode


class ActivatingBus:
    """A private session bus that D-Bus-activates the build's spotnowd, with .home_config (in
    @workdir) as its XDG_CONFIG_HOME (the bus passes its environment to what it starts), for
    tests of a daemon that activation cannot start: they write .user_config, the config.ini
    the daemon reads there, before the first activation."""

    def __init__(self, workdir, state_dir):
        self.home_config = home_config = os.path.join(workdir, "home-config")
        self.user_config = os.path.join(home_config, "spotnow", "config.ini")
        os.makedirs(os.path.dirname(self.user_config))
        services = os.path.join(workdir, "data", "dbus-1", "services")
        os.makedirs(services)
        with open(os.path.join(services, f"{BUS_NAME}.service"), "w") as f:
            f.write(f"[D-BUS Service]\nName={BUS_NAME}\n"
                    f"Exec={os.environ['SPOTNOWD']} --session --state-dir {state_dir}\n")
        env = dict(os.environ, XDG_DATA_HOME=os.path.join(workdir, "data"),
                   XDG_CONFIG_HOME=home_config, GIO_USE_PROXY_RESOLVER="dummy",
                   XDG_CACHE_HOME=os.path.join(workdir, "cache"),
                   DBUS_SYSTEM_BUS_ADDRESS="unix:path=/nonexistent/spotnow-test")
        self.proc = subprocess.Popen(
            ["dbus-daemon", "--session", "--nofork", "--print-address=1"], env=env,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.address = self.proc.stdout.readline().strip()
        if not self.address:
            raise RuntimeError("dbus-daemon did not start")
        self.conn = Gio.DBusConnection.new_for_address_sync(
            self.address, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
            | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)

    def owner_pid(self):
        """The process that owns the daemon's name, or None."""
        try:
            reply = self.conn.call_sync(
                "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                "GetConnectionUnixProcessID", GLib.Variant("(s)", (BUS_NAME,)), None,
                Gio.DBusCallFlags.NONE, 2000, None)
        except GLib.Error:
            return None
        return reply.unpack()[0]

    def stop(self, case):
        """Ends the daemon it started (waiting with @case.wait_for), then the bus."""
        pid = self.owner_pid()
        if pid:
            os.kill(pid, signal.SIGTERM)
            case.wait_for(lambda: not os.path.exists(f"/proc/{pid}"), what="spotnowd to end")
        self.conn.close_sync(None)
        self.proc.terminate()
        self.proc.wait(5)
        self.proc.stdout.close()


class DBusDaemon:
    def __init__(self):
        self.proc = subprocess.Popen(
            ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.address = self.proc.stdout.readline().strip()
        if not self.address:
            raise RuntimeError("dbus-daemon did not start")

    def connect(self):
        return Gio.DBusConnection.new_for_address_sync(
            self.address,
            Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
            | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(5)
        self.proc.stdout.close()


class SpotnowTestCase(unittest.TestCase):
    """Starts bus + fake + daemon per test. Override class attributes to shape them."""

    timeline = "1000 track id=t1 name=\"First Song\" artists=\"The Testers\" album=\"Test Album\" duration=1000\n"
    polling = {}           # overrides of FAST_POLLING
    spotify = {}           # extra [spotify] keys
    redirect_port = False  # True: reserve a [spotify] redirect-port for sign-in, as self.port
    client_id = "test-client"  # None: a config without one
    credentials = True     # write a credentials.ini before start
    fake_args = ()
    start_daemon = True

    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="spotnow-it-")
        self.state_dir = os.path.join(self.workdir, "state")
        self.config_path = os.path.join(self.workdir, "config.ini")
        self.bus = DBusDaemon()
        self.fake = FakeSpotify(self.workdir, self.timeline, self.fake_args)
        if self.redirect_port:
            self.port = free_port()
            self.spotify = {**self.spotify, "redirect-port": str(self.port)}
        self.write_config()
        if self.credentials:
            self.write_credentials()
        self.conn = self.bus.connect()
        self.daemon = None
        self.daemon_problems = []
        self.signals = []
        self._subscription = self.conn.signal_subscribe(
            BUS_NAME, INTERFACE, None, OBJECT_PATH, None, Gio.DBusSignalFlags.NONE,
            self._on_signal)
        if self.start_daemon:
            self.start()

    def tearDown(self):
        self.conn.signal_unsubscribe(self._subscription)
        self.stop()
        self.conn.close_sync(None)
        self.fake.stop()
        self.bus.stop()
        problems = self.daemon_problems + self.memory_errors()
        if os.environ.get("SPN_KEEP_WORKDIR") or problems:
            print("workdir kept:", self.workdir)
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)
        self.assertEqual(problems, [], "spotnowd or fake-spotify did not end cleanly")

    def memory_errors(self):
        """Every daemon this case started, --replace'd ones included, and the fake, by their
        logs."""
        found = []
        logs = glob.glob(os.path.join(self.workdir, "spotnowd-*.log"))
        for path in sorted(logs) + [os.path.join(self.workdir, "fake-spotify.log")]:
            with open(path, errors="replace") as f:
                for line in f:
                    if MEMORY_ERROR.search(line):
                        found.append(f"{os.path.basename(path)}: {line.strip()}")
                        break
        return found

    # ---- set-up pieces ----------------------------------------------------------------------

    def write_config(self, **overrides):
        cfg = configparser.ConfigParser()
        cfg.optionxform = str
        cfg["spotify"] = {"api-base-url": self.fake.url, "accounts-base-url": self.fake.url,
                          **self.spotify}
        if self.client_id is not None:
            cfg["spotify"]["client-id"] = self.client_id
        cfg["polling"] = {**FAST_POLLING, **self.polling, **overrides}
        with open(self.config_path, "w") as f:
            cfg.write(f)

    def write_credentials(self, access="fake-access-0", refresh="fake-refresh-0",
                          expires_at=None, scope="user-read-currently-playing"):
        os.makedirs(self.state_dir, mode=0o700, exist_ok=True)
        if expires_at is None:
            expires_at = now_ms() + 3600 * 1000
        path = os.path.join(self.state_dir, "credentials.ini")
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            f.write(f"[credentials]\naccess-token={access}\nrefresh-token={refresh}\n"
                    f"expires-at={expires_at}\nscope={scope}\n")

    def read_keyfile(self, name):
        cfg = configparser.ConfigParser(interpolation=None)
        cfg.optionxform = str
        with open(os.path.join(self.state_dir, name)) as f:
            cfg.read_file(f)
        return cfg

    def start(self, extra_args=(), wait=True):
        env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=self.bus.address,
                   G_MESSAGES_DEBUG="all", GIO_USE_PROXY_RESOLVER="dummy",
                   XDG_CACHE_HOME=os.path.join(self.workdir, "cache"),
                   # The host's logind must not count as a viewer in these tests; a test that
                   # brings its own system bus (python-dbusmock's logind) sets the variable.
                   DBUS_SYSTEM_BUS_ADDRESS=os.environ.get(
                       "DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/spotnow-test"))
        self.daemon_log_path = os.path.join(self.workdir, f"spotnowd-{time.time():.3f}.log")
        self.daemon_log = open(self.daemon_log_path, "w")
        # SPOTNOWD_WRAPPER runs the daemon under a tool, e.g. "valgrind --error-exitcode=1".
        wrapper = shlex.split(os.environ.get("SPOTNOWD_WRAPPER", ""))
        self.daemon = subprocess.Popen(
            [*wrapper, os.environ["SPOTNOWD"], "--config", self.config_path, "--state-dir",
             self.state_dir, *extra_args],
            env=env, stdout=self.daemon_log, stderr=subprocess.STDOUT)
        if wait:
            self.wait_for(lambda: self.name_has_owner(), timeout=10, what="spotnowd on the bus")

    def stop(self, sig=signal.SIGTERM):
        if self.daemon is None:
            return None
        terminated = self.daemon.poll() is None and sig == signal.SIGTERM
        if self.daemon.poll() is None:
            self.daemon.send_signal(sig)
            try:
                self.daemon.wait(30)
            except subprocess.TimeoutExpired:
                self.daemon.kill()
                self.daemon.wait()
        code = self.daemon.returncode
        # A clean SIGTERM exit is 0; a sanitizer or valgrind error makes it non-zero.
        if terminated and code != 0:
            self.daemon_problems.append(
                f"{os.path.basename(self.daemon_log_path)}: exit status {code} after SIGTERM")
        self.daemon_log.close()
        self.daemon = None
        return code

    def daemon_output(self):
        with open(self.daemon_log_path) as f:
            return f.read()

    # ---- D-Bus --------------------------------------------------------------------------------

    def name_has_owner(self):
        reply = self.conn.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                    "org.freedesktop.DBus", "NameHasOwner",
                                    GLib.Variant("(s)", (BUS_NAME,)), GLib.VariantType("(b)"),
                                    Gio.DBusCallFlags.NONE, 2000, None)
        return reply.unpack()[0]

    def call(self, method, args=None, conn=None, timeout_ms=20000):
        conn = conn or self.conn
        reply = conn.call_sync(BUS_NAME, OBJECT_PATH, INTERFACE, method, args, None,
                               Gio.DBusCallFlags.NO_AUTO_START, timeout_ms, None)
        values = reply.unpack()
        return values[0] if len(values) == 1 else values

    def snapshot(self):
        return self.call("CurrentlyPlaying")

    def status(self):
        return self.call("GetStatus")

    def ensure_fresh(self):
        return self.call("EnsureFresh")

    def report(self, viewer_id="test-viewer", conn=None):
        return self.call("ReportViewerPresence", GLib.Variant("(s)", (viewer_id,)), conn=conn)

    def assertDBusError(self, name, method, args=None, conn=None):
        with self.assertRaises(GLib.Error) as ctx:
            self.call(method, args, conn=conn)
        remote = Gio.DBusError.get_remote_error(ctx.exception)
        self.assertEqual(remote, name, ctx.exception.message)
        return ctx.exception

    def _on_signal(self, conn, sender, path, iface, name, params):
        self.signals.append((time.monotonic(), name, params.unpack()[0]))

    def changed_signals(self):
        return [s for (_, n, s) in self.signals if n == "Changed"]

    # ---- waiting ------------------------------------------------------------------------------

    def pump(self, seconds):
        """Run the main context for a while so signals and async replies arrive."""
        ctx = GLib.MainContext.default()
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            while ctx.pending():
                ctx.iteration(False)
            time.sleep(0.005)

    def wait_for(self, predicate, timeout=10.0, what="condition"):
        """Runs the main context until @predicate is true; fails after @timeout seconds, times
        slowness(): a condition that holds comes no later for a longer limit."""
        ctx = GLib.MainContext.default()
        timeout *= slowness()
        end = time.monotonic() + timeout
        while True:
            while ctx.pending():
                ctx.iteration(False)
            result = predicate()
            if result:
                return result
            if time.monotonic() > end:
                self.fail(f"timed out after {timeout} s waiting for {what}")
            time.sleep(0.02)

    def wait_for_snapshot(self, predicate, timeout=10.0, what="snapshot"):
        return self.wait_for(lambda: (lambda s: s if predicate(s) else None)(self.snapshot()),
                             timeout, what)


def main():
    unittest.main(verbosity=2)
