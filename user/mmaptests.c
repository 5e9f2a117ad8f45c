/*
 * mmaptests.c: user tests for anonymous mmap and munmap (DESIGN.md 3-5):
 * placement, argument checks, prot, lazy first touches, trimming and
 * splitting regions, merging of neighbours, an empty region-node pool, and
 * fork of an address space with regions, a heap and lazy holes. Pages and
 * region nodes are checked exactly with memstat. Every case runs in its
 * own child (user/lib/utest.c), which never mmaps before the case, so the
 * mmap area starts empty. Accesses that must kill run in a grandchild;
 * every child ends with exit(), never by returning.
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
#define PARENT_SALT 0x5a5a0000aaaa5555ULL
#define CHILD_SALT 0x0123456789abcdefULL

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

static void *
map(uint64 va, uint64 len, int prot)
{
  return mmap((void *)va, len, prot, MAP_FLAGS);
}

/* mmap of npages at va, which must succeed there. */
static void
map_at(uint64 va, uint64 npages, int prot)
{
  void *p = map(va, npages * PGSIZE, prot);

  CHECK((uint64)p == va, "mmap of %d pages at %p (prot %d) returned %p",
        (int)npages, (void *)va, prot, p);
}

/* mmap must fail with MAP_FAILED and take no node and no page. */
static void
expect_map_fails(uint64 va, uint64 len, int prot, int flags, const char *what)
{
  struct memstat a, b;

  utest_snap(&a);
  void *p = mmap((void *)va, len, prot, flags);
  utest_snap(&b);
  CHECK(p == MAP_FAILED, "mmap %s returned %p, expected MAP_FAILED", what, p);
  utest_expect_same(&a, &b, what);
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

static void
unmap(uint64 va, uint64 npages)
{
  CHECK(munmap((void *)va, npages * PGSIZE) == 0, "munmap of %d pages at %p "
        "failed", (int)npages, (void *)va);
}

static uint64
tag_of(uint64 page)
{
  return page ^ PARENT_SALT;
}

/* Marks a page at its first and last word, so a page that moved, got
 * zeroed or lost its tail shows. */
static void
put_tag(uint64 page, uint64 tag)
{
  volatile uint64 *w = (volatile uint64 *)utest_opaque(page);

  w[0] = tag;
  w[PGSIZE / sizeof(uint64) - 1] = ~tag;
}

static int
has_tag(uint64 page, uint64 tag)
{
  volatile uint64 *w = (volatile uint64 *)utest_opaque(page);

  return w[0] == tag && w[PGSIZE / sizeof(uint64) - 1] == ~tag;
}

static int
page_is_zero(uint64 page)
{
  volatile uint64 *w = (volatile uint64 *)utest_opaque(page);

  for (uint64 i = 0; i < PGSIZE / sizeof(uint64); i++)
    if (w[i] != 0)
      return 0;
  return 1;
}

/* ---- mmap ---- */

static void
mmap_first_fit_takes_the_lowest_gap_that_fits(void)
{
  uint64 a = (uint64)map(0, 2 * PGSIZE, RW);
  uint64 b = (uint64)map(0, 3 * PGSIZE, PROT_READ);

  CHECK(a == MMAP_BEGIN, "first mmap at %p, expected MMAP_BEGIN %p",
        (void *)a, (void *)MMAP_BEGIN);
  CHECK(b == AREA(2), "second mmap at %p, expected %p", (void *)b,
        (void *)AREA(2));
  unmap(a, 2);
  /* A 2-page gap at the bottom: too small for 3 pages, right for 1. */
  CHECK((uint64)map(0, 3 * PGSIZE, RW) == AREA(5), "3 pages did not go "
        "above the 2-page gap");
  CHECK((uint64)map(0, PGSIZE, RW) == AREA(0), "1 page did not reuse the "
        "lowest gap");
  CHECK((uint64)map(0, PGSIZE, RW) == AREA(1), "1 page did not fill the "
        "rest of the gap");
  CHECK((uint64)map(0, PGSIZE, RW) == AREA(8), "1 page did not go after "
        "the last region");
}

static void
mmap_rounds_length_up_to_whole_pages(void)
{
  CHECK((uint64)map(0, 1, RW) == AREA(0), "mmap of 1 byte not at AREA(0)");
  CHECK((uint64)map(0, PGSIZE + 1, RW) == AREA(1), "mmap of 1 byte did not "
        "take a whole page");
  CHECK((uint64)map(0, 1, RW) == AREA(3), "mmap of PGSIZE+1 bytes did not "
        "take 2 pages");
  utest_store(AREA(1) - 1, 'a');
  utest_store(AREA(3) - 1, 'b');
  CHECK(utest_load(AREA(1) - 1) == 'a' && utest_load(AREA(3) - 1) == 'b',
        "the rounded-up bytes do not hold data");
}

static void
mmap_at_a_fixed_address_returns_that_address(void)
{
  map_at(AREA(100), 2, RW);
  put_tag(AREA(101), tag_of(AREA(101)));
  CHECK(has_tag(AREA(101), tag_of(AREA(101))), "fixed mapping lost data");
  map_at(MMAP_BEGIN, 1, PROT_READ);
  map_at(MMAP_END - 2 * PGSIZE, 2, RW);
  utest_store(MMAP_END - 1, 'e');
  CHECK(utest_load(MMAP_END - 1) == 'e', "last byte of the area lost data");
  /* First fit still finds the lowest gap, between the fixed ones. */
  CHECK((uint64)map(0, PGSIZE, RW) == AREA(1), "mmap(0) after fixed "
        "mappings not at AREA(1)");
}

static void
mmap_over_a_mapped_range_fails(void)
{
  map_at(AREA(4), 4, RW);   /* pages 4..7 */
  expect_map_fails(AREA(4), 4 * PGSIZE, RW, MAP_FLAGS, "over the same range");
  expect_map_fails(AREA(2), 3 * PGSIZE, RW, MAP_FLAGS, "over its first page");
  expect_map_fails(AREA(7), 2 * PGSIZE, RW, MAP_FLAGS, "over its last page");
  expect_map_fails(AREA(5), PGSIZE, PROT_READ, MAP_FLAGS, "inside it");
  expect_map_fails(AREA(2), 8 * PGSIZE, RW, MAP_FLAGS, "around it");
  map_at(AREA(3), 1, PROT_READ);
  map_at(AREA(8), 1, PROT_READ);
}

static void
mmap_rejects_unaligned_address(void)
{
  expect_map_fails(AREA(1) + 1, PGSIZE, RW, MAP_FLAGS, "at page + 1");
  expect_map_fails(AREA(1) + PGSIZE / 2, PGSIZE, RW, MAP_FLAGS,
                   "at page + PGSIZE/2");
  expect_map_fails(AREA(2) - 1, PGSIZE, RW, MAP_FLAGS, "at page - 1");
}

static void
mmap_rejects_zero_length(void)
{
  expect_map_fails(0, 0, RW, MAP_FLAGS, "of 0 bytes at 0");
  expect_map_fails(AREA(0), 0, RW, MAP_FLAGS, "of 0 bytes at MMAP_BEGIN");
}

static void
mmap_rejects_ranges_outside_the_area(void)
{
  struct memstat a, b;
  uint64 heap = PGROUNDUP((uint64)sbrk(0));

  expect_map_fails(MMAP_BEGIN - PGSIZE, PGSIZE, RW, MAP_FLAGS, "below it");
  expect_map_fails(MMAP_BEGIN - PGSIZE, 2 * PGSIZE, RW, MAP_FLAGS,
                   "across MMAP_BEGIN");
  expect_map_fails(MMAP_END - PGSIZE, 2 * PGSIZE, RW, MAP_FLAGS,
                   "across MMAP_END");
  expect_map_fails(MMAP_END, PGSIZE, RW, MAP_FLAGS, "at MMAP_END");
  expect_map_fails(STACK_LIMIT, PGSIZE, RW, MAP_FLAGS, "on the stack");
  expect_map_fails(heap, PGSIZE, RW, MAP_FLAGS, "above the break");
  expect_map_fails(TRAPFRAME, PGSIZE, RW, MAP_FLAGS, "on the trapframe");
  expect_map_fails(-PGSIZE, PGSIZE, RW, MAP_FLAGS, "at the top of 64 bits");
  expect_map_fails(MMAP_BEGIN, -PGSIZE, RW, MAP_FLAGS,
                   "with a length that wraps");
  expect_map_fails(MMAP_BEGIN, (size_t)-1, RW, MAP_FLAGS,
                   "with a length that wraps when rounded up");
  expect_map_fails(0, (size_t)-1, RW, MAP_FLAGS, "of 2^64-1 bytes at 0");
  expect_map_fails(0, (MMAP_PAGES + 1) * PGSIZE, RW, MAP_FLAGS,
                   "of one page more than the area at 0");
  expect_map_fails(MMAP_BEGIN, (MMAP_PAGES + 1) * PGSIZE, RW, MAP_FLAGS,
                   "of one page more than the area at MMAP_BEGIN");

  /* The whole area fits exactly, lazily; after it nothing does. */
  utest_snap(&a);
  CHECK((uint64)map(0, MMAP_PAGES * PGSIZE, RW) == MMAP_BEGIN,
        "mmap of the whole area failed");
  utest_snap(&b);
  CHECK(b.nodes_free == a.nodes_free - 1, "the whole area took %d nodes",
        (int)(a.nodes_free - b.nodes_free));
  utest_expect_cost(&a, &b, 0, "mmap of the whole area");
  expect_map_fails(0, PGSIZE, PROT_READ, MAP_FLAGS, "with the area full");
  unmap(MMAP_BEGIN, MMAP_PAGES);
}

static void
mmap_rejects_bad_prot(void)
{
  expect_map_fails(0, PGSIZE, 0, MAP_FLAGS, "with prot 0");
  expect_map_fails(0, PGSIZE, PROT_BEYOND, MAP_FLAGS, "with prot 8");
  expect_map_fails(0, PGSIZE, PROT_BEYOND << 1, MAP_FLAGS, "with prot 0x10");
  expect_map_fails(0, PGSIZE, PROT_READ | PROT_BEYOND, MAP_FLAGS,
                   "with prot READ|8");
  expect_map_fails(0, PGSIZE, -1, MAP_FLAGS, "with prot -1");
}

static void
mmap_rejects_bad_flags(void)
{
  expect_map_fails(0, PGSIZE, RW, 0, "with flags 0");
  expect_map_fails(0, PGSIZE, RW, MAP_PRIVATE, "with MAP_PRIVATE only");
  expect_map_fails(0, PGSIZE, RW, MAP_ANONYMOUS, "with MAP_ANONYMOUS only");
  expect_map_fails(0, PGSIZE, RW, MAP_FLAGS | LINUX_MAP_SHARED,
                   "with an extra bit 0x01");
  expect_map_fails(0, PGSIZE, RW, MAP_FLAGS | LINUX_MAP_FIXED,
                   "with an extra bit 0x10");
  expect_map_fails(0, PGSIZE, RW, LINUX_MAP_SHARED | MAP_ANONYMOUS,
                   "with 0x01|MAP_ANONYMOUS");
  expect_map_fails(0, PGSIZE, RW, -1, "with flags -1");
}

static void
mmap_costs_no_page_until_touched(void)
{
  struct memstat a, b;

  utest_snap(&a);
  uint64 p = (uint64)map(0, LAZY_PAGES * PGSIZE, RW);
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

  map_at(AREA(0), 2, RW);
  map_at(AREA(2), 1, PROT_READ);
  utest_snap(&a);
  CHECK(page_is_zero(AREA(0)), "fresh RW page is not zero");
  CHECK(page_is_zero(AREA(2)), "fresh PROT_READ page is not zero");
  utest_snap(&b);
  utest_expect_cost(&a, &b, 2, "first loads from 2 mmap pages");
  for (int i = 0; i < 2; i++)
    put_tag(AREA(i), tag_of(AREA(i)));
  for (int i = 0; i < 2; i++)
    CHECK(has_tag(AREA(i), tag_of(AREA(i))), "page %d lost its data", i);
}

static void
store_to_read_only_mapping_kills(void)
{
  map_at(AREA(0), 1, PROT_READ);
  map_at(AREA(1), 1, RX);
  utest_expect_access_kills(AREA(0), UTEST_STORE,
                            "store to an untouched PROT_READ page");
  CHECK(utest_load(AREA(0)) == 0, "PROT_READ page does not read 0");
  utest_expect_access_kills(AREA(0), UTEST_STORE,
                            "store to a touched PROT_READ page");
  utest_expect_access_kills(AREA(1), UTEST_STORE, "store to a READ|EXEC page");
  CHECK(page_is_zero(AREA(0)), "a killed child's store reached the parent");
}

static void
call_into_exec_mapping_runs_the_code(void)
{
  map_at(AREA(0), 1, RWX);
  *(volatile uint32 *)utest_opaque(AREA(0)) = RET_INSN;
  /* The instruction fetch must see the store just made. */
  asm volatile("fence.i" ::: "memory");
  ((void (*)(void))utest_opaque(AREA(0)))();
}

static void
jump_into_non_exec_mapping_kills(void)
{
  map_at(AREA(0), 1, RW);
  map_at(AREA(1), 1, PROT_READ);
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

  map_at(AREA(0), 2, PROT_WRITE);
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

/* ---- munmap ---- */

/* Maps n pages RW at AREA(0) and tags each one. */
static void
map_tagged(int n)
{
  map_at(AREA(0), n, RW);
  for (int i = 0; i < n; i++)
    put_tag(AREA(i), tag_of(AREA(i)));
}

static void
expect_tagged(int from, int to)
{
  for (int i = from; i < to; i++)
    CHECK(has_tag(AREA(i), tag_of(AREA(i))), "page %d lost its data", i);
}

static void
munmap_head_keeps_the_rest(void)
{
  struct memstat a, b;

  map_tagged(4);
  utest_snap(&a);
  unmap(AREA(0), 1);
  utest_snap(&b);
  CHECK(b.nodes_free == a.nodes_free, "trimming the head changed nodes_free "
        "%d -> %d", (int)a.nodes_free, (int)b.nodes_free);
  CHECK(utest_user_pages(&a) - utest_user_pages(&b) == 1,
        "%d user pages freed, expected 1",
        utest_user_pages(&a) - utest_user_pages(&b));
  expect_tagged(1, 4);
  /* The page is free again and comes back new: zero, merged back. */
  map_at(AREA(0), 1, RW);
  CHECK(nodes_free() == (int)a.nodes_free, "remapped head did not merge");
  CHECK(page_is_zero(AREA(0)), "remapped page still holds old data");
}

static void
munmap_tail_keeps_the_rest(void)
{
  struct memstat a, b;

  map_tagged(4);
  utest_snap(&a);
  unmap(AREA(2), 2);
  utest_snap(&b);
  CHECK(b.nodes_free == a.nodes_free, "trimming the tail changed nodes_free "
        "%d -> %d", (int)a.nodes_free, (int)b.nodes_free);
  CHECK(utest_user_pages(&a) - utest_user_pages(&b) == 2,
        "%d user pages freed, expected 2",
        utest_user_pages(&a) - utest_user_pages(&b));
  expect_tagged(0, 2);
  CHECK((uint64)map(0, 2 * PGSIZE, RW) == AREA(2), "the tail is not free");
}

static void
munmap_middle_splits_region_using_one_more_node(void)
{
  struct memstat a, b;

  map_tagged(5);
  utest_snap(&a);
  unmap(AREA(2), 1);
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
  map_at(AREA(2), 1, RW);
  CHECK(nodes_free() == (int)a.nodes_free, "filling the hole did not merge "
        "the halves back");
}

static void
munmap_of_whole_region_returns_node_pages_and_page_tables(void)
{
  struct memstat a, b;

  utest_snap(&a);
  map_at(AREA(0), 3, RW);
  utest_store(AREA(0), 'a');
  utest_store(AREA(2), 'c');
  unmap(AREA(0), 3);
  utest_snap(&b);
  /* Nothing else lives under the level-0 table of the area's first pages
   * (layout.h), so that table goes back too. */
  utest_expect_same(&a, &b, "mmap, touch 2 pages, munmap");
}

static void
munmap_across_two_regions_with_different_prot(void)
{
  struct memstat a, b;

  map_at(AREA(0), 3, RW);
  map_at(AREA(3), 3, PROT_READ);
  for (int i = 0; i < 3; i++)
    put_tag(AREA(i), tag_of(AREA(i)));
  for (int i = 3; i < 6; i++)
    CHECK(page_is_zero(AREA(i)), "PROT_READ page %d not zero", i);
  utest_snap(&a);
  unmap(AREA(2), 2);
  utest_snap(&b);
  CHECK(b.nodes_free == a.nodes_free, "trimming two regions changed "
        "nodes_free %d -> %d", (int)a.nodes_free, (int)b.nodes_free);
  CHECK(utest_user_pages(&a) - utest_user_pages(&b) == 2,
        "%d user pages freed, expected 2",
        utest_user_pages(&a) - utest_user_pages(&b));
  expect_tagged(0, 2);
  CHECK(page_is_zero(AREA(4)) && page_is_zero(AREA(5)), "PROT_READ pages "
        "changed");
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
  map_at(AREA(0), 2, RW);   /* pages 0, 1; page 2 is a hole */
  map_at(AREA(3), 2, RW);   /* pages 3, 4 */
  for (int i = 0; i < 5; i++)
    if (i != 2)
      put_tag(AREA(i), tag_of(AREA(i)));
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
  expect_map_fails(AREA(2), PGSIZE, RW, MAP_FLAGS, "over the page kept");
  map_at(AREA(0), 2, RW);
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

  put_tag(heap, tag_of(heap));
  map_tagged(1);
  map_at(MMAP_END - PGSIZE, 1, RW);
  put_tag(MMAP_END - PGSIZE, tag_of(MMAP_END - PGSIZE));
  expect_unmap_fails(heap, PGSIZE, "of a heap page");
  expect_unmap_fails(MMAP_BEGIN - PGSIZE, 2 * PGSIZE, "across MMAP_BEGIN");
  expect_unmap_fails(MMAP_END - PGSIZE, 2 * PGSIZE, "across MMAP_END");
  expect_unmap_fails(STACK_LIMIT, PGSIZE, "of a stack page");
  expect_unmap_fails(TRAPFRAME, PGSIZE, "of the trapframe");
  expect_unmap_fails(0, PGSIZE, "of page 0");
  expect_unmap_fails(MMAP_BEGIN, -PGSIZE, "with a length that wraps");
  expect_unmap_fails(MMAP_BEGIN, (size_t)-1, "with a length that wraps "
                     "when rounded up");
  CHECK(has_tag(heap, tag_of(heap)), "heap page lost its data");
  expect_tagged(0, 1);
  CHECK(has_tag(MMAP_END - PGSIZE, tag_of(MMAP_END - PGSIZE)),
        "last page of the area lost its data");
}

static void
access_after_munmap_kills(void)
{
  map_tagged(2);
  unmap(AREA(0), 1);
  utest_expect_access_kills(AREA(0), UTEST_LOAD, "load from an unmapped page");
  utest_expect_access_kills(AREA(0), UTEST_STORE, "store to an unmapped page");
  expect_tagged(1, 2);
}

/* ---- merging of neighbours ---- */

static void
adjacent_mmaps_with_equal_prot_share_one_node(void)
{
  int n0 = nodes_free();

  CHECK((uint64)map(0, 2 * PGSIZE, RW) == AREA(0), "mmap failed");
  CHECK((uint64)map(0, 2 * PGSIZE, RW) == AREA(2), "mmap failed");
  map_at(AREA(4), 1, RW);
  CHECK(nodes_free() == n0 - 1, "3 touching RW mmaps use %d nodes",
        n0 - nodes_free());
  /* Merging works downwards too: a region right below another. */
  map_at(AREA(12), 2, PROT_READ);
  map_at(AREA(10), 2, PROT_READ);
  CHECK(nodes_free() == n0 - 2, "READ region below a READ region: %d nodes "
        "in all, expected 2", n0 - nodes_free());
  unmap(AREA(0), 5);
  unmap(AREA(10), 4);
  CHECK(nodes_free() == n0, "nodes_free %d after unmapping all, was %d",
        nodes_free(), n0);
}

static void
adjacent_mmaps_with_different_prot_use_two_nodes(void)
{
  int n0 = nodes_free();

  map_at(AREA(0), 2, RW);
  map_at(AREA(2), 2, PROT_READ);
  CHECK(nodes_free() == n0 - 2, "RW next to READ uses %d nodes",
        n0 - nodes_free());
  map_at(AREA(4), 1, RX);
  CHECK(nodes_free() == n0 - 3, "RW, READ, READ|EXEC use %d nodes",
        n0 - nodes_free());
}

static void
write_only_and_read_write_mappings_merge(void)
{
  int n0 = nodes_free();

  /* PROT_WRITE implies PROT_READ, so these two have equal prot. */
  map_at(AREA(0), 1, PROT_WRITE);
  map_at(AREA(1), 1, RW);
  CHECK(nodes_free() == n0 - 1, "WRITE next to READ|WRITE uses %d nodes",
        n0 - nodes_free());
}

static void
filling_the_gap_between_equal_regions_merges_all_three(void)
{
  int n0 = nodes_free();

  map_at(AREA(0), 2, RW);
  map_at(AREA(3), 2, RW);
  put_tag(AREA(0), tag_of(AREA(0)));
  put_tag(AREA(4), tag_of(AREA(4)));
  CHECK(nodes_free() == n0 - 2, "two RW regions with a gap use %d nodes",
        n0 - nodes_free());
  map_at(AREA(2), 1, RW);
  CHECK(nodes_free() == n0 - 1, "after filling the gap %d nodes are used, "
        "expected 1", n0 - nodes_free());
  CHECK(has_tag(AREA(0), tag_of(AREA(0))) && has_tag(AREA(4), tag_of(AREA(4))),
        "merging lost data");
  unmap(AREA(0), 5);
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
    void *p = map(AREA(4 + made), PGSIZE, prot);
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
  expect_map_fails(far, PGSIZE, RX, MAP_FLAGS, "with the pool empty");
  expect_map_fails(0, PGSIZE, RX, MAP_FLAGS, "(first fit) with the pool empty");
  /* Growing a region by a merge needs no node. */
  int last_prot = (made - 1) % 2 ? RW : PROT_READ;
  map_at(AREA(4 + made), 1, last_prot);
  unmap(AREA(4 + made), 1);

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

  unmap(AREA(0), 3);
  unmap(AREA(4), made);   /* every single-page region in one call */
  utest_snap(&b);
  utest_expect_same(&m0, &b, "after unmapping everything");
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

  put_tag(heap, tag_of(heap));
  put_tag(heap + 2 * PGSIZE, tag_of(heap + 2 * PGSIZE));
  map_at(AREA(0), 4, RW);
  map_at(AREA(5), 2, PROT_READ);
  put_tag(AREA(1), tag_of(AREA(1)));
  put_tag(AREA(3), tag_of(AREA(3)));
  (void)utest_load(AREA(5));
  return heap;
}

static void
fork_copies_touched_pages_but_not_lazy_holes(void)
{
  struct memstat before, after;
  int cost[2], p[2];
  uint64 heap = fork_setup();

  CHECK(pipe(p) == 0, "pipe failed");
  for (int round = 0; round < 2; round++) {
    utest_snap(&before);
    int pid = fork();
    CHECK(pid >= 0, "fork failed");
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
  CHECK(cost[1] == cost[0] + 1, "fork copied %d user pages, then %d after "
        "one more page was touched", cost[0], cost[1]);

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
        CHECK(has_tag(pg, tag_of(pg)), "child: heap page %d lost its data", i);
      else
        CHECK(page_is_zero(pg), "child: lazy heap page %d not zero", i);
    }
    for (int i = 0; i < 7; i++) {
      if (i == 4)
        continue;
      if (i == 1 || i == 3)
        CHECK(has_tag(AREA(i), tag_of(AREA(i))), "child: area page %d lost "
              "its data", i);
      else
        CHECK(page_is_zero(AREA(i)), "child: area page %d not zero", i);
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
      put_tag(heap + i * PGSIZE, (heap + i * PGSIZE) ^ CHILD_SALT);
    for (int i = 0; i < 4; i++)
      put_tag(AREA(i), AREA(i) ^ CHILD_SALT);
    exit(0);
  }
  CHECK(utest_reap(pid) == 0, "child failed");
  CHECK(has_tag(heap, tag_of(heap)) &&
        has_tag(heap + 2 * PGSIZE, tag_of(heap + 2 * PGSIZE)),
        "child's stores reached the parent's heap");
  CHECK(has_tag(AREA(1), tag_of(AREA(1))) && has_tag(AREA(3), tag_of(AREA(3))),
        "child's stores reached the parent's mapping");
  CHECK(page_is_zero(heap + PGSIZE) && page_is_zero(AREA(0)),
        "child's stores reached a page lazy in the parent");
}

static void
fork_copies_regions_with_their_prot(void)
{
  struct memstat before;

  fork_setup();
  utest_snap(&before);
  int pid = fork();
  CHECK(pid >= 0, "fork failed");
  if (pid == 0) {
    struct memstat m;
    utest_snap(&m);
    CHECK(m.nodes_free == before.nodes_free - 2, "child holds %d more "
          "nodes, parent has 2 regions", (int)(before.nodes_free - m.nodes_free));
    utest_expect_access_kills(AREA(5), UTEST_STORE,
                              "child's store to a READ page");
    utest_expect_access_kills(AREA(4), UTEST_LOAD,
                              "child's load from the hole");
    expect_map_fails(AREA(2), PGSIZE, RW, MAP_FLAGS, "child: over a region");
    unmap(AREA(0), 4);
    exit(0);
  }
  CHECK(utest_reap(pid) == 0, "child failed");
  CHECK(has_tag(AREA(1), tag_of(AREA(1))), "child's munmap reached the parent");
  expect_map_fails(AREA(2), PGSIZE, RW, MAP_FLAGS, "over a region the child "
                   "unmapped");
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
    { "fork_copies_touched_pages_but_not_lazy_holes",
      fork_copies_touched_pages_but_not_lazy_holes },
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
