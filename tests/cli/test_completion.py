"""data/spotnow.bash-completion as bash runs it on Tab: a --format template is one candidate,
and `seek -` offers offsets, not options (issue 13 A11)."""

import os
import shlex
import subprocess
import unittest

PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data",
                    "spotnow.bash-completion")


def complete(*words):
    script = (f"source {shlex.quote(PATH)}; "
              f"COMP_WORDS=({' '.join(shlex.quote(w) for w in words)}); "
              f"COMP_CWORD={len(words) - 1}; _spotnow; printf '%s\\n' \"${{COMPREPLY[@]}}\"")
    out = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], capture_output=True,
                         text=True, check=True).stdout
    return sorted(line for line in out.splitlines() if line)


class Completion(unittest.TestCase):
    def test_template_is_one_candidate(self):
        self.assertEqual(complete("spotnow", "--format", ""), ["'{{ artist }} - {{ title }}'"])
        self.assertEqual(complete("spotnow", "-f", "'{{"), ["'{{ artist }} - {{ title }}'"])
        self.assertEqual(complete("spotnow", "--format", "x"), [])

    def test_seek_dash_offers_offsets(self):
        self.assertEqual(complete("spotnow", "seek", "-"), ["-10", "-30"])
        self.assertEqual(complete("spotnow", "seek", ""), ["+10", "+30", "-10", "-30"])
        self.assertEqual(complete("spotnow", "seek", "--w"), ["--wait"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
