#!/usr/bin/env bash
# The inside of screenshots.sh, on its private session bus and X server.
set -euo pipefail
top=$SPOTNOW_TOP
build=$top/$SPOTNOW_BUILDDIR
out=$top/doc/screenshots
work=$(mktemp -d -t spotnow-shots.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
mkdir -p "$out"
export XDG_CACHE_HOME=$work/cache XDG_CONFIG_HOME=$work/config GSK_RENDERER=cairo GTK_A11Y=none

cat >"$work/timeline" <<'TL'
600 track id=shotTrack0000000000000001 name="Paper Lanterns" artists="Juniper Vale" album="Night Markets" duration=214 progress=61
TL
"$build/tests/fake-spotify/fake-spotify" --port 0 --port-file "$work/port" \
  --timeline "$work/timeline" --fixtures "$top/tests/fixtures" --client-id shots >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(cat "$work/port")
cat >"$work/config.ini" <<INI
[spotify]
client-id=shots
api-base-url=http://127.0.0.1:$port
accounts-base-url=http://127.0.0.1:$port
[polling]
fresh-playing-s=1
fresh-paused-s=1
budget-requests=0
[presence]
desktop-session=false
INI
mkdir -p -m 0700 "$work/state"
( umask 077; printf '[credentials]\naccess-token=fake-access-0\nrefresh-token=fake-refresh-0\nexpires-at=%s\nscope=user-read-currently-playing\n' \
    "$(( ($(date +%s) + 3600) * 1000 ))" >"$work/state/credentials.ini" )
"$build/daemon/spotnowd" --config "$work/config.ini" --state-dir "$work/state" 2>"$work/spotnowd.log" &
pids+=($!)
gdbus wait --session --timeout 10 io.github.spotnow.NowPlaying1

snap() { "$build/client/spotnow" fresh --json 2>/dev/null || true; }
wait_for() {  # wait_for PYTHON-EXPR-over-snapshot-s
  for _ in $(seq 100); do
    snap | /usr/bin/python3 -c "import json,sys; s=json.load(sys.stdin); sys.exit(0 if ($1) else 1)" && return 0
    sleep 0.1
  done
  echo "screenshots: timed out waiting for: $1" >&2; return 1
}
shoot() { "$build/client/applet/spotnow-applet" --screenshot "$out/$1.png"; echo "wrote $out/$1.png"; }

wait_for 's.get("isPlaying") and "albumArtFile" in s'
shoot playing
printf '0.2 track id=shotTrack0000000000000001 name="Paper Lanterns" artists="Juniper Vale" album="Night Markets" duration=214 progress=95\n600 paused\n' |
  curl -sf -X POST --data-binary @- "http://127.0.0.1:$port/control/timeline" >/dev/null
wait_for 'not s.get("isPlaying")'
shoot last-played
gdbus call --session --dest io.github.spotnow.NowPlaying1 --object-path /io/github/spotnow/NowPlaying1 \
  --method io.github.spotnow.NowPlaying1.SignOut >/dev/null
shoot signed-out
