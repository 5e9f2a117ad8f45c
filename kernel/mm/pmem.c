/*
 * pmem.c: the physical page allocator: one shared free list under one
 * spinlock, and a small cache of free pages per hart in front of it.
 *
 * Each managed page has a struct page_info (kind, owner, free-list link);
 * the array sits in the first pages of the managed range. The free list is
 * threaded through those records, not through the pages, so a free page
 * is poison from its first byte to its last, and pmem_alloc can check that
 * nobody wrote to it while it was free.
 *
 * Per-hart caches: each hart keeps up to PCACHE_MAX free pages (struct
 * pcache, under a lock of its own that only that hart takes on the hot
 * path). pmem_alloc takes the newest page of the caller's cache and
 * pmem_free gives it back there; the cache refills from, or drains to, the
 * shared list PCACHE_BATCH pages at a time under pmem.lock, so the shared
 * lock is taken once per batch, not once per page. The shared list is a
 * list of bundles (chains of up to PCACHE_BATCH pages, linked through
 * page_info.next; the bundles through their first pages' bundle field), so
 * a refill or a drain moves a whole bundle in a few stores under the lock:
 * with more harts than host cores, a hart the host preempts while it holds
 * the lock leaves the others spinning for the host's whole time slice, and
 * the shorter the hold, the rarer that is. A cached page is free
 * in every sense the rest of the kernel sees: poison throughout, kind
 * PMEM_FREE in its record, counted in pages_free. When the shared list
 * runs dry, an allocation takes a page from another hart's cache before it
 * gives up, so a page in a cache is never out of reach.
 *
 * Counts: the pages of kind k are the sum of every cache's by_kind[k]
 * (changes made through that cache, under its lock; a page allocated on
 * one hart and freed on another makes them negative), plus, for the free
 * ones, pmem.nlisted, the shared list's length. They add up to npages.
 * pmem_stat adds them up: exact when no allocation is under way, as the
 * tests take it. A record's kind and owner
 * change under whichever lock holds the page (the shared list's or a
 * cache's); readers load them atomically.
 *
 * Reference counts: an allocated page has refs >= 1, the number of page
 * tables that map it (copy-on-write fork shares user pages), 1 for every
 * other use; a free page has 0. pmem_get/pmem_put change it atomically and
 * the last put frees the page. A level-0 page-table page is counted the
 * same way, by the level-1 entries pointing to it: fork shares whole
 * level-0 tables (uvm.c), which change their count with pmem_refs_cas. A
 * shared page keeps the kind and the owner of its first allocation (the
 * space that faulted it in): the audit checks that each user page and each
 * page-table page is found in exactly refs tables.
 *
 * pages_shared counts the user pages with refs > 1 here, plus the leaves
 * of the level-0 tables that several spaces share, which uvm.c reports
 * with pmem_count_shared as tables become shared and stop being so.
 */
#include "lib/lib.h"
#include "mm/mm.h"
#include "uapi/failinject.h"
#include "sync/spinlock.h"

#define NO_PAGE 0xffffffffU

/* The kind names, in the kernel image so messages and gdb can use them. */
const char *const pmem_kind_names[PMEM_NKINDS] = PMEM_KIND_NAMES;

struct page_info {
  /* The links: [lock] while the page is on the shared list, else [c] the
   * lock of the cache that holds it (drain chains a bundle, refill
   * unchains one, outside pmem.lock). */
  uint32 next;     /* next free page of its bundle, NO_PAGE at the end */
  uint32 bundle;   /* a bundle's first page: the next bundle's first */
  uint8 nbundle;   /* a bundle's first page: the bundle's pages */
  uint8 kind;      /* [a] enum pmem_kind */
  int32 owner;     /* [a] who allocated it: a space id, a pid, 0 */
  uint32 refs;     /* [a] page tables mapping it (1 for any other use) */
  uint32 audited;  /* [audit lock] times the audit found it */
};

static struct {
  struct spinlock lock;            /* rank LOCK_RANK_PMEM (leaf) */
  uint64 base;                     /* [I] address of page 0 */
  uint64 npages;                   /* [I] */
  struct page_info *info;          /* [I] npages records, each [lock] */
  uint32 free_head;                /* [lock] the first bundle's first page */
  uint32 free_tail;                /* [lock] the last bundle's, NO_PAGE if empty */
  uint64 nlisted;                  /* [lock] pages on the shared free list */
  uint64 shared;                   /* [a] user pages with refs > 1 */
  uint64 shared_in_tables;         /* [a] leaves of shared level-0 tables */
} pmem;

#define PCACHE_MAX   32     /* free pages a hart keeps */
#define PCACHE_BATCH 16     /* pages moved to or from the shared list at once */
_Static_assert(PCACHE_BATCH <= 255, "page_info.nbundle is a uint8");

struct pcache {
  struct spinlock lock;            /* rank LOCK_RANK_PCACHE, below pmem's */
  uint32 n;                        /* [lock] pages held */
  uint32 page[PCACHE_MAX];         /* [lock] their indexes, the newest last */
  int64 by_kind[PMEM_NKINDS];      /* [lock, read atomically] count changes */
} __attribute__((aligned(64)));

static struct pcache pcache[NCPU];

#if defined(DEBUG_NO_SHOOTDOWN) || defined(DEBUG_COW_NO_FLUSH)
/* The builds that leave stale translations on purpose (`make NO_SHOOTDOWN=1`,
 * `COW_NO_FLUSH=1`) send a freed page to the back of the shared list, past
 * every other free page, instead of the hart's cache, whose next allocation
 * would hand it out again at once: so a stale store lands in poison, which
 * the next allocation of the page names, instead of in whatever the page
 * became (a page table, where it would only surface as a confused panic). */
#define PMEM_FREE_TO_BACK 1
#endif

static void
set_record(struct page_info *pi, int kind, int owner, uint32 refs)
{
  store_once(pi->kind, (uint8)kind);
  store_once(pi->owner, owner);
  store_once(pi->refs, refs);
}

/* A page changes kind through cache c. => holds c->lock. */
static void
count_change(struct pcache *c, int from, int to)
{
  store_once(c->by_kind[from], c->by_kind[from] - 1);
  store_once(c->by_kind[to], c->by_kind[to] + 1);
}

void
pmem_init(uint64 begin, uint64 end)
{
  begin = PGROUNDUP(begin);
  end = PGROUNDDOWN(end);
  if (end <= begin)
    panic("pmem: empty range %p..%p", (void *)begin, (void *)end);

  spinlock_init(&pmem.lock, "pmem", LOCK_RANK_PMEM);
  /* n pages need n records; solve begin + roundup(n * rec) + n * PGSIZE <= end. */
  uint64 n = (end - begin) / (PGSIZE + sizeof(struct page_info));
  uint64 info_bytes = PGROUNDUP(n * sizeof(struct page_info));
  while (begin + info_bytes + n * PGSIZE > end)
    n--;
  pmem.info = (struct page_info *)begin;
  pmem.base = begin + info_bytes;
  pmem.npages = n;
  pmem.free_head = pmem.free_tail = NO_PAGE;
  for (int h = 0; h < NCPU; h++) {
    spinlock_init(&pcache[h].lock, "pmem_cache", LOCK_RANK_PCACHE);
    pcache[h].n = 0;
    memset(pcache[h].by_kind, 0, sizeof(pcache[h].by_kind));
  }

  /* Bundles of consecutive pages, the lowest first, each chained upward:
   * the lowest pages are handed out first. */
  for (uint64 i = 0; i < n; i++) {
    memset((void *)(pmem.base + i * PGSIZE), PMEM_POISON_BYTE, PGSIZE);
    pmem.info[i].kind = PMEM_FREE;
    pmem.info[i].owner = 0;
    pmem.info[i].refs = 0;
    pmem.info[i].audited = 0;
    pmem.info[i].next = (i + 1) % PCACHE_BATCH != 0 && i + 1 < n ? (uint32)(i + 1) : NO_PAGE;
    pmem.info[i].bundle = NO_PAGE;
    if (i % PCACHE_BATCH == 0) {
      pmem.info[i].nbundle = (uint8)(n - i < PCACHE_BATCH ? n - i : PCACHE_BATCH);
      if (pmem.free_tail == NO_PAGE)
        pmem.free_head = (uint32)i;
      else
        pmem.info[pmem.free_tail].bundle = (uint32)i;
      pmem.free_tail = (uint32)i;
    }
  }
  pmem.nlisted = n;
}

int64
pmem_index(void *pa)
{
  uint64 a = (uint64)(uintptr)pa;

  if (a < pmem.base || a >= pmem.base + pmem.npages * PGSIZE || (a & (PGSIZE - 1)))
    return -1;
  return (int64)((a - pmem.base) / PGSIZE);
}

/* Checks that the page still holds nothing but poison, zeroing it in the
 * same pass: one trip through the page on the allocation hot path, eight
 * words a turn (on QEMU a loop turn costs far more than a word). */
static void
check_poison_and_zero(uint64 *page)
{
  const uint64 poison = 0x0101010101010101ULL * PMEM_POISON_BYTE;

  for (uint64 *w = page; w < page + PGSIZE / sizeof(uint64); w += 8) {
    if (((w[0] ^ poison) | (w[1] ^ poison) | (w[2] ^ poison) | (w[3] ^ poison) |
         (w[4] ^ poison) | (w[5] ^ poison) | (w[6] ^ poison) | (w[7] ^ poison)) != 0) {
      for (int k = 0; k < 8; k++)
        if (w[k] != poison)
          panic("pmem: free page %p written at offset %d after free", (void *)page,
                (int)((uint64)(w + k - page) * sizeof(uint64)));
    }
    w[0] = w[1] = w[2] = w[3] = w[4] = w[5] = w[6] = w[7] = 0;
  }
}

/* Moves the shared list's first bundle into c, if there is one.
 * => holds c->lock, c is empty; takes pmem.lock. */
static void
refill(struct pcache *c)
{
  acquire(&pmem.lock);
  uint32 b = pmem.free_head;
  if (b == NO_PAGE) {
    release(&pmem.lock);
    return;
  }
  pmem.free_head = pmem.info[b].bundle;
  if (pmem.free_head == NO_PAGE)
    pmem.free_tail = NO_PAGE;
  uint32 n = pmem.info[b].nbundle;
  pmem.nlisted -= n;
  /* In the same critical section, so pmem_stat counts each page once. */
  store_once(c->by_kind[PMEM_FREE], c->by_kind[PMEM_FREE] + (int64)n);
  release(&pmem.lock);

  /* The bundle is c's alone now: unchain it into the cache. */
  for (uint32 i = b; i != NO_PAGE;) {
    uint32 next = pmem.info[i].next;
    pmem.info[i].next = pmem.info[i].bundle = NO_PAGE;
    c->page[c->n++] = i;
    i = next;
  }
  if (c->n != n)
    panic("pmem: a bundle of %d pages held %d", (int)n, (int)c->n);
}

#ifndef PMEM_FREE_TO_BACK
/* Moves c's PCACHE_BATCH oldest pages to the front of the shared list, as
 * one bundle whose first page is the newest of them (as if freed to the
 * list one by one). The bundle is chained before the lock is taken.
 * => holds c->lock, c is full; takes pmem.lock. */
static void
drain(struct pcache *c)
{
  for (uint32 k = PCACHE_BATCH - 1; k > 0; k--)
    pmem.info[c->page[k]].next = c->page[k - 1];
  pmem.info[c->page[0]].next = NO_PAGE;
  uint32 b = c->page[PCACHE_BATCH - 1];
  pmem.info[b].nbundle = PCACHE_BATCH;

  acquire(&pmem.lock);
  pmem.info[b].bundle = pmem.free_head;
  pmem.free_head = b;
  if (pmem.free_tail == NO_PAGE)
    pmem.free_tail = b;
  pmem.nlisted += PCACHE_BATCH;
  store_once(c->by_kind[PMEM_FREE], c->by_kind[PMEM_FREE] - PCACHE_BATCH);
  release(&pmem.lock);
  c->n -= PCACHE_BATCH;
  memmove(c->page, c->page + PCACHE_BATCH, c->n * sizeof(c->page[0]));
}
#endif

#ifdef PMEM_FREE_TO_BACK
/* Appends page i to the shared list; it was counted free through c.
 * => holds c->lock; takes pmem.lock. */
static void
queue_at_back(struct pcache *c, uint32 i)
{
  pmem.info[i].next = pmem.info[i].bundle = NO_PAGE;
  pmem.info[i].nbundle = 1;
  acquire(&pmem.lock);
  if (pmem.free_tail == NO_PAGE)
    pmem.free_head = i;
  else
    pmem.info[pmem.free_tail].bundle = i;
  pmem.free_tail = i;
  pmem.nlisted++;
  store_once(c->by_kind[PMEM_FREE], c->by_kind[PMEM_FREE] - 1);
  release(&pmem.lock);
}
#endif

/* Takes a free page out of c for kind and owner: its index, or NO_PAGE if
 * c is empty. => holds c->lock. */
static uint32
take(struct pcache *c, int kind, int owner)
{
  if (c->n == 0)
    return NO_PAGE;
  uint32 i = c->page[--c->n];
  set_record(&pmem.info[i], kind, owner, 1);
  count_change(c, PMEM_FREE, kind);
  return i;
}

void *
pmem_alloc(int kind, int owner)
{
  if (kind <= PMEM_FREE || kind >= PMEM_NKINDS)
    panic("pmem: alloc of bad kind %d", kind);
  if (mm_should_fail(FAIL_PAGES))
    return NULL;

  /* The hart may change before the lock is ours: then it uses another
   * hart's cache this once, which is only slower. */
  int me = mm_hart();
  struct pcache *c = &pcache[me];
  acquire(&c->lock);
  if (c->n == 0)
    refill(c);
  uint32 i = take(c, kind, owner);
  release(&c->lock);
  /* The shared list is empty too: a page in another hart's cache. */
  for (int h = 0; h < NCPU && i == NO_PAGE; h++) {
    if (h == me)
      continue;
    acquire(&pcache[h].lock);
    i = take(&pcache[h], kind, owner);
    release(&pcache[h].lock);
  }
  if (i == NO_PAGE)
    return NULL;

  /* The page is ours alone now: check and clear it outside the locks. */
  uint64 *page = (uint64 *)(pmem.base + (uint64)i * PGSIZE);
  check_poison_and_zero(page);
  return page;
}

void
pmem_free(void *pa)
{
  int64 i = pmem_index(pa);

  if (i < 0)
    panic("pmem: free of %p, not a managed page", pa);
  /* Poison first, outside the lock. If this is a double free, the page is
   * already poison and free, so writing poison again harms nothing before
   * the check below catches it. */
  memset(pa, PMEM_POISON_BYTE, PGSIZE);

  struct pcache *c = &pcache[mm_hart()];
  acquire(&c->lock);
  struct page_info *pi = &pmem.info[i];
  int kind = __atomic_load_n(&pi->kind, __ATOMIC_RELAXED);
  if (kind == PMEM_FREE)
    panic("pmem: double free of %p", pa);
  uint32 refs = __atomic_load_n(&pi->refs, __ATOMIC_RELAXED);
  if (refs != 1)
    panic("pmem: free of %p, which %d page tables map", pa, (int)refs);
  set_record(pi, PMEM_FREE, 0, 0);
  count_change(c, kind, PMEM_FREE);
#ifdef PMEM_FREE_TO_BACK
  queue_at_back(c, (uint32)i);
#else
  if (c->n == PCACHE_MAX)
    drain(c);
  c->page[c->n++] = (uint32)i;
#endif
  release(&c->lock);
}

/* The record of the managed page at pa. => panics if there is none. */
static struct page_info *
info_of(void *pa, const char *what)
{
  int64 i = pmem_index(pa);

  if (i < 0)
    panic("pmem: %s of %p, not a managed page", what, pa);
  return &pmem.info[i];
}

void
pmem_get(void *pa)
{
  struct page_info *pi = info_of(pa, "get");
  uint32 refs = __atomic_add_fetch(&pi->refs, 1, __ATOMIC_RELAXED);

  if (refs == 1)
    panic("pmem: get of free page %p", pa);
  if (refs == 2)
    __atomic_add_fetch(&pmem.shared, 1, __ATOMIC_RELAXED);
}

void
pmem_put(void *pa)
{
  struct page_info *pi = info_of(pa, "put");
  uint32 refs = __atomic_sub_fetch(&pi->refs, 1, __ATOMIC_ACQ_REL);

  if (refs == (uint32)-1)
    panic("pmem: put of free page %p", pa);
  if (refs == 1)
    __atomic_sub_fetch(&pmem.shared, 1, __ATOMIC_RELAXED);
  if (refs == 0) {
    __atomic_store_n(&pi->refs, 1, __ATOMIC_RELAXED);   /* pmem_free's rule */
    pmem_free(pa);
  }
}

int
pmem_refs_cas(void *pa, uint32 old, uint32 new)
{
  if (old == 0 || new == 0)
    panic("pmem: refs of %p from %d to %d", pa, (int)old, (int)new);
  return __atomic_compare_exchange_n(&info_of(pa, "refs")->refs, &old, new, 0,
                                     __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
}

void
pmem_count_shared(int64 n)
{
  __atomic_add_fetch(&pmem.shared_in_tables, (uint64)n, __ATOMIC_RELAXED);
}

uint32
pmem_refs(void *pa)
{
  return __atomic_load_n(&info_of(pa, "refs")->refs, __ATOMIC_ACQUIRE);
}

uint32
pmem_audit_mark(void *pa)
{
  return ++info_of(pa, "audit")->audited;
}

int
pmem_kind(void *pa)
{
  int64 i = pmem_index(pa);
  int kind;

  if (i < 0)
    return -1;
  kind = __atomic_load_n(&pmem.info[i].kind, __ATOMIC_RELAXED);
  return kind;
}

int
pmem_owner(void *pa)
{
  int64 i = pmem_index(pa);
  int owner;

  if (i < 0)
    return -1;
  owner = __atomic_load_n(&pmem.info[i].owner, __ATOMIC_RELAXED);
  return owner;
}


void
pmem_stat(struct memstat *m)
{
  acquire(&pmem.lock);
  m->pages_total = pmem.npages;
  for (int k = 0; k < PMEM_NKINDS; k++) {
    int64 n = k == PMEM_FREE ? (int64)pmem.nlisted : 0;
    for (int h = 0; h < NCPU; h++)
      n += __atomic_load_n(&pcache[h].by_kind[k], __ATOMIC_RELAXED);
    m->pages_by_kind[k] = (uint64)n;
  }
  m->pages_free = m->pages_by_kind[PMEM_FREE];
  m->pages_shared = __atomic_load_n(&pmem.shared, __ATOMIC_RELAXED) +
                    __atomic_load_n(&pmem.shared_in_tables, __ATOMIC_RELAXED);
  release(&pmem.lock);
}

int
pmem_record(uint64 i, int *owner, uint64 *pa)
{
  if (i >= pmem.npages)
    return -1;
  int kind = __atomic_load_n(&pmem.info[i].kind, __ATOMIC_RELAXED);
  *owner = __atomic_load_n(&pmem.info[i].owner, __ATOMIC_RELAXED);
  *pa = pmem.base + i * PGSIZE;
  return kind;
}

uint32
pmem_audit_take(uint64 i, uint32 *refs)
{
  uint32 n = pmem.info[i].audited;

  pmem.info[i].audited = 0;
  *refs = __atomic_load_n(&pmem.info[i].refs, __ATOMIC_RELAXED);
  return n;
}
