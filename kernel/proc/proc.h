/*
 * proc.h: processes, harts and the scheduler.
 *
 * Lock key for struct proc:
 *   [p]  p->lock (rank LOCK_RANK_PROC)
 *   [w]  wait_lock (rank LOCK_RANK_WAIT): parent links
 *   [o]  private to the process itself while it runs; others touch it only
 *        when the process cannot run (UNUSED/USED, or ZOMBIE under [p])
 *   [I]  set once when the slot is set up at boot
 *
 * Threads: a process is a group of process-table entries sharing one
 * address space (struct uvm, reference counted by mm). The group's first
 * thread (made by fork or exec) is its leader and stands for the process:
 * its id is the process id, its parent waits for it, and its slot holds
 * the group's bookkeeping (nthreads, group_exit, group_exec). A thread
 * made by clone (is_thread) is joined by the thread that created it and
 * never waited for. The leader becomes a zombie its parent may reap only
 * once every other thread of the group has been reaped.
 *
 * Lock order: wait_lock, then one p->lock, then a uvm lock (wait copies a
 * child's status into the parent's space while holding the child's
 * p->lock, without faulting); see sync/spinlock.h. A hart switches to a process holding p->lock and
 * the process releases it (and the reverse in sched), so p->lock is the
 * only lock held across swtch.
 */
#ifndef PROC_PROC_H
#define PROC_PROC_H

#include "lib/types.h"
#include "mm/mm.h"
#include "param.h"
#include "sync/spinlock.h"

struct file;

/* Callee-saved registers, saved and restored by swtch. */
struct context {
  uint64 ra;
  uint64 sp;
  uint64 s[12];
  uint64 gp;             /* the thread's struct proc (myproc); 0: scheduler */
};

/*
 * The page a process's user registers are saved in on a trap, mapped at
 * TRAPFRAME in its page table. The trampoline (arch/trampoline.S) uses the
 * TF_* offsets below; proc.c checks they match this struct.
 */
struct trapframe {
  uint64 kernel_sp;      /* top of the process's kernel stack */
  uint64 kernel_trap;    /* usertrap() */
  uint64 epc;            /* user pc */
  uint64 kernel_proc;    /* gp for the kernel: this thread's struct proc */
  uint64 ra, sp, gp, tp;
  uint64 t0, t1, t2;
  uint64 s0, s1;
  uint64 a0, a1, a2, a3, a4, a5, a6, a7;
  uint64 s2, s3, s4, s5, s6, s7, s8, s9, s10, s11;
  uint64 t3, t4, t5, t6;
};

enum proc_state { UNUSED, USED, SLEEPING, RUNNABLE, RUNNING, ZOMBIE };

#define NOFILE 16         /* open files per process */

/* A process's allocation-failure injection (uapi/failinject.h). */
struct failpoint {
  int what;              /* FAIL_* bits; 0: off */
  int nth;               /* fail the nth counted allocation; 0: none */
  int ppm;               /* fail each with this chance in a million */
  uint64 rng;            /* generator state for ppm */
  uint64 count;          /* allocations counted since armed */
};
#define PROC_NAME 16

struct proc {
  struct spinlock lock;

  enum proc_state state;        /* [p] */
  void *chan;                   /* [p] sleeping on this */
  int killed;                   /* [p] to write, [a] to read */
  int xstate;                   /* [p] exit status for the parent's wait */
  int pid;                      /* [p]; the process may read its own without it */
  int hart;                     /* [p] hart it runs or last ran on */

  struct proc *parent;          /* [w] forked it, or (a thread) cloned it;
                                   proc_free clears it, under wait_lock or
                                   on a slot that never had a parent */
  struct proc *group;           /* [w] the group's leader (itself for one) */
  int is_thread;                /* [w] made by clone */
  int nthreads;                 /* [w] leader: other threads not yet reaped */
  int group_exit;               /* [w] leader: the group is ending (exit, or
                                   an exec replacing every thread) */
  struct proc *group_exec;      /* [w] leader: the thread whose exec ends
                                   the others, or NULL */

  int slot;                     /* [I] index in the table */
  uint64 kstack;                /* [I] bottom of its kernel stack (KSTACK) */
  struct trapframe *trapframe;  /* [p] the pointer; [o] the page it points to */
  uint64 trapframe_va;          /* [o] where vm maps it: TRAPFRAME for a
                                   leader, TRAPFRAME_CLONE(slot) for a clone */
  struct context context;       /* [o] */
  struct file *ofile[NOFILE];   /* [o] */
  char name[PROC_NAME];         /* [o] program name */
  struct failpoint fail;        /* [o] failure injection */
  struct uvm *vm;               /* [o] the address space, shared with the
                                   group; NULL before init's exec and from
                                   exit on */
};

/* Per-hart scheduler state; only its own hart touches it. */
struct cpu {
  struct proc *proc;            /* running here, or NULL */
  struct context context;       /* swtch here to enter the scheduler */
};

extern struct cpu cpus[NCPU];

/* This hart's struct cpu. => interrupts off, or the hart may change under
 * the caller. */
struct cpu *mycpu(void);
/* The process running on this hart, or NULL. => any context.
 * Every kernel thread keeps its own struct proc in gp (swtch saves and
 * loads it with the context, a trap from user mode loads it from the
 * trapframe; the scheduler's is 0). The kernel is linked without a global
 * pointer, so the compiler never uses gp otherwise. Reading it is one
 * move, with no interrupt-off window: the value never changes for the
 * thread that reads it, on whatever hart that thread runs. */
static inline struct proc *
myproc(void)
{
  struct proc *p;

  asm("mv %0, gp" : "=r"(p));
  return p;
}

/* ---- proc.c ---- */
void proc_init(void);                     /* hart 0, once: slots, stacks */
void proc_userinit(const char *const *argv);  /* hart 0: the first process */
/* A copy of the caller; the child's pid, or -1 (no slot, page or node:
 * nothing kept). => holds no lock. */
int proc_fork(void);
/* Ends the caller with status: gives back its memory and files, wakes the
 * parent. A leader first ends and reaps every other thread of its group;
 * a clone ends alone. => holds no lock; never returns; panics for init. */
void proc_exit(int status) __attribute__((noreturn));
/* Makes vm the caller's address space (exec); returns the old one for the
 * caller to put. */
struct uvm *proc_switch_vm(struct uvm *vm);
/* Reaps a zombie child, copying its status to status_uva (0: none).
 * Returns its pid, or -1 (no children, bad pointer, killed).
 * => holds no lock; may sleep. */
int proc_wait(uint64 status_uva);
/* Marks every thread of pid's process killed (waking those asleep); 0, or
 * -1 if there is no such process or it is init. => holds no lock. */
int proc_kill(int pid);
/* proc_setkilled kills p's whole process, proc_killed reads p->killed.
 * => take wait_lock and p->lock: hold no lock of rank >= WAIT / PROC. */
void proc_setkilled(struct proc *p);
int proc_killed(struct proc *p);
int proc_is_init(struct proc *p);         /* init may never be killed */
/* Kills every process (not thread) whose parent is thread pid: what ^C on
 * the console does to the programs the shell waits for. Returns how many.
 * => holds no lock. */
int proc_kill_children(int pid);
/* Prints the process table on the console (^P). Reads without locks, as a
 * debugging aid may: a line can be stale. */
void proc_dump(void);
int proc_count(void);                     /* slots not UNUSED */
/* Reports every live thread's trapframe page to the audit (address spaces
 * are audited by mm, each once). => no process lock held. */
void proc_audit(struct audit *a);
/* Grows or shrinks the caller's heap by n bytes; returns the old break or -1. */
uint64 proc_sbrk(long n);

/* ---- group.c ---- */
/* A new thread of the caller's process, running fn(arg) on stack with ra
 * = ret (the user library's exit stub). Returns its id, or -1 (bad
 * argument, no slot or memory, the process ending). => holds no lock. */
int proc_clone(uint64 fn, uint64 arg, uint64 stack, uint64 ret);
/* Reaps a thread the caller created (tid, or any if 0), copying its status
 * to status_uva (0: none). Returns its id, or -1 (none, bad pointer,
 * killed). => holds no lock; may sleep. */
int proc_join(int tid, uint64 status_uva);
/* Ends every other thread of the caller's process and makes the caller its
 * leader, keeping the process id (exec). Returns 0, or -1 with nothing
 * changed if the process is already ending. => holds no lock; may sleep. */
int proc_unshare_threads(void);

/* ---- failinject.c ---- */
/* Sets the caller's failure injection; returns the allocations counted
 * under the previous setting. */
uint64 failinject_set(int what, int nth, int ppm, uint64 seed);
/* fork: the child's setting (inherited or off); exit: drops the setting. */
void failinject_fork(struct proc *parent, struct proc *child);
void failinject_exit(struct proc *p);

/* ---- sched.c ---- */
/* Every hart's loop: runs RUNNABLE processes in turn. Never returns. */
void scheduler(void) __attribute__((noreturn));
void sched(void);                         /* => holds p->lock only */
/* Gives up the hart for a round. => holds no lock. */
void yield(void);
/* Atomically releases lk and sleeps on chan; reacquires lk on wakeup.
 * => holds lk (and nothing else); may not hold p->lock. */
void sleep(void *chan, struct spinlock *lk);
/* The same, but a kill does not cut it short: for waits whose event is
 * sure to come (a group's leader waiting for its killed threads). */
void sleep_nokill(void *chan, struct spinlock *lk);
void wakeup(void *chan);                  /* => must not hold any p->lock */

/* ---- exec.c ---- */
/* Replaces the caller's image with program path. Returns argc (the new a0)
 * or -1 with the old image untouched. argv is a kernel array of kernel
 * strings ending with NULL. => holds no lock (it takes the vm locks and
 * faults the new stack in). */
int exec(const char *path, char *const *argv);

/* ---- progimage.c: the programs built into the kernel ---- */
/* Finds program name; returns its ELF bytes and size, or NULL. */
const uint8 *progimage_find(const char *name, uint64 *size);
/* Lists the programs on the console. */
void progimage_list(void);

/* ---- arch/swtch.S ---- */
void swtch(struct context *old, struct context *new);

#endif /* PROC_PROC_H */
