#!/usr/bin/env bash
# run-sample.sh: install dependencies, build, and run Lowbit on the bundled
# sample model (stories260K). With a display the workbench opens on it (once
# it is built); without one, the headless pipeline runs.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/deps.sh
[ -d build ] || meson setup build
ninja -C build

model=data/stories260K/stories260K.bin
tok=data/stories260K/tok512.bin
lowbit=build/app/lowbit
out=build/sample
mkdir -p "$out"

if { [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; } && [ -x build/app/lowbit-workbench ]; then
  exec build/app/lowbit-workbench "$model"
fi

echo "== lowbit info =="
"$lowbit" info "$model" --tokenizer "$tok" --no-tensors
echo
echo "== lowbit generate (greedy, 255 tokens) =="
"$lowbit" generate "$model" --tokenizer "$tok" -n 256 --stats
echo
echo "== lowbit convert to GGUF =="
"$lowbit" convert "$model" --tokenizer "$tok" -o "$out/stories260K.gguf"
"$lowbit" info "$out/stories260K.gguf" --no-tensors | head -3
echo
echo "== lowbit generate from the GGUF (sampled) =="
"$lowbit" generate "$out/stories260K.gguf" -p "Once upon a time" -n 64 --temp 0.8 --top-p 0.9 --seed 7
