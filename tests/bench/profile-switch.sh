#!/usr/bin/env bash
# profile-switch.sh: what switching between brief-mixed's precision profiles
# costs, in memory (an engine switched in place: lowbit bench --switch-to)
# and on disk (the signed delta between the two profile exports).
#
# For each model: `lowbit bench SRC --preset brief-mixed --profile
# performance --switch-to accuracy --json` (the switch there and back
# re-quantized from SRC, the engine keeping its KV cache, and the swap with
# both profiles resident; the quantized bytes each way keeps), then
# `lowbit quantize --profile performance` and `--profile accuracy` and
# `lowbit delta` both ways between the two files (zstd --level). SRC is
# mini-qwen2's f16 GGUF, and with --big the 1.5B-shaped synthetic f16 model
# (`lowbit synth --shape qwen2.5-1.5b --type f16`, made in --work unless
# --big-model names one, which is only read). Every command runs once.
# Outputs stay in --work (about 8 GB with --big, 3 GB more when it makes the
# model) unless --clean. Usage:
#   tests/bench/profile-switch.sh --work DIR [--big] [--big-model F16.gguf]
#       [--lowbit PATH] [--threads 2] [--prompt 64] [--ctx 2048] [--level 9] [--clean]
#       [--switch-only]   (the engine switch alone: no exports, no deltas)
set -u

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
shared=${LB_SHARED_DIR:-$src/../shared}
lowbit=${LB_CLI:-}
work=""
big=0
big_model=""
threads=2
prompt=64
ctx=2048
level=9
clean=0
switch_only=0

while [ $# -gt 0 ]; do
  case $1 in
    --work) work=$2; shift ;;
    --big) big=1 ;;
    --big-model) big=1; big_model=$2; shift ;;
    --lowbit) lowbit=$2; shift ;;
    --threads) threads=$2; shift ;;
    --prompt) prompt=$2; shift ;;
    --ctx) ctx=$2; shift ;;
    --level) level=$2; shift ;;
    --clean) clean=1 ;;
    --switch-only) switch_only=1 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

if [ -z "$work" ]; then echo "--work DIR is required (exports and packages go there)" >&2; exit 2; fi
if [ -z "$lowbit" ]; then
  # shellcheck source=find-lowbit.sh
  . "$src/tests/bench/find-lowbit.sh"
  lowbit=$(find_lowbit "$src" || true)
fi
if [ ! -x "$lowbit" ]; then echo "no lowbit binary: build it or pass --lowbit" >&2; exit 2; fi
command -v jq >/dev/null || { echo "jq is needed" >&2; exit 2; }
mkdir -p "$work" || exit 2

mini="$shared/models/mini-qwen2/mini-qwen2-f16.gguf"
[ -r "$mini" ] || { echo "cannot read $mini (set LB_SHARED_DIR)" >&2; exit 2; }
models="mini-qwen2=$mini"
if [ "$big" = 1 ]; then
  if [ -z "$big_model" ]; then
    big_model="$work/synth-qwen2.5-1.5b-f16.gguf"
    if [ ! -s "$big_model" ]; then
      echo "# making $big_model (lowbit synth --shape qwen2.5-1.5b --type f16)"
      "$lowbit" synth --shape qwen2.5-1.5b --type f16 -o "$big_model" || exit 1
    fi
  fi
  models="$models qwen2.5-1.5b-synthetic=$big_model"
fi

mib () { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
pct () { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", 100 * a / b }'; }

echo "# precision profiles of brief-mixed: switch cost in memory and on disk"
echo "# $(uname -srm), $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(date -u +%Y-%m-%d), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# lowbit $lowbit, $threads threads, $prompt of $ctx KV cache positions filled (f16), zstd level $level"
[ -s "$work/key" ] || "$lowbit" keygen -o "$work/key" >/dev/null 2>&1 || exit 1

for entry in $models; do
  name=${entry%%=*}
  model=${entry#*=}
  out="$work/$name"
  echo
  echo "## $name ($model, $(mib "$(stat -c %s "$model")") MiB)"

  cmd=("$lowbit" bench "$model" --preset brief-mixed --profile performance --switch-to accuracy
       --prompt "$prompt" --gen 4 --ctx "$ctx" --repeat 1 --threads "$threads" --no-bandwidth --json)
  echo "\$ ${cmd[*]}"
  "${cmd[@]}" > "$out-bench.json" 2> "$out-bench.err" || { cat "$out-bench.err" >&2; exit 1; }
  jq -r '
    def mib: . / 1048576 * 10 | round / 10;
    .profile_switch as $s |
    "start: performance quantized from the source, \(.profile_build_quantized) tensors (\(.profile_build_bytes | mib) MiB) in \(.profile_build_ms | round) ms",
    "| switch | tensors changed | re-quantized | quantize ms | snapshot ms | switch ms | engine ms |",
    "|---|---|---|---|---|---|---|",
    ([["performance -> accuracy", $s.forward], ["accuracy -> performance", $s.back],
      ["either way, both resident", $s.both_resident]][] as [$l, $d] |
     "| \($l) | \($d.n_changed) of \($d.n_tensors) | \($d.n_quantized) (\($d.quantized_bytes | mib) MiB) | \($d.quantize_ms * 10 | round / 10) | \($d.snapshot_ms * 100 | round / 100) | \($d.total_ms * 100 | round / 100) | \($d.engine_ms * 100 | round / 100) |"),
    "first decode step after the switch: \($s.next_token_ms * 10 | round / 10) ms (\($s.n_past) of \($s.n_ctx) positions cached)",
    "quantized buffers resident: performance \($s.resident_from_bytes | mib) MiB, accuracy \($s.resident_to_bytes | mib) MiB, re-quantize on switch peaks at \($s.peak_requantize_bytes | mib) MiB, both resident \($s.resident_both_bytes | mib) MiB",
    "bench (performance, \(.params.n_prompt // "?") + \(.params.n_gen // "?") tokens): peak RSS \(.memory.peak_rss | mib) MiB, anonymous \(.memory.peak_anon | mib) MiB, file-backed \(.memory.peak_file | mib) MiB"' "$out-bench.json"

  [ "$switch_only" = 1 ] && continue
  for p in performance accuracy; do
    "$lowbit" quantize "$model" --preset brief-mixed --profile "$p" --threads "$threads" \
      -o "$out-$p.gguf" > /dev/null 2> "$out-$p.err" || { cat "$out-$p.err" >&2; exit 1; }
  done
  perf=$(stat -c %s "$out-performance.gguf")
  acc=$(stat -c %s "$out-accuracy.gguf")
  echo
  echo "| switch package | bytes | of the full target file | delta s |"
  echo "|---|---|---|---|"
  for dir in "performance accuracy" "accuracy performance"; do
    set -- $dir
    t0=$(date +%s.%N)
    "$lowbit" delta "$out-$1.gguf" "$out-$2.gguf" --sign "$work/key" --level "$level" \
      -o "$out-$1-to-$2.lbdelta" > /dev/null 2> "$out-delta.err" || { cat "$out-delta.err" >&2; exit 1; }
    t1=$(date +%s.%N)
    size=$(stat -c %s "$out-$1-to-$2.lbdelta")
    full=$(stat -c %s "$out-$2.gguf")
    echo "| $1 -> $2 | $size | $(pct "$size" "$full")% of $full | $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') |"
  done
  echo "exports: performance $perf bytes, accuracy $acc bytes"
  echo "\$ $lowbit quantize $model --preset brief-mixed --profile performance -o PERF.gguf (and accuracy)"
  echo "\$ $lowbit delta PERF.gguf ACC.gguf --sign KEY --level $level -o PERF-TO-ACC.lbdelta (and back)"
  if [ "$clean" = 1 ]; then
    rm -f "$out-performance.gguf" "$out-accuracy.gguf" "$out"-*-to-*.lbdelta
  fi
done
