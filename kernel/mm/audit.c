/*
 * audit.c: the memory audit behind the memaudit system call. Every page
 * pmem has handed out must be found exactly once in some live structure
 * (a user page table, the kernel's, a trapframe, a pipe), and every pool
 * node exactly once on a region list or the free list. The walkers live
 * with the structures they walk; this file keeps the marks and judges.
 *
 * One audit at a time (audit_lock, rank LOCK_RANK_AUDIT, outermost). The
 * marks are static so the audit allocates nothing and so cannot change the
 * counts it checks. Interrupts stay off for the whole audit.
 */
#include "lib/lib.h"
#include "mm/mm.h"
#include "param.h"
#include "uapi/memaudit.h"

#define AUDIT_PAGES_MAX (1UL << 20)   /* 4 GiB of RAM */
#define AUDIT_REPORT_MAX 16           /* offenders printed per audit */

struct audit {
  uint8 page_seen[AUDIT_PAGES_MAX / 8];  /* bit per pmem page index */
  uint16 node_seen[N_MMAP];              /* times each node was found */
  uint64 pages_found;
  uint64 pages_bad;
  int reported;
};

static struct spinlock audit_lock;
static struct audit the_audit;           /* [audit_lock] */

void
audit_init(void)
{
  spinlock_init(&audit_lock, "audit", LOCK_RANK_AUDIT);
}

static void
report(struct audit *a, const char *what, uint64 pa, int kind, int owner)
{
  if (a->reported++ < AUDIT_REPORT_MAX)
    printf("audit: page %p (%s, owner %d): %s\n", (void *)pa,
           kind >= 0 && kind < PMEM_NKINDS ? pmem_kind_names[kind] : "?", owner, what);
}

void
audit_page(struct audit *a, uint64 pa, int kind, int shared)
{
  int64 i = pmem_index((void *)pa);

  if (i < 0 || (uint64)i >= AUDIT_PAGES_MAX) {
    a->pages_bad++;
    report(a, "found in a table but not a managed page", pa, kind, -1);
    return;
  }
  uint8 bit = (uint8)(1U << (i % 8));
  if (a->page_seen[i / 8] & bit) {
    if (!shared) {
      a->pages_bad++;
      report(a, "found twice", pa, kind, pmem_owner((void *)pa));
    }
    return;
  }
  a->page_seen[i / 8] |= bit;
  a->pages_found++;
  int actual = pmem_kind((void *)pa);
  if (actual != kind) {
    a->pages_bad++;
    report(a, actual == PMEM_FREE ? "found in use but free in pmem"
                                  : "found with another kind in pmem",
           pa, actual, pmem_owner((void *)pa));
  }
}

void
audit_node(struct audit *a, const struct mmap_region_node *n)
{
  int i = mmap_region_index(n);

  if (i < 0)
    panic("audit: node %p is not from the pool", (void *)n);
  a->node_seen[i]++;
}

struct audit *
audit_begin(void)
{
  acquire(&audit_lock);
  memset(&the_audit, 0, sizeof(the_audit));
  return &the_audit;
}

void
audit_end(struct audit *a, struct memaudit *out)
{
  struct memstat m;

  memset(out, 0, sizeof(*out));
  for (uint64 i = 0;; i++) {
    int owner;
    uint64 pa;
    int kind = pmem_record(i, &owner, &pa);
    if (kind < 0)
      break;
    if (kind == PMEM_FREE)
      continue;
    out->pages_allocated++;
    if (i < AUDIT_PAGES_MAX && (a->page_seen[i / 8] & (1U << (i % 8))))
      out->pages_reachable++;
    else {
      out->pages_unreachable++;
      report(a, "in use but reachable from nothing (leaked)", pa, kind, owner);
    }
  }
  out->pages_bad = a->pages_bad;

  mmap_stat(&m);
  out->nodes_total = m.nodes_total;
  for (int i = 0; i < N_MMAP; i++) {
    if (a->node_seen[i] == 0)
      out->nodes_lost++;
    else if (a->node_seen[i] > 1)
      out->nodes_bad++;
  }
  out->nodes_free = m.nodes_free;
  out->nodes_in_lists = (uint64)N_MMAP - out->nodes_lost - m.nodes_free;
  if (a->reported > AUDIT_REPORT_MAX)
    printf("audit: ... and %d more\n", a->reported - AUDIT_REPORT_MAX);
  release(&audit_lock);
}
