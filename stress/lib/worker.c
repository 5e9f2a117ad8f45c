/*
 * worker.c: the stress worker (see worker.h).
 *
 * The worker models its own memory: for each heap page and each page of a
 * window at the bottom of the mmap area it knows whether the page exists,
 * its prot, and which generation of the pattern it holds (0: untouched, so
 * it must read as zero). Every operation updates the model, and checks
 * compare every modelled page with memory, so a lost, shared or
 * cross-wired page is caught, not merely counted. Children write a newer
 * generation into their private copies; the parent's pages must not see it.
 */
#include "worker.h"

#define HEAP_MAX      128    /* heap pages the model follows */
#define WINDOW        64     /* mmap pages the model follows */
#define REGIONS_SOFT  6      /* above this many regions, unmap more than map */
#define DRAIN_BASE    (MMAP_BEGIN + 2048 * PGSIZE)   /* pool drains go here */
#define DRAIN_MAX     64     /* nodes one drain takes at most */
#define CHILDREN_MAX  2      /* children a worker leaves running */
#define PIPE_BYTES    (8 * PGSIZE)
#define REPORT_TICKS  50     /* a report every half second */
#define GEN_PARENT    1
#define GEN_CHILD     2

struct worker {
  int id;
  uint64 seed;
  uint64 rng;
  uint64 deadline;
  uint64 next_report;
  int report_fd;
  int in_child;                   /* this process is a forked child */
  struct stress_report rep;
  uint64 heap_base;               /* page aligned; the model's page 0 */
  int heap_pages;
  uint8 heap_gen[HEAP_MAX];
  uint8 win_prot[WINDOW];         /* 0: not mapped */
  uint8 win_gen[WINDOW];
  int children[CHILDREN_MAX + 1];
  int nchildren;
};

static struct worker w;

#define FAIL(...) stress_fail(w.seed, __VA_ARGS__)

static uint64
heap_page(int i)
{
  return w.heap_base + (uint64)i * PGSIZE;
}

static uint64
win_page(int i)
{
  return MMAP_BEGIN + (uint64)i * PGSIZE;
}

/* Checks one modelled page: its pattern, or zeros if untouched. */
static void
check_page(uint64 page, int gen, const char *where)
{
  if (gen == 0) {
    for (uint64 a = page; a < page + PGSIZE; a += STRESS_STRIDE)
      if (*(volatile uint64 *)a != 0)
        FAIL("%s page %p: untouched page not zero at %p", where, (void *)page,
             (void *)a);
    return;
  }
  uint64 bad = stress_check_page(w.seed, page, (uint64)gen);
  if (bad)
    FAIL("%s page %p: word at %p lost generation %d", where, (void *)page,
         (void *)bad, gen);
}

/* Compares every modelled page with memory. Pages never touched are not
 * read (that would allocate them and change the fork cost). */
static void
check_all(void)
{
  for (int i = 0; i < w.heap_pages; i++)
    if (w.heap_gen[i])
      check_page(heap_page(i), w.heap_gen[i], "heap");
  for (int i = 0; i < WINDOW; i++)
    if (w.win_prot[i] && w.win_gen[i])
      check_page(win_page(i), w.win_gen[i], "mmap");
  w.rep.ops[OP_CHECK]++;
}

static void
send_report(int done)
{
  if (w.in_child)
    return;
  w.rep.done = (uint32)done;
  if (write(w.report_fd, &w.rep, sizeof(w.rep)) != sizeof(w.rep))
    FAIL("report write failed");
}

/* Touches some of the modelled pages, writing generation gen. */
static void
touch_some(int gen)
{
  for (int i = 0; i < w.heap_pages; i++)
    if (stress_below(&w.rng, 4) == 0) {
      stress_fill_page(w.seed, heap_page(i), (uint64)gen);
      w.heap_gen[i] = (uint8)gen;
    }
  for (int i = 0; i < WINDOW; i++)
    if (w.win_prot[i] && stress_below(&w.rng, 4) == 0) {
      if (w.win_prot[i] & PROT_WRITE) {
        stress_fill_page(w.seed, win_page(i), (uint64)gen);
        w.win_gen[i] = (uint8)gen;
      } else {
        check_page(win_page(i), 0, "read-only mmap");   /* a read fault */
      }
    }
}

/* ---- heap ---- */

static void
op_sbrk(void)
{
  int grow = w.heap_pages == 0 || (w.heap_pages < HEAP_MAX && stress_below(&w.rng, 3));
  if (grow) {
    int n = 1 + (int)stress_below(&w.rng, 16);
    if (w.heap_pages + n > HEAP_MAX)
      n = HEAP_MAX - w.heap_pages;
    char *old = sbrk((long)n * PGSIZE);
    if (old == (char *)-1)
      return;                        /* no memory is not an error */
    if ((uint64)old != heap_page(w.heap_pages))
      FAIL("sbrk returned %p, break was %p", old, (void *)heap_page(w.heap_pages));
    for (int i = w.heap_pages; i < w.heap_pages + n; i++)
      w.heap_gen[i] = 0;
    w.heap_pages += n;
  } else {
    int n = 1 + (int)stress_below(&w.rng, (uint64)w.heap_pages);
    if (sbrk(-(long)n * PGSIZE) == (char *)-1)
      FAIL("sbrk(-%d pages) failed", n);
    w.heap_pages -= n;
  }
  w.rep.ops[OP_SBRK]++;
}

/* ---- mmap window ---- */

static int
win_free(int first, int n)
{
  for (int i = first; i < first + n; i++)
    if (w.win_prot[i])
      return 0;
  return 1;
}

/* Regions the model holds: maximal runs of pages with equal prot, which
 * is exactly the number of pool nodes the kernel's list uses. */
static int
model_regions(void)
{
  int n = 0;

  for (int i = 0; i < WINDOW; i++)
    if (w.win_prot[i] && (i == 0 || w.win_prot[i - 1] != w.win_prot[i]))
      n++;
  return n;
}

static void
op_mmap(void)
{
  int n = 1 + (int)stress_below(&w.rng, 4);
  int first = (int)stress_below(&w.rng, WINDOW - n + 1);
  int prot = stress_below(&w.rng, 4) ? PROT_READ | PROT_WRITE : PROT_READ;
  void *got = mmap((void *)win_page(first), (size_t)n * PGSIZE, prot,
                   MAP_PRIVATE | MAP_ANONYMOUS);

  if (!win_free(first, n)) {
    if (got != MAP_FAILED)
      FAIL("mmap over a mapped page at %p succeeded", (void *)win_page(first));
    return;
  }
  if (got == MAP_FAILED) {
    w.rep.ops[OP_MMAP_FAILED]++;     /* the pool may be drained by others */
    return;
  }
  if ((uint64)got != win_page(first))
    FAIL("mmap at %p returned %p", (void *)win_page(first), got);
  for (int i = first; i < first + n; i++) {
    w.win_prot[i] = (uint8)prot;
    w.win_gen[i] = 0;
  }
  w.rep.ops[OP_MMAP]++;
}

/* 1 if removing [first, first + n) splits a region of the model: a mapped
 * page with the same prot on both sides, run unbroken into the range. */
static int
needs_split(int first, int n)
{
  int last = first + n - 1;
  return first > 0 && last + 1 < WINDOW && w.win_prot[first - 1] &&
         w.win_prot[last + 1] && w.win_prot[first - 1] == w.win_prot[first] &&
         w.win_prot[last + 1] == w.win_prot[last];
}

static void
op_munmap(void)
{
  int n = 1 + (int)stress_below(&w.rng, 6);
  int first = (int)stress_below(&w.rng, WINDOW - n + 1);
  int covered = 1;

  for (int i = first; i < first + n; i++)
    covered &= w.win_prot[i] != 0;
  int rc = munmap((void *)win_page(first), (size_t)n * PGSIZE);
  if (!covered) {
    if (rc != -1)
      FAIL("munmap over an unmapped page at %p succeeded", (void *)win_page(first));
    return;
  }
  if (rc != 0) {
    /* Only a split may fail, and only when the pool is empty. */
    if (!needs_split(first, n))
      FAIL("munmap of mapped %p +%d pages failed", (void *)win_page(first), n);
    w.rep.ops[OP_MMAP_FAILED]++;
    return;
  }
  for (int i = first; i < first + n; i++)
    w.win_prot[i] = w.win_gen[i] = 0;
  w.rep.ops[OP_MUNMAP]++;
}

/* Takes up to DRAIN_MAX pool nodes (single pages, alternating prot so
 * nothing merges), checks them, then gives them all back. */
static void
op_pool_drain(void)
{
  int got = 0;

  for (; got < DRAIN_MAX; got++) {
    int prot = got % 2 ? PROT_READ : PROT_READ | PROT_WRITE;
    void *p = mmap((void *)(DRAIN_BASE + (uint64)got * PGSIZE), PGSIZE, prot,
                   MAP_PRIVATE | MAP_ANONYMOUS);
    if (p == MAP_FAILED)
      break;
    if (prot & PROT_WRITE)
      stress_fill_page(w.seed, (uint64)p, GEN_PARENT);
  }
  for (int i = 0; i < got; i += 2)
    if (stress_check_page(w.seed, DRAIN_BASE + (uint64)i * PGSIZE, GEN_PARENT))
      FAIL("drained page %d lost its pattern", i);
  if (got > 0 && munmap((void *)DRAIN_BASE, (size_t)got * PGSIZE) != 0)
    FAIL("munmap of %d drained pages failed", got);
  w.rep.ops[OP_POOL_DRAIN]++;
}

/* ---- processes ---- */

/* Reaps one child; status 0 expected, or -1 if it was killed. */
static void
reap_one(void)
{
  int status;
  int pid = wait(&status);

  if (pid < 0)
    FAIL("wait found no child, %d expected", w.nchildren);
  for (int i = 0; i < w.nchildren; i++) {
    if (w.children[i] == pid) {
      w.children[i] = w.children[--w.nchildren];
      if (status != 0 && status != -1)
        FAIL("child %d exited with status %d", pid, status);
      return;
    }
  }
  FAIL("wait returned %d, not a child", pid);
}

/* Records a new child, then reaps one if too many are left running (the
 * new one may be the one that has already exited). */
static void
add_child(int pid)
{
  w.children[w.nchildren++] = pid;
  if (w.nchildren > CHILDREN_MAX)
    reap_one();
}

/* Turns this process into a forked child of the worker. */
static void
become_child(void)
{
  w.in_child = 1;
  w.nchildren = 0;
  close(w.report_fd);
  w.rng ^= (uint64)getpid() * 0x9e3779b97f4a7c15ULL;
}

/* Execs the exec target with arguments it can check; never returns. */
static void
exec_target(int depth)
{
  char seed[24], dep[8];
  char *argv[] = { "stressexec", seed, dep, 0 };

  snprintf(seed, sizeof(seed), "%d", (int)(w.seed & 0x7fffffff));
  snprintf(dep, sizeof(dep), "%d", depth);
  exec("stressexec", argv);
  exit(0);   /* no memory or no slot for the new image: not an error */
}

/* Forks; in the child, detaches it from the worker's duties and returns 0;
 * in the worker, records the child and counts op. Returns -1 (counted as a
 * refused fork: no slot, page or node) if fork failed. */
static int
fork_counted(int op)
{
  int pid = fork();

  if (pid < 0) {
    w.rep.ops[OP_FORK_FAILED]++;
  } else if (pid == 0) {
    become_child();
  } else {
    add_child(pid);
    w.rep.ops[op]++;
  }
  return pid;
}

/* fork of a process with lazy holes and regions while siblings fault: the
 * child checks the parent's data, faults in its own pages, writes a newer
 * generation privately, and exits or execs. */
static void
op_fork(void)
{
  if (fork_counted(OP_FORK) == 0) {
    check_all();
    touch_some(GEN_CHILD);
    check_all();
    if (stress_below(&w.rng, 3) == 0)
      exec_target(0);
    exit(0);
  }
}

/* A child that forks a grandchild and exits at once, while the worker
 * forks again: exit races fork and wait; the orphans go to init. */
static void
op_exit_race(void)
{
  if (fork_counted(OP_EXIT_RACE) == 0) {
    if (fork() == 0) {
      touch_some(GEN_CHILD);
      check_all();
    }
    exit(0);
  }
}

/* exec replacing an image with many regions and a large lazy heap. */
static void
op_exec(void)
{
  if (fork_counted(OP_EXEC) == 0) {
    sbrk(256 * PGSIZE);                       /* large, lazy */
    for (int i = 0; i < 8; i++)               /* regions that do not merge */
      mmap((void *)(DRAIN_BASE + (uint64)i * 2 * PGSIZE), PGSIZE,
           i % 2 ? PROT_READ : PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    touch_some(GEN_CHILD);
    exec_target(1);
  }
}

/* Pipe traffic through lazily grown buffers on both sides; sometimes the
 * writer is killed in the middle. */
static void
op_pipe(void)
{
  int fds[2];

  if (w.heap_pages + 2 * (PIPE_BYTES / PGSIZE) > HEAP_MAX || pipe(fds) != 0)
    return;
  int pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    w.rep.ops[OP_FORK_FAILED]++;
    return;
  }
  if (pid == 0) {
    become_child();
    close(fds[0]);
    unsigned char *buf = (unsigned char *)sbrk(PIPE_BYTES);
    for (int i = 0; i < PIPE_BYTES; i++)
      buf[i] = (unsigned char)(w.seed + (uint64)i * 7);
    for (int off = 0; off < PIPE_BYTES;) {
      int n = write(fds[1], buf + off, 1 + (int)stress_below(&w.rng, 700));
      if (n <= 0)
        exit(0);      /* the reader went away */
      off += n;
    }
    exit(0);
  }
  close(fds[1]);
  /* The reading buffer is fresh heap: the kernel's copyout faults it in. */
  unsigned char *buf = (unsigned char *)sbrk(PIPE_BYTES);
  int kill_at = stress_below(&w.rng, 4) == 0 ? (int)stress_below(&w.rng, PIPE_BYTES) : -1;
  int got = 0, n;
  while (got < PIPE_BYTES && (n = read(fds[0], buf + got, PIPE_BYTES - got)) > 0) {
    got += n;
    if (kill_at >= 0 && got >= kill_at) {
      kill(pid);
      w.rep.ops[OP_KILL]++;
      kill_at = -1;
    }
  }
  close(fds[0]);
  for (int i = 0; i < got; i++)
    if (buf[i] != (unsigned char)(w.seed + (uint64)i * 7))
      FAIL("pipe byte %d is %d", i, buf[i]);
  sbrk(-PIPE_BYTES);
  add_child(pid);
  w.rep.ops[OP_PIPE]++;
}

/* ---- the loop ---- */

void
worker_run(int id, uint64 seed, uint64 deadline, int report_fd)
{
  w.id = id;
  w.seed = seed;
  w.rng = seed;
  w.deadline = deadline;
  w.report_fd = report_fd;
  w.rep.magic = STRESS_REPORT_MAGIC;
  w.rep.worker = (uint32)id;

  /* Start the modelled heap on a page boundary. */
  uint64 brk = (uint64)sbrk(0);
  if (sbrk((long)(PGROUNDUP(brk) - brk)) == (char *)-1)
    FAIL("cannot align the heap");
  w.heap_base = PGROUNDUP(brk);

  while ((uint64)uptime() < w.deadline) {
    uint64 pick = stress_below(&w.rng, 100);
    if (pick < 20)
      op_sbrk();
    else if (pick < 40 && model_regions() <= REGIONS_SOFT)
      op_mmap();
    else if (pick < 55)
      op_munmap();
    else if (pick < 70)
      touch_some(GEN_PARENT);
    else if (pick < 78)
      op_fork();
    else if (pick < 83)
      op_exit_race();
    else if (pick < 87)
      op_exec();
    else if (pick < 93)
      op_pipe();
    else if (pick < 96)
      op_pool_drain();
    else
      check_all();
    if ((uint64)uptime() >= w.next_report) {
      check_all();
      send_report(0);
      w.next_report = (uint64)uptime() + REPORT_TICKS;
    }
  }
  while (w.nchildren > 0)
    reap_one();
  check_all();
  send_report(1);
  exit(0);
}
