#!/usr/bin/env bash
# Regenerates the README's applet pictures (doc/screenshots/*.png) from the demo set-up: the
# real spotnowd against tests/fake-spotify on a private bus, spotnow-applet --screenshot under
# Xvfb. States: playing, last played (paused), signed out.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
source build-aux/deps.sh
ensure_packages
builddir=${SPOTNOW_BUILDDIR:-_build}
ensure_build "$builddir"
export SPOTNOW_BUILDDIR="$builddir" SPOTNOW_TOP="$top"
exec dbus-run-session -- xvfb-run -a -s "-screen 0 1024x768x24" \
  "$top/build-aux/screenshots-session.sh" 2> >(grep -v "Failed to set fd limit" >&2)
