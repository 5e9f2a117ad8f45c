/*
 * printf.c: console output and panic.
 *
 * The console lock (rank LOCK_RANK_PRINTF) serialises whole printf calls.
 * After a panic, the panicking hart prints without the lock (it may hold
 * it) and every other hart that tries to print parks instead.
 */
#include <stdarg.h>
#include "arch/riscv.h"
#include "arch/memlayout.h"
#include "dev/dev.h"
#include "lib/lib.h"
#include "sync/spinlock.h"

volatile int panicking;              /* [a] hart id + 1 of the panicking hart */
static struct spinlock printf_lock;  /* rank LOCK_RANK_PRINTF */

void
printf_init(void)
{
  spinlock_init(&printf_lock, "printf", LOCK_RANK_PRINTF);
}

static void
console_put(void *ctx, char c)
{
  (void)ctx;
  uart_putc_sync(c);
}

int
printf(const char *fmt, ...)
{
  va_list ap;
  int n;
  int mine = panicking == 0;

  if (!mine && panicking != (int)r_tp() + 1)
    hart_park();
  if (mine)
    acquire(&printf_lock);
  va_start(ap, fmt);
  n = fmt_vformat(console_put, NULL, fmt, ap);
  va_end(ap);
  if (mine)
    release(&printf_lock);
  return n;
}

void
hart_park(void)
{
  intr_off();
  for (;;)
    wfi();
}

void
backtrace_from(uint64 fp)
{
  /* RISC-V frame layout with -fno-omit-frame-pointer: ra at fp-8, the
   * caller's fp at fp-16. Stop when fp leaves the stack it started in:
   * every kernel stack is KSTACK_SIZE bytes with an aligned top. */
  uint64 top = (fp + KSTACK_SIZE - 1) & ~(uint64)(KSTACK_SIZE - 1);
  uint64 bottom = top - KSTACK_SIZE;

  for (int depth = 0; depth < 32 && fp > bottom + 16 && fp <= top; depth++) {
    uint64 ra = *(uint64 *)(fp - 8);
    if (ra == 0)
      break;
    printf("  %p\n", (void *)ra);
    fp = *(uint64 *)(fp - 16);
  }
}

void
panic(const char *fmt, ...)
{
  va_list ap;
  int me = (int)r_tp();

  intr_off();
  /* The first hart to panic reports; any later one just stops. */
  if (!__sync_bool_compare_and_swap(&panicking, 0, me + 1))
    hart_park();
  printf("panic (hart %d): ", me);
  va_start(ap, fmt);
  fmt_vformat(console_put, NULL, fmt, ap);
  va_end(ap);
  printf("\nbacktrace (hart %d):\n", me);
  backtrace_from(r_fp());
  spinlock_print_held(me);
  finisher_exit(PANIC_EXIT_CODE);
}

uint64
rand_next(uint64 *state)
{
  uint64 x = *state;

  if (x == 0)
    x = 0x9e3779b97f4a7c15ULL;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return x * 0x2545f4914f6cdd1dULL;
}
