#!/usr/bin/env bash
# stress-tests.sh: the stress suite inside `make test`: short runs at 1, 2
# and 4 harts must pass with a clean leak report; two DETERMINISTIC runs
# with one seed must print byte-identical consoles; a 30 s fuzz run at 4
# harts must pass the same checks; and a kernel built to leak one page
# (LEAK=1) must make the run fail and name the leak, a kernel built to
# skip the remote TLB flush (NO_SHOOTDOWN=1) must make it fail naming a
# stale access, and a kernel whose fork skips the flush after it
# write-protects the parent's pages (COW_NO_FLUSH=1) must make it fail
# naming a parent write that leaked into the child, which shows the
# checkers can fail.
set -u
. "$(dirname "$0")/lib.sh"

out="$TOP/build/test-stress"
short=${STRESS_SECONDS:-5}

run_stress() {   # run_stress NAME make-args...: runs make stress, keeps its output
  local name=$1
  shift
  make -s -C "$TOP" stress OUT="$out/$name" DURATION="$short" "$@" \
    >"$LOGDIR/stress-$name.out" 2>&1
}

for cpus in 1 2 4; do
  name="cpus$cpus"
  run_stress "$name" CPUS="$cpus" SEED="$cpus"
  rc=$?
  log="$LOGDIR/stress-$name.out"
  if [ "$rc" -eq 0 ] && grep -q '^stress: PASS' "$log" &&
     grep -qE '^  pages_free +[0-9]+ -> +[0-9]+ +delta 0$' "$log" &&
     grep -qE '^stress: audit: .* 0 unreachable, 0 bad; .* 0 lost, 0 bad$' "$log"; then
    tap_ok "stress at $cpus hart(s) passes with zero deltas and a clean audit"
  else
    tap_fail "stress at $cpus hart(s) passes with zero deltas and a clean audit" \
      "status $rc: $(grep -m1 -E '^stress: (FAIL|HANG|KERNEL)|^panic' "$log") (log: ${log#$TOP/})"
  fi
done

# The report's lock contention: the allocators' and the spaces' locks, each
# taken during the run.
log="$LOGDIR/stress-cpus4.out"
tap_check "stress report: lock contention of pmem, mmap_pool and uvm, each acquired" \
  "$(grep -A3 '^stress: lock contention' "$log" | tr '\n' '|') (log: ${log#$TOP/})" \
  bash -c 'for c in pmem mmap_pool uvm; do
             grep -qE "^stress:   $c +[1-9][0-9]* acquires +[0-9]+ contended +[0-9]+\.[0-9]{2} spins/acquire$" "$1" || exit 1
           done' _ "$log"

# Determinism: same seed, same bytes.
for i in 1 2; do
  run_stress "det$i" CPUS=4 SEED=7 DETERMINISTIC=1
done
# tools/stress.sh names the log after the run's knobs: -<seconds>s, -det.
a="$out/det1/stress-cpus4-seed7-${short}s-det.log"
b="$out/det2/stress-cpus4-seed7-${short}s-det.log"
if [ -s "$a" ] && cmp -s "$a" "$b" && grep -q '^stress: PASS' "$a"; then
  tap_ok "DETERMINISTIC=1 SEED=7 twice gives byte-identical output"
else
  tap_fail "DETERMINISTIC=1 SEED=7 twice gives byte-identical output" \
    "$(cmp "$a" "$b" 2>&1 | head -n 1)"
fi

# The fuzzer: random system calls with edge arguments from every hart; the
# kernel must not panic or hang, and the same leak report and audit pass.
log="$LOGDIR/fuzz-cpus4.out"
make -s -C "$TOP" fuzz OUT="$out/fuzz" CPUS=4 SEED=1 DURATION="${FUZZ_SECONDS:-30}" \
  >"$log" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && grep -q '^fuzz: PASS' "$log"; then
  tap_ok "fuzz for ${FUZZ_SECONDS:-30} s at 4 harts: no panic, no hang, nothing leaked ($(grep -o '[0-9]* calls' "$log" | tail -n 1))"
else
  tap_fail "fuzz for ${FUZZ_SECONDS:-30} s at 4 harts: no panic, no hang, nothing leaked" \
    "status $rc: $(grep -m1 -E '^fuzz: (FAIL|HANG|KERNEL)|^panic' "$log") (log: ${log#$TOP/})"
fi

# The checker can fail: a kernel that leaks one user page on purpose.
run_stress leak CPUS=2 SEED=3 LEAK=1
rc=$?
log="$LOGDIR/stress-leak.out"
if [ "$rc" -ne 0 ] && grep -qE '^  pages user .*delta 1   <-- LEAK$' "$log" &&
   grep -qE '^audit: page 0x[0-9a-f]+ \(user, owner [0-9]+\): in use but reachable from nothing' "$log" &&
   grep -q '^stress: FAILED' "$log"; then
  tap_ok "a kernel that leaks one page fails the stress run, which names the leak"
else
  tap_fail "a kernel that leaks one page fails the stress run, which names the leak" \
    "status $rc (log: ${log#$TOP/})"
fi
# The thread workers catch a missing shootdown: a thread that reads a page
# after munmap returned (its hart kept the translation) sees poison or
# another page's data, or one that writes it trips pmem's poison check.
run_stress noshootdown CPUS=4 SEED=5 NO_SHOOTDOWN=1 DURATION=10
rc=$?
log="$LOGDIR/stress-noshootdown.out"
if [ "$rc" -ne 0 ] &&
   grep -qE 'a thread read a value it should not have|pmem: free page 0x[0-9a-f]+ written at offset [0-9]+ after free' "$log"; then
  tap_ok "a kernel without TLB shootdown fails the stress run, which names the stale access"
else
  tap_fail "a kernel without TLB shootdown fails the stress run, which names the stale access" \
    "status $rc (log: ${log#$TOP/})"
fi
# The COW workers catch a fork that does not flush its sibling harts: a
# thread on another hart keeps its writable translation of a page fork just
# shared, and its next rounds land in the child's copy, which the child
# finds newer than the fork, or changing while it only reads it.
run_stress cownoflush CPUS=4 SEED=5 COW_NO_FLUSH=1 DURATION=10
rc=$?
log="$LOGDIR/stress-cownoflush.out"
if [ "$rc" -ne 0 ] && grep -q '^stress: FAILED' "$log" &&
   grep -qE 'stress: FAIL seed [0-9]+ (worker [0-9]+ )?pid [0-9]+: cow: fork: .*a parent write leaked into the child' "$log"; then
  tap_ok "a kernel whose fork skips the TLB flush fails the stress run, which names the leak into the child"
else
  tap_fail "a kernel whose fork skips the TLB flush fails the stress run, which names the leak into the child" \
    "status $rc: $(grep -m1 -E '^stress: (FAIL|HANG|KERNEL)|^panic' "$log") (log: ${log#$TOP/})"
fi
tap_done
