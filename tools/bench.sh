#!/usr/bin/env bash
# bench.sh: what `make bench` runs. Boots the kernel with the program bench
# (user/bench.c) as the one program, keeps the console, and prints bench's
# table: the null system call, a first-touch fault, the sbrk
# grow-touch-shrink loop, fork at 0/1/4/16 MiB touched, faults per second
# at 1..CPUS harts (processes, then threads of one process), the same
# harts computing without a trap and calling getpid (how far the host, then
# QEMU, let them scale), and the contention of the pmem, mmap_pool and uvm
# locks at CPUS harts.
#
#   make bench                   CPUS from CPUS.mk; times in host time
#   DETERMINISTIC=1 make bench   single-threaded QEMU with -icount: times are
#                                virtual, and instructions are shown (exact,
#                                the same from run to run)
#   CPUS=2 tools/bench.sh        any make knob (CPUS, MEM, ...) passes on
#   QUICK=1                      fewer samples and pages (the smoke test)
#
# Files, in OUT (default build/bench): bench-cpusN[-quick][-det].log (the
# console) and .csv (the table's rows, a header first). QEMU runs under
# `timeout` (make run, through tools/run-qemu.sh). Exits 0 if bench ran to
# its end and printed every row, 1 if not (QEMU's status, a panic, a
# missing row), 2 for a bad knob.
#
#   tools/bench.sh --keys N      prints the CSV keys of every row a run at
#                                N harts prints, in order (the smoke test
#                                checks a run against them)
set -u
cd "$(dirname "$0")/.." || exit 1

# bench_keys N: every row bench prints at N harts, by its CSV key.
bench_keys() {
  local keys="null_syscall first_touch_fault sbrk_grow_touch_shrink" mib kind h
  for mib in 0 1 4 16; do keys+=" fork_exit_wait_${mib}mib fork_call_${mib}mib"; done
  for kind in faults_procs faults_threads cowfaults_procs compute_procs syscalls_procs; do
    for h in $(seq 1 "$1"); do keys+=" ${kind}_$h"; done
  done
  echo "$keys lock_pmem lock_mmap_pool lock_uvm"
}
if [ "${1:-}" = --keys ]; then
  bench_keys "$2"
  exit 0
fi

cpus=${CPUS:-$(sed -n 's/^CPUS ?= *//p' CPUS.mk)}
det=${DETERMINISTIC:-0}
quick=${QUICK:-0}
out=${OUT:-build/bench}
case $cpus in
  '' | *[!0-9]*) echo "bench: CPUS=$cpus: not a number" >&2; exit 2 ;;
esac

name="bench-cpus$cpus"
args=""
if [ "$quick" = 1 ]; then name+="-quick"; args+="--quick "; fi
if [ "$det" = 1 ]; then name+="-det"; args+="--exact "; fi
log="$out/$name.log"
csv="$out/$name.csv"
watchdog=$((300 + 30 * cpus))   # a run takes seconds; this is for a hang
harts="$cpus hart$([ "$cpus" -gt 1 ] && echo s)"
mkdir -p "$out"
rm -f "$log" "$csv"

make -s kernel </dev/null >&2 || { echo "bench: build failed" >&2; exit 1; }
echo "bench: booting $harts with 'bench $args$cpus' (console: $log)" >&2
timeout -k 10 "$watchdog" make -s run CMD="bench $args$cpus" </dev/null >"$log" 2>&1
rc=$?
sed -i 's/\r$//' "$log"
grep '^bench-csv: ' "$log" | sed 's/^bench-csv: //' >"$csv"

missing=""
for k in $(bench_keys "$cpus"); do
  grep -q "^$k," "$csv" || missing+=" $k"
done

why=""
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
  why="no result within $watchdog s (watchdog)"
elif grep -q '^panic' "$log"; then
  why="kernel panic: $(grep -m1 '^panic' "$log")"
elif [ "$rc" -ne 0 ] || ! grep -q '^bench: done$' "$log"; then
  why="status $rc: $(grep -E '^bench: .*failed|^usage|^pid [0-9]+ .*killed' "$log" | head -n 1)"
elif [ -n "$missing" ]; then
  why="rows missing from the CSV:$missing"
fi
ram=$(sed -n 's/.*RAM \([0-9]* MiB\) at .*/\1/p' "$log")
echo "bench: $harts, $ram; host: $(nproc) cores, $(qemu-system-riscv64 --version | head -n 1)"
if [ "$det" = 1 ]; then
  echo "bench: DETERMINISTIC=1: single-threaded QEMU, -icount: times are virtual" \
    "($((1 << ${ICOUNT_SHIFT:-4})) ns an instruction), instructions exact"
else
  echo "bench: multi-threaded QEMU: times are host time; instructions only with DETERMINISTIC=1"
fi
# bench's own header, then its table without the prefix (what there is of
# it, even when the run failed).
grep -E '^bench: ([0-9]+ harts? \(|us from rdtime)' "$log"
echo
sed -n '/^bench: figure /,/^bench: done$/p' "$log" | grep '^bench: ' | grep -v '^bench: done$' |
  sed 's/^bench: //'
echo
if [ -n "$why" ]; then
  echo "bench: FAILED: $why; console: $log"
  grep -E '^(bench: .*failed|usage|panic|kernel: shutdown|pid [0-9]+ )' "$log" | tail -n 5
  exit 1
fi
echo "bench: CSV: $csv; console: $log"
