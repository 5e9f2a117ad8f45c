/*
 * usercopy.c: copies between kernel memory and a user address space.
 *
 * Each page is looked up and copied under vm->lock, through the kernel's
 * linear map of RAM, so a concurrent munmap (which clears PTEs under
 * the same lock) can never free a page in the middle of a copy. A page
 * that is not mapped yet is faulted in with the lock dropped, then looked
 * up again.
 */
#include "lib/lib.h"
#include "mm/mm.h"

/* The kernel address of user page va0 if it is mapped and the user may
 * access it in the given way; 0 if not. => holds vm->lock. */
static uint64
user_page(struct uvm *vm, uint64 va0, int access)
{
  if (va0 >= VA_MAX || vm->pt == NULL)
    return 0;
  pte_t *pte = pgtbl_walk(vm->pt, va0, 0, 0);
  if (pte == NULL || !(*pte & PTE_V) || !(*pte & PTE_U))
    return 0;
  if ((access & ACCESS_WRITE) && !(*pte & PTE_W))
    return 0;
  if ((access & ACCESS_READ) && !(*pte & PTE_R))
    return 0;
  if ((access & ACCESS_EXEC) && !(*pte & PTE_X))
    return 0;
  return PTE2KVA(*pte);
}

/* Runs copy(pa, arg) on the kernel address of user page va0 under
 * vm->lock, faulting the page in first if it may. Returns 0, or -1 if the
 * page is not accessible that way. */
static int
with_user_page(struct uvm *vm, uint64 va0, int access, int may_fault,
               void (*copy)(uint64 pa, void *arg), void *arg)
{
  for (;;) {
    acquire(&vm->lock);
    uint64 pa = user_page(vm, va0, access);
    if (pa != 0 && copy != NULL)
      copy(pa, arg);
    release(&vm->lock);
    if (pa != 0)
      return 0;
    /* The fault says the page is there now (the kernel copies through the
     * linear map: no user translation to flush); look again (a sibling may
     * unmap it before we do, and then the next fault says no). */
    if (!may_fault || uvm_fault(vm, va0, access) < 0)
      return -1;
  }
}

struct chunk {
  uint64 off;     /* offset in the page */
  uint64 n;       /* bytes */
  char *k;        /* kernel side */
  int to_user;
};

static void
copy_chunk(uint64 pa, void *arg)
{
  struct chunk *c = arg;

  if (c->to_user)
    memmove((void *)(pa + c->off), c->k, c->n);
  else
    memmove(c->k, (void *)(pa + c->off), c->n);
}

/* Copies len bytes between kernel buf and user va, in the given direction. */
static int
copy_user(struct uvm *vm, uint64 va, void *buf, uint64 len, int access,
          int may_fault)
{
  struct chunk c = { 0, 0, buf, access == ACCESS_WRITE };

  if (va + len < va)
    return -1;
  while (len > 0) {
    uint64 va0 = PGROUNDDOWN(va);
    c.off = va - va0;
    c.n = PGSIZE - c.off < len ? PGSIZE - c.off : len;
    if (with_user_page(vm, va0, access, may_fault, copy_chunk, &c) != 0)
      return -1;
    len -= c.n;
    c.k += c.n;
    va += c.n;
  }
  return 0;
}

int
uvm_check_access(struct uvm *vm, uint64 va, uint64 len, int access)
{
  if (va + len < va)
    return -1;
  for (uint64 a = PGROUNDDOWN(va); a < va + len; a += PGSIZE)
    if (with_user_page(vm, a, access, 1, NULL, NULL) != 0)
      return -1;
  return 0;
}

int
copyout(struct uvm *vm, uint64 dstva, const void *src, uint64 len)
{
  return copy_user(vm, dstva, (void *)src, len, ACCESS_WRITE, 1);
}

int
copyout_nofault(struct uvm *vm, uint64 dstva, const void *src, uint64 len)
{
  /* Check every page first, so a failure writes nothing. */
  if (dstva + len < dstva)
    return -1;
  for (uint64 a = PGROUNDDOWN(dstva); a < dstva + len; a += PGSIZE)
    if (with_user_page(vm, a, ACCESS_WRITE, 0, NULL, NULL) != 0)
      return -1;
  return copy_user(vm, dstva, (void *)src, len, ACCESS_WRITE, 0);
}

int
copyin(struct uvm *vm, void *dst, uint64 srcva, uint64 len)
{
  return copy_user(vm, srcva, dst, len, ACCESS_READ, 1);
}

struct strchunk {
  uint64 off;
  char *dst;
  uint64 got, max;
  int done;
};

static void
copy_str_chunk(uint64 pa, void *arg)
{
  struct strchunk *c = arg;
  const char *s = (const char *)(pa + c->off);

  for (; c->off < PGSIZE && c->got < c->max; c->off++) {
    char ch = *s++;
    c->dst[c->got++] = ch;
    if (ch == '\0') {
      c->done = 1;
      return;
    }
  }
}

int
copyinstr(struct uvm *vm, char *dst, uint64 srcva, uint64 max)
{
  struct strchunk c = { 0, dst, 0, max, 0 };

  while (c.got < max) {
    uint64 va0 = PGROUNDDOWN(srcva);
    uint64 start = c.got;
    c.off = srcva - va0;
    if (with_user_page(vm, va0, ACCESS_READ, 1, copy_str_chunk, &c) != 0)
      return -1;
    if (c.done)
      return (int)(c.got - 1);
    srcva += c.got - start;
  }
  return -1;
}
