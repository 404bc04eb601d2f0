#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine, in three passes:
#   normal    the build as shipped: every suite (unit, integration, faults, …);
#   sanitize  a second build with ASan + UBSan: the unit, integration and web suites, the daemons
#             the tests start included (tests/integration/harness.py and tests/web/webtest.py fail
#             a test whose daemon exits non-zero or logs a sanitizer report);
#   valgrind  memcheck over the first build: the unit tests wrapped in valgrind, the
#             integration suite with each daemon it starts under valgrind (SPOTNOWD_WRAPPER),
#             and the web suite with spotnow-web under valgrind (SPOTNOW_WEB_WRAPPER);
#   fuzz      a clang build with -Dfuzzing=true: each libFuzzer target (snapshot normaliser,
#             reply parsers, template language) runs 20 s from its seed corpus (suite slow).
# Extra arguments go to the normal pass's `meson test` (e.g. --suite unit). SPOTNOW_PASSES picks
# passes (default "normal sanitize valgrind fuzz"). The last line counts the tests of every pass.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
source build-aux/deps.sh
ensure_packages
builddir=${SPOTNOW_BUILDDIR:-_build}
sanitize_builddir=${builddir}-sanitize
fuzz_builddir=${builddir}-fuzz
passes=${SPOTNOW_PASSES:-normal sanitize valgrind fuzz}
logs=()
timings=()
status=0

# run_pass NAME BUILDDIR MESON-TEST-ARGS…: one `meson test`, its results kept under NAME.
run_pass() {
  local name=$1 dir=$2
  shift 2
  local started=$SECONDS
  echo "== $name pass"
  meson test -C "$dir" --print-errorlogs --logbase "testlog-$name" "$@" || status=1
  # With --wrap, meson adds the wrapper's name to the log's: testlog-NAME-valgrind.json.
  logs+=("$name" "$(ls -t "$dir/meson-logs/testlog-$name"*.json | head -n 1)")
  timings+=("$name: $((SECONDS - started)) s")
}

started=$SECONDS
ensure_build "$builddir"
timings+=("build: $((SECONDS - started)) s")

for pass in $passes; do
  case $pass in
    normal)
      run_pass normal "$builddir" "$@"
      ;;
    sanitize)
      started=$SECONDS
      if [ ! -f "$sanitize_builddir/build.ninja" ]; then
        echo "spotnow: configuring $sanitize_builddir (ASan + UBSan)…"
        meson setup "$sanitize_builddir" -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
      fi
      echo "spotnow: building in $sanitize_builddir…"
      ninja -C "$sanitize_builddir" >/dev/null
      timings+=("sanitize build: $((SECONDS - started)) s")
      # UBSan only reports unless told to stop; G_SLICE=always-malloc lets LeakSanitizer see
      # GLib's slice allocations as the mallocs they are.
      ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=1 \
      UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
      LSAN_OPTIONS=suppressions=$top/tests/lsan.supp:print_suppressions=0:fast_unwind_on_malloc=0 \
      G_SLICE=always-malloc \
        run_pass sanitize "$sanitize_builddir" --suite unit --suite integration --suite web
      ;;
    valgrind)
      # "Possibly lost" blocks are GObject instances and requests still in flight at exit:
      # only definite leaks count.
      valgrind_command=(valgrind --error-exitcode=1 --leak-check=full
        --errors-for-leak-kinds=definite --show-leak-kinds=definite --num-callers=30
        --suppressions=/usr/share/glib-2.0/valgrind/glib.supp
        --suppressions="$top/tests/valgrind.supp")
      valgrind="${valgrind_command[*]}"
      run_pass valgrind-unit "$builddir" --suite unit --wrap="$valgrind" --timeout-multiplier=10
      SPOTNOWD_WRAPPER=$valgrind \
        run_pass valgrind-integration "$builddir" --suite integration --timeout-multiplier=3
      SPOTNOW_WEB_WRAPPER=$valgrind \
        run_pass valgrind-web "$builddir" --suite web --timeout-multiplier=3
      ;;
    fuzz)
      started=$SECONDS
      if [ ! -f "$fuzz_builddir/build.ninja" ]; then
        echo "spotnow: configuring $fuzz_builddir (clang, libFuzzer)…"
        CC=clang meson setup "$fuzz_builddir" -Dfuzzing=true -Dapplet=disabled \
          -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
      fi
      echo "spotnow: building in $fuzz_builddir…"
      ninja -C "$fuzz_builddir" >/dev/null
      timings+=("fuzz build: $((SECONDS - started)) s")
      run_pass fuzz "$fuzz_builddir" --suite slow
      ;;
    *)
      echo "unknown pass '$pass' in SPOTNOW_PASSES" >&2
      exit 2
      ;;
  esac
done

printf '%s\n' "time per pass:" "${timings[@]/#/  }"

# A skipped test hides a missing part on a machine where everything can be installed:
# count it as a failure, as power-profiles-daemon's CI does.
/usr/bin/python3 - "${logs[@]}" <<'PY' || status=1
import json, sys
passed = failed = 0
for name, path in zip(sys.argv[1::2], sys.argv[2::2]):
    counts = {"passed": 0, "failed": 0}
    for line in open(path):
        test = json.loads(line)
        result = test["result"]
        if result in ("OK", "EXPECTEDFAIL"):
            counts["passed"] += 1
        else:
            counts["failed"] += 1
            why = "skipped (counts as a failure)" if result == "SKIP" else result.lower()
            print(f"{name}: {test['name']}: {why}")
    print(f"{name}: {counts['passed']} passed, {counts['failed']} failed")
    passed += counts["passed"]
    failed += counts["failed"]
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
exit $status
