#!/usr/bin/env bash
# The demo on a fresh Debian 12 machine: packages, meson setup, build, then a private session
# bus with tests/fake-spotify playing a scripted timeline, the real spotnowd polling it over
# real HTTP, and `spotnow --follow` printing what it sees for ~30 s. No Spotify account needed.
#   SPOTNOW_DEMO_SECONDS=60 ./build-aux/demo.sh   to watch longer
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
source build-aux/deps.sh
ensure_packages
builddir=${SPOTNOW_BUILDDIR:-_build}
ensure_build "$builddir"
export SPOTNOW_BUILDDIR="$builddir" SPOTNOW_TOP="$top"
# dbus-daemon's "Failed to set fd limit" warning is harmless noise for a newcomer.
exec dbus-run-session -- "$top/build-aux/demo-session.sh" 2> >(grep -v "Failed to set fd limit" >&2)
