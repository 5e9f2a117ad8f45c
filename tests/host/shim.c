/*
 * shim.c: host stand-ins for the kernel services that pmem.c, mmap.c and
 * fdt.c call: spinlocks, panic, hart_park, strlcpy. See shim.h.
 */
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lib.h"
#include "mm/mm.h"
#include "sync/spinlock.h"
#include "shim.h"

static _Thread_local int my_hart;

/* No failure injection on the host. */
int mm_fail_armed;
int (*mm_fail_hook)(int what);
static _Thread_local jmp_buf *panic_env;
char shim_panic_msg[256];
volatile int panicking;

void
shim_set_hart(int hart)
{
  my_hart = hart;
}

void
shim_expect_panic(jmp_buf *env)
{
  panic_env = env;
}

void
panic(const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(shim_panic_msg, sizeof(shim_panic_msg), fmt, ap);
  va_end(ap);
  if (panic_env != NULL) {
    jmp_buf *env = panic_env;
    panic_env = NULL;
    longjmp(*env, 1);
  }
  fprintf(stderr, "unexpected panic (hart %d): %s\n", my_hart, shim_panic_msg);
  abort();
}

void
hart_park(void)
{
  abort();
}

void
spinlock_init(struct spinlock *lk, const char *name, int rank)
{
  __atomic_store_n(&lk->locked, 0, __ATOMIC_RELAXED);
  lk->hart = -1;
  lk->pc = 0;
  lk->name = name;
  lk->rank = rank;
}

int
holding(struct spinlock *lk)
{
  return __atomic_load_n(&lk->locked, __ATOMIC_RELAXED) &&
         __atomic_load_n(&lk->hart, __ATOMIC_RELAXED) == my_hart;
}

void
acquire(struct spinlock *lk)
{
  if (holding(lk))
    panic("spinlock: recursive acquire of %s", lk->name);
  while (__atomic_exchange_n(&lk->locked, 1, __ATOMIC_ACQUIRE) != 0)
    sched_yield();
  __atomic_store_n(&lk->hart, my_hart, __ATOMIC_RELAXED);
}

void
release(struct spinlock *lk)
{
  if (!holding(lk))
    panic("spinlock: release of %s by hart %d", lk->name, my_hart);
  __atomic_store_n(&lk->hart, -1, __ATOMIC_RELAXED);
  __atomic_store_n(&lk->locked, 0, __ATOMIC_RELEASE);
}

/* The host's audit only counts what mmap_audit reports (shim.h). */
void
audit_node(struct audit *a, const struct mmap_region_node *n)
{
  (void)n;
  a->nodes++;
}

int
mm_hart(void)
{
  return my_hart;
}

void push_off(void) {}
void pop_off(void) {}

unsigned long
strlcpy(char *dst, const char *src, unsigned long n)
{
  unsigned long len = strlen(src);

  if (n > 0) {
    unsigned long k = len < n - 1 ? len : n - 1;
    memcpy(dst, src, k);
    dst[k] = '\0';
  }
  return len;
}
