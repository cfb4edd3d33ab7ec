#!/usr/bin/env bash
# plan-vs-llamacpp.sh: Lowbit's planned mixed-precision recipes against
# llama.cpp's Q3_K_M and Q4_K_M files of mini-qwen2 (both with importance
# data), at the same file size.
#
# 1. lowbit sensitivity on the calibration text (wikitext-2 *valid*, the
#    text the imatrix came from; never the test text), per tensor, types
#    Q2_K..Q8_0, quantized with llama.cpp's imatrix; cached in OUT.
# 2. lowbit plan at each llama.cpp file's exact size (never larger), then
#    lowbit quantize with the recipe and the same imatrix.
# 3. lowbit eval of both files against mini-qwen2-f16.gguf on wikitext-2
#    test, n_ctx 512 (the reference runs once, cached).
#
# Prints type / size / mean KLD / same top-1 / PPL for both and exits 1
# when a Lowbit file is not strictly better in mean KLD, or its size is not
# within 1% of llama.cpp's. Needs jq. Usage:
#   tests/bench/plan-vs-llamacpp.sh [--lowbit PATH] [--shared DIR] [--out DIR]
#       [--chunks N] [--sens-chunks N] [--types T,...] [--jobs N] [--targets Q3_K_M,Q4_K_M]
# --chunks limits the evaluation to the first N chunks of the test text
# (default: all of it); --sens-chunks is the calibration slice (default 4
# chunks of 512 tokens). OUT (default: a temporary folder) keeps the
# sensitivity cache, so a second run skips step 1.
set -u

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
lowbit=${LB_CLI:-}
shared=${LB_SHARED_DIR:-$src/../shared}
out=""
chunks=0
sens_chunks=4
types=Q2_K,Q3_K,Q4_K,Q5_K,Q6_K,Q8_0
jobs=2
targets=Q3_K_M,Q4_K_M

while [ $# -gt 0 ]; do
  case $1 in
    --lowbit) lowbit=$2; shift ;;
    --shared) shared=$2; shift ;;
    --out) out=$2; shift ;;
    --chunks) chunks=$2; shift ;;
    --sens-chunks) sens_chunks=$2; shift ;;
    --types) types=$2; shift ;;
    --jobs) jobs=$2; shift ;;
    --targets) targets=$2; shift ;;
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
quants="$shared/models/llamacpp-quants"
f16="$shared/models/mini-qwen2/mini-qwen2-f16.gguf"
imatrix="$quants/imatrix-wikitext2-valid.gguf"
calib="$shared/text/wikitext2-valid.txt"
test_text="$shared/text/wikitext2-test.txt"
for f in "$lowbit" "$f16" "$imatrix" "$calib" "$test_text"; do
  if [ ! -e "$f" ]; then echo "missing: ${f:-the lowbit binary (--lowbit)}" >&2; exit 2; fi
done
command -v jq >/dev/null || { echo "jq is needed" >&2; exit 2; }
if [ -z "$out" ]; then
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$out"

echo "# Lowbit plan vs llama.cpp mixes on mini-qwen2 (both with the wikitext-2 valid imatrix)"
echo "# $(uname -srm), $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ *//')"

# 1. sensitivity on the calibration text
start=$(date +%s)
if ! "$lowbit" sensitivity "$f16" --types "$types" --text "$calib" --ctx 512 --chunks "$sens_chunks" \
     --imatrix "$imatrix" --cache "$out/sens-cache.json" --jobs "$jobs" --threads 1 \
     -o "$out/sens.json" > "$out/sens.txt" 2> "$out/sens.err"; then
  echo "lowbit sensitivity failed:" >&2; cat "$out/sens.err" >&2; exit 1
fi
echo "# sensitivity: $(jq '.groups | length' "$out/sens.json") tensors x $(jq '.types | length' "$out/sens.json") types on $sens_chunks chunks of 512 tokens of wikitext2-valid, $(jq .evaluated "$out/sens.json") evaluated, $(jq .from_cache "$out/sens.json") cached, $(( $(date +%s) - start )) s"
grep "weight proxy" "$out/sens.txt" | sed 's/^/# /'

# 3a. the reference, once
eval_opts=(--ctx 512 --json)
[ "$chunks" -gt 0 ] && eval_opts+=(--chunks "$chunks")
start=$(date +%s)
if ! "$lowbit" eval "$f16" --reference "$f16" --text "$test_text" --save-reference "$out/f16.lbref" \
     "${eval_opts[@]}" > "$out/f16.json" 2> "$out/f16.err"; then
  echo "lowbit eval of the reference failed:" >&2; cat "$out/f16.err" >&2; exit 1
fi
echo "# evaluation: wikitext2-test, $(jq .chunks "$out/f16.json") chunks of 512 tokens ($(jq .positions "$out/f16.json") positions scored), reference pass $(( $(date +%s) - start )) s"
echo

fail=0
printf "%-8s %-9s %10s %8s %12s %10s %10s %12s\n" target who bytes bpw mean_kld "±" top1% ppl
n_params=$("$lowbit" info "$f16" --json --no-tensors | jq -r .parameters)
IFS=, read -ra tlist <<< "$targets"
for t in "${tlist[@]}"; do
  llama="$quants/mini-$t-imatrix.gguf"
  [ -e "$llama" ] || { echo "missing $llama" >&2; fail=1; continue; }
  size=$(stat -c %s "$llama")
  recipe="$out/plan-$t.json"
  mine="$out/lowbit-$t.gguf"
  if ! "$lowbit" plan "$f16" --sensitivity "$out/sens.json" --size "$size" --imatrix "$imatrix" \
       --name "lowbit-plan-$t" -o "$recipe" > "$out/plan-$t.txt" 2> "$out/plan-$t.err"; then
    echo "FAIL $t: lowbit plan failed: $(head -c 400 "$out/plan-$t.err")"; fail=1; continue
  fi
  if ! "$lowbit" quantize "$f16" --recipe "$recipe" --imatrix "$imatrix" -o "$mine" \
       > /dev/null 2> "$out/quantize-$t.err"; then
    echo "FAIL $t: lowbit quantize failed: $(head -c 400 "$out/quantize-$t.err")"; fail=1; continue
  fi
  msize=$(stat -c %s "$mine")
  for who in lowbit llama.cpp; do
    f=$mine; [ $who = llama.cpp ] && f=$llama
    j="$out/eval-$t-$who.json"
    if ! "$lowbit" eval "$f" --reference-cache "$out/f16.lbref" --text "$test_text" "${eval_opts[@]}" \
         > "$j" 2> "$out/eval-$t-$who.err"; then
      echo "FAIL $t: lowbit eval of $f failed: $(head -c 400 "$out/eval-$t-$who.err")"; fail=1; continue 2
    fi
    bytes=$(stat -c %s "$f")
    printf "%-8s %-9s %10d %8.4f %12.6f %10.6f %10.3f %12.4f\n" "$t" "$who" "$bytes" \
      "$(awk -v b="$bytes" -v p="$n_params" 'BEGIN { printf "%.4f", 8 * b / p }')" \
      "$(jq .mean_kld "$j")" "$(jq .mean_kld_error "$j")" "$(jq .same_top1_percent "$j")" "$(jq .ppl "$j")"
  done
  mk=$(jq .mean_kld "$out/eval-$t-lowbit.json")
  lk=$(jq .mean_kld "$out/eval-$t-llama.cpp.json")
  sz_ok=$(awk -v a="$msize" -v b="$size" 'BEGIN { d = a - b; if (d < 0) d = -d; print (d <= 0.01 * b) ? 1 : 0 }')
  win=$(awk -v a="$mk" -v b="$lk" 'BEGIN { print (a < b) ? 1 : 0 }')
  echo "#   $t: lowbit $msize bytes vs llama.cpp $size ($(awk -v a="$msize" -v b="$size" 'BEGIN { printf "%+.3f%%", 100 * (a - b) / b }')), mean KLD $(awk -v a="$mk" -v b="$lk" 'BEGIN { printf "%+.1f%%", 100 * (a - b) / b }'), predicted $(grep -o 'predicted mean KLD [0-9.e-]*' "$out/plan-$t.txt" | awk '{print $4}'), mix:$(grep '^mix:' "$out/plan-$t.txt" | cut -d: -f2)"
  [ "$sz_ok" = 1 ] || { echo "FAIL $t: size $msize is not within 1% of $size"; fail=1; }
  [ "$win" = 1 ] || { echo "FAIL $t: Lowbit's mean KLD $mk is not below llama.cpp's $lk"; fail=1; }
done

[ $fail -eq 0 ] && echo "# Lowbit's plans win at every size" || echo "# Lowbit does not win everywhere"
exit $fail
