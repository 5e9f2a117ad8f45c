/*
 * trap.c: traps taken while the kernel runs, and device interrupt dispatch.
 *
 * An exception in kernel code is a kernel bug: panic with cause, pc and
 * faulting address. (User faults and kernel copies of user memory are
 * handled elsewhere and never arrive here as exceptions.)
 */
#include "arch/memlayout.h"
#include "arch/riscv.h"
#include "dev/dev.h"
#include "lib/lib.h"
#include "mm/mm.h"
#include "proc/proc.h"
#include "sync/spinlock.h"
#include "trap/trap.h"

void kerneltrap(void);

void
trap_inithart(void)
{
  usertrap_inithart();                    /* stvec and sscratch */
  csr_write(scounteren, COUNTEREN_ALL);   /* user may read the counters */
}

const char *
trap_cause_name(uint64 scause)
{
  static const char *names[] = {
    [EXC_INST_MISALIGNED] = "instruction address misaligned",
    [EXC_INST_ACCESS] = "instruction access fault",
    [EXC_ILLEGAL_INST] = "illegal instruction",
    [EXC_BREAKPOINT] = "breakpoint",
    [EXC_LOAD_ACCESS] = "load access fault",
    [EXC_STORE_ACCESS] = "store access fault",
    [EXC_ECALL_U] = "ecall from U-mode",
    [EXC_INST_PAGE_FAULT] = "instruction page fault",
    [EXC_LOAD_PAGE_FAULT] = "load page fault",
    [EXC_STORE_PAGE_FAULT] = "store page fault",
  };
  uint64 code = SCAUSE_CODE(scause);

  if (scause & SCAUSE_INTR)
    return "interrupt";
  if (code < NELEM(names) && names[code])
    return names[code];
  return "unknown exception";
}

int
trap_devintr(uint64 scause)
{
  if (!(scause & SCAUSE_INTR))
    return 0;
  switch (SCAUSE_CODE(scause)) {
  case IRQ_S_TIMER:
    timer_intr();
    return 1;
  case IRQ_S_EXT: {
    int irq = plic_claim();
    if (irq == UART0_IRQ)
      uart_intr();
    else if (irq != 0)
      printf("trap: unexpected irq %d on hart %d\n", irq, (int)r_tp());
    if (irq != 0)
      plic_complete(irq);
    return 2;
  }
  case IRQ_S_SOFT:
    tlb_intr();                 /* another hart asks for a TLB flush */
    return 3;
  default:
    return 0;
  }
}

/* Called from kernelvec on the interrupted code's stack. */
void
kerneltrap(void)
{
  uint64 sepc = csr_read(sepc);
  uint64 sstatus = csr_read(sstatus);
  uint64 scause = csr_read(scause);

  if (!(sstatus & SSTATUS_SPP))
    panic("trap: kerneltrap from user mode");
  if (sstatus & SSTATUS_SIE)
    panic("trap: kerneltrap with interrupts on");
  /* Handlers take locks (ticks, console, every p->lock in wakeup): an
   * interrupt may only arrive when this hart holds none, or a handler
   * could spin forever on a lock its own hart holds. */
  if ((scause & SCAUSE_INTR) && spinlock_held_count() > 0)
    panic("trap: interrupt (scause %p) while holding %s with interrupts on",
          (void *)scause, spinlock_held_name(spinlock_held_count() - 1));
  int which = trap_devintr(scause);
  if (which == 0)
    panic("trap: kernel %s (scause %p) at pc %p, stval %p",
          trap_cause_name(scause), (void *)scause, (void *)sepc,
          (void *)csr_read(stval));

  /* A tick preempts a process even while it runs kernel code. */
  struct proc *p = myproc();
  if (which == 1 && p != NULL && p->state == RUNNING)
    yield();

  /* A handler may have trapped again (and so changed these): put back the
   * state of the trap being returned from. */
  csr_write(sepc, sepc);
  csr_write(sstatus, sstatus);
}
