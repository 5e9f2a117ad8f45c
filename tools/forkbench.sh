#!/usr/bin/env bash
# forkbench.sh [REPS]: the fork benchmark. Boots the kernel twice with the
# program forkbench (user/forkbench.c), once as it is (copy-on-write fork)
# and once with the boot argument forkcopy (fork copies every page, the
# eager fork), and prints one comparison table of the medians of
# fork + exit + wait: size touched, eager fork us, COW fork us, the
# speed-up, and the COW fork's cost relative to the COW fork of an empty
# process; then the fork() call alone, and the two goals with a verdict.
#
#   tools/forkbench.sh             20 repetitions per size, CPUS from CPUS.mk
#   CPUS=2 tools/forkbench.sh 50   any make knob (CPUS, MEM, ...) passes on
#   DETERMINISTIC=1 tools/forkbench.sh   single-threaded QEMU with -icount:
#                  times are virtual (instructions x 2^shift ns) and the
#                  fork() instruction counts exact and repeatable
#
# Each QEMU runs under `timeout` (make run, through tools/run-qemu.sh); the
# consoles are kept in build/forkbench/. Exits 0 if both runs measured
# (whatever the verdicts), 1 if a run failed or fork did not behave as
# its boot argument says.
set -u
cd "$(dirname "$0")/.." || exit 1
reps=${1:-20}
case $reps in
  '' | *[!0-9]*) reps=0 ;;
esac
if [ "$reps" -lt 1 ] || [ "$reps" -gt 100 ]; then
  echo "usage: tools/forkbench.sh [REPS]   (REPS 1 to 100, default 20)" >&2
  exit 2
fi
out=build/forkbench
mkdir -p "$out"
det=${DETERMINISTIC:-0}
suffix=$([ "$det" = 1 ] && echo "-det")

make -s kernel </dev/null >&2 || { echo "forkbench: build failed" >&2; exit 1; }

# run MODE BOOTARGS: one boot; its console in $out/MODE$suffix.log.
run() {
  local mode=$1 bootargs=$2 log="$out/$1$suffix.log"
  echo "forkbench: booting with BOOTARGS='$bootargs' (console: $log)" >&2
  timeout 900 make -s run BOOTARGS="$bootargs" CMD="forkbench $reps" \
    </dev/null >"$log" 2>&1
  local rc=$?
  sed -i 's/\r$//' "$log"
  if [ "$rc" -ne 0 ] || ! grep -q "^forkbench: done, mode $mode\$" "$log"; then
    echo "forkbench: the $mode run failed (status $rc, want 'mode $mode'); see $log:" >&2
    grep -E '^(forkbench|panic|kernel: shutdown)' "$log" | tail -5 >&2
    return 1
  fi
}
run cow "" || exit 1
run copy "forkcopy" || exit 1

# rows LOG: "MiB total_us fork_us fork_insns" per size.
rows() {
  awk '/^forkbench: +[0-9]+ MiB +[0-9]+ \|/ {
         sub(/^forkbench: +/, ""); gsub(/\|/, " ")
         # MiB "MiB" pages median min max fork_median insns (samples)
         print $1, $4, $7, $8
       }' "$1"
}

cpus=$(sed -n 's/^kernel: \([0-9]*\) harts in the device tree.*/\1/p' "$out/cow$suffix.log")
ram=$(sed -n 's/.*RAM \([0-9]* MiB\) at .*/\1/p' "$out/cow$suffix.log")
echo "forkbench: $cpus harts, $ram, $reps repetitions per size; medians;" \
  "host: $(nproc) cores, $(qemu-system-riscv64 --version | head -1)"
if [ "$det" = 1 ]; then
  echo "forkbench: DETERMINISTIC=1: times are QEMU's virtual time (-icount), not host time"
fi
echo
# One line per size: the eager run's fields, then the COW run's.
paste -d ' ' <(rows "$out/copy$suffix.log") <(rows "$out/cow$suffix.log") | awk -v det="$det" '
  $1 != $5 || NF != 8 { print "forkbench: the runs measured different sizes" > "/dev/stderr"; bad = 1; exit 1 }
  { mib[NR] = $1; et[NR] = $2; ef[NR] = $3; ei[NR] = $4
    ct[NR] = $6; cf[NR] = $7; ci[NR] = $8; if ($1 == 0) empty = $6; n = NR }
  END {
    if (bad || n == 0 || empty == "")
      exit 1
    print "fork + exit + wait of a process with SIZE of heap pages written (median us):"
    print ""
    print "| size | eager fork us | COW fork us | speed-up | COW fork / empty COW fork |"
    print "| ---: | ---: | ---: | ---: | ---: |"
    for (i = 1; i <= n; i++)
      printf "| %d MiB | %.1f | %.1f | %.1fx | %.2fx |\n", mib[i], et[i], ct[i],
        et[i] / ct[i], ct[i] / empty
    print ""
    print "the fork() call alone, until it returns in the parent (median us" \
      (det == 1 ? ", instructions" : "") "):"
    print ""
    if (det == 1) {
      print "| size | eager fork() us | COW fork() us | speed-up | eager instructions | COW instructions |"
      print "| ---: | ---: | ---: | ---: | ---: | ---: |"
    } else {
      print "| size | eager fork() us | COW fork() us | speed-up |"
      print "| ---: | ---: | ---: | ---: |"
    }
    for (i = 1; i <= n; i++) {
      printf "| %d MiB | %.1f | %.1f | %.1fx", mib[i], ef[i], cf[i], ef[i] / cf[i]
      if (det == 1)
        printf " | %d | %d", ei[i], ci[i]
      print " |"
    }
    print ""
    for (i = 1; i <= n; i++) {
      if (mib[i] == 4) {
        s = et[i] / ct[i]
        printf "goal: fork of 4 MiB touched at least 20x faster with COW than eager: %.1fx: %s\n",
          s, (s >= 20 ? "met" : "NOT met")
      }
      if (mib[i] == 16) {
        r = ct[i] / empty
        printf "goal: COW fork of 16 MiB at most 3x a fork of an empty process: %.2fx: %s\n",
          r, (r <= 3 ? "met" : "NOT met")
      }
    }
  }'
