/*
 * usertrap.c: traps from user mode and the return to it.
 *
 * trapvec (arch/trampoline.S) lands in usertrap on the process's kernel
 * stack. System calls, device interrupts and lazy page faults are served
 * here; any other exception, or a fault the address space does not allow,
 * kills only this process (exit status -1) with a line saying why.
 *
 * The way back makes as few CSR instructions as it can (a read where it
 * can also write, sstatus only when it must change): on QEMU each one, a
 * read too, ends the translated block and costs a trip through the main
 * loop, about 40 ns.
 */
#include "arch/memlayout.h"
#include "arch/riscv.h"
#include "arch/trapframe.h"
#include "lib/lib.h"
#include "mm/mm.h"
#include "proc/proc.h"
#include "syscall/syscall.h"
#include "trap/trap.h"

extern char trapvec[];
void userret(struct trapframe *tf) __attribute__((noreturn));

/* Per-hart scratch for trapvec, which sscratch points at from boot on. */
struct hart_scratch {
  uint64 t0;         /* trapvec parks t0 here while it tests sstatus */
  uint64 tf;         /* the trapframe of the thread this hart last returned
                        to user mode: where the next user trap saves */
  uint64 hartid;     /* tp for the kernel */
} __attribute__((aligned(64)));   /* one cache line a hart */

_Static_assert(__builtin_offsetof(struct hart_scratch, t0) == HS_T0, "HS_T0");
_Static_assert(__builtin_offsetof(struct hart_scratch, tf) == HS_TF, "HS_TF");
_Static_assert(__builtin_offsetof(struct hart_scratch, hartid) == HS_HARTID, "HS_HARTID");

static struct hart_scratch scratch[NCPU];

static void usertrap(void);

void
usertrap_inithart(void)
{
  struct hart_scratch *s = &scratch[r_tp()];

  s->hartid = r_tp();
  csr_write(sscratch, (uint64)s);
  csr_write(stvec, (uint64)trapvec);
}

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
  /* From user mode: trapvec sent it here on sstatus.SPP. */
  uint64 scause = csr_read(scause);
  struct proc *p = myproc();
  /* Still in the space's table, but running kernel code only: a shootdown
   * need not interrupt this hart until it heads back (tlb.c). */
  tlb_leave();
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

  /* From here until sret, a trap would overwrite sepc and sstatus: turn
   * interrupts off (a system call ran with them on), and read sstatus in
   * the same instruction. */
  uint64 sstatus = csr_read_clear(sstatus, SSTATUS_SIE) & ~SSTATUS_SIE;

  struct trapframe *tf = p->trapframe;
  tf->kernel_sp = p->kstack + KSTACK_SIZE;
  tf->kernel_trap = (uint64)usertrap;
  tf->kernel_proc = (uint64)p;
  scratch[r_tp()].tf = (uint64)tf;

  /* sret to user mode with interrupts on. A trap from user mode left
   * sstatus so, and so does every sret since (the kernel's own traps): the
   * write is for a hart's first return to user. */
  if ((sstatus & (SSTATUS_SPP | SSTATUS_SPIE)) != SSTATUS_SPIE)
    csr_write(sstatus, (sstatus & ~SSTATUS_SPP) | SSTATUS_SPIE);
  /* Past the ecall, or back to the instruction that faulted. Written every
   * time: reading sepc to compare costs as much as the write. */
  csr_write(sepc, tf->epc);

  /* The space's table (loaded if this hart is in another), and no stale
   * translation of it; from here a shootdown must interrupt this hart. */
  tlb_load(p->vm);
  userret(tf);
}
