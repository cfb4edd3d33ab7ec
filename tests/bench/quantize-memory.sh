#!/usr/bin/env bash
# quantize-memory.sh: peak memory of `lowbit quantize` on a 1.5B-shaped
# model, split into anonymous (heap: what the system must keep) and
# file-backed (pages of the mapped input model: clean, droppable) resident
# memory, beside the size of the largest tensor and of the whole model.
# The claim it checks: quantization streams the model, so its peak memory
# is bounded by the largest tensor, not by the model.
#
# The model is `lowbit synth --shape qwen2.5-1.5b --type f16` (3.1 GB,
# random weights with Qwen2.5-1.5B's shapes), made in --work unless
# --model names one (only read). Each preset is quantized once, under
# /usr/bin/time -v (the kernel's peak RSS) while /proc/PID/status is read
# every --interval seconds (peak RssAnon and RssFile, which VmHWM does not
# split). Outputs are deleted unless --keep. Usage:
#   tests/bench/quantize-memory.sh --work DIR [--model F16.gguf] [--lowbit PATH]
#       [--presets Q4_K_M,Q8_0] [--threads N] [--interval 0.05] [--keep]
set -u

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
lowbit=${LB_CLI:-}
work=""
model=""
presets="Q4_K_M,Q8_0"
threads=""
interval=0.05
keep=0

while [ $# -gt 0 ]; do
  case $1 in
    --work) work=$2; shift ;;
    --model) model=$2; shift ;;
    --lowbit) lowbit=$2; shift ;;
    --presets) presets=$2; shift ;;
    --threads) threads=$2; shift ;;
    --interval) interval=$2; shift ;;
    --keep) keep=1 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

if [ -z "$work" ]; then echo "--work DIR is required (the model and outputs go there)" >&2; exit 2; fi
if [ -z "$lowbit" ]; then
  # shellcheck source=find-lowbit.sh
  . "$src/tests/bench/find-lowbit.sh"
  lowbit=$(find_lowbit "$src" || true)
fi
if [ ! -x "$lowbit" ]; then echo "no lowbit binary: build it or pass --lowbit" >&2; exit 2; fi
[ -x /usr/bin/time ] || { echo "/usr/bin/time is needed (apt-get install time)" >&2; exit 2; }
command -v jq >/dev/null || { echo "jq is needed" >&2; exit 2; }
mkdir -p "$work" || exit 2

if [ -z "$model" ]; then
  model="$work/synth-qwen2.5-1.5b-f16.gguf"
  if [ ! -s "$model" ]; then
    echo "# making $model (lowbit synth --shape qwen2.5-1.5b --type f16)"
    "$lowbit" synth --shape qwen2.5-1.5b --type f16 -o "$model" || exit 1
  fi
fi
[ -r "$model" ] || { echo "cannot read $model" >&2; exit 2; }

mib () { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }

# largest tensor of a GGUF: "bytes name"
largest () {
  "$lowbit" info --json "$1" | jq -r '.tensors | max_by(.bytes) | "\(.bytes) \(.name)"'
}

read -r in_big in_big_name <<< "$(largest "$model")"
model_bytes=$(stat -c %s "$model")
echo "# lowbit quantize: peak resident memory against the largest tensor"
echo "# $(uname -srm), $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(date -u +%Y-%m-%d)"
echo "# model $model: $(mib "$model_bytes") MiB; largest tensor $in_big_name $(mib "$in_big") MiB"
echo "# peaks sampled from /proc/PID/status every ${interval}s; peak RSS from /usr/bin/time -v"
echo

# sample PID: prints "max_anon_kB max_file_kB max_rss_kB hwm_kB" when it exits
sample () {
  local pid=$1 k v rest anon=0 file=0 rss=0 hwm=0 a f r h
  while kill -0 "$pid" 2>/dev/null; do
    a=0; f=0; r=0; h=0
    while read -r k v rest; do
      case $k in
        RssAnon:) a=$v ;;
        RssFile:) f=$v ;;
        VmRSS:) r=$v ;;
        VmHWM:) h=$v ;;
      esac
    done < "/proc/$pid/status" 2>/dev/null
    [ "$a" -gt "$anon" ] && anon=$a
    [ "$f" -gt "$file" ] && file=$f
    [ "$r" -gt "$rss" ] && rss=$r
    [ "$h" -gt "$hwm" ] && hwm=$h
    sleep "$interval"
  done
  echo "$anon $file $rss $hwm"
}

printf "%-8s %10s %8s %12s %12s %12s %14s %14s %9s\n" preset out_MiB wall_s peak_rss_MiB \
  peak_anon_MiB peak_file_MiB largest_in_MiB largest_out_MiB rss/in
status=0
IFS=, read -r -a list <<< "$presets"
for p in "${list[@]}"; do
  out="$work/quantize-memory-$p.gguf"
  args=(quantize "$model" -o "$out" --preset "$p")
  [ -n "$threads" ] && args+=(--threads "$threads")
  rm -f "$out"
  start=$(date +%s.%N)
  /usr/bin/time -v -o "$work/quantize-memory-$p.time" "$lowbit" "${args[@]}" \
    > "$work/quantize-memory-$p.log" 2>&1 &
  tpid=$!
  pid=""
  for _ in $(seq 200); do
    pid=$(pgrep -P "$tpid" | head -1)
    [ -n "$pid" ] && break
    sleep 0.01
  done
  if [ -n "$pid" ]; then peaks=$(sample "$pid"); else peaks="0 0 0 0"; fi
  wait "$tpid"
  rc=$?
  end=$(date +%s.%N)
  if [ $rc -ne 0 ]; then
    echo "FAIL $p: lowbit quantize exited $rc: $(tail -c 400 "$work/quantize-memory-$p.log")"
    status=1
    continue
  fi
  read -r anon file rss hwm <<< "$peaks"
  maxrss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/quantize-memory-$p.time")
  read -r out_big out_big_name <<< "$(largest "$out")"
  printf "%-8s %10s %8.1f %12s %12s %12s %14s %14s %9.2f\n" "$p" "$(mib "$(stat -c %s "$out")")" \
    "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" "$(mib $((maxrss * 1024)))" \
    "$(mib $((anon * 1024)))" "$(mib $((file * 1024)))" "$(mib "$in_big")" "$(mib "$out_big")" \
    "$(awk -v r="$maxrss" -v b="$in_big" 'BEGIN { print r * 1024 / b }')"
  echo "#   $p: sampled peak VmRSS $(mib $((rss * 1024))) MiB (VmHWM $(mib $((hwm * 1024))) MiB); largest output tensor $out_big_name"
  [ $keep -eq 1 ] || rm -f "$out"
done
echo
echo "# rss/in: peak RSS over the largest input tensor; below 1 means memory is bounded by it"
exit $status
