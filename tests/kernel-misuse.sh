#!/usr/bin/env bash
# kernel-misuse.sh: kernel misuse must panic, loudly and correctly. Each case
# is a self-test run by name on a 4-hart kernel; the case does one wrong
# thing on the last hart. The panic line must name that hart and the broken
# rule, every hart must report its backtrace and held locks, and QEMU must
# power off with the kernel's panic status (2). Then a kernel built to take
# two real locks out of order (INVERT_LOCKS=1) must be caught the same way.
set -u
. "$(dirname "$0")/lib.sh"

cpus=4
panic_status=2

# check_panic NAME LOG RC HART WANT HARTS: one tap line for one panicking run.
check_panic() {
  local name=$1 log=$2 rc=$3 hart=$4 want=$5 harts=$6
  local line
  line=$(grep -m1 '^panic' "$log")
  if [ "$rc" -ne "$panic_status" ]; then
    tap_fail "$name" "QEMU exit status $rc, expected $panic_status (log: ${log#$TOP/})"
  elif [[ $line != "panic (hart $hart): "* || $line != *"$want"* ]]; then
    tap_fail "$name" "panic line '$line' lacks 'panic (hart $hart): ...$want'"
  elif ! grep -q "^hart $hart (panicking):" "$log" ||
       [ "$(grep -cE '^hart [0-9] \((panicking|stopped by the panic)\):$' "$log")" -ne "$harts" ]; then
    tap_fail "$name" "not every hart reported its backtrace and locks (log: ${log#$TOP/})"
  else
    tap_ok "$name"
  fi
}

kernel=$(build_kernel "$cpus") || { tap_fail "build" "make failed"; tap_done; exit 1; }

# case name | text the panic line must contain
cases=(
  "pmem_double_free_panics|pmem: double free of 0x"
  "pmem_free_of_unmanaged_address_panics|pmem: free of 0xffffffd080000000, not a managed page"
  "pmem_write_after_free_panics|written at offset 800 after free"
  "pool_double_free_panics|mmap: double free of node"
  "pool_free_of_foreign_node_panics|not a pool node"
  "spinlock_recursive_acquire_panics|spinlock: recursive acquire of test_recursive"
  "spinlock_release_unowned_panics|spinlock: release of test_unowned by hart 3, owner is hart -1"
  "spinlock_order_inversion_panics|lock order: acquiring test_outer (rank 10) while holding test_inner (rank 85)"
  "spinlock_held_across_interrupt_panics|while holding test_irq with interrupts on"
)

for entry in "${cases[@]}"; do
  name=${entry%%|*}
  log="$LOGDIR/misuse-$name.log"
  qemu_boot "$log" 60 "$kernel" "$cpus" 128M "selftest=$name"
  check_panic "$name" "$log" $? 3 "${entry#*|}" "$cpus"
done

# A real path taken out of order: `make INVERT_LOCKS=1` makes memstat count
# processes while holding the caller's address-space lock. One hart, so the
# panicking hart is known.
log="$LOGDIR/misuse-invert-locks.log"
kernel=$(build_kernel 1 INVERT_LOCKS=1) || { tap_fail "INVERT_LOCKS=1 build" "make failed"; tap_done; exit 1; }
qemu_boot "$log" 60 "$kernel" 1 128M "-- heaptests"
check_panic "a build that inverts two real locks panics naming both" "$log" $? 0 \
  "lock order: acquiring proc (rank 30) while holding uvm (rank 40)" 1
tap_done
