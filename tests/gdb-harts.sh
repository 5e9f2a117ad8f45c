#!/usr/bin/env bash
# gdb-harts.sh: a scripted gdb-multiarch session (make qemu-gdb + make gdb)
# against a paused 4-hart QEMU: gdb must see one thread per hart, stop at a
# breakpoint in the page allocator, and backtrace every hart.
set -u
. "$(dirname "$0")/lib.sh"

cpus=4
kernel=$(build_kernel "$cpus") || { tap_fail "build" "make failed"; tap_done; exit 1; }
qlog="$LOGDIR/gdb-qemu.log"
glog="$LOGDIR/gdb-session.log"

# Through the user's own commands: `make qemu-gdb` in the background, then
# `make gdb` with a batch script. The port is derived from this script's pid
# (another user's session may hold the default); retry if it is taken.
qemu_job=
for try in 1 2 3 4 5; do
  port=$(( 30000 + ($(id -u) * 7 + $$ + try * 101) % 20000 ))
  timeout 120 make -s -C "$TOP" CPUS=$cpus GDBPORT=$port BOOTARGS="selftest seed=1" \
    qemu-gdb </dev/null >"$qlog" 2>&1 &
  qemu_job=$!
  sleep 2
  kill -0 "$qemu_job" 2>/dev/null && break
  wait "$qemu_job" 2>/dev/null
  qemu_job=
done
if [ -z "$qemu_job" ]; then
  tap_fail "make qemu-gdb waits for gdb" "QEMU did not stay up (log: ${qlog#$TOP/})"
  tap_done
  exit 1
fi

timeout 60 make -s -C "$TOP" CPUS=$cpus GDBPORT=$port \
  GDBFLAGS="-batch -x tests/gdb-harts.gdb" gdb </dev/null >"$glog" 2>&1
gdb_rc=$?
# timeout passes the signal on to make and QEMU, its own process group.
kill "$qemu_job" 2>/dev/null
wait "$qemu_job" 2>/dev/null

threads=$(sed -n '1,/^Breakpoint 1 at/p' "$glog" | grep -cE '^[* ] +[0-9]+ +Thread ')
tap_check "gdb sees one thread per hart" "$threads threads listed, expected $cpus (log: ${glog#$TOP/})" \
  [ "$threads" -eq "$cpus" ]
tap_check "gdb stops at a breakpoint in pmem_alloc" "gdb status $gdb_rc (log: ${glog#$TOP/})" \
  grep -qE '^(Thread [0-9]+ hit )?Breakpoint 1, pmem_alloc' "$glog"
tap_check "the backtrace reaches main" "no 'main' frame in bt (log: ${glog#$TOP/})" \
  grep -qE '^#[0-9]+ .* main \(' "$glog"
hart_bts=$(grep -cE '^Thread [0-9]+ \(Thread 1\.[0-9]+' "$glog")
tap_check "thread apply all bt covers every hart" "$hart_bts of $cpus harts (log: ${glog#$TOP/})" \
  [ "$hart_bts" -eq "$cpus" ]
tap_done
