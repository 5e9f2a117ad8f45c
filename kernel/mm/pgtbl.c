/*
 * pgtbl.c: Sv39 page-table walking and mapping, used by kvm.c for the
 * kernel's table and by uvm.c for user tables. Three levels, 512 PTEs each;
 * a PTE with any of R/W/X set is a leaf, one with only V points one level
 * down. Page-table pages come from pmem as PMEM_PGTBL.
 */
#include "lib/lib.h"
#include "mm/mm.h"

pte_t *
pgtbl_walk(pagetable_t pt, uint64 va, int alloc, int owner)
{
  if (va >= SV39_VA_MAX)
    panic("pgtbl: walk of va %p beyond Sv39", (void *)va);

  for (int level = 2; level > 0; level--) {
    pte_t *pte = &pt[PX(level, va)];
    if (*pte & PTE_V) {
      if (*pte & PTE_LEAF_MASK)
        panic("pgtbl: walk of va %p met a superpage", (void *)va);
      pt = (pagetable_t)PTE2PA(*pte);
    } else {
      if (!alloc)
        return NULL;
      pagetable_t next = pmem_alloc(PMEM_PGTBL, owner);
      if (next == NULL)
        return NULL;
      *pte = PA2PTE(next) | PTE_V;
      pt = next;
    }
  }
  return &pt[PX(0, va)];
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
