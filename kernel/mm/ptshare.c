/*
 * ptshare.c: the level-0 page tables that fork shares. Fork (uvm.c) gives
 * the child the parent's level-0 tables themselves, one reference each
 * (pmem counts a table's references like a page's), instead of one
 * reference per page: fork and exit cost a few
 * instructions a page, not an atomic each. Only tables wholly below
 * TRAPFRAME are shared; the top one (stack, trapframe, trampoline) is
 * copied entry by entry. The rules:
 *   - A table with refs > 1 is never written. Fork made its writable
 *     leaves copy-on-write before sharing it, so no hart can write through
 *     it, and a space that must change one of its entries (a fault, a
 *     break that shrinks, munmap) first makes its own copy (table_unshare):
 *     it takes a reference on every page the table maps, points its entry
 *     at the copy, flushes its harts, and only then drops the shared one.
 *   - Whoever drops the last reference puts the table's leaves and frees it.
 *   - While shared, its leaves count in pages_shared (pmem_count_shared at
 *     the changes 1 -> 2 and 2 -> 1, counted while the table cannot change).
 */
#include "lib/lib.h"
#include "mm/mm.h"

#ifdef DEBUG_LEAK_ONE_PAGE
/* `make LEAK=1`: forget to free the first page owned by a space of id at
 * least LEAK_ID_MIN that the last put of a level-0 table would put (exit,
 * exec's old image, a failed fork), so the stress suite's leak report and audit can be seen
 * to catch a real leak. Never in a normal build. */
#define LEAK_ID_MIN 10
static int leaked;   /* [a] */

static int
leak_this_page(uint64 pa)
{
  return pmem_owner((void *)pa) >= LEAK_ID_MIN &&
         __sync_bool_compare_and_swap(&leaked, 0, 1);
}
#else
#define leak_this_page(pa) 0
#endif

static int
table_leaves(pagetable_t t)
{
  int n = 0;

  for (int i = 0; i < PT_ENTRIES; i++)
    n += (t[i] & PTE_V) != 0;
  return n;
}

void
uvm_table_share(pagetable_t t, int leaves)
{
  for (;;) {
    uint32 r = pmem_refs(t);
    if (pmem_refs_cas(t, r, r + 1)) {
      if (r == 1)
        pmem_count_shared(leaves >= 0 ? leaves : table_leaves(t));
      return;
    }
  }
}

void
uvm_table_put(pagetable_t t)
{
  for (;;) {
    uint32 r = pmem_refs(t);
    if (r == 1)
      break;
    int n = r == 2 ? table_leaves(t) : 0;   /* shared: no one writes it */
    if (pmem_refs_cas(t, r, r - 1)) {
      pmem_count_shared(-n);
      return;
    }
  }
  /* The last reference: no other space reaches t any more. */
  for (int i = 0; i < PT_ENTRIES; i++) {
    pte_t e = t[i];
    if (!(e & PTE_V))
      continue;
    if (!(e & PTE_LEAF_MASK))
      panic("uvm: put of table %p, which still points to a table", (void *)t);
    if (!leak_this_page(PTE2KVA(e)))
      pmem_put((void *)PTE2KVA(e));
    t[i] = 0;
  }
  pmem_free(t);
}

/* Gives vm its own copy of the shared level-0 table that l1 points to.
 * Returns 0, or -1 with nothing changed if no page could be had.
 * => holds vm->lock. */
static int
table_unshare(struct uvm *vm, pte_t *l1)
{
  pagetable_t shared = (pagetable_t)PTE2KVA(*l1);
  pagetable_t t = pmem_alloc(PMEM_PGTBL, vm->id);

  if (t == NULL)
    return -1;
  for (int i = 0; i < PT_ENTRIES; i++) {
    pte_t e = shared[i];
    if (e & PTE_V)
      pmem_get((void *)PTE2KVA(e));
    t[i] = e;
  }
  *l1 = KVA2PTE(t) | PTE_V;
  /* vm's harts may walk through the shared table until they flush, and
   * the other sharer may write it as soon as it is its own. */
  tlb_shootdown_tables(vm);
  uvm_table_put(shared);
  return 0;
}

pte_t *
uvm_private_pte(struct uvm *vm, uint64 va0)
{
  pte_t *l1 = pgtbl_walk_level(vm->pt, va0, 1, 1, vm->id);

  if (l1 == NULL)
    return NULL;
  if ((*l1 & PTE_V) && pmem_refs((void *)PTE2KVA(*l1)) > 1 && table_unshare(vm, l1) != 0)
    return NULL;
  /* One level down from l1 (a user table has no superpage: the walk to
   * l1 checked the levels above, and uvm never maps one at level 1). */
  pagetable_t t = pgtbl_next(l1, 1, vm->id);
  return t != NULL ? &t[PX(0, va0)] : NULL;
}

int
uvm_table_entries_in(pagetable_t t, uint64 base, uint64 begin, uint64 end, int *outside)
{
  int in = 0, out = 0;

  for (int i = 0; i < PT_ENTRIES; i++) {
    uint64 va = base + (uint64)i * PGSIZE;
    if (t[i] & PTE_V) {
      if (va >= begin && va < end)
        in++;
      else
        out++;
    }
  }
  *outside = out;
  return in;
}

int
uvm_unshare_cut_tables(struct uvm *vm, uint64 begin, uint64 end)
{
  uint64 ends[2] = { begin, end - PGSIZE };

  for (int k = 0; k < 2; k++) {
    pte_t *l1 = pgtbl_walk_level(vm->pt, ends[k], 1, 0, 0);
    if (l1 == NULL || !(*l1 & PTE_V))
      continue;
    pagetable_t t = (pagetable_t)PTE2KVA(*l1);
    int outside;
    if (pmem_refs(t) > 1 &&
        uvm_table_entries_in(t, ends[k] & ~(L0_SPAN - 1), begin, end, &outside) > 0 &&
        outside > 0 && table_unshare(vm, l1) != 0)
      return -1;
  }
  return 0;
}
