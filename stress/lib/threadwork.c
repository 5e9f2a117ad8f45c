/*
 * threadwork.c: the stress suite's thread worker (see threadwork.h).
 *
 * The worker runs one scenario at a time, each in a forked child (the
 * "scenario process") of 2 to 4 threads on whatever harts the scheduler
 * gives them, so a scenario may end its whole process (a fault after
 * munmap, a kill, an exec) without ending the worker:
 *
 *   same-page  every thread stores into the same fresh lazy pages at once;
 *              each page must end up one page that holds every store
 *   unmap      threads read and rewrite a filled range in a loop while the
 *              first thread munmaps or shrinks (sbrk) part of it: every
 *              value a thread reads must be the pattern (a page freed under
 *              a stale translation is poison, or someone else's data), and
 *              a thread must fault once the call returned
 *   fork       a thread forks while a sibling rewrites a buffer in rounds
 *              and another faults fresh pages: the child checks every word
 *              is whole and no older than the rounds done before fork
 *   exec       a thread execs stressexec while its siblings fault
 *   exit       threads exit at random while siblings fault; the first
 *              thread leaves last without joining them all
 *   kill       the worker kills the process while its threads sit in a
 *              fault loop, a sleep, a pipe read and a spin
 *
 * A thread never calls stress_fail (exit in a thread ends only it): it
 * reports through a pipe to the worker, one byte per event: 'T' a thread
 * started, 'X' it saw a value it should not have. The worker reads the
 * bytes after reaping the process, and checks its exit status.
 */
#include "threadwork.h"

#define THREADS_MAX   4
#define TSTACK        (2 * PGSIZE)
#define SAME_PAGES    8         /* pages the same-page scenario races on */
#define UNMAP_PAGES   8         /* pages the unmap scenario fills */
#define FORK_WORDS    (2 * PGSIZE / sizeof(uint64))
#define FAULT_PAGES   16        /* the fault loop's pages, remapped each round */
#define LINGER_TICKS  100       /* a process still alive after this is wrong */
#define REPORT_TICKS  50
#define GEN           1

enum scenario { SC_SAME_PAGE, SC_UNMAP, SC_SHRINK, SC_FORK, SC_EXEC, SC_EXIT,
                SC_KILL, SC_COUNT };

/* ---- the worker ---- */

static struct {
  uint64 seed;
  uint64 rng;
  int report_fd;
  struct stress_report rep;
} tw;

/* ---- the scenario process: shared by its threads ---- */

static char tstacks[THREADS_MAX][TSTACK] __attribute__((aligned(16)));
static int say_fd;                    /* the pipe to the worker */
static uint64 sc_seed;
static volatile int go, stop;
static volatile int ready;            /* threads that have started */
static volatile int nstorers;         /* same-page: threads storing */
static volatile uint64 area;          /* the range a scenario works on */
static volatile uint64 area_pages;
static uint64 words[FORK_WORDS] __attribute__((aligned(PGSIZE)));
static volatile uint64 rounds_done;

static void
say(char c)
{
  write(say_fd, &c, 1);
}

/* Starts a thread on stack i; 0 if clone failed (no slot or memory under
 * stress is not an error). */
static int
spawn(void (*fn)(void *), void *arg, int i)
{
  int tid = clone(fn, arg, tstacks[i] + TSTACK);
  if (tid <= 0)
    return 0;
  say('T');
  return tid;
}

/* Maps n fresh pages read+write; 0 if none could be had. */
static uint64
map_pages(uint64 n)
{
  void *p = mmap(0, n * PGSIZE, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS);
  return p == MAP_FAILED ? 0 : (uint64)p;
}

/* Faults in fresh pages until stop: the background of most scenarios. */
static void
fault_loop(void *arg)
{
  (void)arg;
  while (!stop) {
    uint64 base = map_pages(FAULT_PAGES);
    if (base == 0) {
      sleep(1);
      continue;
    }
    for (uint64 p = 0; p < FAULT_PAGES && !stop; p++)
      *(volatile uint64 *)(base + p * PGSIZE) = base + p;
    for (uint64 p = 0; p < FAULT_PAGES; p++) {
      uint64 v = *(volatile uint64 *)(base + p * PGSIZE);
      if (v != 0 && v != base + p)
        say('X');
    }
    munmap((void *)base, FAULT_PAGES * PGSIZE);
  }
}

/* same-page: thread i stores word i of every page, all at once, then
 * checks that it sees every other thread's store too. */
static void
same_page_thread(void *arg)
{
  uint64 i = (uint64)arg;

  while (!go)
    ;
  for (uint64 p = 0; p < SAME_PAGES; p++) {
    uint64 a = area + p * PGSIZE + i * STRESS_STRIDE;
    *(volatile uint64 *)a = stress_pattern(sc_seed, a, GEN);
  }
  __atomic_add_fetch(&ready, 1, __ATOMIC_ACQ_REL);
  while (__atomic_load_n(&ready, __ATOMIC_ACQUIRE) < nstorers)
    ;
  for (uint64 p = 0; p < SAME_PAGES; p++)
    for (int j = 0; j < nstorers; j++) {
      uint64 a = area + p * PGSIZE + (uint64)j * STRESS_STRIDE;
      if (*(volatile uint64 *)a != stress_pattern(sc_seed, a, GEN))
        say('X');
    }
}

static void
same_page(int nthreads)
{
  int tids[THREADS_MAX], n = 0;

  area = map_pages(SAME_PAGES);
  if (area == 0)
    exit(0);
  for (int i = 0; i < nthreads; i++) {
    int t = spawn(same_page_thread, (void *)(uint64)i, i);
    if (t == 0)
      break;
    tids[n++] = t;
  }
  nstorers = n;
  go = 1;
  for (int i = 0; i < n; i++)
    join(tids[i], 0);
  for (uint64 p = 0; p < SAME_PAGES; p++)
    for (int j = 0; j < n; j++) {
      uint64 a = area + p * PGSIZE + (uint64)j * STRESS_STRIDE;
      if (*(volatile uint64 *)a != stress_pattern(sc_seed, a, GEN))
        stress_fail(sc_seed, "threads: same-page: page %d lost thread %d's store",
                    (int)p, j);
    }
  exit(0);
}

/* unmap and shrink: read every page of the area and rewrite it with the
 * same pattern, over and over, until a removed page faults. */
static void
reread_loop(void *arg)
{
  int writer = (int)(uint64)arg;

  __atomic_add_fetch(&ready, 1, __ATOMIC_RELEASE);
  for (;;) {
    for (uint64 p = 0; p < area_pages; p++) {
      uint64 page = area + p * PGSIZE;
      if (stress_check_page(sc_seed, page, GEN) != 0) {
        say('X');
        return;
      }
      if (writer)
        stress_fill_page(sc_seed, page, GEN);
    }
  }
}

static void
unmap_race(int nthreads, int by_sbrk)
{
  if (by_sbrk) {
    uint64 brk = (uint64)sbrk(0);
    char *old = sbrk((long)(PGROUNDUP(brk) - brk) + UNMAP_PAGES * PGSIZE);
    if (old == (char *)-1)
      exit(0);
    area = PGROUNDUP(brk);
  } else if ((area = map_pages(UNMAP_PAGES)) == 0) {
    exit(0);
  }
  area_pages = UNMAP_PAGES;
  for (uint64 p = 0; p < UNMAP_PAGES; p++)
    stress_fill_page(sc_seed, area + p * PGSIZE, GEN);
  int n = 0;
  for (int i = 1; i < nthreads; i++)
    n += spawn(reread_loop, (void *)(uint64)(i % 2), i) != 0;
  if (n == 0)
    exit(0);
  while (ready < n)
    sleep(1);
  sleep(1 + (int)(sc_seed % 3));
  /* Remove the top pages (sbrk can only shrink from the top). */
  uint64 keep = sc_seed % UNMAP_PAGES;
  if (by_sbrk) {
    if (sbrk(-(long)(UNMAP_PAGES - keep) * PGSIZE) == (char *)-1)
      stress_fail(sc_seed, "threads: shrinking sbrk failed");
  } else if (munmap((void *)(area + keep * PGSIZE), (UNMAP_PAGES - keep) * PGSIZE) != 0) {
    stress_fail(sc_seed, "threads: munmap of a mapped range failed");
  }
  /* Every reader reaches a removed page and faults, ending the process. */
  sleep(LINGER_TICKS);
  stress_fail(sc_seed, "threads: %s: no thread faulted on the removed pages",
              by_sbrk ? "shrink" : "unmap");
}

/* fork: rewrite the buffer in rounds; the round number in both halves. */
static void
rewrite_rounds(void *arg)
{
  (void)arg;
  __atomic_add_fetch(&ready, 1, __ATOMIC_RELEASE);
  for (uint64 k = 1; !stop; k++) {
    for (unsigned i = 0; i < FORK_WORDS; i++)
      __atomic_store_n(&words[i], (k << 32) | k, __ATOMIC_RELAXED);
    __atomic_store_n(&rounds_done, k, __ATOMIC_RELEASE);
  }
}

static void
fork_thread(void *arg)
{
  int forks = 2 + (int)(uint64)arg;

  for (int f = 0; f < forks; f++) {
    uint64 done = __atomic_load_n(&rounds_done, __ATOMIC_ACQUIRE);
    int pid = fork();
    if (pid < 0)
      continue;                 /* no slot or memory: not an error */
    if (pid == 0) {
      for (unsigned i = 0; i < FORK_WORDS; i++) {
        uint64 w = words[i];
        if ((w >> 32) != (w & 0xffffffffUL) || (w >> 32) < done)
          exit(1);
      }
      exit(0);
    }
    int status = -2;
    if (wait(&status) != pid || status != 0)
      say('X');
  }
}

static void
fork_race(int nthreads)
{
  int tids[THREADS_MAX], n = 0, t;

  if ((t = spawn(rewrite_rounds, 0, 1)) != 0)
    tids[n++] = t;
  while (ready < n)
    sleep(1);
  if (nthreads > 3 && (t = spawn(fault_loop, 0, 2)) != 0)
    tids[n++] = t;
  if ((t = spawn(fork_thread, (void *)(sc_seed % 4), 3)) != 0)
    join(t, 0);
  stop = 1;
  for (int i = 0; i < n; i++)
    join(tids[i], 0);
  exit(0);
}

/* exec: a thread replaces the image while its siblings fault. */
static void
exec_thread(void *arg)
{
  char seed[24];
  char *argv[] = { "stressexec", seed, "1", 0 };

  (void)arg;
  sleep(1 + (int)(sc_seed % 3));
  snprintf(seed, sizeof(seed), "%d", (int)(sc_seed & 0x7fffffff));
  exec("stressexec", argv);
  /* No memory for the new image: not an error; the process ends. */
  stop = 1;
}

static void
exec_race(int nthreads)
{
  for (int i = 1; i < nthreads - 1; i++)
    spawn(fault_loop, 0, i);
  if (spawn(exec_thread, 0, 0) == 0)
    stop = 1;
  fault_loop(0);   /* until the exec ends this thread, or it failed */
  exit(0);
}

/* exit: threads fault and leave at random; the first thread leaves last. */
static void
exit_thread(void *arg)
{
  uint64 rounds = 1 + (uint64)arg;

  for (uint64 r = 0; r < rounds; r++) {
    uint64 base = map_pages(FAULT_PAGES);
    if (base == 0)
      break;
    for (uint64 p = 0; p < FAULT_PAGES; p++)
      *(volatile uint64 *)(base + p * PGSIZE) = base + p;
    if (r + 1 == rounds && (r & 1))
      exit(0);                  /* leave with the pages still mapped */
    munmap((void *)base, FAULT_PAGES * PGSIZE);
  }
}

static void
exit_race(int nthreads)
{
  int first = 0;

  for (int i = 0; i < nthreads; i++) {
    int t = spawn(exit_thread, (void *)(sc_seed >> (8 * i) & 7), i);
    if (first == 0)
      first = t;
  }
  if (first != 0)
    join(first, 0);
  exit(0);                      /* ends whoever is still faulting */
}

/* kill: threads sit in a fault loop, a sleep, a pipe read and a spin. */
static void
sleep_forever(void *arg)
{
  (void)arg;
  for (;;)
    sleep(1000);
}

static void
read_forever(void *arg)
{
  char c;
  read((int)(uint64)arg, &c, 1);
}

static void
spin_forever(void *arg)
{
  (void)arg;
  for (;;)
    __atomic_add_fetch(&rounds_done, 1, __ATOMIC_RELAXED);
}

static void
kill_target(int nthreads)
{
  int p[2];

  if (pipe(p) != 0)
    exit(0);
  void (*fns[THREADS_MAX])(void *) = { fault_loop, sleep_forever, read_forever,
                                       spin_forever };
  for (int i = 0; i < nthreads; i++)
    spawn(fns[i], i == 2 ? (void *)(uint64)p[0] : 0, i);
  for (;;)
    sleep(1000);
}

static void
scenario(int sc, int nthreads) __attribute__((noreturn));

static void
scenario(int sc, int nthreads)
{
  switch (sc) {
  case SC_SAME_PAGE: same_page(nthreads); break;
  case SC_UNMAP: unmap_race(nthreads, 0); break;
  case SC_SHRINK: unmap_race(nthreads, 1); break;
  case SC_FORK: fork_race(nthreads); break;
  case SC_EXEC: exec_race(nthreads); break;
  case SC_EXIT: exit_race(nthreads); break;
  default: kill_target(nthreads); break;
  }
  exit(0);
}

/* ---- the worker ---- */

static const char *const sc_names[SC_COUNT] = {
  "same-page", "unmap", "shrink", "fork", "exec", "exit", "kill"
};
static const int sc_ops[SC_COUNT] = {
  OP_T_SAME_PAGE, OP_T_UNMAP, OP_T_UNMAP, OP_T_FORK, OP_T_EXEC, OP_T_EXIT, OP_T_KILL
};

#define FAIL(...) stress_fail(tw.seed, __VA_ARGS__)

static void
send_report(int done)
{
  tw.rep.done = (uint32)done;
  if (write(tw.report_fd, &tw.rep, sizeof(tw.rep)) != sizeof(tw.rep))
    FAIL("report write failed");
}

/* 1 if status is how scenario sc may end. */
static int
status_ok(int sc, int status)
{
  switch (sc) {
  case SC_UNMAP:
  case SC_SHRINK:
    return status == -1 || status == 0;   /* 0: no memory to start with */
  case SC_KILL:
    return status == -1 || status == 0;
  default:
    return status == 0;
  }
}

static void
run_scenario(int sc)
{
  int fds[2];
  int nthreads = 2 + (int)stress_below(&tw.rng, THREADS_MAX - 1);

  if (pipe(fds) != 0)
    return;
  sc_seed = stress_rand(&tw.rng);
  int pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    tw.rep.ops[OP_FORK_FAILED]++;
    return;
  }
  if (pid == 0) {
    close(fds[0]);
    close(tw.report_fd);
    say_fd = fds[1];
    scenario(sc, nthreads);
  }
  close(fds[1]);
  if (sc == SC_KILL) {
    sleep(1 + (int)stress_below(&tw.rng, 5));
    kill(pid);
  }
  int status = -2;
  if (wait(&status) != pid)
    FAIL("threads: wait did not return scenario %s's process", sc_names[sc]);
  char buf[32];
  int n, stale = 0;
  while ((n = read(fds[0], buf, sizeof(buf))) > 0)
    for (int i = 0; i < n; i++) {
      if (buf[i] == 'T')
        tw.rep.ops[OP_THREAD]++;
      else
        stale = 1;
    }
  close(fds[0]);
  if (stale)
    FAIL("threads: %s: a thread read a value it should not have (a page seen "
         "after it was freed, a lost store or a torn fork copy)", sc_names[sc]);
  if (!status_ok(sc, status))
    FAIL("threads: %s: process ended with status %d", sc_names[sc], status);
  tw.rep.ops[sc_ops[sc]]++;
}

void
threadwork_run(int id, uint64 seed, uint64 deadline, int report_fd)
{
  uint64 next_report = 0;

  tw.seed = seed;
  tw.rng = seed;
  tw.report_fd = report_fd;
  tw.rep.magic = STRESS_REPORT_MAGIC;
  tw.rep.worker = (uint32)id;
  while ((uint64)uptime() < deadline) {
    run_scenario((int)stress_below(&tw.rng, SC_COUNT));
    if ((uint64)uptime() >= next_report) {
      send_report(0);
      next_report = (uint64)uptime() + REPORT_TICKS;
    }
  }
  send_report(1);
  exit(0);
}
