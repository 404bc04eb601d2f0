#!/bin/sh
# Runs a libFuzzer binary for meson test: what it finds goes to a corpus directory in the build
# tree (created here, kept between runs), crashes beside it; the seed directories are only read.
# Usage: run-fuzzer.sh FUZZER WORK_DIR [SEED_DIR...] [-libfuzzer_flag=value...]
set -eu
fuzzer=$1
work=$2
shift 2
mkdir -p "$work"
exec "$fuzzer" "$work" -artifact_prefix="$work-" "$@"
