/*
 * timer.c: the periodic tick on every hart, through Sstc's stimecmp.
 *
 * Each hart counts its own ticks (only that hart writes its counter). Hart
 * 0 also advances the global clock that uptime and sleep use, under
 * ticks_lock, and wakes the sleepers. That clock is read from the time CSR,
 * not counted in interrupts: a hart QEMU runs slowly (16 harts on 2 host
 * cores) takes its interrupts late, and counting them would slow uptime
 * down with it.
 */
#include "arch/memlayout.h"
#include "arch/riscv.h"
#include "lib/lib.h"
#include "param.h"
#include "proc/proc.h"
#include "sync/spinlock.h"
#include "trap/trap.h"

static uint64 interval;                  /* [I] time units per tick */
static volatile uint64 hart_ticks[NCPU]; /* [h] written only by that hart */
static struct spinlock ticks_lock;       /* rank LOCK_RANK_TICKS */
static uint64 ticks;                     /* [ticks_lock] */
static uint64 boot_time;                 /* [I] time CSR at timer_init */

void
timer_init(uint64 timebase_hz)
{
  if (timebase_hz == 0)
    timebase_hz = VIRT_TIMEBASE_HZ;   /* if the tree lacked it */
  interval = timebase_hz / TICK_HZ;
  spinlock_init(&ticks_lock, "ticks", LOCK_RANK_TICKS);
  boot_time = r_time();
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
    panic_stop();
  if (r_tp() == 0) {
    acquire(&ticks_lock);
    uint64 now = (r_time() - boot_time) / interval;
    if (now > ticks) {
      ticks = now;
      wakeup(&ticks);
    }
    release(&ticks_lock);
  }
}

uint64
timer_ticks(void)
{
  acquire(&ticks_lock);
  uint64 t = ticks;
  release(&ticks_lock);
  return t;
}

int
timer_sleep(uint64 n)
{
  acquire(&ticks_lock);
  uint64 start = ticks;
  while (ticks - start < n) {
    if (proc_killed(myproc())) {
      release(&ticks_lock);
      return -1;
    }
    sleep(&ticks, &ticks_lock);
  }
  release(&ticks_lock);
  return 0;
}

uint64
timer_hart_ticks(int hart)
{
  return hart_ticks[hart];
}
