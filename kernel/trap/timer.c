/*
 * timer.c: the periodic tick on every hart, through Sstc's stimecmp.
 *
 * Each hart counts its own ticks (only that hart writes its counter); hart
 * 0's count is the global clock that uptime and sleep use.
 */
#include "arch/riscv.h"
#include "lib/lib.h"
#include "param.h"
#include "trap/trap.h"

static uint64 interval;                  /* [I] time units per tick */
static volatile uint64 hart_ticks[NCPU]; /* [h] written only by that hart */

void
timer_init(uint64 timebase_hz)
{
  if (timebase_hz == 0)
    timebase_hz = 10000000;     /* virt's 10 MHz, if the tree lacked it */
  interval = timebase_hz / TICK_HZ;
}

void
timer_inithart(void)
{
  csr_write_num(CSR_STIMECMP, r_time() + interval);
}

void
timer_intr(void)
{
  /* Writing stimecmp also clears the pending interrupt. */
  csr_write_num(CSR_STIMECMP, r_time() + interval);
  hart_ticks[r_tp()]++;
  if (panicking)
    hart_park();
}

uint64
timer_ticks(void)
{
  return hart_ticks[0];
}

uint64
timer_hart_ticks(int hart)
{
  return hart_ticks[hart];
}
