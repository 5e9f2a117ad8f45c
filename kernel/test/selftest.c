/*
 * selftest.c: the self-test runner, its barrier, and the spinlock and timer
 * cases. Cases from every table run in order; all harts run each case at
 * once, and hart 0 alone prints. See selftest.h for the output contract.
 */
#include <stdarg.h>
#include "arch/riscv.h"
#include "dev/dev.h"
#include "lib/lib.h"
#include "param.h"
#include "sync/spinlock.h"
#include "test/selftest.h"
#include "trap/trap.h"

static struct {
  volatile int count;          /* [a] harts arrived at the current barrier */
  volatile int sense;          /* [a] flips when the last one arrives */
  int local_sense[NCPU];       /* [h] each hart's own view */
} barrier;

static struct {
  volatile int failed;         /* [a] the running case failed */
  volatile int claimed;        /* [a] some hart is writing reason */
  char reason[160];            /* written once per case, by the claimer */
} result;

void
selftest_barrier(struct selftest_ctx *c)
{
  int sense = !barrier.local_sense[c->hart];

  barrier.local_sense[c->hart] = sense;
  if (__atomic_add_fetch(&barrier.count, 1, __ATOMIC_ACQ_REL) == c->nharts) {
    barrier.count = 0;
    __atomic_store_n(&barrier.sense, sense, __ATOMIC_RELEASE);
  } else {
    while (__atomic_load_n(&barrier.sense, __ATOMIC_ACQUIRE) != sense) {
      if (panicking)
        panic_stop();
      spin_relax();
    }
  }
}

void
selftest_fail(const char *fmt, ...)
{
  va_list ap;

  if (__sync_bool_compare_and_swap(&result.claimed, 0, 1)) {
    va_start(ap, fmt);
    fmt_vsnprintf(result.reason, sizeof(result.reason), fmt, ap);
    va_end(ap);
  }
  __atomic_store_n(&result.failed, 1, __ATOMIC_RELEASE);
}

static const struct selftest_case *const tables[] = {
  selftest_sync_cases,
  selftest_mm_cases,
};

void
selftest_main(int nharts)
{
  struct selftest_ctx c = { (int)r_tp(), nharts, 1 };
  char which[64] = "", seed[24];
  int n = 0, failed = 0;

  bootarg("selftest", which, sizeof(which));
  if (bootarg("seed", seed, sizeof(seed)))
    c.seed = (uint64)atoi(seed);
  if (c.hart == 0)
    printf("selftest: seed %d, %d harts%s%s\n", (int)c.seed, nharts,
           which[0] ? ", case " : "", which);

  for (unsigned t = 0; t < NELEM(tables); t++) {
    for (const struct selftest_case *tc = tables[t]; tc->name; tc++) {
      if (which[0] ? strcmp(which, tc->name) != 0 : tc->only_by_name)
        continue;
      if (c.hart == 0) {
        result.failed = 0;
        result.claimed = 0;
        result.reason[0] = '\0';
        if (tc->only_by_name)
          printf("selftest: running %s by name\n", tc->name);
      }
      selftest_barrier(&c);
      tc->fn(&c);
      selftest_barrier(&c);
      if (c.hart == 0) {
        n++;
        if (result.failed) {
          failed++;
          printf("not ok %d %s # seed %d: %s\n", n, tc->name, (int)c.seed,
                 result.reason);
        } else {
          printf("ok %d %s\n", n, tc->name);
        }
      }
    }
  }

  if (c.hart != 0)
    hart_park();
  if (n == 0) {
    printf("not ok 1 selftest # no case named '%s'\n", which);
    failed = n = 1;
  }
  printf("%d passed, %d failed\n", n - failed, failed);
  finisher_exit(failed ? 1 : 0);
}

/* ---- spinlock cases ---- */

#define COUNTER_ROUNDS 20000

static struct spinlock counter_lock;
static uint64 counter;

static void
spinlock_counter_is_exact(struct selftest_ctx *c)
{
  if (c->hart == 0) {
    spinlock_init(&counter_lock, "test_counter", LOCK_RANK_TEST);
    counter = 0;
  }
  selftest_barrier(c);
  for (int i = 0; i < COUNTER_ROUNDS; i++) {
    acquire(&counter_lock);
    /* A read and a write apart, so a broken lock loses updates quickly. */
    uint64 v = counter;
    asm volatile("" ::: "memory");
    counter = v + 1;
    release(&counter_lock);
  }
  selftest_barrier(c);
  if (c->hart == 0 && counter != (uint64)COUNTER_ROUNDS * c->nharts)
    selftest_fail("counter %d, expected %d", (int)counter,
                  COUNTER_ROUNDS * c->nharts);
}

static void
spinlock_tracks_owner_and_interrupts(struct selftest_ctx *c)
{
  struct spinlock outer, inner;

  spinlock_init(&outer, "test_outer", LOCK_RANK_WAIT);
  spinlock_init(&inner, "test_inner", LOCK_RANK_TEST);
  intr_on();
  acquire(&outer);
  if (intr_get())
    selftest_fail("hart %d: interrupts on while holding a lock", c->hart);
  acquire(&inner);
  if (!holding(&outer) || !holding(&inner) || outer.hart != c->hart)
    selftest_fail("hart %d: holding() or owner wrong", c->hart);
  if (spinlock_held_count() != 2)
    selftest_fail("hart %d: held count %d, expected 2", c->hart,
                  spinlock_held_count());
  release(&outer);            /* out of LIFO order on purpose */
  if (intr_get())
    selftest_fail("hart %d: interrupts on with a lock still held", c->hart);
  release(&inner);
  if (!intr_get())
    selftest_fail("hart %d: interrupts not restored after release", c->hart);
  if (outer.hart != -1 || inner.locked)
    selftest_fail("hart %d: released lock still shows an owner", c->hart);
}

static void
timer_ticks_on_every_hart(struct selftest_ctx *c)
{
  uint64 start = timer_hart_ticks(c->hart);
  uint64 deadline = r_time() + 5 * boot_info.timebase_hz;

  intr_on();
  while (timer_hart_ticks(c->hart) < start + 3 && r_time() < deadline)
    ;
  if (timer_hart_ticks(c->hart) < start + 3)
    selftest_fail("hart %d took %d ticks in 5 s", c->hart,
                  (int)(timer_hart_ticks(c->hart) - start));
}

/* Needs a host that types at least 5 keys on the console (tests/ does). */
static void
console_receives_typed_input(struct selftest_ctx *c)
{
  uint64 deadline = r_time() + 20 * boot_info.timebase_hz;

  if (c->hart != 0)
    return;
  printf("selftest: type 5 keys\n");
  while (console_chars_received() < 5 && r_time() < deadline)
    wfi();
  printf("\n");
  if (console_chars_received() < 5)
    selftest_fail("%d keys arrived in 20 s", (int)console_chars_received());
}

/* One hart holds a lock for three ticks, interrupts off, while every
 * other hart spins for it with its own tick pending: each must get it in
 * turn. tests/ runs the cases under single-threaded QEMU (-icount) too,
 * where a spinning hart must hand the host thread over (spin_relax,
 * riscv.h). This case passes there without spin_relax as well: the
 * starvation it prevents (fuzz runs that hung, docs/design.md) needs a
 * timing this case does not reproduce. */
static struct spinlock slow_lock;
static volatile int slow_held;     /* [a] the holder has slow_lock */

static void
spinlock_waiters_let_a_slow_holder_finish(struct selftest_ctx *c)
{
  if (c->hart == 0) {
    spinlock_init(&slow_lock, "test_slow", LOCK_RANK_TEST);
    slow_held = 0;
  }
  selftest_barrier(c);
  if (selftest_last_hart(c)) {
    acquire(&slow_lock);
    __atomic_store_n(&slow_held, 1, __ATOMIC_RELEASE);
    uint64 until = r_time() + 3 * (boot_info.timebase_hz / TICK_HZ);
    while (r_time() < until)
      ;
    release(&slow_lock);
    return;
  }
  while (!__atomic_load_n(&slow_held, __ATOMIC_ACQUIRE))
    spin_relax();
  acquire(&slow_lock);
  release(&slow_lock);
}

/* ---- cases that must panic (run by name; tests/ checks the message) ---- */


static void
spinlock_recursive_acquire_panics(struct selftest_ctx *c)
{
  static struct spinlock lk;

  if (!selftest_last_hart(c))
    return;
  spinlock_init(&lk, "test_recursive", LOCK_RANK_TEST);
  acquire(&lk);
  acquire(&lk);
}

static void
spinlock_release_unowned_panics(struct selftest_ctx *c)
{
  static struct spinlock lk;

  if (!selftest_last_hart(c))
    return;
  spinlock_init(&lk, "test_unowned", LOCK_RANK_TEST);
  release(&lk);
}

static void
spinlock_order_inversion_panics(struct selftest_ctx *c)
{
  static struct spinlock inner, outer;

  if (!selftest_last_hart(c))
    return;
  spinlock_init(&inner, "test_inner", LOCK_RANK_TEST);
  spinlock_init(&outer, "test_outer", LOCK_RANK_WAIT);
  acquire(&inner);
  acquire(&outer);
}

/* Turning interrupts on inside a locked region: the next tick must panic. */
static void
spinlock_held_across_interrupt_panics(struct selftest_ctx *c)
{
  static struct spinlock lk;

  if (!selftest_last_hart(c))
    return;
  spinlock_init(&lk, "test_irq", LOCK_RANK_TEST);
  acquire(&lk);
  intr_on();                 /* the bug under test */
  for (;;)
    wfi();
}

const struct selftest_case selftest_sync_cases[] = {
  { "spinlock_counter_is_exact", spinlock_counter_is_exact, 0 },
  { "spinlock_tracks_owner_and_interrupts", spinlock_tracks_owner_and_interrupts, 0 },
  { "spinlock_waiters_let_a_slow_holder_finish",
    spinlock_waiters_let_a_slow_holder_finish, 0 },
  { "timer_ticks_on_every_hart", timer_ticks_on_every_hart, 0 },
  { "console_receives_typed_input", console_receives_typed_input, 1 },
  { "spinlock_recursive_acquire_panics", spinlock_recursive_acquire_panics, 1 },
  { "spinlock_release_unowned_panics", spinlock_release_unowned_panics, 1 },
  { "spinlock_order_inversion_panics", spinlock_order_inversion_panics, 1 },
  { "spinlock_held_across_interrupt_panics", spinlock_held_across_interrupt_panics, 1 },
  { NULL, NULL, 0 },
};
