/*
 * plic.c: the platform-level interrupt controller. Only the UART's
 * interrupt is enabled, on every hart's supervisor context; whichever hart
 * claims it first serves it.
 */
#include "arch/memlayout.h"
#include "arch/riscv.h"
#include "dev/dev.h"

#define REG(addr) (*(volatile uint32 *)KVA(addr))   /* addr: physical */

void
plic_init(void)
{
  REG(PLIC_PRIORITY(UART0_IRQ)) = 1;
}

void
plic_inithart(void)
{
  uint64 hart = r_tp();

  REG(PLIC_SENABLE(hart)) = 1U << UART0_IRQ;
  REG(PLIC_STHRESHOLD(hart)) = 0;
}

int
plic_claim(void)
{
  return (int)REG(PLIC_SCLAIM(r_tp()));
}

void
plic_complete(int irq)
{
  REG(PLIC_SCLAIM(r_tp())) = (uint32)irq;
}
