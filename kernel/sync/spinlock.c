/*
 * spinlock.c: test-and-set spinlocks, the per-hart held-lock stack and the
 * lock-order check described in spinlock.h.
 *
 * Per-hart state lives in hart_locks[hartid]; only that hart touches its
 * entry, with interrupts off, so it needs no lock of its own.
 */
#include "arch/riscv.h"
#include "lib/lib.h"
#include "param.h"
#include "sync/spinlock.h"
#include "uapi/lockstat.h"

/* Lock classes: a name each, claimed lock-free by the first spinlock_init
 * that uses it; the last slot takes every name that finds the table full. */
static const char *class_names[LOCKSTAT_CLASSES];   /* [a] NULL: free slot */
#define CLASS_OTHER (LOCKSTAT_CLASSES - 1)

/* One hart's counts per class; only that hart writes them. */
struct class_counts {
  uint64 acquires[LOCKSTAT_CLASSES];
  uint64 contended[LOCKSTAT_CLASSES];
  uint64 spins[LOCKSTAT_CLASSES];
};

struct hart_locks {
  int noff;                                /* push_off depth */
  int intena;                              /* interrupts were on at depth 0 */
  int nheld;
  struct spinlock *held[LOCKS_HELD_MAX];   /* in acquisition order, ranks rising */
  struct spinlock *waiting;                /* spinning for it (for gdb's `harts`) */
  struct class_counts counts;
} __attribute__((aligned(64)));

static struct hart_locks hart_locks[NCPU];
static void (*spin_poll)(void);          /* [I] spinlock_set_poll */

static struct hart_locks *
my_locks(void)
{
  return &hart_locks[r_tp()];
}

/* push_off and pop_off, inlined into acquire and release (on QEMU every
 * call and return is a lookup of the next translated block). */
static inline __attribute__((always_inline)) struct hart_locks *
hart_push_off(void)
{
  /* Off, and whether they were on, in one CSR instruction: each is dear
   * on QEMU. */
  int old = (csr_read_clear(sstatus, SSTATUS_SIE) & SSTATUS_SIE) != 0;
  struct hart_locks *h = my_locks();
  if (h->noff == 0)
    h->intena = old;
  h->noff++;
  return h;
}

static inline __attribute__((always_inline)) void
hart_pop_off(struct hart_locks *h)
{
  if (intr_get())
    panic("spinlock: pop_off with interrupts on");
  if (h->noff < 1)
    panic("spinlock: pop_off without push_off");
  h->noff--;
  if (h->noff == 0 && h->intena)
    intr_on();
}

static int
class_of(const char *name)
{
  for (int i = 0; i < CLASS_OTHER; i++) {
    const char *c = __atomic_load_n(&class_names[i], __ATOMIC_ACQUIRE);
    if (c == NULL) {
      const char *none = NULL;
      if (__atomic_compare_exchange_n(&class_names[i], &none, name, 0,
                                      __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return i;
      c = none;              /* another hart claimed it: which name? */
    }
    if (c == name || strcmp(c, name) == 0)
      return i;
  }
  return CLASS_OTHER;
}

void
spinlock_init(struct spinlock *lk, const char *name, int rank)
{
  lk->locked = 0;
  lk->hart = -1;
  lk->pc = 0;
  lk->name = name;
  lk->rank = rank;
  lk->cls = class_of(name);
  lk->acquires = 0;
  lk->spins = 0;
}

int
spinlock_stats(struct lockstat *out, int max)
{
  int n = 0;

  for (int c = 0; c < LOCKSTAT_CLASSES; c++) {
    const char *name = __atomic_load_n(&class_names[c], __ATOMIC_ACQUIRE);
    if (c == CLASS_OTHER)
      name = "(other)";
    if (name == NULL)
      break;
    struct lockstat s = { .acquires = 0 };
    for (int h = 0; h < NCPU; h++) {
      const struct class_counts *k = &hart_locks[h].counts;
      s.acquires += __atomic_load_n(&k->acquires[c], __ATOMIC_RELAXED);
      s.contended += __atomic_load_n(&k->contended[c], __ATOMIC_RELAXED);
      s.spins += __atomic_load_n(&k->spins[c], __ATOMIC_RELAXED);
    }
    if (c == CLASS_OTHER && s.acquires == 0)
      break;
    strlcpy(s.name, name, LOCKSTAT_NAME);
    if (n < max)
      out[n] = s;
    n++;
  }
  return n;
}

int
holding(struct spinlock *lk)
{
  return __atomic_load_n(&lk->locked, __ATOMIC_RELAXED) &&
         lk->hart == (int)r_tp();
}

void
acquire(struct spinlock *lk)
{
  struct hart_locks *h = hart_push_off();

  if (holding(lk))
    panic("spinlock: recursive acquire of %s (first taken at %p)",
          lk->name, (void *)lk->pc);
  if (h->nheld > 0 && h->held[h->nheld - 1]->rank >= lk->rank)
    panic("spinlock: lock order: acquiring %s (rank %d) while holding %s (rank %d)",
          lk->name, lk->rank, h->held[h->nheld - 1]->name,
          h->held[h->nheld - 1]->rank);
  if (h->nheld == LOCKS_HELD_MAX)
    panic("spinlock: more than %d locks held, acquiring %s",
          LOCKS_HELD_MAX, lk->name);

  h->waiting = lk;
  uint64 spins = 0;
  while (__atomic_exchange_n(&lk->locked, 1, __ATOMIC_ACQUIRE) != 0) {
    spins++;
    if (panicking)
      panic_stop();
    if (spin_poll != NULL)
      spin_poll();
    spin_relax();
  }
  h->waiting = NULL;
  lk->hart = (int)r_tp();
  lk->pc = (uint64)__builtin_return_address(0);
  h->held[h->nheld++] = lk;
  lk->acquires++;
  lk->spins += spins;
  /* Only this hart writes its counts; single stores (store_once) keep
   * spinlock_stats, reading from another hart, from ever seeing a torn
   * word. */
  store_once(h->counts.acquires[lk->cls], h->counts.acquires[lk->cls] + 1);
  if (spins != 0) {
    store_once(h->counts.contended[lk->cls], h->counts.contended[lk->cls] + 1);
    store_once(h->counts.spins[lk->cls], h->counts.spins[lk->cls] + spins);
  }
}

void
spinlock_set_poll(void (*fn)(void))
{
  spin_poll = fn;
}

void
release(struct spinlock *lk)
{
  struct hart_locks *h = my_locks();
  int i;

  if (!holding(lk))
    panic("spinlock: release of %s by hart %d, owner is hart %d",
          lk->name, (int)r_tp(), lk->hart);

  /* Locks need not be released in LIFO order; removing any entry keeps
   * the stack's ranks rising. */
  for (i = h->nheld - 1; i >= 0 && h->held[i] != lk; i--)
    ;
  for (; i < h->nheld - 1; i++)
    h->held[i] = h->held[i + 1];
  h->nheld--;

  lk->hart = -1;
  lk->pc = 0;
  store_release32(&lk->locked, 0);
  hart_pop_off(h);
}

void
push_off(void)
{
  (void)hart_push_off();
}

void
pop_off(void)
{
  hart_pop_off(my_locks());
}

int
spinlock_intena(void)
{
  return my_locks()->intena;
}

void
spinlock_set_intena(int intena)
{
  my_locks()->intena = intena;
}

int
spinlock_held_count(void)
{
  push_off();
  int n = my_locks()->nheld;
  pop_off();
  return n;
}

const char *
spinlock_held_name(int i)
{
  push_off();
  struct hart_locks *h = my_locks();
  const char *name = i >= 0 && i < h->nheld ? h->held[i]->name : "";
  pop_off();
  return name;
}

void
spinlock_format_held(int hart, char *buf, int n, int *len)
{
  struct hart_locks *h = &hart_locks[hart];

  if (h->nheld == 0 && *len < n)
    *len += fmt_snprintf(buf + *len, n - *len, "  holds no lock\n");
  for (int i = 0; i < h->nheld && *len < n; i++)
    *len += fmt_snprintf(buf + *len, n - *len, "  holds %s (taken at %p)\n",
                         h->held[i]->name, (void *)h->held[i]->pc);
  struct spinlock *w = h->waiting;
  if (w != NULL && *len < n)
    *len += fmt_snprintf(buf + *len, n - *len,
                         "  spins for %s (held by hart %d, taken at %p)\n",
                         w->name, w->hart, (void *)w->pc);
}
