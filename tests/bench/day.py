"""The `day` benchmark: one working day of listening against Spotify's daily quota (doc/design.md
section 4, rules 11-14), compressed FACTOR times, for spotnowd at its defaults, spotnowd with
budget-requests=0 (the behaviour before the budget), the same on an account without a quota, and
a naive poller.

The day (seeded, so runs compare): nights idle; a desktop session active 9:00-18:00 (python-
dbusmock's logind on a private system bus, as tests/mpris/test_desktop.py does it) and locked over
lunch 12:00-13:00; three listening sessions on the phone of 2.5-2.75 h (tracks of 2:30-4:30,
some skipped, some paused for 1-10 min), in the third of which about an hour plays on
the desktop client instead (tests/local-spotify, while the fake's timeline shows the same tracks).
Every fake enforces a quota of QUOTA requests per day-window.

Compression: every [polling] interval, the presence TTL, the budget window, the end-of-item delay
and the back-off times are divided by FACTOR, and so are the timeline's holds, durations and
progress, and the quota window, so every schedule the daemon makes runs FACTOR times faster
against a fake whose clock does too. What does not compress is the time a request, a reply and a
D-Bus signal take: so a change's lateness is measured in two parts, the wait before the request
that revealed it (from the moment the fake made the change to the moment it served a reply
carrying it, on the fake's own monotonic clock), which is scaled by FACTOR, and the rest (reply,
parse, `Changed`), which is counted as it is. A change that never needed a request (the local
client's MPRIS) is counted as it is.
"""

import contextlib
import json
import math
import os
import random
import subprocess
import sys
import threading
import time
from collections import namedtuple

import dbus
import dbusmock

import benchlib
from benchlib import Rig
from harness import BUS_NAME, INTERFACE, OBJECT_PATH, FakeSpotify, Gio, GLib, LocalSpotify

HERE = os.path.dirname(os.path.abspath(__file__))
NAIVE = os.path.join(HERE, "naive_poller.py")

SEED = 20261207
# 120: a day in 12 minutes, all columns at once. Request, reply and timer overheads of a few ms
# are scaled with the wait they end (see judge()); at 120 a ms is 0.12 s of day, small beside the
# goals, where 200 (0.2 s) ate half the 2 s goal's margin on a loaded machine.
FACTOR = float(os.environ.get("SPN_DAY_FACTOR", "120"))
QUOTA = 1200                 # requests per day-window, as users report refusals after 1,100-2,600
DAY_S = 86400
NAIVE_INTERVAL_S = 10


def hm(hours, minutes=0):
    return (hours * 60 + minutes) * 60


DESK = (hm(9), hm(18))                # the desktop session is active
LUNCH = (hm(12), hm(13))              # … and locked
LOCAL = (hm(16), hm(17))              # the desktop client plays (whole tracks within it)
SESSIONS = [(hm(9, 5), hm(11, 45)), (hm(12, 15), hm(14, 45)), (hm(15), hm(17, 45))]
TRACK_S = (150, 270)                  # uniform: 3.5 min on average
SKIP_P, SKIP_AT = 0.12, (0.1, 0.8)    # a track skipped this often, this far through
PAUSE_P, PAUSE_S = 0.04, (60, 600)    # paused this often, for this long
LOCAL_SPAWN_AHEAD_S = hm(0, 5)        # the desktop client starts 5 min before it plays

# spotnowd's defaults (doc/design.md section 5) for everything that is a duration.
SCALED_DEFAULTS = {
    "safety-interval-s": 300, "fresh-playing-s": 10, "fresh-paused-s": 30, "presence-ttl-s": 60,
    "end-of-item-delay-s": 1, "backoff-initial-s": 10, "backoff-max-s": 300,
    "retry-after-default-s": 30, "budget-window-s": DAY_S,
}

VARIANTS = {   # name: [polling] keys beside the scaled defaults, and whether the quota is on
    "defaults": ({}, True),
    "budget-0": ({"budget-requests": "0"}, True),
    "budget-0-no-quota": ({"budget-requests": "0"}, False),
}

LOGIND = "org.freedesktop.login1"
SESSION_IFACE = "org.freedesktop.login1.Session"
USER_IFACE = "org.freedesktop.login1.User"
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
FAULT_LABELS = {"quota", "garbage", "truncated", "reset", "huge", "json"}

Track = namedtuple("Track", "id name artists album duration")   # duration in real ms
Step = namedtuple("Step", "kind start track progress")             # lasts until the next one
Event = namedtuple("Event", "at kind name playing watched")       # at: real ms from day start


def real_ms(day_s):
    return round(day_s * 1000 / FACTOR)


def day_s(real_ms_):
    return real_ms_ * FACTOR / 1000


def clock(at):
    """Real ms from day start as the day's hh:mm:ss."""
    t = round(day_s(at))
    return f"{t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d}"


def watched(at):
    t = day_s(at)
    return DESK[0] <= t < DESK[1] and not LUNCH[0] <= t < LUNCH[1]


# ---- the day's plan ------------------------------------------------------------------------------

class Plan:
    """The day as timeline steps (real ms from day start), the changes a viewer should see, and
    the desktop client's tracks."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.steps = [Step("nothing", 0, None, 0)]
        self.count = 0
        self.local_tracks = []
        for i, (start, end) in enumerate(SESSIONS):
            if i < len(SESSIONS) - 1:
                self.phone(real_ms(start), real_ms(end), cut=False)
                continue
            self.phone(real_ms(start), real_ms(LOCAL[0]), cut=True)
            self.local = (real_ms(LOCAL[0]), self.desktop(real_ms(LOCAL[0]), real_ms(LOCAL[1])))
            self.phone(self.local[1], real_ms(end), cut=False)
        self.events = self.changes()

    def new_track(self):
        self.count += 1
        n = self.count
        return Track("".join(self.rng.choice(BASE62) for _ in range(22)), f"Song {n:03d}",
                     self.rng.choice(["Ann", "The Bs", "Cy & Di", "Ed|Flo"]),
                     f"Album {n // 12 + 1}", real_ms(self.rng.uniform(*TRACK_S)))

    def phone(self, t, end, cut):
        """Tracks from @t, with skips and pauses; until @end cuts the last one (cut) or the track
        playing at @end ends and nothing follows."""
        track, progress = self.new_track(), 0
        while True:
            self.steps.append(Step("track", t, track, progress))
            left = track.duration - progress
            r = self.rng.random()
            if r < PAUSE_P:
                at = t + int(left * self.rng.uniform(0.1, 0.9))
                pause = real_ms(self.rng.uniform(*PAUSE_S))
                if at < end and not (cut and at + pause >= end):
                    self.steps.append(Step("paused", at, track, progress + at - t))
                    t, progress = at + pause, progress + at - t
                    continue
            elif r < PAUSE_P + SKIP_P:
                at = t + int(left * self.rng.uniform(*SKIP_AT))
                if at < end:
                    t, track, progress = at, self.new_track(), 0
                    continue
            if t + left >= end:
                if not cut:
                    self.steps.append(Step("nothing", t + left, track, 0))
                return
            t, track, progress = t + left, self.new_track(), 0

    def desktop(self, t, end):
        """Whole tracks on the desktop client from @t while they end by @end; returns their end."""
        while True:
            track = self.new_track()
            if self.local_tracks and t + track.duration > end:
                return t
            self.local_tracks.append((t, track))
            self.steps.append(Step("track", t, track, 0))
            t += track.duration

    def changes(self):
        events = []
        for prev, cur in zip(self.steps, self.steps[1:]):
            ended = prev.kind == "track" and cur.start == prev.start + prev.track.duration - \
                prev.progress
            natural = ended and (cur.kind == "nothing" or cur.progress == 0)
            name = cur.track.name if cur.track else None
            events.append(Event(cur.start, "natural" if natural else "action", name,
                                cur.kind == "track", watched(cur.start)))
        return events

    def timeline(self):
        lines = []
        for cur, nxt in zip(self.steps, self.steps[1:] + [None]):
            hold = (nxt.start - cur.start) / 1000 if nxt else 1
            if cur.kind == "track":
                t = cur.track
                lines.append(f'{hold:.3f} track id={t.id} name="{t.name}" artists="{t.artists}" '
                             f'album="{t.album}" duration={t.duration / 1000:.3f} '
                             f"progress={cur.progress / 1000:.3f}")
            else:
                lines.append(f"{hold:.3f} {cur.kind}")
        return "\n".join(lines) + "\n"


# ---- the rigs ----------------------------------------------------------------------------------

class Logind:
    """python-dbusmock's logind on a private system bus, with the user's graphical session c1
    (inactive until the day's desktop hours), which every daemon of the run watches."""

    def __init__(self):
        dbusmock.DBusTestCase.start_system_bus()
        self.proc, manager = dbusmock.DBusTestCase.spawn_server_template(
            "logind", {}, stdout=subprocess.DEVNULL)
        # The template's GetUser fails (dbusmock 0.28); logind answers with the user's path.
        manager.AddMethod("org.freedesktop.login1.Manager", "GetUser", "u", "o",
                          'ret = "/org/freedesktop/login1/user/%d" % args[0]')
        system = dbusmock.DBusTestCase.get_dbus(system_bus=True)
        path = manager.AddSession("c1", "seat0", dbus.UInt32(os.getuid()), "tester", False,
                                  dbus_interface=dbusmock.MOCK_IFACE)
        self.session = system.get_object(LOGIND, path)
        self.session.UpdateProperties(SESSION_IFACE, {"Type": "wayland"},
                                      dbus_interface=dbusmock.MOCK_IFACE)
        user = system.get_object(LOGIND, f"/org/freedesktop/login1/user/{os.getuid()}")
        user.Set(USER_IFACE, "Display", dbus.Struct(("c1", dbus.ObjectPath(path)), signature="so"),
                 dbus_interface=dbus.PROPERTIES_IFACE)

    def set(self, **props):
        self.session.UpdateProperties(SESSION_IFACE, props, dbus_interface=dbusmock.MOCK_IFACE)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(5)
        dbusmock.DBusTestCase.tearDownClass()


class Recorder(threading.Thread):
    """Every rig's `Changed` signals with their arrival time, on a thread of its own so that
    nothing the driver blocks on delays a reading."""

    def __init__(self, rigs):
        super().__init__(daemon=True)
        self.rigs = rigs
        self.context = GLib.MainContext.new()
        self.loop = GLib.MainLoop(self.context)
        self.changes = {name: [] for name in rigs}
        self.ready = threading.Event()

    def run(self):
        self.context.push_thread_default()
        subs = [(rig.conn, rig.conn.signal_subscribe(
            BUS_NAME, INTERFACE, "Changed", OBJECT_PATH, None, Gio.DBusSignalFlags.NONE,
            self.on_changed, name)) for name, rig in self.rigs.items()]
        self.ready.set()
        self.loop.run()
        for conn, sub in subs:
            conn.signal_unsubscribe(sub)
        self.context.pop_thread_default()

    def on_changed(self, conn, sender, path, iface, signal, params, name):
        snap = params.unpack()[0]
        self.changes[name].append((time.monotonic(), snap.get("trackName", ""),
                                   bool(snap.get("isPlaying"))))

    def stop(self):
        self.context.invoke_full(GLib.PRIORITY_DEFAULT, self.loop.quit)
        self.join(10)


def scaled_polling(extra):
    polling = {key: f"{value / FACTOR:.6g}" for key, value in SCALED_DEFAULTS.items()}
    polling.update(extra)
    return polling


def start_day(fake, plan, quota):
    """Restarts @fake's story at the day's 00:00 with a fresh quota; returns that moment on the
    fake's monotonic clock (s)."""
    fake.timeline(plan.timeline())
    fake.control("quota", limit=QUOTA if quota else 0, window=f"{DAY_S / FACTOR:.6g}")
    return fake.stats()["timelineStartedAtMs"] / 1000


# ---- measuring -----------------------------------------------------------------------------------

def percentile(values, p):
    """Nearest rank; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def judge(plan, t0, shown, matches, day_end):
    """Lateness (day seconds) of each watched change, by kind, and how many were never shown.
    @shown: [(sent, received, state)] of what the client showed, sorted; a state is shown at
    `received`, and `sent` is when the fake made the reply (for a daemon's Changed: the first
    reply carrying it, or None when none did). @matches(state, event)."""
    out = {"natural": [], "action": [], "natural-missed": 0, "action-missed": 0, "each": []}
    events = plan.events
    for i, e in enumerate(events):
        if not e.watched:
            continue
        start = t0 + e.at / 1000
        until = t0 + events[i + 1].at / 1000 if i + 1 < len(events) else day_end
        before = [s for s in shown if s[1] < start]
        seen = next((s for s in shown if start <= s[1] < until and matches(s[2], e)), None)
        if before and matches(before[-1][2], e):
            late = 0.0
        elif seen is None:
            late = (until - start) * FACTOR   # at least: it was never shown
            out[f"{e.kind}-missed"] += 1
        elif seen[0] is None or seen[0] < start:
            late = seen[1] - start
        else:
            late = (seen[0] - start) * FACTOR + (seen[1] - seen[0])
        out[e.kind].append(late)
        out["each"].append({"at": clock(e.at), "kind": e.kind, "name": e.name,
                            "playing": e.playing, "late": round(late, 2),
                            "desktop-client": plan.local[0] <= e.at < plan.local[1],
                            "shown": seen is not None or late == 0.0})
    return out


def daemon_matches(state, e):
    return state == (e.name, e.playing) or (e.name is None and not e.playing and not state[1])


def judge_daemon(plan, t0, changes, stats, day_end):
    """Pairs each Changed with the first good reply the fake served after the change it shows."""
    served = [(at / 1000, label) for label, at in zip(stats["served"], stats["servedAtMs"])
              if label not in FAULT_LABELS and not label.startswith("error")]
    events = [(t0 + e.at / 1000, e) for e in plan.events]
    shown = []
    for t, name, playing in changes:
        made = max((start for start, _ in events if start <= t), default=None)
        sent = next((at for at, _ in served if made is not None and made <= at <= t), None)
        shown.append((sent, t, (name, playing)))
    return judge(plan, t0, shown, daemon_matches, day_end)


def naive_matches(state, e):
    """A 204 shows nothing playing, which is right for a pause or the end of a session."""
    return state == (e.name, e.playing) or (state == (None, False) and not e.playing)


def judge_naive(plan, t0, seen, day_end):
    shown = [(sent, received, (name, playing)) for sent, received, status, name, playing in seen
             if status in (200, 204)]
    return judge(plan, t0, shown, naive_matches, day_end)


def web_requests(stats):
    return sum(n for path, n in stats["requests"].items() if path.startswith("/v1/"))


def served_between(stats, start, end):
    return sum(1 for at in stats["servedAtMs"] if start <= at / 1000 < end)


# ---- the run -------------------------------------------------------------------------------------

def driver_actions(plan, logind, rigs, t0s):
    """(due, timed, action) for the desktop session (on the defaults rig's clock) and each rig's
    desktop client (on its own fake's clock, so the client and the timeline change together)."""
    ta = t0s["defaults"]
    actions = [
        (ta + real_ms(DESK[0]) / 1000, True, lambda: logind.set(Active=True, LockedHint=False)),
        (ta + real_ms(LUNCH[0]) / 1000, True,
         lambda: logind.session.SetLockedHint(True, dbus_interface=SESSION_IFACE)),
        (ta + real_ms(LUNCH[1]) / 1000, True,
         lambda: logind.session.SetLockedHint(False, dbus_interface=SESSION_IFACE)),
        (ta + real_ms(DESK[1]) / 1000, True, lambda: logind.set(Active=False)),
    ]
    for name, rig in rigs.items():
        t0, holder = t0s[name], {}

        def spawn(rig=rig, holder=holder):
            holder["local"] = LocalSpotify(rig.bus.address)


        # Starting the client takes a moment (a Python process): it is not timed, and runs
        # well ahead of the client's first track.
        actions.append((t0 + (plan.local[0] - real_ms(LOCAL_SPAWN_AHEAD_S)) / 1000, False, spawn))
        for start, t in plan.local_tracks:
            actions.append((t0 + start / 1000, True, lambda h=holder, t=t: h["local"].play(
                t.id, t.name, t.artists, t.album, f"{t.duration / 1000:.3f}", wait=False)))
        # At the end the person stops the desktop client and closes it (it leaves the bus a
        # moment later, once every client was told to stop).
        actions.append((t0 + plan.local[1] / 1000, True,
                        lambda h=holder: h["local"].command("stop", wait=False)))
        actions.append((t0 + plan.local[1] / 1000 + 0.001, False,
                        lambda h=holder: h["local"].quit()))
    return sorted(actions, key=lambda a: a[0])


def drive(actions, end):
    """Runs each action when due; returns the worst lateness of a timed one (s)."""
    worst = 0.0
    for due, timed, action in actions:
        time.sleep(max(0.0, due - time.monotonic()))
        if timed:
            worst = max(worst, time.monotonic() - due)
        action()
    time.sleep(max(0.0, end - time.monotonic()))
    return worst


def summarise(late, requests, locked_ms, local_requests):
    out = {"requests": requests, "locked-out": round(locked_ms * FACTOR / 1000 / 3600, 2),
           "local-requests": local_requests}
    for kind in ("natural", "action"):
        for p in (50, 95):
            value = percentile(late[kind], p)
            out[f"{kind}-p{p}"] = round(value, 2) if value is not None else -1
        out[f"{kind}-missed"] = late[f"{kind}-missed"]
    return out


# key, what, unit, goal for spotnowd at its defaults
ROWS = [
    ("requests", "Web API requests in the day", "", None),
    ("locked-out", "time locked out by QUOTA_EXCEEDED", "h", (0, "==")),
    ("natural-p50", "Changed after a natural track end, watched: p50", "s", None),
    ("natural-p95", "… p95", "s", (2.0, "<=")),
    ("natural-missed", "… never shown", "", None),
    ("action-p50", "Changed after a user action, watched: p50", "s", (20.0, "<=")),
    ("action-p95", "… p95", "s", (60.0, "<=")),
    ("action-missed", "… never shown", "", None),
    ("local-requests", "requests while the desktop client plays", "", (0, "==")),
]
COLUMNS = ["defaults", "budget-0", "budget-0-no-quota", "naive"]


def report_results(report, results):
    for key, what, unit, goal in ROWS:
        for column in COLUMNS:
            value = results[column][key]
            if column != "defaults":
                report.add(f"day-{column}-{key}", value, unit)
                continue
            others = "; ".join(f"{c}: {results[c][key]}" for c in COLUMNS[1:])
            report.add(f"day-{column}-{key}", value, unit, goal=goal[0] if goal else None,
                       op=goal[1] if goal else "<=", baseline=others)
    print("\nday, side by side (times in day-time; -1: no such change):")
    print(f"{'':50}" + "".join(f"{c:>19}" for c in COLUMNS))
    for key, what, unit, goal in ROWS:
        cells = "".join(f"{str(results[c][key]) + (' ' + unit if unit else ''):>19}"
                        for c in COLUMNS)
        print(f"{what:50}{cells}")


def bench_day(report):
    plan = Plan(SEED)
    watched_events = [e for e in plan.events if e.watched]
    report.add("day-factor", FACTOR)
    report.add("day-real-length", DAY_S / FACTOR, "s")
    report.add("day-quota", QUOTA)
    report.add("day-tracks", plan.count)
    report.add("day-watched-natural-ends", sum(e.kind == "natural" for e in watched_events))
    report.add("day-watched-user-actions", sum(e.kind == "action" for e in watched_events))
    report.add("day-local-tracks", len(plan.local_tracks))
    report.add("day-local-minutes", round(day_s(plan.local[1] - plan.local[0]) / 60, 1), "min")
    results, each = {}, {}
    with contextlib.ExitStack() as stack:
        logind = Logind()
        stack.callback(logind.stop)
        rigs = {}
        for name, (extra, _) in VARIANTS.items():
            rigs[name] = Rig(timeline="1 nothing\n", polling=scaled_polling(extra))
            stack.callback(rigs[name].stop)
        os.mkdir(os.path.join(rigs["defaults"].workdir, "naive"))
        naive_fake = FakeSpotify(os.path.join(rigs["defaults"].workdir, "naive"), "1 nothing\n")
        stack.callback(naive_fake.stop)
        for rig in rigs.values():
            rig.start_daemon()
        for rig in rigs.values():
            benchlib.wait_until(lambda: rig.status()["pollCount"] >= 1, 10, "first poll")
        recorder = Recorder(rigs)
        recorder.start()
        recorder.ready.wait(10)
        stack.callback(recorder.stop)
        for rig in rigs.values():
            rig.status()   # after the subscription's AddMatch on the same connection

        t0s = {name: start_day(rig.fake, plan, VARIANTS[name][1]) for name, rig in rigs.items()}
        t0s["naive"] = start_day(naive_fake, plan, True)
        naive = subprocess.Popen(
            [sys.executable, NAIVE, "day", naive_fake.url, f"{NAIVE_INTERVAL_S / FACTOR:.6g}",
             str(t0s["naive"] + real_ms(DESK[0]) / 1000),
             str(t0s["naive"] + real_ms(DESK[1]) / 1000)], stdout=subprocess.PIPE, text=True)
        end = max(t0s.values()) + DAY_S / FACTOR
        lag = drive(driver_actions(plan, logind, rigs, t0s), end)
        seen = json.loads(naive.communicate(timeout=120)[0])["seen"]

        for name, rig in rigs.items():
            stats, t0 = rig.fake.stats(), t0s[name]
            late = judge_daemon(plan, t0, recorder.changes[name], stats, end)
            # From a day-second after the client's first track (its signal needs a moment to
            # reach the daemon; a poll already on its way then is no fault) to its stop.
            local = served_between(stats, t0 + (plan.local[0] + real_ms(1)) / 1000,
                                   t0 + plan.local[1] / 1000)
            results[name] = summarise(late, web_requests(stats), stats["quota"]["lockedOutMs"],
                                      local)
            each[name] = late["each"]
            status = rig.status()
            for key in ("pollCount", "upstreamRequests", "budgetRequests", "requestsInWindow",
                        "quotaExceededUntil", "source", "lastError"):
                if key in status:   # the budget's keys are missing from older daemons
                    print(f"day-{name}-status-{key}: {status[key]}")
        stats, t0 = naive_fake.stats(), t0s["naive"]
        local = sum(1 for s in seen
                    if t0 + plan.local[0] / 1000 <= s[0] < t0 + plan.local[1] / 1000)
        late = judge_naive(plan, t0, seen, end)
        results["naive"] = summarise(late, web_requests(stats), stats["quota"]["lockedOutMs"],
                                     local)
        each["naive"] = late["each"]
    report.add("day-driver-lag-max", round(lag * 1000, 1), "ms")
    report_results(report, results)
    outdir = os.environ.get("SPN_BENCH_OUTDIR")
    if outdir:   # every judged change of every column, to see where lateness comes from
        with open(os.path.join(outdir, "bench-day-changes.json"), "w") as f:
            json.dump(each, f, indent=1)
        print(f"each judged change: {os.path.join(outdir, 'bench-day-changes.json')}")
    report.note(f"a day compressed {FACTOR:g} times (every [polling] duration, the budget window, "
                "the timeline and the quota window); lateness = the wait before the reply that "
                f"revealed a change x {FACTOR:g} + reply/parse/signal time as measured; a change "
                "never shown counts as late as it lasted; the naive poller asks every 10 s while "
                "the desktop session exists (9:00-18:00), whatever the answer")
