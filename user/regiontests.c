/*
 * regiontests.c: user tests for munmap and the region list behind mmap
 * (DESIGN.md 3-5): trimming and splitting regions, munmap's argument
 * checks, merging of neighbours with equal prot, and an empty region-node
 * pool (mmap itself and fork are in mmaptests.c). Pages and nodes are
 * checked exactly with memstat. Each case runs in its own child
 * (user/lib/utest.c) whose mmap area starts empty; accesses that must kill
 * run in a grandchild.
 */
#include "user.h"

#define RW (PROT_READ | PROT_WRITE)
#define RX (PROT_READ | PROT_EXEC)
#define MAP_FLAGS (MAP_PRIVATE | MAP_ANONYMOUS)

/* Page i of the mmap area, as an address. */
#define AREA(i) (MMAP_BEGIN + (uint64)(i) * PGSIZE)

/* ---- helpers ---- */

static int
nodes_free(void)
{
  struct memstat m;

  utest_snap(&m);
  return (int)m.nodes_free;
}

/* munmap must fail with -1 and change nothing. */
static void
expect_unmap_fails(uint64 va, uint64 len, const char *what)
{
  struct memstat a, b;

  utest_snap(&a);
  int rc = munmap((void *)va, len);
  utest_snap(&b);
  CHECK(rc == -1, "munmap %s returned %d, expected -1", what, rc);
  utest_expect_same(&a, &b, what);
}

/* ---- munmap ---- */

/* Maps n pages RW at AREA(0) and tags each one. */
static void
map_tagged(int n)
{
  utest_map_at(AREA(0), n, RW);
  for (int i = 0; i < n; i++)
    utest_put_tag(AREA(i), utest_tag_of(AREA(i)));
}

static void
expect_tagged(int from, int to)
{
  for (int i = from; i < to; i++)
    CHECK(utest_has_tag(AREA(i), utest_tag_of(AREA(i))),
          "page %d lost its data", i);
}

static void
munmap_head_keeps_the_rest(void)
{
  struct memstat a, b;

  map_tagged(4);
  utest_snap(&a);
  utest_unmap(AREA(0), 1);
  utest_snap(&b);
  CHECK(b.nodes_free == a.nodes_free, "trimming the head changed nodes_free "
        "%d -> %d", (int)a.nodes_free, (int)b.nodes_free);
  CHECK(utest_user_pages(&a) - utest_user_pages(&b) == 1,
        "%d user pages freed, expected 1",
        utest_user_pages(&a) - utest_user_pages(&b));
  expect_tagged(1, 4);
  /* The page is free again and comes back new: zero, merged back. */
  utest_map_at(AREA(0), 1, RW);
  CHECK(nodes_free() == (int)a.nodes_free, "remapped head did not merge");
  CHECK(utest_page_is_zero(AREA(0)), "remapped page still holds old data");
}

static void
munmap_tail_keeps_the_rest(void)
{
  struct memstat a, b;

  map_tagged(4);
  utest_snap(&a);
  utest_unmap(AREA(2), 2);
  utest_snap(&b);
  CHECK(b.nodes_free == a.nodes_free, "trimming the tail changed nodes_free "
        "%d -> %d", (int)a.nodes_free, (int)b.nodes_free);
  CHECK(utest_user_pages(&a) - utest_user_pages(&b) == 2,
        "%d user pages freed, expected 2",
        utest_user_pages(&a) - utest_user_pages(&b));
  expect_tagged(0, 2);
  CHECK((uint64)utest_map(0, 2 * PGSIZE, RW) == AREA(2),
        "the tail is not free");
}

static void
munmap_middle_splits_region_using_one_more_node(void)
{
  struct memstat a, b;

  map_tagged(5);
  utest_snap(&a);
  utest_unmap(AREA(2), 1);
  utest_snap(&b);
  CHECK(b.nodes_free == a.nodes_free - 1, "split changed nodes_free %d -> "
        "%d, expected one node more in use", (int)a.nodes_free,
        (int)b.nodes_free);
  CHECK(utest_user_pages(&a) - utest_user_pages(&b) == 1,
        "%d user pages freed, expected 1",
        utest_user_pages(&a) - utest_user_pages(&b));
  expect_tagged(0, 2);
  expect_tagged(3, 5);
  utest_expect_access_kills(AREA(2), UTEST_LOAD,
                            "load from the hole of a split");
  utest_map_at(AREA(2), 1, RW);
  CHECK(nodes_free() == (int)a.nodes_free, "filling the hole did not merge "
        "the halves back");
}

static void
munmap_of_whole_region_returns_node_pages_and_page_tables(void)
{
  struct memstat a, b;

  utest_snap(&a);
  utest_map_at(AREA(0), 3, RW);
  utest_store(AREA(0), 'a');
  utest_store(AREA(2), 'c');
  utest_unmap(AREA(0), 3);
  utest_snap(&b);
  /* Nothing else lives under the level-0 table of the area's first pages
   * (layout.h), so that table goes back too. */
  utest_expect_same(&a, &b, "mmap, touch 2 pages, munmap");
}

static void
munmap_across_two_regions_with_different_prot(void)
{
  struct memstat a, b;

  utest_map_at(AREA(0), 3, RW);
  utest_map_at(AREA(3), 3, PROT_READ);
  for (int i = 0; i < 3; i++)
    utest_put_tag(AREA(i), utest_tag_of(AREA(i)));
  for (int i = 3; i < 6; i++)
    CHECK(utest_page_is_zero(AREA(i)), "PROT_READ page %d not zero", i);
  utest_snap(&a);
  utest_unmap(AREA(2), 2);
  utest_snap(&b);
  CHECK(b.nodes_free == a.nodes_free, "trimming two regions changed "
        "nodes_free %d -> %d", (int)a.nodes_free, (int)b.nodes_free);
  CHECK(utest_user_pages(&a) - utest_user_pages(&b) == 2,
        "%d user pages freed, expected 2",
        utest_user_pages(&a) - utest_user_pages(&b));
  expect_tagged(0, 2);
  CHECK(utest_page_is_zero(AREA(4)) && utest_page_is_zero(AREA(5)),
        "PROT_READ pages changed");
  utest_expect_access_kills(AREA(2), UTEST_LOAD,
                            "load from the RW part unmapped");
  utest_expect_access_kills(AREA(3), UTEST_LOAD,
                            "load from the READ part unmapped");
  utest_expect_access_kills(AREA(4), UTEST_STORE,
                            "store to the READ part left");
}

static void
munmap_over_an_unmapped_page_fails_and_changes_nothing(void)
{
  expect_unmap_fails(AREA(0), PGSIZE, "with nothing mapped");
  utest_map_at(AREA(0), 2, RW);   /* pages 0, 1; page 2 is a hole */
  utest_map_at(AREA(3), 2, RW);   /* pages 3, 4 */
  for (int i = 0; i < 5; i++)
    if (i != 2)
      utest_put_tag(AREA(i), utest_tag_of(AREA(i)));
  expect_unmap_fails(AREA(0), 5 * PGSIZE, "over both regions and the hole");
  expect_unmap_fails(AREA(1), 3 * PGSIZE, "over the hole and a page each side");
  expect_unmap_fails(AREA(2), PGSIZE, "of the hole alone");
  expect_unmap_fails(AREA(4), 2 * PGSIZE, "past the last region");
  expect_tagged(0, 2);
  expect_tagged(3, 5);
}

static void
munmap_rounds_length_up_to_whole_pages(void)
{
  struct memstat a, b;

  map_tagged(3);
  utest_snap(&a);
  CHECK(munmap((void *)AREA(0), PGSIZE + 1) == 0, "munmap of PGSIZE+1 "
        "bytes failed");
  utest_snap(&b);
  CHECK(utest_user_pages(&a) - utest_user_pages(&b) == 2,
        "munmap of PGSIZE+1 bytes freed %d pages, expected 2",
        utest_user_pages(&a) - utest_user_pages(&b));
  expect_tagged(2, 3);
  utest_expect_map_fails(AREA(2), PGSIZE, RW, MAP_FLAGS, "over the page kept");
  utest_map_at(AREA(0), 2, RW);
}

static void
munmap_rejects_unaligned_address(void)
{
  map_tagged(2);
  expect_unmap_fails(AREA(0) + 1, PGSIZE, "at page + 1");
  expect_unmap_fails(AREA(1) - 1, 2, "at page - 1");
  expect_unmap_fails(AREA(0) + PGSIZE / 2, PGSIZE, "at page + PGSIZE/2");
  expect_tagged(0, 2);
}

static void
munmap_rejects_zero_length(void)
{
  map_tagged(2);
  expect_unmap_fails(AREA(0), 0, "of 0 bytes");
  expect_unmap_fails(AREA(1), 0, "of 0 bytes inside a region");
  expect_tagged(0, 2);
}

static void
munmap_rejects_ranges_outside_the_area(void)
{
  uint64 heap = utest_heap_fresh(1);

  utest_put_tag(heap, utest_tag_of(heap));
  map_tagged(1);
  utest_map_at(MMAP_END - PGSIZE, 1, RW);
  utest_put_tag(MMAP_END - PGSIZE, utest_tag_of(MMAP_END - PGSIZE));
  expect_unmap_fails(heap, PGSIZE, "of a heap page");
  expect_unmap_fails(MMAP_BEGIN - PGSIZE, 2 * PGSIZE, "across MMAP_BEGIN");
  expect_unmap_fails(MMAP_END - PGSIZE, 2 * PGSIZE, "across MMAP_END");
  expect_unmap_fails(STACK_LIMIT, PGSIZE, "of a stack page");
  expect_unmap_fails(TRAPFRAME, PGSIZE, "of the trapframe");
  expect_unmap_fails(0, PGSIZE, "of page 0");
  expect_unmap_fails(MMAP_BEGIN, -PGSIZE, "with a length that wraps");
  expect_unmap_fails(MMAP_BEGIN, (size_t)-1, "with a length that wraps "
                     "when rounded up");
  CHECK(utest_has_tag(heap, utest_tag_of(heap)), "heap page lost its data");
  expect_tagged(0, 1);
  CHECK(utest_has_tag(MMAP_END - PGSIZE, utest_tag_of(MMAP_END - PGSIZE)),
        "last page of the area lost its data");
}

static void
access_after_munmap_kills(void)
{
  map_tagged(2);
  utest_unmap(AREA(0), 1);
  utest_expect_access_kills(AREA(0), UTEST_LOAD, "load from an unmapped page");
  utest_expect_access_kills(AREA(0), UTEST_STORE, "store to an unmapped page");
  expect_tagged(1, 2);
}

/* ---- merging of neighbours ---- */

static void
adjacent_mmaps_with_equal_prot_share_one_node(void)
{
  int n0 = nodes_free();

  CHECK((uint64)utest_map(0, 2 * PGSIZE, RW) == AREA(0), "mmap failed");
  CHECK((uint64)utest_map(0, 2 * PGSIZE, RW) == AREA(2), "mmap failed");
  utest_map_at(AREA(4), 1, RW);
  CHECK(nodes_free() == n0 - 1, "3 touching RW mmaps use %d nodes",
        n0 - nodes_free());
  /* Merging works downwards too: a region right below another. */
  utest_map_at(AREA(12), 2, PROT_READ);
  utest_map_at(AREA(10), 2, PROT_READ);
  CHECK(nodes_free() == n0 - 2, "READ region below a READ region: %d nodes "
        "in all, expected 2", n0 - nodes_free());
  utest_unmap(AREA(0), 5);
  utest_unmap(AREA(10), 4);
  CHECK(nodes_free() == n0, "nodes_free %d after unmapping all, was %d",
        nodes_free(), n0);
}

static void
adjacent_mmaps_with_different_prot_use_two_nodes(void)
{
  int n0 = nodes_free();

  utest_map_at(AREA(0), 2, RW);
  utest_map_at(AREA(2), 2, PROT_READ);
  CHECK(nodes_free() == n0 - 2, "RW next to READ uses %d nodes",
        n0 - nodes_free());
  utest_map_at(AREA(4), 1, RX);
  CHECK(nodes_free() == n0 - 3, "RW, READ, READ|EXEC use %d nodes",
        n0 - nodes_free());
}

static void
write_only_and_read_write_mappings_merge(void)
{
  int n0 = nodes_free();

  /* PROT_WRITE implies PROT_READ, so these two have equal prot. */
  utest_map_at(AREA(0), 1, PROT_WRITE);
  utest_map_at(AREA(1), 1, RW);
  CHECK(nodes_free() == n0 - 1, "WRITE next to READ|WRITE uses %d nodes",
        n0 - nodes_free());
}

static void
filling_the_gap_between_equal_regions_merges_all_three(void)
{
  int n0 = nodes_free();

  utest_map_at(AREA(0), 2, RW);
  utest_map_at(AREA(3), 2, RW);
  utest_put_tag(AREA(0), utest_tag_of(AREA(0)));
  utest_put_tag(AREA(4), utest_tag_of(AREA(4)));
  CHECK(nodes_free() == n0 - 2, "two RW regions with a gap use %d nodes",
        n0 - nodes_free());
  utest_map_at(AREA(2), 1, RW);
  CHECK(nodes_free() == n0 - 1, "after filling the gap %d nodes are used, "
        "expected 1", n0 - nodes_free());
  CHECK(utest_has_tag(AREA(0), utest_tag_of(AREA(0))) &&
        utest_has_tag(AREA(4), utest_tag_of(AREA(4))),
        "merging lost data");
  utest_unmap(AREA(0), 5);
  CHECK(nodes_free() == n0, "nodes_free %d after unmapping, was %d",
        nodes_free(), n0);
}

/* ---- an empty pool ---- */

static void
empty_pool_fails_mmap_split_and_fork_then_recovers(void)
{
  struct memstat m0, a, b;
  int made = 0;

  utest_snap(&m0);
  map_tagged(3);   /* pages 0..2, one node; page 3 stays a hole */
  /* Single pages of alternating prot never merge: one node each, until
   * the pool (shared by all processes) runs dry. */
  for (;;) {
    CHECK(made <= (int)m0.nodes_total, "mmap worked %d times with only %d "
          "nodes in the pool", made, (int)m0.nodes_total);
    int prot = made % 2 ? RW : PROT_READ;
    void *p = utest_map(AREA(4 + made), PGSIZE, prot);
    if (p == MAP_FAILED)
      break;
    CHECK((uint64)p == AREA(4 + made), "mmap at %p returned %p",
          (void *)AREA(4 + made), p);
    made++;
  }
  utest_snap(&a);
  CHECK(a.nodes_free == 0, "mmap failed with %d nodes free",
        (int)a.nodes_free);
  CHECK(made == (int)m0.nodes_free - 1, "%d single-page regions fit, "
        "expected %d", made, (int)m0.nodes_free - 1);

  uint64 far = AREA(4 + made + 1);   /* touches no region */
  utest_expect_map_fails(far, PGSIZE, RX, MAP_FLAGS, "with the pool empty");
  utest_expect_map_fails(0, PGSIZE, RX, MAP_FLAGS,
                         "(first fit) with the pool empty");
  /* Growing a region by a merge needs no node. */
  int last_prot = (made - 1) % 2 ? RW : PROT_READ;
  utest_map_at(AREA(4 + made), 1, last_prot);
  utest_unmap(AREA(4 + made), 1);

  expect_unmap_fails(AREA(1), PGSIZE, "of a middle page with the pool empty");
  expect_tagged(0, 3);

  utest_snap(&a);
  int pid = fork();
  if (pid == 0)
    exit(0);
  utest_snap(&b);
  if (pid > 0)
    utest_reap(pid);
  CHECK(pid == -1, "fork with the pool empty returned %d", pid);
  CHECK(a.nprocs == b.nprocs, "failed fork left %d processes, was %d",
        (int)b.nprocs, (int)a.nprocs);
  utest_expect_same(&a, &b, "failed fork");

  utest_unmap(AREA(0), 3);
  utest_unmap(AREA(4), made);   /* every single-page region in one call */
  utest_snap(&b);
  utest_expect_same(&m0, &b, "after unmapping everything");
}

int
main(int argc, char **argv)
{
  static const struct utest cases[] = {
    { "munmap_head_keeps_the_rest", munmap_head_keeps_the_rest },
    { "munmap_tail_keeps_the_rest", munmap_tail_keeps_the_rest },
    { "munmap_middle_splits_region_using_one_more_node",
      munmap_middle_splits_region_using_one_more_node },
    { "munmap_of_whole_region_returns_node_pages_and_page_tables",
      munmap_of_whole_region_returns_node_pages_and_page_tables },
    { "munmap_across_two_regions_with_different_prot",
      munmap_across_two_regions_with_different_prot },
    { "munmap_over_an_unmapped_page_fails_and_changes_nothing",
      munmap_over_an_unmapped_page_fails_and_changes_nothing },
    { "munmap_rounds_length_up_to_whole_pages",
      munmap_rounds_length_up_to_whole_pages },
    { "munmap_rejects_unaligned_address", munmap_rejects_unaligned_address },
    { "munmap_rejects_zero_length", munmap_rejects_zero_length },
    { "munmap_rejects_ranges_outside_the_area",
      munmap_rejects_ranges_outside_the_area },
    { "access_after_munmap_kills", access_after_munmap_kills },
    { "adjacent_mmaps_with_equal_prot_share_one_node",
      adjacent_mmaps_with_equal_prot_share_one_node },
    { "adjacent_mmaps_with_different_prot_use_two_nodes",
      adjacent_mmaps_with_different_prot_use_two_nodes },
    { "write_only_and_read_write_mappings_merge",
      write_only_and_read_write_mappings_merge },
    { "filling_the_gap_between_equal_regions_merges_all_three",
      filling_the_gap_between_equal_regions_merges_all_three },
    { "empty_pool_fails_mmap_split_and_fork_then_recovers",
      empty_pool_fails_mmap_split_and_fork_then_recovers },
  };

  (void)argc;
  (void)argv;
  return utest_run(cases, NELEM(cases));
}
