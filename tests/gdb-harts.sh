#!/usr/bin/env bash
# gdb-harts.sh: scripted gdb-multiarch sessions (make qemu-gdb + make gdb)
# against a paused 4-hart QEMU.
#  1. gdb must see one thread per hart, stop at a breakpoint in the page
#     allocator, and backtrace every hart (tests/gdb-harts.gdb).
#  2. The helpers of tools/gdb/kernel.py, stopped in sys_vmprint while the
#     user program gdbprobe calls vmprint(): each must agree with what the
#     kernel itself reports, gdbprobe's memstat line and the kernel's own
#     vmprint output on the console (tests/gdb-probe.gdb).
set -u
. "$(dirname "$0")/lib.sh"

cpus=4
kernel=$(build_kernel "$cpus") || { tap_fail "build" "make failed"; tap_done; exit 1; }

# start_qemu_gdb LOG BOOTARGS: `make qemu-gdb` in the background, through
# the user's own command. Sets qemu_job (empty if QEMU did not stay up) and
# port. The port is derived from this script's pid (another user's session
# may hold the default); retry if it is taken.
start_qemu_gdb() {
  local log=$1 bootargs=$2 try
  qemu_job=
  for try in 1 2 3 4 5; do
    port=$(( 30000 + ($(id -u) * 7 + $$ + try * 101 + ${#bootargs} * 13) % 20000 ))
    timeout 120 make -s -C "$TOP" CPUS=$cpus GDBPORT=$port BOOTARGS="$bootargs" \
      qemu-gdb </dev/null >"$log" 2>&1 &
    qemu_job=$!
    sleep 2
    kill -0 "$qemu_job" 2>/dev/null && return 0
    wait "$qemu_job" 2>/dev/null
    qemu_job=
  done
  return 1
}

# run_gdb GDBFILE LOG: `make gdb` with a batch script; returns gdb's status.
run_gdb() {
  timeout 60 make -s -C "$TOP" CPUS=$cpus GDBPORT=$port \
    GDBFLAGS="-batch -x $1" gdb </dev/null >"$2" 2>&1
}

# stop_qemu SECONDS: gives the QEMU job that long to power off by itself,
# then stops it. timeout passes the signal on to make and QEMU, its own
# process group; nothing else is touched.
stop_qemu() {
  local i
  for ((i = 0; i < $1; i++)); do
    kill -0 "$qemu_job" 2>/dev/null || break
    sleep 1
  done
  kill "$qemu_job" 2>/dev/null
  wait "$qemu_job" 2>/dev/null
}

# ---- session 1: threads, a breakpoint, backtraces ----
qlog="$LOGDIR/gdb-qemu.log"
glog="$LOGDIR/gdb-session.log"
if ! start_qemu_gdb "$qlog" "selftest seed=1"; then
  tap_fail "make qemu-gdb waits for gdb" "QEMU did not stay up (log: ${qlog#$TOP/})"
  tap_done
  exit 1
fi
run_gdb tests/gdb-harts.gdb "$glog"
gdb_rc=$?
stop_qemu 0

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

# ---- session 2: the helpers against what the kernel reports ----
plog="$LOGDIR/gdb-probe-qemu.log"
hlog="$LOGDIR/gdb-probe-session.log"
if ! start_qemu_gdb "$plog" "-- gdbprobe"; then
  tap_fail "helpers: make qemu-gdb waits for gdb" "QEMU did not stay up (log: ${plog#$TOP/})"
  tap_done
  exit 1
fi
run_gdb tests/gdb-probe.gdb "$hlog"
gdb_rc=$?          # 1 when QEMU powers off under the last continue
stop_qemu 30
sed -i 's/\r$//' "$plog"
hlog_name=${hlog#$TOP/}

# section NAME: the gdb output between "==== NAME" and the next marker.
section() {
  sed -n "/^==== $1\$/,/^==== /p" "$hlog" | sed '1d;$d'
}
# pairs: "name number" for each word followed by a number, sorted.
pairs() {
  tr -s ' \t' '\n\n' | awk '/^[0-9]+$/ && prev != "" { print prev, $0 } { prev = $0 }' |
    sort -u
}

probe=$(grep -m1 '^gdbprobe: pid [0-9]* memstat ' "$plog")
pid=$(sed -n 's/^gdbprobe: pid \([0-9]*\) .*/\1/p' <<<"$probe")
# The kernel's own vmprint output: its header, then the lines of its format.
kernel_vm=$(awk -v hdr="pid $pid (gdbprobe) address space:" '
  $0 == hdr { on = 1; print; next }
  on && /^(heap |regions \(|  \[|page table | \.\.)/ { print; next }
  on { exit }' "$plog")

# The checks' conditions.
harts_show_probe() {
  [ "$hart_rows" -eq "$cpus" ] && [ -n "$pid" ] &&
    section harts | grep -qE "^[0-9]+ .* $pid gdbprobe( |\$)"
}
procs_show_both() {
  [ -n "$pid" ] && section procs | awk -v pid="$pid" '
    $NF == "init" { i = 1 }
    $2 == pid && $NF == "gdbprobe" { g = 1 }
    END { exit !(i && g) }'
}
pmem_matches() {   # every "name number" pmem prints is in the memstat line
  [ -n "$probe" ] && [ "$(wc -l <<<"$pmem_pairs")" -ge 3 ] &&
    [ -z "$(comm -23 <(echo "$pmem_pairs") <(echo "$memstat_pairs"))" ]
}
same_text() {      # same_text GOT WANT: equal, and not both empty
  [ -n "$2" ] && [ "$1" = "$2" ]
}

logs="logs: $hlog_name, ${plog#$TOP/}"
threads=$(sed -n '1,/^Breakpoint 1 at/p' "$hlog" | grep -cE '^[* ] +[0-9]+ +Thread ')
tap_check "helpers: gdb sees one thread per hart" \
  "$threads threads listed, expected $cpus ($logs)" [ "$threads" -eq "$cpus" ]
tap_check "helpers: gdb stops at sys_vmprint when gdbprobe calls vmprint" \
  "no stop; gdbprobe printed '${probe:-nothing}' ($logs)" \
  grep -qE '^(Thread [0-9]+ hit )?Breakpoint 1, sys_vmprint' "$hlog"
hart_bts=$(section bt | grep -cE '^Thread [0-9]+ \(Thread 1\.[0-9]+')
tap_check "helpers: thread apply all bt covers every hart" \
  "$hart_bts of $cpus harts ($logs)" [ "$hart_bts" -eq "$cpus" ]
hart_rows=$(section harts | grep -cE '^[0-9]+ +[USM?] ')
tap_check "helpers: harts lists every hart, one running gdbprobe" \
  "$hart_rows hart lines; gdbprobe (pid '${pid:-?}') on none ($logs)" harts_show_probe
tap_check "helpers: procs lists init and gdbprobe" \
  "init or gdbprobe (pid '${pid:-?}') missing ($logs)" procs_show_both
pmem_pairs=$(section pmem | pairs)
memstat_pairs=$(sed 's/.* memstat //' <<<"$probe" | pairs)
tap_check "helpers: pmem equals gdbprobe's memstat" \
  "pmem: '$(echo $pmem_pairs)'; memstat: '${probe#*memstat }' ($logs)" pmem_matches
pool_free=$(section mmpool | sed -n 's/^mmpool: .*nodes_free \([0-9]*\).*/\1/p')
probe_free=$(sed -n 's/.* nodes_free \([0-9]*\).*/\1/p' <<<"$probe")
tap_check "helpers: mmpool's free count equals memstat's nodes_free" \
  "mmpool: '${pool_free:-?}', memstat: '${probe_free:-?}' ($logs)" \
  same_text "$pool_free" "$probe_free"
kernel_regions=$(sed -n '/^heap /,/^page table /p' <<<"$kernel_vm" | sed '$d')
tap_check "helpers: regions equals the kernel's own vmprint lines" \
  "they differ: $(section regions | wc -l) lines from gdb, $(wc -l <<<"$kernel_regions") from the kernel ($logs)" \
  same_text "$(section regions)" "$kernel_regions"
tap_check "helpers: vmprint equals the kernel's own vmprint output" \
  "they differ: $(section vmprint | wc -l) lines from gdb, $(wc -l <<<"$kernel_vm") from the kernel ($logs)" \
  same_text "$(section vmprint)" "$kernel_vm"
tap_done
