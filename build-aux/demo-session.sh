#!/usr/bin/env bash
# The inside of demo.sh, on its private session bus.
set -euo pipefail
top=$SPOTNOW_TOP
case $SPOTNOW_BUILDDIR in /*) build=$SPOTNOW_BUILDDIR ;; *) build=$top/$SPOTNOW_BUILDDIR ;; esac
seconds=${SPOTNOW_DEMO_SECONDS:-30}
work=$(mktemp -d -t spotnow-demo.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

"$build/tests/fake-spotify/fake-spotify" --port 0 --port-file "$work/port" \
  --timeline "$top/tests/fake-spotify/demo.timeline" --fixtures "$top/tests/fixtures" \
  --client-id demo-client >/dev/null 2>"$work/fake.log" &
pids+=($!)
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(cat "$work/port")

# The demo replays minutes in seconds: a viewer keeps it fresh every 2 s, a failure backs off
# for 1 s at first.
cat >"$work/config.ini" <<INI
[spotify]
client-id=demo-client
api-base-url=http://127.0.0.1:$port
accounts-base-url=http://127.0.0.1:$port
[polling]
fresh-playing-s=2
fresh-paused-s=2
end-of-item-delay-s=0.3
backoff-initial-s=1
backoff-max-s=4
# The request budget, scaled like the rest: a "day" of five minutes.
budget-requests=100
budget-window-s=300
INI
mkdir -p -m 0700 "$work/state"
( umask 077; cat >"$work/state/credentials.ini" <<INI
[credentials]
access-token=fake-access-0
refresh-token=fake-refresh-0
expires-at=$(( ($(date +%s) + 3600) * 1000 ))
scope=user-read-currently-playing user-read-playback-state
INI
)

"$build/daemon/spotnowd" --config "$work/config.ini" --state-dir "$work/state" \
  2>"$work/spotnowd.log" &
pids+=($!)
gdbus wait --session --timeout 10 io.github.spotnow.NowPlaying1

/usr/bin/python3 "$top/build-aux/demo-status.py" &
pids+=($!)

echo "spotnow demo: fake Spotify on 127.0.0.1:$port, spotnowd on a private bus; following for ${seconds} s"
echo
timeout --foreground -s INT "$seconds" "$build/client/spotnow" --follow || true
echo
echo "--- spotnow status"
"$build/client/spotnow" status || true
echo
echo "--- upstream requests made (fake server's counters)"
curl -s "http://127.0.0.1:$port/control/stats" | /usr/bin/python3 -c \
  'import json,sys; s=json.load(sys.stdin); print(json.dumps(s["requests"], indent=2))'
