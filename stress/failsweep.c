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
 * The cases in processes of several threads are in lib/failthread.c, the
 * copy-on-write ones in lib/failcow.c; lib/failcase.h is what every case
 * shares (the runner's exit statuses, arming injection).
 * Prints one line per case with the failure points it exercised.
 *
 *   failsweep [--seed N]
 */
#include "lib/failcase.h"
#include "lib/failcow.h"
#include "lib/failthread.h"
#include "lib/stress.h"

#define N_MAX          400     /* no operation here allocates more */
#define SETTLE_TRIES   500

/* Ends the runner: reached the Nth allocation or not, with the op's result. */
static void
finish(int n, int failed)
{
  int counted = failcase_disarm();
  if (failed)
    exit(DONE_FAILED);
  exit(counted < n ? DONE_UNREACHED : DONE_BROKEN);
}

static void
op_fork(int what, int n)
{
  failcase_arm(what, n);
  int pid = fork();
  if (pid == 0)
    exit(0);
  int counted = failcase_disarm();
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
  failcase_arm(what, n);
  exec("failexec", argv);
  finish(n, 1);
}

static void
op_sbrk_touch(int what, int n)
{
  failcase_arm(what, n);
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
  failcase_arm(what, n);
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
  failcase_arm(what, n);
  int rc = munmap(p + PGSIZE, PGSIZE);
  int counted = failcase_disarm();
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
  failcase_arm(what, n);
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
  failcase_arm(what, n);
  int rc = read(fds[0], far, 1);
  int counted = failcase_disarm();
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
  failcase_arm(what, n);
  int pid = fork();
  if (pid == 0)
    exit(0);
  int counted = failcase_disarm();
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

/* An operation, and what its sweep must show: at least min_pages and
 * min_nodes failure points (0: it allocates none of that kind, so that
 * sweep only confirms it), whether being killed by a failed fault of
 * a user touch is a clean outcome for it (for the others it means the
 * failed call left the process broken), and at most max_pages page
 * failure points (0: no bound). The minimums keep the sweep from passing
 * when injection never fires; the maximums of the fork cases say fork
 * copies no data page (copy-on-write): only page-table pages, the
 * trapframe, and its caller's own breaks after it. */
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
  { "munmap_cutting_a_shared_table", failcow_munmap_shared_table, 1, 0, 0, 1 },
  { "pipe", op_pipe, 1, 0, 0, 0 },
  { "read_into_far_lazy_page", op_read_far, 3, 0, 0, 0 },
  { "fork_many_regions", op_fork_regions, 6, 40, 1, 10 },
  { "clone", failthread_clone, 3, 0, 0, 0 },
  { "fork_from_a_thread", failthread_fork, 5, 1, 1, 9 },
  { "exec_from_a_thread", failthread_exec, 5, 0, 1, 0 },
  { "exit_with_threads_live", failthread_exit, 3, 1, 1, 0 },
  { "fork_many_touched_pages", op_fork_touched, 5, 1, 1, 10 },
  /* Copy-on-write breaks: one page each, and no node; and first the copy
   * of the level-0 table the shared pages sit in, which fork left shared.
   * The threaded writer's table is its own already: the threads' stacks
   * were mapped into it before the writes. */
  { "cow_break_by_child", failcow_child, COW_PAGES + 1, 0, 0, COW_PAGES + 1 },
  { "cow_break_by_parent", failcow_parent, COW_PAGES + 1, 0, 0, COW_PAGES + 1 },
  { "cow_break_by_thread", failcow_thread, COW_PAGES, 0, 0, COW_PAGES },
  /* the table, then read across two pages, memstat, pipe (its fds' page,
   * then its own page), wait */
  { "cow_break_by_kernel_writes", failcow_kernel, 7, 0, 0, 7 },
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
    if (status == DONE_UNREACHED && min_points == 0 && points == 0) {
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
