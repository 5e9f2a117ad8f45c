/*
 * proc.c: the process table and the life of a process: the first process,
 * fork, exit, wait and kill.
 *
 * A slot goes UNUSED -> USED (being built, by proc_alloc) -> RUNNABLE ->
 * RUNNING <-> SLEEPING/RUNNABLE -> ZOMBIE (exit) -> UNUSED (the parent's
 * wait, a creator's join, or the group's leader, through proc_free). A
 * zombie keeps only its slot, its exit status and its trapframe page: exit
 * gives back its reference to the address space and its files itself, so
 * an orphaned zombie waiting for init holds almost nothing. Kernel stacks
 * are per slot and never freed (kvm.c maps them at boot).
 *
 * Threads (clone, join, ending a group, exec's taking the leader's place)
 * are group.c's; the slot helpers and wait_lock it shares with this file
 * are declared in proc_internal.h.
 */
#include "arch/memlayout.h"
#include "arch/riscv.h"
#include "arch/trapframe.h"
#include "file/file.h"
#include "lib/lib.h"
#include "proc/proc.h"
#include "proc/proc_internal.h"
#include "trap/trap.h"

struct proc proc_table[NPROC];

static struct proc *initproc;       /* [I] after proc_userinit */
static const char *const *init_argv; /* [I] kernel argv for init's exec */
static int next_pid = 1;            /* [a] */
struct spinlock wait_lock;          /* rank LOCK_RANK_WAIT; guards p->parent */

/* The trampoline depends on every one of these. */
#define TF_CHECK(field, off) \
  _Static_assert(__builtin_offsetof(struct trapframe, field) == (off), #off)
TF_CHECK(kernel_sp, TF_KERNEL_SP);
TF_CHECK(kernel_trap, TF_KERNEL_TRAP);
TF_CHECK(epc, TF_EPC);
TF_CHECK(kernel_proc, TF_KERNEL_PROC);
/* swtch.S saves gp at 112. */
_Static_assert(__builtin_offsetof(struct context, gp) == 112, "context.gp");
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
  }
}

void
proc_free(struct proc *p)
{
  if (p->vm != NULL)
    panic("proc: freeing slot %d that still has space %d", p->slot, p->vm->id);
  if (p->trapframe)
    pmem_free(p->trapframe);
  p->trapframe = NULL;
  p->trapframe_va = 0;
  p->pid = 0;
  p->parent = NULL;
  p->group = NULL;
  p->is_thread = 0;
  p->nthreads = 0;
  p->group_exit = 0;
  p->group_exec = NULL;
  p->name[0] = '\0';
  p->chan = NULL;
  p->killed = 0;
  p->xstate = 0;
  p->state = UNUSED;
}

struct proc *
proc_alloc(void)
{
  struct proc *p;

  for (p = proc_table; p < &proc_table[NPROC]; p++) {
    if (__atomic_load_n(&p->state, __ATOMIC_RELAXED) != UNUSED)
      continue;                 /* a quick look; confirmed under the lock */
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
  memset(&p->context, 0, sizeof(p->context));
  p->context.ra = (uint64)forkret;
  p->context.sp = p->kstack + KSTACK_SIZE;
  p->context.gp = (uint64)p;
  release(&p->lock);
  return p;
}

/* Drops p's files and its reference to its address space, unmapping its
 * trapframe there. => p is the caller, or a USED slot that never ran;
 * holds no lock. */
static void
proc_drop(struct proc *p)
{
  for (int fd = 0; fd < NOFILE; fd++) {
    if (p->ofile[fd]) {
      file_close(p->ofile[fd]);
      p->ofile[fd] = NULL;
    }
  }
  struct uvm *vm = p->vm;
  if (vm == NULL)
    return;
  uvm_unmap_trapframe(vm, p->trapframe_va);
  p->vm = NULL;
  uvm_put(vm);
}

void
proc_unalloc(struct proc *p)
{
  proc_drop(p);
  acquire(&p->lock);
  proc_free(p);
  release(&p->lock);
}

void
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
  init_argv = argv;
  p->ofile[0] = file_console(1, 0);
  p->ofile[1] = file_console(0, 1);
  p->ofile[2] = file_dup(p->ofile[1]);
  strlcpy(p->name, "init", sizeof(p->name));
  acquire(&wait_lock);
  p->group = p;
  release(&wait_lock);
  proc_start(p);
}

void
proc_inherit(struct proc *p, struct proc *np)
{
  for (int fd = 0; fd < NOFILE; fd++)
    if (p->ofile[fd])
      np->ofile[fd] = file_dup(p->ofile[fd]);
  strlcpy(np->name, p->name, sizeof(np->name));
}

int
proc_fork(void)
{
  struct proc *p = myproc();
  struct proc *np = proc_alloc();

  if (np == NULL)
    return -1;
  struct uvm *vm = uvm_alloc();
  if (vm == NULL) {
    proc_unalloc(np);
    return -1;
  }
  if (uvm_copy_pgtbl(p->vm, vm) != 0 ||
      uvm_map_trapframe(vm, TRAPFRAME, np->trapframe) != 0) {
    uvm_put(vm);
    proc_unalloc(np);
    return -1;
  }
  np->vm = vm;
  np->trapframe_va = TRAPFRAME;
  *np->trapframe = *p->trapframe;
  np->trapframe->a0 = 0;                  /* fork returns 0 in the child */
  failinject_fork(p, np);
  proc_inherit(p, np);
  int pid = np->pid;

  acquire(&wait_lock);
  np->parent = p;
  np->group = np;
  release(&wait_lock);
  proc_start(np);
  return pid;
}

struct uvm *
proc_switch_vm(struct uvm *vm)
{
  struct proc *p = myproc();

  struct uvm *old = p->vm;
  p->vm = vm;
  return old;
}

/* Hands p's forked children to init; threads p created are left for the
 * group's end (no one else may join them). => holds wait_lock. */
static void
reparent(struct proc *p)
{
  for (struct proc *pp = proc_table; pp < &proc_table[NPROC]; pp++) {
    if (pp->parent != p)
      continue;
    if (pp->is_thread) {
      pp->parent = NULL;
    } else {
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

  acquire(&wait_lock);
  struct proc *leader = p->group;
  if (p == leader && leader->group_exec == NULL) {
    /* The whole process ends: every other thread first. */
    leader->group_exit = 1;
    group_kill(leader, p);
    group_collect(leader, p);
  }
  release(&wait_lock);

  /* Give files and memory back now, so a zombie holds almost nothing. */
  proc_drop(p);

  acquire(&wait_lock);
  reparent(p);
  if (p->parent != NULL)
    wakeup(p->parent);
  wakeup(leader);               /* a leader or an exec collecting threads */
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

  /* Fault the status word in first: under the locks below the copy may
   * not fault, and a bad pointer must fail before a child is reaped. */
  if (status_uva != 0 &&
      uvm_check_access(p->vm, status_uva, sizeof(int), ACCESS_WRITE) != 0)
    return -1;
  acquire(&wait_lock);
again:
  for (;;) {
    int have_kids = 0;
    for (struct proc *pp = proc_table; pp < &proc_table[NPROC]; pp++) {
      if (pp->parent != p || pp->is_thread)
        continue;
      have_kids = 1;
      acquire(&pp->lock);
      /* A leader whose exec'ing thread is taking its place is a zombie
       * with a thread still counted: not done yet. */
      if (pp->state == ZOMBIE && pp->nthreads == 0) {
        int pid = pp->pid;
        if (status_uva != 0 &&
            copyout_nofault(p->vm, status_uva, &pp->xstate, sizeof(pp->xstate)) != 0) {
          /* The word was faulted in, but a sibling thread's munmap or fork
           * took it back since: fault it in again, or fail. The child
           * stays a zombie either way until a wait can store its status. */
          release(&pp->lock);
          release(&wait_lock);
          if (uvm_check_access(p->vm, status_uva, sizeof(int), ACCESS_WRITE) != 0)
            return -1;
          acquire(&wait_lock);
          goto again;
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
  acquire(&wait_lock);
  for (struct proc *p = proc_table; p < &proc_table[NPROC]; p++) {
    acquire(&p->lock);
    int match = p->pid == pid && p->state != UNUSED;
    release(&p->lock);
    /* A slot still being built has no group yet, and so no one to kill. */
    if (match && p->group != NULL) {
      group_kill(p->group, NULL);
      release(&wait_lock);
      return 0;
    }
  }
  release(&wait_lock);
  return -1;
}

int
proc_kill_children(int pid)
{
  int n = 0;

  acquire(&wait_lock);
  for (struct proc *p = proc_table; p < &proc_table[NPROC]; p++) {
    if (p->is_thread || p->parent == NULL || p == initproc)
      continue;
    acquire(&p->parent->lock);
    int match = p->parent->pid == pid;
    release(&p->parent->lock);
    if (match) {
      group_kill(p, NULL);
      n++;
    }
  }
  release(&wait_lock);
  return n;
}

void
proc_dump(void)
{
  static const char *const states[] = {
    [UNUSED] = "unused", [USED] = "used", [SLEEPING] = "sleep",
    [RUNNABLE] = "runble", [RUNNING] = "run", [ZOMBIE] = "zombie",
  };

  printf("\n");
  for (struct proc *p = proc_table; p < &proc_table[NPROC]; p++) {
    if (p->state == UNUSED)
      continue;
    struct uvm *vm = p->vm;
    printf("%d %s %s%s space %d hart %d\n", p->pid, states[p->state], p->name,
           p->is_thread ? " (thread)" : "", vm != NULL ? vm->id : 0, p->hart);
  }
}

int
proc_is_init(struct proc *p)
{
  return p == initproc;
}

void
proc_setkilled(struct proc *p)
{
  acquire(&wait_lock);
  group_kill(p->group, NULL);
  release(&wait_lock);
}

int
proc_killed(struct proc *p)
{
  if (p == NULL)
    return 0;
  /* Set under p->lock, read without it: the trap path reads it twice a
   * system call. A kill just after the read is seen at the next check, as
   * it would be with the lock. Relaxed: nothing is read on the strength
   * of it (the exit it leads to takes locks), and an acquire would put a
   * fence in every trap. */
  return __atomic_load_n(&p->killed, __ATOMIC_RELAXED);
}

int
proc_count(void)
{
  int n = 0;

#ifdef DEBUG_INVERT_LOCKS
  /* `make INVERT_LOCKS=1`: count with the caller's address-space lock held,
   * so the first p->lock is taken out of order (PROC ranks below VM) and
   * the checker must panic. Never in a normal build. */
  acquire(&myproc()->vm->lock);
#endif
  for (struct proc *p = proc_table; p < &proc_table[NPROC]; p++) {
    acquire(&p->lock);
    n += p->state != UNUSED;
    release(&p->lock);
  }
#ifdef DEBUG_INVERT_LOCKS
  release(&myproc()->vm->lock);
#endif
  return n;
}

uint64
proc_sbrk(long n)
{
  return uvm_sbrk(myproc()->vm, n);
}

void
proc_audit(struct audit *a)
{
  for (struct proc *p = proc_table; p < &proc_table[NPROC]; p++) {
    acquire(&p->lock);
    /* A USED slot is being built or torn down by fork without its lock. */
    if (p->state != UNUSED && p->state != USED && p->trapframe != NULL)
      audit_page(a, (uint64)p->trapframe, PMEM_TRAPFRAME, 0);
    release(&p->lock);
  }
}
