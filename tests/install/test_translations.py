"""The translation sources: every file with marked strings is in po/POTFILES, and every language
in po/LINGUAS translates every string (a German user sees no English fragments)."""

import os
import re
import subprocess
import tempfile
import unittest

SOURCE_ROOT = os.environ["SPN_SOURCE_ROOT"]
PO_DIR = os.path.join(SOURCE_ROOT, "po")
# The keywords of meson's i18n 'glib' preset, which builds the real .pot.
KEYWORDS = ["_", "N_", "C_:1c,2", "NC_:1c,2", "g_dcgettext:2", "g_dngettext:2,3",
            "g_dpgettext2:2c,3"]
MARKED = re.compile(r"\b(?:N?C?_|g_dn?gettext|g_dcgettext|g_dpgettext2)\(\s*\"")
UI_MARKED = re.compile(r'translatable="yes"')
SOURCE_DIRS = ("daemon", "client", "web")
# Files i18n.merge_file translates at build time: all their strings are for translation.
MERGED_SUFFIXES = (".desktop.in", ".metainfo.xml")


def read_list(name):
    with open(os.path.join(PO_DIR, name), encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip() and not line.startswith("#")]


class Translations(unittest.TestCase):
    def test_potfiles_lists_every_file_with_marked_strings(self):
        listed = set(read_list("POTFILES"))
        marked = set()
        for top in SOURCE_DIRS:
            for root, _, files in os.walk(os.path.join(SOURCE_ROOT, top)):
                for name in files:
                    pattern = {".c": MARKED, ".ui": UI_MARKED}.get(os.path.splitext(name)[1])
                    if pattern is None:
                        continue
                    path = os.path.join(root, name)
                    with open(path, encoding="utf-8") as f:
                        if pattern.search(f.read()):
                            marked.add(os.path.relpath(path, SOURCE_ROOT))
        for name in os.listdir(os.path.join(SOURCE_ROOT, "data")):
            if name.endswith(MERGED_SUFFIXES):
                marked.add(os.path.join("data", name))
        self.assertTrue(marked)
        self.assertEqual(sorted(marked - listed), [], "add these to po/POTFILES")

    def test_every_language_is_complete(self):
        # Only the listed files that exist: others arrive with their branches.
        sources = [p for p in read_list("POTFILES")
                   if os.path.exists(os.path.join(SOURCE_ROOT, p))]
        languages = read_list("LINGUAS")
        self.assertIn("de", languages)
        with tempfile.TemporaryDirectory() as tmp:
            pot = os.path.join(tmp, "spotnow.pot")
            subprocess.run(["xgettext", "--from-code=UTF-8", "--add-comments", "-o", pot]
                           + [f"--keyword={k}" for k in KEYWORDS] + sources,
                           cwd=SOURCE_ROOT, check=True)
            for language in languages:
                with self.subTest(language=language):
                    merged = os.path.join(tmp, f"{language}.po")
                    subprocess.run(["msgmerge", "--quiet", "--no-fuzzy-matching", "-o", merged,
                                    os.path.join(PO_DIR, f"{language}.po"), pot], check=True)
                    result = subprocess.run(
                        ["msgfmt", "--check", "--statistics", "-o", os.devnull, merged],
                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                    self.assertEqual(result.returncode, 0, result.stdout)
                    self.assertNotRegex(result.stdout, r"untranslated|fuzzy",
                                        f"po/{language}.po is incomplete "
                                        "(ninja spotnow-update-po, then translate)")


if __name__ == "__main__":
    unittest.main(verbosity=2)
