/*
 * group.c: thread groups: clone adds a thread to the caller's group, join
 * reaps one its creator made; a leader's exit, a kill or a fatal fault ends
 * the whole group (group_kill, then group_collect: the leader reaps the
 * others before it becomes a zombie); exec from any thread first ends the
 * others and takes the leader's place (proc_unshare_threads).
 *
 * The group's links and counts (parent, group, is_thread, nthreads,
 * group_exit, group_exec) are wait_lock's ([w] in proc.h), and a leader's
 * nthreads counts exactly its group's clones not yet reaped.
 */
#include "arch/memlayout.h"
#include "lib/lib.h"
#include "proc/proc.h"
#include "proc/proc_internal.h"

int
proc_clone(uint64 fn, uint64 arg, uint64 stack, uint64 ret)
{
  struct proc *p = myproc();
  struct uvm *vm = p->vm;

  if (stack % 16 != 0 || stack < USER_BASE + 16 ||
      uvm_check_access(vm, fn, 1, ACCESS_EXEC) != 0 ||
      uvm_check_access(vm, ret, 1, ACCESS_EXEC) != 0 ||
      uvm_check_access(vm, stack - 16, 16, ACCESS_WRITE) != 0)
    return -1;
  struct proc *np = proc_alloc();
  if (np == NULL)
    return -1;
  if (uvm_map_trapframe(vm, TRAPFRAME_CLONE(np->slot), np->trapframe) != 0) {
    proc_unalloc(np);
    return -1;
  }
  uvm_get(vm);
  np->vm = vm;
  np->trapframe_va = TRAPFRAME_CLONE(np->slot);
  *np->trapframe = *p->trapframe;
  np->trapframe->epc = fn;
  np->trapframe->sp = stack;
  np->trapframe->a0 = arg;
  np->trapframe->ra = ret;
  proc_inherit(p, np);
  int tid = np->pid;

  acquire(&wait_lock);
  struct proc *leader = p->group;
  if (leader->group_exit) {
    /* Every thread is being ended: a new one would escape the count. */
    release(&wait_lock);
    proc_unalloc(np);
    return -1;
  }
  np->parent = p;
  np->group = leader;
  np->is_thread = 1;
  leader->nthreads++;
  release(&wait_lock);
  failinject_fork(p, np);
  proc_start(np);
  return tid;
}

void
group_kill(struct proc *leader, struct proc *skip)
{
  for (struct proc *q = proc_table; q < &proc_table[NPROC]; q++) {
    if (q == skip || q->group != leader)
      continue;
    acquire(&q->lock);
    if (q->state != UNUSED) {
      __atomic_store_n(&q->killed, 1, __ATOMIC_RELEASE);
      if (q->state == SLEEPING)
        q->state = RUNNABLE;    /* sleep loops check killed */
    }
    release(&q->lock);
  }
}

/* Reaps a zombie clone q of leader's group. => holds wait_lock and q->lock. */
static void
reap_thread(struct proc *leader, struct proc *q)
{
  leader->nthreads--;
  proc_free(q);
}

void
group_collect(struct proc *leader, struct proc *me)
{
  for (;;) {
    int running = 0;
    for (struct proc *q = proc_table; q < &proc_table[NPROC]; q++) {
      if (q == me || q->group != leader)
        continue;
      acquire(&q->lock);
      if (q->state != ZOMBIE)
        running++;
      else if (q != leader)
        reap_thread(leader, q);
      release(&q->lock);
    }
    if (running == 0)
      return;
    sleep_nokill(leader, &wait_lock);
  }
}

int
proc_unshare_threads(void)
{
  struct proc *p = myproc();

  acquire(&wait_lock);
  struct proc *leader = p->group;
  if (leader->nthreads == 0) {
    release(&wait_lock);
    return 0;                   /* alone already */
  }
  if (leader->group_exit || proc_killed(p)) {
    release(&wait_lock);
    return -1;
  }
  leader->group_exit = 1;
  leader->group_exec = p;
  group_kill(leader, p);
  group_collect(leader, p);
  if (p != leader) {
    /* Take the leader's place: its id, its parent, its group. The leader
     * left as a plain thread (proc_exit saw group_exec), so its children
     * went to init and its slot holds only the id and the parent link. */
    acquire(&leader->lock);
    int pid = leader->pid;
    struct proc *parent = leader->parent;
    leader->nthreads = 0;
    proc_free(leader);
    release(&leader->lock);
    acquire(&p->lock);
    p->pid = pid;
    release(&p->lock);
    p->parent = parent;
    p->group = p;
    p->is_thread = 0;
  }
  p->nthreads = 0;
  p->group_exit = 0;
  p->group_exec = NULL;
  release(&wait_lock);
  return 0;
}

int
proc_join(int tid, uint64 status_uva)
{
  struct proc *p = myproc();

  if (tid < 0 || (status_uva != 0 &&
                  uvm_check_access(p->vm, status_uva, sizeof(int), ACCESS_WRITE) != 0))
    return -1;
  acquire(&wait_lock);
again:
  for (;;) {
    int found = 0;
    for (struct proc *q = proc_table; q < &proc_table[NPROC]; q++) {
      if (q->parent != p || !q->is_thread)
        continue;
      acquire(&q->lock);
      if (tid != 0 && q->pid != tid) {
        release(&q->lock);
        continue;
      }
      found = 1;
      if (q->state == ZOMBIE) {
        int id = q->pid;
        if (status_uva != 0 &&
            copyout_nofault(p->vm, status_uva, &q->xstate, sizeof(q->xstate)) != 0) {
          /* As in proc_wait: fault the word in again, or fail. */
          release(&q->lock);
          release(&wait_lock);
          if (uvm_check_access(p->vm, status_uva, sizeof(int), ACCESS_WRITE) != 0)
            return -1;
          acquire(&wait_lock);
          goto again;
        }
        reap_thread(p->group, q);
        release(&q->lock);
        release(&wait_lock);
        return id;
      }
      release(&q->lock);
    }
    if (!found || proc_killed(p)) {
      release(&wait_lock);
      return -1;
    }
    sleep(p, &wait_lock);
  }
}
