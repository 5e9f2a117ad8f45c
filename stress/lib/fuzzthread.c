/*
 * fuzzthread.c: the fuzz worker's calls on threads (clone, join), its
 * model of the threads it made, and the stray-thread stub (fuzzmodel.h).
 *
 * Threads: a process keeps at most THREADS_MAX unjoined threads, each on
 * a stack of its own in .bss (resident since exec, so a thread never
 * faults a page in, even with failinject armed and inherited). A thread
 * stores its id at the bottom of its stack, asks getpid, maybe sleeps a
 * tick, and returns or exits with a status the model chose; of fz it
 * writes only its own seen and done. A kill of any thread ends its whole
 * process and random kills spare workers only by pid, so a worker joins
 * each thread in the call that made it; a child keeps its threads across
 * calls and joins them before it ends, or now and then leaves them to its
 * exit or exec to end.
 */
#include "fuzzmodel.h"

#define TSTACK         PGSIZE    /* a thread's stack */
#define THREAD_RETURNED 82       /* the status of a thread that returned */
#define THREAD_STRAYED 77        /* the status of one started at the stray stub */

#define STR_(x) #x
#define STR(x) STR_(x)

static char tstacks[THREADS_MAX][TSTACK] __attribute__((aligned(PGSIZE)));

/* Where a thread that should never have been made starts (a clone with a
 * bad stack or return address must fail): it exits at once touching no
 * memory, so a clone the kernel wrongly took ends in a FAIL line, not in
 * a fault that might end the worker first. Good clones start here too,
 * now and then. */
void fuzz_stray_thread(void);
asm(".pushsection .text\n"
    ".p2align 2\n"
    ".globl fuzz_stray_thread\n"
    "fuzz_stray_thread:\n"
    "  li a0, " STR(THREAD_STRAYED) "\n"
    "  li a7, " STR(SYS_exit) "\n"
    "  ecall\n"
    ".popsection\n");

/* ---- calls on threads ---- */

int
fuzz_thread_index(int tid)
{
  for (int i = 0; i < THREADS_MAX; i++)
    if (tid > 0 && fz.threads[i].tid == tid)
      return i;
  return -1;
}

static uint64
stack_top(int i)
{
  return (uint64)tstacks[i] + TSTACK;
}

/* A thread: stores its id at the bottom of its stack (the page the model
 * gave it), then ends as the model said. */
static void
thread_main(void *arg)
{
  struct thread_model *t = arg;
  int i = (int)(t - fz.threads);
  int tid = (int)fuzz_raw_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0);

  *(volatile int *)tstacks[i] = tid;
  t->seen = tid;
  if (t->how == THREAD_SLEEP)
    fuzz_raw_syscall(SYS_sleep, 1, 0, 0, 0, 0, 0);
  t->done = 1;
  if (t->how != THREAD_RETURN)
    fuzz_raw_syscall(SYS_exit, t->status, 0, 0, 0, 0, 0);
}

/* The return address of good clones: a thread that returns ends here. */
static void
thread_return(void)
{
  fuzz_raw_syscall(SYS_exit, THREAD_RETURNED, 0, 0, 0, 0, 0);
}

/* Checks what join said about thread i, whose status is at va (cls), and
 * frees its slot. */
static void
thread_joined(int i, uint64 va, enum ptr_class cls)
{
  struct thread_model *t = &fz.threads[i];

  if (va != 0 && cls == PTR_OK) {
    int status;
    memcpy(&status, (void *)va, sizeof(status));
    if (status != t->status)
      fuzz_fail("join(%d) stored status %d, the thread ended with %d", t->tid, status,
                t->status);
  }
  if (t->how != THREAD_STRAY &&
      (t->seen != t->tid || *(volatile int *)tstacks[i] != t->tid))
    fuzz_fail("thread %d saw getpid %d and left %d on its stack", t->tid, t->seen,
              *(volatile int *)tstacks[i]);
  fz.joined[below(RECENT)] = t->tid;
  t->tid = 0;
  fz.nthreads--;
  fz.rep.joins++;
}

/* A live thread to join: one about to end if there is one (a join of a
 * thread still waiting for a hart may wait a tick), else any; -1 if none. */
static int
pick_thread(void)
{
  int pick = -1;

  for (int i = 0, k = (int)below(THREADS_MAX); i < THREADS_MAX; i++) {
    struct thread_model *t = &fz.threads[(i + k) % THREADS_MAX];
    if (t->tid != 0 && (pick < 0 || t->done || t->how == THREAD_STRAY))
      pick = (i + k) % THREADS_MAX;
  }
  return pick;
}

/* Joins thread i, which must work. */
static void
join_thread(int i)
{
  uint64 va = one_in(4) ? 0 : (uint64)fuzz_scratch + 4 * below(8);
  long ret = fuzz_call(SYS_join, fz.threads[i].tid, (long)va, 0, 0, 0, 0);

  if (ret != fz.threads[i].tid)
    fuzz_fail("join(%d, %p) returned %d", fz.threads[i].tid, (void *)va, (int)ret);
  thread_joined(i, va, PTR_OK);
}

void
fuzz_join_one(void)
{
  join_thread(pick_thread());
}

void
fuzz_threads_forget(void)
{
  memset(fz.threads, 0, sizeof(fz.threads));
  fz.nthreads = 0;
}

/* A candidate for bad_stack, and why it is bad. */
static uint64
pick_bad_stack(const char **why)
{
  static const uint64 kernel[] = { 0x80000000UL, 0x80001000UL, 0x80200000UL };
  uint64 k = 16 * (1 + below(PGSIZE / 16));     /* 16 .. PGSIZE */

  for (;;) {
    switch (below(9)) {
    case 0: *why = "a misaligned stack";
      return stack_top((int)below(THREADS_MAX)) - 1 - below(15);
    case 1: *why = "a stack at 0"; return below(2) * 16;
    case 2: *why = "a stack in the kernel"; return PICK(kernel) + k;
    case 3: *why = "a stack in the program text"; return USER_BASE + k - 16 * below(2);
    case 4: *why = "a stack in the guard page"; return STACK_GUARD + k;
    case 5: *why = "a stack in the trapframe or trampoline";
      return TRAPFRAME + below(2) * PGSIZE + k;
    case 6: {
      static const uint64 high[] = { VA_MAX + PGSIZE, 1UL << 63, (uint64)-16 };
      *why = "a stack beyond VA_MAX";
      return PICK(high);
    }
    case 7: *why = "a stack above the break";
      return PGROUNDUP(fz.brk) + k;
    default: {
      uint64 va = PGROUNDDOWN(one_in(2) ? fz.recent[below(RECENT)]
                                        : MMAP_BEGIN + below(MMAP_PAGES) * PGSIZE);
      if (fuzz_ptr_class(va) != PTR_BAD)
        continue;                         /* mapped: try again */
      *why = "a stack in an unmapped page";
      return va + k;
    }
    }
  }
}

/* A stack no clone may take: misaligned, or [stack - 16, stack) is no
 * writable user memory (checked against the model). */
static uint64
bad_stack(const char **why)
{
  for (;;) {
    uint64 stack = pick_bad_stack(why);
    enum ptr_class cls = fuzz_ptr_class(stack - 16);
    if (stack % 16 != 0 || cls == PTR_BAD || cls == PTR_RO)
      return stack;
  }
}

/* An address clone may not start a thread at (fn or ret): no executable
 * user memory there. */
static uint64
bad_code(void)
{
  static const uint64 fixed[] = { 0, 2, USER_BASE - 2, 0x80000000UL, 0x80001000UL,
                                  TRAPFRAME, TRAMPOLINE, VA_MAX, 1UL << 63,
                                  (uint64)-1 };
  switch (below(5)) {
  case 0: return (uint64)fuzz_scratch + below(64);   /* data: rw- */
  case 1: return (uint64)&fz;                        /* bss */
  case 2: return fz.heap_start + below(fz.brk - fz.heap_start + 1);
  case 3: {
    uint64 va = MMAP_BEGIN + below(MMAP_PAGES) * PGSIZE;
    if (fuzz_ptr_class(va) == PTR_BAD)
      return va;
    return 0;
  }
  default: return PICK(fixed);
  }
}

void
fuzz_clone(void)
{
  const char *why = NULL;
  uint64 fn = (uint64)fuzz_stray_thread, ret = (uint64)thread_return;
  uint64 arg = fuzz_any_int(), stack = stack_top(0);
  int slot = -1;

  if (fz.nthreads == THREADS_MAX && one_in(2))
    fuzz_join_one();
  switch (below(10)) {
  case 0: case 1: case 2: case 3: case 4:
    for (int i = 0; i < THREADS_MAX && slot < 0; i++)
      if (fz.threads[i].tid == 0)
        slot = i;
    if (slot >= 0)
      break;
    /* fall through: no free slot, a bad clone instead */
  case 5: case 6: stack = bad_stack(&why); break;
  case 7: case 8: fn = bad_code(); why = "fn not executable user memory"; break;
  default: ret = bad_code(); why = "ret not executable user memory"; break;
  }
  struct thread_model *t = slot >= 0 ? &fz.threads[slot] : NULL;
  if (t) {
    t->how = (int)below(4);
    if (fz.depth == 0 && t->how == THREAD_SLEEP)
      t->how = THREAD_EXIT;    /* a worker joins at once: do not make it wait */
    t->status = t->how == THREAD_RETURN ? THREAD_RETURNED
              : t->how == THREAD_STRAY ? THREAD_STRAYED : (int)below(256);
    t->seen = t->done = 0;
    *(volatile int *)tstacks[slot] = 0;
    fn = t->how == THREAD_STRAY ? (uint64)fuzz_stray_thread : (uint64)thread_main;
    arg = (uint64)t;
    stack = stack_top(slot) - 16 * below(8);
  }
  long tid = fuzz_call(SYS_clone, (long)fn, (long)arg, (long)stack, (long)ret,
                       (long)fuzz_any_int(), (long)fuzz_any_int());
  if (!t) {
    if (tid != -1)
      fuzz_fail("clone(fn %p, stack %p, ret %p) with %s returned %d", (void *)fn,
                (void *)stack, (void *)ret, why, (int)tid);
    return;
  }
  if (tid == -1)
    return;                    /* no slot or page: other workers, failinject */
  if (tid <= 0 || tid == fz.pid || fuzz_child_index(tid) >= 0 || fuzz_thread_index((int)tid) >= 0)
    fuzz_fail("clone returned %d (pid %d, %d children, %d threads)", (int)tid, fz.pid,
              fz.nchildren, fz.nthreads);
  t->tid = (int)tid;
  fz.nthreads++;
  fz.rep.clones++;
  /* A random kill of any thread ends its whole process, and the kills
   * spare workers only by their pids: a worker's thread lives no longer
   * than this call. A child's may live on, to be joined later. */
  if (fz.depth == 0)
    join_thread(slot);
}

void
fuzz_join(void)
{
  static const long bad[] = { -1, -2, -0x7fffffff - 1, 0x7fffffff, 1,
                              (1L << 32) | 0x7fffffff };
  enum ptr_class cls = PTR_OK;
  uint64 va = 0;
  long tid;

  switch (below(3)) {
  case 0: break;
  case 1: va = (uint64)fuzz_scratch + below(16); break;
  default: va = fuzz_any_ptr(1, &cls); break;
  }
  switch (below(8)) {
  case 0: case 1: case 2: {
    int i = pick_thread();
    tid = i >= 0 ? fz.threads[i].tid : 0;
    if (one_in(4))
      tid |= 1L << 32;         /* an int argument: the bits above go */
    break;
  }
  case 3: tid = 0; break;
  case 4: tid = one_in(2) ? PICK(bad) : fz.pid; break;
  case 5:
    tid = fz.nchildren > 0 && one_in(2) ? fz.children[below(fz.nchildren)]
                                       : fz.joined[below(RECENT)];
    break;
  default: tid = fz.driver_pid + 1 + (long)below((uint64)(fz.maxpid - fz.driver_pid + 8));
    break;
  }
  long ret = fuzz_call(SYS_join, tid, (long)va, (long)fuzz_any_int(), 0, 0, 0);
  int want = (int)tid;
  int can = want == 0 ? fz.nthreads > 0 : fuzz_thread_index(want) >= 0;
  if (ret == -1) {
    if (can && (va == 0 || cls == PTR_OK))
      fuzz_fail("join(%p, %p) failed with %d threads", (void *)tid, (void *)va,
                fz.nthreads);
    return;
  }
  int i = fuzz_thread_index((int)ret);
  if (!can || i < 0 || (want != 0 && ret != want))
    fuzz_fail("join(%p) returned %d, not a thread of ours (%d threads)", (void *)tid,
              (int)ret, fz.nthreads);
  if (va != 0 && (cls == PTR_BAD || cls == PTR_RO))
    fuzz_fail("join stored a status at %p", (void *)va);
  thread_joined(i, va, cls);
}
