/*
 * start.c: the M-mode part of boot, run once on every hart that entry.S let
 * through. It hands the machine to S-mode: all traps delegated, all of
 * physical memory opened by PMP, the timer given to S-mode through Sstc's
 * stimecmp, and tp holding the hart id (read with r_tp()). Then mret
 * lands in main(hartid, dtb) in S-mode with paging off.
 */
#include "arch/riscv.h"
#include "kernel.h"

void start(uint64 hartid, uint64 dtb);

void
start(uint64 hartid, uint64 dtb)
{
  uint64 mstatus = csr_read(mstatus);
  mstatus = (mstatus & ~MSTATUS_MPP_MASK) | MSTATUS_MPP_S;
  csr_write(mstatus, mstatus);
  csr_write(mepc, (uint64)main);
  csr_write(satp, 0);

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

  w_tp(hartid);

  register uint64 a0 asm("a0") = hartid;
  register uint64 a1 asm("a1") = dtb;
  asm volatile("mret" : : "r"(a0), "r"(a1));
  __builtin_unreachable();
}
