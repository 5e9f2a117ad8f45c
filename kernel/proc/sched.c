/*
 * sched.c: per-hart scheduling: the scheduler loop, switching in and out of
 * processes, sleep and wakeup.
 *
 * A process gives up its hart only through sched(), holding exactly its own
 * p->lock. The scheduler took that same lock before switching the process
 * in (the process drops it once it runs: forkret, yield, sleep) and drops
 * it again once the process has switched back out, so the lock covers each
 * state change (RUNNABLE -> RUNNING, RUNNING -> RUNNABLE/SLEEPING/ZOMBIE)
 * until the hart is off the process's stack.
 */
#include "arch/riscv.h"
#include "lib/lib.h"
#include "proc/proc.h"
#include "proc/proc_internal.h"

struct cpu cpus[NCPU];

struct cpu *
mycpu(void)
{
  return &cpus[r_tp()];
}

void
scheduler(void)
{
  struct cpu *c = mycpu();

  c->proc = NULL;
  for (;;) {
    /* Let device interrupts in between scans, then scan with them off. */
    intr_on();
    intr_off();
    int ran = 0;
    for (struct proc *p = proc_table; p < &proc_table[NPROC]; p++) {
      /* Lock only what looks runnable; one missed now is seen next scan. */
      if (__atomic_load_n(&p->state, __ATOMIC_RELAXED) != RUNNABLE)
        continue;
      acquire(&p->lock);
      if (p->state == RUNNABLE) {
        p->state = RUNNING;
        p->hart = (int)r_tp();
        c->proc = p;
        swtch(&c->context, &p->context);
        /* The thread left the hart: so does its table, which must not
         * outlive the thread's hold on its space (tlb.c). */
        tlb_unload(NULL);
        c->proc = NULL;
        ran = 1;
      }
      release(&p->lock);
    }
    if (!ran) {
      intr_on();
      wfi();
    }
  }
}

void
sched(void)
{
  struct proc *p = myproc();

  if (!holding(&p->lock))
    panic("sched: %s without its p->lock", p->name);
  if (spinlock_held_count() != 1)
    panic("sched: %s would sleep holding %s as well as its own lock", p->name,
          spinlock_held_name(0) == p->lock.name ? spinlock_held_name(1)
                                                : spinlock_held_name(0));
  if (p->state == RUNNING)
    panic("sched: %s still RUNNING", p->name);
  if (intr_get())
    panic("sched: interrupts on");

  /* intena belongs to this kernel thread, not to the hart. */
  int intena = spinlock_intena();
  swtch(&p->context, &mycpu()->context);
  spinlock_set_intena(intena);
}

void
yield(void)
{
  struct proc *p = myproc();

  acquire(&p->lock);
  p->state = RUNNABLE;
  sched();
  release(&p->lock);
}

/* sleep and sleep_nokill: releases lk and sleeps on chan; a kill cuts the
 * sleep short only if interruptible. */
static void
sleep_on(void *chan, struct spinlock *lk, int interruptible)
{
  struct proc *p = myproc();

  /* Holding p->lock before dropping lk means no wakeup(chan) can slip in
   * between: wakeup needs p->lock to change our state. And chan and state
   * are stored before lk is released, so a waker holding lk that reads
   * them without p->lock (wakeup's quick scan) cannot miss us. A kill that
   * came after the caller last checked would find us RUNNING and only set
   * killed; sleeping now would lose it. Every caller loops and checks
   * killed again. */
  acquire(&p->lock);
  int sleeping = !interruptible || !p->killed;
  if (sleeping) {
    __atomic_store_n(&p->chan, chan, __ATOMIC_RELAXED);
    __atomic_store_n(&p->state, SLEEPING, __ATOMIC_RELAXED);
  }
  release(lk);
  if (sleeping) {
    sched();
    p->chan = NULL;
  }
  release(&p->lock);
  acquire(lk);
}

void
sleep(void *chan, struct spinlock *lk)
{
  sleep_on(chan, lk, 1);
}

void
sleep_nokill(void *chan, struct spinlock *lk)
{
  sleep_on(chan, lk, 0);
}

void
wakeup(void *chan)
{
  struct proc *me = myproc();

  for (struct proc *p = proc_table; p < &proc_table[NPROC]; p++) {
    /* A quick look without the lock first: with NPROC growing with the
     * harts, taking every p->lock on every wakeup is most of a pipe
     * write. The caller holds chan's condition lock, and sleep_on stores
     * state and chan before releasing it, so a sleeper on chan is seen. */
    if (p == me || __atomic_load_n(&p->state, __ATOMIC_RELAXED) != SLEEPING ||
        __atomic_load_n(&p->chan, __ATOMIC_RELAXED) != chan)
      continue;
    acquire(&p->lock);
    if (p->state == SLEEPING && p->chan == chan)
      p->state = RUNNABLE;
    release(&p->lock);
  }
}
