#!/usr/bin/env bash
# scaling.sh [ROUNDS [REPEATS]]: how far two harts scale, against what the
# host and QEMU allow. Each repeat runs `bench --parallel --best --rounds
# ROUNDS` (default 60) three ways, one after the other:
#
#   alone      one 1-hart QEMU, one worker
#   two QEMUs  two 1-hart QEMUs at once, one worker each: what the host's
#              cores give two QEMU processes, which share nothing
#   one QEMU   one 2-hart QEMU, two workers: the kernel's figure
#
# and prints, per kind of run (faults by processes, by threads, copy-on-write
# faults that take no page, compute, getpid), the work per second alone and
# the two others as multiples of it. Each figure is the fastest of its
# ROUNDS runs: the host's slow spells come and go within a round and would
# move a median with them (bench/par.c says more); 60 rounds also make the
# two QEMUs' runs overlap. After the repeats, a last table takes each
# column at its fastest repeat. The issue's goal is "one QEMU" for faults
# at 1.9x or more. Where two QEMUs reach 2x but one QEMU's getpid (nothing shared in
# the kernel) does not, the shortfall is QEMU's own; where even two QEMUs
# fall short, the host is busy. Needs the CPUS=1 and CPUS=2 kernels (it
# builds them). Every QEMU runs under timeout. Prints numbers only; exits 1
# if a run printed no figures.
set -u
cd "$(dirname "$0")/.." || exit 1
rounds=${1:-60}
repeats=${2:-3}
make -s CPUS=1 kernel && make -s CPUS=2 kernel || exit 1
k1=$(make -s CPUS=1 print-kernel)
k2=$(make -s CPUS=2 print-kernel)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# run KERNEL HARTS OUT: the "kind rate" pairs of the rows at HARTS workers.
run() {
  timeout 300 qemu-system-riscv64 -machine virt,aclint=on -bios none -kernel "$1" \
    -m 128M -smp "$2" -nographic -no-reboot \
    -append "-- bench --parallel --best --rounds $rounds $2" </dev/null 2>&1 | tr -d '\r' |
    sed -n "s/^bench-csv: \([a-z]*_[a-z]*\)_$2,[^,]*,[^,]*,[^,]*,\([0-9.]*\),.*/\1 \2/p" >"$3"
}

echo "scaling: the best of $rounds rounds; alone: work per second; then x alone"
printf '%-16s %12s %10s %10s\n' kind alone "two QEMUs" "one QEMU"
status=0
for r in $(seq "$repeats"); do
  run "$k1" 1 "$tmp/alone"
  run "$k1" 1 "$tmp/a" & run "$k1" 1 "$tmp/b"; wait
  run "$k2" 2 "$tmp/one"
  if [ ! -s "$tmp/alone" ] || [ ! -s "$tmp/one" ]; then
    echo "scaling: repeat $r: a run printed no figures" >&2
    status=1
    continue
  fi
  join <(sort "$tmp/alone") <(sort "$tmp/a") | join - <(sort "$tmp/b") |
    join - <(sort "$tmp/one") | awk '{ print $1, $2, $3 + $4, $5 }' >"$tmp/rates"
  awk '{ printf "%-16s %12.0f %9.2fx %9.2fx\n", $1, $2, $3 / $2, $4 / $2 }' "$tmp/rates"
  cat "$tmp/rates" >>"$tmp/all"
  echo
done

# Across repeats, the same reasoning as within one: a boot can be slow as
# a whole (the host's slow mode, README "What the numbers say"), and noise
# only ever takes work away, so each column's fastest repeat is the one
# the noise missed. Every column is taken at its own best.
if [ -s "$tmp/all" ]; then
  echo "scaling: each column at its fastest of $repeats repeats"
  printf '%-16s %12s %10s %10s\n' kind alone "two QEMUs" "one QEMU"
  awk '{ k = $1; if (!(k in al)) order[n++] = k
         if ($2 > al[k]) al[k] = $2; if ($3 > two[k]) two[k] = $3; if ($4 > one[k]) one[k] = $4 }
       END { for (i = 0; i < n; i++) { k = order[i]
               printf "%-16s %12.0f %9.2fx %9.2fx\n", k, al[k], two[k] / al[k], one[k] / al[k] } }' "$tmp/all"
fi
exit "$status"
