"""Every installed file passes its own validator; a file without one fails the suite."""

import os
import re
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

from installtree import (BUS_NAME, INTERFACE, InstallTestCase, SystemBus,  # noqa: E402
                         in_tree, main, make_users_root, passwd_entry, uncommented_example_config)


# Optional parts this build has (tests/install/meson.build).
FEATURES = set(os.environ.get("SPN_INSTALL_FEATURES", "").split())

# The applet's application id: its .desktop, metainfo and icon names.
APPLET_ID = "io.github.spotnow.Applet"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# systemd-analyze security's overall exposure, times ten, above which the system unit fails.
SECURITY_THRESHOLD = 15


def po_languages():
    """The languages po/LINGUAS lists: the installed launcher and metainfo carry each."""
    with open(os.path.join(os.environ["SPN_SOURCE_ROOT"], "po", "LINGUAS"), encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip() and not line.startswith("#")]


def run(argv, **kwargs):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=60, **kwargs)


class Validate(InstallTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users_root = make_users_root(cls.tree)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.users_root, ignore_errors=True)
        super().tearDownClass()

    def rules(self):
        """(matches(final path), validator) pairs; the first match validates the file."""
        d = self.tree.dirs
        return [
            (lambda p: p.startswith((d["libexecdir"] + "/", d["bindir"] + "/")),
             self.check_program),
            (lambda p: p.startswith(d["dbus_interfaces_dir"] + "/") and p.endswith(".xml"),
             self.check_interface_xml),
            (lambda p: p.startswith(d["dbus_session_services_dir"] + "/"),
             lambda p: self.check_activation_file(p, "systemd_user_unit_dir", "--session")),
            (lambda p: p.startswith(d["dbus_system_services_dir"] + "/"),
             lambda p: self.check_activation_file(p, "systemd_system_unit_dir", "--system")),
            (lambda p: p.startswith(d["systemd_user_unit_dir"] + "/"),
             lambda p: self.check_unit(p, user=True)),
            (lambda p: p.startswith(d["systemd_system_unit_dir"] + "/"),
             lambda p: self.check_unit(p, user=False)),
            (lambda p: p.startswith(d["dbus_system_policy_dir"] + "/"), self.check_policy),
            (lambda p: p.startswith(d["sysusers_dir"] + "/"), self.check_sysusers),
            (lambda p: p.endswith("/config.ini.example"), self.check_example_config),
            (lambda p: p.startswith(d["localedir"] + "/") and p.endswith(".mo"),
             self.check_translation),
            (lambda p: p.startswith(d["mandir"] + "/"), self.check_man_page),
            (lambda p: p.startswith(d["bash_completion_dir"] + "/"), self.check_bash_completion),
            # The applet's files (expected-files.txt, [applet]): these rules are ready for them.
            (lambda p: p.endswith(".desktop"), self.check_desktop_file),
            (lambda p: p.endswith((".metainfo.xml", ".appdata.xml")), self.check_metainfo),
            (lambda p: p.startswith(d["icondir"] + "/"), self.check_icon),
        ]

    def test_every_installed_file(self):
        rules = self.rules()
        for path in sorted(self.tree.files()):
            with self.subTest(path=path):
                validator = next((v for matches, v in rules if matches(path)), None)
                self.assertIsNotNone(validator, "no validator: add a rule to test_validate.py")
                validator(path)

    # ---- validators ----------------------------------------------------------------------------

    def check_program(self, path):
        # Installed at its final path, it runs and prints the one version from meson.build.
        result = run(in_tree(self.tree, [path, "--version"]))
        self.assertEqual(result.returncode, 0, result.stdout)
        name = os.path.basename(path)
        self.assertEqual(result.stdout.strip(), f"{name} {os.environ['SPN_VERSION']}")

    def check_interface_xml(self, path):
        staged = self.tree.staged(path)
        result = run(["xmllint", "--noout", staged])
        self.assertEqual((result.returncode, result.stdout), (0, ""))
        with open(staged, encoding="utf-8") as f:
            node = Gio.DBusNodeInfo.new_for_xml(f.read())
        self.assertIsNotNone(node.lookup_interface(INTERFACE))

    def keyfile(self, path):
        keyfile = GLib.KeyFile()
        keyfile.load_from_file(self.tree.staged(path), GLib.KeyFileFlags.NONE)
        return keyfile

    def check_activation_file(self, path, unit_dir, bus_option):
        keyfile = self.keyfile(path)
        group = "D-BUS Service"
        self.assertEqual(keyfile.get_groups()[0], [group])
        # The bus only reads a file named after the name it activates.
        self.assertEqual(keyfile.get_string(group, "Name"), BUS_NAME)
        self.assertEqual(os.path.basename(path), BUS_NAME + ".service")
        exec_argv = GLib.shell_parse_argv(keyfile.get_string(group, "Exec"))[1]
        self.assertEqual(exec_argv, [self.tree.path("libexecdir", "spotnowd"), bus_option])
        self.assertTrue(os.access(self.tree.staged(exec_argv[0]), os.X_OK))
        unit = keyfile.get_string(group, "SystemdService")
        self.assertIn(self.tree.path(unit_dir, unit), self.tree.files())
        if bus_option == "--system":
            user = keyfile.get_string(group, "User")
            self.assertIsNotNone(passwd_entry(self.users_root, user),
                                 f"User={user} is not created by sysusers.d")

    def check_unit(self, path, user):
        with tempfile.TemporaryDirectory() as runtime_dir:
            os.chmod(runtime_dir, 0o700)
            # verify runs `man` on each Documentation= page: a build without scdoc has none.
            man = [] if "man" in FEATURES else ["--man=no"]
            argv = ["systemd-analyze"] + (["--user"] if user else []) + ["verify"] + man + [path]
            env = dict(os.environ, XDG_RUNTIME_DIR=runtime_dir, SYSTEMD_LOG_LEVEL="notice")
            result = run(in_tree(self.tree, argv), env=env)
        # verify reports some problems with exit status 0: any output is a failure too.
        self.assertEqual((result.returncode, result.stdout), (0, ""))
        keyfile = self.keyfile(path)
        if os.path.basename(path).startswith("spotnow-web."):
            self.check_web_unit(path, keyfile, user)
            return
        self.assertEqual(keyfile.get_string("Service", "Type"), "dbus")
        self.check_documentation(keyfile)
        # Bounded against a hostile neighbour (descriptors, memory, tasks), in both units.
        for key, value in (("LimitNOFILE", "256"), ("MemoryMax", "128M"), ("TasksMax", "64")):
            self.assertEqual(keyfile.get_string("Service", key), value, key)
        if not user:
            # Keeps the sandbox from eroding: 1.1 ("OK") when written; 0 is best, 10 worst.
            result = run(in_tree(self.tree, ["systemd-analyze", "security", "--offline=true",
                                             f"--threshold={SECURITY_THRESHOLD}", "--no-pager",
                                             path]))
            self.assertEqual(result.returncode, 0, result.stdout)
        self.assertEqual(keyfile.get_string("Service", "BusName"), BUS_NAME)

    def check_web_unit(self, path, keyfile, user):
        # spotnow-web: the socket listens where [web] listen defaults to; the service runs the
        # installed program on the right bus, as sandboxed as spotnowd's unit of its kind.
        self.check_documentation(keyfile, "man:spotnow-web(1)")
        if path.endswith(".socket"):
            self.assertEqual(keyfile.get_string("Socket", "ListenStream"), "127.0.0.1:8897")
            return
        self.assertEqual(keyfile.get_string("Service", "Type"), "exec")
        self.assertEqual(keyfile.get_string("Service", "ExecStart"),
                         self.tree.path("bindir", "spotnow-web") +
                         (" --session" if user else " --system"))
        if not user:
            result = run(in_tree(self.tree, ["systemd-analyze", "security", "--offline=true",
                                             f"--threshold={SECURITY_THRESHOLD}", "--no-pager",
                                             path]))
            self.assertEqual(result.returncode, 0, result.stdout)

    def check_documentation(self, keyfile, page_wanted="man:spotnowd(8)"):
        # `systemctl help spotnowd` opens these: each must be a page this package installs.
        pages = keyfile.get_string("Unit", "Documentation").split()
        self.assertIn(page_wanted, pages)
        for page in pages:
            match = re.fullmatch(r"man:([\w.-]+)\((\d)\)", page)
            self.assertIsNotNone(match, f"Documentation={page} is not a man page")
            name, section = match.groups()
            if "man" in FEATURES:
                installed = self.tree.path("mandir", f"man{section}", f"{name}.{section}")
                self.assertIn(installed, self.tree.files(), f"Documentation={page}")

    def check_policy(self, path):
        result = run(["xmllint", "--noout", self.tree.staged(path)])
        self.assertEqual((result.returncode, result.stdout), (0, ""))
        # dbus-daemon refuses to start on a policy it cannot parse, and warns about users it
        # cannot resolve (it would drop their rules): the service user must resolve.
        bus = SystemBus(self.tree, self.users_root)
        try:
            self.assertEqual(bus.messages(), [])
        finally:
            bus.stop()

    def check_sysusers(self, path):
        entry = passwd_entry(self.users_root, "spotnow")
        self.assertIsNotNone(entry)
        uid = int(entry[2])
        self.assertTrue(0 < uid < 1000, f"spotnow is not a system user (uid {uid})")
        self.assertIn(entry[6], ("/usr/sbin/nologin", "/sbin/nologin", "/bin/false"))

    def check_example_config(self, path):
        # Commented out, it is the defaults; uncommented, every value must still parse.
        self.keyfile(path)
        keyfile = GLib.KeyFile()
        text = uncommented_example_config(self.tree)
        keyfile.load_from_data(text, len(text.encode()), GLib.KeyFileFlags.NONE)
        documented = {(g, k) for g in keyfile.get_groups()[0] for k in keyfile.get_keys(g)[0]}
        # Every key the daemon reads is documented, and nothing else.
        with open(os.path.join(os.environ["SPN_SOURCE_ROOT"], "daemon", "config.c"),
                  encoding="utf-8") as f:
            known = set(re.findall(r'\{"([a-z]+)", "([a-z-]+)", KIND_', f.read()))
        self.assertTrue(known)
        # ... and every key of spotnow-web's [web] group.
        with open(os.path.join(os.environ["SPN_SOURCE_ROOT"], "web", "web-config.c"),
                  encoding="utf-8") as f:
            keys = re.search(r"known_keys\[\] = \{([^}]*)\}", f.read()).group(1)
        known |= {("web", key) for key in re.findall(r'"([a-z-]+)"', keys)}
        self.assertEqual(documented, known)

    def check_translation(self, path):
        result = run(["msgunfmt", self.tree.staged(path)])
        self.assertEqual(result.returncode, 0, result.stdout)
        self.assertIn("msgid", result.stdout)

    def check_man_page(self, path):
        staged = self.tree.staged(path)
        name, section = os.path.basename(path).rsplit(".", 1)
        self.assertEqual(os.path.basename(os.path.dirname(path)), f"man{section}")
        # The title line names this page and carries the one version from meson.build.
        with open(staged, encoding="utf-8") as f:
            title = re.search(r'(?m)^\.TH "([^"]+)" "([^"]+)" "[^"]*" "([^"]*)"', f.read())
        self.assertIsNotNone(title, "no .TH line")
        self.assertEqual(title.groups(),
                         (name, section, f"spotnow {os.environ['SPN_VERSION']}"))
        # groff with every warning; -k runs preconv first, as man does: the pages are UTF-8.
        result = subprocess.run(["groff", "-k", "-man", "-Tutf8", "-ww", "-z", staged],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertEqual((result.returncode, result.stderr), (0, ""))
        # And man itself, as a user in a UTF-8 locale reads it.
        env = dict(os.environ, LC_ALL="C.UTF-8", MANWIDTH="80")
        env.pop("MANPAGER", None)
        env.pop("PAGER", None)
        result = subprocess.run(["man", "--warnings", "-l", staged], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertEqual((result.returncode, result.stderr), (0, ""))
        self.assertRegex(result.stdout, r"(?m)^NAME$")
        # mandb indexes it: apropos and whatis find the page by its NAME line.
        result = run(["lexgrog", staged])
        self.assertEqual(result.returncode, 0, result.stdout)
        self.assertRegex(result.stdout, rf'"{re.escape(name)} - \S')

    # ---- bash completion -----------------------------------------------------------------------

    def installed_cli_help(self, *args):
        """The verbs and the long options `spotnow [ARGS] --help` of the installed CLI lists."""
        env = dict(os.environ, LANG="C.UTF-8")
        for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
            env.pop(name, None)
        result = run(in_tree(self.tree, [self.tree.path("bindir", "spotnow")] + list(args)
                             + ["--help"]), env=env)
        self.assertEqual(result.returncode, 0, result.stdout)
        options, commands = result.stdout.split("\nCommands:\n", 1)
        verbs = re.findall(r"(?m)^  ([a-z]+)\b", commands.split("\n\n", 1)[0])
        return set(verbs), set(re.findall(r"(?m)^\s+(?:-\w, )?(--[a-z0-9-]+)", options))

    def complete(self, staged, *words):
        """What the completion offers for the command line @words (the last being the word under
        the cursor), called the way bash calls the function `complete -p spotnow` names."""
        script = r"""
source "$1" || exit 1
spec=$(complete -p spotnow) || exit 1
func=${spec#*-F }
func=${func%% *}
shift
COMP_WORDS=("$@")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE="${COMP_WORDS[*]}"
COMP_POINT=${#COMP_LINE}
COMPREPLY=()
"$func" spotnow "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
printf '%s\n' "${COMPREPLY[@]}"
"""
        result = subprocess.run(["bash", "--norc", "--noprofile", "-c", script, "bash", staged,
                                 "spotnow"] + list(words),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                timeout=30)
        self.assertEqual((result.returncode, result.stderr), (0, ""), words)
        return {line for line in result.stdout.splitlines() if line}

    def check_bash_completion(self, path):
        # bash-completion loads completions/NAME the first time NAME is completed.
        self.assertEqual(os.path.basename(path), "spotnow")
        self.assertIn(self.tree.path("bindir", "spotnow"), self.tree.files())
        staged = self.tree.staged(path)
        result = run(["bash", "-n", staged])
        self.assertEqual((result.returncode, result.stdout), (0, ""))

        # It offers what the installed CLI accepts: its verbs, and each verb's options.
        verbs, options = self.installed_cli_help()
        self.assertIn("status", verbs)
        self.assertEqual(self.complete(staged, ""), verbs)
        self.assertEqual(self.complete(staged, "--json", ""), verbs)
        self.assertEqual(self.complete(staged, "st"), {v for v in verbs if v.startswith("st")})
        self.assertEqual(self.complete(staged, "--"), options)
        for verb in sorted(verbs):
            with self.subTest(verb=verb):
                self.assertEqual(self.complete(staged, verb, "--"),
                                 self.installed_cli_help(verb)[1])
        # seek takes a signed number of seconds, not an option.
        offsets = self.complete(staged, "seek", "")
        self.assertTrue(offsets)
        for offset in offsets:
            self.assertRegex(offset, r"^[+-]\d+$")

    # ---- the applet's files --------------------------------------------------------------------

    def installed_desktop_files(self):
        applications = self.tree.path("datadir", "applications") + "/"
        return sorted(p for p in self.tree.files()
                      if p.startswith(applications) and p.endswith(".desktop"))

    def check_desktop_file(self, path):
        result = run(["desktop-file-validate", self.tree.staged(path)])
        self.assertEqual((result.returncode, result.stdout), (0, ""))
        keyfile = GLib.KeyFile()
        keyfile.load_from_file(self.tree.staged(path), GLib.KeyFileFlags.KEEP_TRANSLATIONS)
        group = "Desktop Entry"
        # The shell matches a running GtkApplication to its launcher by the application id.
        app_id = os.path.basename(path)[:-len(".desktop")]
        self.assertEqual(app_id, APPLET_ID)
        # A bare Exec= program is looked up in PATH: it must be the installed one in bindir.
        exec_argv = GLib.shell_parse_argv(keyfile.get_string(group, "Exec"))[1]
        self.assertNotIn("/", exec_argv[0])
        self.assertIn(self.tree.path("bindir", exec_argv[0]), self.tree.files())
        # The menu shows this package's icon, not a generic one.
        icon = keyfile.get_string(group, "Icon")
        self.assertIn(self.tree.path("icondir", "scalable", "apps", f"{icon}.svg"),
                      self.tree.files())
        # Translated from po/ at build time: a German menu shows German words.
        keys = set(keyfile.get_keys(group)[0])
        for language in po_languages():
            for key in ("Name", "GenericName", "Comment", "Keywords"):
                with self.subTest(language=language, key=key):
                    self.assertIn(f"{key}[{language}]", keys)
            for key in ("GenericName", "Comment", "Keywords"):
                with self.subTest(language=language, key=key):
                    self.assertNotEqual(keyfile.get_locale_string(group, key, language),
                                        keyfile.get_string(group, key))

    def check_metainfo(self, path):
        staged = self.tree.staged(path)
        result = run(["appstreamcli", "validate", "--no-net", staged])
        self.assertEqual(result.returncode, 0, result.stdout)
        root = ET.parse(staged).getroot()
        component_id = root.findtext("id")
        self.assertEqual(component_id, APPLET_ID)
        self.assertEqual(os.path.basename(path), f"{component_id}.metainfo.xml")
        # Software centres launch and list what this names: it must be installed.
        launchable = root.findtext("launchable[@type='desktop-id']")
        self.assertIn(self.tree.path("datadir", "applications", launchable), self.tree.files())
        for binary in root.findall("provides/binary"):
            self.assertIn(self.tree.path("bindir", binary.text), self.tree.files())
        # Translated from po/ at build time, like the launcher.
        english = root.find("summary").text
        for language in po_languages():
            with self.subTest(language=language):
                summary = root.find(f"summary[@{XML_LANG}='{language}']")
                self.assertIsNotNone(summary)
                self.assertNotEqual(summary.text, english)
                # Every paragraph of the description, not only the summary.
                paragraphs = root.findall("description/p")
                untranslated = [p for p in paragraphs if XML_LANG not in p.attrib]
                translated = [p for p in paragraphs if p.get(XML_LANG) == language]
                self.assertTrue(untranslated)
                self.assertEqual(len(translated), len(untranslated))

    def check_icon(self, path):
        # hicolor/SIZE/apps/NAME.png must be SIZE pixels square; SVGs are in scalable/, and in
        # symbolic/ when named NAME-symbolic.svg (the one-colour variant panels use).
        staged = self.tree.staged(path)
        size, context, name = path.split("/hicolor/", 1)[1].split("/")
        self.assertEqual(context, "apps")
        # Each icon is the one a launcher names: an icon nothing names is never shown.
        named = {self.keyfile(d).get_string("Desktop Entry", "Icon")
                 for d in self.installed_desktop_files()}
        stem = os.path.splitext(name)[0]
        self.assertIn(stem[:-len("-symbolic")] if size == "symbolic" else stem, named)
        if path.endswith(".svg"):
            self.assertIn(size, ("scalable", "symbolic"))
            self.assertEqual(size == "symbolic", stem.endswith("-symbolic"))
            result = run(["xmllint", "--noout", staged])
            self.assertEqual((result.returncode, result.stdout), (0, ""))
            self.assertEqual(ET.parse(staged).getroot().tag, "{http://www.w3.org/2000/svg}svg")
            return
        self.assertTrue(path.endswith(".png"), "icons are PNG or SVG")
        with open(staged, "rb") as f:
            header = f.read(24)
        self.assertEqual(header[:8], b"\x89PNG\r\n\x1a\n")
        width, height = int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")
        self.assertEqual(f"{width}x{height}", size)


if __name__ == "__main__":
    main()
