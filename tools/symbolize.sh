#!/usr/bin/env bash
# symbolize.sh KERNEL [LOG]: copies a console log (or standard input) and
# adds the function and source line to every backtrace address of a panic
# report ("    0x80002fd6" lines), using the kernel's debug information.
set -u
kernel=${1:?usage: symbolize.sh KERNEL [LOG]}
log=${2:-/dev/stdin}
while IFS= read -r line; do
  if [[ $line =~ ^\ +(0x[0-9a-f]+)$ ]]; then
    # ra points after the call; ra-2 stays inside the calling instruction.
    addr=$(printf '0x%x' $(( ${BASH_REMATCH[1]} - 2 )))
    where=$(riscv64-unknown-elf-addr2line -f -p -C -e "$kernel" "$addr" 2>/dev/null || echo "?")
    echo "$line  $where" | sed "s|$(pwd)/||"
  else
    echo "$line"
  fi
done <"$log"
