# find-lowbit.sh: sourced by the benchmark scripts.
# find_lowbit SRC: prints the lowbit binary to use: SRC/build's, else the
# first SRC/build*/app/lowbit built for this machine (ELF e_machine as
# /bin/sh's, so a cross build that qemu would run is never picked).
find_lowbit () {
  local host b
  host=$(od -An -tx1 -j18 -N2 /bin/sh)
  for b in "$1"/build/app/lowbit "$1"/build*/app/lowbit; do
    if [ -x "$b" ] && [ "$(od -An -tx1 -j18 -N2 "$b")" = "$host" ]; then
      echo "$b"
      return 0
    fi
  done
  return 1
}
