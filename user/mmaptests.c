/*
 * mmaptests.c: user tests for anonymous mmap (DESIGN.md 3-5): placement,
 * argument checks, prot, lazy first touches, and fork of an address space
 * with regions, a heap and lazy holes; munmap, merging and an empty node
 * pool are in regiontests.c. Pages and region nodes are checked exactly
 * with memstat. Every case runs in its own child (user/lib/utest.c), which
 * never mmaps before the case, so the mmap area starts empty. Accesses that
 * must kill run in a grandchild; every child ends with exit(), never by
 * returning.
 */
#include "user.h"

#define RW (PROT_READ | PROT_WRITE)
#define RX (PROT_READ | PROT_EXEC)
#define RWX (PROT_READ | PROT_WRITE | PROT_EXEC)
#define MAP_FLAGS (MAP_PRIVATE | MAP_ANONYMOUS)
#define PROT_BEYOND (PROT_MASK + 1)     /* the first prot bit that means nothing */
#define LINUX_MAP_SHARED 0x01           /* flag bits other systems know; here */
#define LINUX_MAP_FIXED 0x10            /* they are just bits that are not allowed */

#define TOUCH_PAGES 8
#define LAZY_PAGES 64
#define RET_INSN 0x00008067U    /* jalr x0, 0(ra): returns to the caller */
#define CHILD_SALT 0x0123456789abcdefULL

/* Page i of the mmap area, as an address. */
#define AREA(i) (MMAP_BEGIN + (uint64)(i) * PGSIZE)

/* ---- mmap ---- */

static void
mmap_first_fit_takes_the_lowest_gap_that_fits(void)
{
  uint64 a = (uint64)utest_map(0, 2 * PGSIZE, RW);
  uint64 b = (uint64)utest_map(0, 3 * PGSIZE, PROT_READ);

  CHECK(a == MMAP_BEGIN, "first mmap at %p, expected MMAP_BEGIN %p",
        (void *)a, (void *)MMAP_BEGIN);
  CHECK(b == AREA(2), "second mmap at %p, expected %p", (void *)b,
        (void *)AREA(2));
  utest_unmap(a, 2);
  /* A 2-page gap at the bottom: too small for 3 pages, right for 1. */
  CHECK((uint64)utest_map(0, 3 * PGSIZE, RW) == AREA(5), "3 pages did not go "
        "above the 2-page gap");
  CHECK((uint64)utest_map(0, PGSIZE, RW) == AREA(0), "1 page did not reuse the "
        "lowest gap");
  CHECK((uint64)utest_map(0, PGSIZE, RW) == AREA(1), "1 page did not fill the "
        "rest of the gap");
  CHECK((uint64)utest_map(0, PGSIZE, RW) == AREA(8), "1 page did not go after "
        "the last region");
}

static void
mmap_rounds_length_up_to_whole_pages(void)
{
  CHECK((uint64)utest_map(0, 1, RW) == AREA(0),
        "mmap of 1 byte not at AREA(0)");
  CHECK((uint64)utest_map(0, PGSIZE + 1, RW) == AREA(1),
        "mmap of 1 byte did not take a whole page");
  CHECK((uint64)utest_map(0, 1, RW) == AREA(3),
        "mmap of PGSIZE+1 bytes did not take 2 pages");
  utest_store(AREA(1) - 1, 'a');
  utest_store(AREA(3) - 1, 'b');
  CHECK(utest_load(AREA(1) - 1) == 'a' && utest_load(AREA(3) - 1) == 'b',
        "the rounded-up bytes do not hold data");
}

static void
mmap_at_a_fixed_address_returns_that_address(void)
{
  utest_map_at(AREA(100), 2, RW);
  utest_put_tag(AREA(101), utest_tag_of(AREA(101)));
  CHECK(utest_has_tag(AREA(101), utest_tag_of(AREA(101))),
        "fixed mapping lost data");
  utest_map_at(MMAP_BEGIN, 1, PROT_READ);
  utest_map_at(MMAP_END - 2 * PGSIZE, 2, RW);
  utest_store(MMAP_END - 1, 'e');
  CHECK(utest_load(MMAP_END - 1) == 'e', "last byte of the area lost data");
  /* First fit still finds the lowest gap, between the fixed ones. */
  CHECK((uint64)utest_map(0, PGSIZE, RW) == AREA(1), "mmap(0) after fixed "
        "mappings not at AREA(1)");
}

static void
mmap_over_a_mapped_range_fails(void)
{
  utest_map_at(AREA(4), 4, RW);   /* pages 4..7 */
  utest_expect_map_fails(AREA(4), 4 * PGSIZE, RW, MAP_FLAGS,
                         "over the same range");
  utest_expect_map_fails(AREA(2), 3 * PGSIZE, RW, MAP_FLAGS,
                         "over its first page");
  utest_expect_map_fails(AREA(7), 2 * PGSIZE, RW, MAP_FLAGS,
                         "over its last page");
  utest_expect_map_fails(AREA(5), PGSIZE, PROT_READ, MAP_FLAGS, "inside it");
  utest_expect_map_fails(AREA(2), 8 * PGSIZE, RW, MAP_FLAGS, "around it");
  utest_map_at(AREA(3), 1, PROT_READ);
  utest_map_at(AREA(8), 1, PROT_READ);
}

static void
mmap_rejects_unaligned_address(void)
{
  utest_expect_map_fails(AREA(1) + 1, PGSIZE, RW, MAP_FLAGS, "at page + 1");
  utest_expect_map_fails(AREA(1) + PGSIZE / 2, PGSIZE, RW, MAP_FLAGS,
                         "at page + PGSIZE/2");
  utest_expect_map_fails(AREA(2) - 1, PGSIZE, RW, MAP_FLAGS, "at page - 1");
}

static void
mmap_rejects_zero_length(void)
{
  utest_expect_map_fails(0, 0, RW, MAP_FLAGS, "of 0 bytes at 0");
  utest_expect_map_fails(AREA(0), 0, RW, MAP_FLAGS, "of 0 bytes at MMAP_BEGIN");
}

static void
mmap_rejects_ranges_outside_the_area(void)
{
  struct memstat a, b;
  uint64 heap = PGROUNDUP((uint64)sbrk(0));

  utest_expect_map_fails(MMAP_BEGIN - PGSIZE, PGSIZE, RW, MAP_FLAGS,
                         "below it");
  utest_expect_map_fails(MMAP_BEGIN - PGSIZE, 2 * PGSIZE, RW, MAP_FLAGS,
                         "across MMAP_BEGIN");
  utest_expect_map_fails(MMAP_END - PGSIZE, 2 * PGSIZE, RW, MAP_FLAGS,
                         "across MMAP_END");
  utest_expect_map_fails(MMAP_END, PGSIZE, RW, MAP_FLAGS, "at MMAP_END");
  utest_expect_map_fails(STACK_LIMIT, PGSIZE, RW, MAP_FLAGS, "on the stack");
  utest_expect_map_fails(heap, PGSIZE, RW, MAP_FLAGS, "above the break");
  utest_expect_map_fails(TRAPFRAME, PGSIZE, RW, MAP_FLAGS, "on the trapframe");
  utest_expect_map_fails(-PGSIZE, PGSIZE, RW, MAP_FLAGS,
                         "at the top of 64 bits");
  utest_expect_map_fails(MMAP_BEGIN, -PGSIZE, RW, MAP_FLAGS,
                         "with a length that wraps");
  utest_expect_map_fails(MMAP_BEGIN, (size_t)-1, RW, MAP_FLAGS,
                         "with a length that wraps when rounded up");
  utest_expect_map_fails(0, (size_t)-1, RW, MAP_FLAGS, "of 2^64-1 bytes at 0");
  utest_expect_map_fails(0, (MMAP_PAGES + 1) * PGSIZE, RW, MAP_FLAGS,
                         "of one page more than the area at 0");
  utest_expect_map_fails(MMAP_BEGIN, (MMAP_PAGES + 1) * PGSIZE, RW, MAP_FLAGS,
                         "of one page more than the area at MMAP_BEGIN");

  /* The whole area fits exactly, lazily; after it nothing does. */
  utest_snap(&a);
  CHECK((uint64)utest_map(0, MMAP_PAGES * PGSIZE, RW) == MMAP_BEGIN,
        "mmap of the whole area failed");
  utest_snap(&b);
  CHECK(b.nodes_free == a.nodes_free - 1, "the whole area took %d nodes",
        (int)(a.nodes_free - b.nodes_free));
  utest_expect_cost(&a, &b, 0, "mmap of the whole area");
  utest_expect_map_fails(0, PGSIZE, PROT_READ, MAP_FLAGS, "with the area full");
  utest_unmap(MMAP_BEGIN, MMAP_PAGES);
}

static void
mmap_rejects_bad_prot(void)
{
  utest_expect_map_fails(0, PGSIZE, 0, MAP_FLAGS, "with prot 0");
  utest_expect_map_fails(0, PGSIZE, PROT_BEYOND, MAP_FLAGS, "with prot 8");
  utest_expect_map_fails(0, PGSIZE, PROT_BEYOND << 1, MAP_FLAGS,
                         "with prot 0x10");
  utest_expect_map_fails(0, PGSIZE, PROT_READ | PROT_BEYOND, MAP_FLAGS,
                         "with prot READ|8");
  utest_expect_map_fails(0, PGSIZE, -1, MAP_FLAGS, "with prot -1");
}

static void
mmap_rejects_bad_flags(void)
{
  utest_expect_map_fails(0, PGSIZE, RW, 0, "with flags 0");
  utest_expect_map_fails(0, PGSIZE, RW, MAP_PRIVATE, "with MAP_PRIVATE only");
  utest_expect_map_fails(0, PGSIZE, RW, MAP_ANONYMOUS,
                         "with MAP_ANONYMOUS only");
  utest_expect_map_fails(0, PGSIZE, RW, MAP_FLAGS | LINUX_MAP_SHARED,
                         "with an extra bit 0x01");
  utest_expect_map_fails(0, PGSIZE, RW, MAP_FLAGS | LINUX_MAP_FIXED,
                         "with an extra bit 0x10");
  utest_expect_map_fails(0, PGSIZE, RW, LINUX_MAP_SHARED | MAP_ANONYMOUS,
                         "with 0x01|MAP_ANONYMOUS");
  utest_expect_map_fails(0, PGSIZE, RW, -1, "with flags -1");
}

static void
mmap_costs_no_page_until_touched(void)
{
  struct memstat a, b;

  utest_snap(&a);
  uint64 p = (uint64)utest_map(0, LAZY_PAGES * PGSIZE, RW);
  utest_snap(&b);
  CHECK(p == MMAP_BEGIN, "mmap returned %p", (void *)p);
  CHECK(b.nodes_free == a.nodes_free - 1, "mmap took %d nodes",
        (int)(a.nodes_free - b.nodes_free));
  utest_expect_cost(&a, &b, 0, "mmap of 64 pages");

  for (int i = 0; i < TOUCH_PAGES; i++) {
    utest_snap(&a);
    utest_store(p + (LAZY_PAGES / 2 + i) * PGSIZE, 'm');
    utest_snap(&b);
    utest_expect_cost(&a, &b, 1, "first touch of an mmap page");
  }
}

static void
mmap_page_reads_zeros_and_keeps_written_data(void)
{
  struct memstat a, b;

  utest_map_at(AREA(0), 2, RW);
  utest_map_at(AREA(2), 1, PROT_READ);
  utest_snap(&a);
  CHECK(utest_page_is_zero(AREA(0)), "fresh RW page is not zero");
  CHECK(utest_page_is_zero(AREA(2)), "fresh PROT_READ page is not zero");
  utest_snap(&b);
  utest_expect_cost(&a, &b, 2, "first loads from 2 mmap pages");
  for (int i = 0; i < 2; i++)
    utest_put_tag(AREA(i), utest_tag_of(AREA(i)));
  for (int i = 0; i < 2; i++)
    CHECK(utest_has_tag(AREA(i), utest_tag_of(AREA(i))),
          "page %d lost its data", i);
}

static void
store_to_read_only_mapping_kills(void)
{
  utest_map_at(AREA(0), 1, PROT_READ);
  utest_map_at(AREA(1), 1, RX);
  utest_expect_access_kills(AREA(0), UTEST_STORE,
                            "store to an untouched PROT_READ page");
  CHECK(utest_load(AREA(0)) == 0, "PROT_READ page does not read 0");
  utest_expect_access_kills(AREA(0), UTEST_STORE,
                            "store to a touched PROT_READ page");
  utest_expect_access_kills(AREA(1), UTEST_STORE, "store to a READ|EXEC page");
  CHECK(utest_page_is_zero(AREA(0)),
        "a killed child's store reached the parent");
}

static void
call_into_exec_mapping_runs_the_code(void)
{
  utest_map_at(AREA(0), 1, RWX);
  *(volatile uint32 *)utest_opaque(AREA(0)) = RET_INSN;
  /* The instruction fetch must see the store just made. */
  asm volatile("fence.i" ::: "memory");
  ((void (*)(void))utest_opaque(AREA(0)))();
}

static void
jump_into_non_exec_mapping_kills(void)
{
  utest_map_at(AREA(0), 1, RW);
  utest_map_at(AREA(1), 1, PROT_READ);
  *(volatile uint32 *)utest_opaque(AREA(0)) = RET_INSN;
  asm volatile("fence.i" ::: "memory");
  utest_expect_access_kills(AREA(0), UTEST_JUMP, "jump into a RW page");
  utest_expect_access_kills(AREA(1), UTEST_JUMP, "jump into a PROT_READ page");
}

static void
write_only_mapping_can_be_read(void)
{
  char buf[4];
  int p[2];

  utest_map_at(AREA(0), 2, PROT_WRITE);
  CHECK(utest_load(AREA(0)) == 0, "untouched PROT_WRITE page does not read 0");
  utest_store(AREA(0), 'w');
  CHECK(utest_load(AREA(0)) == 'w', "PROT_WRITE page does not read back");
  /* The kernel may read it too: write() from a write-only page. */
  CHECK(pipe(p) == 0, "pipe failed");
  utest_store(AREA(2) - 1, 'q');
  CHECK(write(p[1], (void *)(AREA(2) - 1), 1) == 1, "write from a "
        "PROT_WRITE page failed");
  CHECK(read(p[0], buf, 1) == 1 && buf[0] == 'q', "wrong byte came through");
  close(p[0]);
  close(p[1]);
}

/* ---- fork ---- */

#define FORK_HEAP_PAGES 4

/* The address space the fork cases start from. Touched: heap pages 0, 2,
 * area pages 1, 3 (RW, tagged) and 5 (READ, loaded). Lazy: heap pages 1,
 * 3, area pages 0, 2 and 6. Area page 4 is unmapped. Returns the heap. */
static uint64
fork_setup(void)
{
  uint64 heap = utest_heap_fresh(FORK_HEAP_PAGES);

  utest_put_tag(heap, utest_tag_of(heap));
  utest_put_tag(heap + 2 * PGSIZE, utest_tag_of(heap + 2 * PGSIZE));
  utest_map_at(AREA(0), 4, RW);
  utest_map_at(AREA(5), 2, PROT_READ);
  utest_put_tag(AREA(1), utest_tag_of(AREA(1)));
  utest_put_tag(AREA(3), utest_tag_of(AREA(3)));
  (void)utest_load(AREA(5));
  return heap;
}

static void
fork_shares_touched_pages_and_leaves_lazy_holes(void)
{
  struct memstat before, after;
  int cost[2], p[2];
  uint64 heap = fork_setup();

  CHECK(pipe(p) == 0, "pipe failed");
  for (int round = 0; round < 2; round++) {
    utest_own_pages();
    utest_snap(&before);
    int pid = utest_fork_counted();
    if (pid == 0) {
      struct memstat m, t;
      utest_snap(&m);
      int d = utest_user_pages(&m) - utest_user_pages(&before);
      /* Still lazy here: the first touch costs exactly one page. */
      utest_store(heap + 3 * PGSIZE, 'c');
      utest_snap(&t);
      utest_expect_cost(&m, &t, 1, "child's first touch of a lazy heap page");
      utest_snap(&m);
      (void)utest_load(AREA(6));
      utest_snap(&t);
      utest_expect_cost(&m, &t, 1, "child's first touch of a lazy mmap page");
      write(p[1], &d, sizeof(d));
      exit(0);
    }
    /* Reap first: a child that failed sends nothing, and with our own
     * write end open the read would wait for ever. */
    CHECK(utest_reap(pid) == 0, "child %d failed", round);
    CHECK(read(p[0], &cost[round], sizeof(int)) == sizeof(int),
          "no count from child %d", round);
    utest_snap(&after);
    utest_expect_same(&before, &after, "after the child exited");
    if (round == 0)
      utest_store(heap + PGSIZE, 'p');   /* one page more for the next fork */
  }
  /* Copy-on-write: fork takes no data page however many are touched (the
   * child's own stack writes take the same few each round). */
  CHECK(cost[1] == cost[0], "fork took %d user pages, then %d after one more "
        "page was touched", cost[0], cost[1]);

  /* The child's touches did not map anything in the parent. */
  struct memstat a, b;
  utest_snap(&a);
  (void)utest_load(heap + 3 * PGSIZE);
  (void)utest_load(AREA(6));
  utest_snap(&b);
  utest_expect_cost(&a, &b, 2, "parent's touch of pages its children touched");
}

static void
fork_child_sees_parent_data_and_zeros_in_lazy_pages(void)
{
  uint64 heap = fork_setup();
  int pid = fork();

  CHECK(pid >= 0, "fork failed");
  if (pid == 0) {
    for (int i = 0; i < FORK_HEAP_PAGES; i++) {
      uint64 pg = heap + i * PGSIZE;
      if (i % 2 == 0)
        CHECK(utest_has_tag(pg, utest_tag_of(pg)),
              "child: heap page %d lost its data", i);
      else
        CHECK(utest_page_is_zero(pg), "child: lazy heap page %d not zero", i);
    }
    for (int i = 0; i < 7; i++) {
      if (i == 4)
        continue;
      if (i == 1 || i == 3)
        CHECK(utest_has_tag(AREA(i), utest_tag_of(AREA(i))),
              "child: area page %d lost its data", i);
      else
        CHECK(utest_page_is_zero(AREA(i)), "child: area page %d not zero", i);
    }
    exit(0);
  }
  CHECK(utest_reap(pid) == 0, "child saw wrong memory");
}

static void
fork_child_writes_stay_private(void)
{
  uint64 heap = fork_setup();
  int pid = fork();

  CHECK(pid >= 0, "fork failed");
  if (pid == 0) {
    for (int i = 0; i < FORK_HEAP_PAGES; i++)
      utest_put_tag(heap + i * PGSIZE, (heap + i * PGSIZE) ^ CHILD_SALT);
    for (int i = 0; i < 4; i++)
      utest_put_tag(AREA(i), AREA(i) ^ CHILD_SALT);
    exit(0);
  }
  CHECK(utest_reap(pid) == 0, "child failed");
  CHECK(utest_has_tag(heap, utest_tag_of(heap)) &&
        utest_has_tag(heap + 2 * PGSIZE, utest_tag_of(heap + 2 * PGSIZE)),
        "child's stores reached the parent's heap");
  CHECK(utest_has_tag(AREA(1), utest_tag_of(AREA(1))) &&
        utest_has_tag(AREA(3), utest_tag_of(AREA(3))),
        "child's stores reached the parent's mapping");
  CHECK(utest_page_is_zero(heap + PGSIZE) && utest_page_is_zero(AREA(0)),
        "child's stores reached a page lazy in the parent");
}

static void
fork_copies_regions_with_their_prot(void)
{
  struct memstat before;

  fork_setup();
  utest_snap(&before);
  int pid = utest_fork_counted();
  if (pid == 0) {
    struct memstat m;
    utest_snap(&m);
    CHECK(m.nodes_free == before.nodes_free - 2, "child holds %d more "
          "nodes, parent has 2 regions", (int)(before.nodes_free - m.nodes_free));
    utest_expect_access_kills(AREA(5), UTEST_STORE,
                              "child's store to a READ page");
    utest_expect_access_kills(AREA(4), UTEST_LOAD,
                              "child's load from the hole");
    utest_expect_map_fails(AREA(2), PGSIZE, RW, MAP_FLAGS,
                           "child: over a region");
    utest_unmap(AREA(0), 4);
    exit(0);
  }
  CHECK(utest_reap(pid) == 0, "child failed");
  CHECK(utest_has_tag(AREA(1), utest_tag_of(AREA(1))),
        "child's munmap reached the parent");
  utest_expect_map_fails(AREA(2), PGSIZE, RW, MAP_FLAGS,
                         "over a region the child unmapped");
}

int
main(int argc, char **argv)
{
  static const struct utest cases[] = {
    { "mmap_first_fit_takes_the_lowest_gap_that_fits",
      mmap_first_fit_takes_the_lowest_gap_that_fits },
    { "mmap_rounds_length_up_to_whole_pages",
      mmap_rounds_length_up_to_whole_pages },
    { "mmap_at_a_fixed_address_returns_that_address",
      mmap_at_a_fixed_address_returns_that_address },
    { "mmap_over_a_mapped_range_fails", mmap_over_a_mapped_range_fails },
    { "mmap_rejects_unaligned_address", mmap_rejects_unaligned_address },
    { "mmap_rejects_zero_length", mmap_rejects_zero_length },
    { "mmap_rejects_ranges_outside_the_area",
      mmap_rejects_ranges_outside_the_area },
    { "mmap_rejects_bad_prot", mmap_rejects_bad_prot },
    { "mmap_rejects_bad_flags", mmap_rejects_bad_flags },
    { "mmap_costs_no_page_until_touched", mmap_costs_no_page_until_touched },
    { "mmap_page_reads_zeros_and_keeps_written_data",
      mmap_page_reads_zeros_and_keeps_written_data },
    { "store_to_read_only_mapping_kills", store_to_read_only_mapping_kills },
    { "call_into_exec_mapping_runs_the_code",
      call_into_exec_mapping_runs_the_code },
    { "jump_into_non_exec_mapping_kills", jump_into_non_exec_mapping_kills },
    { "write_only_mapping_can_be_read", write_only_mapping_can_be_read },
    { "fork_shares_touched_pages_and_leaves_lazy_holes",
      fork_shares_touched_pages_and_leaves_lazy_holes },
    { "fork_child_sees_parent_data_and_zeros_in_lazy_pages",
      fork_child_sees_parent_data_and_zeros_in_lazy_pages },
    { "fork_child_writes_stay_private", fork_child_writes_stay_private },
    { "fork_copies_regions_with_their_prot",
      fork_copies_regions_with_their_prot },
  };

  (void)argc;
  (void)argv;
  return utest_run(cases, NELEM(cases));
}
