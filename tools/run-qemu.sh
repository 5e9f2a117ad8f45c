#!/usr/bin/env bash
# run-qemu.sh KERNEL LOG QEMU-COMMAND...: what `make qemu` and `make run`
# run. QEMU keeps the terminal as its input (Ctrl-A X still quits); its
# console is shown and copied to LOG. If the kernel panicked, the panic
# report follows again with a function and source line for every
# backtrace address. Exits with QEMU's status: for `make run`, the
# program's exit status (make then reports it as "Error N").
set -u
kernel=${1:?usage: run-qemu.sh KERNEL LOG QEMU-COMMAND...}
log=${2:?usage: run-qemu.sh KERNEL LOG QEMU-COMMAND...}
shift 2
mkdir -p "$(dirname "$log")"
"$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
sed -i 's/\r$//' "$log"
if grep -q '^panic' "$log"; then
  echo
  echo "the panic report, with source lines (log: $log):"
  "$(dirname "$0")/symbolize.sh" "$kernel" "$log" | sed -n '/^panic/,$p'
fi
exit "$rc"
