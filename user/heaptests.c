/*
 * heaptests.c: user tests for the lazy heap and stack (DESIGN.md 3-5): sbrk
 * growing and shrinking and its limits, kernel-side faults on lazy heap
 * buffers handed to system calls, the lazily grown stack and its guard
 * page. Costs are checked exactly with memstat: a first touch takes one
 * user page plus 0..2 page-table pages, everything else nothing. Every
 * case runs in its own child (user/lib/utest.c); accesses that must kill
 * run in a grandchild; every child ends with exit(), never by returning.
 */
#include "user.h"

#define REACHED 'L'             /* sent by a child just before its last access */

#define L0_SPAN (512 * PGSIZE)  /* what one level-0 page table maps (Sv39) */
#define TOUCH_PAGES 8
#define LAZY_PAGES 64
#define PIPE_BYTES 256          /* far below what a pipe holds: no write blocks */
#define STRADDLE 16             /* bytes of a buffer that crosses the break */

/* ---- sbrk ---- */

static void
sbrk_grow_costs_no_pages_until_touched(void)
{
  struct memstat a, b;

  utest_snap(&a);
  char *old = sbrk(LAZY_PAGES * PGSIZE);
  utest_snap(&b);
  CHECK(old != (char *)-1, "sbrk of %d pages failed", (int)LAZY_PAGES);
  CHECK(sbrk(0) == old + LAZY_PAGES * PGSIZE, "break is %p, expected %p",
        sbrk(0), old + LAZY_PAGES * PGSIZE);
  utest_expect_cost(&a, &b, 0, "sbrk grow");

  uint64 page = PGROUNDUP((uint64)old) + (LAZY_PAGES / 2) * PGSIZE;
  utest_snap(&a);
  utest_store(page, 1);
  utest_snap(&b);
  utest_expect_cost(&a, &b, 1, "touch of one grown page");
}

static void
sbrk_first_touch_costs_one_page_plus_page_tables(void)
{
  struct memstat a, b, start;
  uint64 base = utest_heap_fresh(TOUCH_PAGES);

  utest_snap(&start);
  for (int i = 0; i < TOUCH_PAGES; i++) {
    uint64 page = base + i * PGSIZE;
    utest_snap(&a);
    if (i % 2) {
      utest_store(page + PGSIZE - 1, 'x');
    } else {
      char c = utest_load(page + i);
      CHECK(c == 0, "fresh heap page %d reads %d, not 0", i, c);
    }
    utest_snap(&b);
    utest_expect_cost(&a, &b, 1, "first touch of a heap page");
  }
  utest_snap(&b);
  utest_expect_cost(&start, &b, TOUCH_PAGES,
                    "first touch of consecutive pages");

  for (int i = 0; i < TOUCH_PAGES; i++) {
    utest_snap(&a);
    utest_store(base + i * PGSIZE, 'y');
    utest_snap(&b);
    utest_expect_cost(&a, &b, 0, "second touch of a heap page");
  }
}

static void
sbrk_shrink_gives_back_pages_and_page_tables(void)
{
  struct memstat a, b;
  uint64 cur = (uint64)sbrk(0);
  /* The first level-0 boundary with two fresh pages below it: the pages
   * above it need a new level-0 table, which shrinking must free too. */
  uint64 edge = (PGROUNDUP(cur) + 2 * PGSIZE + L0_SPAN - 1) & ~(L0_SPAN - 1);
  long grow = (long)(edge + 2 * PGSIZE - cur);

  utest_snap(&a);
  CHECK((uint64)sbrk(grow) == cur, "sbrk(%ld) failed", grow);
  for (int i = -2; i < 2; i++)
    utest_store(edge + i * PGSIZE, 'h');
  CHECK(sbrk(-grow) == (char *)(cur + grow), "sbrk(-%ld) failed", grow);
  utest_snap(&b);
  CHECK((uint64)sbrk(0) == cur, "break %p after shrinking, expected %p",
        sbrk(0), (void *)cur);
  utest_expect_same(&a, &b, "grow, touch 4 pages, shrink");
}

static void
sbrk_shrink_then_load_from_released_page_kills(void)
{
  uint64 page = utest_heap_fresh(1);

  utest_store(page, 'h');
  CHECK(sbrk(-(long)PGSIZE) != (char *)-1, "sbrk(-PGSIZE) failed");
  utest_expect_access_kills(page, UTEST_LOAD, "load from a released heap page");
  utest_expect_access_kills(page, UTEST_STORE, "store to a released heap page");
}

static void
sbrk_past_mmap_begin_fails_and_keeps_break(void)
{
  struct memstat a, b;
  uint64 cur = (uint64)sbrk(0);
  long room = (long)(MMAP_BEGIN - cur);

  utest_snap(&a);
  CHECK(sbrk(room + 1) == (char *)-1, "break could go 1 byte past MMAP_BEGIN");
  CHECK(sbrk(room + PGSIZE) == (char *)-1, "break could go past MMAP_BEGIN");
  CHECK(sbrk((long)(VA_MAX - cur)) == (char *)-1, "break could reach VA_MAX");
  CHECK(sbrk(0x7fffffffffffffffL) == (char *)-1, "sbrk(LONG_MAX) worked");
  utest_snap(&b);
  CHECK((uint64)sbrk(0) == cur, "failed sbrk moved the break from %p to %p",
        (void *)cur, sbrk(0));
  utest_expect_same(&a, &b, "failed sbrk");

  /* Right below the mmap area it is still just heap, and still lazy. */
  CHECK((uint64)sbrk(room - PGSIZE) == cur, "sbrk up to one page below "
        "MMAP_BEGIN failed");
  utest_snap(&b);
  utest_expect_same(&a, &b, "sbrk to just below MMAP_BEGIN");
  utest_store(MMAP_BEGIN - PGSIZE - 1, 'e');
  CHECK(sbrk(PGSIZE + 1) == (char *)-1, "break could go 1 byte past "
        "MMAP_BEGIN from below it");
  CHECK(utest_load(MMAP_BEGIN - PGSIZE - 1) == 'e',
        "top heap byte lost its value");
}

static char in_image;   /* bss: part of the program image */

static void
sbrk_below_image_end_fails_and_keeps_break(void)
{
  struct memstat a, b;
  uint64 cur = (uint64)sbrk(0);

  utest_snap(&a);
  CHECK(sbrk(-(long)cur) == (char *)-1, "break could move to 0");
  CHECK(sbrk(-(long)(cur - USER_BASE)) == (char *)-1,
        "break could move to USER_BASE");
  CHECK(sbrk(-(long)(cur - (uint64)&in_image)) == (char *)-1,
        "break could move into the bss");
  CHECK(sbrk(-(long)(cur + PGSIZE)) == (char *)-1,
        "break could wrap below 0");
  utest_snap(&b);
  CHECK((uint64)sbrk(0) == cur, "failed sbrk moved the break from %p to %p",
        (void *)cur, sbrk(0));
  utest_expect_same(&a, &b, "failed sbrk");
  in_image = 'i';
  CHECK(in_image == 'i', "bss no longer works");
}

/* ---- kernel-side faults on lazy buffers ---- */

/* Reads exactly n bytes from fd: a pipe read may return fewer than asked
 * for. Returns n, or what the failing read returned. */
static int
read_full(int fd, char *buf, int n)
{
  for (int got = 0; got < n;) {
    int k = read(fd, buf + got, n - got);
    if (k <= 0)
      return k;
    got += k;
  }
  return n;
}

static void
lazy_heap_buffers_work_for_write_and_read(void)
{
  struct memstat a, b;
  char buf[PIPE_BYTES];
  int p[2];

  CHECK(pipe(p) == 0, "pipe failed");
  uint64 base = utest_heap_fresh(3);
  char *src = (char *)base;                               /* in page 0 */
  char *dst = (char *)(base + 2 * PGSIZE - PIPE_BYTES / 2);   /* pages 1, 2 */

  utest_snap(&a);
  CHECK(write(p[1], src, PIPE_BYTES) == PIPE_BYTES, "write from an "
        "untouched heap page failed");
  CHECK(read_full(p[0], buf, PIPE_BYTES) == PIPE_BYTES, "read back failed");
  for (int i = 0; i < PIPE_BYTES; i++)
    CHECK(buf[i] == 0, "byte %d of an untouched heap page is %d", i, buf[i]);
  for (int i = 0; i < PIPE_BYTES; i++)
    buf[i] = (char)(i * 7 + 1);
  CHECK(write(p[1], buf, PIPE_BYTES) == PIPE_BYTES, "write failed");
  CHECK(read_full(p[0], dst, PIPE_BYTES) == PIPE_BYTES, "read into two "
        "untouched heap pages failed");
  utest_snap(&b);
  utest_expect_cost(&a, &b, 3, "kernel faults on 3 heap pages");
  CHECK(memcmp(dst, buf, PIPE_BYTES) == 0, "data read into lazy pages is "
        "wrong");
  close(p[0]);
  close(p[1]);
}

static void
pipe_writes_its_fds_into_an_untouched_heap_page(void)
{
  struct memstat a, b;
  int *fds = (int *)utest_heap_fresh(1);
  char c = 0;

  utest_snap(&a);
  CHECK(pipe(fds) == 0, "pipe into an untouched heap page failed");
  utest_snap(&b);
  CHECK(utest_user_pages(&b) - utest_user_pages(&a) == 1,
        "pipe faulted in %d user pages",
        utest_user_pages(&b) - utest_user_pages(&a));
  CHECK(fds[0] >= 0 && fds[1] >= 0 && fds[0] != fds[1], "pipe gave fds %d "
        "and %d", fds[0], fds[1]);
  CHECK(write(fds[1], "z", 1) == 1 && read(fds[0], &c, 1) == 1 && c == 'z',
        "the pipe does not carry data");
  close(fds[0]);
  close(fds[1]);
}

static void
buffer_running_past_the_break_fails(void)
{
  uint64 cur = (uint64)sbrk(0);
  uint64 brk = PGROUNDUP(cur) + PGSIZE;
  char c = 0;
  int p[2];

  CHECK((uint64)sbrk((long)(brk - cur)) == cur, "sbrk failed");
  char *straddle = (char *)(brk - STRADDLE / 2);

  CHECK(pipe(p) == 0, "pipe failed");
  CHECK(write(p[1], straddle, STRADDLE) == -1, "write from a buffer "
        "running past the break worked");
  CHECK(write(p[1], "m", 1) == 1, "write to pipe failed");
  CHECK(read(p[0], &c, 1) == 1 && c == 'm', "failed write left bytes in the "
        "pipe (read '%c')", c);
  CHECK(write(p[1], "abcdefghijklmnop", STRADDLE) == STRADDLE,
        "write to pipe failed");
  CHECK(read(p[0], straddle, STRADDLE) == -1, "read into a buffer running "
        "past the break worked");
  close(p[0]);
  close(p[1]);
  CHECK(pipe((int *)(brk - sizeof(int))) == -1, "pipe with fds[1] past the "
        "break worked");
}

/* ---- the stack ---- */

static void
stack_grows_lazily_down_to_its_limit(void)
{
  struct memstat a, b;
  volatile char here = 0;
  int fresh = 0;

  /* Pages right below sp may be mapped already (utest prefaults some);
   * from the first one that costs a page down, every one must. */
  for (uint64 va = PGROUNDDOWN((uint64)&here) - PGSIZE; va >= STACK_LIMIT;
       va -= PGSIZE) {
    utest_snap(&a);
    char c = utest_load(va + PGSIZE - 1);
    utest_snap(&b);
    if (fresh == 0 && utest_user_pages(&b) == utest_user_pages(&a))
      continue;
    utest_expect_cost(&a, &b, 1, "first touch of a stack page");
    CHECK(c == 0, "fresh stack page at %p reads %d", (void *)va, c);
    utest_store(va, 's');
    fresh++;
  }
  CHECK(fresh >= (int)(STACK_PAGES / 2), "only %d stack pages were lazy",
        fresh);
  CHECK(utest_load(STACK_LIMIT) == 's', "STACK_LIMIT lost its byte");
}

static void
stack_guard_below_the_limit_kills(void)
{
  char c = 0;
  int p[2];

  CHECK(pipe(p) == 0, "pipe failed");
  int pid = fork();
  CHECK(pid >= 0, "fork failed");
  if (pid == 0) {
    char reached = REACHED;
    utest_store(STACK_LIMIT, 's');
    write(p[1], &reached, 1);
    utest_store(STACK_GUARD + PGSIZE - 1, 'g');
    exit(UTEST_SURVIVED);
  }
  close(p[1]);
  int n = read(p[0], &c, 1);
  close(p[0]);
  int st = utest_reap(pid);
  CHECK(n == 1 && c == REACHED, "child died touching STACK_LIMIT (status %d)",
        st);
  CHECK(st == UTEST_KILLED, "store to STACK_GUARD: child status %d, "
        "expected %d (killed)", st, UTEST_KILLED);
  utest_expect_access_kills(STACK_GUARD, UTEST_LOAD, "load from STACK_GUARD");
}

/* Out of memory: a process that touches heap pages until none is left is
 * killed by the fault that finds no page; a sibling that needs no new page
 * keeps running; once the hog is reaped every page is back. */
static void
oom_kills_only_the_hog_and_every_page_comes_back(void)
{
  struct memstat before, after;
  int ping[2], pong[2];
  char c = 'p';

  memstat(&before);
  CHECK(pipe(ping) == 0 && pipe(pong) == 0, "pipe failed");
  int sib = fork();
  CHECK(sib >= 0, "fork of the sibling failed");
  if (sib == 0) {
    close(ping[1]);
    close(pong[0]);
    while (read(ping[0], &c, 1) == 1)
      write(pong[1], &c, 1);
    exit(0);
  }
  close(ping[0]);
  close(pong[1]);
  int hog = fork();
  CHECK(hog >= 0, "fork of the hog failed");
  if (hog == 0) {
    for (;;) {
      char *q = sbrk(64 * PGSIZE);
      if (q == (char *)-1)
        exit(UTEST_SURVIVED);          /* the heap area ran out first */
      for (int i = 0; i < 64; i++)
        q[i * PGSIZE] = 1;
    }
  }
  int st = utest_reap(hog);
  CHECK(st == UTEST_KILLED, "hog ended with status %d, expected %d (killed)",
        st, UTEST_KILLED);
  CHECK(write(ping[1], &c, 1) == 1 && read(pong[0], &c, 1) == 1 && c == 'p',
        "the sibling stopped answering after the hog died");
  close(ping[1]);
  CHECK(utest_reap(sib) == 0, "the sibling did not exit cleanly");
  close(pong[0]);
  memstat(&after);
  CHECK(after.pages_free == before.pages_free,
        "pages_free %d before the hog, %d after it was reaped",
        (int)before.pages_free, (int)after.pages_free);
}

/* ---- lock statistics ---- */

static uint64
class_acquires(const struct lockstat *s, int n, const char *name)
{
  for (int i = 0; i < n; i++)
    if (strcmp(s[i].name, name) == 0)
      return s[i].acquires;
  return 0;
}

/* lockstat counts every acquire in its lock's class: touching n fresh heap
 * pages takes a pmem lock at least n times (a page each: the hart's cache's,
 * and the shared one's when the cache refills) and, in a run of first
 * touches, the space's lock once each (the page is taken before the lock:
 * fewer than 2n, which the check-then-install of every fault would take;
 * the rest of the count is the first lockstat's copy out). A bad buffer
 * gets -1. */
static void
lockstat_counts_the_locks_faults_take(void)
{
  static struct lockstat a[LOCKSTAT_CLASSES], b[LOCKSTAT_CLASSES];
  const int n = 64;
  uint64 heap = utest_heap_fresh(n + 1);

  *(volatile char *)(heap + (uint64)n * PGSIZE) = 1;   /* the run begins */
  int na = lockstat(a, LOCKSTAT_CLASSES);
  for (int i = 0; i < n; i++)
    *(volatile char *)(heap + (uint64)i * PGSIZE) = 1;
  int nb = lockstat(b, LOCKSTAT_CLASSES);
  CHECK(na > 0 && nb >= na && nb <= LOCKSTAT_CLASSES, "lockstat returned %d then %d",
        na, nb);
  uint64 pmem = class_acquires(b, nb, "pmem") - class_acquires(a, na, "pmem") +
                class_acquires(b, nb, "pmem_cache") - class_acquires(a, na, "pmem_cache");
  uint64 uvm = class_acquires(b, nb, "uvm") - class_acquires(a, na, "uvm");
  CHECK(pmem >= (uint64)n && uvm >= (uint64)n && uvm < 2 * (uint64)n,
        "%d faults counted %d pmem and %d uvm acquires", n, (int)pmem, (int)uvm);
  for (int i = 0; i < nb; i++)
    CHECK(b[i].name[0] != 0 && b[i].contended <= b[i].acquires &&
              b[i].spins >= b[i].contended,
          "class %d (%s): %d acquires, %d contended, %d spins", i, b[i].name,
          (int)b[i].acquires, (int)b[i].contended, (int)b[i].spins);
  CHECK(lockstat(0, 0) >= nb, "lockstat(0, 0) did not just count the classes");
  CHECK(lockstat((struct lockstat *)0x80000000UL, 2) == -1,
        "lockstat into kernel memory did not fail");
}

int
main(int argc, char **argv)
{
  static const struct utest cases[] = {
    { "oom_kills_only_the_hog_and_every_page_comes_back",
      oom_kills_only_the_hog_and_every_page_comes_back },
    { "sbrk_grow_costs_no_pages_until_touched",
      sbrk_grow_costs_no_pages_until_touched },
    { "sbrk_first_touch_costs_one_page_plus_page_tables",
      sbrk_first_touch_costs_one_page_plus_page_tables },
    { "sbrk_shrink_gives_back_pages_and_page_tables",
      sbrk_shrink_gives_back_pages_and_page_tables },
    { "sbrk_shrink_then_load_from_released_page_kills",
      sbrk_shrink_then_load_from_released_page_kills },
    { "sbrk_past_mmap_begin_fails_and_keeps_break",
      sbrk_past_mmap_begin_fails_and_keeps_break },
    { "sbrk_below_image_end_fails_and_keeps_break",
      sbrk_below_image_end_fails_and_keeps_break },
    { "lazy_heap_buffers_work_for_write_and_read",
      lazy_heap_buffers_work_for_write_and_read },
    { "pipe_writes_its_fds_into_an_untouched_heap_page",
      pipe_writes_its_fds_into_an_untouched_heap_page },
    { "buffer_running_past_the_break_fails",
      buffer_running_past_the_break_fails },
    { "stack_grows_lazily_down_to_its_limit",
      stack_grows_lazily_down_to_its_limit },
    { "stack_guard_below_the_limit_kills", stack_guard_below_the_limit_kills },
    { "lockstat_counts_the_locks_faults_take", lockstat_counts_the_locks_faults_take },
  };

  (void)argc;
  (void)argv;
  return utest_run(cases, NELEM(cases));
}
