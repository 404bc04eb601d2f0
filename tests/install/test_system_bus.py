"""spotnowd --system on a private system bus with the installed policy, called as root and as
nobody: the policy in data/io.github.spotnow.NowPlaying1.conf, for real.

The bus is the distribution's system.conf (default deny) plus the installed policy directory.
The daemon is run the way the installed unit runs it: its ExecStart= command, from the install
tree, with the *_DIRECTORY variables systemd sets, as root or as the service user spotnow.
"""

import os
import re
import shlex
import shutil
import stat
import subprocess
import tempfile
import time

from installtree import (BUS_NAME, INTERFACE, InstallTestCase, SystemBus, as_user, dbus_error,
                         gdbus_call, in_tree, main, make_users_root, name_owner, passwd_entry,
                         uncommented_example_config, unit_exec_start, unit_settings,
                         wait_for_owner, write_state)

ACCESS_DENIED = "org.freedesktop.DBus.Error.AccessDenied"
SIGN_IN_CALLS = [
    ("BeginSignIn",),
    ("CompleteSignIn", "'http://127.0.0.1:8898/callback?code=c&state=s'"),
    ("CancelSignIn",),
    ("SignOut",),
]
PLAYBACK_CALLS = [("Play",), ("Pause",), ("Next",), ("Previous",), ("Seek", "int64 5000")]


class SystemBusPolicy(InstallTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users_root = make_users_root(cls.tree)
        cls.bus = SystemBus(cls.tree, cls.users_root)

    @classmethod
    def tearDownClass(cls):
        cls.bus.stop()
        shutil.rmtree(cls.users_root, ignore_errors=True)
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix="spotnow-system-")
        os.chmod(self.dir, 0o755)
        self.daemons = []

    def tearDown(self):
        for proc in self.daemons:
            if proc.poll() is None:
                proc.terminate()
            proc.communicate(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)

    def directories(self, owner, config_text=None):
        """STATE_/CACHE_/CONFIGURATION_DIRECTORY as systemd makes them, owned by @owner."""
        base = tempfile.mkdtemp(dir=self.dir)
        os.chmod(base, 0o755)
        dirs = {name: os.path.join(base, name) for name in ("state", "cache", "config")}
        for path in dirs.values():
            os.makedirs(path, mode=0o755)
        write_state(dirs["state"], "System Song")
        with open(os.path.join(dirs["config"], "config.ini"), "w", encoding="utf-8") as f:
            f.write(config_text if config_text is not None
                    else uncommented_example_config(self.tree))
        if owner != "root":
            entry = passwd_entry(self.users_root, owner)
            uid, gid = int(entry[2]), int(entry[3])
            for path in (dirs["state"], dirs["cache"]):
                for root, _, files in os.walk(path):
                    os.chown(root, uid, gid)
                    for name in files:
                        os.chown(os.path.join(root, name), uid, gid)
        return dirs

    def unit_env(self, dirs):
        """The environment systemd gives the installed unit: a plain PATH and HOME, the system
        bus, and its State/Cache/ConfigurationDirectory= as @dirs."""
        return {
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
            "LANG": "C.UTF-8",
            "HOME": "/",
            "DBUS_SYSTEM_BUS_ADDRESS": self.bus.address,
            "STATE_DIRECTORY": dirs["state"],
            "CACHE_DIRECTORY": dirs["cache"],
            "CONFIGURATION_DIRECTORY": dirs["config"],
            "GIO_USE_PROXY_RESOLVER": "dummy",
            "GSETTINGS_BACKEND": "memory",
        }

    def start_daemon(self, user="root", extra_args=(), config_text=None, wait=True):
        dirs = self.directories(user, config_text)
        env = self.unit_env(dirs)
        argv = unit_exec_start(self.tree, "systemd_system_unit_dir") + list(extra_args)
        proc = subprocess.Popen(in_tree(self.tree, as_user(user, argv), self.users_root),
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        self.daemons.append(proc)
        if wait:
            wait_for_owner(self.bus.address, proc)
        return proc

    def unit_directories(self, config_text):
        """STATE_, CACHE_ and CONFIGURATION_DIRECTORY made from the installed unit as systemd
        makes them (systemd.exec(5)): owned by User=, with the unit's *DirectoryMode=, and with
        DynamicUser=yes inside a private/ directory only root may enter, reached by a symlink,
        which only the service's own mount namespace opens (a 0755 tmpfs over private/ with
        its directory bound back in). Returns (paths, the unit's [Service] settings, the
        mounts of the service's namespace)."""
        unit = unit_settings(self.tree, "systemd_system_unit_dir")
        entry = passwd_entry(self.users_root, unit["User"][-1])
        uid, gid = int(entry[2]), int(entry[3])
        dynamic = unit.get("DynamicUser", ["no"])[-1].lower() in ("yes", "true", "on", "1")
        base = tempfile.mkdtemp(dir=self.dir)
        os.chmod(base, 0o755)
        dirs = {}
        mounts = []
        for kind, top in (("State", "lib"), ("Cache", "cache")):
            parent = os.path.join(base, top)
            os.makedirs(parent, mode=0o755)
            name = unit[f"{kind}Directory"][-1]
            real = os.path.join(parent, name)
            if dynamic:
                private = os.path.join(parent, "private")
                os.makedirs(private, mode=0o700)
                real = os.path.join(private, name)
                os.symlink(os.path.join("private", name), os.path.join(parent, name))
                staging = os.path.join(base, f"{top}-staging")
                os.makedirs(staging, mode=0o755)
                q = shlex.quote
                mounts += [f"mount --bind {q(real)} {q(staging)}",
                           f"mount -t tmpfs -o mode=0755 spotnow-private {q(private)}",
                           f"mkdir {q(real)}", f"mount --bind {q(staging)} {q(real)}"]
            os.makedirs(real)
            os.chown(real, uid, gid)
            os.chmod(real, int(unit.get(f"{kind}DirectoryMode", ["0755"])[-1], 8))
            dirs[kind.lower()] = os.path.join(parent, name)
        dirs["config"] = os.path.join(base, "etc")
        os.makedirs(dirs["config"], mode=0o755)
        with open(os.path.join(dirs["config"], "config.ini"), "w", encoding="utf-8") as f:
            f.write(config_text)
        credentials = os.path.join(dirs["state"], "credentials.ini")
        with open(os.open(credentials, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write("[credentials]\naccess-token=fake-access-0\nrefresh-token=fake-refresh-0\n"
                    f"expires-at={int(time.time() * 1000) + 3600 * 1000}\n"
                    "scope=user-read-currently-playing\n")
        os.chown(credentials, uid, gid)
        return dirs, unit, mounts

    def start_fake_spotify(self):
        fake = subprocess.Popen([os.environ["SPN_FAKE_SPOTIFY"], "--port", "0", "--fixtures",
                                 os.environ["SPN_FIXTURES_DIR"]],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.addCleanup(fake.wait, 10)
        self.addCleanup(fake.stdout.close)
        self.addCleanup(fake.terminate)
        line = fake.stdout.readline()
        self.assertTrue(line.startswith("PORT "), f"fake-spotify did not start: {line!r}")
        return f"http://127.0.0.1:{int(line.split()[1])}"

    def call(self, method, *args, user="root", **kwargs):
        return gdbus_call(self.bus.address, method, *args, user=user, **kwargs)

    def assertCallWorks(self, method, *args, user="root", **kwargs):
        result = self.call(method, *args, user=user, **kwargs)
        self.assertEqual(result.returncode, 0, f"{method} as {user}: {result.stderr}")
        return result.stdout

    # ---- the cases -----------------------------------------------------------------------------

    def test_every_user_reads_what_root_runs(self):
        self.start_daemon("root")
        for user in ("root", "nobody"):
            with self.subTest(user=user):
                snapshot = self.assertCallWorks("CurrentlyPlaying", user=user)
                self.assertIn("'trackName': <'System Song'>", snapshot)
                status = self.assertCallWorks("GetStatus", user=user)
                self.assertIn("'authState': <'signed-out'>", status)
                self.assertCallWorks("ReportViewerPresence", f"'panel-of-{user}'", user=user)
                # Allowed, so the daemon itself answers: nobody is signed in.
                result = self.call("EnsureFresh", user=user)
                self.assertEqual(dbus_error(result), "io.github.spotnow.Error.SignedOut")
                xml = self.assertCallWorks("Introspect", user=user,
                                           interface="org.freedesktop.DBus.Introspectable")
                self.assertIn(INTERFACE, xml)
                self.assertCallWorks("GetAll", f"'{INTERFACE}'", user=user,
                                     interface="org.freedesktop.DBus.Properties")
                self.assertCallWorks("Ping", user=user, interface="org.freedesktop.DBus.Peer")
        # The daemon itself judges nobody's heartbeat.
        result = self.call("ReportViewerPresence", "''", user="nobody")
        self.assertEqual(dbus_error(result), "io.github.spotnow.Error.InvalidArgs")

    def test_sign_in_is_roots(self):
        self.start_daemon("root")
        for call in SIGN_IN_CALLS:
            with self.subTest(member=call[0]):
                self.assertEqual(dbus_error(self.call(*call, user="nobody")), ACCESS_DENIED)
                # Root passes the policy (whatever the daemon then answers).
                self.assertNotEqual(dbus_error(self.call(*call, user="root")), ACCESS_DENIED)
        # Anything not allowed is denied, before the daemon sees it.
        self.assertEqual(dbus_error(self.call("Frobnicate", user="nobody")), ACCESS_DENIED)
        self.assertEqual(dbus_error(self.call("Frobnicate", user="root")),
                         "org.freedesktop.DBus.Error.UnknownMethod")

    def test_playback_control_is_roots(self):
        self.start_daemon("root")
        for call in PLAYBACK_CALLS:
            with self.subTest(member=call[0]):
                self.assertEqual(dbus_error(self.call(*call, user="nobody")), ACCESS_DENIED)
                # Root passes the policy; the daemon then says nobody is signed in.
                self.assertEqual(dbus_error(self.call(*call, user="root")),
                                 "io.github.spotnow.Error.SignedOut")

    def test_nobody_cannot_take_the_name(self):
        self.start_daemon("root")
        owner = name_owner(self.bus.address)
        result = self.call("RequestName", f"'{BUS_NAME}'", "uint32 2", user="nobody",
                           interface="org.freedesktop.DBus", dest="org.freedesktop.DBus",
                           path="/org/freedesktop/DBus")
        self.assertEqual(dbus_error(result), ACCESS_DENIED)
        # Not even with the daemon's own --replace.
        usurper = self.start_daemon("nobody", extra_args=["--replace"], wait=False)
        _, stderr = usurper.communicate(timeout=20)
        self.assertNotEqual(usurper.returncode, 0, stderr)
        self.assertEqual(name_owner(self.bus.address), owner)
        self.assertIn("System Song", self.assertCallWorks("CurrentlyPlaying", user="nobody"))

    def test_the_service_user_owns_the_name(self):
        proc = self.start_daemon("spotnow")
        entry = passwd_entry(self.users_root, "spotnow")
        with open(f"/proc/{proc.pid}/status", encoding="utf-8") as f:
            uids = next(line for line in f if line.startswith("Uid:")).split()[1:]
        self.assertEqual(set(uids), {entry[2]})
        self.assertIn("System Song", self.assertCallWorks("CurrentlyPlaying", user="nobody"))
        self.assertEqual(dbus_error(self.call("BeginSignIn", user="nobody")), ACCESS_DENIED)

    def test_every_user_sees_the_cover(self):
        """The installed unit as systemd runs it: its user, directories, modes and umask. The
        cover the daemon caches is for every user's panel; its state stays its own."""
        url = self.start_fake_spotify()
        dirs, unit, mounts = self.unit_directories(
            f"[spotify]\nclient-id=test-client\napi-base-url={url}\naccounts-base-url={url}\n")
        env = self.unit_env(dirs)
        umask = int(unit.get("UMask", ["0022"])[-1], 8)
        argv = unit_exec_start(self.tree, "systemd_system_unit_dir")
        proc = subprocess.Popen(
            in_tree(self.tree, as_user(unit["User"][-1], argv), self.users_root, mounts), env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            preexec_fn=lambda: os.umask(umask))
        self.daemons.append(proc)
        wait_for_owner(self.bus.address, proc)

        deadline = time.monotonic() + 20
        while True:
            snapshot = self.assertCallWorks("CurrentlyPlaying", user="nobody")
            match = re.search(r"'albumArtFile': <'([^']+)'>", snapshot)
            if match is not None:
                break
            self.assertLess(time.monotonic(), deadline, f"no albumArtFile in {snapshot}")
            time.sleep(0.05)
        art = match.group(1)
        self.assertTrue(art.startswith(dirs["cache"] + "/"), art)
        cover = subprocess.run(as_user("nobody", ["cat", art]), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=10)
        self.assertEqual(cover.returncode, 0, f"nobody cannot read {art}: {cover.stderr}")
        self.assertTrue(cover.stdout.startswith(b"\x89PNG"), cover.stdout[:16])
        self.assertEqual(stat.S_IMODE(os.stat(art).st_mode), 0o644)
        self.assertEqual(stat.S_IMODE(os.stat(dirs["cache"]).st_mode), 0o755)

        # The state stays private: the directory 0700, the files 0600, nobody reads them.
        state = os.path.join(dirs["state"], "state.ini")
        deadline = time.monotonic() + 20
        while not os.path.exists(state):
            self.assertLess(time.monotonic(), deadline, "no state.ini written")
            time.sleep(0.05)
        self.assertEqual(stat.S_IMODE(os.stat(dirs["state"]).st_mode), 0o700)
        for name in ("state.ini", "credentials.ini"):
            path = os.path.join(dirs["state"], name)
            self.assertEqual(stat.S_IMODE(os.stat(path).st_mode) & 0o077, 0, name)
            peek = subprocess.run(as_user("nobody", ["cat", path]), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, timeout=10)
            self.assertNotEqual(peek.returncode, 0, f"nobody read {name}")

    def test_config_comes_from_the_configuration_directory(self):
        proc = self.start_daemon("root", config_text="[polling]\nsafety-interval-s=soon\n",
                                 wait=False)
        _, stderr = proc.communicate(timeout=20)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("config/config.ini: [polling] safety-interval-s", stderr)
        self.assertIsNone(name_owner(self.bus.address))


if __name__ == "__main__":
    main()
