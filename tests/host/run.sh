#!/usr/bin/env bash
# run.sh: build the host unit tests twice, under ThreadSanitizer and under
# AddressSanitizer + UBSan, run each binary, and report every case as
# "<sanitizer>/<case>". Kernel sources are compiled unchanged; shim.c
# stands in for spinlocks and panic.
set -u
. "$(dirname "$0")/../lib.sh"

out="$TOP/build/host"
mkdir -p "$out"
common=(-std=gnu11 -g -O1 -Wall -Werror -fno-omit-frame-pointer -pthread
  -I"$TOP/tests/host" -I"$TOP/kernel" -DNCPU=8 -DN_MMAP=16 -Wno-format-truncation)
declare -A sources=(
  [pmem]="kernel/mm/pmem.c"
  [pool]="kernel/mm/mmap.c"
  [region]="kernel/mm/mmap.c"
  [region_model]="kernel/mm/mmap.c"
  [lib]="kernel/lib/fmt.c kernel/dev/fdt.c"
)
# Helpers from tests/host that a binary links besides harness.c and shim.c.
declare -A helpers=(
  [region]="region_util.c"
  [region_model]="region_util.c"
)
declare -A sanitizers=(
  [tsan]="-fsanitize=thread"
  [asan]="-fsanitize=address,undefined -fno-sanitize-recover=all"
)

# A device tree straight from QEMU, for the fdt reader.
dtb="$out/virt-3harts-256M.dtb"
kernel=$(build_kernel 4)
timeout 30 qemu-system-riscv64 -machine virt,dumpdtb="$dtb" -smp 3 -m 256M -bios none \
  -kernel "$kernel" \
  -append "selftest seed=42" -nographic >/dev/null 2>&1 </dev/null

for san in tsan asan; do
  for t in pmem pool region region_model lib; do
    bin="$out/test_$t-$san"
    srcs=()
    for s in ${sources[$t]}; do srcs+=("$TOP/$s"); done
    for s in ${helpers[$t]:-}; do srcs+=("$TOP/tests/host/$s"); done
    if ! gcc "${common[@]}" ${sanitizers[$san]} -o "$bin" \
        "$TOP/tests/host/test_$t.c" "$TOP/tests/host/harness.c" \
        "$TOP/tests/host/shim.c" "${srcs[@]}" 2>"$out/build-$t-$san.log"; then
      tap_fail "$san/$t: build" "$(head -c 300 "$out/build-$t-$san.log")"
      continue
    fi
    log="$LOGDIR/host-$t-$san.log"
    # TSan's address-space layout trips on high ASLR entropy on some hosts.
    # The subshell keeps bash's own "Aborted" notice off the report.
    ( setarch "$(uname -m)" -R "$bin" "$dtb" >"$log" 2>&1; exit $? ) 2>/dev/null
    rc=$?
    relay_kernel_tap "$log" "$san/"
    closing=$?
    if [ "$rc" -ne 0 ] || [ "$closing" -ne 0 ]; then
      report=$(grep -m1 -E 'WARNING: ThreadSanitizer|ERROR: AddressSanitizer|runtime error|unexpected panic' "$log")
      tap_fail "$san/$t: runs clean" "exit $rc ${report:-} (log: ${log#$TOP/})"
    fi
  done
done
tap_done
