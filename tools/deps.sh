#!/usr/bin/env bash
# deps.sh: install what Lowbit needs to build and test on Debian 12, asking
# apt-get only for packages that are missing.
#   tools/deps.sh            build + run dependencies
#   tools/deps.sh --test     also what the test suite needs (Xvfb, clang for fuzzing)
set -euo pipefail

pkgs=(gcc meson ninja-build pkg-config gettext libglib2.0-dev libjson-glib-dev
      libgtk-4-dev libadwaita-1-dev libsodium-dev libzstd-dev
      desktop-file-utils appstream)
if [ "${1:-}" = "--test" ]; then
  pkgs+=(xvfb xauth clang libclang-rt-14-dev)
fi

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
