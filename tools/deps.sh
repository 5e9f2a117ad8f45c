#!/usr/bin/env bash
# deps.sh: install the Debian packages the build and the tests need, but only
# when one of their tools is missing. Runs apt-get as root, else through sudo.
set -euo pipefail

need=()
check() {   # check TOOL PACKAGE...
  local tool=$1; shift
  command -v "$tool" >/dev/null 2>&1 || need+=("$@")
}
check riscv64-unknown-elf-gcc gcc-riscv64-unknown-elf binutils-riscv64-unknown-elf
check riscv64-unknown-elf-objdump binutils-riscv64-unknown-elf
check qemu-system-riscv64 qemu-system-misc
check gdb-multiarch gdb-multiarch
check gcc gcc libc6-dev
check timeout coreutils
check awk gawk
[ ${#need[@]} -eq 0 ] && exit 0

echo "deps: installing ${need[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
