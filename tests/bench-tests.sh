#!/usr/bin/env bash
# bench-tests.sh: `make bench` runs and reports every figure. A short run
# (QUICK=1) at 2 harts must exit 0 and print a table and a CSV with every
# row, each with positive numbers where it has a number; a DETERMINISTIC=1
# run must add an instruction count to every row that has one; and
# tools/scaling.sh must print its rows. It checks the structure only: no
# figure is compared with any speed.
set -u
. "$(dirname "$0")/lib.sh"

out="$TOP/build/test-bench"
cpus=2
# The CSV keys of a run at $cpus harts, in bench's order.
keys=$("$TOP/tools/bench.sh" --keys "$cpus")

# check_csv CSV DET: prints what is wrong with the CSV, nothing if it is
# right. A row's us is a positive number (lock rows have none); a faults
# row has positive faults/s and ratio; a lock row positive acquires and a
# spins/acquire; instructions are positive integers under DET=1 (but for
# fork+exit+wait, which spans two harts, and the lock rows) and absent
# otherwise.
check_csv() {
  awk -F, -v keys="$keys" -v det="$2" '
    function pos(v) { return v ~ /^[0-9]+(\.[0-9]+)?$/ && v + 0 > 0 }
    NR == 1 {
      if ($0 != "key,figure,us,instructions,value,unit,vs_1_hart,acquires") bad = bad " header(" $0 ")"
      next
    }
    NF != 8 { bad = bad " " $1 "(fields)"; next }
    {
      seen[$1]++
      lock = $1 ~ /^lock_/
      unit = $1 ~ /^(cow)?faults_/ ? "faults/s" : $1 ~ /^compute_/ ? "chunks/s" \
           : $1 ~ /^syscalls_/ ? "calls/s" : ""
      if (lock) {
        if (!pos($8) || $5 !~ /^[0-9]+\.[0-9][0-9]$/ || $6 != "spins/acquire") bad = bad " " $1
      } else if (!pos($3)) {
        bad = bad " " $1 "(us)"
      }
      if (unit != "" && (!pos($5) || $6 != unit || !pos($7))) bad = bad " " $1 "(rate)"
      want = det == 1 && !lock && $1 !~ /^fork_exit_wait/
      if (want && !($4 ~ /^[0-9]+$/ && $4 > 0)) bad = bad " " $1 "(no instructions)"
      if (!want && $4 != "") bad = bad " " $1 "(instructions)"
    }
    END {
      n = split(keys, k, " ")
      for (i = 1; i <= n; i++) if (seen[k[i]] != 1) bad = bad " " k[i] "(missing)"
      if (NR - 1 != n) bad = bad " " NR - 1 " rows, want " n
      if (bad != "") print "wrong:" bad
    }' "$1"
}

# check_table OUT: every figure of the table is there, its us a positive
# number ("-" for the lock rows, whose spins/acquire follows). Prints the
# figures that are missing or wrong.
check_table() {
  local figs=("null system call (getpid)" "first-touch fault (heap page)"
              "sbrk grow-touch-shrink (per page)") fig us h mib bad=""
  for mib in 0 1 4 16; do
    figs+=("fork+exit+wait $mib MiB touched" "fork() call $mib MiB touched")
  done
  figs+=("faults by 1 process" "faults by 1 thread" "cow faults by 1 process"
        "compute by 1 process" "getpid by 1 process")
  for h in $(seq 2 "$cpus"); do
    figs+=("faults by $h processes" "faults by $h threads" "cow faults by $h processes"
           "compute by $h processes" "getpid by $h processes")
  done
  for fig in "${figs[@]}" "lock pmem at $cpus harts" "lock mmap_pool at $cpus harts" \
             "lock uvm at $cpus harts"; do
    us=$(awk -v f="$fig " 'index($0, f) == 1 { print $(split(f, w, " ") + 1); exit }' "$1")
    case $fig in
      lock*) grep -qE "^$fig +- +- +[0-9]+\.[0-9]{2} spins/acquire \([1-9][0-9]* acquires\)\$" "$1" ||
               bad+=" '$fig'" ;;
      *) awk -v v="$us" 'BEGIN { exit !(v ~ /^[0-9]+\.[0-9][0-9]$/ && v + 0 > 0) }' ||
           bad+=" '$fig' ($us)" ;;
    esac
  done
  [ -z "$bad" ] || echo "missing or not positive:$bad"
}

for det in 0 1; do
  suffix=$([ "$det" = 1 ] && echo "-det")
  name="make bench CPUS=$cpus QUICK=1$([ "$det" = 1 ] && echo " DETERMINISTIC=1")"
  log="$LOGDIR/bench-cpus$cpus$suffix.out"
  csv="$out/bench-cpus$cpus-quick$suffix.csv"
  make -s -C "$TOP" bench CPUS="$cpus" QUICK=1 DETERMINISTIC="$det" OUT="$out" \
    </dev/null >"$log" 2>&1
  rc=$?
  named=0
  grep -q "^bench: CSV: .*/bench-cpus$cpus-quick$suffix\.csv;" "$log" && named=1
  tap_check "$name exits 0 and names its CSV" "status $rc (log: ${log#$TOP/})" \
    [ "$rc" -eq 0 -a "$named" -eq 1 ]
  why=$(check_table "$log")
  tap_check "$name: the table has every figure" "$why (log: ${log#$TOP/})" [ -z "$why" ]
  why=$([ -s "$csv" ] && check_csv "$csv" "$det" || echo "no CSV $csv")
  tap_check "$name: the CSV has every row, with positive numbers" \
    "$why (CSV: ${csv#$TOP/})" [ -z "$why" ]
done

# tools/scaling.sh, one short repeat: a line with four positive numbers
# (alone, two QEMUs, one QEMU, one QEMU against its own one worker) for
# each of the five kinds of parallel run, in the repeat's table and in
# the best-of-repeats table after it.
log="$LOGDIR/scaling.out"
"$TOP/tools/scaling.sh" 2 1 </dev/null >"$log" 2>&1
rc=$?
# rows_of TABLE: the good rows of the repeat's table (0) or the best (1).
rows_of() {
  awk -v want="$1" 'BEGIN { best = 0 } /^scaling: each column at its fastest/ { best = 1 }
    best == want && $1 ~ /^(faults_procs|faults_threads|cowfaults_procs|compute_procs|syscalls_procs)$/ &&
    $2 + 0 > 0 && $3 ~ /^[0-9.]+x$/ && $3 + 0 > 0 && $4 ~ /^[0-9.]+x$/ &&
    $4 + 0 > 0 && $5 ~ /^[0-9.]+x$/ && $5 + 0 > 0' "$log" | wc -l
}
rows=$(rows_of 0) best=$(rows_of 1)
tap_check "tools/scaling.sh 2 1 prints every kind: alone, two QEMUs, one QEMU, against its 1"   "status $rc, $rows of 5 rows (log: ${log#$TOP/})" [ "$rc" -eq 0 -a "$rows" -eq 5 ]
tap_check "tools/scaling.sh 2 1 ends with the best of its repeats, every kind" \
  "$best of 5 rows (log: ${log#$TOP/})" [ "$best" -eq 5 ]
tap_done
