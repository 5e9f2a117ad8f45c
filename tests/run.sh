#!/usr/bin/env bash
# run.sh: every test of the project (`make test`). Runs each suite, re-reports
# its lines as "ok N suite: case" under one numbering, checks the suite ended
# properly, and closes with "N passed, N failed". Logs: build/test-logs/.
#
# The report is TAP version 14: the version line and the plan ("1..N") come
# before the cases, so the cases are collected while the suites run, with
# one progress line per suite (and every failure at once) on stderr, and
# the whole report is printed at the end.
#
# Suites: host unit tests (TSan, ASan+UBSan); in-kernel self-tests at
# CPUS=1, 2, 4 and 8; the user process tests at CPUS=1 and 4, the thread
# tests at CPUS=1, 2 and 4, the copy-on-write tests at CPUS=1 and 4; a short
# `make bench` that must print every figure; kernel misuse that must panic;
# short stress runs, a deterministic pair and a leaking
# build the stress checker must catch; boot facts (parking, device tree, console input, the
# shell, `make run`); a gdb session on 4 harts.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 1
export SEED=${SEED:-1}

n=0
failed=0
started=$(date +%s)
cases=$(mktemp)
trap 'rm -f "$cases"' EXIT

report() {   # report ok|fail NAME [REASON]
  n=$((n + 1))
  if [ "$1" = ok ]; then
    echo "ok $n $2" >>"$cases"
  else
    failed=$((failed + 1))
    echo "not ok $n $2 # $3" >>"$cases"
    suite_failures+="  not ok $n $2 # $3"$'\n'
  fi
}

suite() {    # suite NAME COMMAND...
  local name=$1 line closing="" rc t0 n0=$n f0=$failed
  suite_failures=""
  shift
  echo "# suite $name: $*" >>"$cases"
  printf '%-22s ' "$name" >&2
  t0=$(date +%s)
  local out
  out=$(mktemp)
  "$@" >"$out" 2>&1
  rc=$?
  while IFS= read -r line; do
    if [[ $line =~ ^ok\ [0-9]+\ (.*)$ ]]; then
      report ok "$name: ${BASH_REMATCH[1]}"
    elif [[ $line =~ ^not\ ok\ [0-9]+\ ([^#]*)\ \#\ (.*)$ ]]; then
      report fail "$name: ${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
    elif [[ $line =~ ^[0-9]+\ passed,\ [0-9]+\ failed ]]; then
      closing=$line
    elif [[ $line == "#"* ]]; then
      echo "$line" >>"$cases"
    fi
  done <"$out"
  rm -f "$out"
  if [ -z "$closing" ]; then
    report fail "$name: suite finished" "no closing line (exit status $rc)"
  elif [ "$rc" -ne 0 ] && [[ $closing == *" 0 failed"* ]]; then
    report fail "$name: suite finished" "exit status $rc after '$closing'"
  fi
  echo "$((n - n0 - failed + f0)) passed, $((failed - f0)) failed ($(( $(date +%s) - t0 )) s)" >&2
  printf '%s' "$suite_failures" >&2
}

suite host tests/host/run.sh
for cpus in 1 2 4 8; do
  suite "selftest-cpus$cpus" tests/kernel-selftest.sh "$cpus"
done
suite "selftest-cpus4-det" tests/kernel-selftest.sh 4 det
for cpus in 1 4; do
  suite "proctests-cpus$cpus" tests/user-tests.sh proctests "$cpus"
  suite "faulttests-cpus$cpus" tests/user-tests.sh faulttests "$cpus"
  suite "pipetests-cpus$cpus" tests/user-tests.sh pipetests "$cpus"
  suite "heaptests-cpus$cpus" tests/user-tests.sh heaptests "$cpus"
  suite "mmaptests-cpus$cpus" tests/user-tests.sh mmaptests "$cpus"
  suite "regiontests-cpus$cpus" tests/user-tests.sh regiontests "$cpus"
  suite "failsweep-cpus$cpus" tests/user-tests.sh failsweep "$cpus"
done
for cpus in 1 2 4; do
  suite "threadtests-cpus$cpus" tests/user-tests.sh threadtests "$cpus"
done
for cpus in 1 4; do
  suite "cowtests-cpus$cpus" tests/user-tests.sh cowtests "$cpus"
done
suite bench tests/bench-tests.sh
suite stress tests/stress-tests.sh
suite misuse tests/kernel-misuse.sh
suite boot tests/kernel-boot.sh
suite gdb tests/gdb-harts.sh

echo "TAP version 14"
echo "1..$n"
cat "$cases"
echo "# seed $SEED, $(( $(date +%s) - started )) s"
echo "$((n - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
