/*
 * fault.c: the one lazy-fault path, for user page faults and for the
 * kernel's copies to and from user memory.
 *
 * An address gets a page on first touch if it lies in the heap
 * [image_end, brk), in the usable stack [STACK_LIMIT, STACK_TOP), or in a
 * mapped region, and the access is one the area allows. The page is
 * allocated and zeroed with no lock held, so threads of one space fault
 * different pages on different harts in parallel; vm->lock covers only
 * the checks and the install. Two harts faulting the same page both
 * allocate, but only the first to install keeps its page: the second finds
 * the PTE present and frees its own, so exactly one page ends up mapped.
 */
#include "lib/lib.h"
#include "mm/mm.h"
#include "uapi/mman.h"

static uint64 lazy_faults;   /* [a] */

/* PROT_* bits the area around va allows, or 0 if va is in no area. */
static int
area_prot(struct uvm *vm, uint64 va)
{
  if (va >= vm->image_end && va < vm->brk)
    return PROT_READ | PROT_WRITE;
  if (va >= STACK_LIMIT && va < STACK_TOP)
    return PROT_READ | PROT_WRITE;
  for (struct mmap_region_node *r = vm->regions; r != NULL; r = r->next)
    if (va >= r->begin && va < r->begin + r->npages * PGSIZE)
      return r->prot;
  return 0;
}

static uint64
prot_to_pte(int prot)
{
  uint64 perm = PTE_U | PTE_A | PTE_D;

  if (prot & PROT_READ)
    perm |= PTE_R;
  if (prot & PROT_WRITE)
    perm |= PTE_W;
  if (prot & PROT_EXEC)
    perm |= PTE_X;
  return perm;
}

/* What an access to page va0 needs: -1 if the space forbids it, 0 if a
 * page is mapped that allows it, 1 if a page must be installed (with PTE
 * permissions *perm). => holds vm->lock. */
static int
fault_check(struct uvm *vm, uint64 va0, int access, uint64 *perm)
{
  if (vm->pt == NULL)
    return -1;
  int prot = area_prot(vm, va0);
  if (prot == 0 || (access & ~prot) != 0)
    return -1;
  pte_t *pte = pgtbl_walk(vm->pt, va0, 0, 0);
  if (pte != NULL && (*pte & PTE_V))
    return 0;     /* mapped already (another hart, or an earlier fault) */
  *perm = prot_to_pte(prot);
  return 1;
}

int
uvm_fault(struct uvm *vm, uint64 va, int access)
{
  uint64 perm;

  if (va >= VA_MAX)
    return -1;
  uint64 va0 = PGROUNDDOWN(va);
  acquire(&vm->lock);
  int need = fault_check(vm, va0, access, &perm);
  release(&vm->lock);
  if (need <= 0)
    return need;

  void *page = pmem_alloc(PMEM_USER, vm->id);   /* zeroed, no lock held */
  if (page == NULL)
    return FAULT_NOMEM;

  struct tlb_gather g = { 0, 0 };
  acquire(&vm->lock);
  /* While the lock was dropped, munmap or sbrk may have removed the area,
   * or another hart may have installed the page. */
  int rc = fault_check(vm, va0, access, &perm);
  if (rc == 1) {
    if (pgtbl_map(vm->pt, va0, (uint64)page, PGSIZE, perm, vm->id) == 0) {
      page = NULL;
      rc = 0;
      __atomic_add_fetch(&lazy_faults, 1, __ATOMIC_RELAXED);
    } else {
      /* Give back any page-table page the walk took before it ran out, so
       * a failed fault leaves memory exactly as it found it. */
      uvm_unmap_gather(vm, va0, va0 + PGSIZE, &g);
      rc = FAULT_NOMEM;
    }
  }
  release(&vm->lock);
  if (page != NULL)
    pmem_free(page);
  tlb_gather_finish(vm, &g);
  return rc;
}

uint64
uvm_lazy_faults(void)
{
  return __atomic_load_n(&lazy_faults, __ATOMIC_RELAXED);
}
