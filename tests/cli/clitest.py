"""The real `spotnow` against the real spotnowd and tests/fake-spotify on a private bus.

Builds on tests/integration/harness.py (bus + fake + daemon per test case); adds running the CLI
the way a user, a script or a panel runs it. The binary comes from the environment: SPOTNOW.
"""

import os
import queue
import re
import signal
import subprocess
import threading
import time

from harness import BUS_NAME, INTERFACE, OBJECT_PATH, SpotnowTestCase

SPOTNOW = os.environ["SPOTNOW"]
NOT_RUNNING_HINT = "the spotnow daemon is not running; start it with"


def clock_to_s(text):
    """"1:23" or "1:02:03" → seconds."""
    seconds = 0
    for part in text.split(":"):
        seconds = seconds * 60 + int(part)
    return seconds


class CliProcess:
    """A running `spotnow`, its stdout read line by line as it comes (a panel's view of it)."""

    def __init__(self, args, env, stdin=subprocess.DEVNULL):
        self.proc = subprocess.Popen([SPOTNOW, *args], env=env, stdin=stdin,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines = queue.Queue()
        self.stderr_chunks = []
        self._out = threading.Thread(target=self._pump_stdout, daemon=True)
        self._err = threading.Thread(target=self._pump_stderr, daemon=True)
        self._out.start()
        self._err.start()

    def _pump_stdout(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def _pump_stderr(self):
        # Raw reads: a prompt has no newline to wait for.
        while True:
            chunk = self.proc.stderr.buffer.read1(4096)
            if not chunk:
                return
            self.stderr_chunks.append(chunk)

    def line(self, timeout=10.0):
        """The next line of stdout; None at its end; AssertionError after @timeout."""
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no output line within {timeout} s; stderr: {self.stderr()}")

    def pending_lines(self):
        out = []
        while True:
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                return out
            if line is not None:
                out.append(line)

    def write(self, text):
        self.proc.stdin.write(text)
        self.proc.stdin.flush()

    def close_stdin(self):
        self.proc.stdin.close()

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, timeout=10.0):
        code = self.proc.wait(timeout)
        self._out.join(5)
        self._err.join(5)
        return code

    def stderr(self):
        return b"".join(self.stderr_chunks).decode(errors="replace")

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for stream in (self.proc.stdout, self.proc.stderr, self.proc.stdin):
            if stream is not None and not stream.closed:
                try:
                    stream.close()
                except OSError:
                    pass


class CliTestCase(SpotnowTestCase):
    """SpotnowTestCase plus `spotnow` on the test's private bus."""

    def setUp(self):
        self.processes = []
        super().setUp()

    def tearDown(self):
        for process in self.processes:
            process.kill()
        super().tearDown()

    def cli_env(self, **extra):
        env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=self.bus.address, LC_ALL="C.UTF-8",
                   NO_COLOR="1")
        env.pop("G_MESSAGES_DEBUG", None)
        # No browser: a login test that wants one provides its own.
        empty = os.path.join(self.workdir, "xdg-empty")
        os.makedirs(empty, exist_ok=True)
        for var in ("XDG_DATA_HOME", "XDG_DATA_DIRS", "XDG_CONFIG_HOME", "XDG_CONFIG_DIRS"):
            env[var] = empty
        env.pop("BROWSER", None)
        env.update(extra)
        return env

    def spotnow(self, *args, input=None, timeout=30, env=None):
        """Runs spotnow to its end: CompletedProcess with text stdout/stderr."""
        return subprocess.run([SPOTNOW, *args], input=input, capture_output=True, text=True,
                              timeout=timeout, env=env or self.cli_env(),
                              stdin=None if input is not None else subprocess.DEVNULL)

    def spawn(self, *args, stdin=subprocess.DEVNULL, env=None):
        process = CliProcess(args, env or self.cli_env(), stdin=stdin)
        self.processes.append(process)
        return process

    def assertExit(self, result, code):
        self.assertEqual(result.returncode, code,
                         f"stdout: {result.stdout!r}\nstderr: {result.stderr!r}")

    def expected_position_s(self, snap):
        """The position spotnow should show now: extrapolated from fetchedAt while playing."""
        progress = snap["progressMs"]
        if snap["isPlaying"]:
            progress = min(snap["durationMs"],
                           progress + int(time.time() * 1000) - snap["fetchedAt"])
        return progress / 1000

    def assertPlayingLine(self, line, artist, title, length, snap):
        match = re.fullmatch(rf"▶ {re.escape(artist)} — {re.escape(title)} "
                             rf"\((\d+:\d\d)/{re.escape(length)}\)", line)
        self.assertIsNotNone(match, line)
        shown = clock_to_s(match.group(1))
        self.assertAlmostEqual(shown, self.expected_position_s(snap), delta=1.5, msg=line)

    def daemon_has_method(self, method):
        reply = self.conn.call_sync(BUS_NAME, OBJECT_PATH, "org.freedesktop.DBus.Introspectable",
                                    "Introspect", None, None, 0, 5000, None)
        xml = reply.unpack()[0]
        section = xml[xml.index(f'<interface name="{INTERFACE}"'):]
        section = section[:section.index("</interface>")]
        return f'<method name="{method}"' in section

    def wait_exit(self, process, timeout=10.0):
        try:
            return process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"spotnow still running after {timeout} s; "
                                 f"stderr: {process.stderr()}")


__all__ = ["CliTestCase", "CliProcess", "clock_to_s",
           "NOT_RUNNING_HINT", "signal"]
