#!/usr/bin/env bash
# eval-llamacpp-quants.sh: `lowbit eval` on llama.cpp's quantizations of
# mini-qwen2 against mini-qwen2-f16.gguf, beside the figures llama.cpp's
# perplexity tool measured (reference-kld.json), on wikitext-2 test at ctx 512.
#
# Fails (exit 1) when a mean KLD is off by more than 5% relative and 1e-4
# absolute, a same-top-1 rate by more than 5% relative, or the f16 perplexity
# is not 87.7071 to 3 significant digits. With --chunks the run covers only
# the first chunks: the table still compares with the whole-text figures,
# so pass looser tolerances (--kld-tol, --top1-tol) and --no-ppl-check.
#
# The reference runs once and is cached (--save-reference); the candidates
# read the cache. Needs jq and awk. Usage:
#   tests/bench/eval-llamacpp-quants.sh [--lowbit PATH] [--shared DIR]
#       [--chunks N] [--models Q8_0,Q4_0,...] [--engine ref|fast] [--threads N]
#       [--kld-tol 0.05] [--kld-abs 1e-4] [--top1-tol 0.05] [--no-ppl-check]
#       [--out DIR] [--keep-cache]
set -u

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
lowbit=${LB_CLI:-}
shared=${LB_SHARED_DIR:-$src/../shared}
chunks=0
models=""
engine=""
threads=""
kld_tol=0.05
kld_abs=1e-4
top1_tol=0.05
ppl_check=1
out=""
keep_cache=0

while [ $# -gt 0 ]; do
  case $1 in
    --lowbit) lowbit=$2; shift ;;
    --shared) shared=$2; shift ;;
    --chunks) chunks=$2; shift ;;
    --models) models=$2; shift ;;
    --engine) engine=$2; shift ;;
    --threads) threads=$2; shift ;;
    --kld-tol) kld_tol=$2; shift ;;
    --kld-abs) kld_abs=$2; shift ;;
    --top1-tol) top1_tol=$2; shift ;;
    --no-ppl-check) ppl_check=0 ;;
    --out) out=$2; shift ;;
    --keep-cache) keep_cache=1 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
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
ref_json="$quants/reference-kld.json"
f16="$shared/models/mini-qwen2/mini-qwen2-f16.gguf"
text="$shared/text/wikitext2-test.txt"
for f in "$lowbit" "$ref_json" "$f16" "$text"; do
  if [ ! -e "$f" ]; then echo "missing: ${f:-the lowbit binary (--lowbit)}" >&2; exit 2; fi
done
command -v jq >/dev/null || { echo "jq is needed" >&2; exit 2; }

if [ -z "$out" ]; then
  out=$(mktemp -d)
  [ $keep_cache -eq 1 ] || trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$out"
cache="$out/f16.lbref"

opts=(--ctx 512 --json --per-chunk)
[ "$chunks" -gt 0 ] && opts+=(--chunks "$chunks")
[ -n "$engine" ] && opts+=(--engine "$engine")
[ -n "$threads" ] && opts+=(--threads "$threads")

echo "# lowbit eval vs llama.cpp's perplexity tool (reference-kld.json)"
commit=$(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo unknown)
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), commit $commit, $("$lowbit" --version 2>/dev/null | head -1)"
echo "# $(uname -srm), $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ *//')"
echo "# $lowbit eval CANDIDATE --reference-cache f16.lbref --text wikitext2-test.txt ${opts[*]}"
[ "$chunks" -gt 0 ] && echo "# only the first $chunks chunks: compared with whole-text figures"

# the reference, once: the f16 model against itself gives its true perplexity
start=$(date +%s)
if ! "$lowbit" eval "$f16" --reference "$f16" --text "$text" --save-reference "$cache" \
     "${opts[@]}" > "$out/f16.json" 2> "$out/f16.err"; then
  echo "lowbit eval of the f16 reference failed:" >&2
  cat "$out/f16.err" >&2
  exit 1
fi
echo "# reference pass: $(( $(date +%s) - start )) s, cache $(du -h "$cache" | cut -f1)"

fail=0
f16_ppl=$(jq -r .ppl "$out/f16.json")
want_ppl=$(jq -r .f16_ppl "$ref_json")
sig3 () { awk -v x="$1" 'BEGIN { printf "%.3g", x }'; }
if [ $ppl_check -eq 1 ] && [ "$(sig3 "$f16_ppl")" != "$(sig3 "$want_ppl")" ]; then
  echo "FAIL f16 perplexity $f16_ppl is not $want_ppl to 3 significant digits"
  fail=1
fi
printf "# f16 perplexity: lowbit %.4f, llama.cpp %.4f\n\n" "$f16_ppl" "$want_ppl"

# rel A B: relative difference of A from B, in percent
rel () { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%+.1f%%", 100 * (a - b) / b }'; }

printf "%-16s %-9s %11s %11s %8s %9s %9s %9s %9s %9s %8s %8s %9s %9s\n" \
  type who mean_kld vs_llama max 99.9% 99% 90% median top1% vs_llama ppl mean_dp% rms_dp%
keys=$(jq -r 'to_entries[] | select(.value | type == "object") | .key' "$ref_json")
for key in $keys; do
  if [ -n "$models" ] && ! [[ ",$models," == *",$key,"* ]]; then continue; fi
  file=$(jq -r --arg k "$key" '.[$k].file' "$ref_json")
  j="$out/$key.json"
  start=$(date +%s)
  if ! "$lowbit" eval "$quants/$file" --reference-cache "$cache" --text "$text" \
       "${opts[@]}" > "$j" 2> "$out/$key.err"; then
    echo "FAIL $key: lowbit eval failed: $(head -c 400 "$out/$key.err")"
    fail=1
    continue
  fi
  secs=$(( $(date +%s) - start ))
  get () { jq -r ".$1" "$j"; }
  ref () { jq -r --arg k "$key" ".[\$k].$1" "$ref_json"; }
  kld=$(get mean_kld); rkld=$(ref mean_kld)
  top=$(get same_top1_percent); rtop=$(ref same_top1_percent)
  printf "%-16s %-9s %11.6f %11s %8.4f %9.5f %9.5f %9.5f %9.6f %9.3f %8s %8.3f %9.3f %9.3f\n" \
    "$key" lowbit "$kld" "$(rel "$kld" "$rkld")" "$(get max_kld)" "$(get kld_99_9)" "$(get kld_99)" \
    "$(get kld_90)" "$(get kld_median)" "$top" "$(rel "$top" "$rtop")" "$(get ppl)" \
    "$(get mean_dp_percent)" "$(get rms_dp_percent)"
  printf "%-16s %-9s %11.6f %11s %8.4f %9.5f %9.5f %9.5f %9.6f %9.3f %8s %8.3f %9.3f %9.3f\n" \
    "" llama.cpp "$rkld" "" "$(ref max_kld)" "$(ref kld_99_9)" "$(ref kld_99)" "$(ref kld_90)" \
    "$(ref kld_median)" "$rtop" "" "$(ref ppl)" "$(ref mean_dp_percent)" "$(ref rms_dp_percent)"
  ok_kld=$(awk -v a="$kld" -v b="$rkld" -v r="$kld_tol" -v t="$kld_abs" \
    'BEGIN { d = a - b; if (d < 0) d = -d; tol = r * b; if (t > tol) tol = t; print (d <= tol) ? 1 : 0 }')
  ok_top=$(awk -v a="$top" -v b="$rtop" -v r="$top1_tol" \
    'BEGIN { d = a - b; if (d < 0) d = -d; print (d <= r * b) ? 1 : 0 }')
  [ "$ok_kld" = 1 ] || { echo "FAIL $key: mean KLD $kld vs $rkld (tolerance $kld_tol relative, $kld_abs absolute)"; fail=1; }
  [ "$ok_top" = 1 ] || { echo "FAIL $key: same top-1 $top% vs $rtop% (tolerance $top1_tol relative)"; fail=1; }
  echo "#   $secs s, clipped f16 ppl $(get ppl_base_clipped) (llama.cpp $(ref ppl_base_clipped)), top-5 agreement $(printf %.3f "$(get top5_agreement_percent)")%"
done

[ $fail -eq 0 ] && echo "# all within tolerance" || echo "# some figures are outside the tolerance"
exit $fail
