/*
 * failinject.c: allocation-failure injection, per process (see
 * uapi/failinject.h). mm asks mm_fail_hook before each page or node
 * allocation while mm_fail_armed is nonzero; the hook counts allocations
 * made on behalf of the running process and says which to fail. Only the
 * process itself changes its own failpoint, on its own hart.
 */
#include "lib/lib.h"
#include "mm/mm.h"
#include "proc/proc.h"
#include "uapi/failinject.h"

static int proc_fail_hook(int what);

int mm_fail_armed;
int (*mm_fail_hook)(int what) = proc_fail_hook;

static int
proc_fail_hook(int what)
{
  struct proc *p = myproc();

  if (p == NULL || !(p->fail.what & what))
    return 0;
  p->fail.count++;
  if (p->fail.nth > 0 && p->fail.count == (uint64)p->fail.nth)
    return 1;
  return p->fail.ppm > 0 &&
         rand_next(&p->fail.rng) % 1000000 < (uint64)p->fail.ppm;
}

static void
arm(int was_on, int now_on)
{
  if (!was_on && now_on)
    __atomic_add_fetch(&mm_fail_armed, 1, __ATOMIC_RELAXED);
  else if (was_on && !now_on)
    __atomic_sub_fetch(&mm_fail_armed, 1, __ATOMIC_RELAXED);
}

uint64
failinject_set(int what, int nth, int ppm, uint64 seed)
{
  struct proc *p = myproc();
  uint64 counted = p->fail.count;
  int on = (what & (FAIL_PAGES | FAIL_NODES)) != 0 && (nth > 0 || ppm > 0);

  arm(p->fail.what != 0, on);
  p->fail.what = on ? what : 0;
  p->fail.nth = nth > 0 ? nth : 0;
  p->fail.ppm = ppm > 0 ? ppm : 0;
  p->fail.rng = seed;
  p->fail.count = 0;
  return counted;
}

void
failinject_fork(struct proc *parent, struct proc *child)
{
  memset(&child->fail, 0, sizeof(child->fail));
  if (parent->fail.what & FAIL_INHERIT) {
    child->fail = parent->fail;
    child->fail.count = 0;
    child->fail.rng ^= (uint64)child->pid * 0x9e3779b97f4a7c15ULL;
    arm(0, 1);
  }
}

void
failinject_exit(struct proc *p)
{
  arm(p->fail.what != 0, 0);
  memset(&p->fail, 0, sizeof(p->fail));
}
