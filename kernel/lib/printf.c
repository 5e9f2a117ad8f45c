/*
 * printf.c: console output.
 *
 * The printf lock (rank LOCK_RANK_PRINTF) serialises whole printf calls.
 * After a panic, the panicking hart prints without the lock (it may hold
 * it) and every other hart that tries to print stops (panic_stop).
 */
#include <stdarg.h>
#include "arch/riscv.h"
#include "arch/memlayout.h"
#include "dev/dev.h"
#include "lib/lib.h"
#include "sync/spinlock.h"

static struct spinlock printf_lock;  /* rank LOCK_RANK_PRINTF */

void
printf_init(void)
{
  spinlock_init(&printf_lock, "printf", LOCK_RANK_PRINTF);
}

void
console_put(void *ctx, char c)
{
  (void)ctx;
  /* A hart already inside printf when another panics stops at its next
   * character, so its line cannot splice into the panic report. */
  if (panicking && panicking != (int)r_tp() + 1)
    panic_stop();
  uart_putc_sync(c);
}

int
printf(const char *fmt, ...)
{
  va_list ap;
  int n;
  int mine = panicking == 0;

  if (!mine && panicking != (int)r_tp() + 1)
    panic_stop();
  if (mine)
    acquire(&printf_lock);
  va_start(ap, fmt);
  n = fmt_vformat(console_put, NULL, fmt, ap);
  va_end(ap);
  if (mine)
    release(&printf_lock);
  return n;
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
