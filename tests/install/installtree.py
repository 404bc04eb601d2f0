"""The install tree of this build, and ways to run things as if it were installed.

`meson install --destdir` puts the tree in a temporary directory. Installed files name each other
by their final paths (a unit's ExecStart=, the daemon's compiled-in locale directory), so
`in_tree()` runs a command in a private mount namespace where the tree is overlaid on those
paths: the command sees exactly what a user of the installed package sees, and the host stays
untouched. The service user `spotnow` is made the same way: sysusers.d/spotnow.conf applied to a
copy of /etc/passwd and /etc/group that only that namespace sees.

Paths come from the environment tests/install/meson.build sets (SPN_DIR_<name>, SPN_MESON, ...).
This needs root (mounts, switching users); CI runs as root.
"""

import os
import re
import shlex
import shutil
import subprocess
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET

BUS_NAME = "io.github.spotnow.NowPlaying1"
OBJECT_PATH = "/io/github/spotnow/NowPlaying1"
INTERFACE = "io.github.spotnow.NowPlaying1"
HERE = os.path.dirname(os.path.abspath(__file__))
DIR_PREFIX = "SPN_DIR_"


def require_root(testcase):
    """Fails (never skips) when the checks cannot run as they must."""
    if os.geteuid() != 0:
        testcase.fail("the install suite runs as root (it mounts and switches users)")


def install_dirs():
    return {k[len(DIR_PREFIX):]: v for k, v in os.environ.items() if k.startswith(DIR_PREFIX)}


class InstallTree:
    """One `meson install --destdir` of the build tree."""

    def __init__(self):
        self.destdir = tempfile.mkdtemp(prefix="spotnow-install-")
        self.dirs = install_dirs()
        result = subprocess.run(
            [os.environ["SPN_MESON"], "install", "-C", os.environ["SPN_BUILD_ROOT"],
             "--destdir", self.destdir, "--no-rebuild", "--quiet"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"meson install failed:\n{result.stdout}")

    def path(self, dir_name, *parts):
        """The final (installed) path of a file, e.g. path('libexecdir', 'spotnowd')."""
        return os.path.join(self.dirs[dir_name], *parts)

    def staged(self, final_path):
        """Where a final path is in the destdir."""
        return os.path.join(self.destdir, final_path.lstrip("/"))

    def files(self):
        """Final paths of every installed file (symlinks count as files)."""
        found = set()
        for root, dirnames, filenames in os.walk(self.destdir):
            names = filenames + [d for d in dirnames if os.path.islink(os.path.join(root, d))]
            for name in names:
                found.add("/" + os.path.relpath(os.path.join(root, name), self.destdir))
        return found

    def cleanup(self):
        shutil.rmtree(self.destdir, ignore_errors=True)


def expected_files(dirs=None, features=None):
    """The final paths expected-files.txt lists for this build."""
    dirs = dirs if dirs is not None else install_dirs()
    if features is None:
        features = set(os.environ.get("SPN_INSTALL_FEATURES", "").split())
    expected = set()
    with open(os.path.join(HERE, "expected-files.txt"), encoding="utf-8") as f:
        for number, raw in enumerate(f, 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            match = re.fullmatch(r"(?:\[([\w-]+)\]\s+)?(\S+)", line)
            if match is None:
                raise ValueError(f"expected-files.txt:{number}: cannot parse {raw!r}")
            feature, pattern = match.groups()
            if feature is not None and feature not in features:
                continue
            try:
                path = re.sub(r"\$\{(\w+)\}", lambda m: dirs[m.group(1)], pattern)
            except KeyError as e:
                raise ValueError(f"expected-files.txt:{number}: unknown directory {e}") from None
            expected.add(os.path.normpath(path))
    return expected


# ---- running as if installed -------------------------------------------------------------------

def in_tree(tree, argv, users_root=None, setup=()):
    """argv, run in a mount namespace where the install tree is overlaid on its final paths
    and, with @users_root, /etc/passwd and /etc/group come from that directory. @setup: more
    shell commands (mounts) for that namespace, run as root before argv."""
    script = ["set -e"]
    for top in sorted(os.listdir(tree.destdir)):
        lower = os.path.join(tree.destdir, top)
        target = "/" + top
        script.append(f"mount -t overlay spotnow-install -o lowerdir={shlex.quote(lower)}:"
                      f"{shlex.quote(target)} {shlex.quote(target)}")
    if users_root is not None:
        for name in ("passwd", "group"):
            source = os.path.join(users_root, "etc", name)
            script.append(f"mount --bind {shlex.quote(source)} /etc/{name}")
    script.extend(setup)
    script.append('exec "$@"')
    return ["unshare", "--mount", "--propagation", "private", "--",
            "/bin/sh", "-c", "\n".join(script), "sh"] + list(argv)


def make_users_root(tree):
    """A directory with etc/passwd and etc/group: the host's plus what the installed sysusers.d
    file creates, so new ids never collide with the host's."""
    root = tempfile.mkdtemp(prefix="spotnow-users-")
    os.makedirs(os.path.join(root, "etc"))
    for name in ("passwd", "group", "shadow", "gshadow"):
        if os.path.exists(os.path.join("/etc", name)):
            shutil.copy(os.path.join("/etc", name), os.path.join(root, "etc", name))
    conf = tree.staged(tree.path("sysusers_dir", "spotnow.conf"))
    result = subprocess.run(["systemd-sysusers", f"--root={root}", conf],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"systemd-sysusers failed: {result.stdout}")
    return root


def passwd_entry(users_root, name):
    with open(os.path.join(users_root, "etc", "passwd"), encoding="utf-8") as f:
        for line in f:
            fields = line.rstrip("\n").split(":")
            if fields[0] == name:
                return fields
    return None


def unit_settings(tree, dir_name):
    """The [Service] section of the installed spotnowd.service in @dir_name: {key: [values]}."""
    settings = {}
    section = None
    with open(tree.staged(tree.path(dir_name, "spotnowd.service")), encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line.startswith("[") and line.endswith("]"):
                section = line[1:-1]
            elif section == "Service" and "=" in line and not line.startswith("#"):
                key, value = line.split("=", 1)
                settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def unit_exec_start(tree, dir_name):
    """The ExecStart= command line of the installed spotnowd.service in @dir_name."""
    with open(tree.staged(tree.path(dir_name, "spotnowd.service")), encoding="utf-8") as f:
        for line in f:
            if line.startswith("ExecStart="):
                return shlex.split(line[len("ExecStart="):])
    raise AssertionError("no ExecStart= in spotnowd.service")


# ---- private buses -----------------------------------------------------------------------------

DROPPED_BUS_ELEMENTS = {
    "user", "fork", "pidfile", "syslog", "listen", "include", "includedir", "servicedir",
    "standard_system_servicedirs", "servicehelper", "keep_umask",
}


def write_system_bus_config(path, socket_path, policy_dir):
    """The distribution's own system bus config (its default-deny policy and limits), listening
    on @socket_path and reading service policies from @policy_dir only."""
    tree = ET.parse("/usr/share/dbus-1/system.conf")
    root = tree.getroot()
    for child in list(root):
        if child.tag in DROPPED_BUS_ELEMENTS:
            root.remove(child)
    ET.SubElement(root, "listen").text = f"unix:path={socket_path}"
    ET.SubElement(root, "includedir").text = policy_dir
    with open(path, "w", encoding="utf-8") as f:
        f.write('<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"\n'
                ' "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">\n')
        f.write(ET.tostring(root, encoding="unicode"))


def bus_warnings(text):
    """dbus-daemon's messages, less the harmless fd-limit one a test bus always prints."""
    return [line for line in text.splitlines()
            if line.strip() and "Failed to set fd limit" not in line]


class SystemBus:
    """A private dbus-daemon of <type>system</type> with the installed policy, in a directory
    every user can reach."""

    def __init__(self, tree, users_root):
        self.dir = tempfile.mkdtemp(prefix="spotnow-sysbus-")
        os.chmod(self.dir, 0o755)
        socket_path = os.path.join(self.dir, "system_bus_socket")
        self.config = os.path.join(self.dir, "system.conf")
        write_system_bus_config(self.config, socket_path,
                                tree.staged(tree.dirs["dbus_system_policy_dir"]))
        self.log_path = os.path.join(self.dir, "dbus-daemon.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            in_tree(tree, ["dbus-daemon", f"--config-file={self.config}", "--nofork",
                           "--print-address=1"], users_root=users_root),
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        self.address = self.proc.stdout.readline().strip()
        if not self.address:
            self.stop()
            raise RuntimeError(f"dbus-daemon did not start: {self.messages()}")

    def messages(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return bus_warnings(f.read())

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc.stdout.close()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class SessionBus:
    """A private session bus for one test, with a home of its own. With @activation it reads
    the installed services directory, so the first call to the name starts the installed daemon
    (without systemd the bus runs Exec= itself); without, the name has no owner and nothing
    can start one: a session where the daemon is not running."""

    def __init__(self, tree, activation=True):
        self.tree = tree
        self.dir = tempfile.mkdtemp(prefix="spotnow-session-")
        self.home = os.path.join(self.dir, "home")
        os.makedirs(self.home)
        servicedir = ""
        if activation:
            staged = tree.staged(tree.dirs["dbus_session_services_dir"])
            servicedir = f"<servicedir>{staged}</servicedir>"
        config = os.path.join(self.dir, "session.conf")
        with open(config, "w", encoding="utf-8") as f:
            f.write(f"""<busconfig>
  <type>session</type>
  <listen>unix:path={self.dir}/bus</listen>
  <auth>EXTERNAL</auth>
  {servicedir}
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
""")
        # The bus passes its environment to what it activates.
        self.env = {
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
            "LANG": "C.UTF-8",
            "HOME": self.home,
            "XDG_CONFIG_HOME": os.path.join(self.home, ".config"),
            "XDG_STATE_HOME": os.path.join(self.home, ".local", "state"),
            "XDG_CACHE_HOME": os.path.join(self.home, ".cache"),
            "GIO_USE_PROXY_RESOLVER": "dummy",
            "GSETTINGS_BACKEND": "memory",
        }
        self.log = open(os.path.join(self.dir, "dbus-daemon.log"), "w")
        # In the tree's namespace, so Exec= finds the daemon at its installed path.
        self.proc = subprocess.Popen(
            in_tree(tree, ["dbus-daemon", f"--config-file={config}", "--nofork",
                           "--print-address=1"]),
            stdout=subprocess.PIPE, stderr=self.log, text=True, env=self.env)
        address = self.proc.stdout.readline().strip()
        if not address:
            self.stop()
            raise RuntimeError("dbus-daemon did not start")
        self.env["DBUS_SESSION_BUS_ADDRESS"] = address

    @property
    def state_dir(self):
        """Where a session spotnowd keeps state.ini."""
        return os.path.join(self.env["XDG_STATE_HOME"], "spotnow")

    def gdbus(self, *args):
        return subprocess.run(["gdbus", "call", "--session", "--timeout", "20"] + list(args),
                              env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, timeout=30)

    def spotnow(self, *args, language=None):
        """The installed CLI on this bus, with LANGUAGE=@language when given."""
        env = dict(self.env)
        if language is not None:
            env["LANGUAGE"] = language
        argv = [self.tree.path("bindir", "spotnow")] + list(args)
        return subprocess.run(in_tree(self.tree, argv), env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, timeout=60)

    def daemon_pid(self):
        """The pid of whoever owns BUS_NAME, or None."""
        result = self.gdbus("--dest", "org.freedesktop.DBus", "--object-path",
                            "/org/freedesktop/DBus", "--method",
                            "org.freedesktop.DBus.GetConnectionUnixProcessID", f"'{BUS_NAME}'")
        if result.returncode != 0:
            return None
        return int(result.stdout.strip("()\n ,").split()[-1])

    def stop(self):
        pid = self.daemon_pid() if self.proc.poll() is None else None
        if pid is not None:
            os.kill(pid, 15)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and os.path.exists(f"/proc/{pid}"):
                time.sleep(0.05)
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc.stdout.close()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def client_env(bus_address):
    return {
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        "LANG": "C.UTF-8",
        "HOME": "/nonexistent",
        "DBUS_SYSTEM_BUS_ADDRESS": bus_address,
    }


def as_user(user, argv):
    """argv run as @user ('root' runs it as is); @user is a name or a uid."""
    if user == "root":
        return list(argv)
    group = "nogroup" if user == "nobody" else user
    return ["setpriv", f"--reuid={user}", f"--regid={group}", "--clear-groups"] + list(argv)


def gdbus_call(bus_address, method, *args, user="root", interface=INTERFACE,
               dest=BUS_NAME, path=OBJECT_PATH):
    argv = ["gdbus", "call", "--system", "--timeout", "10", "--dest", dest,
            "--object-path", path, "--method", f"{interface}.{method}"] + list(args)
    return subprocess.run(as_user(user, argv), env=client_env(bus_address),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=30)


def name_owner(bus_address):
    """The unique name owning BUS_NAME, or None."""
    result = gdbus_call(bus_address, "GetNameOwner", f"'{BUS_NAME}'",
                        interface="org.freedesktop.DBus", dest="org.freedesktop.DBus",
                        path="/org/freedesktop/DBus")
    if result.returncode != 0:
        return None
    match = re.search(r"'(:[\d.]+)'", result.stdout)
    return match.group(1) if match else None


def wait_for_owner(bus_address, proc, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        owner = name_owner(bus_address)
        if owner is not None:
            return owner
        if proc.poll() is not None:
            raise AssertionError(f"spotnowd exited with {proc.returncode} before owning the name")
        time.sleep(0.05)
    raise AssertionError(f"{BUS_NAME} not owned after {timeout} s")


def dbus_error(result):
    """The D-Bus error name of a failed gdbus call, or None if it succeeded."""
    if result.returncode == 0:
        return None
    match = re.search(r"GDBus\.Error:([\w.]+)", result.stderr)
    return match.group(1) if match else f"(no D-Bus error) {result.stderr.strip()}"


def write_state(state_dir, track_name):
    """A state.ini as spotnowd leaves it: the last snapshot, a paused track."""
    os.makedirs(state_dir, mode=0o700, exist_ok=True)
    with open(os.path.join(state_dir, "state.ini"), "w", encoding="utf-8") as f:
        f.write(f"""[now-playing]
isPlaying=false
trackName={track_name}
artistName=The Packagers
albumName=Destdir
albumArt=
trackId=t1
trackUrl=https://open.spotify.com/track/t1
itemType=track
progressMs=1000
durationMs=200000
fetchedAt=1700000000000
""")


def uncommented_example_config(tree):
    """The installed config.ini.example with every '#key=value' line made live: the documented
    defaults, as spotnowd would read them if someone uncommented them all."""
    with open(tree.staged(tree.path("docdir", "config.ini.example")), encoding="utf-8") as f:
        text = f.read()
    return re.sub(r"(?m)^#([a-z][a-z-]*=)", r"\1", text)


class InstallTestCase(unittest.TestCase):
    """One install tree for all cases of a test file."""

    @classmethod
    def setUpClass(cls):
        cls.tree = InstallTree()

    @classmethod
    def tearDownClass(cls):
        cls.tree.cleanup()

    def setUp(self):
        require_root(self)


def main():
    unittest.main(verbosity=2)
