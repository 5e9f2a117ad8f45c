/*
 * kvm.c: the kernel page table. Devices and RAM are mapped one-to-one;
 * kernel text is read+execute, everything else read+write, nothing both
 * writable and executable. Built once by hart 0, then loaded by every hart.
 * The A and D bits are set up front because QEMU's Sv39 would otherwise
 * fault on first access and the kernel has no handler for that.
 */
#include "arch/memlayout.h"
#include "lib/lib.h"
#include "mm/mm.h"

extern char etext[];     /* kernel.ld: end of kernel text */

static pagetable_t kernel_pagetable;   /* [I] after kvm_init */

static void
kvm_map(uint64 pa, uint64 size, uint64 perm)
{
  if (pgtbl_map(kernel_pagetable, pa, pa, size, perm | PTE_A | PTE_D, 0) != 0)
    panic("kvm: out of memory building the kernel page table");
}

void
kvm_init(uint64 ram_end)
{
  kernel_pagetable = pmem_alloc(PMEM_PGTBL, 0);
  if (kernel_pagetable == NULL)
    panic("kvm: no page for the kernel page table");

  kvm_map(FINISHER_BASE, FINISHER_SIZE, PTE_R | PTE_W);
  kvm_map(CLINT_BASE, CLINT_SIZE, PTE_R | PTE_W);
  kvm_map(PLIC_BASE, PLIC_SIZE, PTE_R | PTE_W);
  kvm_map(UART0_BASE, UART0_SIZE, PTE_R | PTE_W);
  kvm_map(KERNBASE, (uint64)etext - KERNBASE, PTE_R | PTE_X);
  kvm_map((uint64)etext, PGROUNDUP(ram_end) - (uint64)etext, PTE_R | PTE_W);
}

void
kvm_inithart(void)
{
  sfence_vma();
  csr_write(satp, MAKE_SATP(kernel_pagetable));
  sfence_vma();
}
