/*
 * cowtests.c: user tests for copy-on-write fork, one case per rule
 * (docs/design.md, "Copy-on-write fork"): fork shares every mapped page and
 * takes no data page however much is touched; the first write by either
 * side takes exactly one page (or none, once the writer is the last
 * sharer); lazy holes stay lazy; the kernel's own writes into user memory
 * break sharing too; munmap, exit and exec on one side leave the other's
 * data intact; fork shares level-0 page tables, and a write, a shrink or
 * an unmap on one side leaves the other's table alone; two writers of one
 * shared page end with the right number of pages; running out of pages
 * during a break kills only the writer.
 *
 * Page counts are exact: a case first makes its own data and stack pages
 * its own (utest_own_pages), and a forked child that must stay quiet
 * blocks in a pipe read after saying it is ready, so the counts between
 * two snapshots are the case's alone. Every case runs in its own child
 * (user/lib/utest.c), which checks that every page comes back.
 */
#include "user.h"

#define MIB_PAGES 256               /* pages in a MiB */
#define NSTACKS 2
#define TSTACK (2 * PGSIZE)

static char stacks[NSTACKS][TSTACK] __attribute__((aligned(16)));

/* A value that names its page and its writer. */
static uint64
mark(uint64 va, int who)
{
  return va * 31 + (uint64)who;
}

/* Writes mark(who) into the first word of n pages at base. */
static void
fill(uint64 base, int n, int who)
{
  for (int i = 0; i < n; i++) {
    uint64 va = base + (uint64)i * PGSIZE;
    *(volatile uint64 *)va = mark(va, who);
  }
}

/* Checks the first word of n pages at base holds mark(who). */
static void
expect_filled(uint64 base, int n, int who, const char *what)
{
  for (int i = 0; i < n; i++) {
    uint64 va = base + (uint64)i * PGSIZE;
    uint64 v = *(volatile uint64 *)va;
    CHECK(v == mark(va, who), "%s: page %p holds %p, not writer %d's mark", what,
          (void *)va, (void *)v, who);
  }
}

/* A child that stays quiet: it says it is ready, then blocks until it is
 * released, writing nothing meanwhile, so the parent's page counts are
 * its own. Once released, a watcher checks that the n pages at base still
 * hold writer who's marks (its status says), whatever the parent did to
 * them meanwhile. */
struct quiet {
  int ready[2];
  int go[2];
};

static int
fork_watcher(struct quiet *q, uint64 base, int n, int who)
{
  char c = 'r';

  CHECK(pipe(q->ready) == 0 && pipe(q->go) == 0, "pipe failed");
  int pid = fork();
  CHECK(pid >= 0, "fork failed");
  if (pid == 0) {
    write(q->ready[1], &c, 1);
    read(q->go[0], &c, 1);
    expect_filled(base, n, who, "the other side, after the parent's change");
    exit(0);
  }
  CHECK(read(q->ready[0], &c, 1) == 1, "the child never said it was ready");
  return pid;
}

static int
fork_quiet(struct quiet *q)
{
  return fork_watcher(q, 0, 0, 0);
}

/* Lets the quiet child go on (it exits) and reaps it. */
static int
release_quiet(struct quiet *q, int pid)
{
  write(q->go[1], "g", 1);
  int st = utest_reap(pid);
  close(q->ready[0]);
  close(q->ready[1]);
  close(q->go[0]);
  close(q->go[1]);
  return st;
}

static int
user_delta(const struct memstat *a, const struct memstat *b)
{
  return utest_user_pages(b) - utest_user_pages(a);
}

/* ---- fork shares ---- */

static void
fork_of_a_4mib_process_takes_no_data_pages(void)
{
  struct memstat a, b;
  uint64 heap = utest_heap_fresh(4 * MIB_PAGES);

  fill(heap, 4 * MIB_PAGES, 1);
  utest_own_pages();
  utest_snap(&a);
  int pid = fork();
  CHECK(pid >= 0, "fork failed");
  if (pid == 0)
    exit(0);
  utest_snap(&b);
  utest_reap(pid);
  /* The two stacks' first writes may each take a page: nothing more. */
  CHECK(user_delta(&a, &b) <= 4, "fork of 4 MiB took %d user pages",
        user_delta(&a, &b));
  CHECK(b.pages_shared >= a.pages_shared + 4 * MIB_PAGES - 4,
        "only %d pages shared after the fork of %d touched pages",
        (int)(b.pages_shared - a.pages_shared), 4 * MIB_PAGES);
}

static void
each_write_to_a_shared_page_takes_exactly_one_page(void)
{
  struct memstat a, b;
  struct quiet q;
  uint64 heap = utest_heap_fresh(16);

  fill(heap, 16, 1);
  int pid = fork_quiet(&q);
  utest_own_pages();
  utest_snap(&a);
  fill(heap, 10, 2);
  utest_snap(&b);
  CHECK(user_delta(&a, &b) == 10, "10 writes to shared pages took %d pages",
        user_delta(&a, &b));
  CHECK(b.cow_faults - a.cow_faults == 10, "%d copy-on-write faults for 10 writes",
        (int)(b.cow_faults - a.cow_faults));
  CHECK(a.pages_shared - b.pages_shared == 10, "shared pages went %d -> %d",
        (int)a.pages_shared, (int)b.pages_shared);
  CHECK(release_quiet(&q, pid) == 0, "the child failed");
}

static void
the_last_sharer_writes_in_place(void)
{
  struct memstat a, b;
  uint64 heap = utest_heap_fresh(4);

  fill(heap, 4, 1);
  int pid = utest_fork_exit(0);
  CHECK(utest_reap(pid) == 0, "the child failed");
  utest_own_pages();
  utest_snap(&a);
  fill(heap, 4, 2);             /* still marked copy-on-write, shared by no one */
  utest_snap(&b);
  CHECK(user_delta(&a, &b) == 0, "writes after the child exited took %d pages",
        user_delta(&a, &b));
  CHECK(b.cow_faults - a.cow_faults == 4, "%d copy-on-write faults, 4 expected",
        (int)(b.cow_faults - a.cow_faults));
  expect_filled(heap, 4, 2, "written in place");
}

static void
writes_on_either_side_stay_private(void)
{
  uint64 heap = utest_heap_fresh(8);
  int p[2];

  fill(heap, 8, 1);
  CHECK(pipe(p) == 0, "pipe failed");
  int pid = fork();
  CHECK(pid >= 0, "fork failed");
  if (pid == 0) {
    fill(heap, 4, 3);                       /* the child writes the first half */
    char c;
    read(p[0], &c, 1);                      /* after the parent wrote */
    expect_filled(heap, 4, 3, "child, own writes");
    expect_filled(heap + 4 * PGSIZE, 4, 1, "child, parent's later writes");
    exit(0);
  }
  fill(heap + 4 * PGSIZE, 4, 2);            /* the parent the second half */
  write(p[1], "w", 1);
  CHECK(utest_reap(pid) == 0, "the child saw a write that was not its own");
  expect_filled(heap, 4, 1, "parent, child's writes");
  expect_filled(heap + 4 * PGSIZE, 4, 2, "parent, own writes");
}

static void
lazy_holes_stay_lazy_in_both(void)
{
  struct memstat a, b;
  struct quiet q;
  uint64 heap = utest_heap_fresh(4);       /* never touched before the fork */

  int pid = fork_quiet(&q);
  utest_own_pages();
  utest_snap(&a);
  CHECK(*(volatile uint64 *)heap == 0, "a lazy page read non-zero after fork");
  *(volatile uint64 *)(heap + PGSIZE) = 5;
  utest_snap(&b);
  CHECK(user_delta(&a, &b) == 2, "two first touches took %d pages", user_delta(&a, &b));
  CHECK(b.cow_faults == a.cow_faults, "a lazy page was taken for a shared one");
  CHECK(release_quiet(&q, pid) == 0, "the child failed");
}

static void
read_only_pages_are_shared_and_stay_read_only(void)
{
  struct memstat a;
  uint64 ro = (uint64)utest_map(0, 2 * PGSIZE, PROT_READ);

  CHECK(ro != (uint64)MAP_FAILED, "mmap failed");
  CHECK(*(volatile uint64 *)ro == 0, "a fresh read-only page is not zero");
  utest_own_pages();
  utest_snap(&a);
  int pid = fork();
  CHECK(pid >= 0, "fork failed");
  if (pid == 0) {
    struct memstat m;
    memstat(&m);
    exit(m.pages_shared >= a.pages_shared + 1 ? 0 : 1);
  }
  CHECK(utest_reap(pid) == 0, "the read-only page was not shared");
  utest_expect_access_kills(ro, UTEST_STORE, "a store to a shared read-only page");
  utest_unmap(ro, 2);
}

/* ---- shared page tables ---- */

#define TABLE_PAGES 512             /* pages one level-0 table maps: 2 MiB */

static int
pgtbl_delta(const struct memstat *a, const struct memstat *b)
{
  return (int)(b->pages_by_kind[PMEM_PGTBL] - a->pages_by_kind[PMEM_PGTBL]);
}

/* Fork gives the child the parent's level-0 tables rather than its pages:
 * forking 4 MiB more takes no more page-table pages, and the first write
 * into a shared table takes one table page (the writer's copy) and one
 * data page; the next write into it, a data page only. */
static void
fork_shares_page_tables_and_the_first_write_copies_one(void)
{
  struct memstat a, b;
  struct quiet q;

  utest_own_pages();
  utest_snap(&a);
  int pid = fork_quiet(&q);
  utest_snap(&b);
  int small = pgtbl_delta(&a, &b);
  CHECK(release_quiet(&q, pid) == 0, "the child failed");

  uint64 heap = utest_heap_fresh(4 * MIB_PAGES);
  fill(heap, 4 * MIB_PAGES, 1);
  utest_own_pages();
  utest_snap(&a);
  pid = fork_quiet(&q);
  utest_snap(&b);
  CHECK(pgtbl_delta(&a, &b) == small,
        "the fork of 4 MiB took %d page-table pages, of a small process %d",
        pgtbl_delta(&a, &b), small);
  uint64 last = heap + (4 * MIB_PAGES - 1) * PGSIZE;   /* not the data's table */
  fill(last, 1, 2);
  utest_snap(&a);
  CHECK(pgtbl_delta(&b, &a) == 1 && user_delta(&b, &a) == 1,
        "the first write took %d page-table and %d user pages, not 1 and 1",
        pgtbl_delta(&b, &a), user_delta(&b, &a));
  fill(last - PGSIZE, 1, 2);
  utest_snap(&b);
  CHECK(pgtbl_delta(&a, &b) == 0 && user_delta(&a, &b) == 1,
        "the second write took %d page-table and %d user pages, not 0 and 1",
        pgtbl_delta(&a, &b), user_delta(&a, &b));
  CHECK(release_quiet(&q, pid) == 0, "the child failed");
  expect_filled(last - PGSIZE, 2, 2, "the parent's writes");
}

/* A shrink that cuts a shared table (some of its pages go, some stay)
 * gives the shrinking side its own table first: the other side keeps all
 * its pages, and the pages kept stay readable and writable. */
static void
cutting_a_shared_table_leaves_the_other_side_intact(void)
{
  struct quiet q;
  uint64 heap = utest_heap_fresh(8);

  fill(heap, 8, 1);
  int pid = fork_watcher(&q, heap, 8, 1);
  CHECK(sbrk(-4 * PGSIZE) != (char *)-1, "the shrink failed");
  expect_filled(heap, 4, 1, "the pages the shrink kept");
  fill(heap, 4, 2);
  CHECK(release_quiet(&q, pid) == 0, "the child lost pages to the parent's shrink");
  expect_filled(heap, 4, 2, "the parent's writes after the shrink");
}

/* munmap of every page a shared table maps drops this side's reference to
 * it, copying nothing: the other side keeps the table and its pages. */
static void
unmapping_a_whole_shared_table_drops_one_reference(void)
{
  struct memstat a, b;
  struct quiet q;
  uint64 span = TABLE_PAGES * PGSIZE;
  uint64 base = (MMAP_BEGIN + 2 * span - 1) & ~(span - 1);

  utest_map_at(base, TABLE_PAGES, PROT_READ | PROT_WRITE);
  fill(base, 4, 1);
  int pid = fork_quiet(&q);
  utest_own_pages();
  utest_snap(&a);
  utest_unmap(base, TABLE_PAGES);
  utest_snap(&b);
  CHECK(user_delta(&a, &b) == 0 && pgtbl_delta(&a, &b) == 0,
        "the unmap changed %d user and %d page-table pages, not 0 and 0",
        user_delta(&a, &b), pgtbl_delta(&a, &b));
  CHECK(a.pages_shared - b.pages_shared == 4, "shared pages went %d -> %d, not 4 fewer",
        (int)a.pages_shared, (int)b.pages_shared);
  CHECK(release_quiet(&q, pid) == 0, "the child failed");
}

/* ---- the kernel's own writes ---- */

static void
kernel_writes_into_a_shared_page_break_it(void)
{
  struct quiet q;
  uint64 heap = utest_heap_fresh(3);
  int p[2], st = 0;

  fill(heap, 3, 1);
  int pid = fork_quiet(&q);
  CHECK(pipe(p) == 0, "pipe failed");
  CHECK(write(p[1], "kernel", 6) == 6, "write failed");
  CHECK(read(p[0], (void *)heap, 6) == 6, "read into a shared page failed");
  CHECK(memcmp((void *)heap, "kernel", 6) == 0, "read put the wrong bytes");
  int child = utest_fork_exit(42);
  CHECK(wait((int *)(heap + PGSIZE)) == child, "wait into a shared page failed");
  st = *(volatile int *)(heap + PGSIZE);
  CHECK(st == 42, "wait stored %d into the shared page", st);
  CHECK(pipe((int *)(heap + 2 * PGSIZE)) == 0, "pipe() into a shared page failed");
  close(((int *)(heap + 2 * PGSIZE))[0]);
  close(((int *)(heap + 2 * PGSIZE))[1]);
  CHECK(release_quiet(&q, pid) == 0, "the child failed");
  close(p[0]);
  close(p[1]);
}

static void
the_other_side_never_sees_kernel_writes(void)
{
  uint64 heap = utest_heap_fresh(1);
  int p[2], r[2];

  fill(heap, 1, 1);
  CHECK(pipe(p) == 0 && pipe(r) == 0, "pipe failed");
  int pid = fork();
  CHECK(pid >= 0, "fork failed");
  if (pid == 0) {
    char c;
    read(r[0], &c, 1);                       /* the parent has read() into it */
    exit(*(volatile uint64 *)heap == mark(heap, 1) ? 0 : 1);
  }
  CHECK(write(p[1], "XXXXXXXX", 8) == 8, "write failed");
  CHECK(read(p[0], (void *)heap, 8) == 8, "read failed");
  write(r[1], "k", 1);
  CHECK(utest_reap(pid) == 0, "the child saw the parent's read() data");
  close(p[0]);
  close(p[1]);
  close(r[0]);
  close(r[1]);
}

/* ---- one side goes away ---- */

static void
munmap_exit_and_exec_on_one_side_leave_the_other_intact(void)
{
  uint64 area = (uint64)utest_map(0, 4 * PGSIZE, PROT_READ | PROT_WRITE);

  CHECK(area != (uint64)MAP_FAILED, "mmap failed");
  fill(area, 4, 1);

  /* munmap in the parent while the child still maps the pages: the child
   * checks them after. */
  struct quiet q;
  int pid = fork_watcher(&q, area, 4, 1);
  utest_unmap(area, 4);
  CHECK(release_quiet(&q, pid) == 0, "the child lost its pages when the parent unmapped");

  /* exit and exec of the child while the parent maps the pages. */
  uint64 heap = utest_heap_fresh(4);
  fill(heap, 4, 1);
  CHECK(utest_reap(utest_fork_exit(0)) == 0, "child failed");
  pid = fork();
  CHECK(pid >= 0, "fork failed");
  if (pid == 0) {
    char *argv[] = { "echo", 0 };
    exec("echo", argv);
    exit(99);
  }
  CHECK(utest_reap(pid) == 0, "exec'd child failed");
  expect_filled(heap, 4, 1, "after the child's exit and exec");
}

/* ---- two writers at once ---- */

static volatile int go;
static volatile uint64 shared_page;

static void
write_word(void *arg)
{
  uint64 i = (uint64)arg;

  while (!go)
    ;
  ((volatile uint64 *)shared_page)[i] = mark(shared_page, (int)i + 10);
}

static void
two_threads_breaking_one_shared_page_take_one_copy(void)
{
  struct memstat a, b;
  struct quiet q;

  shared_page = utest_heap_fresh(1);
  fill(shared_page, 1, 1);
  int pid = fork_quiet(&q);
  utest_own_pages();
  utest_snap(&a);
  int t0 = clone(write_word, (void *)1, stacks[0] + TSTACK);
  int t1 = clone(write_word, (void *)2, stacks[1] + TSTACK);
  CHECK(t0 > 0 && t1 > 0, "clone failed");
  go = 1;
  CHECK(join(t0, 0) == t0 && join(t1, 0) == t1, "join failed");
  utest_snap(&b);
  CHECK(user_delta(&a, &b) == 1, "two threads breaking one page took %d pages",
        user_delta(&a, &b));
  volatile uint64 *w = (volatile uint64 *)shared_page;
  CHECK(w[0] == mark(shared_page, 1) && w[1] == mark(shared_page, 11) &&
        w[2] == mark(shared_page, 12), "the copy lost a word");
  CHECK(release_quiet(&q, pid) == 0, "the child failed");
}

static void
parent_and_child_breaking_one_page_at_once_each_keep_their_own(void)
{
  struct memstat a, b;
  uint64 page = utest_heap_fresh(2);
  volatile uint64 *flag = (volatile uint64 *)(page + PGSIZE);
  int p[2];

  fill(page, 1, 1);
  *flag = 0;
  CHECK(pipe(p) == 0, "pipe failed");
  utest_own_pages();
  utest_snap(&a);
  int pid = fork();
  CHECK(pid >= 0, "fork failed");
  if (pid == 0) {
    char c;
    read(p[0], &c, 1);                          /* start together */
    for (int i = 0; i < 64; i++)
      ((volatile uint64 *)page)[i] = mark(page, 2);
    for (int i = 0; i < 64; i++)
      if (((volatile uint64 *)page)[i] != mark(page, 2))
        exit(1);
    exit(0);
  }
  write(p[1], "s", 1);
  for (int i = 0; i < 64; i++)
    ((volatile uint64 *)page)[i] = mark(page, 3);
  CHECK(utest_reap(pid) == 0, "the child saw the parent's writes");
  for (int i = 0; i < 64; i++)
    CHECK(((volatile uint64 *)page)[i] == mark(page, 3), "word %d is not the "
          "parent's", i);
  utest_snap(&b);
  /* One side copied, the other (last sharer) wrote in place; the child's
   * copy went with it. */
  CHECK(user_delta(&a, &b) == 0, "%d user pages left after both broke one page",
        user_delta(&a, &b));
}

/* ---- out of memory ---- */

static void
no_page_for_a_break_kills_only_the_writer(void)
{
  uint64 heap = utest_heap_fresh(2);
  int p[2];

  fill(heap, 2, 1);
  CHECK(pipe(p) == 0, "pipe failed");
  int pid = fork();
  CHECK(pid >= 0, "fork failed");
  if (pid == 0) {
    utest_own_pages();
    failinject(FAIL_PAGES, 1, 0, 0);
    /* The kernel's write fails with -1, nothing stored... */
    write(p[1], "abcd", 4);
    if (read(p[0], (void *)heap, 4) != -1)
      exit(5);
    failinject(FAIL_PAGES, 1, 0, 0);
    *(volatile uint64 *)heap = 7;               /* ...and a store kills */
    exit(6);
  }
  int st = utest_reap(pid);
  CHECK(st == UTEST_KILLED, "the writer ended with %d, not killed", st);
  expect_filled(heap, 2, 1, "the other sharer");
  close(p[0]);
  close(p[1]);
}

int
main(int argc, char **argv)
{
  static const struct utest cases[] = {
    { "fork_of_a_4mib_process_takes_no_data_pages",
      fork_of_a_4mib_process_takes_no_data_pages },
    { "each_write_to_a_shared_page_takes_exactly_one_page",
      each_write_to_a_shared_page_takes_exactly_one_page },
    { "the_last_sharer_writes_in_place", the_last_sharer_writes_in_place },
    { "writes_on_either_side_stay_private", writes_on_either_side_stay_private },
    { "lazy_holes_stay_lazy_in_both", lazy_holes_stay_lazy_in_both },
    { "read_only_pages_are_shared_and_stay_read_only",
      read_only_pages_are_shared_and_stay_read_only },
    { "fork_shares_page_tables_and_the_first_write_copies_one",
      fork_shares_page_tables_and_the_first_write_copies_one },
    { "cutting_a_shared_table_leaves_the_other_side_intact",
      cutting_a_shared_table_leaves_the_other_side_intact },
    { "unmapping_a_whole_shared_table_drops_one_reference",
      unmapping_a_whole_shared_table_drops_one_reference },
    { "kernel_writes_into_a_shared_page_break_it",
      kernel_writes_into_a_shared_page_break_it },
    { "the_other_side_never_sees_kernel_writes",
      the_other_side_never_sees_kernel_writes },
    { "munmap_exit_and_exec_on_one_side_leave_the_other_intact",
      munmap_exit_and_exec_on_one_side_leave_the_other_intact },
    { "two_threads_breaking_one_shared_page_take_one_copy",
      two_threads_breaking_one_shared_page_take_one_copy },
    { "parent_and_child_breaking_one_page_at_once_each_keep_their_own",
      parent_and_child_breaking_one_page_at_once_each_keep_their_own },
    { "no_page_for_a_break_kills_only_the_writer",
      no_page_for_a_break_kills_only_the_writer },
  };

  (void)argc;
  (void)argv;
  return utest_run(cases, NELEM(cases));
}
