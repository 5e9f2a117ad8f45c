#!/usr/bin/env bash
# kernel-selftest.sh CPUS: boot a CPUS-hart kernel with "selftest", report
# each in-kernel case, and check that every hart came up and that QEMU
# powered off with status 0 through the test finisher.
set -u
. "$(dirname "$0")/lib.sh"

cpus=${1:?usage: kernel-selftest.sh CPUS}
seed=${SEED:-1}
log="$LOGDIR/selftest-cpus$cpus.log"
kernel=$(build_kernel "$cpus") || { tap_fail "build" "make failed"; tap_done; exit 1; }

echo "# booting $cpus hart(s) with selftest seed=$seed (log: ${log#$TOP/})"
qemu_boot "$log" 120 "$kernel" "$cpus" 128M "selftest seed=$seed"
rc=$?

up=$(grep -cE '^hart [0-9]+ up$' "$log")
tap_check "every hart up" "$up of $cpus harts said they were up" \
  [ "$up" -eq "$cpus" ]
relay_kernel_tap "$log" ""
closing=$?
tap_check "run ends with a closing line" "no 'N passed, N failed' in the log" \
  [ "$closing" -eq 0 ]
reason="QEMU exit status $rc"
[ "$rc" -eq 124 ] && reason="watchdog: no power-off within 120 s"
grep -q '^panic' "$log" && reason="kernel panic: $(grep -m1 '^panic' "$log")"
tap_check "powers off with status 0" "$reason" [ "$rc" -eq 0 ]
tap_done
