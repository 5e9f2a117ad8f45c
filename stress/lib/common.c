/*
 * common.c: helpers shared by the stress driver, its workers and the exec
 * target. See stress.h.
 */
#include <stdarg.h>
#include "lib/fmt.h"
#include "stress.h"

uint64
stress_rand(uint64 *state)
{
  uint64 x = *state ? *state : 0x2545f4914f6cdd1dULL;

  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return x * 0x2545f4914f6cdd1dULL;
}

uint64
stress_below(uint64 *state, uint64 n)
{
  return n ? stress_rand(state) % n : 0;
}

void
stress_fill_page(uint64 seed, uint64 page, uint64 gen)
{
  for (uint64 a = page; a < page + PGSIZE; a += STRESS_STRIDE)
    *(volatile uint64 *)a = stress_pattern(seed, a, gen);
}

uint64
stress_check_page(uint64 seed, uint64 page, uint64 gen)
{
  for (uint64 a = page; a < page + PGSIZE; a += STRESS_STRIDE)
    if (*(volatile uint64 *)a != stress_pattern(seed, a, gen))
      return a;
  return 0;
}

uint64 stress_run_seed;
int stress_worker_id = -1;

void
stress_fail(uint64 seed, const char *fmt, ...)
{
  char buf[200];
  va_list ap;

  va_start(ap, fmt);
  fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  if (stress_worker_id >= 0)
    fprintf(2, "stress: FAIL seed %d worker %d pid %d: %s\n", (int)stress_run_seed,
            stress_worker_id, getpid(), buf);
  else
    fprintf(2, "stress: FAIL seed %d pid %d: %s\n", (int)seed, getpid(), buf);
  exit(1);
}
