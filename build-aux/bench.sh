#!/usr/bin/env bash
# The benchmark suite on a fresh Debian 12 machine: packages, meson setup, build, then
# `meson test --benchmark --suite bench --verbose`, then the goal rows as a Markdown table (the
# one in README's "Performance"). Extra arguments go to `meson test` (e.g. a benchmark's name).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
source build-aux/deps.sh
ensure_packages
builddir=${SPOTNOW_BUILDDIR:-_build}
ensure_build "$builddir"

# One run's results only: the benchmarks merge theirs into this file.
rm -f "$builddir/tests/bench/bench-results.json"
status=0
meson test -C "$builddir" --benchmark --suite bench --verbose "$@" || status=$?
if [ -f "$builddir/tests/bench/bench-results.json" ]; then
  /usr/bin/python3 tests/bench/report.py "$builddir/tests/bench/bench-results.json"
fi
exit $status
