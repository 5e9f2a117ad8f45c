#!/usr/bin/env bash
# kernel-selftest.sh CPUS [det]: boot a CPUS-hart kernel with "selftest",
# report each in-kernel case, and check that every hart came up and that
# QEMU powered off with status 0 through the test finisher. With det,
# QEMU runs as DETERMINISTIC=1 runs it (one host thread for every hart,
# -icount shift=ICOUNT_SHIFT, default 4 as in the Makefile), where a hart
# spinning for another must still let it run.
set -u
. "$(dirname "$0")/lib.sh"

cpus=${1:?usage: kernel-selftest.sh CPUS [det]}
mode=${2:-}
seed=${SEED:-1}
opts=()
name="selftest-cpus$cpus"
if [ "$mode" = det ]; then
  opts=(-accel tcg,thread=single -icount "shift=${ICOUNT_SHIFT:-4},sleep=off")
  name+="-det"
fi
log="$LOGDIR/$name.log"
kernel=$(build_kernel "$cpus") || { tap_fail "build" "make failed"; tap_done; exit 1; }

echo "# booting $cpus hart(s) with selftest seed=$seed${mode:+ ($mode)} (log: ${log#$TOP/})"
qemu_boot "$log" 120 "$kernel" "$cpus" 128M "selftest seed=$seed" "${opts[@]}"
rc=$?

up=$(grep -cE '^hart [0-9]+ up$' "$log")
tap_check "every hart up" "$up of $cpus harts said they were up" \
  [ "$up" -eq "$cpus" ]
check_kernel_run "$log" "$rc" 120 "run "
tap_done
