/*
 * failsweep.c: every failure point of the allocating system calls. For
 * each operation and each kind of allocation (pages, region nodes) it sets
 * N = 1, 2, 3, ... and makes the Nth allocation fail (failinject), until
 * the operation completes without reaching its Nth allocation. At every N
 * the operation must fail cleanly (an error return, or only that process
 * killed by its fault) and memstat must come back exactly to its baseline.
 * Operations include clone, and fork, exec and exit in a process of
 * several threads; fork of a process with many touched pages (with
 * copy-on-write it takes only page-table pages: the fork cases have a
 * maximum too); and copy-on-write breaks of shared pages by a child, a
 * parent, a thread with a sibling on another hart, and the kernel
 * (read, memstat, pipe, wait writing into shared pages): a failed break
 * kills the writer or fails the call with -1, nothing leaks, and the
 * other sharer's copy stays intact. Then a seeded random mode (a chance
 * per allocation) under a mixed load.
 * Prints one line per case with the failure points it exercised.
 *
 *   failsweep [--seed N]
 */
#include "lib/stress.h"

#define N_MAX          400     /* no operation here allocates more */
#define SETTLE_TRIES   500

/* How a run of the operation ended, as the runner child's exit status. */
#define DONE_UNREACHED 10      /* completed without reaching the Nth */
#define DONE_FAILED    11      /* returned an error, cleanly */
#define DONE_BROKEN    12      /* misbehaved: see its own message */

static const int rw = PROT_READ | PROT_WRITE;
static const int map_flags = MAP_PRIVATE | MAP_ANONYMOUS;

/* Arms injection for the operation; returns after it, with the count. */
static void
arm(int what, int n)
{
  failinject(what, n, 0, 0);
}

static int
disarm(void)
{
  return failinject(0, 0, 0, 0);
}

/* Ends the runner: reached the Nth allocation or not, with the op's result. */
static void
finish(int n, int failed)
{
  int counted = disarm();
  if (failed)
    exit(DONE_FAILED);
  exit(counted < n ? DONE_UNREACHED : DONE_BROKEN);
}

static void
op_fork(int what, int n)
{
  arm(what, n);
  int pid = fork();
  if (pid == 0)
    exit(0);
  int counted = disarm();
  if (pid > 0)
    wait(0);
  exit(pid < 0 ? DONE_FAILED : counted < n ? DONE_UNREACHED : DONE_BROKEN);
}

/* The setting survives exec: failexec reports whether the Nth allocation
 * was reached (then exec should have failed), and a failure inside its
 * first faults kills it, which is clean too. */
static void
op_exec(int what, int n)
{
  char nth[16];
  char *argv[] = { "failexec", nth, 0 };

  snprintf(nth, sizeof(nth), "%d", n);
  arm(what, n);
  exec("failexec", argv);
  finish(n, 1);
}

static void
op_sbrk_touch(int what, int n)
{
  arm(what, n);
  char *p = sbrk(4 * PGSIZE);
  if (p == (char *)-1)
    finish(n, 1);
  for (int i = 0; i < 4; i++)
    p[i * PGSIZE] = 1;           /* a failed fault kills us here */
  finish(n, 0);
}

static void
op_mmap_touch(int what, int n)
{
  arm(what, n);
  char *p = mmap(0, 4 * PGSIZE, rw, map_flags);
  if (p == MAP_FAILED)
    finish(n, 1);
  for (int i = 0; i < 4; i++)
    p[i * PGSIZE] = 1;
  finish(n, 0);
}

/* A munmap that splits; on failure the mapping must be exactly as before. */
static void
op_munmap_split(int what, int n)
{
  char *p = mmap(0, 3 * PGSIZE, rw, map_flags);
  if (p == MAP_FAILED)
    exit(DONE_BROKEN);
  for (int i = 0; i < 3; i++)
    p[i * PGSIZE] = (char)(i + 1);
  arm(what, n);
  int rc = munmap(p + PGSIZE, PGSIZE);
  int counted = disarm();
  if (rc != 0) {
    for (int i = 0; i < 3; i++)
      if (p[i * PGSIZE] != (char)(i + 1)) {
        fprintf(2, "failsweep: munmap failed but page %d changed\n", i);
        exit(DONE_BROKEN);
      }
    exit(DONE_FAILED);
  }
  exit(counted < n ? DONE_UNREACHED : DONE_BROKEN);
}

static void
op_pipe(int what, int n)
{
  int fds[2];
  arm(what, n);
  if (pipe(fds) != 0)
    finish(n, 1);
  char c = 'x';
  if (write(fds[1], &c, 1) != 1 || read(fds[0], &c, 1) != 1)
    exit(DONE_BROKEN);
  finish(n, 0);
}

/* A read into a lazy heap page above 1 GiB: the kernel's copy faults in
 * the page and two new page-table pages. When that fails, read returns -1
 * and memory must be exactly as before, with no empty table left behind. */
static void
op_read_far(int what, int n)
{
  struct memstat before, after;
  int fds[2];
  char *base = sbrk(1L << 30);

  if (base == (char *)-1 || pipe(fds) != 0 || write(fds[1], "x", 1) != 1)
    exit(DONE_BROKEN);
  char *far = (char *)PGROUNDUP((uint64)base + (1UL << 30) - 2 * PGSIZE);
  memstat(&before);
  arm(what, n);
  int rc = read(fds[0], far, 1);
  int counted = disarm();
  memstat(&after);
  if (rc == -1 && after.pages_free != before.pages_free) {
    fprintf(2, "failsweep: a failed read changed pages_free %d -> %d\n",
            (int)before.pages_free, (int)after.pages_free);
    exit(DONE_BROKEN);
  }
  if (rc == -1)
    exit(DONE_FAILED);
  exit(rc == 1 && counted < n ? DONE_UNREACHED : DONE_BROKEN);
}

/* fork of a process holding many regions: the child needs as many nodes. */
static void
op_fork_regions(int what, int n)
{
  for (int i = 0; i < 40; i++) {
    char *p = mmap((void *)(MMAP_BEGIN + (uint64)i * PGSIZE), PGSIZE,
                   i % 2 ? PROT_READ : rw, map_flags);
    if (p == MAP_FAILED)
      exit(DONE_BROKEN);
    if (i % 2 == 0)
      *p = 1;
  }
  op_fork(what, n);
}

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

static void
map_stacks(void)
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
static int
start_thread(void (*fn)(void *), void *arg, int i)
{
  int tid = clone(fn, arg, stack_top(i));
  if (tid <= 0) {
    fprintf(2, "failsweep: clone of thread %d failed with injection off\n", i);
    exit(DONE_BROKEN);
  }
  return tid;
}

static void
join_thread(int tid, int want)
{
  int status = -100;
  if (join(tid, &status) != tid || status != want) {
    fprintf(2, "failsweep: join(%d) gave status %d, want %d\n", tid, status, want);
    exit(DONE_BROKEN);
  }
}

/* Waits until n threads have said they are ready. */
static void
await_ready(int n)
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
static void
op_clone(int what, int n)
{
  struct memstat before;

  map_stacks();
  memstat(&before);
  arm(what, n);
  int tid = clone(exit_with_status, 0, stack_top(0));
  int counted = disarm();
  if (tid < 0)
    exit(unchanged_since(&before, "a failed clone") ? DONE_FAILED : DONE_BROKEN);
  join_thread(tid, THREAD_STATUS);
  exit(counted < n ? DONE_UNREACHED : DONE_BROKEN);
}

/* Starts the spinning thread and then fn on a second one, which runs the
 * operation (job); joins it, checks the spinner kept running and ends
 * with fn's verdict. The first thread waits in join meanwhile: three
 * threads, one of them cloned doing the operation. */
static void
run_in_thread(void (*fn)(void *), const char *what_op, int what, int n)
{
  map_stacks();
  job.what = what;
  job.n = n;
  job.result = DONE_BROKEN;
  int spinner = start_thread(spin, 0, 0);
  await_ready(1);
  join_thread(start_thread(fn, 0, 1), 0);
  expect_spinner_runs(what_op);
  tstop = 1;
  join_thread(spinner, 0);
  exit(job.result);
}

/* In a thread: fork, whose child gets this thread only (nothing to join). */
static void
fork_in_thread(void *arg)
{
  struct memstat before;

  (void)arg;
  memstat(&before);
  arm(job.what, job.n);
  int pid = fork();
  if (pid == 0)
    exit(join(0, 0) == -1 ? 0 : 1);
  int counted = disarm();
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

static void
op_fork_threaded(int what, int n)
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
  arm(job.what, job.n);
  exec("failexec", argv);
  disarm();
  job.result = unchanged_since(&before, "a failed exec from a thread") ? DONE_FAILED
                                                                       : DONE_BROKEN;
}

static void
op_exec_threaded(int what, int n)
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
static void
op_exit_threaded(int what, int n)
{
  int started = 0, failed = 0;

  map_stacks();
  theap = sbrk(2 * PGSIZE);          /* lazy: allocates nothing yet */
  if (theap == (char *)-1 || pipe(tpipe) != 0)
    exit(DONE_BROKEN);
  arm(what | FAIL_INHERIT, n);
  for (int i = 0; i < 2; i++) {
    if (clone(work_then_stay, (void *)(uint64)i, stack_top(i)) > 0)
      started++;
    else
      failed = 1;
  }
  await_ready(started);
  int counted = disarm();
  int reached = counted >= n;
  for (int i = 0; i < 2; i++)
    reached |= tcounted[i] >= n;
  exit(failed || tfailed ? DONE_FAILED : reached ? DONE_BROKEN : DONE_UNREACHED);
}

/* fork of a process with many touched pages: with copy-on-write fork maps
 * them shared and takes only page-table pages (and the trapframe), so its
 * failure points must not grow with the pages touched (max_pages). */
#define TOUCHED_PAGES  64

static void
op_fork_touched(int what, int n)
{
  struct memstat a, b;
  char *p = mmap(0, TOUCHED_PAGES * PGSIZE, rw, map_flags);

  if (p == MAP_FAILED)
    exit(DONE_BROKEN);
  for (int i = 0; i < TOUCHED_PAGES; i++)
    p[(uint64)i * PGSIZE] = (char)(i + 1);
  arm(what, n);
  int pid = fork();
  if (pid == 0)
    exit(0);
  int counted = disarm();
  if (pid > 0)
    wait(0);
  /* Failed, or the child gone: every page is the caller's alone again (its
   * count back to 1), so writing them all takes no page. */
  memstat(&a);
  for (int i = 0; i < TOUCHED_PAGES; i++)
    p[(uint64)i * PGSIZE] += 1;
  memstat(&b);
  if (a.pages_free != b.pages_free) {
    fprintf(2, "failsweep: after a %s fork, writing the caller's pages took %d pages\n",
            pid < 0 ? "failed" : "finished", (int)(a.pages_free - b.pages_free));
    exit(DONE_BROKEN);
  }
  for (int i = 0; i < TOUCHED_PAGES; i++)
    if (p[(uint64)i * PGSIZE] != (char)(i + 2)) {
      fprintf(2, "failsweep: page %d lost its value over a fork\n", i);
      exit(DONE_BROKEN);
    }
  exit(pid < 0 ? DONE_FAILED : counted < n ? DONE_UNREACHED : DONE_BROKEN);
}

/* ---- copy-on-write breaks ----
 * The runner R forks A, which maps and fills COW_PAGES pages and forks B:
 * the pages are shared by A and B. One of them (the writer) takes its own
 * stack and data pages first (utest_own_pages, so only the shared pages'
 * breaks are counted), arms injection and writes every shared page (or
 * has the kernel write into them); the other (the holder) waits until the
 * writer is done or dead, then checks its copy is intact and still
 * writable. Both report to R through a pipe, one byte each:
 *   writer  'U' done without reaching the Nth allocation, 'F' a kernel
 *           write failed cleanly (-1, nothing written, nothing lost),
 *           'B' broken (see its message); nothing: killed by a failed
 *           break, which is the clean outcome of a user store
 *   holder  'h' its copy intact, 'x' not
 */
#define COW_PAGES      8
#define COW_GEN_OLD    1
#define COW_GEN_NEW    2
#define KW_BYTES       128     /* a kernel write across two shared pages */

enum cow_writer { COW_CHILD, COW_PARENT, COW_THREAD, COW_KERNEL };

static uint64 cow_area;

static void
cow_fill(uint64 gen)
{
  for (int i = 0; i < COW_PAGES; i++)
    stress_fill_page(7, cow_area + (uint64)i * PGSIZE, gen);
}

/* The first page of the area (from first on) not holding gen, or -1. */
static int
cow_bad_page(int first, uint64 gen)
{
  for (int i = first; i < COW_PAGES; i++)
    if (stress_check_page(7, cow_area + (uint64)i * PGSIZE, gen))
      return i;
  return -1;
}

static void
verdict(int fd, char v)
{
  write(fd, &v, 1);
}

/* The holder: once the writer is gone, its copy must be intact, and
 * writable (it is the last sharer: in place) and hold what it writes. */
static void
cow_hold(int vfd)
{
  int bad = cow_bad_page(0, COW_GEN_OLD);
  if (bad >= 0)
    fprintf(2, "failsweep: the holder's page %d changed under the writer's break\n", bad);
  cow_fill(COW_GEN_NEW + 1);
  if (bad < 0 && (bad = cow_bad_page(0, COW_GEN_NEW + 1)) >= 0)
    fprintf(2, "failsweep: the holder's page %d lost its own write\n", bad);
  verdict(vfd, bad < 0 ? 'h' : 'x');
}

/* User stores into every shared page; a failed break kills the process. */
static void
cow_store_all(int vfd, int n)
{
  cow_fill(COW_GEN_NEW);
  int counted = disarm();
  int bad = cow_bad_page(0, COW_GEN_NEW);
  if (bad >= 0)
    fprintf(2, "failsweep: the writer's page %d lost its write\n", bad);
  verdict(vfd, bad >= 0 ? 'B' : counted < n ? 'U' : 'B');
}

static volatile int cow_spin_stop;
static volatile uint64 cow_spins;

static void
cow_spinner(void *arg)
{
  (void)arg;
  __atomic_add_fetch(&tready, 1, __ATOMIC_RELEASE);
  while (!cow_spin_stop)
    __atomic_add_fetch(&cow_spins, 1, __ATOMIC_RELAXED);
}

static struct { int what, n, vfd; } cow_job;

static void
cow_thread_writer(void *arg)
{
  (void)arg;
  arm(cow_job.what, cow_job.n);
  cow_store_all(cow_job.vfd, cow_job.n);
}

/* Takes the caller's stack (two pages deeper than now, too), data and
 * bss pages as its own, so that after it the only allocations a writer
 * makes are the breaks of the shared area. */
static void __attribute__((noinline))
own_everything(void)
{
  volatile char pad[2 * PGSIZE];

  for (int i = 0; i < (int)sizeof(pad); i += PGSIZE / 2)
    pad[i] = 0;
  utest_own_pages();
}

/* Kernel writes into shared pages: a read across two of them, memstat,
 * pipe's fds and wait's status into one each. A failed break makes the
 * call return -1 having written nothing; the pipe's bytes, a new pipe's
 * fds and the zombie are all still to be had once injection is off. */
static void
cow_kernel_writes(int vfd, int what, int n)
{
  static const int first_page[] = { 0, 0, 2, 3, 4 };
  static const char *const call[] = { "", "read", "memstat", "pipe", "wait" };
  char data[KW_BYTES];
  int pp[2], gp[2], probe[2], status = -100, step = 0;
  char c;

  for (int i = 0; i < KW_BYTES; i++)
    data[i] = (char)(i * 7 + 1);
  if (pipe(pp) != 0 || write(pp[1], data, KW_BYTES) != KW_BYTES || pipe(gp) != 0)
    exit(DONE_BROKEN);
  int g = fork();                      /* a zombie to wait for */
  if (g == 0)
    exit(7);
  if (g < 0)
    exit(DONE_BROKEN);
  close(gp[1]);
  read(gp[0], &c, 1);                  /* end of file: it has exited */
  close(gp[0]);
  sleep(2);                            /* and given its pages back */
  if (pipe(probe) != 0)                /* the fds the next pipe gets */
    exit(DONE_BROKEN);
  close(probe[0]);
  close(probe[1]);
  char *buf = (char *)(cow_area + PGSIZE - KW_BYTES / 2);   /* pages 0 and 1 */
  struct memstat *ms = (struct memstat *)(cow_area + 2 * PGSIZE);
  int *fds = (int *)(cow_area + 3 * PGSIZE + 64);
  int *st = (int *)(cow_area + 4 * PGSIZE + 128);

  own_everything();
  arm(what, n);
  if (read(pp[0], buf, KW_BYTES) == -1)
    step = 1;
  else if (memstat(ms) == -1)
    step = 2;
  else if (pipe(fds) == -1)
    step = 3;
  else if (wait(st) == -1)
    step = 4;
  int counted = disarm();
  if (step) {
    /* Nothing written: the pages from the failed call's on are as they were. */
    int bad = cow_bad_page(first_page[step], COW_GEN_OLD);
    const char *lost = 0;
    int again[2];
    if (step == 1 && (read(pp[0], buf, KW_BYTES) != KW_BYTES || memcmp(buf, data, KW_BYTES)))
      lost = "the pipe's bytes are gone";
    if (step == 3 && (pipe(again) != 0 || again[0] != probe[0] || again[1] != probe[1]))
      lost = "it kept fds";
    if (step == 4 && (wait(&status) != g || status != 7))
      lost = "the zombie is gone";
    if (bad >= 0)
      fprintf(2, "failsweep: %s failed for want of a page but wrote page %d\n", call[step],
              bad);
    if (lost)
      fprintf(2, "failsweep: %s failed for want of a page, and %s\n", call[step], lost);
    verdict(vfd, bad >= 0 || lost ? 'B' : 'F');
    exit(0);
  }
  if (memcmp(buf, data, KW_BYTES) != 0 || ms->pages_total == 0 || fds[0] != probe[0] ||
      fds[1] != probe[1] || *st != 7) {
    fprintf(2, "failsweep: kernel writes into shared pages wrote wrong values\n");
    verdict(vfd, 'B');
  } else {
    verdict(vfd, counted < n ? 'U' : 'B');
  }
  exit(0);
}

/* B, the child: the writer, or (COW_PARENT) the holder. */
static void
cow_child(int kind, int what, int n, int vfd, int gone_fd)
{
  char c;

  if (kind == COW_PARENT) {
    read(gone_fd, &c, 1);              /* end of file: the writer is gone */
    cow_hold(vfd);
    exit(0);
  }
  if (kind == COW_KERNEL)
    cow_kernel_writes(vfd, what, n);
  if (kind == COW_THREAD) {
    /* A spinning sibling on another hart: the break shoots it down, a
     * failed one ends both threads. */
    map_stacks();
    own_everything();
    int spinner = start_thread(cow_spinner, 0, 0);
    await_ready(1);
    cow_job.what = what;
    cow_job.n = n;
    cow_job.vfd = vfd;
    join_thread(start_thread(cow_thread_writer, 0, 1), 0);
    cow_spin_stop = 1;
    join_thread(spinner, 0);
    exit(0);
  }
  own_everything();
  arm(what, n);
  cow_store_all(vfd, n);
  exit(0);
}

/* A: maps and fills the pages, forks B; the writer (COW_PARENT) or the
 * holder. */
static void
cow_parent(int kind, int what, int n, int vfd)
{
  int gone[2], status;

  cow_area = (uint64)mmap(0, COW_PAGES * PGSIZE, rw, map_flags);
  if (cow_area == (uint64)MAP_FAILED || pipe(gone) != 0)
    exit(DONE_BROKEN);
  cow_fill(COW_GEN_OLD);
  int b = fork();
  if (b < 0) {
    verdict(vfd, 'B');
    exit(0);
  }
  if (b == 0) {
    close(gone[1]);
    cow_child(kind, what, n, vfd, gone[0]);
  }
  close(gone[0]);
  if (kind == COW_PARENT) {
    own_everything();
    arm(what, n);
    cow_store_all(vfd, n);
    exit(0);                           /* B sees end of file, and checks */
  }
  close(gone[1]);
  if (wait(&status) != b)
    verdict(vfd, 'x');
  cow_hold(vfd);
  exit(0);
}

/* R: runs A and B and turns their bytes into the runner's status. */
static void
op_cow(int kind, int what, int n)
{
  int vp[2], status;
  char v[8];
  int got = 0, k;
  int writer = 0, holder = 0, broken = 0;

  if (pipe(vp) != 0)
    exit(DONE_BROKEN);
  int a = fork();
  if (a < 0)
    exit(DONE_BROKEN);
  if (a == 0) {
    close(vp[0]);
    cow_parent(kind, what, n, vp[1]);
  }
  close(vp[1]);
  wait(&status);
  while ((k = read(vp[0], v, sizeof(v))) > 0)    /* until A and B are gone */
    for (int i = 0; i < k; i++, got++) {
      if (v[i] == 'U' || v[i] == 'F')
        writer = v[i];
      else if (v[i] == 'h')
        holder = 1;
      else
        broken = 1;
    }
  if (broken || !holder)
    exit(DONE_BROKEN);
  /* No word from the writer: a failed break killed it. */
  exit(writer == 'U' ? DONE_UNREACHED : DONE_FAILED);
}

static void
op_cow_child(int what, int n)
{
  op_cow(COW_CHILD, what, n);
}

static void
op_cow_parent(int what, int n)
{
  op_cow(COW_PARENT, what, n);
}

static void
op_cow_thread(int what, int n)
{
  op_cow(COW_THREAD, what, n);
}

static void
op_cow_kernel(int what, int n)
{
  op_cow(COW_KERNEL, what, n);
}

/* An operation, and what its sweep must show: at least min_pages and
 * min_nodes failure points (0: it allocates none of that kind, so that
 * sweep only confirms it), whether being killed by a failed fault of
 * a user touch is a clean outcome for it (for the others it means the
 * failed call left the process broken), and at most max_pages page
 * failure points (0: no bound). The minimums keep the sweep from passing
 * when injection never fires; the maximums of the fork cases say fork
 * copies no data page (copy-on-write): only page-table pages, the
 * trapframe, and its caller's own breaks after it. */
/* A munmap after a fork, of the first page of three whose level-0 table
 * the fork left shared: the table must be copied first (the unmap keeps
 * the other two pages), its one allocation, and a failure changes
 * nothing, for this process or for the child still sharing the pages. */
static void
op_munmap_shared_table(int what, int n)
{
  int hold[2], status;
  char c;
  char *p = mmap(0, 3 * PGSIZE, rw, map_flags);

  if (p == MAP_FAILED || pipe(hold) != 0)
    exit(DONE_BROKEN);
  for (int i = 0; i < 3; i++)
    p[i * PGSIZE] = (char)(i + 1);
  int pid = fork();
  if (pid < 0)
    exit(DONE_BROKEN);
  if (pid == 0) {
    read(hold[0], &c, 1);
    for (int i = 0; i < 3; i++)
      if (p[i * PGSIZE] != (char)(i + 1))
        exit(1);
    exit(0);
  }
  own_everything();
  arm(what, n);
  int rc = munmap(p, PGSIZE);
  int counted = disarm();
  int bad = -1;
  for (int i = rc == 0 ? 1 : 0; i < 3; i++)
    if (p[i * PGSIZE] != (char)(i + 1))
      bad = i;
  write(hold[1], "g", 1);
  if (wait(&status) != pid || status != 0) {
    fprintf(2, "failsweep: the child sharing the pages saw them change\n");
    exit(DONE_BROKEN);
  }
  if (bad >= 0) {
    fprintf(2, "failsweep: munmap %s but page %d changed\n",
            rc == 0 ? "succeeded" : "failed", bad);
    exit(DONE_BROKEN);
  }
  exit(rc != 0 ? DONE_FAILED : counted < n ? DONE_UNREACHED : DONE_BROKEN);
}

struct op {
  const char *name;
  void (*run)(int what, int n);
  int min_pages;
  int min_nodes;
  int may_die;
  int max_pages;
};

static const struct op ops[] = {
  /* A fork's caller may die after it: with copy-on-write its own writes
   * (the return from fork) can need a page, and no page kills it. The
   * fork cases' maximums: a fork copying its pages (boot argument
   * forkcopy) has 12, 33, 19 and 77 failure points there. */
  { "fork", op_fork, 5, 0, 1, 9 },
  { "exec", op_exec, 5, 0, 1, 0 },
  { "sbrk_touch", op_sbrk_touch, 4, 0, 1, 0 },
  { "mmap_touch", op_mmap_touch, 4, 1, 1, 0 },
  { "munmap_split", op_munmap_split, 0, 1, 0, 0 },
  /* The copy of the shared level-0 table, nothing else. */
  { "munmap_cutting_a_shared_table", op_munmap_shared_table, 1, 0, 0, 1 },
  { "pipe", op_pipe, 1, 0, 0, 0 },
  { "read_into_far_lazy_page", op_read_far, 3, 0, 0, 0 },
  { "fork_many_regions", op_fork_regions, 6, 40, 1, 10 },
  { "clone", op_clone, 3, 0, 0, 0 },
  { "fork_from_a_thread", op_fork_threaded, 5, 1, 1, 9 },
  { "exec_from_a_thread", op_exec_threaded, 5, 0, 1, 0 },
  { "exit_with_threads_live", op_exit_threaded, 3, 1, 1, 0 },
  { "fork_many_touched_pages", op_fork_touched, 5, 0, 1, 10 },
  /* Copy-on-write breaks: one page each, and no node; and first the copy
   * of the level-0 table the shared pages sit in, which fork left shared.
   * The threaded writer's table is its own already: the threads' stacks
   * were mapped into it before the writes. */
  { "cow_break_by_child", op_cow_child, COW_PAGES + 1, 0, 0, COW_PAGES + 1 },
  { "cow_break_by_parent", op_cow_parent, COW_PAGES + 1, 0, 0, COW_PAGES + 1 },
  { "cow_break_by_thread", op_cow_thread, COW_PAGES, 0, 0, COW_PAGES },
  /* the table, then read across two pages, memstat, pipe (its fds' page,
   * then its own page), wait */
  { "cow_break_by_kernel_writes", op_cow_kernel, 7, 0, 0, 7 },
};

/* Waits until only the processes of the baseline are left. */
static void
settle(const struct memstat *base)
{
  struct memstat m;
  for (int i = 0; i < SETTLE_TRIES; i++) {
    memstat(&m);
    if (m.nprocs <= base->nprocs)
      return;
    sleep(1);
  }
}

static int case_no, cases_failed;

static void
report(int ok, const char *name, const char *kind, const char *what)
{
  case_no++;
  if (ok) {
    printf("ok %d %s_%s_fail_cleanly_at_every_point # %s\n", case_no, name, kind, what);
  } else {
    cases_failed++;
    printf("not ok %d %s_%s_fail_cleanly_at_every_point # %s\n", case_no, name, kind, what);
  }
}

/* Sweeps one operation for one kind of allocation. */
static void
sweep(const struct op *op, int what, const char *kind, int min_points, int max_points)
{
  int points = 0;
  char msg[160];

  for (int n = 1; n <= N_MAX; n++) {
    struct memstat before, after;
    int status;
    memstat(&before);
    int pid = fork();
    if (pid < 0) {
      snprintf(msg, sizeof(msg), "fork of the runner failed at N=%d", n);
      report(0, op->name, kind, msg);
      return;
    }
    if (pid == 0) {
      op->run(what, n);
      exit(DONE_BROKEN);
    }
    status = DONE_BROKEN;
    if (wait(&status) != pid) {
      snprintf(msg, sizeof(msg), "lost the runner at N=%d", n);
      report(0, op->name, kind, msg);
      return;
    }
    settle(&before);
    memstat(&after);
    if (after.pages_free != before.pages_free || after.nodes_free != before.nodes_free) {
      snprintf(msg, sizeof(msg), "leak at N=%d: pages_free %d -> %d, nodes_free %d -> %d",
               n, (int)before.pages_free, (int)after.pages_free,
               (int)before.nodes_free, (int)after.nodes_free);
      report(0, op->name, kind, msg);
      return;
    }
    if (status == DONE_FAILED || (status == -1 && op->may_die)) {
      points++;              /* an error return, or killed by its fault */
      continue;
    }
    if (status == DONE_UNREACHED && min_points == 0) {
      printf("# %s %s: allocates none (%d failure points)\n", op->name, kind, points);
      return;
    }
    if (status == DONE_UNREACHED) {
      snprintf(msg, sizeof(msg), "%d failure points, all clean, no leak (done at N=%d)%s",
               points, n, points < min_points ? ": fewer than expected"
               : max_points && points > max_points ? ": more than expected (copies?)" : "");
      report(points >= min_points && (!max_points || points <= max_points), op->name, kind,
             msg);
      return;
    }
    snprintf(msg, sizeof(msg), "broke at N=%d (status %d)", n, status);
    report(0, op->name, kind, msg);
    return;
  }
  snprintf(msg, sizeof(msg), "still failing at N=%d (%d points)", N_MAX, points);
  report(0, op->name, kind, msg);
}

/* Random failures (a chance per allocation) under a mixed load: workers
 * inherit the setting; afterwards everything must be back. */
static void
random_mode(uint64 seed)
{
  struct memstat before, after;

  memstat(&before);
  for (int w = 0; w < 4; w++) {
    if (fork() != 0)
      continue;
    failinject(FAIL_PAGES | FAIL_NODES | FAIL_INHERIT, 0, 30000, (int)(seed + (uint64)w));
    uint64 rng = seed * 31 + (uint64)w;
    for (int i = 0; i < 60; i++) {
      uint64 pick = stress_below(&rng, 4);
      if (pick == 0) {
        int pid = fork();
        if (pid == 0) {
          char *p = sbrk(2 * PGSIZE);
          if (p != (char *)-1)
            p[0] = 1;
          exit(0);
        }
        if (pid > 0)
          wait(0);
      } else if (pick == 1) {
        char *p = mmap(0, 2 * PGSIZE, rw, map_flags);
        if (p != MAP_FAILED) {
          p[0] = 1;
          munmap(p, 2 * PGSIZE);
        }
      } else if (pick == 2) {
        int fds[2];
        if (pipe(fds) == 0) {
          close(fds[0]);
          close(fds[1]);
        }
      } else {
        char *p = sbrk(PGSIZE);
        if (p != (char *)-1) {
          p[0] = 1;
          sbrk(-PGSIZE);
        }
      }
    }
    /* Prove injection was on: some allocations must have been counted. */
    exit(failinject(0, 0, 0, 0) > 0 ? 0 : 1);
  }
  int quiet = 0, status;
  for (int w = 0; w < 4; w++)
    if (wait(&status) < 0 || status == 1)
      quiet++;
  settle(&before);
  memstat(&after);
  int ok = after.pages_free == before.pages_free &&
           after.nodes_free == before.nodes_free && quiet == 0;
  case_no++;
  if (!ok)
    cases_failed++;
  printf("%s %d random_failures_under_load_leak_nothing # seed %d: pages_free %d -> %d, "
         "%d workers saw no injection\n", ok ? "ok" : "not ok", case_no, (int)seed,
         (int)before.pages_free, (int)after.pages_free, quiet);
}

int
main(int argc, char **argv)
{
  uint64 seed = 1;

  if (argc == 3 && strcmp(argv[1], "--seed") == 0)
    seed = (uint64)atoi(argv[2]);
  printf("failsweep: seed %d\n", (int)seed);
  for (unsigned i = 0; i < NELEM(ops); i++) {
    sweep(&ops[i], FAIL_PAGES, "pages", ops[i].min_pages, ops[i].max_pages);
    sweep(&ops[i], FAIL_NODES, "nodes", ops[i].min_nodes, 0);
  }
  random_mode(seed);
  printf("%d passed, %d failed\n", case_no - cases_failed, cases_failed);
  return cases_failed ? 1 : 0;
}
