#!/usr/bin/env bash
# run-tests.sh: install dependencies, build, and run the whole test suite:
#   1. the normal build's tests (core, cli, fuzz replay, gui under Xvfb)
#   2. the same core/cli/fuzz tests built with AddressSanitizer + UBSan
#   3. a short libFuzzer run of every fuzz target (clang), two at a time
#   4. on x86-64: the AArch64 cross build's core tests under qemu-aarch64
#      (tools/run-aarch64-tests.sh)
# The shared test assets must be at ../shared beside the source tree (or set
# LB_SHARED_DIR). Set LB_FUZZ_SECONDS=0 to skip step 3, LB_AARCH64=0 step 4.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
shared=${LB_SHARED_DIR:-$src/../shared}
fuzz_seconds=${LB_FUZZ_SECONDS:-20}
aarch64=${LB_AARCH64:-1}

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
# optimized (-O2 -g): the numeric tests run 3-5x faster than at -O0 and
# the sanitizers see the same code the release build runs
[ -d build-asan ] || meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false \
  -Dbuildtype=debugoptimized -Dgui=disabled -Dshared_dir="$shared"
meson configure build-asan -Dbuildtype=debugoptimized >/dev/null
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
  fuzz_one () {  # fuzz_one BINARY: prints one result line, exits non-zero on a finding
    local target=$1 name=${1##*/fuzz-} work
    work=$(mktemp -d)
    cp -r "tests/fuzz/corpus/$name/." "$work/"
    if "$target" -max_total_time="$fuzz_seconds" -rss_limit_mb=2048 -print_final_stats=0 \
        "$work" >"$work.log" 2>&1; then
      echo "fuzz $name: ok ($(grep -c . "$work.log") log lines)"
      rm -rf "$work" "$work.log"
    else
      echo "fuzz $name: FAILED"; tail -40 "$work.log"
      rm -rf "$work" "$work.log"
      return 1
    fi
  }
  targets=()
  for target in build-fuzz/tests/fuzz/fuzz-*; do
    # only the fuzzer binaries, not meson's fuzz-*.p object folders
    [ -f "$target" ] && [ -x "$target" ] && targets+=("$target")
  done
  # two at a time (one per core), each reporting when it ends
  for ((i = 0; i < ${#targets[@]}; i += 2)); do
    pids=()
    for target in "${targets[@]:i:2}"; do
      fuzz_one "$target" > "build-fuzz/${target##*/}.result" 2>&1 &
      pids+=($!)
    done
    for j in "${!pids[@]}"; do
      t=${targets[i + j]}
      if wait "${pids[j]}"; then total_ok=$((total_ok + 1)); else total_fail=$((total_fail + 1)); status=1; fi
      cat "build-fuzz/${t##*/}.result"
    done
  done
fi

if [ "$aarch64" != 0 ] && [ "$(uname -m)" = x86_64 ]; then
  echo "== AArch64 cross build, core tests under qemu-aarch64 =="
  if LB_SHARED_DIR="$shared" tools/run-aarch64-tests.sh > build-aarch64.log 2>&1; then
    arm_status=0
  else
    arm_status=1
  fi
  tail -60 build-aarch64.log
  line=$(grep -E '^aarch64: [0-9]+ passed, [0-9]+ failed' build-aarch64.log | tail -1 || true)
  if [ -n "$line" ]; then
    read -r _ ok _ fail _ <<< "$line"
    total_ok=$((total_ok + ok))
    total_fail=$((total_fail + fail))
  fi
  if [ $arm_status -ne 0 ]; then
    [ -n "$line" ] || total_fail=$((total_fail + 1))
    status=1
  fi
fi

echo "tests: $total_ok passed, $total_fail failed"
exit $status
