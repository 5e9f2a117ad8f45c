/*
 * kvm.c: the kernel page table. Devices and RAM are mapped one-to-one;
 * kernel text is read+execute, everything else read+write, nothing both
 * writable and executable. Built once by hart 0, then loaded by every hart.
 * Kernel stacks for all NPROC process slots are allocated and mapped here,
 * once, so the shared table never changes after boot and no hart needs a
 * TLB shootdown. The A and D bits are set up front because QEMU's Sv39 would otherwise
 * fault on first access and the kernel has no handler for that.
 */
#include "arch/memlayout.h"
#include "lib/lib.h"
#include "mm/mm.h"
#include "param.h"

extern char etext[];       /* kernel.ld: end of kernel text */
extern char trampoline[];  /* arch/trampoline.S, one page */

static pagetable_t kernel_pagetable;   /* [I] after kvm_init */

static void
kvm_map_page(uint64 va, uint64 pa, uint64 perm)
{
  if (pgtbl_map(kernel_pagetable, va, pa, PGSIZE, perm | PTE_A | PTE_D, 0) != 0)
    panic("kvm: out of memory building the kernel page table");
}

/* Maps [pa, pa + size) at the same virtual address. */
static void
kvm_map(uint64 pa, uint64 size, uint64 perm)
{
  for (uint64 off = 0; off < size; off += PGSIZE)
    kvm_map_page(pa + off, pa + off, perm);
}

void
kvm_init(uint64 ram_end)
{
  kernel_pagetable = pmem_alloc(PMEM_PGTBL, 0);
  if (kernel_pagetable == NULL)
    panic("kvm: no page for the kernel page table");

  kvm_map(FINISHER_BASE, FINISHER_SIZE, PTE_R | PTE_W);
  kvm_map(CLINT_BASE, CLINT_SIZE, PTE_R | PTE_W);
  kvm_map(SSWI_BASE, SSWI_SIZE, PTE_R | PTE_W);
  kvm_map(PLIC_BASE, PLIC_SIZE, PTE_R | PTE_W);
  kvm_map(UART0_BASE, UART0_SIZE, PTE_R | PTE_W);
  kvm_map(KERNBASE, (uint64)etext - KERNBASE, PTE_R | PTE_X);
  kvm_map((uint64)etext, PGROUNDUP(ram_end) - (uint64)etext, PTE_R | PTE_W);
  if (kvm_map_trampoline(kernel_pagetable) != 0)
    panic("kvm: out of memory mapping the trampoline");

  /* A kernel stack for every process slot, each above an unmapped guard. */
  for (int slot = 0; slot < NPROC; slot++) {
    for (uint64 off = 0; off < KSTACK_SIZE; off += PGSIZE) {
      void *page = pmem_alloc(PMEM_KSTACK, 0);
      if (page == NULL)
        panic("kvm: out of memory for kernel stacks");
      kvm_map_page(KSTACK(slot) + off, (uint64)page, PTE_R | PTE_W);
    }
  }
}

uint64
kvm_satp(void)
{
  return MAKE_SATP(kernel_pagetable);
}

int
kvm_map_trampoline(pagetable_t pt)
{
  return pgtbl_map(pt, TRAMPOLINE, (uint64)trampoline, PGSIZE,
                   PTE_R | PTE_X | PTE_A, 0);
}

void
kvm_inithart(void)
{
  sfence_vma();
  csr_write(satp, MAKE_SATP(kernel_pagetable));
  sfence_vma();
}

static int
audit_visit(struct pgtbl_walker *w, pte_t *pte, uint64 va, int level)
{
  (void)level;
  if (!(*pte & PTE_LEAF_MASK))
    audit_page(w->arg, PTE2PA(*pte), PMEM_PGTBL, 0);
  else if (va >= KSTACK(NPROC - 1) && va < KSTACK_TOP0)
    audit_page(w->arg, PTE2PA(*pte), PMEM_KSTACK, 0);
  /* Other leaves map RAM, devices and the trampoline, not pmem pages. */
  return 0;
}

void
kvm_audit(struct audit *a)
{
  struct pgtbl_walker w = { audit_visit, NULL, a };

  audit_page(a, (uint64)kernel_pagetable, PMEM_PGTBL, 0);
  pgtbl_walk_range(kernel_pagetable, 0, PGTBL_VA_END, &w);
}
