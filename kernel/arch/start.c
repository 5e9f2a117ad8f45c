/*
 * start.c: the M-mode part of boot, run once on every hart that entry.S let
 * through. It hands the machine to S-mode: all traps delegated, all of
 * physical memory opened by PMP, the timer given to S-mode through Sstc's
 * stimecmp, and tp holding the hart id (read with r_tp()). Then mret
 * lands in S-mode at boot_high (entry.S), in the upper half where the
 * kernel is linked, with the boot page table: the linear map of the first
 * 4 GiB of physical space (arch/memlayout.h) in four read+write+execute
 * gigapages, until main builds and loads the kernel page table.
 *
 * This code runs at its physical address with paging off, so it must not
 * follow a pointer stored in memory (those hold upper-half addresses);
 * pc-relative references to code and data are fine.
 */
#include "arch/memlayout.h"
#include "arch/riscv.h"
#include "kernel.h"

void start(uint64 hartid, uint64 dtb);
extern char boot_high[];

#define BOOT_GIGAPAGE(i) \
  (PA2PTE((unsigned long)(i) << 30) | PTE_V | PTE_R | PTE_W | PTE_X | PTE_G | PTE_A | PTE_D)
_Static_assert(KMAP_SIZE == 4UL << 30, "the boot table maps four gigapages");

static pte_t boot_pagetable[PT_ENTRIES] __attribute__((aligned(PGSIZE))) = {
  [KROOT_FIRST + 0] = BOOT_GIGAPAGE(0),
  [KROOT_FIRST + 1] = BOOT_GIGAPAGE(1),
  [KROOT_FIRST + 2] = BOOT_GIGAPAGE(2),
  [KROOT_FIRST + 3] = BOOT_GIGAPAGE(3),
};

void
start(uint64 hartid, uint64 dtb)
{
  uint64 mstatus = csr_read(mstatus);
  mstatus = (mstatus & ~MSTATUS_MPP_MASK) | MSTATUS_MPP_S;
  csr_write(mstatus, mstatus);
  /* Both addresses are taken pc-relative: physical, here. */
  csr_write(mepc, KVA(boot_high));
  csr_write(satp, MAKE_SATP((uint64)boot_pagetable));

  /* Every exception and interrupt goes straight to S-mode. */
  csr_write(medeleg, MEDELEG_ALL);
  csr_write(mideleg, MIDELEG_ALL);
  csr_set(sie, SIE_SEIE | SIE_STIE | SIE_SSIE);

  csr_write(pmpaddr0, PMPADDR_ALL);
  csr_write(pmpcfg0, PMPCFG_RWX_TOR);

  /* Sstc: S-mode reads time and writes stimecmp itself; no M-mode timer
   * code. S-mode (and, through scounteren, user code) may read the cycle,
   * time and instret counters, which the fault benchmark uses. */
  csr_set(mcounteren, COUNTEREN_ALL);
  csr_set_num(CSR_MENVCFG, MENVCFG_STCE);
  csr_write_num(CSR_STIMECMP, ~0UL);
  /* The M-mode timer is unused, but QEMU 7.2 resets mtimecmp to 0, so its
   * interrupt is pending from the start. Never taken (M-mode interrupts
   * stay off), it still marks the hart as having an interrupt pending, and
   * then QEMU takes its global lock each time the hart passes through its
   * main loop (every trap, sret and CSR write): two harts trapping at once
   * queued on that lock. Measured: two harts calling getpid took 2.4
   * times as long each as one hart alone; with this store, no longer. */
  *(volatile uint64 *)CLINT_MTIMECMP(hartid) = ~0UL;

  w_tp(hartid);

  register uint64 a0 asm("a0") = hartid;
  register uint64 a1 asm("a1") = dtb;
  asm volatile("mret" : : "r"(a0), "r"(a1));
  __builtin_unreachable();
}
