#!/usr/bin/env bash
# stress.sh: what `make stress` and `make fuzz` run. Boots the kernel with
# the driver (PROGRAM: stress or fuzz) as the one program, shows its
# progress, saves the console log and the samples (CSV), and gives a
# verdict: exit status 0 only if the driver passed; otherwise it says
# whether the kernel panicked, hung (the watchdog fired) or the driver
# found a leak or a wrong value.
#
# One file set per run: the log and the CSV are named after every knob
# that changes the run, so a LEAK=1 or DETERMINISTIC=1 run does not
# overwrite the last normal one:
#   OUT/PROGRAM-cpusN-seedS-Ds[-wW][-memM][-nmmapK][-leak][-invert][-noshootdown][-cownoflush][-det[-icountI]].log
# e.g. build/stress/stress-cpus4-seed1-30s.log, ...-seed7-30s-det.log.
# The log starts with the run header and ends with the verdict (lines that
# begin "stress.sh:"); tools/stress-plot.sh reads them.
#
# Environment (set by the Makefile): KERNEL, QEMUOPTS, CPUS, SEED,
# DURATION, OUT (folder for the log and CSV), PROGRAM; the knobs that name
# the run: MEM, MEM_MIB, N_MMAP, LEAK, INVERT_LOCKS, NO_SHOOTDOWN,
# DETERMINISTIC, ICOUNT_SHIFT; WORKERS (default 2 x CPUS). COW_NO_FLUSH
# comes from make's command line or the environment (make exports both).
set -u
: "${KERNEL:?}" "${QEMUOPTS:?}" "${CPUS:?}" "${SEED:?}" "${DURATION:?}"
WORKERS=${WORKERS:-$((2 * CPUS))}
PROGRAM=${PROGRAM:-stress}
OUT=${OUT:-build/$PROGRAM}
# The Makefile's defaults: a knob at its default is left out of the name.
MEM=${MEM:-128M} MEM_MIB=${MEM_MIB:-128} N_MMAP=${N_MMAP:-256} ICOUNT_SHIFT=${ICOUNT_SHIFT:-4}

name="$PROGRAM-cpus$CPUS-seed$SEED-${DURATION}s"
knobs=()        # the non-default knobs, for the header
[ "$WORKERS" != $((2 * CPUS)) ] && name+="-w$WORKERS"     # the header says "N workers"
[ "$MEM_MIB" != 128 ] && name+="-mem$MEM" && knobs+=("MEM=$MEM")
[ "$N_MMAP" != 256 ] && name+="-nmmap$N_MMAP" && knobs+=("N_MMAP=$N_MMAP")
[ "${LEAK:-}" = 1 ] && name+="-leak" && knobs+=("LEAK=1 (a kernel that leaks a page on purpose)")
[ "${INVERT_LOCKS:-}" = 1 ] && name+="-invert" && knobs+=("INVERT_LOCKS=1 (locks out of order on purpose)")
[ "${NO_SHOOTDOWN:-}" = 1 ] && name+="-noshootdown" && knobs+=("NO_SHOOTDOWN=1 (no remote TLB flush, on purpose)")
[ "${COW_NO_FLUSH:-}" = 1 ] && name+="-cownoflush" && knobs+=("COW_NO_FLUSH=1 (fork leaves sibling harts' writable translations, on purpose)")
if [ "${DETERMINISTIC:-}" = 1 ]; then
  name+="-det"
  [ "$ICOUNT_SHIFT" != 4 ] && name+="-icount$ICOUNT_SHIFT"
  mode="deterministic: single-threaded QEMU, -icount shift=$ICOUNT_SHIFT; the same seed, CPUS and knobs give this console byte for byte"
else
  mode="multi-threaded QEMU: timing varies, a rerun of this seed may interleave differently (DETERMINISTIC=1 runs replay exactly)"
fi
log="$OUT/$name.log"
csv="$OUT/$name.csv"
# Generous: boot, the run itself, the final checks, and slow emulation.
watchdog=$((3 * DURATION + 120))

mkdir -p "$OUT"
rm -f "$OUT/$name".{log,csv,svg,png}      # nothing left from an earlier run of this name
run="$CPUS harts, seed $SEED, $DURATION s, $WORKERS workers"
for k in ${knobs[@]+"${knobs[@]}"}; do run+=", $k"; done
run+="; watchdog $watchdog s"
echo "$PROGRAM: $run"
echo "$PROGRAM: $mode"
echo "$PROGRAM: console log: $log"
# The log opens with the same header (no paths, so two replays compare equal).
printf 'stress.sh: %s: %s\nstress.sh: %s: %s\n' "$PROGRAM" "$run" "$PROGRAM" "$mode" >"$log"
# shellcheck disable=SC2086  # QEMUOPTS is a list of options
timeout --signal=KILL "$watchdog" qemu-system-riscv64 $QEMUOPTS \
  -append "-- $PROGRAM --seed $SEED --duration $DURATION --workers $WORKERS" \
  </dev/null 2>&1 | tee -a "$log" | grep --line-buffered -v '^stress-csv:'
rc=${PIPESTATUS[0]}
sed -i 's/\r$//' "$log"
grep '^stress-csv: ' "$log" | sed 's/^stress-csv: //' >"$csv"
[ -s "$csv" ] || rm -f "$csv"               # fuzz prints no samples
files="log: $log"
[ -f "$csv" ] && files+="; samples: $csv (draw them: make stress-plot RUN=$OUT/$name)"

verdict() {   # verdict WORD TEXT: the last line of the log, for stress-plot.sh
  echo "stress.sh: verdict: $1: $2" >>"$log"
}
echo
if [ "$rc" -eq 137 ] || [ "$rc" -eq 124 ]; then
  verdict HANG "no result within $watchdog s (watchdog)"
  echo "$PROGRAM: HANG: no result within $watchdog s (watchdog); seed $SEED; $files"
  exit 124
elif grep -q '^panic' "$log"; then
  verdict PANIC "$(grep -m1 '^panic' "$log")"
  echo "$PROGRAM: the panic report, with source lines:"
  "$(dirname "$0")/symbolize.sh" "$KERNEL" "$log" | sed -n '/^panic/,$p' | grep -v '^stress.sh: '
  echo "$PROGRAM: KERNEL PANIC: $(grep -m1 '^panic' "$log"); seed $SEED; $files"
  exit 2
elif [ "$rc" -ne 0 ] || ! grep -q "^$PROGRAM: PASS" "$log"; then
  verdict FAIL "status $rc"
  echo "$PROGRAM: FAILED (status $rc): see the FAIL lines and the leak report above; seed $SEED; $files"
  [ "$rc" -ne 0 ] && exit "$rc"
  exit 1
fi
verdict PASS "status 0"
echo "$PROGRAM: passed; $files"
