"""`spotnow --follow`: a line on start and one per change, over a scripted timeline, as a panel
reads it from a pipe; SIGTERM, a killed daemon, and --wait across a restart."""

import json
import os
import signal
import subprocess
import time

from clitest import SPOTNOW, CliTestCase
from harness import main


def track(step_s, tid, name, duration, **extra):
    keys = " ".join(f"{k}={v}" for k, v in extra.items())
    return (f'{step_s} track id={tid} name="{name}" artists="The Testers" album="Album {tid}" '
            f'duration={duration} {keys}\n')


WARM_UP = track(1000, "w", "Warm Up", 1000)
THREE_TRACKS = (track(2.5, "a", "Song A", 2.5) + track(2.5, "b", "Song B", 2.5) +
                track(1000, "c", "Song C", 1000))


class Follow(CliTestCase):
    timeline = WARM_UP
    # A viewer keeps the cache this fresh: a changed timeline shows within a second.
    polling = {"fresh-playing-s": "1"}

    def setUp(self):
        super().setUp()
        self.wait_for_snapshot(lambda s: s["trackName"] == "Warm Up")

    def test_one_line_per_change_and_sigterm(self):
        follow = self.spawn("--follow")
        self.assertEqual(follow.line(), "▶ The Testers — Warm Up")
        # It reports itself as a viewer, so the daemon keeps polling while it runs.
        self.wait_for(lambda: self.status()["viewers"] == 1, what="the viewer")
        self.pump(0.2)
        self.signals.clear()

        self.fake.timeline(THREE_TRACKS)
        lines = [follow.line(10) for _ in range(3)]
        self.assertEqual(lines, ["▶ The Testers — Song A", "▶ The Testers — Song B",
                                 "▶ The Testers — Song C"])
        self.pump(2.5)  # Song C plays on: polls, but no change, so no line
        self.assertEqual(follow.pending_lines(), [])
        self.assertEqual([s["trackName"] for s in self.changed_signals()],
                         ["Song A", "Song B", "Song C"])

        follow.signal(signal.SIGTERM)
        self.assertEqual(self.wait_exit(follow), 0)
        self.assertEqual(follow.pending_lines(), [])
        self.assertEqual(follow.stderr(), "")

    def test_sigint_exits_0(self):
        follow = self.spawn("--follow", "--json")
        data = json.loads(follow.line())
        self.assertEqual(data["trackName"], "Warm Up")
        follow.signal(signal.SIGINT)
        self.assertEqual(self.wait_exit(follow), 0)

    def test_daemon_killed_exits_3(self):
        follow = self.spawn("--follow", "--waybar")
        data = json.loads(follow.line())
        self.assertEqual((data["text"], data["class"]), ("The Testers — Warm Up", "playing"))
        self.stop(signal.SIGKILL)
        self.assertEqual(self.wait_exit(follow), 3)
        self.assertEqual(follow.pending_lines(), [])

    def test_wait_survives_a_restart(self):
        follow = self.spawn("--follow", "--wait")
        self.assertEqual(follow.line(), "▶ The Testers — Warm Up")
        self.assertEqual(self.stop(), 0)
        # At once, not the last track as if it still played (issue 13 A10).
        self.assertEqual(follow.line(10), "spotnowd is not running")
        self.assertIsNone(follow.proc.poll(), follow.stderr())
        self.fake.timeline(track(1000, "d", "Back Again", 1000))
        self.start()
        line = follow.line(10)
        if line == "▶ The Testers — Warm Up":
            line = follow.line(10)  # the persisted snapshot, until the first poll
        self.assertEqual(line, "▶ The Testers — Back Again")
        follow.signal(signal.SIGTERM)
        self.assertEqual(self.wait_exit(follow), 0)

    def test_position_template_ticks_while_playing_only(self):
        follow = self.spawn("--follow", "--format", "{{ status }} {{ duration(position) }}")
        seconds = []
        for _ in range(3):
            status, clock = follow.line().split(" ")
            self.assertEqual(status, "Playing")
            minutes, secs = clock.split(":")
            seconds.append(int(minutes) * 60 + int(secs))
        self.assertEqual(seconds, [seconds[0], seconds[0] + 1, seconds[0] + 2])
        self.fake.timeline(track(1000, "w", "Warm Up", 1000, progress=30, playing="false"))
        self.assertEqual(follow.line(10), "Paused 0:30")
        time.sleep(2.5)  # paused: no timer, no line
        self.assertEqual(follow.pending_lines(), [])
        follow.signal(signal.SIGTERM)
        self.assertEqual(self.wait_exit(follow), 0)

    def test_waybar_shows_a_dead_daemon_at_once_and_recovers(self):
        follow = self.spawn("--follow", "--wait", "--waybar")
        self.assertEqual(json.loads(follow.line())["class"], "playing")
        self.stop(signal.SIGKILL)
        data = json.loads(follow.line(10))
        self.assertEqual((data["class"], data["alt"], data["text"]),
                         ("not-running", "not-running", "spotnowd is not running"))
        self.start()
        data = json.loads(follow.line(10))
        self.assertEqual((data["class"], data["text"]), ("playing", "The Testers — Warm Up"))
        follow.signal(signal.SIGTERM)
        self.assertEqual(self.wait_exit(follow), 0)

    def test_waybar_shows_sign_out(self):
        follow = self.spawn("--follow", "--waybar")
        self.assertEqual(json.loads(follow.line())["class"], "playing")
        self.call("SignOut")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            data = json.loads(follow.line(10))
            if data["class"] == "signed-out":
                break
        self.assertEqual(data["class"], "signed-out")
        self.assertTrue(data["tooltip"].startswith("⏸ The Testers — Warm Up (last played)"),
                        data["tooltip"])

    def test_i3blocks_persist_prints_one_line_per_update(self):
        follow = self.spawn("--follow", "--i3blocks")
        self.assertEqual(follow.line(), "▶ The Testers — Warm Up")
        self.fake.timeline(track(1000, "x", "Next One", 1000))
        self.assertEqual(follow.line(10), "▶ The Testers — Next One")
        follow.signal(signal.SIGTERM)
        self.assertEqual(self.wait_exit(follow), 0)


def process_gone(pid):
    """True once @pid has exited (a zombie nobody reaps counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


class OrphanedFollower(CliTestCase):
    """A panel reload kills only the panel's `sh`: the follower, its SIGPIPE ignored, must still
    end once nobody reads its output, and stop counting as a viewer (issue 13 A2.1)."""

    polling = {"fresh-playing-s": "1"}

    def orphan(self, *args):
        pid_file = os.path.join(self.workdir, "follower.pid")
        script = (f'trap "" PIPE; echo $$ > {pid_file}; '
                  f'exec {SPOTNOW} --follow --wait {" ".join(args)}')
        # The reproduction from the issue: the follower in a background subshell, piped to head.
        result = subprocess.run(["sh", "-c", f"(bash -c '{script}' &) | head -n1"],
                                env=self.cli_env(), capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 0, result.stderr)
        with open(pid_file) as f:
            pid = int(f.read())
        return result.stdout, pid

    def assertFollowerEnds(self, pid):
        self.wait_for(lambda: process_gone(pid), timeout=10, what="the follower to exit")
        self.wait_for(lambda: self.status()["viewers"] == 0, what="no viewer left")

    def test_playing_waybar_exits_on_epipe(self):
        self.wait_for_snapshot(lambda s: s["isPlaying"])
        out, pid = self.orphan("--waybar")
        self.assertEqual(json.loads(out)["class"], "playing")
        self.assertFollowerEnds(pid)

    def test_paused_line_exits_when_the_reader_leaves(self):
        # Paused: nothing ticks, so no write ever fails; the reader leaving is noticed itself.
        self.fake.timeline(track(1000, "p", "Quiet", 1000, progress=30, playing="false"))
        self.wait_for(lambda: self.ensure_fresh()["trackName"] == "Quiet", what="the pause")
        out, pid = self.orphan()
        self.assertEqual(out, "⏸ The Testers — Quiet (last played)\n")
        self.assertFollowerEnds(pid)


class FollowWithoutDaemon(CliTestCase):
    start_daemon = False

    def test_exits_3_with_the_hint(self):
        result = self.spotnow("--follow")
        self.assertExit(result, 3)
        self.assertIn("the spotnow daemon is not running", result.stderr)

    def test_wait_starts_when_the_daemon_does(self):
        follow = self.spawn("--follow", "--wait")
        time.sleep(0.5)
        self.assertIsNone(follow.proc.poll())
        self.start()
        self.assertEqual(follow.line(10), "▶ The Testers — First Song")
        follow.signal(signal.SIGTERM)
        self.assertEqual(self.wait_exit(follow), 0)


if __name__ == "__main__":
    main()
