/*
 * fault.c: the one lazy-fault path, for user page faults and for the
 * kernel's copies to and from user memory.
 *
 * An address gets a page on first touch if it lies in the heap
 * [image_end, brk), in the usable stack [STACK_LIMIT, STACK_TOP), or in a
 * mapped region, and the access is one the area allows. All of it happens
 * under the address-space lock, so two harts faulting on the same page of
 * one address space end with exactly one page mapped: the second finds
 * the PTE present and returns.
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

int
uvm_fault_locked(struct uvm *vm, uint64 va, int access)
{
  if (!holding(&vm->lock))
    panic("fault: without the vm lock");
  if (va >= VA_MAX || vm->pt == NULL)
    return -1;
  uint64 va0 = PGROUNDDOWN(va);
  int prot = area_prot(vm, va0);
  if (prot == 0 || (access & ~prot) != 0)
    return -1;

  pte_t *pte = pgtbl_walk(vm->pt, va0, 0, 0);
  if (pte != NULL && (*pte & PTE_V))
    return 0;     /* mapped already (another hart, or an earlier fault) */

  void *page = pmem_alloc(PMEM_USER, vm->pid);
  if (page == NULL)
    return FAULT_NOMEM;
  if (pgtbl_map(vm->pt, va0, (uint64)page, PGSIZE, prot_to_pte(prot), vm->pid) != 0) {
    /* Give back the page and any page-table page the walk took before it
     * ran out, so a failed fault leaves memory exactly as it found it. */
    pmem_free(page);
    uvm_unmap_range(vm, va0, va0 + PGSIZE);
    return FAULT_NOMEM;
  }
  __atomic_add_fetch(&lazy_faults, 1, __ATOMIC_RELAXED);
  return 0;
}

int
uvm_fault(struct uvm *vm, uint64 va, int access)
{
  acquire(&vm->lock);
  int rc = uvm_fault_locked(vm, va, access);
  release(&vm->lock);
  return rc;
}

uint64
uvm_lazy_faults(void)
{
  return __atomic_load_n(&lazy_faults, __ATOMIC_RELAXED);
}
