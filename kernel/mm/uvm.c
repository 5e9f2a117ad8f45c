/*
 * uvm.c: user address spaces as objects: the pool they come from, their
 * reference counts, creating, copying (fork) and destroying page tables,
 * and the operations behind sbrk, mmap and munmap.
 *
 * User leaves always carry PTE_U; the trampoline and the threads'
 * trapframe pages (TRAPFRAME, and TRAPFRAME_CLONE in the upper half) are
 * the only mappings without it, and they belong to the kernel and the
 * threads, not to the table, so teardown unlinks them without freeing.
 * Every page a table maps or uses is counted by pmem under the space's id.
 * The lock rules are in mm.h, above struct uvm.
 *
 * Fork shares whole level-0 tables (2 MiB of address space each) rather
 * than pages: ptshare.c keeps them.
 */
#include "arch/memlayout.h"
#include "lib/lib.h"
#include "mm/mm.h"
#include "param.h"
#include "uapi/mman.h"

/* Each process slot holds at most its own space, plus the one an exec in
 * it is building while it still holds the old one. */
#define NUVM (2 * NPROC)
static struct uvm pool[NUVM];
static int next_id = 1;          /* [a] */

void
uvm_init(void)
{
  for (int i = 0; i < NUVM; i++)
    spinlock_init(&pool[i].lock, "uvm", LOCK_RANK_VM);
}

struct uvm *
uvm_alloc(void)
{
  struct uvm *vm;

  for (vm = pool; vm < &pool[NUVM]; vm++) {
    int zero = 0;
    if (__atomic_compare_exchange_n(&vm->in_use, &zero, 1, 0, __ATOMIC_ACQUIRE,
                                    __ATOMIC_RELAXED))
      break;
  }
  if (vm == &pool[NUVM])
    return NULL;
  vm->id = __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED);
  vm->refs = 1;
  vm->loaded = 0;
  vm->tlb_gen = 0;
  vm->image_end = vm->brk = 0;
  vm->regions = NULL;
  vm->last_fault_lazy = 1;
  vm->pt = pmem_alloc(PMEM_PGTBL, vm->id);
  if (vm->pt != NULL)
    kvm_share(vm->pt);
  if (vm->pt == NULL || kvm_map_trampoline(vm->pt) != 0) {
    uvm_destroy_pgtbl(vm->pt);
    vm->pt = NULL;
    __atomic_store_n(&vm->in_use, 0, __ATOMIC_RELEASE);
    return NULL;
  }
  return vm;
}

void
uvm_get(struct uvm *vm)
{
  if (__atomic_fetch_add(&vm->refs, 1, __ATOMIC_RELAXED) <= 0)
    panic("uvm: get of space %d with no reference", vm->id);
}

void
uvm_put(struct uvm *vm)
{
  /* The caller's thread is done with vm (its exit, exec's old image): if
   * this hart is in vm's table, it leaves before the table can go. */
  tlb_unload(vm);
  int left = __atomic_sub_fetch(&vm->refs, 1, __ATOMIC_ACQ_REL);

  if (left < 0)
    panic("uvm: put of space %d with no reference", vm->id);
  if (left > 0)
    return;
  uint64 loaded = __atomic_load_n(&vm->loaded, __ATOMIC_SEQ_CST);
  if (loaded != 0)
    panic("uvm: last put of space %d, whose table harts %p still run", vm->id,
          (void *)loaded);
  /* No thread uses it any more; a hart that ran one may still cache its
   * translations until it flushes. */
  tlb_shootdown(vm);
  /* Detach under the lock (the audit may be walking it), free without:
   * poisoning every page of a large space is long to keep interrupts off. */
  acquire(&vm->lock);
  pagetable_t pt = vm->pt;
  struct mmap_region_node *n = vm->regions, *next;
  vm->pt = NULL;
  vm->regions = NULL;
  vm->image_end = vm->brk = 0;
  release(&vm->lock);
  for (; n != NULL; n = next) {
    next = n->next;
    mmap_region_free(n);
  }
  uvm_destroy_pgtbl(pt);
  __atomic_store_n(&vm->in_use, 0, __ATOMIC_RELEASE);
}

static void gather_table(struct pgtbl_walker *w, pagetable_t pt);

int
uvm_map_trapframe(struct uvm *vm, uint64 va, void *tf)
{
  struct tlb_gather g;
  /* The walker's addresses are not sign-extended (mm.h). */
  uint64 wva = va & (PGTBL_VA_END - 1);

  tlb_gather_init(&g, vm, 0, 0);
  acquire(&vm->lock);
  int rc = pgtbl_map(vm->pt, va, KPA(tf), PGSIZE, PTE_R | PTE_W | PTE_A | PTE_D, vm->id);
  if (rc != 0) {
    /* Give back the page-table pages the walk took before it ran out. */
    struct pgtbl_walker w = { NULL, gather_table, &g };
    pgtbl_walk_range(vm->pt, wva, wva + PGSIZE, &w);
    tlb_gather_finish(&g);
  }
  release(&vm->lock);
  return rc;
}

void
uvm_unmap_trapframe(struct uvm *vm, uint64 va)
{
  acquire(&vm->lock);
  pte_t *pte = pgtbl_walk(vm->pt, va, 0, 0);
  if (pte == NULL || !(*pte & PTE_V) || (*pte & PTE_U))
    panic("uvm: no trapframe at %p in space %d", (void *)va, vm->id);
  /* Only the thread itself reached it, on the harts it ran on: each left
   * the space's table (a full flush) when the thread left it, and the
   * caller's hart does so in its uvm_put (tlb_unload), before the page
   * can be reused. */
  *pte = 0;
  release(&vm->lock);
}

/* pgtbl walker visits and table drops, shared by the walks below. */
static void
free_table(struct pgtbl_walker *w, pagetable_t pt)
{
  (void)w;
  pmem_free(pt);
}

static void
gather_table(struct pgtbl_walker *w, pagetable_t pt)
{
  tlb_gather_page(w->arg, (uint64)pt, 1);
}

/* Drops a whole level-0 table at once (the hot loop of exit and exec): its
 * reference, and with the last its user leaves; the other leaves (the
 * trapframes, the trampoline) are not the table's and are unlinked first.
 * The walk's va for the upper half is at or above VA_MAX: kernel-only. */
static int
destroy_visit(struct pgtbl_walker *w, pte_t *pte, uint64 va, int level)
{
  (void)w;
  if (*pte & PTE_LEAF_MASK)
    panic("uvm: superpage at %p in a user table", (void *)va);
  if (level != 1)
    return PGTBL_WALK_ON;
  pagetable_t t = (pagetable_t)PTE2KVA(*pte);
  if (va + L0_SPAN > TRAPFRAME)
    for (int i = 0; i < PT_ENTRIES; i++)
      if (va + (uint64)i * PGSIZE >= TRAPFRAME)
        t[i] = 0;
  *pte = 0;
  uvm_table_put(t);
  return PGTBL_WALK_SKIP;
}

void
uvm_destroy_pgtbl(pagetable_t pt)
{
  struct pgtbl_walker w = { destroy_visit, free_table, NULL };

  if (pt == NULL)
    return;
  pgtbl_walk_range(pt, 0, UVM_WALK_END, &w);
  pmem_free(pt);
}

void
uvm_copy_page(void *dst, const void *src)
{
  uint64 *d = dst;
  const volatile uint64 *v = src;

  for (int i = 0; i < (int)(PGSIZE / sizeof(uint64)); i++)
    d[i] = v[i];
}

int uvm_fork_copies;   /* [I] boot argument "forkcopy" */

/* fork's walk over the parent's user leaves. */
struct fork_walk {
  struct uvm *to;
  int protected;        /* a writable PTE was made copy-on-write */
};

/* Gives the child one level-0 table of the parent, [va, va + 2 MiB): the
 * table itself, shared, its writable leaves made copy-on-write first (a
 * table already shared has none); or, for the top table and the eager
 * fork, its entries one by one in a tight loop, each page shared (or
 * copied, for the eager fork). Only entries below TRAPFRAME are the
 * process's. */
static int
fork_table(struct fork_walk *f, pte_t *from_l1, uint64 va)
{
  struct uvm *to = f->to;
  pagetable_t from = (pagetable_t)PTE2KVA(*from_l1);

  if (!uvm_fork_copies && va + L0_SPAN <= TRAPFRAME) {
    pte_t *l1 = pgtbl_walk_level(to->pt, va, 1, 1, to->id);
    if (l1 == NULL)
      return PGTBL_WALK_STOP;
    if (*l1 & PTE_V)
      panic("uvm: fork into a child that maps %p already", (void *)va);
    int leaves = -1;    /* not counted: the table is shared already */
    if (pmem_refs(from) == 1) {
      /* Ours alone: make its writable leaves copy-on-write, counting the
       * leaves on the way. Without a branch per entry (PTE_W moves to
       * PTE_COW, bit 2 to bit 8): on QEMU a loop turn with a branch in it
       * costs two translated blocks. */
      _Static_assert(PTE_COW == PTE_W << 6, "PTE_W shifts onto PTE_COW");
      uint64 written = 0, valid = 0;
      for (int i = 0; i < PT_ENTRIES; i++) {
        pte_t e = from[i];
        written |= e & PTE_W;
        valid += e & PTE_V;
        from[i] = (e & ~PTE_W) | ((e & PTE_W) << 6);
      }
      f->protected |= written != 0;
      leaves = (int)valid;
    }
    uvm_table_share(from, leaves);
    *l1 = *from_l1;
    return PGTBL_WALK_SKIP;
  }

  /* va starts a table: the child's entry for it is its table's first. */
  pagetable_t child = pgtbl_walk(to->pt, va, 1, to->id);
  int n = PT_ENTRIES;

  if (child == NULL)
    return PGTBL_WALK_STOP;
  if (va + L0_SPAN > TRAPFRAME)
    n = (int)((TRAPFRAME - va) / PGSIZE);
  for (int i = 0; i < n; i++) {
    pte_t pte = from[i];
    if (!(pte & PTE_V))
      continue;
    if (uvm_fork_copies) {
      void *page = pmem_alloc(PMEM_USER, to->id);
      if (page == NULL)
        return PGTBL_WALK_STOP;
      uvm_copy_page(page, (void *)PTE2KVA(pte));
      child[i] = KVA2PTE(page) | PTE_FLAGS(pte);
      continue;
    }
    if (pte & PTE_W) {
      pte = (pte & ~PTE_W) | PTE_COW;
      from[i] = pte;
      f->protected = 1;
    }
    pmem_get((void *)PTE2KVA(pte));
    child[i] = pte;
  }
  return PGTBL_WALK_SKIP;
}

static int
fork_visit(struct pgtbl_walker *w, pte_t *pte, uint64 va, int level)
{
  if (*pte & PTE_LEAF_MASK)
    panic("uvm: superpage at %p in a user table", (void *)va);
  if (level != 1)
    return PGTBL_WALK_ON;
  return fork_table(w->arg, pte, va);
}

/* Copies from's region list into to's. Returns 0 or -1 (pool empty). */
static int
copy_regions(struct uvm *from, struct uvm *to)
{
  struct mmap_region_node **tail = &to->regions;

  for (struct mmap_region_node *r = from->regions; r != NULL; r = r->next) {
    struct mmap_region_node *n = mmap_region_alloc();
    if (n == NULL)
      return -1;
    n->begin = r->begin;
    n->npages = r->npages;
    n->prot = r->prot;
    *tail = n;
    tail = &n->next;
  }
  return 0;
}

/* Gives back everything below TRAPFRAME that `to` holds: its user pages,
 * its page-table pages but the root's trampoline path, its nodes. `to` is
 * private (no hart runs it), so nothing needs a shootdown. */
static void
uvm_empty(struct uvm *to)
{
  struct mmap_region_node *n, *next;

  for (n = to->regions; n != NULL; n = next) {
    next = n->next;
    mmap_region_free(n);
  }
  to->regions = NULL;
  acquire(&to->lock);
  uvm_unmap_range(to, USER_BASE, TRAPFRAME);
  release(&to->lock);
  to->image_end = to->brk = 0;
}

int
uvm_copy_pgtbl(struct uvm *from, struct uvm *to)
{
  struct fork_walk f = { to, 0 };
  struct pgtbl_walker w = { fork_visit, NULL, &f };

  acquire(&from->lock);
  /* Below TRAPFRAME: the trampoline and the trapframes are the child's own. */
  int rc = pgtbl_walk_range(from->pt, 0, TRAPFRAME, &w) != 0 ? -1 : 0;
  if (rc == 0)
    rc = copy_regions(from, to);
  to->image_end = from->image_end;
  to->brk = from->brk;
  /* Both sides' next writes meet copy-on-write pages, not holes: no fault
   * should take a page before the lock (fault.c). */
  if (f.protected)
    store_once(from->last_fault_lazy, 0);
  to->last_fault_lazy = 0;
#ifndef DEBUG_COW_NO_FLUSH
  /* A sibling thread on another hart may hold a writable translation of a
   * page just made copy-on-write: its next store would land in the page
   * the child now shares. Flush them all before fork returns. */
  if (f.protected)
    tlb_shootdown(from);
#endif
  release(&from->lock);
  if (rc != 0)
    uvm_empty(to);
  return rc;
}

int
uvm_map_zeroed(struct uvm *vm, uint64 va, uint64 size, uint64 perm)
{
  for (uint64 a = va; a < va + size; a += PGSIZE) {
    void *page = pmem_alloc(PMEM_USER, vm->id);
    if (page == NULL)
      return -1;
    if (pgtbl_map(vm->pt, a, KPA(page), PGSIZE, perm | PTE_U | PTE_A | PTE_D,
                  vm->id) != 0) {
      pmem_free(page);
      return -1;
    }
  }
  return 0;
}

struct unmap_walk {
  struct tlb_gather g;
  uint64 begin, end;
};

static int
unmap_visit(struct pgtbl_walker *w, pte_t *pte, uint64 va, int level)
{
  struct unmap_walk *u = w->arg;
  pte_t e = *pte;

  if (e & PTE_LEAF_MASK) {
    *pte = 0;
    tlb_gather_page(&u->g, PTE2KVA(e), 0);
    return PGTBL_WALK_ON;
  }
  pagetable_t t = (pagetable_t)PTE2KVA(e);
  if (level != 1 || pmem_refs(t) == 1)
    return PGTBL_WALK_ON;
  /* A shared table is never written: it goes whole (one reference), or
   * the range misses all its entries. */
  int outside, inside = uvm_table_entries_in(t, va, u->begin, u->end, &outside);
  if (outside == 0) {
    *pte = 0;
    tlb_gather_page(&u->g, (uint64)t, 1);
  } else if (inside > 0) {
    panic("uvm: unmap of part of the shared table at %p", (void *)va);
  }
  return PGTBL_WALK_SKIP;
}

static void
unmap_drop_table(struct pgtbl_walker *w, pagetable_t pt)
{
  struct unmap_walk *u = w->arg;

  tlb_gather_page(&u->g, (uint64)pt, 1);
}

void
uvm_unmap_range(struct uvm *vm, uint64 begin, uint64 end)
{
  struct unmap_walk u = { .begin = begin, .end = end };

  if (!holding(&vm->lock))
    panic("uvm: unmap without the vm lock");
  if (begin >= end || end > TRAPFRAME || (begin | end) & (PGSIZE - 1))
    panic("uvm: unmap %p..%p", (void *)begin, (void *)end);
  tlb_gather_init(&u.g, vm, begin, end);
  struct pgtbl_walker w = { unmap_visit, unmap_drop_table, &u };
  pgtbl_walk_range(vm->pt, begin, end, &w);
  tlb_gather_finish(&u.g);
}

uint64
uvm_sbrk(struct uvm *vm, long n)
{
  acquire(&vm->lock);
  uint64 old = vm->brk;
  uint64 new = old + (uint64)n;
  if ((n > 0 && (new < old || new > MMAP_BEGIN)) ||
      (n < 0 && (new > old || new < vm->image_end))) {
    release(&vm->lock);
    return (uint64)-1;
  }
  if (n < 0 && PGROUNDUP(new) < PGROUNDUP(old)) {
    if (uvm_unshare_cut_tables(vm, PGROUNDUP(new), PGROUNDUP(old)) != 0) {
      release(&vm->lock);
      return (uint64)-1;
    }
    uvm_unmap_range(vm, PGROUNDUP(new), PGROUNDUP(old));
  }
  vm->brk = new;
  release(&vm->lock);
  return old;
}

/* 1 if [addr, addr + npages pages) is page aligned and inside the area. */
static int
in_mmap_area(uint64 addr, uint64 npages)
{
  return (addr & (PGSIZE - 1)) == 0 && addr >= MMAP_BEGIN && addr < MMAP_END &&
         npages >= 1 && npages <= (MMAP_END - addr) / PGSIZE;
}

uint64
uvm_mmap(struct uvm *vm, uint64 addr, uint64 npages, int prot)
{
  acquire(&vm->lock);
  if (addr == 0)
    addr = mmap_region_find_free(vm->regions, npages);
  else if (!in_mmap_area(addr, npages) ||
           mmap_region_overlaps(vm->regions, addr, npages))
    addr = 0;
  if (addr != 0 && mmap_region_insert(&vm->regions, addr, npages, prot) != 0)
    addr = 0;
  release(&vm->lock);
  return addr;
}

int
uvm_munmap(struct uvm *vm, uint64 addr, uint64 npages)
{
  if (!in_mmap_area(addr, npages))
    return -1;
  acquire(&vm->lock);
  /* The one allocation an unmap may need comes first: a failure changes
   * nothing the program can see. */
  int rc = uvm_unshare_cut_tables(vm, addr, addr + npages * PGSIZE);
  if (rc == 0)
    rc = mmap_region_remove(&vm->regions, addr, npages);
  if (rc == 0)
    uvm_unmap_range(vm, addr, addr + npages * PGSIZE);
  release(&vm->lock);
  return rc;
}

static int
print_visit(struct pgtbl_walker *w, pte_t *pte, uint64 va, int level)
{
  static const char *const indent[] = { " .. .. ..", " .. ..", " .." };
  pte_t e = *pte;

  (void)w;
  printf("%s%d: pte %p pa %p %c%c%c%c%s", indent[level], (int)PX(level, va),
         (void *)e, (void *)PTE2PA(e), e & PTE_R ? 'r' : '-', e & PTE_W ? 'w' : '-',
         e & PTE_X ? 'x' : '-', e & PTE_U ? 'u' : '-', e & PTE_COW ? " cow" : "");
  if (level == 1 && pmem_refs((void *)PTE2KVA(e)) > 1)
    printf(" shared by %d", (int)pmem_refs((void *)PTE2KVA(e)));
  printf("\n");
  return 0;
}

void
uvm_print(struct uvm *vm)
{
  acquire(&vm->lock);
  printf("space %d, %d references\n", vm->id, __atomic_load_n(&vm->refs, __ATOMIC_RELAXED));
  printf("heap [%p, %p)\n", (void *)vm->image_end, (void *)vm->brk);
  printf("regions (%d):\n", mmap_region_count(vm->regions));
  for (struct mmap_region_node *r = vm->regions; r != NULL; r = r->next)
    printf("  [%p, %p) %d pages %c%c%c  node %d\n", (void *)r->begin,
           (void *)(r->begin + r->npages * PGSIZE), (int)r->npages,
           r->prot & PROT_READ ? 'r' : '-', r->prot & PROT_WRITE ? 'w' : '-',
           r->prot & PROT_EXEC ? 'x' : '-', mmap_region_index(r));
  printf("page table %p\n", (void *)vm->pt);
  struct pgtbl_walker w = { print_visit, NULL, NULL };
  if (vm->pt != NULL)
    pgtbl_walk_range(vm->pt, 0, UVM_WALK_END, &w);
  release(&vm->lock);
}

static int
audit_visit(struct pgtbl_walker *w, pte_t *pte, uint64 va, int level)
{
  /* A level-0 table shared since a fork is found once per space, its
   * pages once: through the first space that reaches it. */
  if (!(*pte & PTE_LEAF_MASK))
    return audit_page(w->arg, PTE2KVA(*pte), PMEM_PGTBL, level == 1) > 1
               ? PGTBL_WALK_SKIP
               : PGTBL_WALK_ON;
  if (va < TRAPFRAME)
    audit_page(w->arg, PTE2KVA(*pte), PMEM_USER, 0);
  return 0;
}

void
uvm_audit_all(struct audit *a)
{
  for (struct uvm *vm = pool; vm < &pool[NUVM]; vm++) {
    if (!__atomic_load_n(&vm->in_use, __ATOMIC_ACQUIRE))
      continue;
    struct pgtbl_walker w = { audit_visit, NULL, a };
    acquire(&vm->lock);
    if (vm->pt != NULL) {
      audit_page(a, (uint64)vm->pt, PMEM_PGTBL, 0);
      pgtbl_walk_range(vm->pt, 0, UVM_WALK_END, &w);
      /* Its kernel half: the kernel table's own entries, every one. */
      int e = kvm_unshared_entry(vm->pt);
      if (e >= 0)
        audit_kernel_half(a, vm->id, e);
    }
    for (struct mmap_region_node *r = vm->regions; r != NULL; r = r->next)
      audit_node(a, r);
    release(&vm->lock);
  }
}
