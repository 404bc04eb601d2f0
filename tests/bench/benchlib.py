"""Shared parts of the benchmarks: a rig of private bus + fake Spotify + spotnowd run as in
production (no debug logging, no malloc checking), /proc readings, and the report that prints
`name: value` lines and writes them to JSON in the build directory.

The bus and the fake come from tests/integration/harness.py, so the benchmarks drive the same
parts the integration tests do.
"""

import configparser
import json
import os
import shutil
import subprocess
import tempfile
import time

from harness import (BUS_NAME, INTERFACE, OBJECT_PATH, DBusDaemon,
                     FakeSpotify, Gio, GLib, now_ms)

# Only the timeline's length matters to these: a track long enough to never end mid-benchmark.
LONG_TRACK = \
    '100000 track id=t1 name="Long Song" artists="The Benchers" album="Bench" duration=100000\n'

# What the test environment sets for debugging and a production daemon would not have: they
# would slow the daemon (log writes, zeroed frees) and skew what is measured.
_DEBUG_ENV = ("G_MESSAGES_DEBUG", "G_DEBUG", "MALLOC_CHECK_", "MALLOC_PERTURB_", "G_SLICE")


class Rig:
    """A private bus, one fake Spotify and (once start_daemon() ran) spotnowd.

    polling: [polling] keys for config.ini; anything not given is the daemon's default.
    """

    def __init__(self, timeline=LONG_TRACK, polling=None):
        self.workdir = tempfile.mkdtemp(prefix="spotnow-bench-")
        self.state_dir = os.path.join(self.workdir, "state")
        self.config_path = os.path.join(self.workdir, "config.ini")
        self.bus = DBusDaemon()
        self.fake = FakeSpotify(self.workdir, timeline)
        self.daemon = None
        self._extra = []
        cfg = configparser.ConfigParser()
        cfg.optionxform = str
        cfg["spotify"] = {"client-id": "test-client", "api-base-url": self.fake.url,
                          "accounts-base-url": self.fake.url}
        cfg["polling"] = dict(polling or {})
        with open(self.config_path, "w") as f:
            cfg.write(f)
        os.makedirs(self.state_dir, mode=0o700)
        path = os.path.join(self.state_dir, "credentials.ini")
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            f.write("[credentials]\naccess-token=fake-access-0\nrefresh-token=fake-refresh-0\n"
                    f"expires-at={now_ms() + 3600 * 1000}\nscope=user-read-currently-playing\n")
        self.conn = self.bus.connect()

    def env(self):
        env = {k: v for k, v in os.environ.items() if k not in _DEBUG_ENV}
        env.update(DBUS_SESSION_BUS_ADDRESS=self.bus.address, GIO_USE_PROXY_RESOLVER="dummy",
                   GSETTINGS_BACKEND="memory")
        return env

    def start_daemon(self):
        self.daemon_log = open(os.path.join(self.workdir, "spotnowd.log"), "w")
        self.daemon = subprocess.Popen(
            [os.environ["SPOTNOWD"], "--config", self.config_path, "--state-dir", self.state_dir],
            env=self.env(), stdout=self.daemon_log, stderr=subprocess.STDOUT)
        wait_until(self.name_has_owner, 10, "spotnowd on the bus")
        return self.daemon.pid

    def spawn(self, args, **kwargs):
        """A helper process on this rig's bus; stopped with the rig."""
        proc = subprocess.Popen(args, env=self.env(), text=True, **kwargs)
        self._extra.append(proc)
        return proc

    def name_has_owner(self):
        reply = self.conn.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                    "org.freedesktop.DBus", "NameHasOwner",
                                    GLib.Variant("(s)", (BUS_NAME,)), GLib.VariantType("(b)"),
                                    Gio.DBusCallFlags.NONE, 2000, None)
        return reply.unpack()[0]

    def call(self, method, args=None, conn=None):
        reply = (conn or self.conn).call_sync(BUS_NAME, OBJECT_PATH, INTERFACE, method, args,
                                              None, Gio.DBusCallFlags.NO_AUTO_START, 20000, None)
        values = reply.unpack()
        return values[0] if len(values) == 1 else values

    def status(self):
        return self.call("GetStatus")

    def wait_first_poll(self):
        """Until the start-up poll has landed, so later measurements do not include it."""
        wait_until(lambda: self.call("CurrentlyPlaying")["fetchedAt"] > 0, 10, "first poll")

    def stop(self):
        for proc in self._extra:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(10)
        if self.daemon is not None:
            self.daemon.terminate()
            self.daemon.wait(10)
            self.daemon_log.close()
        self.conn.close_sync(None)
        self.fake.stop()
        self.bus.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def wait_until(predicate, timeout, what):
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


def run_client(rig, *args):
    """Runs spn-bench-client against the rig's bus; returns its `name: value` lines as a dict."""
    out = subprocess.run([os.environ["SPN_BENCH_CLIENT"], args[0], rig.bus.address,
                          *map(str, args[1:])], env=rig.env(), check=True,
                         stdout=subprocess.PIPE, text=True, timeout=600).stdout
    return parse_lines(out)


def parse_lines(text):
    values = {}
    for line in text.splitlines():
        name, sep, value = line.partition(": ")
        if sep:
            values[name] = float(value)
    return values


# ---- /proc ------------------------------------------------------------------------------------

def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None   # a thread that just exited


def status_fields(pid, task=None):
    base = f"/proc/{pid}" + (f"/task/{task}" if task else "")
    text = _read(base + "/status") or ""
    fields = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


def rss_kib(pid):
    """VmRSS and its anonymous and file-backed parts, and the proportional set size (shared
    pages divided among the processes mapping them), in KiB."""
    f = status_fields(pid)
    out = {k: int(f[k].split()[0]) for k in ("VmRSS", "RssAnon", "RssFile")}
    for line in (_read(f"/proc/{pid}/smaps_rollup") or "").splitlines():
        key, _, value = line.partition(":")
        if key == "Pss":
            out["Pss"] = int(value.split()[0])
    return out


def cpu_ticks(pid):
    """utime + stime of the whole process (exited threads included), in clock ticks."""
    text = _read(f"/proc/{pid}/stat")
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])


class ThreadCounters:
    """Context switches and on-CPU nanoseconds summed over every thread of a process.

    /proc/PID/status counts the main thread only, so every /proc/PID/task/TID is read. A thread
    that exits between two readings takes its last increments with it: the sampler reads often
    and remembers each thread's last values, so at most one sampling period of one short-lived
    thread can be missed, and thread births are counted separately.
    """

    def __init__(self, pid):
        self.pid = pid
        self.seen = {}          # tid -> (switches, cpu_ns) at its last reading
        self.threads_born = 0
        self.switches = 0
        self.cpu_ns = 0
        self._first = True
        self.read()

    def read(self):
        """Returns (switches, cpu ns) summed over all threads since the first reading."""
        for tid in os.listdir(f"/proc/{self.pid}/task"):
            f = status_fields(self.pid, tid)
            sched = _read(f"/proc/{self.pid}/task/{tid}/schedstat")
            if "voluntary_ctxt_switches" not in f or sched is None:
                continue
            sw = int(f["voluntary_ctxt_switches"]) + int(f["nonvoluntary_ctxt_switches"])
            ns = int(sched.split()[0])
            if tid not in self.seen:
                # Threads there at the first reading start from their counts then; a thread
                # born later did all its switching inside the measured period.
                self.seen[tid] = (sw, ns) if self._first else (0, 0)
                self.threads_born += 0 if self._first else 1
            old = self.seen[tid]
            self.switches += sw - old[0]
            self.cpu_ns += ns - old[1]
            self.seen[tid] = (sw, ns)
        self._first = False
        return self.switches, self.cpu_ns


def machine():
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    return {"cpus": os.cpu_count(), "loadavg": " ".join(load)}


# ---- the report -----------------------------------------------------------------------------

class Report:
    """`name: value` lines on stdout as they come, a goal check per line that has one, and at
    the end bench-<benchmark>.json plus the merged bench-results.json in SPN_BENCH_OUTDIR."""

    def __init__(self, benchmark):
        self.benchmark = benchmark
        self.rows = []
        self.notes = []
        self.start = machine()
        print(f"machine-cpus: {self.start['cpus']}")
        print(f"machine-loadavg-at-start: {self.start['loadavg']}")

    def add(self, name, value, unit="", goal=None, op="<=", baseline=None):
        row = {"name": name, "value": value, "unit": unit}
        shown = f"{value:.3f}".rstrip("0").rstrip(".") if isinstance(value, float) else value
        print(f"{name}: {shown}" + (f" {unit}" if unit else ""))
        if goal is not None:
            met = {"<=": value <= goal, "==": value == goal, ">=": value >= goal}[op]
            row.update(goal=goal, op=op, met=met)
            ratio = value / goal if goal else float("inf") if value else 0.0
            print(f"{name}-vs-goal: {ratio:.2f} (goal {op} {goal}{' ' + unit if unit else ''}: "
                  f"{'met' if met else 'MISSED'})")
        if baseline is not None:
            row["baseline"] = baseline
        self.rows.append(row)
        return value

    def set_baseline(self, name, baseline):
        """For a row whose baseline is measured after it."""
        for row in self.rows:
            if row["name"] == name:
                row["baseline"] = baseline

    def note(self, text):
        print(f"note: {text}")
        self.notes.append(text)

    def finish(self):
        end = machine()
        print(f"machine-loadavg-at-end: {end['loadavg']}")
        data = {"benchmark": self.benchmark, "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "machine": {"cpus": end["cpus"], "loadavg-start": self.start["loadavg"],
                            "loadavg-end": end["loadavg"]},
                "results": self.rows, "notes": self.notes}
        outdir = os.environ.get("SPN_BENCH_OUTDIR")
        if outdir:
            with open(os.path.join(outdir, f"bench-{self.benchmark}.json"), "w") as f:
                json.dump(data, f, indent=2)
            merged_path = os.path.join(outdir, "bench-results.json")
            merged = {}
            if os.path.exists(merged_path):
                with open(merged_path) as f:
                    merged = json.load(f)
            merged[self.benchmark] = data
            with open(merged_path + ".tmp", "w") as f:
                json.dump(merged, f, indent=2)
            os.replace(merged_path + ".tmp", merged_path)
        missed = [r["name"] for r in self.rows if r.get("met") is False]
        if missed:
            print("goals missed: " + ", ".join(missed))
        return 1 if missed else 0
