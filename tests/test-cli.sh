#!/usr/bin/env bash
# test-cli.sh: the lowbit command line end to end (TAP). Needs LB_CLI (the
# built binary), LB_SHARED_DIR and LB_SOURCE_DIR, which meson sets.
set -u

cli=${LB_CLI:?LB_CLI is not set}
shared=${LB_SHARED_DIR:-../shared}
src=${LB_SOURCE_DIR:-.}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
failed=0

ok () { n=$((n + 1)); echo "ok $n - $1"; }
not_ok () { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
# check NAME EXPECTED_STATUS CMD...: runs CMD, stdout to $tmp/out, stderr to $tmp/err
check () {
  local name=$1 want=$2; shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  if [ "$got" -eq "$want" ]; then ok "$name"; else not_ok "$name" "exit $got, expected $want" "$(head -c 600 "$tmp/err")"; fi
}
contains () {  # contains NAME FILE TEXT
  if grep -qF -- "$3" "$2"; then ok "$1"; else not_ok "$1" "'$3' not in $2:" "$(head -c 600 "$2")"; fi
}

for f in "$shared/models/README.md" "$shared/models/mini-qwen2/config.json"; do
  if [ ! -e "$f" ]; then
    echo "1..1"
    echo "not ok 1 - shared test assets missing: $f (put shared/ beside the source tree or set LB_SHARED_DIR)"
    exit 1
  fi
done

stories="$src/data/stories260K/stories260K.bin"
tok="$src/data/stories260K/tok512.bin"
qwen="$shared/models/mini-qwen2"

# the published stories260K text: the fenced block under its heading
awk '/^## stories260K published output/{f=1} f&&/^```$/{c++; if(c==2) exit; next} f&&c==1' \
  "$shared/models/README.md" > "$tmp/expected.txt"

# usage and errors
check "no arguments is a usage error" 2 "$cli"
check "--help succeeds" 0 "$cli" --help
contains "--help lists the commands" "$tmp/out" "generate"
check "unknown command" 2 "$cli" frobnicate
check "info without a model" 2 "$cli" info
check "info --help" 0 "$cli" info --help
check "missing model file" 1 "$cli" info "$tmp/nope.gguf"
contains "missing file message names it" "$tmp/err" "nope.gguf"
printf 'GGUF\003\000\000\000garbage' > "$tmp/bad.gguf"
check "truncated GGUF" 1 "$cli" info "$tmp/bad.gguf"
contains "truncated GGUF is explained" "$tmp/err" "bad.gguf"
check "bad --type" 2 "$cli" convert "$stories" -t "$tok" --type q9 -o "$tmp/x.gguf"
check "bad --top-p" 2 "$cli" generate "$stories" -t "$tok" --top-p 0

# info on each format
check "info llama2.c" 0 "$cli" info "$stories" --tokenizer "$tok"
contains "llama2.c architecture" "$tmp/out" "architecture  llama"
check "info HF folder --json" 0 "$cli" info --json "$qwen"
contains "HF json architecture" "$tmp/out" '"architecture" : "qwen2"'
contains "HF json tensors" "$tmp/out" '"blk.7.ffn_down.weight"'
check "info GGUF" 0 "$cli" info -m "$qwen/mini-qwen2-f16.gguf"
contains "GGUF metadata listing" "$tmp/out" "qwen2.rope.freq_base"

# the published greedy text, from the llama2.c files and after conversion
check "generate stories260K" 0 "$cli" generate "$stories" --tokenizer "$tok" -n 256
if cmp -s "$tmp/out" "$tmp/expected.txt"; then ok "stories260K greedy text is the published one"
else not_ok "stories260K greedy text is the published one" "$(diff "$tmp/out" "$tmp/expected.txt" | head -5)"; fi
check "convert stories260K" 0 "$cli" convert "$stories" --tokenizer "$tok" -o "$tmp/stories.gguf"
check "generate from the converted GGUF" 0 "$cli" generate "$tmp/stories.gguf" -n 256
if cmp -s "$tmp/out" "$tmp/expected.txt"; then ok "converted GGUF gives the published text"
else not_ok "converted GGUF gives the published text" "$(diff "$tmp/out" "$tmp/expected.txt" | head -5)"; fi

# mini-qwen2: greedy continuation of the reference prompt
check "generate mini-qwen2" 0 "$cli" generate "$qwen" -p "The king said unto his servants, Go ye into the city and" -n 24
contains "mini-qwen2 continuation" "$tmp/out" "in the city, and let your brethren go up to the city"

# logits: shape and atomic output
check "logits --tokens" 0 "$cli" logits "$qwen/mini-qwen2-f16.gguf" --tokens 1,342,594 -o "$tmp/l.f32"
size=$(stat -c %s "$tmp/l.f32" 2>/dev/null || echo 0)
if [ "$size" -eq $((3 * 4096 * 4)) ]; then ok "logits file is [3, 4096] float32"; else not_ok "logits file is [3, 4096] float32" "size $size"; fi
check "logits with an out-of-range token is a usage error" 2 "$cli" logits "$qwen/mini-qwen2-f16.gguf" --tokens 1,999999 -o "$tmp/bad.f32"
if [ ! -e "$tmp/bad.f32" ]; then ok "failed logits leave no file"; else not_ok "failed logits leave no file"; fi
check "logits needs --text or --tokens" 2 "$cli" logits "$qwen" -o "$tmp/x.f32"

# convert: HF folder, and a destination that cannot be written
check "convert HF folder" 0 "$cli" convert "$qwen" -o "$tmp/q.gguf" --type f16
check "info converted" 0 "$cli" info "$tmp/q.gguf" --json
contains "converted keeps the architecture" "$tmp/out" '"architecture" : "qwen2"'
check "convert into a missing folder" 1 "$cli" convert "$qwen" -o "$tmp/no/such/dir/q.gguf"
if [ -z "$(ls "$tmp/no" 2>/dev/null)" ]; then ok "failed convert leaves nothing"; else not_ok "failed convert leaves nothing"; fi

# tokenize
check "tokenize --json" 0 "$cli" tokenize "$qwen/mini-qwen2-f16.gguf" --json --text "The king said unto his servants, Go ye into the city and"
contains "tokenize ids" "$tmp/out" "1,"

# a byte-level BPE model (GPT-2 vocabulary) from its Hugging Face folder
bpe="$shared/models/tiny-archs/tiny-qwen2-bpe"
check "tokenize BPE folder" 0 "$cli" tokenize "$bpe" --json --no-special --text "Hello world"
contains "BPE ids from tokenizer.json" "$tmp/out" "15496"
check "generate with a BPE model" 0 "$cli" generate "$bpe" -p "Hello world" -n 4
check "logits with a BPE model" 0 "$cli" logits "$bpe" --text "Hello world" -o "$tmp/bpe.f32"
size=$(stat -c %s "$tmp/bpe.f32" 2>/dev/null || echo 0)
if [ "$size" -eq $((2 * 50257 * 4)) ]; then ok "BPE logits file is [2, 50257]"; else not_ok "BPE logits file is [2, 50257]" "size $size"; fi
check "convert BPE folder to GGUF" 0 "$cli" convert "$bpe" -o "$tmp/bpe.gguf"
check "tokenize from the converted GGUF" 0 "$cli" tokenize "$tmp/bpe.gguf" --json --no-special --text "Hello world"
contains "BPE ids survive GGUF" "$tmp/out" "15496"

# more architectures: lowbit info shows what each one computes
archs="$shared/models/tiny-archs"
check "info tiny-gemma2 folder" 0 "$cli" info --no-tensors "$archs/tiny-gemma2"
contains "gemma2 sliding layers" "$tmp/out" "window 16 on 2 of 4 layers (0 2)"
contains "gemma2 attention soft-cap" "$tmp/out" "soft-capped at 50"
contains "gemma2 final soft-cap" "$tmp/out" "logits        soft-capped at 30"
contains "gemma2 embedding scale" "$tmp/out" "embedding     scaled by 16"
contains "gemma2 GELU" "$tmp/out" "gated GELU (tanh)"
check "info tiny-gemma3 GGUF --json" 0 "$cli" info --json --no-tensors "$archs/tiny-gemma3/tiny-gemma3-bf16.gguf"
contains "gemma3 local rope base" "$tmp/out" '"rope_freq_base_swa" : 10000.0'
contains "gemma3 q/k norms" "$tmp/out" '"qk_norm" : true'
check "info tiny-llama3 folder" 0 "$cli" info --no-tensors "$archs/tiny-llama3"
contains "llama3 rope scaling" "$tmp/out" "llama3 frequency factors"
check "convert tiny-qwen3" 0 "$cli" convert "$archs/tiny-qwen3" -o "$tmp/qwen3.gguf"
check "info converted qwen3" 0 "$cli" info "$tmp/qwen3.gguf"
contains "qwen3 keeps its q/k norms" "$tmp/out" "blk.1.attn_k_norm.weight"

# errors: per-tensor weight error, heatmap, layer-wise output error
f16="$qwen/mini-qwen2-f16.gguf"
# charts: Pango's font caches live as long as the process (not a leak of ours)
charts_lsan="LSAN_OPTIONS=suppressions=$src/tests/widgets/lsan.supp:print_suppressions=0"
check "errors --type Q4_0 with JSON and heatmap" 0 env "$charts_lsan" "$cli" errors "$f16" --type Q4_0 --json "$tmp/err.json" --png "$tmp/err.png"
contains "errors table lists a block tensor" "$tmp/out" "blk.7.ffn_down.weight"
contains "errors table gives the types" "$tmp/out" "F16>Q4_0"
contains "errors JSON has per-tensor SNR" "$tmp/err.json" '"snr_db"'
contains "errors JSON names the worst tensor" "$tmp/err.json" '"worst_tensor"'
if [ "$(head -c 8 "$tmp/err.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]; then ok "errors heatmap is a PNG"; else not_ok "errors heatmap is a PNG"; fi
check "errors --layers on a short text" 0 env "$charts_lsan" "$cli" errors "$f16" --type Q8_0 --layers --text "$shared/text/wikitext2-test.txt" --ctx 24 --chunks 1 --json "$tmp/layers.json" --layers-png "$tmp/layers.png"
contains "errors prints the layer table" "$tmp/out" "layer-wise output error over 24 positions"
contains "errors JSON has the blocks" "$tmp/layers.json" '"rel_mse"'
if [ -s "$tmp/layers.png" ]; then ok "errors layer chart written"; else not_ok "errors layer chart written"; fi
check "errors with a preset, importance and an error map" 0 env "$charts_lsan" "$cli" errors "$f16" --preset Q4_K_M --imatrix "$shared/models/llamacpp-quants/imatrix-wikitext2-valid.gguf" --map-tensor blk.0.ffn_down.weight --map-png "$tmp/map.png" --json -
contains "errors weighted SNR with importance" "$tmp/out" '"weighted_snr_db"'
contains "errors JSON carries the map" "$tmp/out" '"map"'
check "errors falls back where rows do not fit" 0 env "$charts_lsan" "$cli" errors "$stories" --tokenizer "$tok" --type Q4_0
contains "errors names the fallback" "$tmp/err" "blk.0.ffn_down.weight"
check "errors with an unknown type" 2 "$cli" errors "$f16" --type Q9_9
check "errors needs a type or recipe" 2 "$cli" errors "$f16"
check "errors --layers needs --text" 2 "$cli" errors "$f16" --type Q4_0 --layers
check "errors into a missing folder" 1 env "$charts_lsan" "$cli" errors "$f16" --type Q4_0 --png "$tmp/no/such/err.png"
if [ ! -e "$tmp/no" ]; then ok "failed errors leaves no file"; else not_ok "failed errors leaves no file"; fi

# signed delta updates: keygen, delta, apply, verify, rollback
q8="$shared/models/llamacpp-quants/mini-Q8_0.gguf"
check "keygen" 0 "$cli" keygen -o "$tmp/key"
mode=$(stat -c %a "$tmp/key" 2>/dev/null)
if [ "$mode" = "600" ]; then ok "private key is 0600"; else not_ok "private key is 0600" "mode $mode"; fi
cp "$qwen/mini-qwen2-f16.gguf" "$tmp/dev.gguf"
check "delta f16 -> Q8_0" 0 "$cli" delta "$qwen/mini-qwen2-f16.gguf" "$q8" --sign "$tmp/key" --version 7 -o "$tmp/u.lbdelta" --manifest "$tmp/u.manifest"
cp "$tmp/u.lbdelta" "$tmp/bad.lbdelta"
printf '\377' | dd of="$tmp/bad.lbdelta" bs=1 seek=200 conv=notrunc 2>/dev/null
check "tampered package refused" 1 "$cli" apply "$tmp/dev.gguf" "$tmp/bad.lbdelta" --pubkey "$tmp/key.pub"
if cmp -s "$tmp/dev.gguf" "$qwen/mini-qwen2-f16.gguf"; then ok "tampered package leaves the model untouched"; else not_ok "tampered package leaves the model untouched"; fi
check "apply" 0 "$cli" apply "$tmp/dev.gguf" "$tmp/u.lbdelta" --pubkey "$tmp/key.pub"
if cmp -s "$tmp/dev.gguf" "$q8"; then ok "applied model is byte-identical to the new file"; else not_ok "applied model is byte-identical to the new file"; fi
check "verify against the signed manifest" 0 "$cli" verify "$tmp/dev.gguf" --pubkey "$tmp/key.pub" --manifest "$tmp/u.manifest"
check "re-applying the same package is a no-op" 0 "$cli" apply "$tmp/dev.gguf" "$tmp/u.lbdelta" --pubkey "$tmp/key.pub"
contains "re-apply says nothing to do" "$tmp/out" "nothing to do"
check "delta Q8_0 -> Q6_K (version 8)" 0 "$cli" delta "$q8" "$shared/models/llamacpp-quants/mini-Q6_K.gguf" --sign "$tmp/key" --version 8 -o "$tmp/u8.lbdelta"
check "apply version 8" 0 "$cli" apply "$tmp/dev.gguf" "$tmp/u8.lbdelta" --pubkey "$tmp/key.pub"
check "replayed older package refused" 1 "$cli" apply "$tmp/dev.gguf" "$tmp/u.lbdelta" --pubkey "$tmp/key.pub"
check "rollback to version 7" 0 "$cli" rollback "$tmp/dev.gguf"
if cmp -s "$tmp/dev.gguf" "$q8"; then ok "rollback restores the previous file"; else not_ok "rollback restores the previous file"; fi
check "verify after rollback" 0 "$cli" verify "$tmp/dev.gguf" --pubkey "$tmp/key.pub" --manifest "$tmp/u.manifest"
check "verify a model the manifest does not describe" 3 "$cli" verify "$qwen/mini-qwen2-f16.gguf" --pubkey "$tmp/key.pub" --manifest "$tmp/u.manifest"

# synth and bench: a tiny synthetic model, then the benchmark on it
syn="custom:arch=qwen2,layers=2,embd=128,ff=256,heads=4,kv=2,vocab=700,ctx=128"
check "synth --list" 0 "$cli" synth --list
contains "synth lists the 1.5B shape" "$tmp/out" "qwen2.5-1.5b"
check "synth a custom shape" 0 "$cli" synth --shape "$syn" --type Q8_0 --seed 3 -o "$tmp/syn.gguf"
contains "synth reports the parameters" "$tmp/out" "parameters"
check "synth is reproducible" 0 "$cli" synth --shape "$syn" --type Q8_0 --seed 3 --threads 1 -o "$tmp/syn2.gguf"
if cmp -s "$tmp/syn.gguf" "$tmp/syn2.gguf"; then ok "same seed, same bytes"; else not_ok "same seed, same bytes"; fi
check "info on a synthetic model" 0 "$cli" info "$tmp/syn.gguf"
contains "synthetic model is labelled" "$tmp/out" "synthetic custom:arch=qwen2"
contains "synthetic model has Q8_0 weights" "$tmp/out" "Q8_0"
check "generate on a synthetic model" 0 "$cli" generate "$tmp/syn.gguf" -p "hello world" -n 4
check "synth an unknown shape" 2 "$cli" synth --shape qwen9 -o "$tmp/x.gguf"
contains "synth names the known shapes" "$tmp/err" "gemma2-2b"
check "synth a bad custom key" 2 "$cli" synth --shape "custom:layers=2,wings=3" -o "$tmp/x.gguf"
check "synth an unknown type" 2 "$cli" synth --shape "$syn" --type Q9_9 -o "$tmp/x.gguf"
check "synth without -o" 2 "$cli" synth --shape "$syn"
check "synth into a missing folder" 1 "$cli" synth --shape "$syn" -o "$tmp/no/such/x.gguf"
if [ ! -e "$tmp/x.gguf" ] && [ ! -e "$tmp/no" ]; then ok "failed synth leaves no file"; else not_ok "failed synth leaves no file"; fi
check "bench --json" 0 "$cli" bench "$tmp/syn.gguf" -p 16 -n 8 -r 2 -t 2 --json --no-bandwidth
for key in '"prompt_tok_s"' '"decode_tok_s"' '"p50"' '"p95"' '"ttft_ms"' '"peak_anon"' '"peak_file"' '"cores_busy"' '"weight_bytes_per_token"' '"samples"' '"n_threads" : 2'; do
  contains "bench JSON has $key" "$tmp/out" "$key"
done
check "bench with the roofline" 0 "$cli" bench "$tmp/syn.gguf" -p 8 -n 4 -r 1 --kv-type q8_0
contains "bench prints decode speed" "$tmp/out" "ms/token mean"
contains "bench prints the roofline" "$tmp/out" "read bandwidth"
contains "bench prints the memory split" "$tmp/out" "file-backed"
contains "bench used the q8_0 KV cache" "$tmp/out" "KV Q8_0"
check "bench with nothing to do" 2 "$cli" bench "$tmp/syn.gguf" -p 0 -n 0
check "bench with a bad KV type" 2 "$cli" bench "$tmp/syn.gguf" --kv-type q4_0
check "bench with a context too short" 2 "$cli" bench "$tmp/syn.gguf" -p 16 -n 8 --ctx 10 --no-bandwidth
contains "bench explains the context" "$tmp/err" "context of 10"
check "bench a missing model" 1 "$cli" bench "$tmp/nope.gguf"

# prune: per-row magnitude pruning, then a recipe, with the accuracy cost
head -c 20000 "$shared/text/wikitext2-test.txt" > "$tmp/wt-head.txt"
imat="$shared/models/llamacpp-quants/imatrix-wikitext2-valid.gguf"
check "prune 30%" 0 "$cli" prune "$f16" --sparsity 0.3 -o "$tmp/p30.gguf" --threads 2
contains "prune lists each tensor" "$tmp/out" "blk.7.ffn_down.weight"
contains "prune gives the row sparsity" "$tmp/out" "30.08%"
contains "prune sums up" "$tmp/out" "pruned 56 tensors"
if [ "$(stat -c %s "$tmp/p30.gguf")" = "$(stat -c %s "$f16")" ]; then ok "a pruned dense GGUF has the same size"; else not_ok "a pruned dense GGUF has the same size"; fi
check "generate from a pruned model" 0 "$cli" generate "$tmp/p30.gguf" -p "The king said" -n 4
check "prune 2:4 with importance, JSON only" 0 "$cli" prune "$f16" --pattern 2:4 --importance "$imat" --include 'blk.[0-1].*' --exclude '*attn_k*' --json
contains "prune JSON names the method" "$tmp/out" '"method" : "2:4"'
contains "prune JSON counts zeros" "$tmp/out" '"zeros" :'
contains "prune JSON says importance was used" "$tmp/out" '"importance" : true'
if grep -q '"blk.2.' "$tmp/out" || grep -q '"blk.0.attn_k.weight"' "$tmp/out" || ! grep -q '"blk.1.ffn_up.weight"' "$tmp/out"; then not_ok "prune --include/--exclude select the tensors"; else ok "prune --include/--exclude select the tensors"; fi
check "prune then Q8_0, with the accuracy cost" 0 "$cli" prune "$f16" --sparsity 0.5 --preset Q8_0 -o "$tmp/p50q8.gguf" --eval --text "$tmp/wt-head.txt" --ctx 128 --chunks 1 --threads 2
contains "prune reports the pruned model's KLD" "$tmp/out" "pruned                 mean KLD"
contains "prune reports the quantized model's KLD" "$tmp/out" "pruned + Q8_0"
contains "prune names what it wrote" "$tmp/err" "quantized with Q8_0"
check "info on the pruned Q8_0 model" 0 "$cli" info "$tmp/p50q8.gguf"
contains "the pruned model is Q8_0" "$tmp/out" "Q8_0"
check "prune without a sparsity" 2 "$cli" prune "$f16" -o "$tmp/x.gguf"
check "prune with sparsity 1.5" 2 "$cli" prune "$f16" --sparsity 1.5 -o "$tmp/x.gguf"
check "prune with a bad pattern" 2 "$cli" prune "$f16" --pattern 4:2 -o "$tmp/x.gguf"
check "prune with a contradicting sparsity" 2 "$cli" prune "$f16" --pattern 2:4 --sparsity 0.3 -o "$tmp/x.gguf"
check "prune --eval without --text" 2 "$cli" prune "$f16" --sparsity 0.3 --eval
check "prune with an include that matches nothing" 2 "$cli" prune "$f16" --sparsity 0.3 --include 'blk.99.*' -o "$tmp/x.gguf"
contains "prune names the pattern" "$tmp/err" "blk.99.*"
check "prune 3:8 where rows do not split into 8s" 2 "$cli" prune "$stories" --tokenizer "$tok" --pattern 3:8 -o "$tmp/x.gguf"
contains "prune names the tensor that does not fit" "$tmp/err" "ffn_down.weight"
check "prune into a missing folder" 1 "$cli" prune "$f16" --sparsity 0.3 -o "$tmp/no/such/x.gguf"
if [ ! -e "$tmp/x.gguf" ] && [ ! -e "$tmp/no" ]; then ok "failed prune leaves no file"; else not_ok "failed prune leaves no file"; fi

# validate: the release gate and its exit codes
q2="$shared/models/llamacpp-quants/mini-Q2_K-imatrix.gguf"
check "validate f16 against itself" 0 "$cli" validate "$f16" --reference "$f16" --text "$tmp/wt-head.txt" --ctx 128 --chunks 1 --threads 2 --max-kld 0.001 --max-ppl-ratio 1.001
contains "validate prints PASS" "$tmp/out" "PASS: every target met"
contains "validate checks latency by default" "$tmp/out" "decode latency"
contains "validate checks memory by default" "$tmp/out" "peak memory"
contains "validate's default size limit" "$tmp/out" "<= 500.0 MB"
check "validate Q2_K misses 99% same top-1" 3 "$cli" validate "$q2" --reference "$f16" --text "$tmp/wt-head.txt" --ctx 128 --chunks 1 --threads 2 --skip latency,memory
contains "validate names the missed target" "$tmp/err" "top1 (same top-1"
contains "validate's table says FAIL" "$tmp/out" "FAIL: 1 of 2 targets missed (top1)"
check "validate a size limit below the file" 3 "$cli" validate "$f16" --max-size 14MB --skip top1,latency,memory
contains "validate names the size" "$tmp/err" "size (file size 14.3 MB > 14.0 MB)"
check "validate --json - with units" 0 "$cli" validate "$f16" --max-size 1.5GiB --max-memory 4GiB --skip top1 --threads 2 --json -
contains "validate JSON passes" "$tmp/out" '"passed" : true'
contains "validate JSON lists skipped targets" "$tmp/out" '"skipped" : ['
contains "validate JSON has the benchmark" "$tmp/out" '"decode_ms_mean"'
check "validate with a bad unit" 2 "$cli" validate "$f16" --max-size 12XB
contains "validate explains the unit" "$tmp/err" "12XB"
check "validate with a fractional byte count" 2 "$cli" validate "$f16" --max-memory 0.5
check "validate with an unknown target to skip" 2 "$cli" validate "$f16" --skip speed
check "validate with top-1 above 100%" 2 "$cli" validate "$f16" --min-top1 101%
check "validate accuracy without a reference" 2 "$cli" validate "$f16" --skip latency,memory
check "validate a missing candidate" 1 "$cli" validate "$tmp/nope.gguf" --skip top1,latency,memory

# sensitivity and plan: a small table, a plan from it, its exact size
head -c 40000 "$shared/text/wikitext2-valid.txt" > "$tmp/wv-head.txt"
im="$shared/models/llamacpp-quants/imatrix-wikitext2-valid.gguf"
check "sensitivity without a text" 2 "$cli" sensitivity "$f16" --types Q4_K
check "sensitivity with a bad group" 2 "$cli" sensitivity "$f16" --text "$tmp/wv-head.txt" --group rows
check "sensitivity with an unknown type" 2 "$cli" sensitivity "$f16" --text "$tmp/wv-head.txt" --types Q4_K,Q9_K
check "sensitivity of the weights alone" 0 "$cli" sensitivity "$f16" --proxy-only --group kind --types Q3_K,Q6_K --json
contains "sensitivity JSON names the groups" "$tmp/out" '"name" : "ffn_down"'
check "sensitivity by kind, measured" 0 env "$charts_lsan" "$cli" sensitivity "$f16" --types Q2_K,Q8_0 --group kind --text "$tmp/wv-head.txt" --ctx 64 --chunks 2 --threads 2 --imatrix "$im" --cache "$tmp/sc.json" -o "$tmp/sens.json" --png "$tmp/sens.png"
contains "sensitivity table lists a kind" "$tmp/out" "attn_output"
contains "sensitivity reports the proxy correlation" "$tmp/out" "weight proxy vs measured"
if [ "$(head -c 8 "$tmp/sens.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]; then ok "sensitivity heatmap is a PNG"; else not_ok "sensitivity heatmap is a PNG"; fi
check "sensitivity again, from the cache" 0 "$cli" sensitivity "$f16" --types Q2_K,Q8_0 --group kind --text "$tmp/wv-head.txt" --ctx 64 --chunks 2 --threads 2 --imatrix "$im" --cache "$tmp/sc.json"
contains "sensitivity rerun evaluates nothing" "$tmp/out" "0 cells evaluated, 16 from the cache"
check "plan needs a budget" 2 "$cli" plan "$f16" --sensitivity "$tmp/sens.json" -o "$tmp/r.json"
check "plan with a bad size" 2 "$cli" plan "$f16" --sensitivity "$tmp/sens.json" --size 4XB -o "$tmp/r.json"
check "plan below the smallest file" 2 "$cli" plan "$f16" --sensitivity "$tmp/sens.json" --size 1000 -o "$tmp/r.json"
contains "plan says how small it can go" "$tmp/err" "smallest file"
check "plan protecting nothing that exists" 2 "$cli" plan "$f16" --sensitivity "$tmp/sens.json" --size 4MB --protect "blk.*.wings.weight" -o "$tmp/r.json"
check "plan at 4.2 MB" 0 "$cli" plan "$f16" --sensitivity "$tmp/sens.json" --size 4200000 --imatrix "$im" -o "$tmp/plan.json"
contains "plan prints the prediction" "$tmp/out" "predicted mean KLD"
check "planned recipe resolves (dry run)" 0 "$cli" quantize "$f16" --recipe "$tmp/plan.json" --imatrix "$im" --dry-run
size=$(sed -n 's/^output size \([0-9]*\) bytes.*/\1/p' "$tmp/out")
if [ -n "$size" ] && [ "$size" -le 4200000 ] && [ "$size" -gt 4000000 ]; then ok "planned file is within the budget ($size bytes)"; else not_ok "planned file is within the budget" "size '$size'"; fi
check "plan with --protect keeps attn_v in F16" 0 "$cli" plan "$f16" --sensitivity "$tmp/sens.json" --bpw 5 --protect "blk.*.attn_v.weight" -o "$tmp/plan2.json"
contains "protected tensors keep F16" "$tmp/out" "blk.7.attn_v.weight                  F16"
check "plan from the weight proxy alone" 0 "$cli" plan "$f16" --types Q3_K,Q5_K --bpw 4.5 -o "$tmp/plan3.json"
contains "proxy plan says so" "$tmp/plan3.json" "weight-error proxy"
check "plan --verify --pareto" 0 env "$charts_lsan" "$cli" plan "$f16" --sensitivity "$tmp/sens.json" --bpw 4 --verify --text "$tmp/wt-head.txt" --ctx 64 --verify-chunks 1 --threads 2 --pareto "$tmp/pareto" --pareto-measure 2
contains "verify prints predicted and measured" "$tmp/out" "measured / predicted"
contains "pareto JSON has llama.cpp's mixes" "$tmp/pareto/pareto.json" '"label" : "Q4_K_M"'
if [ "$(head -c 8 "$tmp/pareto/pareto.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]; then ok "pareto chart is a PNG"; else not_ok "pareto chart is a PNG"; fi

# both engines give the published stories260K text
check "generate with the reference engine" 0 "$cli" generate "$stories" --tokenizer "$tok" -n 256 --engine ref
if cmp -s "$tmp/out" "$tmp/expected.txt"; then ok "reference engine gives the published text"
else not_ok "reference engine gives the published text" "$(diff "$tmp/out" "$tmp/expected.txt" | head -5)"; fi
check "generate with 1 thread and a q8_0 KV cache" 0 "$cli" generate "$qwen" -p "The king said unto his servants, Go ye into the city and" -n 8 --threads 1 --kv-type q8_0
check "bad --engine" 2 "$cli" generate "$stories" --tokenizer "$tok" --engine gpu
check "bad --kv-type" 2 "$cli" generate "$stories" --tokenizer "$tok" --kv-type q4_k

# --png on every analysis command: a real PNG of sensible size, and a clear
# refusal (before any work) when it cannot be written
# png_ok NAME FILE MIN_W MAX_W MIN_H MAX_H: the signature, then the IHDR size
png_ok () {
  local sig dims w h
  sig=$(head -c 8 "$2" 2>/dev/null | od -An -tx1 | tr -d ' \n')
  if [ "$sig" != "89504e470d0a1a0a" ]; then not_ok "$1" "$2 is not a PNG (starts with '$sig')"; return; fi
  dims=$(od -An -tu1 -j16 -N8 "$2" | tr -s ' \n' ' ')
  w=$(echo "$dims" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }')
  h=$(echo "$dims" | awk '{ print $5 * 16777216 + $6 * 65536 + $7 * 256 + $8 }')
  if [ "$w" -ge "$3" ] && [ "$w" -le "$4" ] && [ "$h" -ge "$5" ] && [ "$h" -le "$6" ]; then ok "$1 (${w}x${h})"
  else not_ok "$1" "size ${w}x${h}, expected ${3}-${4} x ${5}-${6}"; fi
}
q80="$shared/models/llamacpp-quants/mini-Q8_0.gguf"
check "eval --png" 0 env "$charts_lsan" "$cli" eval "$q80" --reference "$f16" --text "$tmp/wt-head.txt" --ctx 64 --chunks 3 --threads 2 --png "$tmp/eval.png"
png_ok "eval chart is a PNG" "$tmp/eval.png" 900 1000 500 700
check "eval --png into a missing folder" 1 "$cli" eval "$q80" --reference "$f16" --text "$tmp/wt-head.txt" --ctx 64 --chunks 3 --png "$tmp/no/such/eval.png"
contains "eval names the missing folder" "$tmp/err" "the folder $tmp/no/such does not exist"
if ! grep -q "^PPL" "$tmp/out" && [ ! -e "$tmp/no" ]; then ok "eval refuses before evaluating"; else not_ok "eval refuses before evaluating"; fi
check "eval --png onto a folder" 1 "$cli" eval "$q80" --reference "$f16" --text "$tmp/wt-head.txt" --png "$tmp"
contains "eval says it is a folder" "$tmp/err" "that is a folder"
check "sensitivity per tensor --png" 0 env "$charts_lsan" "$cli" sensitivity "$f16" --proxy-only --types Q3_K,Q4_K,Q8_0 --png "$tmp/sens-grid.png"
png_ok "sensitivity layers x kinds chart is a PNG" "$tmp/sens-grid.png" 1000 1800 300 900
check "sensitivity --png under a file" 1 "$cli" sensitivity "$f16" --proxy-only --types Q4_K --png "$tmp/wt-head.txt/s.png"
contains "sensitivity names the bad folder" "$tmp/err" "--png $tmp/wt-head.txt/s.png"
check "prune --png" 0 env "$charts_lsan" "$cli" prune "$f16" --sparsity 0.3 --png "$tmp/prune.png"
png_ok "prune chart is a PNG" "$tmp/prune.png" 1000 1300 800 1200
check "prune --png into a missing folder" 1 "$cli" prune "$f16" --sparsity 0.3 --png "$tmp/no/such/p.png"
contains "prune names the missing folder" "$tmp/err" "does not exist"
check "validate --png of a missed target" 3 env "$charts_lsan" "$cli" validate "$f16" --max-size 14MB --skip top1,latency,memory --png "$tmp/val.png"
png_ok "validate chart is a PNG" "$tmp/val.png" 250 1200 200 400
check "validate --png into a missing folder is an error, not a verdict" 1 "$cli" validate "$f16" --max-size 14MB --skip top1,latency,memory --png "$tmp/no/such/v.png"
contains "validate names the missing folder" "$tmp/err" "does not exist"
check "plan --png" 0 env "$charts_lsan" "$cli" plan "$f16" --sensitivity "$tmp/sens.json" --size 4200000 --imatrix "$im" --png "$tmp/plan.png"
png_ok "plan chart is a PNG" "$tmp/plan.png" 700 1400 400 800
check "plan --png into a missing folder" 1 "$cli" plan "$f16" --sensitivity "$tmp/sens.json" --size 4200000 --png "$tmp/no/such/plan.png"
contains "plan names the missing folder" "$tmp/err" "does not exist"

# precision profiles: brief-mixed's performance and accuracy, in memory and on disk
king="The king said unto his servants, Go ye into the city and"
check "quantize --profile performance" 0 "$cli" quantize "$f16" --preset brief-mixed --profile performance -o "$tmp/perf.gguf"
check "quantize --profile accuracy" 0 "$cli" quantize "$f16" --preset brief-mixed --profile accuracy -o "$tmp/acc.gguf"
check "info on the performance export" 0 "$cli" info "$tmp/perf.gguf"
contains "performance: attention int4" "$tmp/out" "blk.3.attn_v.weight                  Q4_0"
contains "performance: other linear int8" "$tmp/out" "blk.3.ffn_up.weight                  Q8_0"
check "info on the accuracy export" 0 "$cli" info "$tmp/acc.gguf"
contains "accuracy: attention int8" "$tmp/out" "blk.3.attn_v.weight                  Q8_0"
contains "accuracy: other linear 16-bit" "$tmp/out" "blk.3.ffn_up.weight                  F16"
check "quantize an unknown profile" 2 "$cli" quantize "$f16" --preset brief-mixed --profile turbo -o "$tmp/x.gguf"
contains "quantize lists the profiles" "$tmp/err" "performance, accuracy"
if [ ! -e "$tmp/x.gguf" ]; then ok "unknown profile writes nothing"; else not_ok "unknown profile writes nothing"; fi
for p in performance accuracy; do
  f=$tmp/perf.gguf; [ "$p" = accuracy ] && f=$tmp/acc.gguf
  check "generate from the $p export" 0 "$cli" generate "$f" -p "$king" -n 24
  mv "$tmp/out" "$tmp/export-$p.txt"
  check "generate --profile $p from f16" 0 "$cli" generate "$f16" --preset brief-mixed --profile "$p" -p "$king" -n 24
  if cmp -s "$tmp/out" "$tmp/export-$p.txt"; then ok "generate --profile $p gives the export's text"
  else not_ok "generate --profile $p gives the export's text" "$(diff "$tmp/out" "$tmp/export-$p.txt" | head -5)"; fi
  contains "generate --profile $p says what it quantized" "$tmp/err" "profile $p of brief-mixed"
done
contains "accuracy profile keeps the reference continuation" "$tmp/out" "in the city, and let your brethren go up to the city"
check "generate --recipe FILE --profile" 0 "$cli" generate "$f16" --recipe "$src/data/recipes/brief-mixed.json" --profile performance -p "$king" -n 24
if cmp -s "$tmp/out" "$tmp/export-performance.txt"; then ok "--recipe FILE is the preset"; else not_ok "--recipe FILE is the preset"; fi
check "generate --profile without a recipe" 2 "$cli" generate "$f16" --profile accuracy
check "generate --recipe and --preset" 2 "$cli" generate "$f16" --preset brief-mixed --recipe "$src/data/recipes/brief-mixed.json"
check "generate an unknown profile" 2 "$cli" generate "$f16" --preset brief-mixed --profile turbo -p "$king"
contains "generate names the profiles" "$tmp/err" 'no profile named "turbo" (its profiles: performance, accuracy)'
check "generate --profile from a missing recipe" 1 "$cli" generate "$f16" --recipe "$tmp/nope.json" --profile accuracy
contains "missing recipe is named" "$tmp/err" "nope.json"
check "bench --profile --switch-to" 0 "$cli" bench "$f16" --preset brief-mixed --profile performance --switch-to accuracy --prompt 16 --gen 4 --repeat 1 --threads 2 --no-bandwidth
contains "bench names the profile" "$tmp/out" "profile       performance of recipe brief-mixed"
contains "bench switch swaps the 56 block matrices" "$tmp/out" "switch        performance -> accuracy: 56 of 98 tensors change, 32 re-quantized"
contains "bench switch back re-quantizes all 56" "$tmp/out" "switch        accuracy -> performance: 56 of 98 tensors change, 56 re-quantized"
contains "bench switch keeps the cache" "$tmp/out" "(16 of 17 cached positions kept)"
contains "bench switch reports memory" "$tmp/out" "switch memory quantized buffers"
check "bench --switch-to --json" 0 "$cli" bench "$f16" --preset brief-mixed --profile accuracy --switch-to performance --prompt 8 --gen 2 --repeat 1 --threads 2 --no-bandwidth --json
contains "bench JSON has the profile" "$tmp/out" '"profile" : "accuracy"'
contains "bench JSON has the switch" "$tmp/out" '"profile_switch"'
contains "bench JSON switch is from the cache when both are resident" "$tmp/out" '"from_cache" : true'
check "bench --switch-to without a recipe" 2 "$cli" bench "$f16" --switch-to accuracy
check "bench --switch-to an unknown profile" 2 "$cli" bench "$f16" --preset brief-mixed --switch-to turbo --prompt 4 --gen 2 --repeat 1 --no-bandwidth
contains "bench names the unknown profile" "$tmp/err" '"turbo"'
# on disk the switch is a signed delta between the two exports
cp "$tmp/perf.gguf" "$tmp/dev-perf.gguf"
check "delta performance -> accuracy" 0 "$cli" delta "$tmp/perf.gguf" "$tmp/acc.gguf" --sign "$tmp/key" --version 20 -o "$tmp/switch.lbdelta"
check "apply the profile switch package" 0 "$cli" apply "$tmp/dev-perf.gguf" "$tmp/switch.lbdelta" --pubkey "$tmp/key.pub"
if cmp -s "$tmp/dev-perf.gguf" "$tmp/acc.gguf"; then ok "switch package gives the accuracy export"; else not_ok "switch package gives the accuracy export"; fi

echo "1..$n"
[ "$failed" -eq 0 ]
