/*
 * fuzzworker.c: the fuzz worker (see fuzzworker.h): the raw and the counted
 * call, the failure line, reports, the calls on processes (fork, wait, kill,
 * exec) and the rest, the weighted mix one_call draws from, and the loop.
 * Workers keep all state in static memory (fz) and never use malloc: the
 * fuzzer moves the break. The calls on memory and fds are in fuzzmodel.c,
 * those on threads (clone, join) in fuzzthread.c.
 */
#include <stdarg.h>
#include "lib/fmt.h"
#include "fuzzmodel.h"

#define DEPTH_MAX      2         /* workers' children fork once more, no deeper */
#define CHILD_CALLS    24
#define REGIONS_SOFT   10        /* unmap everything past this many regions */
#define REPORT_TICKS   50
#define NPROC_MAX      160       /* kernel/param.h: NPROC is 32 + 16 * NCPU, NCPU <= 8 */

struct fuzz_state fz;
char fuzz_scratch[SCRATCH] __attribute__((aligned(PGSIZE)));
static char longname[] = "nosuchprogram-with-a-name-far-longer-than-MAXPATH";
static char longarg[MAXARGLEN + 8];
static char *manyargs[MAXARG + 2];

long
fuzz_raw_syscall(long n, long a0, long a1, long a2, long a3, long a4, long a5)
{
  register long r0 asm("a0") = a0;
  register long r1 asm("a1") = a1;
  register long r2 asm("a2") = a2;
  register long r3 asm("a3") = a3;
  register long r4 asm("a4") = a4;
  register long r5 asm("a5") = a5;
  register long r7 asm("a7") = n;

  asm volatile("ecall"
               : "+r"(r0)
               : "r"(r1), "r"(r2), "r"(r3), "r"(r4), "r"(r5), "r"(r7)
               : "memory");
  return r0;
}

static void report(int done);

void
fuzz_fail(const char *fmt, ...)
{
  char buf[200];
  va_list ap;

  va_start(ap, fmt);
  fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  fuzz_raw_syscall(SYS_failinject, 0, 0, 0, 0, 0, 0);
  fprintf(2, "fuzz: FAIL seed %d worker %d pid %d: %s\n", (int)fz.seed, fz.id,
          fz.pid, buf);
  fz.rep.failed = 1;
  report(0);
  exit(1);
}

long
fuzz_call(long n, long a0, long a1, long a2, long a3, long a4, long a5)
{
  long ret = fuzz_raw_syscall(n, a0, a1, a2, a3, a4, a5);

  fz.rep.calls++;
  if (ret == -1)
    fz.rep.errors++;
  return ret;
}

static void
report(int done)
{
  fz.rep.magic = FUZZ_REPORT_MAGIC;
  fz.rep.worker = (uint32)fz.id;
  fz.rep.done = (uint32)done;
  /* A failed write only loses one report. */
  fuzz_raw_syscall(SYS_write, fz.report_fd, (long)&fz.rep, sizeof(fz.rep), 0, 0, 0);
}

void
fuzz_fi_off(void)
{
  fuzz_call(SYS_failinject, 0, 0, 0, 0, 0, 0);
  fz.fi_on = 0;
}

/* ---- calls on processes ---- */

static void
child_gone(int i, int status_known, int status)
{
  if (status_known && status == -1)
    fz.rep.killed++;
  fz.children[i] = fz.children[--fz.nchildren];
}

int
fuzz_child_index(long pid)
{
  for (int i = 0; i < fz.nchildren; i++)
    if (fz.children[i] == pid)
      return i;
  return -1;
}

/* Reaps one child, which must exist. */
static void
reap_one(void)
{
  int status = 0;
  long pid = fuzz_call(SYS_wait, (long)&status, 0, 0, 0, 0, 0);
  int i = fuzz_child_index(pid);

  if (i < 0)
    fuzz_fail("wait with %d children returned %d", fz.nchildren, (int)pid);
  child_gone(i, 1, status);
}

static long
fuzz_exec(void)
{
  static char *plain[] = { "argecho", "a", "bc", 0 };
  static char *badarg[] = { "argecho", (char *)0x80000000UL, 0 };
  uint64 path, argv;
  enum ptr_class cls;

  switch (below(7)) {
  case 0: path = (uint64)"nosuchprogram"; break;
  case 1: path = (uint64)""; break;
  case 2: path = (uint64)longname; break;
  case 3: path = fuzz_heap_edge(8 + below(40), 0); break;
  case 4:
    do
      path = fuzz_any_ptr(0, &cls);
    while (cls != PTR_BAD);
    break;
  default:
    /* Only a child may become a program: argecho ends at once. A worker
     * that exec'd one would vanish; any other real program might wait on
     * the console for good. */
    path = (uint64)(fz.depth > 0 ? "argecho" : "nosuchprogram");
    break;
  }
  switch (below(8)) {
  case 0: argv = 0; break;
  case 1: argv = (uint64)plain; break;
  case 2: case 3: {
    int n = MAXARG - 1 + (int)below(3);
    for (int i = 0; i < MAXARG + 1; i++)
      manyargs[i] = i < n ? longarg + 7 + below(3) : 0;   /* too long, or just fits */
    argv = (uint64)manyargs;
    break;
  }
  case 4: argv = (uint64)badarg; break;
  case 5: argv = fuzz_heap_edge(8 * (1 + below(4)), 1); break;
  case 6: argv = fuzz_any_ptr(0, &cls); break;
  default: argv = (uint64)plain + 8 * below(3); break;
  }
  long ret = fuzz_call(SYS_exec, (long)path, (long)argv, (long)fuzz_any_int(), 0, 0, 0);
  if (ret != -1)
    fuzz_fail("exec(%p, %p) returned %d", (void *)path, (void *)argv, (int)ret);
  return ret;
}

static void __attribute__((noreturn)) child_main(void);

static void
fuzz_fork(void)
{
  if (fz.depth >= DEPTH_MAX) {
    fuzz_call(SYS_getpid, 0, 0, 0, 0, 0, 0);
    return;
  }
  if (fz.nchildren == CHILDREN_MAX)
    reap_one();
  /* After fork every page is shared copy-on-write, so the worker's own
   * next stores need pages: fork with injection off, and make the pages
   * each side uses its own again before injection can be armed. */
  if (fz.fi_on)
    fuzz_fi_off();
  long pid = fuzz_call(SYS_fork, (long)fuzz_any_int(), 0, 0, 0, 0, 0);
  if (pid >= 0)
    utest_own_pages();
  if (pid == 0)
    child_main();
  if (pid > 0) {
    fz.children[fz.nchildren++] = (int)pid;
    if (pid > fz.maxpid)
      fz.maxpid = (int)pid;
  }
}

static void
fuzz_wait(void)
{
  enum ptr_class cls = PTR_OK;
  uint64 va = 0;

  switch (below(3)) {
  case 0: break;
  case 1: va = (uint64)fuzz_scratch + 4 * below(8); break;
  default: va = fuzz_any_ptr(1, &cls); break;
  }
  long pid = fuzz_call(SYS_wait, (long)va, 0, 0, 0, 0, 0);
  if (pid == -1) {
    if (fz.nchildren > 0 && (va == 0 || cls == PTR_OK))
      fuzz_fail("wait(%p) failed with %d children", (void *)va, fz.nchildren);
    return;
  }
  int i = fuzz_child_index(pid);
  if (i < 0)
    fuzz_fail("wait returned %d, not a child (%d children)", (int)pid, fz.nchildren);
  if (va != 0 && (cls == PTR_BAD || cls == PTR_RO))
    fuzz_fail("wait stored a status at %p", (void *)va);
  int status = 0;
  if (cls == PTR_OK && va != 0)
    memcpy(&status, (void *)va, sizeof(status));
  child_gone(i, cls == PTR_OK && va != 0, status);
}

static int
is_worker(int pid)
{
  for (int i = 0; i < fz.nworkers; i++)
    if (fz.start.pids[i] == pid)
      return 1;
  return 0;
}

static void
fuzz_kill(void)
{
  long pid;
  int own = 0;

  switch (below(8)) {
  case 0: case 1: case 2:
    if (fz.nchildren == 0) {
      pid = -1;
      break;
    }
    pid = fz.children[below(fz.nchildren)] | (one_in(4) ? 1L << 32 : 0);
    own = 1;
    break;
  case 3: case 4: {
    static const long bad[] = { 0, -1, -2, 0x7fffffff, -0x7fffffff - 1, 1L << 32 };
    pid = PICK(bad);
    break;
  }
  default:
    pid = fz.driver_pid + 1 + (long)below((uint64)(fz.maxpid - fz.driver_pid + 8));
    if (is_worker((int)pid))
      pid = -1;
    break;
  }
  /* Never init (the kernel refuses anyway) nor the driver; and not a
   * thread of our own: that would end this process. */
  if (((int)pid >= 1 && (int)pid <= fz.driver_pid) || fuzz_thread_index((int)pid) >= 0)
    pid = -1;
  long ret = fuzz_call(SYS_kill, pid, (long)fuzz_any_int(), 0, 0, 0, 0);
  if (own && pid == (int)pid && ret != 0)
    fuzz_fail("kill of own child %d failed", (int)pid);
  if ((int)pid <= 0 && ret != -1)
    fuzz_fail("kill(%d) succeeded", (int)pid);
}

/* ---- everything else ---- */

static void
fuzz_store_call(int no)
{
  enum ptr_class cls = PTR_OK;
  uint64 va = one_in(2) ? (uint64)fuzz_scratch + below(16) : fuzz_any_ptr(1, &cls);
  long ret = fuzz_call(no, (long)va, (long)fuzz_any_int(), 0, 0, 0, 0);

  if ((cls == PTR_BAD || cls == PTR_RO) && ret != -1)
    fuzz_fail("call %d stored at %p", no, (void *)va);
  if (cls == PTR_OK && ret != 0)
    fuzz_fail("call %d into scratch failed", no);
  if (no == SYS_memstat && ret == 0 && cls == PTR_OK) {
    struct memstat m;
    memcpy(&m, (void *)va, sizeof(m));
    if (m.pages_free > m.pages_total || m.pages_by_kind[PMEM_FREE] != m.pages_free ||
        m.nodes_free > m.nodes_total || m.nprocs < 2 || m.nprocs > NPROC_MAX)
      fuzz_fail("memstat is inconsistent: %d of %d pages free, %d of %d nodes, "
                "%d procs", (int)m.pages_free, (int)m.pages_total,
                (int)m.nodes_free, (int)m.nodes_total, (int)m.nprocs);
  }
}

static void
fuzz_failinject(void)
{
  long what = one_in(4) ? (long)fuzz_any_int() : (long)below(8);
  long nth = one_in(2) ? 0 : one_in(4) ? (long)fuzz_any_int() : 1 + (long)below(20);
  long ppm = one_in(3) ? 0 : one_in(8) ? -1 : (long)below(50001);

  if (one_in(3))
    what = nth = ppm = 0;
  if ((int)ppm > 50000)
    ppm = 50000;
  fuzz_call(SYS_failinject, what, nth, ppm, (long)rnd(), 0, 0);
  fz.fi_on = ((int)what & (FAIL_PAGES | FAIL_NODES)) && ((int)nth > 0 || (int)ppm > 0);
}

static void
fuzz_simple(int no)
{
  static const long naps[] = { 0, 1, 2, 5, -1, -0x7fffffff - 1, (1L << 32) | 3,
                               (long)0xffffffff00000002UL };
  long a0 = no == SYS_sleep ? PICK(naps) : (long)fuzz_any_int();
  long ret = fuzz_call(no, a0, (long)fuzz_any_int(), (long)fuzz_any_int(), 0, 0, 0);

  switch (no) {
  case SYS_getpid:
    if (ret != fz.pid)
      fuzz_fail("getpid returned %d, not %d", (int)ret, fz.pid);
    break;
  case SYS_uptime:
    if ((uint64)ret < fz.last_uptime)
      fuzz_fail("uptime went back from %d to %d", (int)fz.last_uptime, (int)ret);
    fz.last_uptime = (uint64)ret;
    break;
  case SYS_sleep:
    if (a0 == (int)a0 && ret != (a0 < 0 ? -1 : 0))
      fuzz_fail("sleep(%d) returned %d", (int)a0, (int)ret);
    break;
  case SYS_hartid:
    if (ret < 0 || ret >= 64)
      fuzz_fail("hartid returned %d", (int)ret);
    break;
  case SYS_vmprint:
    if (ret != 0)
      fuzz_fail("vmprint returned %d", (int)ret);
    break;
  default:
    /* Numbers the kernel does not have (more may be added from 27 up, so
     * only those outside 0..40 are certain). */
    if (((unsigned long)no > 40) && ret != -1)
      fuzz_fail("system call %p returned %d", (void *)(long)no, (int)ret);
    break;
  }
}

static void
fuzz_unknown(void)
{
  static const long nos[] = { 0, 8, 9, 10, 15, 17, 18, 19, 20, 32, 35, 40, 41, 1000,
                              -1, (1L << 32) | SYS_getpid, (1L << 32) | SYS_uptime };
  long no = PICK(nos);
  long ret = fuzz_call(no, (long)fuzz_any_int(), (long)fuzz_any_int(),
                       (long)fuzz_any_int(), (long)fuzz_any_int(),
                       (long)fuzz_any_int(), (long)fuzz_any_int());

  if ((no < 0 || no > 40) && ret != -1)
    fuzz_fail("system call %p returned %d", (void *)no, (int)ret);
}

/* How often each call is drawn; the rest (vmprint, memaudit, unknown
 * numbers) print on the console, so they are rare. */
static const struct {
  uint8 no;
  uint8 weight;
} mix[] = {
  { SYS_fork, 3 }, { SYS_wait, 4 }, { SYS_pipe, 6 }, { SYS_read, 10 },
  { SYS_kill, 4 }, { SYS_exec, 4 }, { SYS_getpid, 2 }, { SYS_sbrk, 8 },
  { SYS_sleep, 1 }, { SYS_uptime, 2 }, { SYS_write, 10 }, { SYS_close, 6 },
  { SYS_mmap, 14 }, { SYS_munmap, 12 }, { SYS_memstat, 4 }, { SYS_hartid, 2 },
  { SYS_failinject, 3 }, { SYS_clone, 3 }, { SYS_join, 3 },
};

static void
one_call(void)
{
  int total = 0, no = SYS_getpid;

  if (one_in(20000)) {
    fuzz_simple(SYS_vmprint);
    return;
  }
  /* An audit while others change memory reports their in-flight pages as
   * unreachable: correct, but alarming in a log, so keep it very rare. */
  if (one_in(200000)) {
    fuzz_store_call(SYS_memaudit);
    return;
  }
  if (one_in(1000)) {
    fuzz_unknown();
    return;
  }
  for (uint64 i = 0; i < NELEM(mix); i++)
    total += mix[i].weight;
  int r = (int)below((uint64)total);
  for (uint64 i = 0; i < NELEM(mix); i++) {
    if (r < mix[i].weight) {
      no = mix[i].no;
      break;
    }
    r -= mix[i].weight;
  }
  switch (no) {
  case SYS_fork: fuzz_fork(); break;
  case SYS_wait: fuzz_wait(); break;
  case SYS_pipe: fuzz_pipe(); break;
  case SYS_read: fuzz_read(); break;
  case SYS_kill: fuzz_kill(); break;
  case SYS_exec: fuzz_exec(); break;
  case SYS_sbrk: fuzz_sbrk(); break;
  case SYS_write: fuzz_write(); break;
  case SYS_close: fuzz_close(); break;
  case SYS_mmap: fuzz_mmap(); break;
  case SYS_munmap: fuzz_munmap(); break;
  case SYS_memstat: fuzz_store_call(SYS_memstat); break;
  case SYS_failinject: fuzz_failinject(); break;
  case SYS_clone: fuzz_clone(); break;
  case SYS_join: fuzz_join(); break;
  default: fuzz_simple(no); break;
  }
  if (fz.regions > REGIONS_SOFT) {
    int was_on = fz.fi_on;
    fuzz_unmap_all();
    if (was_on && one_in(2))
      fuzz_fi_off();
  }
}

/* A forked child: its own fds start empty (it keeps the report pipe to
 * report a failure), it has no threads, it makes a few calls, joins its
 * threads (or, one time in three, leaves them to exit or exec to end),
 * maybe becomes argecho, ends. */
static void
child_main(void)
{
  fz.depth++;
  fz.pid = (int)fuzz_raw_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0);
  fz.nchildren = 0;
  fuzz_threads_forget();
  for (int fd = 0; fd < FD_MAX; fd++) {
    if (fz.fd_kind[fd] == FD_READ || fz.fd_kind[fd] == FD_WRITE) {
      if (fuzz_raw_syscall(SYS_close, fd, 0, 0, 0, 0, 0) != 0)
        fuzz_fail("child: close(%d) of an inherited fd failed", fd);
      fuzz_fd_closed(fd);
    }
  }
  for (int n = 1 + (int)below(CHILD_CALLS); n > 0; n--)
    one_call();
  if (!one_in(3))
    while (fz.nthreads > 0)
      fuzz_join_one();
  if (one_in(3)) {
    static char *argv[] = { "argecho", "from", "a", "child", 0 };
    fuzz_raw_syscall(SYS_exec, (long)"argecho", (long)argv, 0, 0, 0, 0);
  }
  exit((int)below(4));
}

/* Touches the stack the worker will use, so no later call of its own
 * needs a page while failinject is armed. */
static void __attribute__((noinline))
touch_stack(void)
{
  volatile char pad[3 * PGSIZE];

  for (uint64 i = 0; i < sizeof(pad); i += 512)
    pad[i] = 0;
}

void
fuzzworker_run(int id, uint64 seed, uint64 wseed, uint64 deadline, int report_fd,
               int start_fd, int driver_pid, int nworkers)
{
  fz.seed = seed;
  fz.rng = wseed;
  fz.id = id;
  fz.pid = getpid();
  fz.driver_pid = driver_pid;
  fz.nworkers = nworkers;
  fz.deadline = deadline;
  fz.report_fd = report_fd;
  if (read(start_fd, &fz.start, sizeof(fz.start)) != sizeof(fz.start))
    exit(0);                            /* the driver gave up */
  close(start_fd);
  fz.maxpid = fz.pid;
  for (int i = 0; i < nworkers; i++)
    if (fz.start.pids[i] > fz.maxpid)
      fz.maxpid = fz.start.pids[i];
  for (int fd = 0; fd < FD_MAX; fd++) {
    fz.fd_kind[fd] = fd <= 2 ? FD_CONSOLE : FD_FREE;
    fz.pipes[fd].rfd = fz.pipes[fd].wfd = -1;
  }
  fz.fd_kind[report_fd] = FD_REPORT;
  fz.heap_start = fz.brk = (uint64)sbrk(0);
  for (int i = 0; i < RECENT; i++)
    fz.recent[i] = MMAP_BEGIN + below(MMAP_PAGES) * PGSIZE;
  memset(fuzz_scratch, 0, sizeof(fuzz_scratch));
  memset(longarg, 'y', sizeof(longarg) - 1);
  touch_stack();
  utest_own_pages();     /* shared with the driver since fork (copy-on-write) */
  uint64 now = (uint64)uptime();
  fz.last_uptime = now;
  fz.next_report = now + REPORT_TICKS;
  if (one_in(4) && nworkers > 1)
    fz.kill_at = now + below(deadline - now);

  while ((now = (uint64)uptime()) < deadline) {
    one_call();
    if (fz.kill_at && now >= fz.kill_at) {
      int victim = fz.start.pids[below((uint64)nworkers)];
      if (victim != fz.pid)
        fuzz_call(SYS_kill, victim, 0, 0, 0, 0, 0);
      fz.kill_at = 0;
    }
    if (now >= fz.next_report) {
      report(0);
      fz.next_report = now + REPORT_TICKS;
    }
  }
  fuzz_fi_off();
  while (fz.nthreads > 0)
    fuzz_join_one();
  while (fz.nchildren > 0)
    reap_one();
  report(1);
  exit(0);
}
