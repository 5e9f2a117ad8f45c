/*
 * proc.c: the process table and the life of a process: the first process,
 * fork, exit, wait and kill.
 *
 * A slot goes UNUSED -> USED (being built, by proc_alloc) -> RUNNABLE ->
 * RUNNING <-> SLEEPING/RUNNABLE -> ZOMBIE (exit) -> UNUSED (the parent's
 * wait, through proc_free). A zombie keeps only its slot, its exit status
 * and its trapframe page: exit gives back the address space and files
 * itself, so an orphaned zombie waiting for init holds almost nothing.
 * Kernel stacks are per slot and never freed (kvm.c maps them at boot).
 */
#include "arch/memlayout.h"
#include "arch/riscv.h"
#include "arch/trapframe.h"
#include "file/file.h"
#include "lib/lib.h"
#include "proc/proc.h"
#include "trap/trap.h"

struct proc proc_table[NPROC];

static struct proc *initproc;       /* [I] after proc_userinit */
static const char *const *init_argv; /* [I] kernel argv for init's exec */
static int next_pid = 1;            /* [a] */
static struct spinlock wait_lock;   /* rank LOCK_RANK_WAIT; guards p->parent */

/* The trampoline depends on every one of these. */
#define TF_CHECK(field, off) \
  _Static_assert(__builtin_offsetof(struct trapframe, field) == (off), #off)
TF_CHECK(kernel_satp, TF_KERNEL_SATP);
TF_CHECK(kernel_sp, TF_KERNEL_SP);
TF_CHECK(kernel_trap, TF_KERNEL_TRAP);
TF_CHECK(epc, TF_EPC);
TF_CHECK(kernel_hartid, TF_KERNEL_HARTID);
TF_CHECK(ra, TF_RA);
TF_CHECK(sp, TF_SP);
TF_CHECK(gp, TF_GP);
TF_CHECK(tp, TF_TP);
TF_CHECK(t0, TF_T0);
TF_CHECK(t1, TF_T1);
TF_CHECK(t2, TF_T2);
TF_CHECK(s0, TF_S0);
TF_CHECK(s1, TF_S1);
TF_CHECK(a0, TF_A0);
TF_CHECK(a1, TF_A1);
TF_CHECK(a2, TF_A2);
TF_CHECK(a3, TF_A3);
TF_CHECK(a4, TF_A4);
TF_CHECK(a5, TF_A5);
TF_CHECK(a6, TF_A6);
TF_CHECK(a7, TF_A7);
TF_CHECK(s2, TF_S2);
TF_CHECK(s3, TF_S3);
TF_CHECK(s4, TF_S4);
TF_CHECK(s5, TF_S5);
TF_CHECK(s6, TF_S6);
TF_CHECK(s7, TF_S7);
TF_CHECK(s8, TF_S8);
TF_CHECK(s9, TF_S9);
TF_CHECK(s10, TF_S10);
TF_CHECK(s11, TF_S11);
TF_CHECK(t3, TF_T3);
TF_CHECK(t4, TF_T4);
TF_CHECK(t5, TF_T5);
TF_CHECK(t6, TF_T6);

static void forkret(void);

void
proc_init(void)
{
  spinlock_init(&wait_lock, "wait", LOCK_RANK_WAIT);
  for (int i = 0; i < NPROC; i++) {
    struct proc *p = &proc_table[i];
    spinlock_init(&p->lock, "proc", LOCK_RANK_PROC);
    p->state = UNUSED;
    p->slot = i;
    p->kstack = KSTACK(i);
    p->hart = -1;
    uvm_setup(&p->vm, 0);
  }
}

/* Gives back what proc_alloc took and frees the slot.
 * => holds p->lock; p's files are closed; and wait_lock is held, or p never
 * had a parent (a slot fork was still building). */
static void
proc_free(struct proc *p)
{
  if (p->trapframe)
    pmem_free(p->trapframe);
  p->trapframe = NULL;
  uvm_free(&p->vm);
  p->pid = 0;
  p->parent = NULL;
  p->name[0] = '\0';
  p->chan = NULL;
  p->killed = 0;
  p->xstate = 0;
  p->state = UNUSED;
}

/* Finds an UNUSED slot and readies it to run forkret on its kernel stack
 * with an empty address space. Returns it in state USED, unlocked: USED
 * keeps every other hart away from its private fields (the scheduler runs
 * only RUNNABLE slots, proc_alloc takes only UNUSED ones), so the caller
 * fills it in without p->lock and without upsetting the lock order.
 * Returns NULL if there is no slot or no memory. */
static struct proc *
proc_alloc(void)
{
  struct proc *p;

  for (p = proc_table; p < &proc_table[NPROC]; p++) {
    acquire(&p->lock);
    if (p->state == UNUSED)
      break;
    release(&p->lock);
  }
  if (p == &proc_table[NPROC])
    return NULL;

  p->pid = __atomic_fetch_add(&next_pid, 1, __ATOMIC_RELAXED);
  p->state = USED;
  p->trapframe = pmem_alloc(PMEM_TRAPFRAME, p->pid);
  if (p->trapframe == NULL) {
    proc_free(p);
    release(&p->lock);
    return NULL;
  }
  uvm_setup(&p->vm, p->pid);
  memset(&p->context, 0, sizeof(p->context));
  p->context.ra = (uint64)forkret;
  p->context.sp = p->kstack + KSTACK_SIZE;
  release(&p->lock);
  return p;
}

/* Undoes proc_alloc for a slot that never ran. */
static void
proc_unalloc(struct proc *p)
{
  acquire(&p->lock);
  proc_free(p);
  release(&p->lock);
}

/* Makes a fully built USED slot runnable. */
static void
proc_start(struct proc *p)
{
  acquire(&p->lock);
  p->state = RUNNABLE;
  release(&p->lock);
}

/* Where every new process starts, switched to by the scheduler with
 * p->lock held. The first process execs init here, in its own context. */
static void
forkret(void)
{
  struct proc *p = myproc();

  release(&p->lock);
  /* init enters here once, with no user image yet. */
  if (p == initproc) {
    int argc = exec("init", (char *const *)init_argv);
    if (argc < 0)
      panic("proc: cannot exec init");
    p->trapframe->a0 = (uint64)argc;
  }
  usertrapret();
}

void
proc_userinit(const char *const *argv)
{
  struct proc *p = proc_alloc();

  if (p == NULL)
    panic("proc: no slot for init");
  initproc = p;
  if (uvm_init(&p->vm, (uint64)p->trapframe) != 0)
    panic("proc: no memory for init");
  init_argv = argv;
  p->ofile[0] = file_console(1, 0);
  p->ofile[1] = file_console(0, 1);
  p->ofile[2] = file_dup(p->ofile[1]);
  strlcpy(p->name, "init", sizeof(p->name));
  proc_start(p);
}

int
proc_fork(void)
{
  struct proc *p = myproc();
  struct proc *np = proc_alloc();

  if (np == NULL)
    return -1;
  if (uvm_copy_pgtbl(&p->vm, &np->vm, (uint64)np->trapframe) != 0) {
    proc_unalloc(np);
    return -1;
  }
  *np->trapframe = *p->trapframe;
  np->trapframe->a0 = 0;                  /* fork returns 0 in the child */
  failinject_fork(p, np);
  for (int fd = 0; fd < NOFILE; fd++)
    if (p->ofile[fd])
      np->ofile[fd] = file_dup(p->ofile[fd]);
  strlcpy(np->name, p->name, sizeof(np->name));
  int pid = np->pid;

  acquire(&wait_lock);
  np->parent = p;
  release(&wait_lock);
  proc_start(np);
  return pid;
}

/* Hands p's children to init. => holds wait_lock. */
static void
reparent(struct proc *p)
{
  for (struct proc *pp = proc_table; pp < &proc_table[NPROC]; pp++) {
    if (pp->parent == p) {
      pp->parent = initproc;
      wakeup(initproc);
    }
  }
}

void
proc_exit(int status)
{
  struct proc *p = myproc();

  if (p == initproc)
    panic("proc: init exiting with status %d", status);
  failinject_exit(p);

  for (int fd = 0; fd < NOFILE; fd++) {
    if (p->ofile[fd]) {
      file_close(p->ofile[fd]);
      p->ofile[fd] = NULL;
    }
  }
  /* Give the address space back now, so a zombie holds no memory. */
  acquire(&p->vm.lock);
  uvm_free(&p->vm);
  release(&p->vm.lock);

  acquire(&wait_lock);
  reparent(p);
  wakeup(p->parent);
  acquire(&p->lock);
  p->xstate = status;
  p->state = ZOMBIE;
  release(&wait_lock);
  sched();
  panic("proc: zombie %d ran again", p->pid);
}

int
proc_wait(uint64 status_uva)
{
  struct proc *p = myproc();

  acquire(&wait_lock);
  for (;;) {
    int have_kids = 0;
    for (struct proc *pp = proc_table; pp < &proc_table[NPROC]; pp++) {
      if (pp->parent != p)
        continue;
      have_kids = 1;
      acquire(&pp->lock);
      if (pp->state == ZOMBIE) {
        int pid = pp->pid;
        if (status_uva != 0 &&
            copyout(&p->vm, status_uva, &pp->xstate, sizeof(pp->xstate)) != 0) {
          /* The child stays a zombie; a later wait can still reap it. */
          release(&pp->lock);
          release(&wait_lock);
          return -1;
        }
        proc_free(pp);
        release(&pp->lock);
        release(&wait_lock);
        return pid;
      }
      release(&pp->lock);
    }
    if (!have_kids || proc_killed(p)) {
      release(&wait_lock);
      return -1;
    }
    sleep(p, &wait_lock);
  }
}

int
proc_kill(int pid)
{
  /* init reaps every orphan and may not die: refusing keeps a user
   * program from taking the kernel down with it. */
  if (initproc != NULL && pid == initproc->pid)
    return -1;
  for (struct proc *p = proc_table; p < &proc_table[NPROC]; p++) {
    acquire(&p->lock);
    if (p->pid == pid && p->state != UNUSED) {
      p->killed = 1;
      if (p->state == SLEEPING)
        p->state = RUNNABLE;    /* sleep loops check killed */
      release(&p->lock);
      return 0;
    }
    release(&p->lock);
  }
  return -1;
}

int
proc_is_init(struct proc *p)
{
  return p == initproc;
}

void
proc_setkilled(struct proc *p)
{
  acquire(&p->lock);
  p->killed = 1;
  release(&p->lock);
}

int
proc_killed(struct proc *p)
{
  if (p == NULL)
    return 0;
  acquire(&p->lock);
  int k = p->killed;
  release(&p->lock);
  return k;
}

int
proc_count(void)
{
  int n = 0;

#ifdef DEBUG_INVERT_LOCKS
  /* `make INVERT_LOCKS=1`: count with the caller's address-space lock held,
   * so the first p->lock is taken out of order (PROC ranks below VM) and
   * the checker must panic. Never in a normal build. */
  acquire(&myproc()->vm.lock);
#endif
  for (struct proc *p = proc_table; p < &proc_table[NPROC]; p++) {
    acquire(&p->lock);
    n += p->state != UNUSED;
    release(&p->lock);
  }
#ifdef DEBUG_INVERT_LOCKS
  release(&myproc()->vm.lock);
#endif
  return n;
}

uint64
proc_sbrk(long n)
{
  return uvm_sbrk(&myproc()->vm, n);
}

void
proc_audit(struct audit *a)
{
  for (struct proc *p = proc_table; p < &proc_table[NPROC]; p++) {
    acquire(&p->lock);
    /* A USED slot is being built or torn down by fork without its vm lock;
     * it has no settled address space to audit yet. */
    if (p->state != UNUSED && p->state != USED) {
      if (p->trapframe != NULL)
        audit_page(a, (uint64)p->trapframe, PMEM_TRAPFRAME, 0);
      acquire(&p->vm.lock);
      uvm_audit(&p->vm, a);
      release(&p->vm.lock);
    }
    release(&p->lock);
  }
}
