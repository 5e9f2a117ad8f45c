/*
 * kvm.c: the kernel page table, and the kernel half of every table.
 *
 * The kernel lives in Sv39's upper half (arch/memlayout.h): the linear map
 * of devices and RAM at KVA(pa), with the kernel's text read+execute and
 * everything else read+write, nothing both; and the kernel stacks of all
 * NPROC slots, each above an unmapped guard, allocated and mapped here,
 * once. Every mapping is global (PTE_G) and kernel-only. All of it sits
 * under the root entries from KROOT_FIRST on, built once by hart 0 and
 * never changed after boot: every user table copies those root entries
 * (kvm_share), so a hart in a user table reaches the kernel without a
 * page-table switch, and no hart ever needs a shootdown for the kernel.
 * The A and D bits are set up front because QEMU's Sv39 would otherwise
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
  if (pgtbl_map(kernel_pagetable, va, pa, PGSIZE, perm | PTE_G | PTE_A | PTE_D, 0) != 0)
    panic("kvm: out of memory building the kernel page table");
}

/* Maps physical [pa, pa + size) in the linear map, at KVA(pa). */
static void
kvm_map(uint64 pa, uint64 size, uint64 perm)
{
  for (uint64 off = 0; off < size; off += PGSIZE)
    kvm_map_page(KVA(pa + off), pa + off, perm);
}

void
kvm_init(uint64 ram_end)
{
  uint64 text_end = KPA(etext);

  kernel_pagetable = pmem_alloc(PMEM_PGTBL, 0);
  if (kernel_pagetable == NULL)
    panic("kvm: no page for the kernel page table");
  if (ram_end > KMAP_SIZE)
    panic("kvm: RAM ends at %p, beyond the linear map", (void *)ram_end);

  kvm_map(FINISHER_BASE, FINISHER_SIZE, PTE_R | PTE_W);
  kvm_map(CLINT_BASE, CLINT_SIZE, PTE_R | PTE_W);
  kvm_map(SSWI_BASE, SSWI_SIZE, PTE_R | PTE_W);
  kvm_map(PLIC_BASE, PLIC_SIZE, PTE_R | PTE_W);
  kvm_map(UART0_BASE, UART0_SIZE, PTE_R | PTE_W);
  kvm_map(KERNBASE, text_end - KERNBASE, PTE_R | PTE_X);
  kvm_map(text_end, PGROUNDUP(ram_end) - text_end, PTE_R | PTE_W);
  if (kvm_map_trampoline(kernel_pagetable) != 0)
    panic("kvm: out of memory mapping the trampoline");

  /* A kernel stack for every process slot, each above an unmapped guard. */
  for (int slot = 0; slot < NPROC; slot++) {
    for (uint64 off = 0; off < KSTACK_SIZE; off += PGSIZE) {
      void *page = pmem_alloc(PMEM_KSTACK, 0);
      if (page == NULL)
        panic("kvm: out of memory for kernel stacks");
      kvm_map_page(KSTACK(slot) + off, KPA(page), PTE_R | PTE_W);
    }
  }
  /* Below KROOT_FIRST the kernel table holds only the trampoline's path,
   * which every user table builds for itself. */
  for (int i = 0; i < KROOT_FIRST; i++)
    if ((kernel_pagetable[i] & PTE_V) && i != (int)PX(2, TRAMPOLINE))
      panic("kvm: root entry %d is below the kernel's shared entries", i);
}

void
kvm_share(pagetable_t pt)
{
  for (int i = KROOT_FIRST; i < PT_ENTRIES; i++)
    pt[i] = kernel_pagetable[i];
}

int
kvm_unshared_entry(pagetable_t pt)
{
  for (int i = KROOT_FIRST; i < PT_ENTRIES; i++)
    if (pt[i] != kernel_pagetable[i])
      return i;
  return -1;
}

uint64
kvm_satp(void)
{
  return SATP_OF(kernel_pagetable);
}

int
kvm_map_trampoline(pagetable_t pt)
{
  return pgtbl_map(pt, TRAMPOLINE, KPA(trampoline), PGSIZE,
                   PTE_R | PTE_X | PTE_A, 0);
}

void
kvm_inithart(void)
{
  sfence_vma();
  csr_write(satp, SATP_OF(kernel_pagetable));
  sfence_vma();
}

static int
audit_visit(struct pgtbl_walker *w, pte_t *pte, uint64 va, int level)
{
  (void)level;
  if (!(*pte & PTE_LEAF_MASK))
    audit_page(w->arg, PTE2KVA(*pte), PMEM_PGTBL, 0);
  else if (va >= (KSTACK(NPROC - 1) & (PGTBL_VA_END - 1)) &&
           va < (KSTACK_TOP0 & (PGTBL_VA_END - 1)))
    audit_page(w->arg, PTE2KVA(*pte), PMEM_KSTACK, 0);
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
