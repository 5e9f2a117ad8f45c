#!/usr/bin/env bash
# stress.sh: what `make stress` and `make fuzz` run. Boots the kernel with
# the driver (PROGRAM: stress or fuzz) as the one program, shows its
# progress, saves the console log and the samples (CSV), and gives a
# verdict: exit status 0 only if the driver passed; otherwise it says
# whether the kernel panicked, hung (the watchdog fired) or the driver
# found a leak or a wrong value.
#
# Environment (set by the Makefile): KERNEL, QEMUOPTS, CPUS, SEED,
# DURATION, WORKERS, OUT (folder for the log and CSV), PROGRAM.
set -u
: "${KERNEL:?}" "${QEMUOPTS:?}" "${CPUS:?}" "${SEED:?}" "${DURATION:?}"
WORKERS=${WORKERS:-$((2 * CPUS))}
PROGRAM=${PROGRAM:-stress}
OUT=${OUT:-build/$PROGRAM}
mkdir -p "$OUT"
name="$PROGRAM-cpus$CPUS-seed$SEED"
log="$OUT/$name.log"
csv="$OUT/$name.csv"
# Generous: boot, the run itself, the final checks, and slow emulation.
watchdog=$((3 * DURATION + 120))

echo "$PROGRAM: $CPUS harts, seed $SEED, $DURATION s, $WORKERS workers; watchdog $watchdog s"
# shellcheck disable=SC2086  # QEMUOPTS is a list of options
timeout --signal=KILL "$watchdog" qemu-system-riscv64 $QEMUOPTS \
  -append "-- $PROGRAM --seed $SEED --duration $DURATION --workers $WORKERS" \
  </dev/null 2>&1 | tee "$log" | grep --line-buffered -v '^stress-csv:'
rc=${PIPESTATUS[0]}
sed -i 's/\r$//' "$log"
grep '^stress-csv: ' "$log" | sed 's/^stress-csv: //' >"$csv"

echo
if [ "$rc" -eq 137 ] || [ "$rc" -eq 124 ]; then
  echo "$PROGRAM: HANG: no result within $watchdog s (watchdog); seed $SEED; log: $log"
  exit 124
elif grep -q '^panic' "$log"; then
  echo "$PROGRAM: the panic report, with source lines:"
  "$(dirname "$0")/symbolize.sh" "$KERNEL" "$log" | sed -n '/^panic/,$p'
  echo "$PROGRAM: KERNEL PANIC: $(grep -m1 '^panic' "$log"); seed $SEED; log: $log"
  exit 2
elif [ "$rc" -ne 0 ] || ! grep -q "^$PROGRAM: PASS" "$log"; then
  echo "$PROGRAM: FAILED (status $rc): see the FAIL lines and the leak report above; seed $SEED; log: $log"
  [ "$rc" -ne 0 ] && exit "$rc"
  exit 1
fi
echo "$PROGRAM: passed; log: $log; samples: $csv (make stress-plot draws them)"
