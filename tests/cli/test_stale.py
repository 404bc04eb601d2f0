"""Old data says it is old (issue 13 A3): with Spotify failing, one-shots print a notice on
stderr, `--follow` prints the ⚠ line and the ✓ line when Spotify answers again (on stderr, so a
panel's stdout stays clean), and waybar's class is `stale`."""

import json
import signal

from clitest import CliTestCase
from harness import main, now_ms


class Stale(CliTestCase):
    # A viewer keeps the snapshot this fresh, so a follower makes the daemon poll every second.
    polling = {"fresh-playing-s": "1"}

    def setUp(self):
        super().setUp()
        self.wait_for_snapshot(lambda s: s["trackName"] == "First Song")

    def fail_spotify(self, count):
        self.assertTrue(self.fake.fault("status", status="502", count=str(count))["ok"])

    def test_one_shot_notice_and_stale_class(self):
        self.fail_spotify(1000)
        self.wait_for(lambda: now_ms() - self.snapshot()["fetchedAt"] > 1100,
                      what="the snapshot to age past the freshness window")
        result = self.spotnow("fresh")
        self.assertExit(result, 0)
        self.assertEqual(result.stdout.count("\n"), 1, result.stdout)
        self.assertTrue(result.stdout.startswith("▶ The Testers — First Song ("), result.stdout)
        self.assertRegex(result.stderr, r"^⚠ spotnowd: .+ — (waiting until \d\d:\d\d:\d\d, )?"
                                        r"serving the cache\n$")
        result = self.spotnow("--waybar")
        data = json.loads(result.stdout)
        self.assertEqual(data["class"], "stale")
        self.assertIn("\n⚠ spotnowd: ", data["tooltip"])
        self.assertIn("⚠ spotnowd: ", result.stderr)

    def test_follow_warns_then_recovers(self):
        follow = self.spawn("--follow")
        self.assertEqual(follow.line(), "▶ The Testers — First Song")
        self.wait_for(lambda: self.status()["viewers"] == 1, what="the viewer")
        self.fail_spotify(2)
        self.wait_for(lambda: "⚠ spotnowd: " in follow.stderr(), timeout=15,
                      what="the ⚠ line")
        self.wait_for(lambda: "✓ spotnowd: Spotify answers again\n" in follow.stderr(),
                      timeout=20, what="the ✓ line")
        follow.signal(signal.SIGTERM)
        self.assertEqual(self.wait_exit(follow), 0)
        # stdout is the panel's: only the track line, never a notice.
        self.assertEqual(follow.pending_lines(), [])
        self.assertTrue(follow.stderr().endswith("✓ spotnowd: Spotify answers again\n"),
                        follow.stderr())


if __name__ == "__main__":
    main()
