/*
 * uvm.c: user address spaces: creating, copying (fork) and destroying page
 * tables, the heap break, and the copies between kernel and user memory.
 *
 * User leaves always carry PTE_U; the trampoline and trapframe pages at the
 * top are the only mappings without it, and they belong to the kernel and
 * the process, not to the table, so teardown unlinks them without freeing.
 * Every page a table maps or uses is counted by pmem under the owner pid.
 */
#include "lib/lib.h"
#include "mm/mm.h"
#include "uapi/mman.h"

/* The user-visible va of the entry at index i of a level-`level` table
 * whose own range starts at base. */
static uint64
entry_va(uint64 base, int level, int i)
{
  return base + ((uint64)i << PX_SHIFT(level));
}

void
uvm_setup(struct uvm *vm, int pid)
{
  spinlock_init(&vm->lock, "uvm", LOCK_RANK_VM);
  vm->pt = NULL;
  vm->image_end = 0;
  vm->brk = 0;
  vm->regions = NULL;
  vm->pid = pid;
}

int
uvm_init(struct uvm *vm, uint64 trapframe_pa)
{
  pagetable_t pt = pmem_alloc(PMEM_PGTBL, vm->pid);

  if (pt == NULL)
    return -1;
  if (kvm_map_trampoline(pt) != 0 ||
      pgtbl_map(pt, TRAPFRAME, trapframe_pa, PGSIZE,
                PTE_R | PTE_W | PTE_A | PTE_D, vm->pid) != 0) {
    uvm_destroy_pgtbl(pt);
    return -1;
  }
  vm->pt = pt;
  return 0;
}

#ifdef DEBUG_LEAK_ONE_PAGE
/* `make LEAK=1`: forget to free the first page owned by a pid of at least
 * LEAK_PID_MIN that any teardown frees (exit, exec's old image, a failed
 * fork), so the stress suite's leak report and audit can be seen to catch
 * a real leak. Never in a normal build. */
#define LEAK_PID_MIN 10
static int leaked;   /* [a] */

static int
leak_this_page(uint64 pa)
{
  return pmem_owner((void *)pa) >= LEAK_PID_MIN &&
         __sync_bool_compare_and_swap(&leaked, 0, 1);
}
#else
#define leak_this_page(pa) 0
#endif

static void
destroy_level(pagetable_t pt, int level, uint64 base)
{
  for (int i = 0; i < PT_ENTRIES; i++) {
    pte_t pte = pt[i];
    if (!(pte & PTE_V))
      continue;
    uint64 va = entry_va(base, level, i);
    if (pte & PTE_LEAF_MASK) {
      if (level != 0)
        panic("uvm: superpage at %p in a user table", (void *)va);
      if (va < TRAPFRAME && !leak_this_page(PTE2PA(pte)))
        pmem_free((void *)PTE2PA(pte));
    } else {
      destroy_level((pagetable_t)PTE2PA(pte), level - 1, va);
    }
    pt[i] = 0;
  }
  pmem_free(pt);
}

void
uvm_destroy_pgtbl(pagetable_t pt)
{
  if (pt != NULL)
    destroy_level(pt, 2, 0);
}

void
uvm_free(struct uvm *vm)
{
  struct mmap_region_node *n, *next;

  for (n = vm->regions; n != NULL; n = next) {
    next = n->next;
    mmap_region_free(n);
  }
  vm->regions = NULL;
  uvm_destroy_pgtbl(vm->pt);
  vm->pt = NULL;
  vm->image_end = vm->brk = 0;
}

/* Copies the user leaves of one table level into `to`. Returns 0 or -1. */
static int
copy_level(pagetable_t from, int level, uint64 base, struct uvm *to)
{
  for (int i = 0; i < PT_ENTRIES; i++) {
    pte_t pte = from[i];
    if (!(pte & PTE_V))
      continue;
    uint64 va = entry_va(base, level, i);
    if (!(pte & PTE_LEAF_MASK)) {
      if (copy_level((pagetable_t)PTE2PA(pte), level - 1, va, to) != 0)
        return -1;
      continue;
    }
    if (va >= TRAPFRAME)
      continue;                     /* uvm_init mapped the child's own */
    void *page = pmem_alloc(PMEM_USER, to->pid);
    if (page == NULL)
      return -1;
    memcpy(page, (void *)PTE2PA(pte), PGSIZE);
    if (pgtbl_map(to->pt, va, (uint64)page, PGSIZE, PTE_FLAGS(pte) & ~PTE_V,
                  to->pid) != 0) {
      pmem_free(page);
      return -1;
    }
  }
  return 0;
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

int
uvm_copy_pgtbl(struct uvm *from, struct uvm *to, uint64 trapframe_pa)
{
  if (uvm_init(to, trapframe_pa) != 0)
    return -1;
  acquire(&from->lock);
  int rc = copy_level(from->pt, 2, 0, to);
  if (rc == 0)
    rc = copy_regions(from, to);
  to->image_end = from->image_end;
  to->brk = from->brk;
  release(&from->lock);
  if (rc != 0)
    uvm_free(to);
  return rc;
}

int
uvm_map_zeroed(struct uvm *vm, uint64 va, uint64 size, uint64 perm)
{
  for (uint64 a = va; a < va + size; a += PGSIZE) {
    void *page = pmem_alloc(PMEM_USER, vm->pid);
    if (page == NULL)
      return -1;
    if (pgtbl_map(vm->pt, a, (uint64)page, PGSIZE, perm | PTE_U | PTE_A | PTE_D,
                  vm->pid) != 0) {
      pmem_free(page);
      return -1;
    }
  }
  return 0;
}

static int
table_is_empty(pagetable_t pt)
{
  for (int i = 0; i < PT_ENTRIES; i++)
    if (pt[i] & PTE_V)
      return 0;
  return 1;
}

/* Unmaps [begin, end) below one table; frees tables it empties. Returns
 * 1 if pt itself is now empty. */
static int
unmap_level(pagetable_t pt, int level, uint64 base, uint64 begin, uint64 end)
{
  uint64 span = 1UL << PX_SHIFT(level);

  for (int i = 0; i < PT_ENTRIES; i++) {
    uint64 va = entry_va(base, level, i);
    if (va + span <= begin || va >= end || !(pt[i] & PTE_V))
      continue;
    if (pt[i] & PTE_LEAF_MASK) {
      pmem_free((void *)PTE2PA(pt[i]));
      pt[i] = 0;
    } else {
      pagetable_t next = (pagetable_t)PTE2PA(pt[i]);
      if (unmap_level(next, level - 1, va, begin, end)) {
        pmem_free(next);
        pt[i] = 0;
      }
    }
  }
  return table_is_empty(pt);
}

void
uvm_unmap_range(struct uvm *vm, uint64 begin, uint64 end)
{
  if (!holding(&vm->lock))
    panic("uvm: unmap_range without the vm lock");
  if (begin >= end || end > TRAPFRAME || (begin | end) & (PGSIZE - 1))
    panic("uvm: unmap_range %p..%p", (void *)begin, (void *)end);
  /* The root always keeps the trapframe and trampoline, so it never empties. */
  unmap_level(vm->pt, 2, 0, begin, end);
  sfence_vma();
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
  if (n < 0 && PGROUNDUP(new) < PGROUNDUP(old))
    uvm_unmap_range(vm, PGROUNDUP(new), PGROUNDUP(old));
  vm->brk = new;
  release(&vm->lock);
  return old;
}

/* The kernel address of user page va0 if the user may access it in the
 * given way, faulting lazy pages in; 0 if not. => holds vm->lock. */
static uint64
user_page(struct uvm *vm, uint64 va0, int access)
{
  if (va0 >= VA_MAX)
    return 0;
  pte_t *pte = pgtbl_walk(vm->pt, va0, 0, 0);
  if (pte == NULL || !(*pte & PTE_V)) {
    if (uvm_fault_locked(vm, va0, access) != 0)
      return 0;
    pte = pgtbl_walk(vm->pt, va0, 0, 0);
  }
  if (pte == NULL || !(*pte & PTE_V) || !(*pte & PTE_U))
    return 0;
  if ((access & ACCESS_WRITE) && !(*pte & PTE_W))
    return 0;
  if ((access & ACCESS_READ) && !(*pte & PTE_R))
    return 0;
  return PTE2PA(*pte);
}

/* Copies len bytes between kernel buf and user va, in the given direction.
 * => takes vm->lock for each page. */
static int
copy_user(struct uvm *vm, uint64 va, void *buf, uint64 len, int access)
{
  char *k = buf;

  if (va + len < va)
    return -1;
  while (len > 0) {
    uint64 va0 = PGROUNDDOWN(va);
    uint64 off = va - va0;
    uint64 n = PGSIZE - off < len ? PGSIZE - off : len;
    acquire(&vm->lock);
    uint64 pa = user_page(vm, va0, access);
    if (pa != 0) {
      if (access & ACCESS_WRITE)
        memmove((void *)(pa + off), k, n);
      else
        memmove(k, (void *)(pa + off), n);
    }
    release(&vm->lock);
    if (pa == 0)
      return -1;
    len -= n;
    k += n;
    va += n;
  }
  return 0;
}

int
uvm_check_access(struct uvm *vm, uint64 va, uint64 len, int access)
{
  if (va + len < va)
    return -1;
  for (uint64 a = PGROUNDDOWN(va); a < va + len; a += PGSIZE) {
    acquire(&vm->lock);
    uint64 pa = user_page(vm, a, access);
    release(&vm->lock);
    if (pa == 0)
      return -1;
  }
  return 0;
}

int
copyout(struct uvm *vm, uint64 dstva, const void *src, uint64 len)
{
  return copy_user(vm, dstva, (void *)src, len, ACCESS_WRITE);
}

int
copyin(struct uvm *vm, void *dst, uint64 srcva, uint64 len)
{
  return copy_user(vm, srcva, dst, len, ACCESS_READ);
}

int
copyinstr(struct uvm *vm, char *dst, uint64 srcva, uint64 max)
{
  uint64 got = 0;

  while (got < max) {
    uint64 va0 = PGROUNDDOWN(srcva);
    uint64 off = srcva - va0;
    acquire(&vm->lock);
    uint64 pa = user_page(vm, va0, ACCESS_READ);
    int done = 0;
    if (pa != 0) {
      const char *s = (const char *)(pa + off);
      for (; off < PGSIZE && got < max; off++, got++, srcva++) {
        dst[got] = *s++;
        if (dst[got] == '\0') {
          done = 1;
          break;
        }
      }
    }
    release(&vm->lock);
    if (pa == 0)
      return -1;
    if (done)
      return (int)got;
  }
  return -1;
}

static void
print_level(pagetable_t pt, int level)
{
  static const char *const indent[] = { " .. .. ..", " .. ..", " .." };

  for (int i = 0; i < PT_ENTRIES; i++) {
    pte_t pte = pt[i];
    if (!(pte & PTE_V))
      continue;
    printf("%s%d: pte %p pa %p %c%c%c%c\n", indent[level], i, (void *)pte,
           (void *)PTE2PA(pte), pte & PTE_R ? 'r' : '-', pte & PTE_W ? 'w' : '-',
           pte & PTE_X ? 'x' : '-', pte & PTE_U ? 'u' : '-');
    if (!(pte & PTE_LEAF_MASK))
      print_level((pagetable_t)PTE2PA(pte), level - 1);
  }
}

void
uvm_print(struct uvm *vm)
{
  acquire(&vm->lock);
  printf("heap [%p, %p)\n", (void *)vm->image_end, (void *)vm->brk);
  printf("regions (%d):\n", mmap_region_count(vm->regions));
  for (struct mmap_region_node *r = vm->regions; r != NULL; r = r->next)
    printf("  [%p, %p) %d pages %c%c%c  node %d\n", (void *)r->begin,
           (void *)(r->begin + r->npages * PGSIZE), (int)r->npages,
           r->prot & PROT_READ ? 'r' : '-', r->prot & PROT_WRITE ? 'w' : '-',
           r->prot & PROT_EXEC ? 'x' : '-', mmap_region_index(r));
  printf("page table %p\n", (void *)vm->pt);
  if (vm->pt != NULL)
    print_level(vm->pt, 2);
  release(&vm->lock);
}

static void
audit_user_level(pagetable_t pt, int level, uint64 base, struct audit *a)
{
  audit_page(a, (uint64)pt, PMEM_PGTBL, 0);
  for (int i = 0; i < PT_ENTRIES; i++) {
    pte_t pte = pt[i];
    if (!(pte & PTE_V))
      continue;
    uint64 va = entry_va(base, level, i);
    if (!(pte & PTE_LEAF_MASK))
      audit_user_level((pagetable_t)PTE2PA(pte), level - 1, va, a);
    else if (va < TRAPFRAME)
      audit_page(a, PTE2PA(pte), PMEM_USER, 0);
  }
}

void
uvm_audit(struct uvm *vm, struct audit *a)
{
  if (!holding(&vm->lock))
    panic("uvm: audit without the vm lock");
  if (vm->pt != NULL)
    audit_user_level(vm->pt, 2, 0, a);
  for (struct mmap_region_node *r = vm->regions; r != NULL; r = r->next)
    audit_node(a, r);
}
