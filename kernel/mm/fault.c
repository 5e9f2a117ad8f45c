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
 * In a run of first touches the page is taken before the lock, which is
 * then taken once (uvm_fault); a page taken for a fault that needs none
 * goes back at once (after the lock, or before a copy-on-write break).
 *
 * A write to a copy-on-write page (PTE_COW, read-only, shared since a
 * fork) makes it writable in place if no other table maps it any more;
 * else the writer copies it, outside the lock, holding a reference so the
 * page cannot go meanwhile, and installs its copy if the PTE still maps
 * the shared page, then shoots down its harts (sibling threads must stop
 * reading the old page) and drops the old page's reference.
 *
 * Every PTE either path writes is had from uvm_private_pte: a level-0
 * table that a fork left shared is copied for vm first (uvm.c).
 */
#include "lib/lib.h"
#include "mm/mm.h"
#include "uapi/mman.h"

/* Fault counts, one line per hart so harts faulting at once do not pass a
 * shared line back and forth. Both are counted under vm->lock, interrupts
 * off, so a slot has one writer, its own hart, and a plain store does
 * (store_once; an atomic add would be an AMO, which QEMU makes a helper
 * call with more than one hart). memstat sums them. */
static struct fault_counts {
  uint64 lazy;               /* [a] pages installed on first touch */
  uint64 cow;                /* [a] copy-on-write pages broken */
} __attribute__((aligned(64))) counts[NCPU];

/* Adds one to a count of this hart's. => holds vm->lock (interrupts off,
 * so the hart cannot change under it). */
static inline void
count_fault(uint64 *n)
{
  store_once(*n, *n + 1);
}

#define NEED_PAGE 1          /* fault_check: install a zeroed page */
#define NEED_COPY 2          /* fault_check: break a copy-on-write page */

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

/* The area's PROT_* bits at va0 if they allow access, else 0: no area,
 * an access it forbids, or a table already torn down. */
static int
area_allows(struct uvm *vm, uint64 va0, int access)
{
  int prot = vm->pt != NULL ? area_prot(vm, va0) : 0;

  return prot != 0 && (access & ~prot) == 0 ? prot : 0;
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
 * page is mapped that allows it, NEED_PAGE if a page must be installed
 * (*protp: what its area allows), NEED_COPY if a write meets a
 * copy-on-write page. => holds vm->lock. */
static int
fault_check(struct uvm *vm, uint64 va0, int access, int *protp)
{
  if (vm->pt == NULL)
    return -1;
  pte_t *pte = pgtbl_walk(vm->pt, va0, 0, 0);
  if (pte != NULL && (*pte & PTE_V)) {
    /* Mapped already (another hart, an earlier fault, exec, fork): the
     * PTE says what is allowed. A copy-on-write page was writable. */
    if (!(*pte & PTE_U) || ((access & ACCESS_READ) && !(*pte & PTE_R)) ||
        ((access & ACCESS_EXEC) && !(*pte & PTE_X)))
      return -1;
    if ((access & ACCESS_WRITE) && !(*pte & PTE_W))
      return (*pte & PTE_COW) ? NEED_COPY : -1;
    return 0;
  }
  *protp = area_allows(vm, va0, access);
  return *protp != 0 ? NEED_PAGE : -1;
}

/* Gives the writer its own copy of the copy-on-write page at va0, or the
 * page itself if it is the last sharer. => holds vm->lock, and releases
 * it. */
static int
cow_break(struct uvm *vm, uint64 va0)
{
  /* A level-0 table shared since the fork becomes vm's own first (its
   * pages then count this table too). */
  pte_t *pte = uvm_private_pte(vm, va0);
  if (pte == NULL) {
    release(&vm->lock);
    return FAULT_NOMEM;
  }
  uint64 old = PTE2KVA(*pte);

  if (pmem_refs((void *)old) == 1) {
    /* No other table maps it (the others let go after their shootdowns). */
    *pte = (*pte | PTE_W) & ~PTE_COW;
    count_fault(&counts[mm_hart()].cow);
    release(&vm->lock);
    return 0;
  }
  pmem_get((void *)old);                /* keeps it while we copy */
  release(&vm->lock);
  void *page = pmem_alloc(PMEM_USER, vm->id);
  if (page != NULL)
    uvm_copy_page(page, (void *)old);   /* no one can write it: all read-only */

  acquire(&vm->lock);
  int rc = page != NULL ? 0 : FAULT_NOMEM;
  pte = vm->pt != NULL ? pgtbl_walk(vm->pt, va0, 0, 0) : NULL;
  int still = page != NULL && pte != NULL && (*pte & PTE_V) && (*pte & PTE_COW) &&
              PTE2KVA(*pte) == old;
  if (still) {
    /* A sibling thread may have forked meanwhile, sharing the table again. */
    pte = uvm_private_pte(vm, va0);
    if (pte == NULL)
      rc = FAULT_NOMEM;
  }
  if (still && pte != NULL) {
    *pte = KVA2PTE(page) | ((PTE_FLAGS(*pte) | PTE_W) & ~PTE_COW);
    tlb_shootdown_range(vm, va0, va0 + PGSIZE);
    pmem_put((void *)old);              /* the PTE's reference */
    page = NULL;
    count_fault(&counts[mm_hart()].cow);
  }
  /* Otherwise another thread broke it, or munmap took it: the access is
   * tried again and sees which. */
  release(&vm->lock);
  if (page != NULL)
    pmem_free(page);
  pmem_put((void *)old);                /* ours */
  return rc;
}

/* Installs *pagep (zeroed) at va0, in an area that allows prot, if no
 * page is there: 0, FAULT_ALREADY if another hart installed one,
 * FAULT_NOMEM if a page-table page could not be had. Takes the page
 * (*pagep = NULL) only on 0. => holds vm->lock. */
static int
install(struct uvm *vm, uint64 va0, int prot, void **pagep)
{
  pte_t *pte = uvm_private_pte(vm, va0);
  if (pte == NULL) {
    /* Give back any page-table page the walk took before it ran out, so
     * a failed fault leaves memory exactly as it found it (a table still
     * shared has no entry at va0, and is left alone). */
    uvm_unmap_range(vm, va0, va0 + PGSIZE);
    return FAULT_NOMEM;
  }
  if (*pte & PTE_V) {
    /* Another hart installed it (and a fork may have shared it since):
     * the access is tried again and sees which. */
    return FAULT_ALREADY;
  }
  *pte = KVA2PTE(*pagep) | prot_to_pte(prot) | PTE_V;
  *pagep = NULL;
  count_fault(&counts[mm_hart()].lazy);
  return 0;
}

int
uvm_fault(struct uvm *vm, uint64 va, int access)
{
  if (va >= VA_MAX)
    return -1;
  uint64 va0 = PGROUNDDOWN(va);

  /* If the space's last fault installed a page, this one most likely
   * will too (a run of first touches): take the page before the lock,
   * which is then taken once. Else, or if no page could be had, look
   * first and take a page only if one is needed, with no lock held (it is
   * zeroed meanwhile), then lock again. Not while failure injection is
   * armed anywhere: a guess would add an allocation to a fault that needs
   * none, and the failure sweeps count a fault's allocations exactly. */
  int guess = __atomic_load_n(&vm->last_fault_lazy, __ATOMIC_RELAXED) &&
              __atomic_load_n(&mm_fail_armed, __ATOMIC_RELAXED) == 0;
  void *page = guess ? pmem_alloc(PMEM_USER, vm->id) : NULL;

  acquire(&vm->lock);
  int prot = 0;
  int need = fault_check(vm, va0, access, &prot);
  if (vm->last_fault_lazy != (need == NEED_PAGE))
    store_once(vm->last_fault_lazy, need == NEED_PAGE);
  if (need == NEED_COPY) {
    /* A wrong guess: the page goes back before the break takes its own
     * (with memory nearly gone, holding it could fail the break). */
    if (page != NULL)
      pmem_free(page);
    return cow_break(vm, va0);          /* releases the lock */
  }
  if (need != NEED_PAGE) {
    release(&vm->lock);
    if (page != NULL)
      pmem_free(page);                  /* a wrong guess */
    return need == 0 ? FAULT_ALREADY : need;
  }
  if (page == NULL) {
    release(&vm->lock);
    page = pmem_alloc(PMEM_USER, vm->id);
    if (page == NULL)
      return FAULT_NOMEM;
    acquire(&vm->lock);
    /* While the lock was dropped, munmap or sbrk may have removed the
     * area (or exit the whole table), or another hart installed the page
     * (install sees that): the area is checked again, before the walk to
     * the PTE, which may allocate. */
    prot = area_allows(vm, va0, access);
  }
  int rc = prot != 0 ? install(vm, va0, prot, &page) : -1;
  release(&vm->lock);
  if (page != NULL)
    pmem_free(page);
  return rc;
}

uint64
uvm_lazy_faults(void)
{
  uint64 n = 0;

  for (int h = 0; h < NCPU; h++)
    n += __atomic_load_n(&counts[h].lazy, __ATOMIC_RELAXED);
  return n;
}

uint64
uvm_cow_faults(void)
{
  uint64 n = 0;

  for (int h = 0; h < NCPU; h++)
    n += __atomic_load_n(&counts[h].cow, __ATOMIC_RELAXED);
  return n;
}
