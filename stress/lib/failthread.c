/*
 * failthread.c: failsweep's cases in processes of several threads (see
 * failthread.h): clone, fork and exec from a thread while a sibling spins
 * on another hart, and exit with threads live. Each runs in failsweep's
 * runner and exits with a DONE_ status (failcase.h). The runner maps the
 * thread stacks before it arms injection; the helpers that do so are
 * shared with the copy-on-write cases (failcow.c).
 */
#include "failthread.h"

/* ---- threaded processes ----
 * The thread stacks are mapped and touched before injection is armed, so
 * no thread needs a page of its own while it is; they are mapped by the
 * runner (in .bss they would add pages to every other case's fork). */

#define THREADS        3
#define TSTACK         (2 * PGSIZE)
#define THREAD_STATUS  7       /* a cloned thread's exit status */
#define SPIN_TICKS     200     /* how long a runner waits for its threads */

static char *tstacks;
static volatile int tready, tstop, tfailed;
static volatile uint64 tspins;
static volatile int tcounted[THREADS];
static char *theap;
static int tpipe[2];

/* What the runner hands the thread that forks or execs, and its verdict
 * (a DONE_ status). */
static struct {
  int what, n;
  volatile int result;
} job;

void
failthread_map_stacks(void)
{
  tstacks = mmap(0, THREADS * TSTACK, rw, map_flags);
  if (tstacks == MAP_FAILED)
    exit(DONE_BROKEN);
  for (uint64 off = 0; off < THREADS * TSTACK; off += PGSIZE)
    tstacks[off] = 1;
}

static void *
stack_top(int i)
{
  return tstacks + (uint64)(i + 1) * TSTACK;
}

/* A thread the runner needs before injection is armed: clone must work. */
int
failthread_start(void (*fn)(void *), void *arg, int i)
{
  int tid = clone(fn, arg, stack_top(i));
  if (tid <= 0) {
    fprintf(2, "failsweep: clone of thread %d failed with injection off\n", i);
    exit(DONE_BROKEN);
  }
  return tid;
}

void
failthread_join(int tid, int want)
{
  int status = -100;
  if (join(tid, &status) != tid || status != want) {
    fprintf(2, "failsweep: join(%d) gave status %d, want %d\n", tid, status, want);
    exit(DONE_BROKEN);
  }
}

void
failthread_ready(void)
{
  __atomic_add_fetch(&tready, 1, __ATOMIC_RELEASE);
}

/* Waits until n threads have said they are ready. */
void
failthread_await_ready(int n)
{
  for (int t = 0; __atomic_load_n(&tready, __ATOMIC_ACQUIRE) < n; t++) {
    if (t == SPIN_TICKS) {
      fprintf(2, "failsweep: only %d of %d threads got ready\n", tready, n);
      exit(DONE_BROKEN);
    }
    sleep(1);
  }
}

static void
spin(void *arg)
{
  (void)arg;
  __atomic_add_fetch(&tready, 1, __ATOMIC_RELEASE);
  while (!tstop)
    __atomic_add_fetch(&tspins, 1, __ATOMIC_RELAXED);
}

/* Checks the spinning thread still runs: its count moves. */
static void
expect_spinner_runs(const char *after)
{
  uint64 c = tspins;
  for (int t = 0; tspins == c; t++) {
    if (t == SPIN_TICKS) {
      fprintf(2, "failsweep: the spinning thread stopped after %s (N=%d)\n", after,
              job.n);
      exit(DONE_BROKEN);
    }
    sleep(1);
  }
}

/* 1 if memory and the process table are as in before; else says so. */
static int
unchanged_since(const struct memstat *before, const char *what)
{
  struct memstat after;

  memstat(&after);
  if (after.pages_free == before->pages_free && after.nodes_free == before->nodes_free &&
      after.nprocs == before->nprocs)
    return 1;
  fprintf(2, "failsweep: %s changed pages_free %d -> %d, nodes_free %d -> %d, "
          "nprocs %d -> %d\n", what, (int)before->pages_free, (int)after.pages_free,
          (int)before->nodes_free, (int)after.nodes_free, (int)before->nprocs,
          (int)after.nprocs);
  return 0;
}

static void
exit_with_status(void *arg)
{
  (void)arg;
  exit(THREAD_STATUS);
}

/* clone: the thread's trapframe page and the page-table pages of the
 * window it is mapped in. A failed clone must leave memory and the table
 * exactly as before; a good one's thread must run and be joined. */
void
failthread_clone(int what, int n)
{
  struct memstat before;

  failthread_map_stacks();
  memstat(&before);
  failcase_arm(what, n);
  int tid = clone(exit_with_status, 0, stack_top(0));
  int counted = failcase_disarm();
  if (tid < 0)
    exit(unchanged_since(&before, "a failed clone") ? DONE_FAILED : DONE_BROKEN);
  failthread_join(tid, THREAD_STATUS);
  exit(counted < n ? DONE_UNREACHED : DONE_BROKEN);
}

/* Starts the spinning thread and then fn on a second one, which runs the
 * operation (job); joins it, checks the spinner kept running and ends
 * with fn's verdict. The first thread waits in join meanwhile: three
 * threads, one of them cloned doing the operation. */
static void
run_in_thread(void (*fn)(void *), const char *what_op, int what, int n)
{
  failthread_map_stacks();
  job.what = what;
  job.n = n;
  job.result = DONE_BROKEN;
  int spinner = failthread_start(spin, 0, 0);
  failthread_await_ready(1);
  failthread_join(failthread_start(fn, 0, 1), 0);
  expect_spinner_runs(what_op);
  tstop = 1;
  failthread_join(spinner, 0);
  exit(job.result);
}

/* In a thread: fork, whose child gets this thread only (nothing to join). */
static void
fork_in_thread(void *arg)
{
  struct memstat before;

  (void)arg;
  memstat(&before);
  failcase_arm(job.what, job.n);
  int pid = fork();
  if (pid == 0)
    exit(join(0, 0) == -1 ? 0 : 1);
  int counted = failcase_disarm();
  if (pid < 0) {
    job.result = unchanged_since(&before, "a failed fork from a thread") ? DONE_FAILED
                                                                         : DONE_BROKEN;
    return;
  }
  int status = -100;
  if (wait(&status) != pid || status != 0) {
    fprintf(2, "failsweep: the child forked by a thread ended with %d\n", status);
    return;
  }
  job.result = counted < job.n ? DONE_UNREACHED : DONE_BROKEN;
}

void
failthread_fork(int what, int n)
{
  run_in_thread(fork_in_thread, "a fork from a thread", what, n);
}

/* In a thread: exec, which ends the other threads only once it cannot
 * fail; failexec then reports as in op_exec. A failed exec must change
 * nothing and leave the others running. */
static void
exec_in_thread(void *arg)
{
  struct memstat before;
  char nth[16];
  char *argv[] = { "failexec", nth, 0 };

  (void)arg;
  snprintf(nth, sizeof(nth), "%d", job.n);
  memstat(&before);
  failcase_arm(job.what, job.n);
  exec("failexec", argv);
  failcase_disarm();
  job.result = unchanged_since(&before, "a failed exec from a thread") ? DONE_FAILED
                                                                       : DONE_BROKEN;
}

void
failthread_exec(int what, int n)
{
  run_in_thread(exec_in_thread, "a failed exec from a thread", what, n);
}

/* In a thread made with the setting inherited: faults in a fresh heap
 * page, maps a page and reads it in (a failed fault kills the process, a
 * failed mmap returns MAP_FAILED), says how many allocations it made,
 * then stays: thread 0 spinning, thread 1 asleep in a pipe read. Each
 * thread's region has a prot of its own, so it merges with no neighbour
 * and takes a node. */
static void
work_then_stay(void *arg)
{
  int i = (int)(uint64)arg;
  char c;

  theap[(uint64)i * PGSIZE] = 1;
  char *p = mmap(0, PGSIZE, i == 0 ? PROT_READ : PROT_READ | PROT_EXEC, map_flags);
  if (p == MAP_FAILED)
    tfailed = 1;
  else
    (void)*(volatile char *)p;
  tcounted[i] = failinject(0, 0, 0, 0);
  __atomic_add_fetch(&tready, 1, __ATOMIC_RELEASE);
  if (i == 0)
    spin(0);
  read(tpipe[0], &c, 1);             /* nobody writes */
}

/* exit of the first thread while two threads live: it arms injection with
 * FAIL_INHERIT and clones them, they allocate (work_then_stay), and then
 * it exits with the verdict, every thread still there. Exit itself
 * allocates nothing; it must end the threads and free all of it. */
void
failthread_exit(int what, int n)
{
  int started = 0, failed = 0;

  failthread_map_stacks();
  theap = sbrk(2 * PGSIZE);          /* lazy: allocates nothing yet */
  if (theap == (char *)-1 || pipe(tpipe) != 0)
    exit(DONE_BROKEN);
  failcase_arm(what | FAIL_INHERIT, n);
  for (int i = 0; i < 2; i++) {
    if (clone(work_then_stay, (void *)(uint64)i, stack_top(i)) > 0)
      started++;
    else
      failed = 1;
  }
  failthread_await_ready(started);
  int counted = failcase_disarm();
  int reached = counted >= n;
  for (int i = 0; i < 2; i++)
    reached |= tcounted[i] >= n;
  exit(failed || tfailed ? DONE_FAILED : reached ? DONE_BROKEN : DONE_UNREACHED);
}
