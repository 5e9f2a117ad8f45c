/*
 * usertrap.c: traps from user mode and the return to it.
 *
 * uservec (arch/trampoline.S) lands in usertrap on the process's kernel
 * stack. System calls, device interrupts and lazy page faults are served
 * here; any other exception, or a fault the address space does not allow,
 * kills only this process (exit status -1) with a line saying why.
 */
#include "arch/memlayout.h"
#include "arch/riscv.h"
#include "lib/lib.h"
#include "mm/mm.h"
#include "proc/proc.h"
#include "syscall/syscall.h"
#include "trap/trap.h"

extern char trampoline[], uservec[], userret[];
extern char kernelvec[];

static void usertrap(void);

/* The access a page-fault cause stands for. */
static int
fault_access(uint64 scause)
{
  switch (scause) {
  case EXC_INST_PAGE_FAULT:
    return ACCESS_EXEC;
  case EXC_LOAD_PAGE_FAULT:
    return ACCESS_READ;
  case EXC_STORE_PAGE_FAULT:
    return ACCESS_WRITE;
  default:
    return 0;
  }
}

static void
usertrap(void)
{
  uint64 scause = csr_read(scause);

  if (csr_read(sstatus) & SSTATUS_SPP)
    panic("usertrap: not from user mode");
  /* Traps from here on are the kernel's own. */
  csr_write(stvec, (uint64)kernelvec);

  struct proc *p = myproc();
  /* Still in the space's table, but running kernel code only: a shootdown
   * need not interrupt this hart until it heads back (tlb.c). */
  tlb_leave(p->vm);
  p->trapframe->epc = csr_read(sepc);
  int which = 0, fault = 0;

  if (scause == EXC_ECALL_U) {
    if (proc_killed(p))
      proc_exit(-1);
    p->trapframe->epc += 4;      /* return past the ecall */
    intr_on();
    syscall();
  } else if ((which = trap_devintr(scause)) != 0) {
    /* timer or device */
  } else if (fault_access(scause) != 0 &&
             (fault = uvm_fault(p->vm, csr_read(stval), fault_access(scause))) >= 0) {
    /* A lazy page was mapped or a copy-on-write page made writable: an
     * entry made valid or given more rights needs no flush, on any hart,
     * until a hart faults on it anyway (the spec's lazy way; on QEMU any
     * sfence.vma empties the whole TLB). Then the PTE allowed the access
     * already: this hart caches a stale translation, and drops it. */
    if (fault == FAULT_ALREADY)
      sfence_vma_page(csr_read(stval));
  } else if (fault == FAULT_NOMEM && proc_is_init(p)) {
    /* init must not die (it reaps every orphan): wait a tick for memory
     * and take the fault again, instead of killing it. */
    intr_on();
    timer_sleep(1);
  } else {
    printf("pid %d (%s): killed: %s at %p, pc %p\n", p->pid, p->name,
           trap_cause_name(scause), (void *)csr_read(stval),
           (void *)p->trapframe->epc);
    proc_setkilled(p);
  }

  if (proc_killed(p))
    proc_exit(-1);
  if (which == 1)
    yield();
  usertrapret();
}

void
usertrapret(void)
{
  struct proc *p = myproc();

  /* From here until sret, a trap would go to uservec with kernel state:
   * keep interrupts off. */
  intr_off();
  csr_write(stvec, TRAMPOLINE + (uservec - trampoline));

  p->trapframe->kernel_sp = p->kstack + KSTACK_SIZE;
  p->trapframe->kernel_trap = (uint64)usertrap;
  p->trapframe->kernel_hartid = r_tp();

  uint64 sstatus = csr_read(sstatus);
  sstatus &= ~SSTATUS_SPP;     /* sret to user mode */
  sstatus |= SSTATUS_SPIE;     /* with interrupts on */
  csr_write(sstatus, sstatus);
  csr_write(sepc, p->trapframe->epc);

  /* The space's table (loaded if this hart is in another), and no stale
   * translation of it; from here a shootdown must interrupt this hart. */
  tlb_load(p->vm);
  void (*ret)(uint64) = (void (*)(uint64))(TRAMPOLINE + (userret - trampoline));
  ret(p->trapframe_va);
  __builtin_unreachable();
}
