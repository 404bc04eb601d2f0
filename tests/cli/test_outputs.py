"""Each output mode of `spotnow` for each state a user meets, against the real daemon."""

import json
import os
import time

from clitest import NOT_RUNNING_HINT, CliTestCase, clock_to_s
from harness import CP_PATH, main

SONG = ('1000 track id=t1 name="First Song" artists="The Testers|Guest" album="Test Album" '
        'duration=200 progress=3\n')
EPISODE = '1000 episode id=e1 name="Ep One" show="The Show" duration=3000 progress=65\n'
LOCAL = '1000 track local=true name="My Demo" artists=Me album=Tapes duration=95\n'
PAUSED = ('1000 track id=t1 name="First Song" artists="The Testers" album="Test Album" '
          'duration=200 progress=42 playing=false\n')
NOTHING = "1000 nothing\n"

WAYBAR_KEYS = {"text", "alt", "tooltip", "class", "percentage"}
ARTIST = "The Testers, Guest"


class Outputs(CliTestCase):
    """Shared checks; subclasses pick the timeline (what Spotify says)."""

    def json_output(self, *args):
        result = self.spotnow("--json", *args)
        lines = result.stdout.splitlines()
        self.assertEqual(len(lines), 1, result.stdout)
        return result, json.loads(lines[0])

    def assertJsonIsSnapshot(self, data, snap):
        """Same keys as the daemon's snapshot, same values, JSON types for D-Bus types."""
        self.assertEqual(set(data), set(snap))
        for key, value in snap.items():
            self.assertEqual(data[key], value, key)
            self.assertIs(type(data[key]), type(value), key)

    def waybar(self, *args):
        result = self.spotnow("--waybar", *args)
        lines = result.stdout.splitlines()
        self.assertEqual(len(lines), 1, result.stdout)
        data = json.loads(lines[0])
        self.assertEqual(set(data), WAYBAR_KEYS)
        for key in ("text", "alt", "tooltip", "class"):
            self.assertIsInstance(data[key], str, key)
        self.assertIsInstance(data["percentage"], int)
        self.assertTrue(0 <= data["percentage"] <= 100)
        return result, data

    def i3blocks(self):
        result = self.spotnow("--i3blocks")
        self.assertTrue(result.stdout.endswith("\n"))
        return result, result.stdout.split("\n")[:-1]


class Track(Outputs):
    timeline = SONG
    polling = {"fresh-playing-s": "1"}  # so `fresh` finds the cache stale after the sleep

    def setUp(self):
        super().setUp()
        self.snap = self.wait_for_snapshot(lambda s: s["trackName"] == "First Song")
        # Let the clock run so a stale position (progressMs as fetched) would show.
        time.sleep(2.2)

    def test_line(self):
        result = self.spotnow()
        self.assertExit(result, 0)
        self.assertEqual(result.stderr, "")
        self.assertPlayingLine(result.stdout.rstrip("\n"), ARTIST, "First Song", "3:20",
                               self.snap)
        self.assertGreaterEqual(self.expected_position_s(self.snap), 5)
        # "now" is the default command.
        self.assertExit(self.spotnow("now"), 0)

    def test_json(self):
        result, data = self.json_output()
        self.assertExit(result, 0)
        self.assertJsonIsSnapshot(data, self.snapshot())
        self.assertEqual(list(data)[:5],
                         ["isPlaying", "trackName", "artistName", "albumName", "albumArt"])
        self.assertIs(data["isPlaying"], True)
        self.assertEqual(data["artistName"], ARTIST)
        self.assertEqual(data["trackUrl"], "https://open.spotify.com/track/t1")
        self.assertEqual(data["trackId"], "t1")
        self.assertEqual(data["itemType"], "track")
        self.assertEqual(data["durationMs"], 200000)

    def test_waybar(self):
        result, data = self.waybar()
        self.assertExit(result, 0)
        self.assertEqual(data["text"], f"{ARTIST} — First Song")
        self.assertEqual(data["class"], "playing")
        self.assertEqual(data["alt"], "playing")
        line, album = data["tooltip"].split("\n")
        self.assertPlayingLine(line, ARTIST, "First Song", "3:20", self.snap)
        self.assertEqual(album, "Test Album")
        self.assertAlmostEqual(data["percentage"],
                               self.expected_position_s(self.snap) * 100 / 200, delta=1.5)

    def test_i3blocks(self):
        result, lines = self.i3blocks()
        self.assertExit(result, 0)
        self.assertEqual(len(lines), 3, lines)
        self.assertPlayingLine(lines[0], ARTIST, "First Song", "3:20", self.snap)
        # 25 characters and "…"; the title survives, the artist gives way.
        self.assertEqual(lines[1], "The Testers… — First Song")
        self.assertEqual(lines[2], "#1DB954")

    def test_format(self):
        template = ("{{ artist }} - {{ uc(title) }} [{{ duration(mpris:length - position) }}] "
                    "{{ status }} {{ emoji(status) }} {{ playerName }} {{ xesam:url }} "
                    "{{ trunc(album, 4) }} {{ default(nope, \"none\") }}|{{ nope }}|")
        result = self.spotnow("--format", template)
        self.assertExit(result, 0)
        out = result.stdout.rstrip("\n")
        head, left, tail = out.partition(" [")[0], out.split("[")[1].split("]")[0], \
            out.partition("] ")[2]
        self.assertEqual(head, f"{ARTIST} - FIRST SONG")
        self.assertAlmostEqual(clock_to_s(left), 200 - self.expected_position_s(self.snap),
                               delta=1.5)
        self.assertEqual(tail, "Playing ▶️ spotnow https://open.spotify.com/track/t1 Test… none||")
        # playerctl's own example, with arithmetic on microseconds.
        # A number literal makes a decimal, as in playerctl.
        result = self.spotnow("-f", "{{ mpris:length / 1000000 }} {{ markup_escape(\"<&>\") }}")
        self.assertEqual(result.stdout, "200.0 &lt;&amp;&gt;\n")

    def test_bad_templates(self):
        for template, message in (
                ("{{ nope(title) }}", "column 4: unknown function ‘nope’"),
                ("ab {{ title ", "column 13: expected ‘}}’, found the end of the template"),
                ("{{ uc(title, artist) }}", "column 4: ‘uc’ takes 1 argument, not 2"),
                ("{{ \"open }}", "column 4: unterminated string"),
                ("{{ title + }}", "column 12: expected an expression, found ‘}’")):
            result = self.spotnow("--format", template)
            self.assertExit(result, 2)
            self.assertEqual(result.stdout, "")
            self.assertEqual(result.stderr, f"spotnow: template: {message}\n"
                                            "Try “spotnow now --help” for more information.\n")

    def test_usage_errors(self):
        for args, words in ((["--bogus"], "--bogus"), (["frobnicate"], "frobnicate"),
                            (["--json", "--waybar"], "--json"), (["now", "extra"], "extra")):
            result = self.spotnow(*args)
            self.assertExit(result, 2)
            self.assertIn(words, result.stderr)

    def test_fresh_asks_spotify_now_asks_the_cache(self):
        self.fake.control("reset-stats")
        self.assertExit(self.spotnow(), 0)
        self.assertExit(self.spotnow("--json"), 0)
        self.assertEqual(self.fake.requests(CP_PATH), 0)
        result = self.spotnow("fresh")
        self.assertExit(result, 0)
        self.assertEqual(self.fake.requests(CP_PATH), 1)
        self.assertRegex(result.stdout, r"^▶ The Testers, Guest — First Song \(0:\d\d/3:20\)\n$")
        # The freshly fetched position, not one extrapolated from the first poll.
        self.assertGreater(self.snapshot()["fetchedAt"], self.snap["fetchedAt"])

    def test_status(self):
        result = self.spotnow("status")
        self.assertExit(result, 0)
        lines = result.stdout.splitlines()
        self.assertEqual(lines[0], "Account:    signed-in")
        self.assertEqual(lines[1], "Viewers:    0")
        self.assertRegex(lines[2], r"^Last poll:  \d s ago$")
        self.assertRegex(lines[3], r"^Next poll:  in (4|5) min$")
        self.assertEqual(lines[4:6], ["Back-off:   none", "Last error: none"])
        self.assertEqual(lines[6], "Source:     web (the Spotify Web API)")
        # The harness runs the daemon without a budget (budget-requests=0).
        self.assertEqual(lines[7], "Requests:   1 in the last 24 h (no budget)")
        self.assertRegex(lines[8], r"^Polls:      1 since start, 1 requests to Spotify$")

    def test_status_json(self):
        result = self.spotnow("status", "--json")
        self.assertExit(result, 0)
        data = json.loads(result.stdout)
        status = self.status()
        self.assertEqual(set(data), set(status))
        for key in ("authState", "viewers", "lastPollAt", "nextPollAt", "backoffUntil",
                    "lastError", "pollCount", "presenceTtlMs"):
            self.assertEqual(data[key], status[key], key)
        self.assertEqual(data["authState"], "signed-in")
        self.assertEqual(data["presenceTtlMs"], 60000)


class Episode(Outputs):
    timeline = EPISODE

    def test_outputs(self):
        snap = self.wait_for_snapshot(lambda s: s["itemType"] == "episode")
        result = self.spotnow()
        self.assertExit(result, 0)
        self.assertPlayingLine(result.stdout.rstrip("\n"), "The Show", "Ep One", "50:00", snap)
        result, data = self.json_output()
        self.assertJsonIsSnapshot(data, self.snapshot())
        self.assertEqual(data["itemType"], "episode")
        self.assertEqual(data["albumName"], "The Show")
        self.assertEqual(data["trackUrl"], "https://open.spotify.com/episode/e1")
        result, data = self.waybar()
        self.assertEqual((data["text"], data["class"]), ("The Show — Ep One", "playing"))
        result, lines = self.i3blocks()
        self.assertEqual(lines[1:], ["The Show — Ep One", "#1DB954"])
        result = self.spotnow("-f", "{{ xesam:album }}/{{ title }}/{{ duration(mpris:length) }}")
        self.assertEqual(result.stdout, "The Show/Ep One/50:00\n")


class LocalFile(Outputs):
    timeline = LOCAL

    def test_outputs(self):
        snap = self.wait_for_snapshot(lambda s: s["trackName"] == "My Demo")
        result = self.spotnow()
        self.assertExit(result, 0)
        self.assertPlayingLine(result.stdout.rstrip("\n"), "Me", "My Demo", "1:35", snap)
        result, data = self.json_output()
        self.assertExit(result, 0)
        self.assertJsonIsSnapshot(data, self.snapshot())
        self.assertNotIn("trackUrl", data)
        self.assertNotIn("trackId", data)
        self.assertEqual(data["albumArt"], "")
        # xesam:url is unset: empty, or the default.
        result = self.spotnow("-f", "[{{ xesam:url }}] {{ default(xesam:url, \"local\") }}")
        self.assertEqual(result.stdout, "[] local\n")
        result, data = self.waybar()
        self.assertEqual((data["text"], data["class"]), ("Me — My Demo", "playing"))


class Paused(Outputs):
    timeline = PAUSED

    def test_outputs(self):
        self.wait_for_snapshot(lambda s: s["trackName"] == "First Song")
        result = self.spotnow()
        # Nothing plays: exit 1, so `spotnow && …` runs only while music plays.
        self.assertExit(result, 1)
        self.assertEqual(result.stdout, "⏸ The Testers — First Song (last played)\n")
        self.assertEqual(result.stderr, "")
        result, data = self.json_output()
        self.assertExit(result, 1)
        self.assertIs(data["isPlaying"], False)
        self.assertEqual(data["progressMs"], 42000)
        result, data = self.waybar()
        self.assertEqual((data["class"], data["alt"], data["percentage"]), ("paused", "paused", 21))
        self.assertEqual(data["tooltip"],
                         "⏸ The Testers — First Song (last played)\nTest Album")
        result, lines = self.i3blocks()
        self.assertEqual(lines, ["⏸ The Testers — First Song (last played)",
                                 "The Testers — First Song", "#A0A0A0"])
        result = self.spotnow("-f", "{{ status }} {{ duration(position) }}")
        self.assertEqual(result.stdout, "Paused 0:42\n")


class NeverPlayed(Outputs):
    timeline = NOTHING

    def test_outputs(self):
        self.wait_for(lambda: self.status()["pollCount"] >= 1, what="first poll")
        result = self.spotnow()
        self.assertExit(result, 1)
        self.assertEqual(result.stdout, "Nothing played yet\n")
        self.assertEqual(result.stderr, "")
        result, data = self.json_output()
        self.assertEqual(data["itemType"], "none")
        self.assertEqual(data["fetchedAt"] > 0, True)
        result, data = self.waybar()
        # Empty text: waybar hides the module.
        self.assertEqual((data["text"], data["class"]), ("", "stopped"))
        result, lines = self.i3blocks()
        self.assertEqual(lines, ["Nothing played yet", "Nothing played yet", "#808080"])
        self.assertEqual(self.spotnow("-f", "{{ status }}").stdout, "Stopped\n")


class NeverSignedIn(Outputs):
    """A fresh install: no credentials, no state. The line says so and points at login."""

    credentials = False

    def test_outputs(self):
        result = self.spotnow()
        self.assertExit(result, 4)
        self.assertEqual(result.stdout, "Nothing played yet\n")
        self.assertEqual(result.stderr,
                         "spotnow: not signed in to Spotify; sign in with “spotnow login”.\n")
        result, data = self.waybar()
        self.assertEqual((data["text"], data["class"]), ("", "signed-out"))
        self.assertExit(self.spotnow("fresh"), 4)
        result = self.spotnow("status")
        self.assertExit(result, 4)
        self.assertEqual(result.stdout.splitlines()[0],
                         "Account:    signed-out (sign in with “spotnow login”)")
        self.assertEqual(self.fake.stats()["total"], 0)


class SignedOut(Outputs):
    timeline = SONG

    def setUp(self):
        super().setUp()
        self.wait_for_snapshot(lambda s: s["trackName"] == "First Song")
        self.call("SignOut")

    def test_outputs(self):
        result = self.spotnow()
        self.assertExit(result, 4)
        # The daemon no longer knows whether it plays: last played, never "▶".
        self.assertEqual(result.stdout, f"⏸ {ARTIST} — First Song (last played)\n")
        self.assertEqual(result.stderr, "spotnow: signed out of Spotify, so this is the last "
                                        "known state; sign in with “spotnow login”.\n")
        result, data = self.waybar()
        self.assertExit(result, 4)
        self.assertEqual(data["class"], "signed-out")
        self.assertEqual(data["tooltip"], f"⏸ {ARTIST} — First Song (last played)\nTest Album\n"
                                          "Signed out of Spotify")
        result, lines = self.i3blocks()
        self.assertEqual(lines[2], "#E5534B")
        # --json tells the same truth as the line (issue 13 A9): `jq .isPlaying` is false.
        result, data = self.json_output()
        self.assertExit(result, 4)
        self.assertIs(data["isPlaying"], False)
        self.assertJsonIsSnapshot(data, {**self.snapshot(), "isPlaying": False})
        # fresh cannot poll, so it shows the cache the same way.
        result = self.spotnow("fresh")
        self.assertExit(result, 4)
        self.assertEqual(result.stdout, f"⏸ {ARTIST} — First Song (last played)\n")


class NoDaemon(Outputs):
    start_daemon = False

    def test_every_command_says_how_to_start_it(self):
        for args in ([], ["fresh"], ["--json"], ["status"], ["--follow"], ["login"],
                     ["login", "--paste"], ["logout"], ["pause"]):
            result = self.spotnow(*args)
            self.assertExit(result, 3)
            self.assertEqual(result.stdout, "", args)
            self.assertIn(NOT_RUNNING_HINT, result.stderr, args)
            self.assertIn("systemctl --user start spotnowd", result.stderr, args)
            self.assertEqual(len(result.stderr.splitlines()), 1, result.stderr)

    def test_no_bus_at_all(self):
        env = self.cli_env(DBUS_SESSION_BUS_ADDRESS="unix:path=" +
                           os.path.join(self.workdir, "no-such-bus"))
        result = self.spotnow(env=env)
        self.assertExit(result, 3)
        # The bus is what is missing, not the daemon (issue 13 A2).
        self.assertTrue(result.stderr.startswith("spotnow: cannot connect to the session bus: "),
                        result.stderr)
        self.assertNotIn(NOT_RUNNING_HINT, result.stderr)

    def test_no_session_bus_over_ssh(self):
        env = self.cli_env(XDG_RUNTIME_DIR=os.path.join(self.workdir, "xdg-empty"))
        env.pop("DBUS_SESSION_BUS_ADDRESS")
        env.pop("DISPLAY", None)
        result = self.spotnow("status", env=env)
        self.assertExit(result, 3)
        self.assertEqual(len(result.stderr.splitlines()), 1, result.stderr)
        for words in ("there is no session bus here", "on a server or over ssh",
                      "“spotnow --system”", "dbus-run-session", "dbus-user-session",
                      f"start “{os.environ['SPOTNOWD']}”"):
            self.assertIn(words, result.stderr)
        self.assertNotIn("X11", result.stderr)

    def test_usage_mistakes_say_what_to_do(self):
        result = self.spotnow("stauts")
        self.assertExit(result, 2)
        self.assertIn("unknown command “stauts” (did you mean “status”?)", result.stderr)
        result = self.spotnow("seek", "abc")
        self.assertExit(result, 2)
        self.assertIn("“abc” is not a number of seconds", result.stderr)
        # "--" ends the options: the offset may start with a dash; here the daemon is missing.
        self.assertExit(self.spotnow("seek", "--", "-10"), 3)

    def test_hint_names_the_real_daemon(self):
        result = self.spotnow()
        self.assertIn(f"or run “{os.environ['SPOTNOWD']}”.", result.stderr)

    def test_wait_waits_for_the_daemon(self):
        process = self.spawn("fresh", "--wait")
        time.sleep(0.5)
        self.assertIsNone(process.proc.poll())
        self.start()
        self.assertEqual(self.wait_exit(process, 15), 0, process.stderr())
        self.assertRegex(process.line(), r"^▶ The Testers — First Song \(")


class FirstCall(Outputs):
    """The first `spotnow` of a session often starts the daemon (D-Bus activation): its first
    poll is then under way, and the answer is the track, not "Nothing played yet"."""
    start_daemon = False

    def test_plain_call_waits_for_the_first_poll(self):
        self.fake.control("delay", s="1.5")
        self.start()
        self.assertEqual(self.snapshot()["fetchedAt"], 0)
        result = self.spotnow()
        self.assertExit(result, 0)
        self.assertRegex(result.stdout, r"^▶ The Testers — First Song \(")
        result = self.spotnow("--format", "{{ artist }} - {{ title }}")
        self.assertEqual(result.stdout, "The Testers - First Song\n")


if __name__ == "__main__":
    main()
