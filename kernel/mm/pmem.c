/*
 * pmem.c: the physical page allocator, one free list under one spinlock.
 *
 * Each managed page has a struct page_info (kind, owner, free-list link);
 * the array sits in the first pages of the managed range. The free list is
 * threaded through those records, not through the pages, so a free page
 * is poison from its first byte to its last, and pmem_alloc can check that
 * nobody wrote to it while it was free.
 *
 * Invariants (under pmem.lock): by_kind[k] counts pages of kind k and they
 * add up to npages; by_kind[PMEM_FREE] == the length of the free list.
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
  uint32 next;     /* [lock] next free page index, NO_PAGE at the end */
  uint8 kind;      /* [lock] enum pmem_kind */
  int32 owner;     /* [lock] who allocated it: a space id, a pid, 0 */
  uint32 refs;     /* [a] page tables mapping it (1 for any other use) */
  uint32 audited;  /* [audit lock] times the audit found it */
};

static struct {
  struct spinlock lock;            /* rank LOCK_RANK_PMEM (leaf) */
  uint64 base;                     /* [I] address of page 0 */
  uint64 npages;                   /* [I] */
  struct page_info *info;          /* [I] npages records, each [lock] */
  uint32 free_head;                /* [lock] */
  uint64 by_kind[PMEM_NKINDS];     /* [lock] */
  uint64 shared;                   /* [a] user pages with refs > 1 */
  uint64 shared_in_tables;         /* [a] leaves of shared level-0 tables */
} pmem;

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
  pmem.free_head = NO_PAGE;
  memset(pmem.by_kind, 0, sizeof(pmem.by_kind));

  /* Push in reverse so the lowest page is handed out first. */
  for (uint64 i = n; i-- > 0;) {
    memset((void *)(pmem.base + i * PGSIZE), PMEM_POISON_BYTE, PGSIZE);
    pmem.info[i].kind = PMEM_FREE;
    pmem.info[i].owner = 0;
    pmem.info[i].refs = 0;
    pmem.info[i].audited = 0;
    pmem.info[i].next = pmem.free_head;
    pmem.free_head = (uint32)i;
  }
  pmem.by_kind[PMEM_FREE] = n;
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
 * same pass: one trip through the page on the allocation hot path. */
static void
check_poison_and_zero(uint64 *page)
{
  const uint64 poison = 0x0101010101010101ULL * PMEM_POISON_BYTE;

  for (uint64 i = 0; i < PGSIZE / sizeof(uint64); i++) {
    if (page[i] != poison)
      panic("pmem: free page %p written at offset %d after free",
            (void *)page, (int)(i * sizeof(uint64)));
    page[i] = 0;
  }
}

void *
pmem_alloc(int kind, int owner)
{
  if (kind <= PMEM_FREE || kind >= PMEM_NKINDS)
    panic("pmem: alloc of bad kind %d", kind);
  if (mm_should_fail(FAIL_PAGES))
    return NULL;

  acquire(&pmem.lock);
  uint32 i = pmem.free_head;
  if (i == NO_PAGE) {
    release(&pmem.lock);
    return NULL;
  }
  pmem.free_head = pmem.info[i].next;
  pmem.info[i].next = NO_PAGE;
  pmem.info[i].kind = (uint8)kind;
  pmem.info[i].owner = owner;
  pmem.info[i].refs = 1;
  pmem.by_kind[PMEM_FREE]--;
  pmem.by_kind[kind]++;
  release(&pmem.lock);

  /* The page is ours alone now: check and clear it outside the lock. */
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
   * already poison and on the list, so writing poison again harms nothing
   * before the check below catches it. */
  memset(pa, PMEM_POISON_BYTE, PGSIZE);

  acquire(&pmem.lock);
  struct page_info *pi = &pmem.info[i];
  if (pi->kind == PMEM_FREE)
    panic("pmem: double free of %p", pa);
  if (pi->refs != 1)
    panic("pmem: free of %p, which %d page tables map", pa, (int)pi->refs);
  pi->refs = 0;
  pmem.by_kind[pi->kind]--;
  pmem.by_kind[PMEM_FREE]++;
  pi->kind = PMEM_FREE;
  pi->owner = 0;
  pi->next = pmem.free_head;
  pmem.free_head = (uint32)i;
  release(&pmem.lock);
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
  acquire(&pmem.lock);
  kind = pmem.info[i].kind;
  release(&pmem.lock);
  return kind;
}

int
pmem_owner(void *pa)
{
  int64 i = pmem_index(pa);
  int owner;

  if (i < 0)
    return -1;
  acquire(&pmem.lock);
  owner = pmem.info[i].owner;
  release(&pmem.lock);
  return owner;
}


void
pmem_stat(struct memstat *m)
{
  acquire(&pmem.lock);
  m->pages_total = pmem.npages;
  for (int k = 0; k < PMEM_NKINDS; k++)
    m->pages_by_kind[k] = pmem.by_kind[k];
  m->pages_free = pmem.by_kind[PMEM_FREE];
  m->pages_shared = __atomic_load_n(&pmem.shared, __ATOMIC_RELAXED) +
                    __atomic_load_n(&pmem.shared_in_tables, __ATOMIC_RELAXED);
  release(&pmem.lock);
}

int
pmem_record(uint64 i, int *owner, uint64 *pa)
{
  if (i >= pmem.npages)
    return -1;
  acquire(&pmem.lock);
  int kind = pmem.info[i].kind;
  *owner = pmem.info[i].owner;
  release(&pmem.lock);
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
