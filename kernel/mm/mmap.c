/*
 * mmap.c: the shared pool of struct mmap_region_node.
 *
 * N_MMAP nodes live in one static array. Free ones form a singly linked
 * list; mmap_region_free pushes onto the head and mmap_region_alloc pops
 * the head, so the pool behaves as a stack (the next allocation returns
 * the node freed last), which keeps recently used nodes warm.
 */
#include "lib/lib.h"
#include "mm/mm.h"
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
mmap_stat(struct memstat *m)
{
  acquire(&pool.lock);
  m->nodes_total = N_MMAP;
  m->nodes_free = pool.nfree;
  release(&pool.lock);
}
