# lib.sh: helpers shared by the test scripts (sourced, not run).
#
# A test script reports with tap_ok / tap_fail, one line per check in the
# project's format ("ok N name" / "not ok N name # reason"), and ends with
# tap_done, which prints "N passed, N failed" and exits non-zero on failure.
# qemu_boot runs one QEMU under `timeout`, in the background, and waits for
# that PID only, so a hung guest is killed and nothing else is touched.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOGDIR=${LOGDIR:-$TOP/build/test-logs}
mkdir -p "$LOGDIR"

tap_n=0
tap_failed=0

tap_ok() {
  tap_n=$((tap_n + 1))
  echo "ok $tap_n $1"
}

tap_fail() {
  tap_n=$((tap_n + 1))
  tap_failed=$((tap_failed + 1))
  echo "not ok $tap_n $1 # $2"
}

# tap_check NAME REASON CONDITION...: ok if the command CONDITION succeeds.
tap_check() {
  local name=$1 reason=$2
  shift 2
  if "$@"; then tap_ok "$name"; else tap_fail "$name" "$reason"; fi
}

tap_done() {
  echo "$((tap_n - tap_failed)) passed, $tap_failed failed"
  [ "$tap_failed" -eq 0 ]
}

# build_kernel CPUS [make args...]: builds quietly; prints the kernel's path.
build_kernel() {
  local cpus=$1
  shift
  make -s -C "$TOP" CPUS="$cpus" "$@" kernel >&2 || return 1
  echo "$TOP/$(make -s -C "$TOP" --no-print-directory CPUS="$cpus" "$@" print-kernel)"
}

# qemu_boot LOG SECONDS KERNEL SMP MEM BOOTARGS [QEMU ARGS...]
# Boots KERNEL, console to LOG; standard input comes from QEMU_STDIN if set
# (a file or fifo), else /dev/null. Returns QEMU's exit status (124: timeout).
qemu_boot() {
  local log=$1 secs=$2 kernel=$3 smp=$4 mem=$5 args=$6
  shift 6
  local in=${QEMU_STDIN:-/dev/null}
  timeout --signal=KILL "$secs" qemu-system-riscv64 -machine virt,aclint=on -bios none \
    -kernel "$kernel" -m "$mem" -smp "$smp" -nographic -no-reboot \
    -append "$args" "$@" <"$in" >"$log" 2>&1 &
  local pid=$!
  wait "$pid"
  local rc=$?
  # Consoles may end lines with \r\n; the checks want plain lines.
  sed -i 's/\r$//' "$log"
  [ "$rc" -eq 137 ] && rc=124   # killed by timeout's SIGKILL
  return "$rc"
}

# relay_kernel_tap LOG PREFIX: re-reports the kernel's own ok/not ok lines
# under PREFIX and checks its closing line. Returns 1 if it had none.
relay_kernel_tap() {
  local log=$1 prefix=$2 line name reason
  while IFS= read -r line; do
    if [[ $line =~ ^ok\ [0-9]+\ (.*)$ ]]; then
      tap_ok "$prefix${BASH_REMATCH[1]}"
    elif [[ $line =~ ^not\ ok\ [0-9]+\ ([^#]*)\ \#\ (.*)$ ]]; then
      tap_fail "$prefix${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
    fi
  done <"$log"
  grep -qE '^[0-9]+ passed, [0-9]+ failed' "$log"
}

# check_kernel_run LOG RC SECS PREFIX: the checks every scripted boot ends
# with: the kernel's closing line is there, and QEMU powered off with status
# 0 (else: the watchdog fired, the kernel panicked, or the status).
check_kernel_run() {
  local log=$1 rc=$2 secs=$3 prefix=$4 closing=0
  relay_kernel_tap "$log" "" || closing=1
  tap_check "${prefix}ends with a closing line" "no 'N passed, N failed' in the log" \
    [ "$closing" -eq 0 ]
  local reason="QEMU exit status $rc" panicked=0
  [ "$rc" -eq 124 ] && reason="watchdog: no power-off within $secs s"
  if grep -q '^panic' "$log"; then
    panicked=1
    reason="kernel panic: $(grep -m1 '^panic' "$log")"
  fi
  tap_check "${prefix}powers off with status 0" "$reason" [ "$rc" -eq 0 -a "$panicked" -eq 0 ]
}
