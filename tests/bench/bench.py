"""spotnowd's benchmarks: `bench.py NAME` runs one and exits 1 if it missed a goal.

latency     cache reads vs the bus's own round trip (the C client does the calls)
coalescing  200 concurrent EnsureFresh on a stale cache against a slow upstream
idle        wake-ups and CPU with no viewers, scaled to the default 300 s safety interval
steady      a 10-track timeline with viewers at the default settings, vs naive pollers
memory      RSS after start, 100 000 mixed calls and a full viewer table
day         a working day against Spotify's daily quota, compressed (day.py)
"""

import json
import os
import statistics
import subprocess
import sys
import time

import benchlib
import day
from benchlib import Report, Rig, run_client
from harness import CP_PATH

HERE = os.path.dirname(os.path.abspath(__file__))
NAIVE = os.path.join(HERE, "naive_poller.py")


def naive(*args):
    out = subprocess.run([sys.executable, NAIVE, *map(str, args)], check=True,
                         stdout=subprocess.PIPE, text=True, timeout=600).stdout
    return json.loads(out)


# ---- 1. cache-read latency ------------------------------------------------------------------

def bench_latency(report):
    calls = 20000
    with Rig() as rig:
        rig.start_daemon()
        rig.wait_first_poll()
        r = run_client(rig, "latency", calls)
    report.add("latency-calls-each", int(r["calls-each"]))
    for kind in ("currently-playing", "ping", "property"):
        for stat in ("median", "p99", "min"):
            report.add(f"latency-{kind}-{stat}", r[f"{kind}-{stat}-us"], "µs")
    for stat in ("median", "p99"):
        cp, ping = r[f"currently-playing-{stat}-us"], r[f"ping-{stat}-us"]
        report.add(f"latency-ratio-{stat}", cp / ping, goal=1.5,
                   baseline=f"Peer.Ping {ping:.1f} µs; CurrentlyPlaying {cp:.1f} µs")
    # A GDBusProxy reads the Snapshot property from its cache: no round trip beats any.
    report.add("latency-property-vs-ping-median", r["property-median-us"] / r["ping-median-us"],
               goal=1.0, baseline=f"Snapshot property {r['property-median-us']:.1f} µs")
    # Where the difference goes: GDBus (de)serialising the bigger reply costs the same in any
    # process; the rest is the daemon's path (main-thread dispatch) and the bus's copy.
    excess = r["currently-playing-median-us"] - r["ping-median-us"]
    payload = sum(r[f"currently-playing-{side}-blob-us"] - r[f"ping-{side}-blob-us"]
                  for side in ("to", "from"))
    report.add("latency-reply-bytes-currently-playing", int(r["currently-playing-reply-bytes"]))
    report.add("latency-reply-bytes-ping", int(r["ping-reply-bytes"]))
    report.add("latency-excess-median", excess, "µs")
    report.add("latency-excess-gdbus-serialisation", payload, "µs")
    report.add("latency-excess-rest", excess - payload, "µs")


# ---- 2. coalescing --------------------------------------------------------------------------

def bench_coalescing(report):
    callers, delay, rounds = 200, 0.5, 5
    requests, ratios = [], []
    # A 1 s freshness window, so the cache is stale 1.5 s after each poll; no viewers, so
    # nothing else polls in between.
    with Rig(polling={"fresh-playing-s": "1"}) as rig:
        rig.start_daemon()
        rig.wait_first_poll()
        rig.fake.control("delay", s=delay)
        for _ in range(rounds):
            time.sleep(1.5)
            rig.fake.control("reset-stats")
            r = run_client(rig, "burst", callers)
            requests.append(rig.fake.requests(CP_PATH))
            ratios.append(r["burst-last-reply-ms"] / 1000 / delay)
            print(f"round: {requests[-1]} request(s), last reply after "
                  f"{r['burst-last-reply-ms']:.0f} ms (sending took {r['burst-send-ms']:.0f} ms)")
        base = naive("burst", rig.fake.url, callers)
    report.add("coalescing-callers", callers)
    report.add("coalescing-upstream-delay", delay, "s")
    report.add("coalescing-rounds", rounds)
    report.add("coalescing-upstream-requests-max", max(requests), goal=1, op="==",
               baseline=f"200 naive clients: {base['requests']}")
    report.add("coalescing-time-ratio-median", statistics.median(ratios), goal=1.1)
    report.add("coalescing-time-ratio-max", max(ratios), goal=1.1)
    report.add("coalescing-naive-upstream-requests", base["requests"])


# ---- 3. idle cost ---------------------------------------------------------------------------

DEFAULT_SAFETY_S = 300
POLL_WINDOW = (-0.25, 1.0)   # seconds around the moment the fake saw a poll's request
EPISODE_GAP = 0.5            # switches closer than this belong to one wake-up episode


def sample(rig, pid, seconds, period=0.05):
    """Every `period` s: switches and CPU of all the daemon's threads, its CPU ticks, and the
    fake's count of player requests. Reading /proc and the fake does not wake the daemon."""
    counters = benchlib.ThreadCounters(pid)
    rows = []
    start = time.monotonic()
    next_at = start
    while next_at < start + seconds:
        switches, cpu_ns = counters.read()
        rows.append((time.monotonic(), switches, cpu_ns, benchlib.cpu_ticks(pid),
                     rig.fake.requests(CP_PATH)))
        next_at += period
        time.sleep(max(0.0, next_at - time.monotonic()))
    return rows, counters.threads_born


def split(rows):
    """Per sampling period: its deltas, whether it lies in a poll window, and the polls."""
    polls = [t for (t, *_, req), prev in zip(rows[1:], rows) if req > prev[4]]
    periods = []
    for prev, cur in zip(rows, rows[1:]):
        t = cur[0]
        in_poll = any(p + POLL_WINDOW[0] <= t <= p + POLL_WINDOW[1] for p in polls)
        periods.append({"t": t, "sw": cur[1] - prev[1], "ns": cur[2] - prev[2],
                        "ticks": cur[3] - prev[3], "poll": in_poll})
    return polls, periods


def episodes(periods):
    """Wake-up episodes: runs of periods with context switches, split by EPISODE_GAP of quiet.
    Returns (start time, in a poll window, switches) per episode."""
    found, last_active = [], None
    for p in periods:
        if p["sw"] == 0:
            continue
        if last_active is None or p["t"] - last_active > EPISODE_GAP:
            found.append([p["t"], p["poll"], 0])
        found[-1][2] += p["sw"]
        found[-1][1] = found[-1][1] or p["poll"]
        last_active = p["t"]
    return found


def totals(periods, in_poll):
    chosen = [p for p in periods if p["poll"] == in_poll]
    return (sum(p["sw"] for p in chosen), sum(p["ns"] for p in chosen) / 1e6,
            sum(p["ticks"] for p in chosen))


def bench_idle(report):
    # Phase A, the brief's scaled hour: safety poll every 6 s, no viewers, 60 s. Gives the cost
    # of one poll on a kept-alive connection, and whether anything at all happens between
    # polls (it must not).
    scaled_interval, scaled_window = 6, 60
    with Rig(polling={"safety-interval-s": str(scaled_interval)}) as rig:
        pid = rig.start_daemon()
        rig.wait_first_poll()
        time.sleep(1.5)
        rows, born_a = sample(rig, pid, scaled_window)
    polls_a, periods_a = split(rows)
    eps_a = episodes(periods_a)
    sw_poll, ms_poll, ticks_poll = totals(periods_a, True)
    sw_between, ms_between, ticks_between = totals(periods_a, False)
    quiet_s = scaled_window - len(polls_a) * (POLL_WINDOW[1] - POLL_WINDOW[0])
    n = max(1, len(polls_a))
    report.add("idle-scaled-safety-interval", scaled_interval, "s")
    report.add("idle-scaled-window", scaled_window, "s")
    report.add("idle-scaled-polls", len(polls_a))
    report.add("idle-switches-per-poll-kept-alive", sw_poll / n)
    report.add("idle-cpu-per-poll-kept-alive", ms_poll / n, "ms")
    report.add("idle-episodes-per-poll-kept-alive", sum(1 for e in eps_a if e[1]) / n)
    report.add("idle-switches-between-polls", sw_between, goal=0, op="==")
    report.add("idle-ticks-between-polls", ticks_between, goal=0, op="==")
    report.add("idle-cpu-between-polls", ms_between, "ms")
    report.add("idle-threads-born", born_a)

    # Phase B: one gap long enough for what only happens after a long idle (libsoup closes a
    # kept-alive connection after its idle-timeout, 60 s in spotify-api.c), then a poll on a
    # new connection, as every poll at the default 300 s interval is.
    long_interval = 62
    with Rig(polling={"safety-interval-s": str(long_interval)}) as rig:
        pid = rig.start_daemon()
        rig.wait_first_poll()
        first_poll = time.monotonic()
        time.sleep(1.5)
        rows, born_b = sample(rig, pid, long_interval - 1.5 + 2.5)
    polls_b, periods_b = split(rows)
    eps_b = episodes(periods_b)
    if len(polls_b) != 1:
        raise RuntimeError(f"expected one poll in phase B, saw {len(polls_b)}")
    cycle_sw = sum(p["sw"] for p in periods_b)
    cycle_ms = sum(p["ns"] for p in periods_b) / 1e6
    cycle_ticks = sum(p["ticks"] for p in periods_b)
    sw_new, ms_new, _ = totals(periods_b, True)
    tail = [e for e in eps_b if not e[1]]
    report.add("idle-long-safety-interval", long_interval, "s")
    report.add("idle-switches-per-poll-new-connection", sw_new)
    report.add("idle-cpu-per-poll-new-connection", ms_new, "ms")
    report.add("idle-episodes-after-poll", len(tail))
    for e in tail:
        report.add("idle-episode-after-poll-at", round(e[0] - first_poll, 1), "s")
        report.add("idle-episode-after-poll-switches", e[2])

    # Per real hour at the default interval: one cycle of phase B (a poll on a new connection
    # and what follows it) per 300 s, plus phase A's between-poll rate, which is time-based.
    cycles = 3600 / DEFAULT_SAFETY_S
    episodes_cycle = sum(1 for e in eps_b if e[1]) + len(tail)
    between_eps = sum(1 for e in eps_a if not e[1])
    report.add("idle-wakeup-episodes-per-hour",
               cycles * episodes_cycle + 3600 * between_eps / quiet_s, goal=15)
    # The goal is on wake-ups, which the switch counters reveal; each wake-up for a poll takes
    # a few switches (timer, connection, reply), so their raw count is shown, not judged.
    report.add("idle-context-switches-per-hour", cycles * cycle_sw + 3600 * sw_between / quiet_s)
    report.add("idle-cpu-per-hour", cycles * cycle_ms + 3600 * ms_between / quiet_s, "ms")
    report.add("idle-ticks-per-hour", cycles * cycle_ticks + 3600 * ticks_between / quiet_s)
    report.note("per hour = 12 cycles of phase B (a poll on a new connection + the quiet after "
                "it, 62 s) + phase A's between-poll rate x 3600 s; an episode is a run of "
                f"context switches with less than {EPISODE_GAP} s of quiet inside")


# ---- 4. steady playback --------------------------------------------------------------------

TRACK_S, TRACKS, FRESH_PLAYING_S = 3, 10, 10   # FRESH_PLAYING_S: the daemon's default


def steady_timeline():
    """Ten 3 s tracks, then one long one: ten track changes at 3, 6, … 30 s."""
    lines = [f'{TRACK_S} track id=s{k} name="Song {k}" artists="Bench" album="Steady" '
             f"duration={TRACK_S}" for k in range(TRACKS)]
    lines.append('600 track id=after name="After" artists="Bench" album="Steady" duration=600')
    return "\n".join(lines) + "\n", [f"Song {k}" for k in range(1, TRACKS)] + ["After"]


def post_timeline(fake, text):
    """Restarts the fake's clock; returns the moment it did, to a few ms."""
    before = time.monotonic()
    fake.timeline(text)
    return (before + time.monotonic()) / 2


def lateness(observations, names, t0):
    """[(time, name)] -> lateness of the first sighting of each change, None if never seen."""
    out = []
    for k, name in enumerate(names, start=1):
        seen = [t for (t, n) in observations if n == name]
        out.append(min(seen) - (t0 + k * TRACK_S) if seen else None)
    return out


# The naive baselines: clients polling at the daemon's freshness window, and clients polling
# often enough to meet the lateness goal.
NAIVE_INTERVALS = {"naive": FRESH_PLAYING_S, "naive-2s": 2.0}


def run_steady(report, viewers):
    timeline, names = steady_timeline()
    run_s = TRACKS * TRACK_S + 3
    prefix = f"steady-{viewers}-viewer{'s' if viewers > 1 else ''}"
    fakes, procs, t0s, naive_results, naive_requests = {}, {}, {}, {}, {}
    with Rig() as rig:
        try:
            for kind in NAIVE_INTERVALS:
                os.mkdir(os.path.join(rig.workdir, kind))
                fakes[kind] = benchlib.FakeSpotify(os.path.join(rig.workdir, kind))
            changed = []
            rig.conn.signal_subscribe(
                benchlib.BUS_NAME, benchlib.INTERFACE, "Changed", benchlib.OBJECT_PATH, None,
                benchlib.Gio.DBusSignalFlags.NONE,
                lambda *a: changed.append((time.monotonic(), a[5].unpack()[0]["trackName"])))
            t0 = post_timeline(rig.fake, timeline)
            for kind, interval in NAIVE_INTERVALS.items():
                t0s[kind] = post_timeline(fakes[kind], timeline)
                procs[kind] = subprocess.Popen(
                    [sys.executable, NAIVE, "poll", fakes[kind].url, str(viewers), str(interval),
                     str(run_s - (time.monotonic() - t0s[kind]))],
                    stdout=subprocess.PIPE, text=True)
            rig.start_daemon()
            conns = [rig.bus.connect() for _ in range(viewers)]
            ttl_s = rig.status()["presenceTtlMs"] / 1000

            def heartbeat():
                for i, conn in enumerate(conns):
                    conn.call(benchlib.BUS_NAME, benchlib.OBJECT_PATH, benchlib.INTERFACE,
                              "ReportViewerPresence", benchlib.GLib.Variant("(s)", (f"v{i}",)),
                              None, benchlib.Gio.DBusCallFlags.NONE, 5000, None, None)
                return True

            heartbeat()
            loop = benchlib.GLib.MainLoop()
            benchlib.GLib.timeout_add(int(ttl_s / 2 * 1000), heartbeat)
            benchlib.GLib.timeout_add(int((t0 + run_s - time.monotonic()) * 1000), loop.quit)
            loop.run()
            requests = rig.fake.requests(CP_PATH)
            for kind in NAIVE_INTERVALS:
                naive_results[kind] = json.loads(procs[kind].communicate(timeout=60)[0])
                naive_requests[kind] = fakes[kind].requests(CP_PATH)
            for conn in conns:
                conn.close_sync(None)
        finally:
            for fake in fakes.values():
                fake.stop()

    # The start-up poll's Changed (nothing known -> Song 0) is the baseline, not a change.
    later = [c for c in changed if c[1] != "Song 0"]
    late = lateness(later, names, t0)
    seen = [x for x in late if x is not None]
    report.add(f"{prefix}-track-changes", len(names))
    report.add(f"{prefix}-changed-signals", len(later), goal=len(names), op="==")
    report.add(f"{prefix}-changes-missed", len(names) - len(seen), goal=0, op="==")
    if seen:
        report.add(f"{prefix}-lateness-max", max(seen), "s", goal=2.0)
        report.add(f"{prefix}-lateness-median", statistics.median(seen), "s")
    print(f"{prefix}-lateness-each: " + " ".join(f"{x:.2f}" if x is not None else "missed"
                                                  for x in late))
    report.add(f"{prefix}-upstream-requests", requests,
               baseline=f"naive pollers: {naive_requests['naive']} at {FRESH_PLAYING_S} s, "
               f"{naive_requests['naive-2s']} at 2 s")

    # The same N viewers as naive pollers, each asking Spotify itself every interval.
    for kind, result in naive_results.items():
        per_client = [[(t, n) for (c, t, n) in result["seen"] if c == i] for i in range(viewers)]
        naive_late = [x for obs in per_client for x in lateness(obs, names, t0s[kind])]
        naive_seen = [x for x in naive_late if x is not None]
        report.add(f"{prefix}-{kind}-upstream-requests", naive_requests[kind])
        report.add(f"{prefix}-{kind}-request-ratio", naive_requests[kind] / requests)
        report.add(f"{prefix}-{kind}-changes-missed-per-client",
                   (len(naive_late) - len(naive_seen)) / viewers)
        if naive_seen:
            report.add(f"{prefix}-{kind}-lateness-max", max(naive_seen), "s")


def bench_steady(report):
    report.add("steady-track-length", TRACK_S, "s")
    for viewers in (1, 10):
        run_steady(report, viewers)
    report.note("default [polling] settings; only the tracks are short (3 s); naive clients "
                f"poll every {FRESH_PLAYING_S} s (fresh-playing-s; 'naive') or every 2 s (the "
                "lateness goal; 'naive-2s'), spread evenly over one interval")


# ---- 5. memory ------------------------------------------------------------------------------

def mib(kib):
    return kib / 1024.0


def add_rss(report, prefix, rss, goal=None):
    report.add(f"{prefix}-rss", round(mib(rss["VmRSS"]), 2), "MiB", goal=goal)
    report.add(f"{prefix}-rss-anon", round(mib(rss["RssAnon"]), 2), "MiB")
    report.add(f"{prefix}-rss-file", round(mib(rss["RssFile"]), 2), "MiB")
    report.add(f"{prefix}-pss", round(mib(rss["Pss"]), 2), "MiB")


def bench_memory(report):
    goal = 6.0
    # EnsureFresh's window is long so every EnsureFresh in the mix is a cache hit, as the
    # benchmark intends; polling itself is measured elsewhere.
    with Rig(polling={"fresh-playing-s": "3600", "fresh-paused-s": "3600"}) as rig:
        pid = rig.start_daemon()
        rig.wait_first_poll()
        time.sleep(1)
        after_start = benchlib.rss_kib(pid)
        add_rss(report, "memory-after-start", after_start)

        r = run_client(rig, "mixed", 100000)
        report.add("memory-mixed-calls", int(r["mixed-calls"]))
        report.add("memory-mixed-errors", int(r["mixed-errors"]), goal=0, op="==")
        after_calls = benchlib.rss_kib(pid)
        add_rss(report, "memory-after-calls", after_calls)
        report.add("memory-growth-calls-vs-start",
                   round(mib(after_calls["VmRSS"] - after_start["VmRSS"]), 2), "MiB")

        client = rig.spawn([os.environ["SPN_BENCH_CLIENT"], "presence", rig.bus.address,
                            "100", "100"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        lines = {}
        for line in client.stdout:
            if line.strip() == "ready":
                break
            name, _, value = line.partition(": ")
            lines[name] = int(value)
        after_ids = benchlib.rss_kib(pid)
        client.stdin.write("go\n")
        client.stdin.flush()
        client.stdout.read()
        client.wait(30)
        for name in ("reports", "accepted", "busy", "other-errors", "table-held"):
            report.add(f"memory-presence-{name}", lines[f"presence-{name}"])
        add_rss(report, "memory-after-ids", after_ids)
        report.add("memory-growth-ids-vs-calls",
                   round(mib(after_ids["VmRSS"] - after_calls["VmRSS"]), 2), "MiB", goal=1.0)
        benchlib.wait_until(lambda: rig.status()["viewers"] == 0, 10, "viewers gone")
        add_rss(report, "memory-after-leave", benchlib.rss_kib(pid))

        floor = rig.spawn([os.environ["SPN_BENCH_FLOOR"], rig.fake.url + "/control/stats"],
                          stdout=subprocess.PIPE)
        if floor.stdout.readline().strip() != "ready":
            raise RuntimeError("bench-floor did not start")
        time.sleep(1)
        floor_rss = benchlib.rss_kib(floor.pid)
        add_rss(report, "memory-floor", floor_rss)
    # The goal is judged on what spotnow adds: VmRSS counts the shared pages of GIO, libsoup
    # and json-glib too (~8.5 MiB here), which no daemon linking them can avoid.
    for row, rss in (("after-start", after_start), ("after-calls", after_calls),
                     ("after-ids", after_ids)):
        report.set_baseline(f"memory-{row}-rss", f"floor {mib(floor_rss['VmRSS']):.2f} MiB")
        report.add(f"memory-{row}-rss-above-floor",
                   round(mib(rss["VmRSS"] - floor_rss["VmRSS"]), 2), "MiB", goal=goal)
    report.note("floor = a do-nothing GIO+libsoup+json-glib service that owns a bus name and "
                "fetched one JSON reply (tests/bench/bench-floor.c): what the libraries cost "
                "without any daemon code; pss shares library pages among the processes mapping "
                "them, so it depends on what else runs")


BENCHMARKS = {
    "latency": bench_latency,
    "coalescing": bench_coalescing,
    "idle": bench_idle,
    "steady": bench_steady,
    "memory": bench_memory,
    "day": day.bench_day,
}


def main():
    name = sys.argv[1]
    report = Report(name)
    BENCHMARKS[name](report)
    sys.exit(report.finish())


if __name__ == "__main__":
    main()
