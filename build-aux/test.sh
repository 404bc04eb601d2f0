#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: packages, meson setup, build, meson test.
# Extra arguments go to `meson test` (e.g. --suite unit).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
source build-aux/deps.sh
ensure_packages
builddir=${SPOTNOW_BUILDDIR:-_build}
ensure_build "$builddir"

status=0
meson test -C "$builddir" --print-errorlogs "$@" || status=$?

# A skipped test hides a missing part on a machine where everything can be installed:
# count it as a failure, as power-profiles-daemon's CI does.
/usr/bin/python3 - "$builddir/meson-logs/testlog.json" <<'PY' || status=1
import json, sys
passed = failed = skipped = 0
for line in open(sys.argv[1]):
    r = json.loads(line)["result"]
    if r in ("OK", "EXPECTEDFAIL"):
        passed += 1
    elif r == "SKIP":
        skipped += 1
        print("skipped (counts as a failure):", json.loads(line)["name"])
    else:
        failed += 1
print(f"{passed} passed, {failed + skipped} failed")
sys.exit(1 if failed or skipped else 0)
PY
exit $status
