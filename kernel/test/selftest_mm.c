/*
 * selftest_mm.c: self-tests of the two shared allocators, pmem and the
 * mmap_region_node pool (the parallel ones on every hart at once, the
 * others on hart 0 while the rest wait); and the misuse cases that must
 * panic.
 */
#include "arch/memlayout.h"
#include "dev/dev.h"
#include "lib/lib.h"
#include "mm/mm.h"
#include "param.h"
#include "test/selftest.h"

/* ---- pmem: concurrent alloc/free with a page-claim bitmap ---- */

#define PMEM_ROUNDS     2000
#define PMEM_HELD_MAX   32
#define CLAIM_RAM_MAX   (4UL << 30)   /* the bitmap covers this much RAM */
#define CLAIM_WORDS     (CLAIM_RAM_MAX / PGSIZE / 64)

static uint64 claimed[CLAIM_WORDS];   /* [a] bit per page: held by a test hart */
static struct memstat pmem_before;    /* hart 0 only */

static uint64
stamp(int hart, uint64 pa, uint64 word)
{
  return ((uint64)(hart + 1) << 56) ^ (pa << 8) ^ word;
}

/* set: marks pa held, returning 0 if some hart already held it.
 * !set: clears the mark, returning 1 if it was there. */
static int
claim(uint64 pa, int set)
{
  uint64 idx = (KPA(pa) - boot_info.ram_base) / PGSIZE;   /* pa: the page's kernel address */
  uint64 bit = 1ULL << (idx % 64);

  if (set)
    return !(__atomic_fetch_or(&claimed[idx / 64], bit, __ATOMIC_ACQ_REL) & bit);
  return !!(__atomic_fetch_and(&claimed[idx / 64], ~bit, __ATOMIC_ACQ_REL) & bit);
}

static void
take_page(struct selftest_ctx *c, void **held, int *nheld)
{
  uint64 *p = pmem_alloc(PMEM_OTHER, c->hart + 1);

  if (p == NULL) {
    selftest_fail("hart %d: pmem_alloc returned NULL", c->hart);
    return;
  }
  for (uint64 w = 0; w < PGSIZE / 8; w++)
    if (p[w] != 0) {
      selftest_fail("hart %d: page %p not zeroed at word %d", c->hart,
                    (void *)p, (int)w);
      break;
    }
  if (!claim((uint64)p, 1))
    selftest_fail("hart %d: page %p handed out while another hart held it",
                  c->hart, (void *)p);
  if (pmem_kind(p) != PMEM_OTHER || pmem_owner(p) != c->hart + 1)
    selftest_fail("hart %d: page %p has kind %d owner %d", c->hart, (void *)p,
                  pmem_kind(p), pmem_owner(p));
  for (uint64 w = 0; w < PGSIZE / 8; w++)
    p[w] = stamp(c->hart, (uint64)p, w);
  held[(*nheld)++] = p;
}

static void
give_page(struct selftest_ctx *c, void **held, int *nheld, int k)
{
  uint64 *p = held[k];

  for (uint64 w = 0; w < PGSIZE / 8; w++)
    if (p[w] != stamp(c->hart, (uint64)p, w)) {
      selftest_fail("hart %d: page %p overwritten at word %d while held",
                    c->hart, (void *)p, (int)w);
      break;
    }
  /* Unclaim before freeing: the page may be handed out again at once. */
  if (!claim((uint64)p, 0))
    selftest_fail("hart %d: page %p lost its claim", c->hart, (void *)p);
  pmem_free(p);
  held[k] = held[--(*nheld)];
}

static void
pmem_parallel_alloc_free_never_shares_a_page(struct selftest_ctx *c)
{
  void *held[PMEM_HELD_MAX];
  int nheld = 0;
  uint64 rng = c->seed * 0x9e3779b97f4a7c15ULL + (uint64)c->hart + 1;

  if (c->hart == 0) {
    if (boot_info.ram_size > CLAIM_RAM_MAX)
      selftest_fail("RAM larger than the claim bitmap covers");
    memset(claimed, 0, sizeof(claimed));
    pmem_stat(&pmem_before);
  }
  selftest_barrier(c);
  if (boot_info.ram_size <= CLAIM_RAM_MAX) {
    for (int r = 0; r < PMEM_ROUNDS; r++) {
      uint64 x = rand_next(&rng);
      if (nheld == 0 || (nheld < PMEM_HELD_MAX && (x & 1)))
        take_page(c, held, &nheld);
      else
        give_page(c, held, &nheld, (int)((x >> 1) % (uint64)nheld));
    }
    while (nheld > 0)
      give_page(c, held, &nheld, nheld - 1);
  }
  selftest_barrier(c);
  if (c->hart == 0) {
    struct memstat after;
    pmem_stat(&after);
    if (after.pages_free != pmem_before.pages_free ||
        after.pages_by_kind[PMEM_OTHER] != pmem_before.pages_by_kind[PMEM_OTHER])
      selftest_fail("pages_free %d -> %d, other %d -> %d",
                    (int)pmem_before.pages_free, (int)after.pages_free,
                    (int)pmem_before.pages_by_kind[PMEM_OTHER],
                    (int)after.pages_by_kind[PMEM_OTHER]);
  }
}

static void
pmem_poisons_free_pages_and_zeroes_new_ones(struct selftest_ctx *c)
{
  if (c->hart != 0)
    return;
  uint8 *p = pmem_alloc(PMEM_OTHER, 0);
  if (p == NULL) {
    selftest_fail("pmem_alloc returned NULL");
    return;
  }
  memset(p, 0xa5, PGSIZE);
  pmem_free(p);
  /* Reading a free page is a bug anywhere else; here it is the point. */
  for (uint64 i = 0; i < PGSIZE; i++)
    if (p[i] != PMEM_POISON_BYTE) {
      selftest_fail("freed page %p holds %x at byte %d", (void *)p, p[i], (int)i);
      break;
    }
  if (pmem_kind(p) != PMEM_FREE)
    selftest_fail("freed page has kind %d", pmem_kind(p));
  if (pmem_kind((void *)KVA(KERNBASE)) != -1)
    selftest_fail("kernel text reported as a managed page");
}

static void
pmem_exhaustion_returns_null_and_recovers(struct selftest_ctx *c)
{
  if (c->hart != 0)
    return;
  struct memstat before, empty, after;
  uint64 *chain = NULL, n = 0;

  pmem_stat(&before);
  for (uint64 *p; (p = pmem_alloc(PMEM_OTHER, 0)) != NULL; n++) {
    *p = (uint64)chain;
    chain = p;
  }
  pmem_stat(&empty);
  if (n != before.pages_free || empty.pages_free != 0)
    selftest_fail("took %d pages of %d free, %d left", (int)n,
                  (int)before.pages_free, (int)empty.pages_free);
  while (chain != NULL) {
    uint64 *next = (uint64 *)*chain;
    pmem_free(chain);
    chain = next;
  }
  pmem_stat(&after);
  if (after.pages_free != before.pages_free)
    selftest_fail("pages_free %d after refilling, expected %d",
                  (int)after.pages_free, (int)before.pages_free);
}

/* ---- the mmap_region_node pool ---- */

static struct mmap_region_node *taken[NCPU][N_MMAP]; /* [h] row per hart */
static int ntaken[NCPU];                             /* [h] */
static uint32 seen[N_MMAP];                          /* [a] */
static struct memstat pool_before;                   /* hart 0 only */

static void
pool_parallel_drain_sees_every_node_once(struct selftest_ctx *c)
{
  struct mmap_region_node *n;
  int h = c->hart;

  if (h == 0) {
    memset(seen, 0, sizeof(seen));
    mmap_stat(&pool_before);
  }
  ntaken[h] = 0;
  selftest_barrier(c);
  while ((n = mmap_region_alloc()) != NULL) {
    int i = mmap_region_index(n);
    if (i < 0 || ntaken[h] == N_MMAP) {
      selftest_fail("hart %d: node %p is not from the pool", h, (void *)n);
      break;
    }
    __atomic_add_fetch(&seen[i], 1, __ATOMIC_RELAXED);
    n->begin = (uint64)h;   /* scribble, as a user of the node would */
    taken[h][ntaken[h]++] = n;
  }
  selftest_barrier(c);
  if (h == 0) {
    struct memstat m;
    int total = 0;
    mmap_stat(&m);
    for (int i = 0; i < N_MMAP; i++) {
      if (seen[i] != 1)
        selftest_fail("node %d handed out %d times", i, (int)seen[i]);
      total += (int)seen[i];
    }
    for (int k = 0; k < c->nharts; k++)
      total -= ntaken[k];
    if (m.nodes_free != 0 || total != 0 || pool_before.nodes_free != N_MMAP)
      selftest_fail("after the drain %d free, counts differ by %d",
                    (int)m.nodes_free, total);
  }
  selftest_barrier(c);
  for (int k = 0; k < ntaken[h]; k++)
    mmap_region_free(taken[h][k]);
  selftest_barrier(c);
  if (h == 0) {
    struct memstat m;
    mmap_stat(&m);
    if (m.nodes_free != pool_before.nodes_free)
      selftest_fail("nodes_free %d after refill, expected %d",
                    (int)m.nodes_free, (int)pool_before.nodes_free);
  }
}

static void
pool_free_list_is_a_stack(struct selftest_ctx *c)
{
  if (c->hart != 0)
    return;
  struct mmap_region_node *a = mmap_region_alloc();
  struct mmap_region_node *b = mmap_region_alloc();
  if (a == NULL || b == NULL || a == b) {
    selftest_fail("two allocations gave %p and %p", (void *)a, (void *)b);
    return;
  }
  mmap_region_free(a);
  mmap_region_free(b);
  struct mmap_region_node *x = mmap_region_alloc();
  struct mmap_region_node *y = mmap_region_alloc();
  if (x != b || y != a)
    selftest_fail("freed %d then %d, got back %d then %d",
                  mmap_region_index(a), mmap_region_index(b),
                  mmap_region_index(x), mmap_region_index(y));
  if (x->begin != 0 || x->npages != 0 || x->next != NULL)
    selftest_fail("a fresh node is not zeroed");
  mmap_region_free(x);
  mmap_region_free(y);
}

/* ---- the kernel half of every table ---- */

/* A new space maps the kernel exactly as the kernel table does (its root
 * entries from KROOT_FIRST on), and the check the audit makes of it sees
 * one entry changed. */
static void
every_space_maps_the_kernel_half(struct selftest_ctx *c)
{
  if (!selftest_last_hart(c))
    return;
  struct uvm *vm = uvm_alloc();
  if (vm == NULL) {
    selftest_fail("uvm_alloc failed");
    return;
  }
  int e = kvm_unshared_entry(vm->pt);
  if (e >= 0)
    selftest_fail("a new space's root entry %d is not the kernel's", e);
  pte_t saved = vm->pt[KROOT_FIRST + 5];
  vm->pt[KROOT_FIRST + 5] = saved ^ PTE_V;
  e = kvm_unshared_entry(vm->pt);
  vm->pt[KROOT_FIRST + 5] = saved;
  if (e != KROOT_FIRST + 5)
    selftest_fail("a changed root entry %d went unseen (check said %d)", KROOT_FIRST + 5, e);
  uvm_put(vm);
}

/* ---- misuse that must panic ---- */


static void
pmem_double_free_panics(struct selftest_ctx *c)
{
  if (!selftest_last_hart(c))
    return;
  void *p = pmem_alloc(PMEM_OTHER, 0);
  pmem_free(p);
  pmem_free(p);
}

static void
pmem_free_of_unmanaged_address_panics(struct selftest_ctx *c)
{
  if (!selftest_last_hart(c))
    return;
  pmem_free((void *)KVA(KERNBASE));
}

static void
pmem_write_after_free_panics(struct selftest_ctx *c)
{
  if (!selftest_last_hart(c))
    return;
  uint64 *p = pmem_alloc(PMEM_OTHER, 0);
  pmem_free(p);
  p[100] = 1;                       /* the bug under test */
  pmem_alloc(PMEM_OTHER, 0);        /* LIFO: hands p back and checks it */
}

static void
pool_double_free_panics(struct selftest_ctx *c)
{
  if (!selftest_last_hart(c))
    return;
  struct mmap_region_node *n = mmap_region_alloc();
  mmap_region_free(n);
  mmap_region_free(n);
}

static void
pool_free_of_foreign_node_panics(struct selftest_ctx *c)
{
  static struct mmap_region_node impostor;

  if (!selftest_last_hart(c))
    return;
  mmap_region_free(&impostor);
}

const struct selftest_case selftest_mm_cases[] = {
  { "pmem_parallel_alloc_free_never_shares_a_page",
    pmem_parallel_alloc_free_never_shares_a_page, 0 },
  { "pmem_poisons_free_pages_and_zeroes_new_ones",
    pmem_poisons_free_pages_and_zeroes_new_ones, 0 },
  { "pmem_exhaustion_returns_null_and_recovers",
    pmem_exhaustion_returns_null_and_recovers, 0 },
  { "pool_parallel_drain_sees_every_node_once",
    pool_parallel_drain_sees_every_node_once, 0 },
  { "pool_free_list_is_a_stack", pool_free_list_is_a_stack, 0 },
  { "every_space_maps_the_kernel_half", every_space_maps_the_kernel_half, 0 },
  { "pmem_double_free_panics", pmem_double_free_panics, 1 },
  { "pmem_free_of_unmanaged_address_panics", pmem_free_of_unmanaged_address_panics, 1 },
  { "pmem_write_after_free_panics", pmem_write_after_free_panics, 1 },
  { "pool_double_free_panics", pool_double_free_panics, 1 },
  { "pool_free_of_foreign_node_panics", pool_free_of_foreign_node_panics, 1 },
  { NULL, NULL, 0 },
};
