"""`meson install --destdir` installs exactly the files expected-files.txt lists."""

import json
import os
import stat

from installtree import InstallTestCase, expected_files, main


class InstalledFiles(InstallTestCase):
    def test_installed_tree_matches_the_list(self):
        installed = self.tree.files()
        expected = expected_files()
        missing = sorted(expected - installed)
        unexpected = sorted(installed - expected)
        self.assertEqual(
            (missing, unexpected), ([], []),
            "installed tree differs from tests/install/expected-files.txt "
            f"(missing: {missing}, not listed: {unexpected})")

    def test_everything_is_under_the_prefix(self):
        # So `meson install` into a prefix the user owns needs no root.
        prefix = self.tree.dirs["prefix"].rstrip("/") + "/"
        outside = sorted(p for p in self.tree.files() if not p.startswith(prefix))
        self.assertEqual(outside, [])

    def test_modes(self):
        # Programs executable by all; data readable by all and writable by nobody else.
        for path in self.tree.files():
            mode = os.lstat(self.tree.staged(path)).st_mode
            with self.subTest(path=path):
                self.assertTrue(stat.S_ISREG(mode), "not a regular file")
                self.assertEqual(mode & 0o022, 0, "group/other-writable")
                self.assertEqual(mode & 0o444, 0o444, "not readable by all")
                executable = path.startswith((self.tree.dirs["libexecdir"] + "/",
                                              self.tree.dirs["bindir"] + "/"))
                self.assertEqual(bool(mode & 0o111), executable,
                                 "executable bit does not match bindir/libexecdir")

    def test_no_bundled_library_with_system_ones_present(self):
        # subprojects/*.wrap are fallbacks: with the -dev packages installed (as here), this
        # build must not have used, or even fetched, any of them.
        info = os.path.join(os.environ["SPN_BUILD_ROOT"], "meson-info", "intro-projectinfo.json")
        with open(info, encoding="utf-8") as f:
            self.assertEqual(json.load(f)["subprojects"], [])


if __name__ == "__main__":
    main()
