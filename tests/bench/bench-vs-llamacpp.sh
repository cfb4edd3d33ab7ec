#!/usr/bin/env bash
# bench-vs-llamacpp.sh: `lowbit bench` and, given a llama.cpp build directory,
# `llama-bench` on the same GGUF files with the same threads, in the same
# run, and the ratios Lowbit / llama.cpp: prompt tokens/s, decode tokens/s,
# and each one's decode speed as a share of the memory-bandwidth roofline
# (weight bytes per token over the read bandwidth `lowbit bench` measures).
#
# Default files: the synthetic qwen2.5-1.5b shape (`lowbit synth --type f16`)
# quantized with `lowbit quantize --preset` to Q4_K_M, Q4_0 and Q8_0 (with
# llama-quantize when Lowbit's quantizer fails). They are made in --work
# (reused when already there) or a temporary folder removed at the end.
#
# Usage:
#   tests/bench/bench-vs-llamacpp.sh [--llamacpp BUILD_DIR] [--lowbit PATH]
#       [--shape qwen2.5-1.5b] [--types Q4_K_M,Q4_0,Q8_0] [--models A.gguf,B.gguf]
#       [--threads 2] [--prompt 128] [--gen 64] [--repeat 3] [--ctx N]
#       [--work DIR] [--quantizer lowbit|llama] [--stat mean|best] [--check]
# BUILD_DIR holds llama-bench and llama-quantize (in BUILD_DIR or BUILD_DIR/bin).
# --stat best reports each runtime's fastest repeat instead of the mean (on
# a machine others are using, the least disturbed one). --check exits 1 when a target of the runtime issue is missed: decode
# >= 1.0x and prompt >= 0.8x llama.cpp. Needs jq.
set -u

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
lowbit=${LB_CLI:-}
llamacpp=""
shape=qwen2.5-1.5b
types=Q4_K_M,Q4_0,Q8_0
models=""
threads=2
prompt=128
gen=64
repeat=3
ctx=0
work=""
quantizer=lowbit
check=0
stat=mean

while [ $# -gt 0 ]; do
  case $1 in
    --llamacpp) llamacpp=$2; shift ;;
    --lowbit) lowbit=$2; shift ;;
    --shape) shape=$2; shift ;;
    --types) types=$2; shift ;;
    --models) models=$2; shift ;;
    --threads) threads=$2; shift ;;
    --prompt) prompt=$2; shift ;;
    --gen) gen=$2; shift ;;
    --repeat) repeat=$2; shift ;;
    --ctx) ctx=$2; shift ;;
    --work) work=$2; shift ;;
    --quantizer) quantizer=$2; shift ;;
    --check) check=1 ;;
    --stat) stat=$2; shift ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

if [ -z "$lowbit" ]; then
  # shellcheck source=find-lowbit.sh
  . "$src/tests/bench/find-lowbit.sh"
  lowbit=$(find_lowbit "$src" || true)
fi
case $stat in mean|best) ;; *) echo "--stat is mean or best" >&2; exit 2 ;; esac
[ -x "$lowbit" ] || { echo "the lowbit binary is missing (--lowbit PATH)" >&2; exit 2; }
command -v jq >/dev/null || { echo "jq is needed" >&2; exit 2; }

llama_bench=""
llama_quantize=""
if [ -n "$llamacpp" ]; then
  for d in "$llamacpp/bin" "$llamacpp"; do
    [ -z "$llama_bench" ] && [ -x "$d/llama-bench" ] && llama_bench=$d/llama-bench
    [ -z "$llama_quantize" ] && [ -x "$d/llama-quantize" ] && llama_quantize=$d/llama-quantize
  done
  [ -n "$llama_bench" ] || { echo "no llama-bench in $llamacpp or $llamacpp/bin" >&2; exit 2; }
fi

if [ -z "$work" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work" || exit 2

# ---- the files ---------------------------------------------------------------
files=()
if [ -n "$models" ]; then
  IFS=, read -r -a files <<< "$models"
else
  f16="$work/synth-$shape-f16.gguf"
  if [ ! -s "$f16" ]; then
    echo "# making $f16" >&2
    "$lowbit" synth --shape "$shape" --type f16 -o "$f16" >&2 || exit 1
  fi
  IFS=, read -r -a preset_list <<< "$types"
  for t in "${preset_list[@]}"; do
    out="$work/synth-$shape-$t.gguf"
    if [ ! -s "$out" ]; then
      echo "# quantizing to $t" >&2
      made=0
      if [ "$quantizer" = lowbit ] && "$lowbit" quantize "$f16" --preset "$t" -o "$out" >&2; then
        made=1
      fi
      if [ $made -eq 0 ] && [ -n "$llama_quantize" ]; then
        echo "# with llama-quantize" >&2
        "$llama_quantize" "$f16" "$out" "$t" "$threads" >/dev/null 2>&1 && made=1
      fi
      [ $made -eq 1 ] || { echo "cannot make the $t file" >&2; exit 1; }
    fi
    files+=("$out")
  done
fi

# ---- the runs ------------------------------------------------------------------
machine="$(uname -srm), $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ *//')"
echo "# lowbit bench vs llama-bench: $threads threads, prompt $prompt, generate $gen, $repeat repeats ($stat)"
echo "# $machine; load average $(cut -d" " -f1-3 /proc/loadavg)"
lb_opts=(-p "$prompt" -n "$gen" -t "$threads" -r "$repeat" --json)
[ "$ctx" -gt 0 ] && lb_opts+=(--ctx "$ctx")
echo "# lowbit bench MODEL ${lb_opts[*]}"
[ -n "$llama_bench" ] && echo "# llama-bench -m MODEL -p $prompt -n $gen -t $threads -r $repeat -o json"

ratio () { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
fmt () { awk -v a="$1" 'BEGIN { printf "%.1f", a }'; }

# every run first, the table after: the roofline of every row uses the best
# bandwidth any run measured (the stream test is short; a neighbour's burst
# can only lower it)
rows=()
best_bw=0
status=0
for f in "${files[@]}"; do
  [ -s "$f" ] || { echo "missing: $f" >&2; exit 2; }
  lb_json="$work/$(basename "$f").lowbit.json"
  lc_json="$work/$(basename "$f").llama.json"
  "$lowbit" bench "$f" "${lb_opts[@]}" > "$lb_json" 2> "$work/lowbit.err" \
    || { echo "lowbit bench failed on $f: $(cat "$work/lowbit.err")" >&2; exit 1; }
  if [ "$stat" = best ]; then
    lb_pp=$(jq '.prompt_tok_s_best' "$lb_json")
    lb_tg=$(jq '.decode_tok_s_best' "$lb_json")
  else
    lb_pp=$(jq '.prompt_tok_s' "$lb_json")
    lb_tg=$(jq '.decode_tok_s' "$lb_json")
  fi
  wpt=$(jq '.roofline.weight_bytes_per_token' "$lb_json")
  bw=$(jq '.roofline.bandwidth_gb_s' "$lb_json")
  best_bw=$(awk -v a="$best_bw" -v b="$bw" 'BEGIN { print (b > a ? b : a) }')
  pool=$(jq '.memory.pool / 1048576' "$lb_json")
  anon=$(jq '.memory.peak_anon / 1048576' "$lb_json")
  size=$(jq '.file_size / 1048576' "$lb_json")
  lc_pp=0 lc_tg=0
  if [ -n "$llama_bench" ]; then
    "$llama_bench" -m "$f" -p "$prompt" -n "$gen" -t "$threads" -r "$repeat" -o json \
      > "$lc_json" 2> "$work/llama.err" \
      || { echo "llama-bench failed on $f: $(tail -3 "$work/llama.err")" >&2; exit 1; }
    if [ "$stat" = best ]; then
      pick='(.samples_ts | max)'
    else
      pick='.avg_ts'
    fi
    lc_pp=$(jq "[.[] | select(.n_gen == 0) | $pick][0] // 0" "$lc_json")
    lc_tg=$(jq "[.[] | select(.n_prompt == 0) | $pick][0] // 0" "$lc_json")
  fi
  rows+=("$(basename "$f" .gguf) $size $lb_pp $lc_pp $lb_tg $lc_tg $wpt $pool $anon")
  if [ $check -eq 1 ] && [ -n "$llama_bench" ]; then
    if awk -v a="$lb_tg" -v b="$lc_tg" 'BEGIN { exit !(a < b) }'; then
      echo "# target missed: decode of $(basename "$f") below llama.cpp's" >&2; status=1
    fi
    if awk -v a="$lb_pp" -v b="$lc_pp" 'BEGIN { exit !(a < 0.8 * b) }'; then
      echo "# target missed: prompt of $(basename "$f") below 0.8x llama.cpp's" >&2; status=1
    fi
  fi
done

roof () { awk -v t="$1" -v w="$2" -v b="$best_bw" 'BEGIN { if (b > 0) print 100 * t * w / (b * 1e9); else print 0 }'; }
printf '%-28s %8s | %9s %9s %6s | %9s %9s %6s | %7s %7s | %8s %8s\n' \
  file size lb_pp lc_pp ratio lb_tg lc_tg ratio lb_roof lc_roof lb_pool lb_anon
for row in "${rows[@]}"; do
  read -r name size lb_pp lc_pp lb_tg lc_tg wpt pool anon <<< "$row"
  printf '%-28s %7sM | %9s %9s %6s | %9s %9s %6s | %6s%% %6s%% | %7sM %7sM\n' \
    "$name" "$(fmt "$size")" "$(fmt "$lb_pp")" "$(fmt "$lc_pp")" "$(ratio "$lb_pp" "$lc_pp")" \
    "$(fmt "$lb_tg")" "$(fmt "$lc_tg")" "$(ratio "$lb_tg" "$lc_tg")" \
    "$(fmt "$(roof "$lb_tg" "$wpt")")" "$(fmt "$(roof "$lc_tg" "$wpt")")" "$(fmt "$pool")" "$(fmt "$anon")"
done
echo "# read bandwidth (lowbit's stream test, every processor, best of the runs): $(fmt "$best_bw") GB/s"
echo "# pp/tg: prompt/decode tokens per second; roof: decode speed as % of bandwidth / weight bytes per token"
echo "# lb_pool: Lowbit's engine pool (KV cache + activations + scratch); lb_anon: its peak anonymous RSS"
exit $status
