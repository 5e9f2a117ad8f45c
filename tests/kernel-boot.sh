#!/usr/bin/env bash
# kernel-boot.sh: what boot promises beyond the self-tests: `make qemu`
# shows every hart at CPUS=1 and 8 and gives a shell that runs typed
# programs, with line editing (Backspace, DEL, ^U, ^C, an over-long line),
# `make run` reports an unknown program, harts past the kernel's
# NCPU park, the RAM size comes from the device tree, and typed keys reach
# the kernel through the UART interrupt.
set -u
. "$(dirname "$0")/lib.sh"

# `make CPUS=n qemu` is interactive; give it a few seconds, then stop it.
for cpus in 1 8; do
  log="$LOGDIR/boot-make-qemu-cpus$cpus.log"
  build_kernel "$cpus" >/dev/null || { tap_fail "make CPUS=$cpus qemu" "build failed"; continue; }
  timeout 8 make -s -C "$TOP" CPUS="$cpus" qemu </dev/null >"$log" 2>&1
  sed -i 's/\r$//' "$log"
  up=$(grep -cE '^hart [0-9]+ up$' "$log")
  if [ "$up" -eq "$cpus" ] && grep -q "^kernel: all $cpus harts up" "$log"; then
    tap_ok "make CPUS=$cpus qemu shows $cpus harts"
  else
    tap_fail "make CPUS=$cpus qemu shows $cpus harts" "$up 'hart N up' lines (log: ${log#$TOP/})"
  fi
done

# The shell: a typed command line runs the program with its arguments.
log="$LOGDIR/boot-shell.log"
fifo="$LOGDIR/shell-input.fifo"
rm -f "$fifo"
mkfifo "$fifo"
( sleep 4; printf 'echo typed words\n'; sleep 2; printf 'argecho a\n'; exec sleep 30 ) >"$fifo" &
feeder=$!
timeout 12 make -s -C "$TOP" CPUS=2 qemu <"$fifo" >"$log" 2>&1
kill "$feeder" 2>/dev/null
wait "$feeder" 2>/dev/null
rm -f "$fifo"
sed -i 's/\r$//' "$log"
if grep -q '^typed words$' "$log" && grep -q 'argecho: exit status' "$log"; then
  tap_ok "make qemu gives a shell that runs typed programs"
else
  tap_fail "make qemu gives a shell that runs typed programs" "no program output (log: ${log#$TOP/})"
fi

# Line editing: Backspace and DEL erase a character, ^U the line, ^C ends
# the program the shell waits for and never reaches the next command line.
log="$LOGDIR/boot-console-editing.log"
fifo="$LOGDIR/console-editing.fifo"
rm -f "$fifo"
mkfifo "$fifo"
(
  sleep 4
  printf 'echx\bo after-backspace\n'; sleep 1
  printf 'echx\177o after-del\n'; sleep 1
  printf 'garbage line\025echo after-kill-line\n'; sleep 1
  printf 'sleep 100\n'; sleep 2
  printf '\003'; sleep 1
  printf 'echo after-interrupt\n'; sleep 1
  printf 'echo %0300d\n' 0; sleep 1
  printf 'echo after-long-line\n'
  exec sleep 30
) >"$fifo" &
feeder=$!
timeout 20 make -s -C "$TOP" CPUS=2 qemu <"$fifo" >"$log" 2>&1
kill "$feeder" 2>/dev/null
wait "$feeder" 2>/dev/null
rm -f "$fifo"
sed -i 's/\r$//' "$log"
tap_check "console: Backspace erases a character" "no 'after-backspace' line (log: ${log#$TOP/})" \
  grep -q '^after-backspace$' "$log"
tap_check "console: DEL erases a character" "no 'after-del' line (log: ${log#$TOP/})" \
  grep -q '^after-del$' "$log"
tap_check "console: ^U erases the line" "no 'after-kill-line' line, or 'garbage' ran (log: ${log#$TOP/})" \
  bash -c "grep -q '^after-kill-line\$' '$log' && ! grep -q 'garbage' <(grep '^sh:' '$log')"
tap_check "console: ^C ends the program the shell waits for" \
  "no '[sleep: exit status -1]' (log: ${log#$TOP/})" grep -qF '[sleep: exit status -1]' "$log"
tap_check "console: after ^C the next command runs as typed" \
  "no 'after-interrupt' line, or a stray byte reached the shell (log: ${log#$TOP/})" \
  bash -c "grep -q '^after-interrupt\$' '$log' && ! grep -q 'no such program' '$log'"
tap_check "console: a line longer than the buffer is refused with a message, not split" \
  "(log: ${log#$TOP/})" bash -c "grep -q '^console: line longer than' '$log' && \
    grep -q '^after-long-line\$' '$log' && ! grep -qE '^0+\$' '$log'"

# Knobs are checked before anything builds: one line naming the knob and
# what it allows, exit status 2.
for knob in CPUS=0 CPUS=abc CPUS=17 DURATION=abc SEED=x1 N_MMAP=0 MEM=12 LEAK=yes; do
  out=$(make -s -C "$TOP" "$knob" stress 2>&1)
  rc=$?
  name=${knob%%=*}
  if [ "$rc" -eq 2 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] &&
     printf '%s\n' "$out" | grep -qE "\*\*\* $knob: must be .*(from|like|or) "; then
    tap_ok "make $knob stress is refused before building, naming $name"
  else
    tap_fail "make $knob stress is refused before building, naming $name" \
      "status $rc: $(printf '%s' "$out" | head -n 2 | tr '\n' ' ')"
  fi
done

# make run with a program that does not exist: a clear message, status 127.
log="$LOGDIR/boot-run-unknown.log"
timeout 30 make -s -C "$TOP" CPUS=2 run CMD="nosuchprogram" </dev/null >"$log" 2>&1
rc=$?
sed -i 's/\r$//' "$log"
if [ "$rc" -ne 0 ] && grep -q '^init: nosuchprogram: no such program' "$log" &&
   grep -q 'shutdown(127)' "$log"; then
  tap_ok "make run of an unknown program says so and fails"
else
  tap_fail "make run of an unknown program says so and fails" "status $rc (log: ${log#$TOP/})"
fi

# A panic under `make run` (and `make qemu`, the same script) is shown again
# with source lines: here a self-test that frees a page twice on purpose.
log="$LOGDIR/boot-run-panic.log"
timeout 60 make -s -C "$TOP" CPUS=2 run BOOTARGS="selftest=pmem_double_free_panics" \
  </dev/null >"$log" 2>&1
rc=$?
sed -i 's/\r$//' "$log"
if [ "$rc" -ne 0 ] && grep -q '^the panic report, with source lines' "$log" &&
   grep -qE '^ +0x[0-9a-f]+  pmem_free at kernel/mm/pmem.c:[0-9]+' "$log"; then
  tap_ok "make run symbolizes a panic's backtrace"
else
  tap_fail "make run symbolizes a panic's backtrace" "status $rc (log: ${log#$TOP/})"
fi

# A kernel built for 2 harts on a 4-hart machine: harts 2 and 3 must park.
log="$LOGDIR/boot-park.log"
kernel=$(build_kernel 2)
qemu_boot "$log" 60 "$kernel" 4 128M "selftest seed=1"
rc=$?
up=$(grep -cE '^hart [0-9]+ up$' "$log")
if [ "$rc" -eq 0 ] && [ "$up" -eq 2 ] && grep -q '^kernel: harts 2..3 park: beyond NCPU 2' "$log"; then
  tap_ok "harts beyond NCPU park and the rest pass the self-tests"
else
  tap_fail "harts beyond NCPU park and the rest pass the self-tests" \
    "status $rc, $up harts up (log: ${log#$TOP/})"
fi

# RAM size read from the device tree, not assumed.
log="$LOGDIR/boot-mem.log"
kernel=$(build_kernel 2)
qemu_boot "$log" 60 "$kernel" 2 256M "selftest=pool_free_list_is_a_stack"
rc=$?
tap_check "RAM size comes from the device tree (256 MiB)" \
  "status $rc, banner '$(grep -m1 '^kernel: .*RAM' "$log")'" \
  grep -q 'RAM 256 MiB at 0x80000000' "$log"

# Keys typed on the console arrive through the UART interrupt.
log="$LOGDIR/boot-console-input.log"
fifo="$LOGDIR/console-input.fifo"
rm -f "$fifo"
mkfifo "$fifo"
kernel=$(build_kernel 4)
( sleep 3; printf hello; exec sleep 30 ) >"$fifo" &
feeder=$!
QEMU_STDIN=$fifo qemu_boot "$log" 60 "$kernel" 4 128M "selftest=console_receives_typed_input"
rc=$?
kill "$feeder" 2>/dev/null
wait "$feeder" 2>/dev/null
rm -f "$fifo"
tap_check "typed keys reach the kernel (UART interrupt)" \
  "status $rc (log: ${log#$TOP/})" [ "$rc" -eq 0 ]
tap_done
