#!/usr/bin/env bash
# user-tests.sh PROGRAM CPUS: boot a CPUS-hart kernel that runs one user test
# program (`make run CMD=PROGRAM`), report each of its cases, and check that
# it ended with a closing line and powered off with status 0.
set -u
. "$(dirname "$0")/lib.sh"

prog=${1:?usage: user-tests.sh PROGRAM CPUS}
cpus=${2:?usage: user-tests.sh PROGRAM CPUS}
log="$LOGDIR/$prog-cpus$cpus.log"
kernel=$(build_kernel "$cpus") || { tap_fail "build" "make failed"; tap_done; exit 1; }

echo "# running $prog on $cpus hart(s) (log: ${log#$TOP/})"
qemu_boot "$log" 300 "$kernel" "$cpus" 128M "-- $prog"
rc=$?
check_kernel_run "$log" "$rc" 300 "$prog "
tap_done
