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

echo "1..$n"
[ "$failed" -eq 0 ]
