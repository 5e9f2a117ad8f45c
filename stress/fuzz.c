/*
 * fuzz.c: the system call fuzzer.
 *
 *   fuzz [--seed N] [--duration S] [--workers W]
 *
 * W workers issue random system calls by raw number (0..40, valid or not;
 * never shutdown) with arguments biased to edge values: the first and last
 * bytes of every user area and just outside, kernel addresses, lazy holes,
 * freshly unmapped pages, huge and negative lengths, fds open and not.
 * Each worker keeps an exact model of what it owns (fds and pipe contents,
 * mmap pages, the break, its children) so it never blocks for good or
 * faults itself, and checks the answers the model makes certain (a store
 * to an unwritable address fails, pipe hands out the lowest free fds,
 * mmap never overlaps, ...). Workers keep all state in static memory and
 * never use malloc: the fuzzer moves the break. The driver prints progress
 * like stress, then, every process gone, the leak report and the audit.
 */
#include <stdarg.h>
#include "lib/fmt.h"
#include "lib/stress.h"

#define WORKERS_MAX    32
#define PROGRESS_TICKS 200       /* two seconds */
#define SETTLE_TICKS   1000      /* how long orphans may take to be reaped */
#define REPORT_TICKS   50
#define FD_MAX         16        /* the kernel's NOFILE */
#define CHILDREN_MAX   2         /* live children per process */
#define DEPTH_MAX      2         /* workers' children fork once more, no deeper */
#define CHILD_CALLS    24
#define PIPE_ROOM      2048      /* well under a pipe's ring: writes never wait */
#define HEAP_SLACK     (1UL << 20)
#define REGIONS_SOFT   10        /* unmap everything past this many regions */
#define RECENT         4
#define MAPS           8
#define SCRATCH        (2 * PGSIZE)
#define REPORT_MAGIC   0xf022ed01U

/* Worker -> driver, through one pipe; well under the 128 bytes a pipe
 * keeps together. A failing child sends failed = 1 and nothing else. */
struct fuzz_report {
  uint32 magic;
  uint32 worker;
  uint32 done;                /* last report of this worker */
  uint32 failed;              /* it printed a FAIL line */
  uint64 calls;
  uint64 errors;              /* calls that returned -1 */
  uint64 killed;              /* children reaped with status -1 */
};

/* Driver -> workers: who the workers are, so random kills can spare them. */
struct fuzz_start {
  int32 pids[WORKERS_MAX];
};

enum fd_kind { FD_FREE, FD_CONSOLE, FD_REPORT, FD_READ, FD_WRITE };

/* What a user access at an address would do, as far as the model knows. */
enum ptr_class {
  PTR_OK,                     /* the scratch buffer: resident, writable */
  PTR_MAYBE,                  /* user memory, perhaps lazy or read-only */
  PTR_RO,                     /* program text: loads only */
  PTR_BAD,                    /* unmapped or not user: every access fails */
};

struct pipe_model {
  int rfd, wfd;               /* -1: closed here */
  int lo, hi;                 /* bounds on the bytes inside */
};

static struct {
  uint64 seed;                /* the run's: every failure line names it */
  uint64 rng;
  int id;
  int depth;                  /* 0 worker, 1 its child, 2 grandchild */
  int pid, driver_pid, maxpid;
  struct fuzz_start start;
  int nworkers;
  uint64 deadline, next_report, kill_at;
  int report_fd;
  uint64 heap_start, brk;
  uint64 last_uptime;
  int fi_on;                  /* failinject armed: no lazy user touches */
  int children[CHILDREN_MAX];
  int nchildren;
  int fd_kind[FD_MAX];
  int fd_pipe[FD_MAX];
  struct pipe_model pipes[FD_MAX];
  uint8 mapped[MMAP_PAGES / 8];
  int regions;                /* upper bound on our mmap regions */
  uint64 maps[MAPS][2];       /* recent mmaps: start, pages */
  uint64 recent[RECENT];      /* recently unmapped */
  struct fuzz_report rep;
} f;

static char scratch[SCRATCH] __attribute__((aligned(PGSIZE)));
static char longname[] = "nosuchprogram-with-a-name-far-longer-than-MAXPATH";
static char longarg[MAXARGLEN + 8];
static char *manyargs[MAXARG + 2];

static long
raw_syscall(long n, long a0, long a1, long a2, long a3, long a4, long a5)
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

static void __attribute__((noreturn, format(printf, 1, 2)))
fail(const char *fmt, ...)
{
  char buf[200];
  va_list ap;

  va_start(ap, fmt);
  fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  raw_syscall(SYS_failinject, 0, 0, 0, 0, 0, 0);
  fprintf(2, "fuzz: FAIL seed %d worker %d pid %d: %s\n", (int)f.seed, f.id,
          f.pid, buf);
  f.rep.failed = 1;
  report(0);
  exit(1);
}

static uint64
rnd(void)
{
  return stress_rand(&f.rng);
}

static uint64
below(uint64 n)
{
  return stress_below(&f.rng, n);
}

static int
one_in(uint64 n)
{
  return below(n) == 0;
}

#define PICK(a) ((a)[below(NELEM(a))])

static const uint64 edge_ints[] = {
  0, 1, 2, 3, 7, 8, 16, 127, 128, 129, 4095, 4096, 4097, 8192,
  0x7fffffff, 0x80000000, 0xffffffff, 1UL << 32, 1UL << 40, 1UL << 63,
  (uint64)-1, (uint64)-2, (uint64)-4096, (uint64)-(1L << 31),
  MMAP_PAGES * PGSIZE, MMAP_PAGES * PGSIZE + 1,
};

static uint64
any_int(void)
{
  switch (below(4)) {
  case 0: return rnd();
  case 1: return below(64);
  default: return PICK(edge_ints);
  }
}

static uint64
any_len(void)
{
  switch (below(4)) {
  case 0: return below(300);
  case 1: return (1 + below(16)) * PGSIZE - below(2) * below(PGSIZE);
  default: return PICK(edge_ints);
  }
}

/* ---- the model of memory ---- */

static int
page_mapped(uint64 va)
{
  uint64 i = (va - MMAP_BEGIN) / PGSIZE;
  return (f.mapped[i / 8] >> (i % 8)) & 1;
}

/* 1 if every page (want 1) or no page (want 0) of the range is mapped. */
static int
range_is(uint64 va, uint64 npages, int want)
{
  for (uint64 i = 0; i < npages; i++)
    if (page_mapped(va + i * PGSIZE) != want)
      return 0;
  return 1;
}

static void
mark(uint64 va, uint64 npages, int on)
{
  for (uint64 i = (va - MMAP_BEGIN) / PGSIZE, n = 0; n < npages; i++, n++) {
    if (on)
      f.mapped[i / 8] |= (uint8)(1U << (i % 8));
    else
      f.mapped[i / 8] &= (uint8)~(1U << (i % 8));
  }
}

static enum ptr_class
classify(uint64 va)
{
  uint64 s = (uint64)scratch;

  if (va >= s && va < s + SCRATCH)
    return PTR_OK;
  if (va < USER_BASE || va >= TRAPFRAME || (va >= STACK_GUARD && va < STACK_LIMIT))
    return PTR_BAD;
  if (va < USER_BASE + PGSIZE)
    return PTR_RO;
  if (va >= MMAP_BEGIN && va < MMAP_END)
    return page_mapped(va) ? PTR_MAYBE : PTR_BAD;
  if (va >= PGROUNDUP(f.brk) && va < MMAP_BEGIN)
    return PTR_BAD;
  return PTR_MAYBE;
}

/* An address for a pointer argument, and what an access there does. With
 * store, never one whose memory the worker itself uses (data, bss and the
 * live stack): only scratch, the heap, mmap pages and the far stack. */
static uint64
any_ptr(int store, enum ptr_class *cls)
{
  static const uint64 kernel[] = { 0x80000000UL, 0x80001000UL, 0x80200000UL };
  static const uint64 high[] = {
    VA_MAX - 1, VA_MAX, VA_MAX + PGSIZE, 1UL << 63, (uint64)-1, (uint64)-4096,
  };
  uint64 va;

  switch (below(20)) {
  case 0: case 1: case 2: va = (uint64)scratch + below(64); break;
  case 3: va = one_in(2) ? 0 : below(PGSIZE); break;
  case 4: va = USER_BASE + below(8); break;
  case 5: va = PICK(kernel) + (one_in(2) ? 0 : below(1 << 20)); break;
  case 6: va = TRAPFRAME + below(2 * PGSIZE); break;
  case 7: va = PICK(high); break;
  case 8: va = STACK_GUARD + below(PGSIZE); break;
  case 9: va = STACK_LIMIT + below(PGSIZE - 256); break;
  case 10: va = TRAPFRAME - 16 + below(9); break;   /* argv strings only */
  case 11: case 12:
    va = f.brk > f.heap_start ? f.heap_start + below(f.brk - f.heap_start) : f.brk;
    break;
  case 13: {
    uint64 k[] = { f.brk - 1, f.brk, PGROUNDUP(f.brk), PGROUNDUP(f.brk) + PGSIZE,
                   MMAP_BEGIN - 1, MMAP_BEGIN - PGSIZE };
    va = PICK(k);
    break;
  }
  case 14: case 15: {
    uint64 *m = f.maps[below(MAPS)];
    va = m[1] ? m[0] + below(m[1]) * PGSIZE + below(PGSIZE - 256) : MMAP_BEGIN;
    break;
  }
  case 16: {
    uint64 k[] = { MMAP_BEGIN, MMAP_BEGIN + 8, MMAP_END - PGSIZE, MMAP_END - 1,
                   MMAP_END, f.heap_start - 1 };
    va = PICK(k);
    break;
  }
  case 17: va = f.recent[below(RECENT)] + below(2) * below(PGSIZE); break;
  case 18: va = store ? (rnd() | VA_MAX) : rnd() % VA_MAX; break;
  default: va = (uint64)scratch; break;
  }
  if (one_in(6))
    va += 1 + below(7);
  if (store && va >= USER_BASE + PGSIZE && va < f.heap_start &&
      classify(va) != PTR_OK)
    va = (uint64)scratch + below(64);   /* data or bss: the worker's own */
  if (store && va >= STACK_LIMIT + PGSIZE && va < TRAPFRAME - 16)
    va = (uint64)scratch;               /* the live stack */
  *cls = classify(va);
  return va;
}

/* ---- calls ---- */

static long
call(long n, long a0, long a1, long a2, long a3, long a4, long a5)
{
  long ret = raw_syscall(n, a0, a1, a2, a3, a4, a5);

  f.rep.calls++;
  if (ret == -1)
    f.rep.errors++;
  return ret;
}

static void
report(int done)
{
  f.rep.magic = REPORT_MAGIC;
  f.rep.worker = (uint32)f.id;
  f.rep.done = (uint32)done;
  /* A failed write only loses one report. */
  raw_syscall(SYS_write, f.report_fd, (long)&f.rep, sizeof(f.rep), 0, 0, 0);
}

static void
fi_off(void)
{
  call(SYS_failinject, 0, 0, 0, 0, 0, 0);
  f.fi_on = 0;
}

static void
child_gone(int i, int status_known, int status)
{
  if (status_known && status == -1)
    f.rep.killed++;
  f.children[i] = f.children[--f.nchildren];
}

static int
child_index(long pid)
{
  for (int i = 0; i < f.nchildren; i++)
    if (f.children[i] == pid)
      return i;
  return -1;
}

/* Reaps one child, which must exist. */
static void
reap_one(void)
{
  int status = 0;
  long pid = call(SYS_wait, (long)&status, 0, 0, 0, 0, 0);
  int i = child_index(pid);

  if (i < 0)
    fail("wait with %d children returned %d", f.nchildren, (int)pid);
  child_gone(i, 1, status);
}

/* Unmaps every mapped run; each covers whole regions, so needs no node. */
static void
unmap_all(void)
{
  for (uint64 i = 0; i < MMAP_PAGES;) {
    if (f.mapped[i / 8] == 0 && i % 8 == 0) {
      i += 8;
      continue;
    }
    uint64 va = MMAP_BEGIN + i * PGSIZE, j = i;
    if (!page_mapped(va)) {
      i++;
      continue;
    }
    while (j < MMAP_PAGES && page_mapped(MMAP_BEGIN + j * PGSIZE))
      j++;
    if (call(SYS_munmap, (long)va, (long)((j - i) * PGSIZE), 0, 0, 0, 0) != 0)
      fail("munmap of the mapped run [%p, +%d pages) failed", (void *)va,
           (int)(j - i));
    mark(va, j - i, 0);
    i = j;
  }
  f.regions = 0;
}

/* Fills [brk - len, brk), which an unmapped page follows, with nonzero
 * bytes (or, with ptrs, pointers to a valid string), for strings and argv
 * arrays that run off the end; 0 if it cannot. */
static uint64
heap_edge(uint64 len, int ptrs)
{
  if (f.fi_on)
    return 0;                            /* the store might fault a page in */
  uint64 want = PGROUNDUP(f.brk);
  if (want - PGSIZE < f.heap_start)
    want += PGSIZE;
  if (want != f.brk) {
    if (call(SYS_sbrk, (long)(want - f.brk), 0, 0, 0, 0, 0) != (long)f.brk)
      fail("sbrk(%d) from %p failed", (int)(want - f.brk), (void *)f.brk);
    f.brk = want;
  }
  memset((void *)(f.brk - len), 'z', len);
  for (uint64 i = 0; ptrs && i < len / 8; i++)
    ((const char **)(f.brk - len))[i] = "x";
  return f.brk - len;
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
  case 3: path = heap_edge(8 + below(40), 0); break;
  case 4:
    do
      path = any_ptr(0, &cls);
    while (cls != PTR_BAD);
    break;
  default:
    /* Only a child may become a program: argecho ends at once. A worker
     * that exec'd one would vanish; any other real program might wait on
     * the console for good. */
    path = (uint64)(f.depth > 0 ? "argecho" : "nosuchprogram");
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
  case 5: argv = heap_edge(8 * (1 + below(4)), 1); break;
  case 6: argv = any_ptr(0, &cls); break;
  default: argv = (uint64)plain + 8 * below(3); break;
  }
  long ret = call(SYS_exec, (long)path, (long)argv, (long)any_int(), 0, 0, 0);
  if (ret != -1)
    fail("exec(%p, %p) returned %d", (void *)path, (void *)argv, (int)ret);
  return ret;
}

static void __attribute__((noreturn)) child_main(void);

static void
fuzz_fork(void)
{
  if (f.depth >= DEPTH_MAX) {
    call(SYS_getpid, 0, 0, 0, 0, 0, 0);
    return;
  }
  if (f.nchildren == CHILDREN_MAX)
    reap_one();
  long pid = call(SYS_fork, (long)any_int(), 0, 0, 0, 0, 0);
  if (pid == 0)
    child_main();
  if (pid > 0) {
    f.children[f.nchildren++] = (int)pid;
    if (pid > f.maxpid)
      f.maxpid = (int)pid;
  }
}

static void
fuzz_wait(void)
{
  enum ptr_class cls = PTR_OK;
  uint64 va = 0;

  switch (below(3)) {
  case 0: break;
  case 1: va = (uint64)scratch + 4 * below(8); break;
  default: va = any_ptr(1, &cls); break;
  }
  long pid = call(SYS_wait, (long)va, 0, 0, 0, 0, 0);
  if (pid == -1) {
    if (f.nchildren > 0 && (va == 0 || cls == PTR_OK))
      fail("wait(%p) failed with %d children", (void *)va, f.nchildren);
    return;
  }
  int i = child_index(pid);
  if (i < 0)
    fail("wait returned %d, not a child (%d children)", (int)pid, f.nchildren);
  if (va != 0 && (cls == PTR_BAD || cls == PTR_RO))
    fail("wait stored a status at %p", (void *)va);
  int status = 0;
  if (cls == PTR_OK && va != 0)
    memcpy(&status, (void *)va, sizeof(status));
  child_gone(i, cls == PTR_OK && va != 0, status);
}

static int
is_worker(int pid)
{
  for (int i = 0; i < f.nworkers; i++)
    if (f.start.pids[i] == pid)
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
    if (f.nchildren == 0) {
      pid = -1;
      break;
    }
    pid = f.children[below(f.nchildren)] | (one_in(4) ? 1L << 32 : 0);
    own = 1;
    break;
  case 3: case 4: {
    static const long bad[] = { 0, -1, -2, 0x7fffffff, -0x7fffffff - 1, 1L << 32 };
    pid = PICK(bad);
    break;
  }
  default:
    pid = f.driver_pid + 1 + (long)below((uint64)(f.maxpid - f.driver_pid + 8));
    if (is_worker((int)pid))
      pid = -1;
    break;
  }
  /* Never init (the kernel refuses anyway) nor the driver. */
  if ((int)pid >= 1 && (int)pid <= f.driver_pid)
    pid = -1;
  long ret = call(SYS_kill, pid, (long)any_int(), 0, 0, 0, 0);
  if (own && pid == (int)pid && ret != 0)
    fail("kill of own child %d failed", (int)pid);
  if ((int)pid <= 0 && ret != -1)
    fail("kill(%d) succeeded", (int)pid);
}

static long
fuzz_sbrk(void)
{
  long n;

  switch (below(6)) {
  case 0: n = 0; break;
  case 1: n = ((long)below(7) - 3) * (long)PGSIZE; break;
  case 2: n = (long)below(2 * PGSIZE) - (long)PGSIZE; break;
  default: {
    long k[] = { 1L << 40, -(1L << 40), 1L << 37, (long)(MMAP_BEGIN - f.brk),
                 (long)(MMAP_BEGIN - f.brk) + 1, (long)(f.heap_start - f.brk),
                 (long)(f.heap_start - f.brk) - 1, (long)(1UL << 63),
                 0x7fffffffffffffffL, -(long)f.brk, (long)HEAP_SLACK };
    n = PICK(k);
    break;
  }
  }
  uint64 old = f.brk, want = old + (uint64)n;
  int legal = (n >= 0 ? want >= old : want <= old) &&
              want >= f.heap_start && want <= MMAP_BEGIN;
  long ret = call(SYS_sbrk, n, 0, 0, 0, 0, 0);
  if (ret == -1 && legal)
    fail("sbrk(%d) from %p failed", (int)n, (void *)old);
  if (ret != -1 && !legal)
    fail("sbrk(%p) from %p succeeded", (void *)n, (void *)old);
  if (ret != -1 && (uint64)ret != old)
    fail("sbrk returned %p, the break was %p", (void *)ret, (void *)old);
  if (ret != -1)
    f.brk = want;
  if ((uint64)call(SYS_sbrk, 0, 0, 0, 0, 0, 0) != f.brk)
    fail("the break is not at %p after sbrk(%p)", (void *)f.brk, (void *)n);
  if (f.brk > f.heap_start + HEAP_SLACK) {
    want = f.heap_start + below(16) * PGSIZE;
    if ((uint64)call(SYS_sbrk, (long)(want - f.brk), 0, 0, 0, 0, 0) != f.brk)
      fail("sbrk back to %p failed", (void *)want);
    f.brk = want;
  }
  return ret;
}

static void
fuzz_mmap(void)
{
  static const long bad_prot[] = { 0, 8, 0xf, -1, 0x101, (1L << 32) | 3 };
  static const long bad_flags[] = { 0, MAP_PRIVATE, MAP_ANONYMOUS, -1, 0x122,
                                    (1L << 32) | MAP_PRIVATE | MAP_ANONYMOUS };
  enum ptr_class cls;
  uint64 addr, len;

  switch (below(9)) {
  case 0: case 1: case 2: addr = 0; break;
  case 3: addr = MMAP_BEGIN + below(MMAP_PAGES) * PGSIZE; break;
  case 4: {
    uint64 k[] = { MMAP_BEGIN, MMAP_END - PGSIZE, MMAP_END - 4 * PGSIZE, MMAP_END,
                   MMAP_BEGIN - PGSIZE, MMAP_BEGIN + PGSIZE / 2 };
    addr = PICK(k);
    break;
  }
  case 5: addr = f.recent[below(RECENT)]; break;
  case 6: addr = f.maps[below(MAPS)][0]; break;
  default: addr = any_ptr(0, &cls); break;
  }
  len = one_in(3) ? any_len() : (1 + below(8)) * PGSIZE - below(2) * below(PGSIZE);
  long prot = one_in(6) ? PICK(bad_prot) : (long)(1 + below(7));
  long flags = one_in(8) ? PICK(bad_flags) : MAP_PRIVATE | MAP_ANONYMOUS;
  long ret = call(SYS_mmap, (long)addr, (long)len, prot, flags, (long)any_int(), 0);
  if (ret == -1)
    return;
  uint64 va = (uint64)ret, npages = PGROUNDUP(len) / PGSIZE;
  if (len == 0 || len > MMAP_PAGES * PGSIZE || (int)prot <= 0 ||
      ((int)prot & ~PROT_MASK) != 0 || (int)flags != (MAP_PRIVATE | MAP_ANONYMOUS))
    fail("mmap(%p, %p, %p, %p) succeeded", (void *)addr, (void *)len,
         (void *)prot, (void *)flags);
  if ((va & (PGSIZE - 1)) || va < MMAP_BEGIN || va > MMAP_END ||
      npages > (MMAP_END - va) / PGSIZE || (addr != 0 && va != addr))
    fail("mmap(%p, %d pages) returned %p", (void *)addr, (int)npages, (void *)va);
  if (!range_is(va, npages, 0))
    fail("mmap returned [%p, +%d pages), which overlaps a mapping", (void *)va,
         (int)npages);
  mark(va, npages, 1);
  uint64 *m = f.maps[below(MAPS)];
  m[0] = va;
  m[1] = npages;
  f.regions++;
}

static void
fuzz_munmap(void)
{
  enum ptr_class cls;
  uint64 addr, len;

  switch (below(6)) {
  case 0: case 1: case 2: {
    uint64 *m = f.maps[below(MAPS)];
    addr = m[0] + (m[1] ? below(m[1]) * PGSIZE : 0);
    break;
  }
  case 3: {
    uint64 k[] = { MMAP_BEGIN, MMAP_END - PGSIZE, MMAP_END, MMAP_BEGIN - PGSIZE,
                   MMAP_BEGIN + 8 };
    addr = PICK(k);
    break;
  }
  case 4: addr = f.recent[below(RECENT)]; break;
  default: addr = any_ptr(0, &cls); break;
  }
  len = one_in(3) ? any_len() : (1 + below(4)) * PGSIZE - below(2) * below(PGSIZE);
  long ret = call(SYS_munmap, (long)addr, (long)len, (long)any_int(), 0, 0, 0);
  if (ret != 0)
    return;
  uint64 npages = PGROUNDUP(len) / PGSIZE;
  if (len == 0 || len > MMAP_PAGES * PGSIZE || (addr & (PGSIZE - 1)) ||
      addr < MMAP_BEGIN || addr >= MMAP_END || npages > (MMAP_END - addr) / PGSIZE ||
      !range_is(addr, npages, 1))
    fail("munmap(%p, %p) succeeded but not all of it was mapped", (void *)addr,
         (void *)len);
  mark(addr, npages, 0);
  f.recent[below(RECENT)] = addr;
  f.regions++;                          /* a split makes one more */
}

/* ---- fds ---- */

static long
any_fd(void)
{
  static const long odd[] = { -1, 16, 17, 20, 0x7fffffff, -0x7fffffff - 1 };
  int open[FD_MAX], n = 0;

  for (int fd = 0; fd < FD_MAX; fd++)
    if (f.fd_kind[fd] == FD_READ || f.fd_kind[fd] == FD_WRITE)
      open[n++] = fd;
  switch (below(8)) {
  case 0: return (long)below(22) - 1;
  case 1: return PICK(odd);
  case 2: return (long)below(FD_MAX) | (1L << 32);   /* an int argument */
  default: return n ? open[below(n)] : (long)below(22) - 1;
  }
}

static int
kind_of(int fd)
{
  return fd >= 0 && fd < FD_MAX ? f.fd_kind[fd] : FD_FREE;
}

static void
fd_closed(int fd)
{
  struct pipe_model *p = &f.pipes[f.fd_pipe[fd]];

  if (f.fd_kind[fd] == FD_READ)
    p->rfd = -1;
  else
    p->wfd = -1;
  f.fd_kind[fd] = FD_FREE;
}

static void
fuzz_close(void)
{
  long v = any_fd();
  int fd = (int)v, kind = kind_of(fd);

  if (kind == FD_CONSOLE || kind == FD_REPORT)
    return;
  long ret = call(SYS_close, v, 0, 0, 0, 0, 0);
  /* An fd with high bits set is the int below them, or refused. */
  if ((v == fd || kind == FD_FREE) && ret != (kind == FD_FREE ? -1 : 0))
    fail("close(%p) returned %d", (void *)v, (int)ret);
  if (kind != FD_FREE && ret == 0)
    fd_closed(fd);
}

static int
lowest_free(int after)
{
  for (int fd = after + 1; fd < FD_MAX; fd++)
    if (f.fd_kind[fd] == FD_FREE)
      return fd;
  return -1;
}

static void
fuzz_pipe(void)
{
  enum ptr_class cls = PTR_OK;
  uint64 va = one_in(2) ? (uint64)scratch + below(8) : any_ptr(1, &cls);
  long ret = call(SYS_pipe, (long)va, (long)any_int(), 0, 0, 0, 0);

  if (ret != 0)
    return;
  if (cls == PTR_BAD || cls == PTR_RO)
    fail("pipe stored its fds at %p", (void *)va);
  int fds[2], want0 = lowest_free(-1), want1 = lowest_free(want0);
  memcpy(fds, (void *)va, sizeof(fds));
  if (fds[0] != want0 || fds[1] != want1 || want1 < 0)
    fail("pipe returned fds %d and %d, the lowest free are %d and %d", fds[0],
         fds[1], want0, want1);
  int slot = 0;
  while (f.pipes[slot].rfd >= 0 || f.pipes[slot].wfd >= 0)
    slot++;                              /* one is free: each holds an fd */
  struct pipe_model *p = &f.pipes[slot];
  p->rfd = fds[0];
  p->wfd = fds[1];
  p->lo = p->hi = 0;
  f.fd_kind[fds[0]] = FD_READ;
  f.fd_kind[fds[1]] = FD_WRITE;
  f.fd_pipe[fds[0]] = f.fd_pipe[fds[1]] = slot;
}

static void
fuzz_write(void)
{
  enum ptr_class cls;
  long v = any_fd();
  int fd = (int)v, kind = kind_of(fd);
  uint64 buf = any_ptr(0, &cls);
  long n = (long)any_len();
  struct pipe_model *p = kind == FD_WRITE ? &f.pipes[f.fd_pipe[fd]] : NULL;

  if ((kind == FD_CONSOLE || kind == FD_REPORT) && cls != PTR_BAD)
    n = -(long)below(2);                 /* no garbage on the console */
  if (p && cls != PTR_BAD && (int)n > PIPE_ROOM - p->hi)
    n = (long)below((uint64)(PIPE_ROOM - p->hi + 1));
  long ret = call(SYS_write, v, (long)buf, n, (long)any_int(), 0, 0);
  if (kind == FD_FREE || kind == FD_READ) {
    if (ret != -1)
      fail("write to fd %d (not open for writing) returned %d", fd, (int)ret);
    return;
  }
  if (!p)
    return;
  if (ret > 0) {
    p->lo += (int)ret;
    p->hi += (int)ret;
  }
  if (cls == PTR_BAD && (int)n > 0 && ret != -1)
    fail("write(%d, %p, %d) read a bad buffer", fd, (void *)buf, (int)n);
  if (cls == PTR_OK && p->rfd >= 0 && (int)n >= 0 && v == fd && n == (int)n &&
      ret != n)
    fail("write(%d, scratch, %d) to an open pipe returned %d", fd, (int)n, (int)ret);
}

static void
fuzz_read(void)
{
  enum ptr_class cls;
  long v = any_fd();
  int fd = (int)v, kind = kind_of(fd);
  struct pipe_model *p = kind == FD_READ ? &f.pipes[f.fd_pipe[fd]] : NULL;

  if (kind == FD_CONSOLE || kind == FD_REPORT)
    return;                              /* would wait on the console */
  if (p && p->lo == 0 && p->wfd >= 0) {
    /* Would wait for good: put something in first. */
    long k = 1 + (long)below(200);
    if (p->hi + k > PIPE_ROOM)
      return;
    long ret = call(SYS_write, p->wfd, (long)scratch, k, 0, 0, 0);
    if (ret != k)
      fail("write(%d, scratch, %d) to an open pipe returned %d", p->wfd, (int)k,
           (int)ret);
    p->lo += (int)k;
    p->hi += (int)k;
  }
  uint64 buf = any_ptr(1, &cls);
  long n = one_in(3) ? (long)any_len() : (long)below(300);
  long ret = call(SYS_read, v, (long)buf, n, (long)any_int(), 0, 0);
  int most = (int)n < 0 ? 0 : (int)n < 128 ? (int)n : 128;
  if (kind != FD_READ) {
    if (ret != -1)
      fail("read from fd %d (not open for reading) returned %d", fd, (int)ret);
    return;
  }
  if (ret > most || ret < -1)
    fail("read(%d, %p, %d) returned %d", fd, (void *)buf, (int)n, (int)ret);
  if ((cls == PTR_BAD || cls == PTR_RO) && (int)n > 0 && ret != -1)
    fail("read(%d) stored %d bytes at %p", fd, (int)ret, (void *)buf);
  if (cls == PTR_OK && most > 0 && p->lo > 0 && v == fd && n == (int)n && ret <= 0)
    fail("read(%d, scratch, %d) returned %d with bytes in the pipe", fd, (int)n,
         (int)ret);
  if (ret > 0) {
    p->lo = p->lo > ret ? p->lo - (int)ret : 0;
    p->hi -= (int)ret;
  } else if (ret == -1 && cls == PTR_MAYBE) {
    p->lo = p->lo > most ? p->lo - most : 0;  /* taken, then a lazy fault failed */
  }
}

/* ---- everything else ---- */

static void
fuzz_store_call(int no)
{
  enum ptr_class cls = PTR_OK;
  uint64 va = one_in(2) ? (uint64)scratch + below(16) : any_ptr(1, &cls);
  long ret = call(no, (long)va, (long)any_int(), 0, 0, 0, 0);

  if ((cls == PTR_BAD || cls == PTR_RO) && ret != -1)
    fail("call %d stored at %p", no, (void *)va);
  if (cls == PTR_OK && ret != 0)
    fail("call %d into scratch failed", no);
  if (no == SYS_memstat && ret == 0 && cls == PTR_OK) {
    struct memstat m;
    memcpy(&m, (void *)va, sizeof(m));
    if (m.pages_free > m.pages_total || m.pages_by_kind[PMEM_FREE] != m.pages_free ||
        m.nodes_free > m.nodes_total || m.nprocs < 2 || m.nprocs > 64)
      fail("memstat is inconsistent: %d of %d pages free, %d of %d nodes, %d procs",
           (int)m.pages_free, (int)m.pages_total, (int)m.nodes_free,
           (int)m.nodes_total, (int)m.nprocs);
  }
}

static void
fuzz_failinject(void)
{
  long what = one_in(4) ? (long)any_int() : (long)below(8);
  long nth = one_in(2) ? 0 : one_in(4) ? (long)any_int() : 1 + (long)below(20);
  long ppm = one_in(3) ? 0 : one_in(8) ? -1 : (long)below(50001);

  if (one_in(3))
    what = nth = ppm = 0;
  if ((int)ppm > 50000)
    ppm = 50000;
  call(SYS_failinject, what, nth, ppm, (long)rnd(), 0, 0);
  f.fi_on = ((int)what & (FAIL_PAGES | FAIL_NODES)) && ((int)nth > 0 || (int)ppm > 0);
}

static void
fuzz_simple(int no)
{
  static const long naps[] = { 0, 1, 2, 5, -1, -0x7fffffff - 1, (1L << 32) | 3,
                               (long)0xffffffff00000002UL };
  long a0 = no == SYS_sleep ? PICK(naps) : (long)any_int();
  long ret = call(no, a0, (long)any_int(), (long)any_int(), 0, 0, 0);

  switch (no) {
  case SYS_getpid:
    if (ret != f.pid)
      fail("getpid returned %d, not %d", (int)ret, f.pid);
    break;
  case SYS_uptime:
    if ((uint64)ret < f.last_uptime)
      fail("uptime went back from %d to %d", (int)f.last_uptime, (int)ret);
    f.last_uptime = (uint64)ret;
    break;
  case SYS_sleep:
    if (a0 == (int)a0 && ret != (a0 < 0 ? -1 : 0))
      fail("sleep(%d) returned %d", (int)a0, (int)ret);
    break;
  case SYS_hartid:
    if (ret < 0 || ret >= 64)
      fail("hartid returned %d", (int)ret);
    break;
  case SYS_vmprint:
    if (ret != 0)
      fail("vmprint returned %d", (int)ret);
    break;
  default:
    /* Numbers the kernel does not have (more may be added from 27 up, so
     * only those outside 0..40 are certain). */
    if (((unsigned long)no > 40) && ret != -1)
      fail("system call %p returned %d", (void *)(long)no, (int)ret);
    break;
  }
}

static void
fuzz_unknown(void)
{
  static const long nos[] = { 0, 8, 9, 10, 15, 17, 18, 19, 20, 30, 35, 40, 41, 1000,
                              -1, (1L << 32) | SYS_getpid, (1L << 32) | SYS_uptime };
  long no = PICK(nos);
  long ret = call(no, (long)any_int(), (long)any_int(), (long)any_int(),
                  (long)any_int(), (long)any_int(), (long)any_int());

  if ((no < 0 || no > 40) && ret != -1)
    fail("system call %p returned %d", (void *)no, (int)ret);
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
  { SYS_failinject, 3 },
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
  default: fuzz_simple(no); break;
  }
  if (f.regions > REGIONS_SOFT) {
    int was_on = f.fi_on;
    unmap_all();
    if (was_on && one_in(2))
      fi_off();
  }
}

/* A forked child: its own fds start empty (it keeps the report pipe to
 * report a failure), it makes a few calls, maybe becomes argecho, ends. */
static void
child_main(void)
{
  f.depth++;
  f.pid = (int)raw_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0);
  f.nchildren = 0;
  for (int fd = 0; fd < FD_MAX; fd++) {
    if (f.fd_kind[fd] == FD_READ || f.fd_kind[fd] == FD_WRITE) {
      if (raw_syscall(SYS_close, fd, 0, 0, 0, 0, 0) != 0)
        fail("child: close(%d) of an inherited fd failed", fd);
      fd_closed(fd);
    }
  }
  for (int n = 1 + (int)below(CHILD_CALLS); n > 0; n--)
    one_call();
  if (one_in(3)) {
    static char *argv[] = { "argecho", "from", "a", "child", 0 };
    raw_syscall(SYS_exec, (long)"argecho", (long)argv, 0, 0, 0, 0);
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

static void __attribute__((noreturn))
worker_main(int id, uint64 seed, uint64 wseed, uint64 deadline, int report_fd,
            int start_fd, int driver_pid, int nworkers)
{
  f.seed = seed;
  f.rng = wseed;
  f.id = id;
  f.pid = getpid();
  f.driver_pid = driver_pid;
  f.nworkers = nworkers;
  f.deadline = deadline;
  f.report_fd = report_fd;
  if (read(start_fd, &f.start, sizeof(f.start)) != sizeof(f.start))
    exit(0);                            /* the driver gave up */
  close(start_fd);
  f.maxpid = f.pid;
  for (int i = 0; i < nworkers; i++)
    if (f.start.pids[i] > f.maxpid)
      f.maxpid = f.start.pids[i];
  for (int fd = 0; fd < FD_MAX; fd++) {
    f.fd_kind[fd] = fd <= 2 ? FD_CONSOLE : FD_FREE;
    f.pipes[fd].rfd = f.pipes[fd].wfd = -1;
  }
  f.fd_kind[report_fd] = FD_REPORT;
  f.heap_start = f.brk = (uint64)sbrk(0);
  for (int i = 0; i < RECENT; i++)
    f.recent[i] = MMAP_BEGIN + below(MMAP_PAGES) * PGSIZE;
  memset(scratch, 0, sizeof(scratch));
  memset(longarg, 'y', sizeof(longarg) - 1);
  touch_stack();
  uint64 now = (uint64)uptime();
  f.last_uptime = now;
  f.next_report = now + REPORT_TICKS;
  if (one_in(4) && nworkers > 1)
    f.kill_at = now + below(deadline - now);

  while ((now = (uint64)uptime()) < deadline) {
    one_call();
    if (f.kill_at && now >= f.kill_at) {
      int victim = f.start.pids[below((uint64)nworkers)];
      if (victim != f.pid)
        call(SYS_kill, victim, 0, 0, 0, 0, 0);
      f.kill_at = 0;
    }
    if (now >= f.next_report) {
      report(0);
      f.next_report = now + REPORT_TICKS;
    }
  }
  fi_off();
  while (f.nchildren > 0)
    reap_one();
  report(1);
  exit(0);
}

/* ---- the driver ---- */

static const char *const kind_names[] = PMEM_KIND_NAMES;

struct run {
  uint64 seed;
  int duration;
  int workers;
  int started;
  uint64 start;
  int pids[WORKERS_MAX];
  struct fuzz_report last[WORKERS_MAX];
  int workers_killed;
  int failed;
};

static void
totals(const struct run *r, uint64 *calls, uint64 *errors, uint64 *killed)
{
  *calls = *errors = 0;
  *killed = (uint64)r->workers_killed;
  for (int i = 0; i < r->started; i++) {
    *calls += r->last[i].calls;
    *errors += r->last[i].errors;
    *killed += r->last[i].killed;
  }
}

static void
progress(const struct run *r)
{
  struct memstat m;
  uint64 calls, errors, killed;

  memstat(&m);
  totals(r, &calls, &errors, &killed);
  printf("fuzz: %3ds calls=%d errors=%d killed=%d | free-pages=%d free-nodes=%d "
         "procs=%d\n", (int)((uptime() - r->start) / 100), (int)calls, (int)errors,
         (int)killed, (int)m.pages_free, (int)m.nodes_free, (int)m.nprocs);
}

static void
parse_args(struct run *r, int argc, char **argv)
{
  r->seed = 1;
  r->duration = 30;
  r->workers = 8;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--seed") == 0)
      r->seed = (uint64)atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--duration") == 0)
      r->duration = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--workers") == 0)
      r->workers = atoi(argv[i + 1]);
    else
      fprintf(2, "fuzz: unknown option %s\n", argv[i]);
  }
  if (r->workers < 1)
    r->workers = 1;
  if (r->workers > WORKERS_MAX)
    r->workers = WORKERS_MAX;
  if (r->duration < 1)
    r->duration = 1;
}

/* Starts the workers; returns the read end of their report pipe. */
static int
start_workers(struct run *r)
{
  static struct fuzz_start st;
  int rep[2], go[2];
  int driver_pid = getpid();

  if (pipe(rep) != 0 || pipe(go) != 0) {
    printf("fuzz: FAIL seed %d: no pipes\n", (int)r->seed);
    exit(1);
  }
  uint64 deadline = r->start + (uint64)r->duration * 100;
  for (int i = 0; i < r->workers; i++) {
    int pid = fork();
    if (pid < 0) {
      printf("fuzz: FAIL seed %d: cannot start worker %d\n", (int)r->seed, i);
      r->failed = 1;
      break;
    }
    if (pid == 0) {
      close(rep[0]);
      close(go[1]);
      worker_main(i, r->seed, r->seed * 1000003ULL + (uint64)i, deadline, rep[1],
                  go[0], driver_pid, r->workers);
    }
    r->pids[i] = st.pids[i] = pid;
    r->started++;
  }
  for (int i = 0; i < r->started; i++)
    write(go[1], &st, sizeof(st));
  close(go[0]);
  close(go[1]);
  close(rep[1]);
  return rep[0];
}

static void
follow(struct run *r, int fd)
{
  struct fuzz_report rep;
  uint64 next = r->start + PROGRESS_TICKS;

  while (read(fd, &rep, sizeof(rep)) == sizeof(rep)) {
    if (rep.magic != REPORT_MAGIC || rep.worker >= (uint32)r->started) {
      printf("fuzz: FAIL seed %d: garbled report\n", (int)r->seed);
      r->failed = 1;
    } else if (rep.failed) {
      r->failed = 1;                    /* its FAIL line is on the console */
    } else {
      r->last[rep.worker] = rep;
    }
    if ((uint64)uptime() >= next) {
      progress(r);
      next += PROGRESS_TICKS;
    }
  }
  close(fd);
}

static void
reap_workers(struct run *r)
{
  int status;

  for (int n = 0; n < r->started; n++) {
    int pid = wait(&status), i;
    for (i = 0; i < r->started && r->pids[i] != pid; i++)
      ;
    if (i == r->started) {
      printf("fuzz: FAIL seed %d: wait returned %d, not a worker\n", (int)r->seed, pid);
      r->failed = 1;
      return;
    }
    if (status == -1) {
      r->workers_killed++;
    } else if (status != 0) {
      printf("fuzz: FAIL seed %d: worker %d exited with status %d\n", (int)r->seed,
             i, status);
      r->failed = 1;
    } else if (!r->last[i].done) {
      printf("fuzz: FAIL seed %d: worker %d exited without its last report\n",
             (int)r->seed, i);
      r->failed = 1;
    }
  }
}

/* Waits for init to reap the orphans, until nprocs is back to base. */
static void
settle(const struct memstat *base)
{
  struct memstat m;
  uint64 until = (uint64)uptime() + SETTLE_TICKS;

  do {
    memstat(&m);
    if (m.nprocs <= base->nprocs)
      return;
    sleep(1);
  } while ((uint64)uptime() < until);
}

static int
delta_line(const char *what, uint64 before, uint64 after)
{
  int64 d = (int64)after - (int64)before;
  printf("  %-16s %8d -> %8d   delta %d%s\n", what, (int)before, (int)after,
         (int)d, d ? "   <-- LEAK" : "");
  return d != 0;
}

static int
leak_report(const struct run *r, const struct memstat *base)
{
  struct memstat m;
  int leaks = 0;
  char what[32];

  memstat(&m);
  printf("fuzz: leak report (baseline -> after, seed %d)\n", (int)r->seed);
  leaks += delta_line("pages_free", base->pages_free, m.pages_free);
  leaks += delta_line("nodes_free", base->nodes_free, m.nodes_free);
  for (int k = 1; k < PMEM_NKINDS; k++) {
    snprintf(what, sizeof(what), "pages %s", kind_names[k]);
    leaks += delta_line(what, base->pages_by_kind[k], m.pages_by_kind[k]);
  }
  leaks += delta_line("processes", base->nprocs, m.nprocs);
  return leaks;
}

static int
audit_report(const struct run *r)
{
  struct memaudit a;

  if (memaudit(&a) != 0) {
    printf("fuzz: FAIL seed %d: memaudit failed\n", (int)r->seed);
    return 1;
  }
  printf("fuzz: audit: %d pages in use, %d reachable, %d unreachable, %d bad; "
         "nodes %d: %d free, %d on lists, %d lost, %d bad\n",
         (int)a.pages_allocated, (int)a.pages_reachable, (int)a.pages_unreachable,
         (int)a.pages_bad, (int)a.nodes_total, (int)a.nodes_free,
         (int)a.nodes_in_lists, (int)a.nodes_lost, (int)a.nodes_bad);
  return a.pages_unreachable || a.pages_bad || a.nodes_lost || a.nodes_bad;
}

int
main(int argc, char **argv)
{
  static struct run r;
  struct memstat base;
  uint64 calls, errors, killed;

  parse_args(&r, argc, argv);
  printf("fuzz: seed %d, %d s, %d workers\n", (int)r.seed, r.duration, r.workers);
  memstat(&base);
  printf("fuzz: baseline: %d pages free of %d, %d of %d nodes free, %d processes\n",
         (int)base.pages_free, (int)base.pages_total, (int)base.nodes_free,
         (int)base.nodes_total, (int)base.nprocs);

  r.start = (uint64)uptime();
  follow(&r, start_workers(&r));
  reap_workers(&r);
  settle(&base);
  progress(&r);

  int leaks = leak_report(&r, &base);
  int audit = audit_report(&r);
  if (leaks)
    printf("fuzz: FAIL seed %d: memory leaked (see the report above)\n", (int)r.seed);
  if (audit)
    printf("fuzz: FAIL seed %d: the audit found unreachable or misused memory\n",
           (int)r.seed);
  totals(&r, &calls, &errors, &killed);
  if (r.failed || leaks || audit) {
    printf("fuzz: FAIL seed %d\n", (int)r.seed);
    return 1;
  }
  printf("fuzz: PASS seed %d: %d calls, nothing leaked\n", (int)r.seed, (int)calls);
  return 0;
}
