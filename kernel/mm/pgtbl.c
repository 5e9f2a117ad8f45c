/*
 * pgtbl.c: Sv39 page-table walking and mapping, used by kvm.c for the
 * kernel's table and by uvm.c for user tables. Three levels, 512 PTEs each;
 * a PTE with any of R/W/X set is a leaf, one with only V points one level
 * down. Page-table pages come from pmem as PMEM_PGTBL.
 *
 * pgtbl_walk_range is the one recursive walker: fork's copy, teardown,
 * munmap, vmprint and both audits are visit functions over it, so a change
 * to how tables are walked (shootdown batching, copy-on-write) is made
 * once, here.
 */
#include "lib/lib.h"
#include "mm/mm.h"

pte_t *
pgtbl_walk_level(pagetable_t pt, uint64 va, int to_level, int alloc, int owner)
{
  if (va >= SV39_VA_MAX && va < SV39_UPPER_BEGIN)
    panic("pgtbl: walk of va %p, not an Sv39 address", (void *)va);

  for (int level = 2; level > to_level; level--) {
    pte_t *pte = &pt[PX(level, va)];
    if ((*pte & PTE_V) && (*pte & PTE_LEAF_MASK))
      panic("pgtbl: walk of va %p met a superpage", (void *)va);
    if ((pt = pgtbl_next(pte, alloc, owner)) == NULL)
      return NULL;
  }
  return &pt[PX(to_level, va)];
}

pagetable_t
pgtbl_next(pte_t *pte, int alloc, int owner)
{
  if (*pte & PTE_V)
    return (pagetable_t)PTE2KVA(*pte);
  if (!alloc)
    return NULL;
  pagetable_t next = pmem_alloc(PMEM_PGTBL, owner);
  if (next != NULL)
    *pte = KVA2PTE(next) | PTE_V;
  return next;
}

pte_t *
pgtbl_walk(pagetable_t pt, uint64 va, int alloc, int owner)
{
  return pgtbl_walk_level(pt, va, 0, alloc, owner);
}

int
pgtbl_map(pagetable_t pt, uint64 va, uint64 pa, uint64 size, uint64 perm,
          int owner)
{
  if ((va | pa | size) & (PGSIZE - 1))
    panic("pgtbl: map of unaligned va %p pa %p size %p",
          (void *)va, (void *)pa, (void *)size);
  if (size == 0)
    panic("pgtbl: map of size 0");

  for (uint64 off = 0; off < size; off += PGSIZE) {
    pte_t *pte = pgtbl_walk(pt, va + off, 1, owner);
    if (pte == NULL)
      return -1;
    if (*pte & PTE_V)
      panic("pgtbl: remap of va %p", (void *)(va + off));
    *pte = PA2PTE(pa + off) | perm | PTE_V;
  }
  return 0;
}

/* One level of pgtbl_walk_range: pt is a level-`level` table covering
 * [base, base + 512 * span). Returns nonzero if the walk was stopped. */
static int
walk_level(pagetable_t pt, int level, uint64 base, uint64 begin, uint64 end,
           struct pgtbl_walker *w)
{
  uint64 span = 1UL << PX_SHIFT(level);

  for (int i = 0; i < PT_ENTRIES; i++) {
    uint64 va = base + (uint64)i * span;
    if (va + span <= begin || va >= end || !(pt[i] & PTE_V))
      continue;
    int r = w->visit != NULL ? w->visit(w, &pt[i], va, level) : PGTBL_WALK_ON;
    if (r == PGTBL_WALK_STOP)
      return 1;
    if (r == PGTBL_WALK_SKIP || !(pt[i] & PTE_V) || (pt[i] & PTE_LEAF_MASK))
      continue;       /* done by the visit, a leaf, or an entry it cleared */
    if (level == 0)
      panic("pgtbl: level-0 entry %p points to a table", (void *)pt[i]);
    pagetable_t next = (pagetable_t)PTE2KVA(pt[i]);
    if (walk_level(next, level - 1, va, begin, end, w) != 0)
      return 1;
    if (w->drop_table != NULL && pgtbl_is_empty(next)) {
      pt[i] = 0;
      w->drop_table(w, next);
    }
  }
  return 0;
}

int
pgtbl_walk_range(pagetable_t pt, uint64 begin, uint64 end, struct pgtbl_walker *w)
{
  return walk_level(pt, 2, 0, begin, end, w);
}

int
pgtbl_is_empty(pagetable_t pt)
{
  for (int i = 0; i < PT_ENTRIES; i++)
    if (pt[i] & PTE_V)
      return 0;
  return 1;
}
