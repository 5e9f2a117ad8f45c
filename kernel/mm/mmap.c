/*
 * mmap.c: the shared pool of struct mmap_region_node, and the sorted
 * per-process region lists built from it.
 *
 * N_MMAP nodes live in one static array. Free ones form a singly linked
 * list; mmap_region_free pushes onto the head and mmap_region_alloc pops
 * the head, so the pool behaves as a stack (the next allocation returns
 * the node freed last), which keeps recently used nodes warm.
 *
 * Region lists stay canonical: sorted, disjoint, and merged wherever two
 * regions touch with equal prot, so a list's node count is exactly the
 * number of maximal equal-prot runs. Every edit that could fail for want
 * of a node takes the node first, so a failure changes nothing.
 */
#include "lib/lib.h"
#include "mm/mm.h"
#include "uapi/failinject.h"
#include "param.h"
#include "sync/spinlock.h"

static struct {
  struct spinlock lock;                      /* rank LOCK_RANK_POOL (leaf) */
  struct mmap_region_node *free;             /* [lock] head of the free list */
  uint64 nfree;                              /* [lock] */
  struct mmap_region_node nodes[N_MMAP];     /* [I] the storage itself */
} pool;

void
mmap_init(void)
{
  spinlock_init(&pool.lock, "mmap_pool", LOCK_RANK_POOL);
  pool.free = NULL;
  pool.nfree = 0;
  /* Head insertion from the top down leaves node 0 at the head. */
  for (int i = N_MMAP - 1; i >= 0; i--) {
    struct mmap_region_node *n = &pool.nodes[i];
    n->in_use = 0;
    n->next = pool.free;
    pool.free = n;
    pool.nfree++;
  }
}

struct mmap_region_node *
mmap_region_alloc(void)
{
  if (mm_should_fail(FAIL_NODES))
    return NULL;
  acquire(&pool.lock);
  struct mmap_region_node *n = pool.free;
  if (n != NULL) {
    pool.free = n->next;
    pool.nfree--;
    n->in_use = 1;
  }
  release(&pool.lock);

  if (n != NULL) {
    n->begin = 0;
    n->npages = 0;
    n->prot = 0;
    n->next = NULL;
  }
  return n;
}

int
mmap_region_index(const struct mmap_region_node *node)
{
  uintptr off = (uintptr)node - (uintptr)pool.nodes;

  if ((uintptr)node < (uintptr)pool.nodes || off >= sizeof(pool.nodes) ||
      off % sizeof(pool.nodes[0]) != 0)
    return -1;
  return (int)(off / sizeof(pool.nodes[0]));
}

void
mmap_region_free(struct mmap_region_node *node)
{
  if (mmap_region_index(node) < 0)
    panic("mmap: free of %p, not a pool node", (void *)node);

  acquire(&pool.lock);
  if (!node->in_use)
    panic("mmap: double free of node %d", mmap_region_index(node));
  node->in_use = 0;
  node->next = pool.free;
  pool.free = node;
  pool.nfree++;
  release(&pool.lock);
}

void
mmap_audit(struct audit *a)
{
  acquire(&pool.lock);
  for (struct mmap_region_node *n = pool.free; n != NULL; n = n->next)
    audit_node(a, n);
  release(&pool.lock);
}

void
mmap_stat(struct memstat *m)
{
  acquire(&pool.lock);
  m->nodes_total = N_MMAP;
  m->nodes_free = pool.nfree;
  release(&pool.lock);
}

/* ---- region lists ---- */

static uint64
region_end(const struct mmap_region_node *r)
{
  return r->begin + r->npages * PGSIZE;
}

uint64
mmap_region_find_free(const struct mmap_region_node *head, uint64 npages)
{
  uint64 gap = MMAP_BEGIN;

  if (npages == 0 || npages > MMAP_PAGES)
    return 0;
  for (const struct mmap_region_node *r = head; r != NULL; r = r->next) {
    if (r->begin - gap >= npages * PGSIZE)
      return gap;
    gap = region_end(r);
  }
  return MMAP_END - gap >= npages * PGSIZE ? gap : 0;
}

int
mmap_region_overlaps(const struct mmap_region_node *head, uint64 begin,
                     uint64 npages)
{
  uint64 end = begin + npages * PGSIZE;

  for (const struct mmap_region_node *r = head; r != NULL && r->begin < end;
       r = r->next)
    if (begin < region_end(r))
      return 1;
  return 0;
}

int
mmap_region_insert(struct mmap_region_node **head, uint64 begin,
                   uint64 npages, int prot)
{
  uint64 end = begin + npages * PGSIZE;
  struct mmap_region_node *prev = NULL, *next = *head;

  while (next != NULL && next->begin < begin) {
    prev = next;
    next = next->next;
  }
  int with_prev = prev != NULL && region_end(prev) == begin && prev->prot == prot;
  int with_next = next != NULL && next->begin == end && next->prot == prot;

  if (with_prev && with_next) {
    /* The new range fills the gap: three regions become one node. */
    prev->npages += npages + next->npages;
    prev->next = next->next;
    mmap_region_free(next);
  } else if (with_prev) {
    prev->npages += npages;
  } else if (with_next) {
    next->begin = begin;
    next->npages += npages;
  } else {
    struct mmap_region_node *n = mmap_region_alloc();
    if (n == NULL)
      return -1;
    n->begin = begin;
    n->npages = npages;
    n->prot = prot;
    n->next = next;
    if (prev != NULL)
      prev->next = n;
    else
      *head = n;
  }
  return 0;
}

/* 1 if every page of [begin, end) lies in some region of the list. */
static int
range_covered(const struct mmap_region_node *head, uint64 begin, uint64 end)
{
  uint64 covered = begin;

  for (const struct mmap_region_node *r = head; r != NULL && covered < end;
       r = r->next) {
    if (region_end(r) <= covered)
      continue;
    if (r->begin > covered)
      return 0;
    covered = region_end(r);
  }
  return covered >= end;
}

int
mmap_region_remove(struct mmap_region_node **head, uint64 begin,
                   uint64 npages)
{
  uint64 end = begin + npages * PGSIZE;
  struct mmap_region_node *r, *spare = NULL, **link;

  if (npages == 0 || !range_covered(*head, begin, end))
    return -1;
  /* Only a region reaching past both ends needs a second node; get it
   * before changing anything, so running out changes nothing. */
  for (r = *head; r != NULL && r->begin < begin; r = r->next) {
    if (region_end(r) > end) {
      if ((spare = mmap_region_alloc()) == NULL)
        return -1;
      break;
    }
  }

  for (link = head; (r = *link) != NULL && r->begin < end;) {
    uint64 rbegin = r->begin, rend = region_end(r);
    if (rend <= begin) {
      link = &r->next;
    } else if (rbegin < begin && rend > end) {
      spare->begin = end;
      spare->npages = (rend - end) / PGSIZE;
      spare->prot = r->prot;
      spare->next = r->next;
      r->npages = (begin - rbegin) / PGSIZE;
      r->next = spare;
      break;
    } else if (rbegin < begin) {
      r->npages = (begin - rbegin) / PGSIZE;
      link = &r->next;
    } else if (rend > end) {
      r->begin = end;
      r->npages = (rend - end) / PGSIZE;
      break;
    } else {
      *link = r->next;
      mmap_region_free(r);
    }
  }
  return 0;
}

int
mmap_region_count(const struct mmap_region_node *head)
{
  int n = 0;

  for (; head != NULL; head = head->next)
    n++;
  return n;
}
