/*
 * audit.c: the memory audit behind the memaudit system call. Every page
 * pmem has handed out must be found in some live structure (a user page
 * table, the kernel's, a trapframe, a pipe): a user page in exactly as many
 * page tables as its reference count says (copy-on-write shares them),
 * any other page once. Every pool node must be found exactly once on a
 * region list or the free list. The walkers live with the structures they
 * walk; this file keeps the marks and judges.
 *
 * One audit at a time (audit_lock, rank LOCK_RANK_AUDIT, outermost). The
 * marks live in pmem's page records and a static node array, so the audit
 * allocates nothing and cannot change the counts it checks. Interrupts
 * stay off for the whole audit.
 */
#include "lib/lib.h"
#include "mm/mm.h"
#include "param.h"
#include "uapi/memaudit.h"

#define AUDIT_REPORT_MAX 16           /* offenders printed per audit */

struct audit {
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

uint32
audit_page(struct audit *a, uint64 pa, int kind, int shared)
{
  if (pmem_index((void *)pa) < 0) {
    a->pages_bad++;
    report(a, "found in a table but not a managed page", pa, kind, -1);
    return 0;
  }
  uint32 seen = pmem_audit_mark((void *)pa);
  if (seen > 1) {
    /* User pages and level-0 tables may be shared (judged against refs at
     * the end). */
    if (!shared && kind != PMEM_USER) {
      a->pages_bad++;
      report(a, "found twice", pa, kind, pmem_owner((void *)pa));
    }
    return seen;
  }
  a->pages_found++;
  int actual = pmem_kind((void *)pa);
  if (actual != kind) {
    a->pages_bad++;
    report(a, actual == PMEM_FREE ? "found in use but free in pmem"
                                  : "found with another kind in pmem",
           pa, actual, pmem_owner((void *)pa));
  }
  return seen;
}

void
audit_kernel_half(struct audit *a, int id, int entry)
{
  a->pages_bad++;
  if (a->reported++ < AUDIT_REPORT_MAX)
    printf("audit: space %d: root entry %d is not the kernel's\n", id, entry);
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
    uint32 refs;
    int kind = pmem_record(i, &owner, &pa);
    if (kind < 0)
      break;
    uint32 found = pmem_audit_take(i, &refs);   /* every page: reset too */
    if (kind == PMEM_FREE)
      continue;
    out->pages_allocated++;
    if (found == 0) {
      out->pages_unreachable++;
      report(a, "in use but reachable from nothing (leaked)", pa, kind, owner);
      continue;
    }
    out->pages_reachable++;
    if ((kind == PMEM_USER || kind == PMEM_PGTBL) && found != refs) {
      a->pages_bad++;
      if (a->reported++ < AUDIT_REPORT_MAX)
        printf("audit: page %p (%s, owner %d): %d references but found in "
               "%d places\n", (void *)pa, pmem_kind_names[kind], owner,
               (int)refs, (int)found);
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
