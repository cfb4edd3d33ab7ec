#!/usr/bin/env bash
# run-tests.sh: install dependencies, build, and run the whole test suite:
#   1. the normal build's tests (core, cli, fuzz replay, gui under Xvfb)
#   2. the same core/cli/fuzz tests built with AddressSanitizer + UBSan
#   3. a short libFuzzer run of every fuzz target (clang)
# The shared test assets must be at ../shared beside the source tree (or set
# LB_SHARED_DIR). Set LB_FUZZ_SECONDS=0 to skip step 3.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
shared=${LB_SHARED_DIR:-$src/../shared}
fuzz_seconds=${LB_FUZZ_SECONDS:-20}

tools/deps.sh --test

total_ok=0
total_fail=0
count () {  # count BUILD_DIR: add that run's results to the totals
  local log=$1/meson-logs/testlog.json
  [ -f "$log" ] || return 0
  total_ok=$((total_ok + $(grep -c '"result": "OK"' "$log" || true)))
  total_fail=$((total_fail + $(grep -c -E '"result": "(FAIL|TIMEOUT|ERROR|UNEXPECTEDPASS)"' "$log" || true)))
}
status=0

echo "== build and test (release-like) =="
[ -d build ] || meson setup build -Dshared_dir="$shared"
meson configure build -Dshared_dir="$shared" >/dev/null
ninja -C build
meson test -C build --no-suite bench --print-errorlogs --num-processes 2 || status=1
count build

echo "== build and test with AddressSanitizer + UndefinedBehaviorSanitizer =="
[ -d build-asan ] || meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false \
  -Dbuildtype=debug -Dgui=disabled -Dshared_dir="$shared"
ninja -C build-asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  meson test -C build-asan --no-suite bench --print-errorlogs --num-processes 2 \
  --timeout-multiplier 3 || status=1
count build-asan

if [ "$fuzz_seconds" -gt 0 ] && command -v clang >/dev/null; then
  echo "== libFuzzer, ${fuzz_seconds}s per target =="
  [ -d build-fuzz ] || CC=clang meson setup build-fuzz -Dfuzz=true -Dgui=disabled \
    -Db_sanitize=address,undefined -Db_lundef=false -Dc_args=-fsanitize=fuzzer-no-link
  ninja -C build-fuzz
  for target in build-fuzz/tests/fuzz/fuzz-*; do
    # only the fuzzer binaries, not meson's fuzz-*.p object folders
    [ -f "$target" ] && [ -x "$target" ] || continue
    name=${target##*/fuzz-}
    work=$(mktemp -d)
    cp -r "tests/fuzz/corpus/$name/." "$work/"
    if "$target" -max_total_time="$fuzz_seconds" -rss_limit_mb=2048 -print_final_stats=0 \
        "$work" >"$work.log" 2>&1; then
      echo "fuzz $name: ok ($(grep -c . "$work.log") log lines)"
      total_ok=$((total_ok + 1))
    else
      echo "fuzz $name: FAILED"; tail -40 "$work.log"
      total_fail=$((total_fail + 1)); status=1
    fi
    rm -rf "$work" "$work.log"
  done
fi

echo "tests: $total_ok passed, $total_fail failed"
exit $status
