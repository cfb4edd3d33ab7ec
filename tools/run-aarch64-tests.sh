#!/usr/bin/env bash
# run-aarch64-tests.sh: cross-compile Lowbit for AArch64 with Debian's cross
# toolchain and run core tests under qemu-aarch64 user-mode emulation:
#   1. installs what is missing (arm64 multiarch libraries, the cross
#      compiler, qemu-user) and registers qemu-aarch64 with binfmt_misc;
#   2. builds build-aarch64 (tools/cross/aarch64-linux-gnu.ini);
#   3. runs the selected core tests on an emulated CPU with the dot-product
#      extension (qemu -cpu max), where the NEON kernel tests check both
#      NEON variants against the scalar kernels;
#   4. runs the kernel tests and the engine again on a CPU without it
#      (qemu -cpu cortex-a53), checking that run-time detection picks the
#      plain NEON kernels there.
# Prints "aarch64: N passed, N failed" last; exits non-zero on any failure.
#
# Environment: LB_SHARED_DIR (default ../shared beside the source tree),
# LB_AARCH64_BUILD (build folder, default build-aarch64),
# LB_AARCH64_TESTS (space-separated test names, default below).
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
shared=${LB_SHARED_DIR:-$src/../shared}
build=${LB_AARCH64_BUILD:-build-aarch64}

# Under emulation a test runs 10-50 times slower than natively, so this is
# the subset of the core suite that covers what differs on AArch64 (the
# kernels, byte order and alignment in the file formats, threads, the
# engine end to end) within a few minutes. Left out because each takes
# minutes under qemu (archs, quant-llamacpp, quantize, imatrix, eval,
# sensitivity, layer-error, planner, prune, validate, ref-engine,
# tokenizer-bpe, synth, variant) or only re-tests architecture-independent
# logic already run natively (meta, safetensors, hf-import, llama2c, sign,
# delta, delta-crash, eval-metrics, recipe, tensor-error, bench).
default_tests="type half gguf gguf-malformed tokenizer model convert quant quant-simd
               threadpool mempool matmul sampler memstat"
tests=${LB_AARCH64_TESTS:-$default_tests}
# The engine test takes about 40 s of emulated CPU per model: the fast
# engine against the fp32 reference on the Q4_K_M (Q4_K + Q6_K tiles) and
# Q8_0 files, the llama2.c model, the KV cache and concurrent sessions.
engine_cases=${LB_AARCH64_ENGINE_CASES:-"vs-reference/mini-Q4_K_M-imatrix.gguf
  vs-reference/mini-Q8_0.gguf vs-reference/stories260K cache sessions"}
# without the dot products: the kernel tests and one quantized model
nodp_tests="quant-simd matmul"
nodp_engine_cases="vs-reference/mini-Q4_K_M-imatrix.gguf"

# ---- 1. dependencies -------------------------------------------------------------
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive

pkgs=(meson ninja-build pkg-config gettext gcc-aarch64-linux-gnu libc6-dev-arm64-cross
      qemu-user qemu-user-binfmt libc6:arm64 libglib2.0-dev:arm64 libjson-glib-dev:arm64
      libsodium-dev:arm64 libzstd-dev:arm64 libcairo2-dev:arm64 libpango1.0-dev:arm64)
updated=0
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  echo "aarch64: adding the arm64 architecture to dpkg" >&2
  $sudo dpkg --add-architecture arm64
  $sudo apt-get update -q
  updated=1
fi
missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "aarch64: installing ${missing[*]}" >&2
  [ $updated -eq 1 ] || $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# GLib's g_test_trap_subprocess re-executes the test program: the kernel
# must hand AArch64 programs to qemu (binfmt_misc, as qemu-user-binfmt
# describes it; its package scripts need systemd to register it).
binfmt=/proc/sys/fs/binfmt_misc
if [ ! -e $binfmt/qemu-aarch64 ]; then
  if [ ! -e $binfmt/register ]; then
    $sudo mount -t binfmt_misc binfmt_misc $binfmt || true
  fi
  if [ -e $binfmt/register ]; then
    $sudo sh -c "cat /usr/lib/binfmt.d/qemu-aarch64.conf > $binfmt/register" || true
  fi
  if [ ! -e $binfmt/qemu-aarch64 ]; then
    echo "aarch64: could not register qemu-aarch64 with binfmt_misc: the test cases" \
         "that re-run their own program are skipped" >&2
    export LB_TEST_NO_SUBPROCESS=1
  fi
fi

# ---- 2. build --------------------------------------------------------------------
if [ ! -d "$build" ]; then
  meson setup "$build" --cross-file tools/cross/aarch64-linux-gnu.ini -Dgui=disabled \
    -Dshared_dir="$shared"
fi
meson configure "$build" -Dshared_dir="$shared" >/dev/null
targets=(app/lowbit tests/test-engine)
for t in $tests $nodp_tests; do
  targets+=("tests/test-$t")
done
ninja -C "$build" "${targets[@]}"

# ---- 3, 4. tests -----------------------------------------------------------------
total_ok=0
total_fail=0
status=0
count () {  # count LOG: add that run's results to the totals
  [ -f "$1" ] || return 0
  total_ok=$((total_ok + $(grep -c '"result": "OK"' "$1" || true)))
  total_fail=$((total_fail + $(grep -c -E '"result": "(FAIL|TIMEOUT|ERROR|UNEXPECTEDPASS)"' "$1" || true)))
}
logs=$build/meson-logs
run () {  # run LOGBASE QEMU_CPU EXPECT_DOTPROD TESTS [TEST-ARGS]: one meson test run
  rm -f "$logs/$1.json"
  # shellcheck disable=SC2086
  QEMU_CPU=$2 LB_EXPECT_DOTPROD=$3 meson test -C "$build" --no-rebuild --print-errorlogs \
    --num-processes 2 --timeout-multiplier 2 --logbase "$1" ${5:+--test-args "$5"} $4 || status=1
  count "$logs/$1.json"
}
engine () {  # engine LOGBASE QEMU_CPU EXPECT_DOTPROD CASES: one run per engine case
  local c i=0
  # one -p per run: GLib's TAP output has one plan per -p path
  for c in $4; do
    run "$1-$i" "$2" "$3" engine "-p /lowbit/engine/$c"
    i=$((i + 1))
  done
}

echo "== aarch64: core tests under qemu-aarch64 -cpu max (NEON with dot products) =="
run aarch64-dotprod max 1 "$tests"
engine aarch64-dotprod-engine max 1 "$engine_cases"

echo "== aarch64: kernel tests under qemu-aarch64 -cpu cortex-a53 (NEON without dot products) =="
run aarch64-neon cortex-a53 0 "$nodp_tests"
engine aarch64-neon-engine cortex-a53 0 "$nodp_engine_cases"

echo "aarch64: $total_ok passed, $total_fail failed"
exit $status
