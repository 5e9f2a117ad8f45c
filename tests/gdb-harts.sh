#!/usr/bin/env bash
# gdb-harts.sh: scripted gdb-multiarch sessions (make qemu-gdb + make gdb)
# against a paused 4-hart QEMU.
#  1. gdb must see one thread per hart, stop at a breakpoint in the page
#     allocator, and backtrace every hart (tests/gdb-harts.gdb).
#  2. The helpers of tools/gdb/kernel.py, stopped in sys_vmprint while the
#     user program gdbprobe, with two cloned threads blocked on a pipe and
#     a forked child blocked on another (sharing its pages copy-on-write),
#     calls vmprint(): each must agree with what the kernel itself reports,
#     gdbprobe's lines (its threads' and child's ids, its memstat with
#     pages_shared) and the kernel's own vmprint output on the console,
#     which names the shared address space and its reference count, marks
#     copy-on-write PTEs " cow" and the level-0 tables the fork left
#     shared by both processes " shared by 2" (tests/gdb-probe.gdb).
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
# The ids of the threads gdbprobe cloned (two, space separated).
tids=$(sed -n "s/^gdbprobe: threads \([0-9 ]*\) share pid $pid's .*/\1/p" "$plog")
# The child it forked, and memstat's count of shared pages.
cpid=$(sed -n "s/^gdbprobe: child \([0-9]*\) of pid $pid shares .*/\1/p" "$plog")
probe_shared=$(sed -n 's/.* pages_shared \([0-9]*\).*/\1/p' <<<"$probe")
# The kernel's own vmprint output: its header, then the lines of its format.
kernel_vm=$(awk -v hdr="pid $pid (gdbprobe) address space:" '
  $0 == hdr { on = 1; print; next }
  on && /^(space |heap |regions \(|  \[|page table | \.\.)/ { print; next }
  on { exit }' "$plog")
# What it says of the space: id, references, heap, region count, root.
space=$(sed -n 's/^space \([0-9]*\), [0-9]* references$/\1/p' <<<"$kernel_vm")
refs=$(sed -n 's/^space [0-9]*, \([0-9]*\) references$/\1/p' <<<"$kernel_vm")
kernel_heap=$(sed -n 's/^heap //p' <<<"$kernel_vm")
kernel_nregions=$(sed -n 's/^regions (\([0-9]*\)):$/\1/p' <<<"$kernel_vm")
kernel_pt=$(sed -n 's/^page table //p' <<<"$kernel_vm")

# The checks' conditions.
harts_show_probe() {   # ... and the space the kernel names
  [ "$hart_rows" -eq "$cpus" ] && [ -n "$pid" ] && [ -n "$space" ] &&
    section harts | grep -qE "^[0-9]+ .* $pid gdbprobe +$space( |\$)"
}
procs_show_both() {
  [ -n "$pid" ] && section procs | awk -v pid="$pid" '
    $NF == "init" { i = 1 }
    $2 == pid && $NF == "gdbprobe" { g = 1 }
    END { exit !(i && g) }'
}
procs_show_threads() {  # leader and threads in one space, no one else in it
  [ -n "$pid" ] && [ -n "$space" ] && [ "$(wc -w <<<"$tids")" -eq 2 ] &&
    section procs | awk -v pid="$pid" -v space="$space" -v tids="$tids" '
      BEGIN { n = split(tids, t, " "); for (i = 1; i <= n; i++) want[t[i]] = 1 }
      # slot pid state ppid hart kind group space brk regions name
      $2 == pid && $6 == "leader" && $7 == pid && $8 == space { lead = 1 }
      ($2 in want) && $6 == "thread" && $7 == pid && $8 == space &&
        $NF == "gdbprobe" { threads++ }
      $8 == space { sharing++ }
      END { exit !(lead && threads == n && sharing == n + 1) }'
}
uvm_matches() {    # the space's line against the kernel's, its pids, harts
  local row want got h
  [ -n "$space" ] && [ -n "$refs" ] && [ "$refs" -eq $(($(wc -w <<<"$tids") + 1)) ] ||
    return 1
  # space refs harts pt heap(2 words) regions pids...
  row=$(section uvm | awk -v s="$space" '$1 == s')
  [ "$(awk '{ print $2, $4, $5, $6, $7 }' <<<"$row")" = \
    "$refs $kernel_pt $kernel_heap $kernel_nregions" ] || return 1
  want=$(echo $pid $tids | tr ' ' '\n' | sort -n | xargs)
  got=$(awk '{ for (i = 8; i <= NF; i++) print $i }' <<<"$row" | sort -n | xargs)
  [ "$got" = "$want" ] || return 1
  # harts lists the harts running the space in user mode: never the
  # hart stopped in sys_vmprint (in the kernel), only harts whose process
  # runs the space.
  [ -n "$probe_hart" ] && ! grep -qE "(^|,)$probe_hart(,|\$)" <<<"$(awk '{ print $3 }' <<<"$row")" ||
    return 1
  for h in $(awk '{ print $3 }' <<<"$row" | tr ',' ' '); do
    [ "$h" = - ] || grep -qxF "$h" <<<"$space_harts" || return 1
  done
  # As many spaces as procs shows distinct ones (init's and gdbprobe's).
  [ "$(section uvm | sed -n 's/^uvm: \([0-9]*\) of .*/\1/p')" -eq \
    "$(section procs | awk 'NR > 1 && $8 != "-" { print $8 }' | sort -u | wc -l)" ]
}
mmpool_owners() {  # every node in use is a region of gdbprobe's or its child's
  [ -n "$space" ] && [ -n "$kernel_nregions" ] && [ -n "$child_space" ] &&
    [ "$(section mmpool | sed -n 's/^in use: //p')" = $((2 * kernel_nregions)) ] &&
    [ "$(section mmpool | grep -cE "^  node [0-9]+ +space $space \(gdbprobe\) ")" \
      -eq "$kernel_nregions" ] &&
    [ "$(section mmpool | grep -cE "^  node [0-9]+ +space $child_space \(gdbprobe\) ")" \
      -eq "$kernel_nregions" ]
}
pmem_matches() {   # every "name number" of pmem's counts is in the memstat line
  [ -n "$probe" ] && [ "$(wc -l <<<"$pmem_pairs")" -ge 3 ] &&
    grep -q '^pages_shared ' <<<"$pmem_pairs" &&
    [ -z "$(comm -23 <(echo "$pmem_pairs") <(echo "$memstat_pairs"))" ]
}
child_own_space() {  # a leader, gdbprobe's child, alone in a space of its own
  [ -n "$cpid" ] && [ -n "$child_space" ] && [ "$child_space" != "$space" ] &&
    section procs | awk -v c="$cpid" -v pid="$pid" -v s="$child_space" '
      # slot pid state ppid hart kind group space brk regions name
      $2 == c && $4 == pid && $6 == "leader" && $7 == c && $NF == "gdbprobe" { ok = 1 }
      $8 == s { sharing++ }
      END { exit !(ok && sharing == 1) }' &&
    # space refs harts pt heap(2 words) regions pids
    [ "$(section uvm | awk -v s="$child_space" '$1 == s { print $2, $5, $6, $7, $8, NF }')" = \
      "1 $kernel_heap $kernel_nregions $cpid 8" ]
}
shared_count() {   # pages_shared counted from the records = memstat's: the
                   # user pages with refs > 1, and the leaves of shared
                   # tables; pmem shared lists each kind
  local rows
  rows=$(shared_rows)
  [ -n "$probe_shared" ] && [ "$probe_shared" -gt 0 ] &&
    [ "$gdb_shared" = "$probe_shared" ] &&
    [ -n "$gdb_shared_user" ] && [ -n "$gdb_shared_leaves" ] &&
    [ $((gdb_shared_user + gdb_shared_leaves)) -eq "$gdb_shared" ] &&
    [ "$(section pmem-shared |
         sed -n 's/^shared user pages (refs > 1 or in a shared table): //p')" = \
      "$(shared_rows | wc -l)" ] &&
    # With no page both (a table shared and a page of it mapped by another
    # table too, which gdbprobe does not make): one row each.
    [ "$(awk '$2 > 1' <<<"$rows" | wc -l)" -eq "$gdb_shared_user" ] &&
    [ "$(grep -c '+' <<<"$rows")" -eq "$gdb_shared_leaves" ]
}
shared_rows() {    # pmem shared's page lines: pa refs owner mapped-by...
  section pmem-shared | grep -E '^  0x[0-9a-f]+ '
}
pmem_quiet() {     # no note: every count agrees, every refs keeps the rule
  [ -n "$(section pmem)" ] && ! section pmem | grep -q '^note: ' &&
    [ -n "$(section pmem-shared)" ] && ! section pmem-shared | grep -q '^note: '
}
kernel_leaves() {  # "pa va table perms" of each leaf in the kernel's vmprint
                   # output; table: "shared" if its level-0 table's line
                   # ends in " shared by 2" (the fork's two spaces), else "own"
  local line i2=0 i1=0 table=own
  while IFS= read -r line; do
    if [[ $line =~ ^\ \.\.([0-9]+):\  ]]; then
      i2=${BASH_REMATCH[1]}
    elif [[ $line =~ ^\ \.\.\ \.\.([0-9]+):\  ]]; then
      i1=${BASH_REMATCH[1]}
      table=own
      [[ $line == *" shared by 2" ]] && table=shared
    elif [[ $line =~ ^\ \.\.\ \.\.\ \.\.([0-9]+):\ pte\ 0x[0-9a-f]+\ pa\ (0x[0-9a-f]+)\ (.*)$ ]]; then
      printf '%s 0x%x %s %s\n' "${BASH_REMATCH[2]}" \
        $(( (i2 << 30) | (i1 << 21) | (BASH_REMATCH[1] << 12) )) "$table" \
        "${BASH_REMATCH[3]}"
    fi
  done <<<"$kernel_vm"
}
shared_mapped() {  # each owned by gdbprobe's space, seen by it and its child
                   # at one va, where the kernel's vmprint maps it read-only:
                   # through one table the two share (the kernel marks it
                   # "shared by 2"; refs 1, "S1+S2"), or through a table
                   # each (refs 2, "S1 S2"); some of each
  local pa refs owner by va sep table n_own=0 n_shared=0 leaves
  [ -n "$space" ] && [ -n "$child_space" ] || return 1
  leaves=$(kernel_leaves)
  while read -r pa refs owner by; do
    # pmem records gdbprobe's space as the owner (it faulted in or exec
    # loaded every page the child shares).
    [ "$owner" = "$space" ] || return 1
    # "VA: S1 S2" or "VA: S1+S2": one address, the two spaces.
    [[ $by =~ ^(0x[0-9a-f]+):\ ([0-9]+)([ +])([0-9]+)$ ]] || return 1
    va=${BASH_REMATCH[1]}
    sep=${BASH_REMATCH[3]}
    [ "$(echo "${BASH_REMATCH[2]}" "${BASH_REMATCH[4]}" | tr ' ' '\n' | sort -n | xargs)" = \
      "$(echo "$space" "$child_space" | tr ' ' '\n' | sort -n | xargs)" ] || return 1
    # refs counts the level-0 tables mapping the page, not the spaces.
    if [ "$sep" = + ]; then
      table=shared
      n_shared=$((n_shared + 1))
      [ "$refs" = 1 ] || return 1
    else
      table=own
      n_own=$((n_own + 1))
      [ "$refs" = 2 ] || return 1
    fi
    # The kernel's line for it: that va, in such a table, a user page, not
    # writable.
    grep -qE "^$pa $va $table [r-]-[x-]u( cow)?\$" <<<"$leaves" || return 1
  done < <(shared_rows)
  [ "$n_own" -gt 0 ] && [ "$n_shared" -gt 0 ]
}
cow_lines() {      # the lines of a vmprint output marked copy-on-write
  grep -E ' cow$' <<<"$1"
}
same_cow() {       # gdb marks exactly the PTEs the kernel marks, and some
  [ -n "$(cow_lines "$kernel_vm")" ] &&
    [ "$(cow_lines "$(section vmprint)")" = "$(cow_lines "$kernel_vm")" ]
}
shared_table_lines() {  # the level-1 lines of a vmprint output marked shared
  grep -E '^ \.\. \.\.[0-9]+: .* shared by [0-9]+$' <<<"$1"
}
same_shared_tables() {  # gdb marks exactly the tables the kernel marks, and
                        # some, each shared by gdbprobe and its child
  [ -n "$(shared_table_lines "$kernel_vm")" ] &&
    ! shared_table_lines "$kernel_vm" | grep -qv ' shared by 2$' &&
    [ "$(shared_table_lines "$(section vmprint)")" = \
      "$(shared_table_lines "$kernel_vm")" ]
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
  "$hart_rows hart lines; gdbprobe (pid '${pid:-?}', space '${space:-?}') on none ($logs)" \
  harts_show_probe
tap_check "helpers: procs lists init and gdbprobe" \
  "init or gdbprobe (pid '${pid:-?}') missing ($logs)" procs_show_both
tap_check "helpers: procs lists gdbprobe's threads in its space" \
  "want leader $pid and threads '${tids:-?}' in space '${space:-?}', alone ($logs)" \
  procs_show_threads
# The hart in sys_vmprint, and every hart whose process runs the space.
probe_hart=$(section harts | grep -E "^[0-9]+ .* $pid gdbprobe " | awk '{ print $1 }')
space_harts=$(section harts | awk -v s="$space" '
  { for (i = 2; i + 2 <= NF; i++)
      if ($i ~ /^[0-9]+$/ && $(i + 2) == s) { print $1; next } }')
child_space=$(section procs | awk -v c="$cpid" '$2 == c && $6 == "leader" { print $8 }')
tap_check "helpers: procs and uvm show gdbprobe's child alone in a space of its own" \
  "want child '${cpid:-?}' of $pid in space '${child_space:-?}' (1 reference, heap $kernel_heap, $kernel_nregions regions) ($logs)" \
  child_own_space
tap_check "helpers: uvm shows gdbprobe's space as the kernel's vmprint does" \
  "want space '${space:-?}' with $refs references, pt $kernel_pt, heap $kernel_heap, $kernel_nregions regions, pids $pid $tids, hart ${probe_hart:-?}; got '$(section uvm | awk -v s="$space" '$1 == s')' ($logs)" \
  uvm_matches
# pmem's counts: its first line and the "  name N" lines (its line of
# reference counts is checked on its own).
pmem_pairs=$(section pmem | grep -E '^(pmem: |  [a-z_]+ +[0-9]+$)' | pairs)
memstat_pairs=$(sed 's/.* memstat //' <<<"$probe" | pairs)
tap_check "helpers: pmem equals gdbprobe's memstat" \
  "pmem: '$(echo $pmem_pairs)'; memstat: '${probe#*memstat }' ($logs)" pmem_matches
# "pages_shared from the records: N (U user pages with refs > 1, L leaves
# of shared tables)"
records_line=$(section pmem | grep -m1 '^pages_shared from the records: ')
gdb_shared=$(sed -n 's/^pages_shared from the records: \([0-9]*\) .*/\1/p' <<<"$records_line")
gdb_shared_user=$(sed -n 's/.* (\([0-9]*\) user pages with refs > 1, .*/\1/p' <<<"$records_line")
gdb_shared_leaves=$(sed -n 's/.*, \([0-9]*\) leaves of shared tables)$/\1/p' <<<"$records_line")
tap_check "helpers: pmem counts memstat's pages_shared from the page records" \
  "records: '${records_line:-?}', memstat: '${probe_shared:-?}', pmem shared lists $(shared_rows | wc -l), $(shared_rows | grep -c '+') through a shared table ($logs)" \
  shared_count
tap_check "helpers: pmem's records agree with its counters and keep its refs rule" \
  "$(section pmem | grep -m1 '^note: ' || echo 'no pmem output') ($logs)" pmem_quiet
tap_check "helpers: pmem shared: each page seen by gdbprobe and its child, through a table they share or one each, read-only in the kernel's vmprint" \
  "$(shared_rows | head -1 | sed 's/  */ /g') ... ($logs)" shared_mapped
pool_free=$(section mmpool | sed -n 's/^mmpool: .*nodes_free \([0-9]*\).*/\1/p')
probe_free=$(sed -n 's/.* nodes_free \([0-9]*\).*/\1/p' <<<"$probe")
tap_check "helpers: mmpool's free count equals memstat's nodes_free" \
  "mmpool: '${pool_free:-?}', memstat: '${probe_free:-?}' ($logs)" \
  same_text "$pool_free" "$probe_free"
tap_check "helpers: mmpool's nodes in use are gdbprobe's and its child's regions" \
  "want $kernel_nregions nodes each of spaces '${space:-?}' and '${child_space:-?}' (gdbprobe) ($logs)" \
  mmpool_owners
kernel_regions=$(sed -n '/^space /,/^page table /p' <<<"$kernel_vm" | sed '$d')
tap_check "helpers: regions equals the kernel's own vmprint lines" \
  "they differ: $(section regions | wc -l) lines from gdb, $(wc -l <<<"$kernel_regions") from the kernel ($logs)" \
  same_text "$(section regions)" "$kernel_regions"
tap_check "helpers: regions of a thread shows the same space" \
  "they differ: $(section thread-regions | wc -l) lines from gdb, $(wc -l <<<"$kernel_regions") from the kernel ($logs)" \
  same_text "$(section thread-regions)" "$kernel_regions"
tap_check "helpers: vmprint equals the kernel's own vmprint output" \
  "they differ: $(section vmprint | wc -l) lines from gdb, $(wc -l <<<"$kernel_vm") from the kernel ($logs)" \
  same_text "$(section vmprint)" "$kernel_vm"
tap_check "helpers: vmprint marks the PTEs the kernel marks copy-on-write" \
  "kernel: $(cow_lines "$kernel_vm" | wc -l) cow lines, gdb: $(cow_lines "$(section vmprint)" | wc -l), or they differ ($logs)" \
  same_cow
tap_check "helpers: vmprint marks the level-0 tables the kernel marks shared by 2" \
  "kernel: $(shared_table_lines "$kernel_vm" | wc -l) shared lines, gdb: $(shared_table_lines "$(section vmprint)" | wc -l), or they differ ($logs)" \
  same_shared_tables
tap_check "helpers: gdbprobe joins its threads, waits for its child and exits 0" \
  "no 'shutdown(0)' ($logs)" grep -q '^kernel: shutdown(0) ' "$plog"
tap_done
