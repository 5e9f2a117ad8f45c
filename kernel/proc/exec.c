/*
 * exec.c: replace a process's image with a program from the built-in
 * image. The new address space is built whole on the side and swapped in
 * only when nothing can fail any more, so a failed exec leaves the old
 * image exactly as it was. Once it cannot fail, it ends every other thread
 * of the process (proc_unshare_threads) and the caller takes over.
 *
 * Segments: text read+execute, data read+write, never both write and
 * execute; the heap starts at the page after the last segment. The stack
 * gets argv: the strings at the top, then the pointer array, 16-byte
 * aligned; a0 = argc and a1 = argv on entry.
 */
#include "lib/lib.h"
#include "mm/mm.h"
#include "proc/elf.h"
#include "proc/proc.h"
#include "uapi/syscall.h"

/* Copies n bytes of the file into vm at va, whatever the page's perms.
 * => vm is private to exec and [va, va + n) is mapped. */
static void
load_bytes(struct uvm *vm, uint64 va, const uint8 *src, uint64 n)
{
  while (n > 0) {
    uint64 va0 = PGROUNDDOWN(va), off = va - va0;
    uint64 k = PGSIZE - off < n ? PGSIZE - off : n;
    pte_t *pte = pgtbl_walk(vm->pt, va0, 0, 0);
    if (pte == NULL || !(*pte & PTE_V))
      panic("exec: segment page %p not mapped", (void *)va0);
    memcpy((void *)(PTE2KVA(*pte) + off), src, k);
    src += k;
    va += k;
    n -= k;
  }
}

/* Maps and fills the PT_LOAD segments; returns the entry point, or 0. */
static uint64
load_elf(struct uvm *vm, const uint8 *elf, uint64 size)
{
  const struct elf_header *eh = (const void *)elf;

  if (size < sizeof(*eh) || eh->magic != ELF_MAGIC || eh->class != ELFCLASS64 ||
      eh->machine != EM_RISCV || eh->type != ET_EXEC ||
      eh->phentsize != sizeof(struct elf_phdr) || eh->phoff > size ||
      (uint64)eh->phnum * sizeof(struct elf_phdr) > size - eh->phoff)
    return 0;

  uint64 end = USER_BASE;
  const struct elf_phdr *ph = (const void *)(elf + eh->phoff);
  for (int i = 0; i < eh->phnum; i++, ph++) {
    if (ph->type != PT_LOAD || ph->memsz == 0)
      continue;
    if (ph->memsz < ph->filesz || ph->vaddr % PGSIZE != 0 || ph->vaddr < end ||
        ph->vaddr + ph->memsz < ph->vaddr || ph->vaddr + ph->memsz > MMAP_BEGIN ||
        ph->off > size || ph->filesz > size - ph->off)
      return 0;
    if ((ph->flags & PF_W) && (ph->flags & PF_X))
      return 0;   /* never writable and executable at once */
    uint64 perm = PTE_R;
    if (ph->flags & PF_W)
      perm |= PTE_W;
    if (ph->flags & PF_X)
      perm |= PTE_X;
    uint64 len = PGROUNDUP(ph->memsz);
    if (uvm_map_zeroed(vm, ph->vaddr, len, perm) != 0)
      return 0;
    load_bytes(vm, ph->vaddr, elf + ph->off, ph->filesz);
    end = ph->vaddr + len;
  }
  if (end == USER_BASE || eh->entry < USER_BASE || eh->entry >= end)
    return 0;
  vm->image_end = vm->brk = end;
  return eh->entry;
}

/* Puts argv on vm's stack. Returns the stack pointer, or 0. */
static uint64
push_args(struct uvm *vm, char *const *argv, int *argcp, uint64 *argvp)
{
  uint64 ustack[MAXARG + 1];
  uint64 sp = STACK_TOP;
  int argc;

  for (argc = 0; argv[argc] != NULL; argc++) {
    if (argc == MAXARG)
      return 0;
    uint64 len = strlen(argv[argc]) + 1;
    if (len > MAXARGLEN)
      return 0;
    sp = (sp - len) & ~15UL;
    if (copyout(vm, sp, argv[argc], len) != 0)
      return 0;
    ustack[argc] = sp;
  }
  ustack[argc] = 0;
  sp = (sp - (argc + 1) * sizeof(uint64)) & ~15UL;
  if (sp < STACK_LIMIT || copyout(vm, sp, ustack, (argc + 1) * sizeof(uint64)) != 0)
    return 0;
  *argcp = argc;
  *argvp = sp;
  return sp;
}

int
exec(const char *path, char *const *argv)
{
  struct proc *p = myproc();
  uint64 size, entry, sp, uargv;
  int argc;

  const uint8 *elf = progimage_find(path, &size);
  if (elf == NULL)
    return -1;
  /* The new image, built whole on the side; the caller becomes the
   * process's only thread, so its trapframe goes at TRAPFRAME. */
  struct uvm *nv = uvm_alloc();
  if (nv == NULL)
    return -1;
  if (uvm_map_trapframe(nv, TRAPFRAME, p->trapframe) != 0 ||
      (entry = load_elf(nv, elf, size)) == 0 ||
      (sp = push_args(nv, argv, &argc, &uargv)) == 0 ||
      proc_unshare_threads() != 0) {
    uvm_put(nv);
    return -1;
  }

  /* Point of no return: the other threads are gone; swap the new image
   * in, then drop the old one (its last reference: it is freed). */
  uint64 old_tf = p->trapframe_va;
  struct uvm *old = proc_switch_vm(nv);
  p->trapframe_va = TRAPFRAME;
  if (old != NULL) {
    uvm_unmap_trapframe(old, old_tf);
    uvm_put(old);
  }

  strlcpy(p->name, path, sizeof(p->name));
  p->trapframe->epc = entry;
  p->trapframe->sp = sp;
  p->trapframe->a1 = uargv;
  return argc;
}
