/*
 * panic.c: stopping the machine when an invariant breaks, with a report
 * from every hart.
 *
 * The first hart to panic prints its message, its own backtrace and locks,
 * then waits (half a second of timer time) for the other harts: each one
 * notices `panicking` at its next timer tick, or while spinning for a lock,
 * or when it tries to print, writes its report (backtrace and held locks)
 * into its own buffer and stops. The panicking hart prints the reports in
 * hart order, notes the harts that never answered (interrupts off for that
 * long), and powers off with PANIC_EXIT_CODE.
 */
#include <stdarg.h>
#include "arch/memlayout.h"
#include "arch/riscv.h"
#include "dev/dev.h"
#include "lib/lib.h"
#include "param.h"
#include "sync/spinlock.h"

#define REPORT_BYTES     1024
#define PANIC_WAIT_TIME  (VIRT_TIMEBASE_HZ / 2)   /* half a second */
#define BACKTRACE_DEPTH  24

volatile int panicking;              /* [a] hart id + 1 of the panicking hart */
int panic_nharts = 1;                /* [I] set by main once harts are up */

static struct {
  char text[NCPU][REPORT_BYTES];     /* [h] written by that hart only */
  volatile int ready[NCPU];          /* [a] its text is complete */
} reports;

void
hart_park(void)
{
  intr_off();
  for (;;)
    wfi();
}

void
backtrace_format(uint64 fp, char *buf, int n, int *len)
{
  /* RISC-V frame layout with -fno-omit-frame-pointer: ra at fp-8, the
   * caller's fp at fp-16. Stop when fp leaves the stack it started in:
   * every kernel stack is KSTACK_SIZE bytes with an aligned top. */
  uint64 top = (fp + KSTACK_SIZE - 1) & ~(uint64)(KSTACK_SIZE - 1);
  uint64 bottom = top - KSTACK_SIZE;

  for (int depth = 0; depth < BACKTRACE_DEPTH && fp > bottom + 16 && fp <= top && *len < n;
       depth++) {
    uint64 ra = *(uint64 *)(fp - 8);
    if (ra == 0)
      break;
    *len += fmt_snprintf(buf + *len, n - *len, "    %p\n", (void *)ra);
    fp = *(uint64 *)(fp - 16);
  }
}

static void
console_write_string(const char *s)
{
  while (*s)
    uart_putc_sync(*s++);
}

/* Writes this hart's report: locks, then the backtrace from fp. */
static void
file_report(int me, uint64 fp, const char *how)
{
  char *buf = reports.text[me];
  int len = fmt_snprintf(buf, REPORT_BYTES, "hart %d (%s):\n", me, how);

  spinlock_format_held(me, buf, REPORT_BYTES, &len);
  if (len < REPORT_BYTES)
    len += fmt_snprintf(buf + len, REPORT_BYTES - len, "  backtrace:\n");
  backtrace_format(fp, buf, REPORT_BYTES, &len);
  __atomic_store_n(&reports.ready[me], 1, __ATOMIC_RELEASE);
}

void
panic_stop(void)
{
  int me = (int)r_tp();

  intr_off();
  if (!reports.ready[me])
    file_report(me, (uint64)__builtin_frame_address(0), "stopped by the panic");
  hart_park();
}

void
panic(const char *fmt, ...)
{
  va_list ap;
  int me = (int)r_tp();

  intr_off();
  if (!__sync_bool_compare_and_swap(&panicking, 0, me + 1)) {
    if (panicking == me + 1) {
      /* The panic itself faulted (a bad name pointer, say): stop now. */
      console_write_string("\npanic: a fault while reporting the panic\n");
      finisher_exit(PANIC_EXIT_CODE);
    }
    /* Another hart panicked first: this one's message goes in its report. */
    char how[REPORT_BYTES / 4];
    int len = fmt_snprintf(how, sizeof(how), "also panicked: ");
    va_start(ap, fmt);
    fmt_vsnprintf(how + len, sizeof(how) - len, fmt, ap);
    va_end(ap);
    file_report(me, r_fp(), how);
    hart_park();
  }
  /* A line another hart was printing may be unfinished: start afresh. */
  printf("\npanic (hart %d): ", me);
  va_start(ap, fmt);
  fmt_vformat(console_put, NULL, fmt, ap);
  va_end(ap);
  printf("\n");
  file_report(me, r_fp(), "panicking");
  console_write_string(reports.text[me]);

  uint64 deadline = r_time() + PANIC_WAIT_TIME;
  for (int h = 0; h < panic_nharts; h++) {
    if (h == me)
      continue;
    while (!__atomic_load_n(&reports.ready[h], __ATOMIC_ACQUIRE) && r_time() < deadline)
      ;
    if (reports.ready[h])
      console_write_string(reports.text[h]);
    else
      printf("hart %d: no report (interrupts off, or stopped before the panic)\n", h);
  }
  finisher_exit(PANIC_EXIT_CODE);
}
