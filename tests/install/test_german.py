"""The translation pipeline end to end: the installed programs, run at their installed paths
with LANGUAGE=de, speak German (po/de.po -> the installed .mo -> the compiled-in LOCALEDIR).

Only LANGUAGE is German; LANG stays C.UTF-8, as on a machine without German locales, where
gettext still follows LANGUAGE.
"""

import os
import subprocess

from installtree import InstallTestCase, SessionBus, in_tree, main, write_state

# Optional parts this build has (tests/install/meson.build).
FEATURES = set(os.environ.get("SPN_INSTALL_FEATURES", "").split())

EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_SIGNED_OUT = 4


def german_env(base=None):
    env = dict(base if base is not None else os.environ, LANG="C.UTF-8", LANGUAGE="de")
    env.pop("LC_ALL", None)
    env.pop("LC_MESSAGES", None)
    return env


class German(InstallTestCase):
    def run_installed(self, dir_name, name, *args):
        argv = [self.tree.path(dir_name, name)] + list(args)
        return subprocess.run(in_tree(self.tree, argv), env=german_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, timeout=60)

    def session(self, activation):
        bus = SessionBus(self.tree, activation=activation)
        self.addCleanup(bus.stop)
        return bus

    # ---- spotnowd ------------------------------------------------------------------------------

    def test_daemon_help(self):
        result = self.run_installed("libexecdir", "spotnowd", "--help")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("Den Systembus verwenden", result.stdout)
        self.assertIn("--config=DATEI", result.stdout)

    def test_daemon_error(self):
        # A message built at run time, not only the static option table.
        result = self.run_installed("libexecdir", "spotnowd", "--session", "--system")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("--session und --system schließen einander aus", result.stderr)

    # ---- spotnow-web ---------------------------------------------------------------------------

    def test_web_help(self):
        result = self.run_installed("bindir", "spotnow-web", "--help")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("spotnowd am Systembus folgen", result.stdout)
        self.assertIn("--listen=ADRESSE:PORT", result.stdout)

    def test_web_error(self):
        result = self.run_installed("bindir", "spotnow-web", "--listen", "localhost:80")
        self.assertEqual(result.returncode, EXIT_USAGE)
        self.assertIn("„localhost:80“ ist nicht ADRESSE:PORT mit einer IP-Adresse", result.stderr)

    # ---- spotnow -------------------------------------------------------------------------------

    def test_cli_help(self):
        result = self.run_installed("bindir", "spotnow", "--help")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("Zeigt, was Sie auf Spotify abspielen, auf jedem Gerät.", result.stdout)
        self.assertIn("--format=VORLAGE", result.stdout)
        self.assertIn("Den Dienst am Systembus ansprechen", result.stdout)
        self.assertIn("\nBefehle:\n  now             Ausgeben, was gerade läuft", result.stdout)
        self.assertIn("\n  seek ±SEKUNDEN  Um SEKUNDEN vorspulen (+)", result.stdout)
        # gettext("") is the catalogue's header: an empty string must never be looked up.
        self.assertNotIn("Project-Id-Version", result.stdout)
        self.assertIn("Exit-Status: 0 Wiedergabe läuft", result.stdout)

    def test_cli_usage_error(self):
        result = self.run_installed("bindir", "spotnow", "seek")
        self.assertEqual(result.returncode, EXIT_USAGE, result.stderr)
        self.assertEqual(
            result.stderr,
            "spotnow: seek braucht einen Versatz in Sekunden, etwa +30 oder -10\n"
            "Weitere Informationen erhalten Sie mit „spotnow seek --help“.\n")

    def test_cli_template_error(self):
        result = self.run_installed("bindir", "spotnow", "--format", "{{trunc(title)}}")
        self.assertEqual(result.returncode, EXIT_USAGE, result.stderr)
        self.assertEqual(result.stderr.splitlines()[0],
                         "spotnow: Vorlage: Spalte 3: ‚trunc‘ erwartet 2 Argumente, nicht 1")
        # The character found is quoted by the program, not by the message: German quotes too.
        result = self.run_installed("bindir", "spotnow", "--format", "{{ title ) }}")
        self.assertEqual(result.returncode, EXIT_USAGE, result.stderr)
        self.assertEqual(result.stderr.splitlines()[0],
                         "spotnow: Vorlage: Spalte 10: ‚}}‘ erwartet, ‚)‘ gefunden")

    def test_cli_daemon_not_running(self):
        # A session bus that cannot start the daemon: the user is told how to, in German.
        bus = self.session(activation=False)
        result = bus.spotnow(language="de")
        self.assertEqual(result.returncode, EXIT_UNREACHABLE, result.stderr)
        self.assertEqual(result.stdout, "")
        daemon = self.tree.path("libexecdir", "spotnowd")
        self.assertIn("spotnow: Der spotnow-Dienst läuft nicht; starten Sie ihn mit "
                      f"„systemctl --user start spotnowd“ oder führen Sie „{daemon}“ aus.",
                      result.stderr)

    def test_cli_with_the_daemon(self):
        bus = self.session(activation=True)
        write_state(bus.state_dir, "Activated Song")
        result = bus.spotnow(language="de")
        self.assertEqual(result.returncode, EXIT_SIGNED_OUT, result.stderr)
        self.assertIn("The Packagers — Activated Song", result.stdout)
        self.assertIn("(zuletzt gespielt)", result.stdout)
        self.assertIn("spotnow: Bei Spotify abgemeldet, dies ist also der letzte bekannte Stand",
                      result.stderr)

        result = bus.spotnow("status", language="de")
        self.assertEqual(result.returncode, EXIT_SIGNED_OUT, result.stderr)
        lines = dict(line.split(":", 1) for line in result.stdout.splitlines())
        self.assertEqual(lines["Konto"].strip(), "signed-out (mit „spotnow login“ anmelden)")
        self.assertIn("Letzter Fehler", lines)
        self.assertIn("Abfragen", lines)

    # ---- spotnow-applet ------------------------------------------------------------------------

    def test_applet_help(self):
        applet = self.tree.path("bindir", "spotnow-applet")
        if "applet" not in FEATURES:
            # Built without GTK: nothing to translate, and nothing half-installed.
            self.assertNotIn(applet, self.tree.files())
            return
        # --help is handled before GTK opens a display, so this needs no X server.
        env = german_env()
        env.pop("DISPLAY", None)
        env.pop("WAYLAND_DISPLAY", None)
        result = subprocess.run(in_tree(self.tree, [applet, "--help"]), env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("Was Sie auf Spotify abspielen, auf jedem Gerät, in einem kleinen Fenster.",
                      result.stdout)
        self.assertIn("--screenshot=DATEI", result.stdout)
        self.assertIn("Den spotnow-Dienst am Systembus ansprechen", result.stdout)


if __name__ == "__main__":
    main()
