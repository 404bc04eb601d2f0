#!/usr/bin/env bash
# Installs what spotnow needs to build and test on Debian 12, or says how.
# Sourced by demo.sh and test.sh; run it alone to check a machine.
set -euo pipefail

SPOTNOW_PACKAGES=(
  meson ninja-build pkg-config gcc libglib2.0-dev libglib2.0-bin libsoup-3.0-dev
  libjson-glib-dev libgtk-4-dev gettext xvfb xauth dbus dbus-x11 playerctl
  python3-dbusmock python3-gi valgrind libxml2-utils systemd scdoc man-db groff-base desktop-file-utils appstream
  util-linux clang libclang-rt-14-dev
  chromium chromium-driver python3-selenium nginx-light wrk
)

missing_packages() {
  local pkg
  for pkg in "${SPOTNOW_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      printf '%s\n' "$pkg"
    fi
  done
}

ensure_packages() {
  local missing
  mapfile -t missing < <(missing_packages)
  [ ${#missing[@]} -eq 0 ] && return 0
  local cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then
    echo "spotnow: installing ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "spotnow: these Debian packages are missing: ${missing[*]}" >&2
    echo "Install them as root with:" >&2
    echo "  sudo sh -c '$cmd'" >&2
    exit 1
  fi
}

# meson setup once, then build, saying so (a first build takes minutes). $1 = build dir.
ensure_build() {
  local builddir=$1
  if [ ! -f "$builddir/build.ninja" ]; then
    echo "spotnow: configuring $builddir (meson setup)…"
    meson setup "$builddir" >/dev/null
  fi
  echo "spotnow: building in $builddir…"
  ninja -C "$builddir" >/dev/null
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  ensure_packages
  echo "spotnow: all build and test packages are installed"
fi
