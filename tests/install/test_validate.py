"""Every installed file passes its own validator; a file without one fails the suite."""

import os
import re
import shutil
import subprocess
import tempfile

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

from installtree import (BUS_NAME, INTERFACE, InstallTestCase, SystemBus,  # noqa: E402
                         in_tree, main, make_users_root, passwd_entry, uncommented_example_config)


# systemd-analyze security's overall exposure, times ten, above which the system unit fails.
SECURITY_THRESHOLD = 15


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
            (lambda p: p.endswith(".desktop"), self.check_desktop_file),
            (lambda p: p.endswith((".metainfo.xml", ".appdata.xml")), self.check_metainfo),
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
            argv = ["systemd-analyze"] + (["--user"] if user else []) + ["verify", path]
            env = dict(os.environ, XDG_RUNTIME_DIR=runtime_dir, SYSTEMD_LOG_LEVEL="notice")
            result = run(in_tree(self.tree, argv), env=env)
        # verify reports some problems with exit status 0: any output is a failure too.
        self.assertEqual((result.returncode, result.stdout), (0, ""))
        keyfile = self.keyfile(path)
        self.assertEqual(keyfile.get_string("Service", "Type"), "dbus")
        if not user:
            # Keeps the sandbox from eroding: 1.1 ("OK") when written; 0 is best, 10 worst.
            result = run(in_tree(self.tree, ["systemd-analyze", "security", "--offline=true",
                                             f"--threshold={SECURITY_THRESHOLD}", "--no-pager",
                                             path]))
            self.assertEqual(result.returncode, 0, result.stdout)
        self.assertEqual(keyfile.get_string("Service", "BusName"), BUS_NAME)

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
        self.assertEqual(documented, known)

    def check_translation(self, path):
        result = run(["msgunfmt", self.tree.staged(path)])
        self.assertEqual(result.returncode, 0, result.stdout)
        self.assertIn("msgid", result.stdout)

    def check_desktop_file(self, path):
        result = run(["desktop-file-validate", self.tree.staged(path)])
        self.assertEqual((result.returncode, result.stdout), (0, ""))

    def check_metainfo(self, path):
        result = run(["appstreamcli", "validate", "--no-net", self.tree.staged(path)])
        self.assertEqual(result.returncode, 0, result.stdout)

    # ---- the translation pipeline, end to end --------------------------------------------------

    def test_daemon_speaks_german_from_the_install_tree(self):
        spotnowd = self.tree.path("libexecdir", "spotnowd")
        env = dict(os.environ, LANG="C.UTF-8", LANGUAGE="de")
        env.pop("LC_ALL", None)
        env.pop("LC_MESSAGES", None)
        result = run(in_tree(self.tree, [spotnowd, "--help"]), env=env)
        self.assertEqual(result.returncode, 0, result.stdout)
        self.assertIn("Den Systembus verwenden", result.stdout)
        self.assertIn("--config=DATEI", result.stdout)
        # And the error path: a message built at run time.
        result = run(in_tree(self.tree, [spotnowd, "--session", "--system"]), env=env)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("--session und --system schließen einander aus", result.stdout)


if __name__ == "__main__":
    main()
