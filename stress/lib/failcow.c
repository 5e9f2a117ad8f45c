/*
 * failcow.c: failsweep's copy-on-write cases (see failcow.h): breaks of
 * pages a fork left shared, by a child, a parent, a thread with a sibling
 * on another hart and the kernel, and a munmap that must first copy a
 * level-0 table a fork left shared. Each runs in failsweep's runner and
 * exits with a DONE_ status (failcase.h); a writer first takes its stack
 * and data pages as its own, so only the shared pages' breaks are counted.
 */
#include "failcow.h"
#include "failthread.h"

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
  int counted = failcase_disarm();
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
  failthread_ready();
  while (!cow_spin_stop)
    __atomic_add_fetch(&cow_spins, 1, __ATOMIC_RELAXED);
}

static struct { int what, n, vfd; } cow_job;

static void
cow_thread_writer(void *arg)
{
  (void)arg;
  failcase_arm(cow_job.what, cow_job.n);
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
  failcase_arm(what, n);
  if (read(pp[0], buf, KW_BYTES) == -1)
    step = 1;
  else if (memstat(ms) == -1)
    step = 2;
  else if (pipe(fds) == -1)
    step = 3;
  else if (wait(st) == -1)
    step = 4;
  int counted = failcase_disarm();
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
    failthread_map_stacks();
    own_everything();
    int spinner = failthread_start(cow_spinner, 0, 0);
    failthread_await_ready(1);
    cow_job.what = what;
    cow_job.n = n;
    cow_job.vfd = vfd;
    failthread_join(failthread_start(cow_thread_writer, 0, 1), 0);
    cow_spin_stop = 1;
    failthread_join(spinner, 0);
    exit(0);
  }
  own_everything();
  failcase_arm(what, n);
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
    failcase_arm(what, n);
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

void
failcow_child(int what, int n)
{
  op_cow(COW_CHILD, what, n);
}

void
failcow_parent(int what, int n)
{
  op_cow(COW_PARENT, what, n);
}

void
failcow_thread(int what, int n)
{
  op_cow(COW_THREAD, what, n);
}

void
failcow_kernel(int what, int n)
{
  op_cow(COW_KERNEL, what, n);
}

/* A munmap after a fork, of the first page of three whose level-0 table
 * the fork left shared: the table must be copied first (the unmap keeps
 * the other two pages), its one allocation, and a failure changes
 * nothing, for this process or for the child still sharing the pages. */
void
failcow_munmap_shared_table(int what, int n)
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
  failcase_arm(what, n);
  int rc = munmap(p, PGSIZE);
  int counted = failcase_disarm();
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
