/*
 * test_region.c: host unit tests of the region lists in kernel/mm/mmap.c
 * (mmap_region_find_free, _overlaps, _insert, _remove, _count) over the
 * shared node pool, which holds only N_MMAP = 16 nodes in host builds, so
 * an empty pool is common. These fixed cases spell out the contract in
 * mm.h; test_region_model.c checks random operations against a per-page
 * model of each list. Regions are written in pages from MMAP_BEGIN: "[2,5)rw".
 */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "mm/mm.h"
#include "region_util.h"

/* The list as a string; one static buffer, so single-threaded callers only. */
static const char *
list_str(const struct mmap_region_node *head)
{
  static char buf[1024];

  return list_format(head, buf, sizeof(buf));
}

#define CHECK_LIST(head, want)                                              \
  do {                                                                      \
    const char *got_ = list_str(head);                                      \
    CHECK(strcmp(got_, (want)) == 0, "line %d: list %s, wanted %s",         \
          __LINE__, got_, (want));                                          \
  } while (0)

/* call must return -1 and leave the list and the pool exactly as they were. */
#define CHECK_FAILS_UNCHANGED(head, call)                                   \
  do {                                                                      \
    struct snap before_, after_;                                            \
    char text_[512];                                                        \
    snap_take((head), &before_);                                            \
    uint64 free_ = nodes_free();                                            \
    int r_ = (call);                                                        \
    snap_take((head), &after_);                                             \
    snap_format(&before_, text_, sizeof(text_));                            \
    CHECK(r_ == -1, "line %d: %s returned %d on %s", __LINE__, #call, r_,  \
          text_);                                                           \
    CHECK(snap_equal(&before_, &after_), "line %d: %s changed %s to %s",    \
          __LINE__, #call, text_, list_str(head));                          \
    CHECK(nodes_free() == free_, "line %d: %s: %llu nodes free, was %llu",  \
          __LINE__, #call, nodes_free(), free_);                            \
  } while (0)

/* A list built by inserting each "[b,e)prot" of spec, in order. */
static struct mmap_region_node *
list_make(const char *spec)
{
  struct mmap_region_node *head = NULL;
  unsigned long long b, e;
  char p[4];
  int used;

  for (const char *s = spec;
       sscanf(s, " [%llu,%llu)%3[rwx]%n", &b, &e, p, &used) == 3; s += used) {
    int prot = strcmp(p, "r") == 0 ? R : strcmp(p, "rw") == 0 ? RW : RX;
    CHECK(mmap_region_insert(&head, pg(b), e - b, prot) == 0,
          "building %s: insert [%llu,%llu)%s failed", spec, b, e, p);
  }
  return head;
}

/* ---- fixed cases ---- */

static void
insert_into_an_empty_list_makes_one_region(void)
{
  struct mmap_region_node *head = NULL;

  fresh_pool();
  CHECK(mmap_region_count(head) == 0, "empty list counts %d", mmap_region_count(head));
  CHECK(mmap_region_insert(&head, pg(4), 3, RW) == 0, "insert failed");
  CHECK_LIST(head, "[4,7)rw");
  CHECK(mmap_region_count(head) == 1, "count %d", mmap_region_count(head));
  CHECK(mmap_region_index(head) >= 0, "head is not a pool node");
  CHECK(nodes_free() == N_MMAP - 1, "%llu nodes free", nodes_free());
}

static void
insert_touching_a_region_of_equal_prot_merges(void)
{
  fresh_pool();
  struct mmap_region_node *head = list_make("[0,2)r");
  CHECK(mmap_region_insert(&head, pg(2), 3, R) == 0, "insert after failed");
  CHECK_LIST(head, "[0,5)r");
  CHECK(mmap_region_count(head) == 1, "count %d after merging", mmap_region_count(head));
  CHECK(mmap_region_insert(&head, pg(8), 2, RW) == 0, "insert apart failed");
  CHECK(mmap_region_insert(&head, pg(6), 2, RW) == 0, "insert before failed");
  CHECK_LIST(head, "[0,5)r [6,10)rw");
  CHECK(mmap_region_count(head) == 2, "count %d", mmap_region_count(head));
  CHECK(nodes_free() == N_MMAP - 2, "%llu nodes free", nodes_free());
}

static void
insert_touching_a_region_of_other_prot_stays_separate(void)
{
  fresh_pool();
  struct mmap_region_node *head = list_make("[0,2)r [2,4)rw [4,6)r");
  CHECK_LIST(head, "[0,2)r [2,4)rw [4,6)r");
  CHECK(mmap_region_count(head) == 3, "count %d", mmap_region_count(head));
  /* Equal prot one page apart does not touch. */
  CHECK(mmap_region_insert(&head, pg(7), 1, R) == 0, "insert failed");
  CHECK_LIST(head, "[0,2)r [2,4)rw [4,6)r [7,8)r");
  CHECK(nodes_free() == N_MMAP - 4, "%llu nodes free", nodes_free());
}

static void
insert_filling_the_gap_between_equal_prot_regions_merges_all_three(void)
{
  fresh_pool();
  struct mmap_region_node *head = list_make("[0,2)r [4,6)r [8,9)rx");
  CHECK(nodes_free() == N_MMAP - 3, "%llu nodes free", nodes_free());
  CHECK(mmap_region_insert(&head, pg(2), 2, R) == 0, "insert failed");
  CHECK_LIST(head, "[0,6)r [8,9)rx");
  CHECK(mmap_region_count(head) == 2, "count %d", mmap_region_count(head));
  CHECK(nodes_free() == N_MMAP - 2, "%llu nodes free: the spare node was kept",
        nodes_free());
}

static void
insert_out_of_order_keeps_the_list_sorted(void)
{
  fresh_pool();
  struct mmap_region_node *head =
    list_make("[10,11)r [0,1)rw [5,6)rx [20,21)r [2,3)r");
  CHECK_LIST(head, "[0,1)rw [2,3)r [5,6)rx [10,11)r [20,21)r");
}

static void
find_free_on_an_empty_list_returns_mmap_begin(void)
{
  fresh_pool();
  CHECK(mmap_region_find_free(NULL, 1) == MMAP_BEGIN, "1 page: %#llx",
        mmap_region_find_free(NULL, 1));
  CHECK(mmap_region_find_free(NULL, MMAP_PAGES) == MMAP_BEGIN, "whole area: %#llx",
        mmap_region_find_free(NULL, MMAP_PAGES));
  CHECK(mmap_region_find_free(NULL, MMAP_PAGES + 1) == 0, "more than the area: %#llx",
        mmap_region_find_free(NULL, MMAP_PAGES + 1));
}

static void
find_free_returns_the_lowest_gap_that_fits(void)
{
  static const struct { uint64 npages, want; } fits[] = {
    { 1, 2 }, { 2, 5 }, { 5, 5 }, { 6, 12 }, { MMAP_PAGES - 12, 12 },
  };

  fresh_pool();
  struct mmap_region_node *head = list_make("[0,2)r [3,5)rw [10,12)r");
  for (int i = 0; i < (int)(sizeof(fits) / sizeof(fits[0])); i++) {
    uint64 got = mmap_region_find_free(head, fits[i].npages);
    CHECK(got == pg(fits[i].want), "%llu pages: %#llx, wanted page %llu (%#llx)",
          fits[i].npages, got, fits[i].want, pg(fits[i].want));
  }
  head = list_make("[1,3)r");
  CHECK(mmap_region_find_free(head, 1) == pg(0), "gap before the head missed");
  CHECK(mmap_region_find_free(head, 2) == pg(3), "2 pages: %#llx",
        mmap_region_find_free(head, 2));
}

static void
find_free_returns_0_when_nothing_fits(void)
{
  fresh_pool();
  struct mmap_region_node *head = list_make("[0,2)r [3,5)rw [10,12)r");
  CHECK(mmap_region_find_free(head, MMAP_PAGES - 11) == 0, "one page too many: %#llx",
        mmap_region_find_free(head, MMAP_PAGES - 11));
  CHECK(mmap_region_find_free(head, MMAP_PAGES + 1) == 0, "more than the area");
  struct mmap_region_node *full = NULL;
  CHECK(mmap_region_insert(&full, MMAP_BEGIN, MMAP_PAGES, R) == 0, "whole area");
  CHECK(mmap_region_find_free(full, 1) == 0, "a full area has room");
  CHECK(mmap_region_remove(&full, pg(MMAP_PAGES - 1), 1) == 0, "trim the last page");
  CHECK(mmap_region_find_free(full, 1) == pg(MMAP_PAGES - 1), "last page: %#llx",
        mmap_region_find_free(full, 1));
  CHECK(mmap_region_find_free(full, 2) == 0, "2 pages fit in 1");
}

static void
overlaps_is_1_only_when_a_page_is_shared(void)
{
  static const struct { uint64 begin, npages; int want; } q[] = {
    { 0, 2, 0 }, { 0, 3, 1 }, { 3, 1, 1 }, { 4, 4, 0 }, { 7, 2, 1 },
    { 9, 10, 0 }, { 0, 100, 1 }, { 2, 7, 1 }, { MMAP_PAGES - 1, 1, 0 },
  };

  fresh_pool();
  CHECK(mmap_region_overlaps(NULL, MMAP_BEGIN, MMAP_PAGES) == 0, "empty list overlaps");
  struct mmap_region_node *head = list_make("[2,4)r [8,9)rw");
  for (int i = 0; i < (int)(sizeof(q) / sizeof(q[0])); i++) {
    int got = mmap_region_overlaps(head, pg(q[i].begin), q[i].npages);
    CHECK(got == q[i].want, "[%llu,%llu) gave %d, wanted %d", q[i].begin,
          q[i].begin + q[i].npages, got, q[i].want);
  }
}

static void
remove_at_the_head_of_a_region_trims_it(void)
{
  fresh_pool();
  struct mmap_region_node *head = list_make("[0,10)r");
  CHECK(mmap_region_remove(&head, pg(0), 3) == 0, "remove failed");
  CHECK_LIST(head, "[3,10)r");
  CHECK(nodes_free() == N_MMAP - 1, "%llu nodes free", nodes_free());
}

static void
remove_at_the_tail_of_a_region_trims_it(void)
{
  fresh_pool();
  struct mmap_region_node *head = list_make("[0,10)r");
  CHECK(mmap_region_remove(&head, pg(7), 3) == 0, "remove failed");
  CHECK_LIST(head, "[0,7)r");
  CHECK(nodes_free() == N_MMAP - 1, "%llu nodes free", nodes_free());
}

static void
remove_in_the_middle_splits_with_one_node(void)
{
  fresh_pool();
  struct mmap_region_node *head = list_make("[0,10)r [20,21)rw");
  CHECK(mmap_region_remove(&head, pg(4), 2) == 0, "remove failed");
  CHECK_LIST(head, "[0,4)r [6,10)r [20,21)rw");
  CHECK(mmap_region_count(head) == 3, "count %d", mmap_region_count(head));
  CHECK(nodes_free() == N_MMAP - 3, "%llu nodes free", nodes_free());
}

static void
remove_of_a_whole_region_frees_its_node(void)
{
  fresh_pool();
  struct mmap_region_node *head = list_make("[0,4)r [6,8)rw [10,12)r");
  CHECK(mmap_region_remove(&head, pg(6), 2) == 0, "middle failed");
  CHECK_LIST(head, "[0,4)r [10,12)r");
  CHECK(mmap_region_remove(&head, pg(0), 4) == 0, "head failed");
  CHECK_LIST(head, "[10,12)r");
  CHECK(mmap_region_remove(&head, pg(10), 2) == 0, "last failed");
  CHECK(head == NULL, "list %s left", list_str(head));
  CHECK(nodes_free() == N_MMAP, "%llu nodes free", nodes_free());
}

static void
remove_across_regions_trims_both_ends_and_frees_the_inside(void)
{
  fresh_pool();
  struct mmap_region_node *head = list_make("[0,4)r [4,8)rw");
  CHECK(mmap_region_remove(&head, pg(2), 4) == 0, "across two failed");
  CHECK_LIST(head, "[0,2)r [6,8)rw");
  CHECK(nodes_free() == N_MMAP - 2, "%llu nodes free", nodes_free());

  fresh_pool();
  head = list_make("[0,4)r [4,6)rw [6,10)rx [10,11)r");
  CHECK(mmap_region_remove(&head, pg(3), 4) == 0, "across three failed");
  CHECK_LIST(head, "[0,3)r [7,10)rx [10,11)r");
  CHECK(nodes_free() == N_MMAP - 3, "%llu nodes free", nodes_free());
  CHECK(mmap_region_remove(&head, pg(0), 11) == -1, "the hole [3,7) was removed");
  CHECK(mmap_region_remove(&head, pg(7), 4) == 0, "two whole regions failed");
  CHECK_LIST(head, "[0,3)r");
}

static void
remove_with_an_unmapped_page_fails_and_changes_nothing(void)
{
  fresh_pool();
  struct mmap_region_node *head = list_make("[0,4)r [5,8)r [8,10)rw");
  CHECK_FAILS_UNCHANGED(head, mmap_region_remove(&head, pg(2), 4));
  CHECK_FAILS_UNCHANGED(head, mmap_region_remove(&head, pg(4), 1));
  CHECK_FAILS_UNCHANGED(head, mmap_region_remove(&head, pg(4), 6));
  CHECK_FAILS_UNCHANGED(head, mmap_region_remove(&head, pg(8), 3));
  CHECK_FAILS_UNCHANGED(head, mmap_region_remove(&head, pg(12), 2));
  CHECK_FAILS_UNCHANGED(head, mmap_region_remove(&head, pg(0), 10));
  CHECK_FAILS_UNCHANGED(head, mmap_region_remove(&head, pg(MMAP_PAGES - 1), 2));
  struct mmap_region_node *empty = NULL;
  CHECK_FAILS_UNCHANGED(empty, mmap_region_remove(&empty, pg(0), 1));
}

static void
remove_needing_a_split_with_an_empty_pool_fails_and_changes_nothing(void)
{
  fresh_pool();
  struct mmap_region_node *head = list_make("[0,10)r [10,14)rw");
  pool_drain(0);
  CHECK_FAILS_UNCHANGED(head, mmap_region_remove(&head, pg(4), 2));
  /* Trims need no node. */
  CHECK(mmap_region_remove(&head, pg(0), 1) == 0, "head trim failed");
  CHECK(mmap_region_remove(&head, pg(8), 4) == 0, "trim of two failed");
  CHECK_LIST(head, "[1,8)r [12,14)rw");
  CHECK(nodes_free() == 0, "%llu nodes free", nodes_free());
  /* Freeing a whole region gives the split its node. */
  CHECK(mmap_region_remove(&head, pg(12), 2) == 0, "whole region failed");
  CHECK(nodes_free() == 1, "%llu nodes free", nodes_free());
  CHECK(mmap_region_remove(&head, pg(3), 2) == 0, "split failed");
  CHECK_LIST(head, "[1,3)r [5,8)r");
  CHECK(nodes_free() == 0, "%llu nodes free", nodes_free());
  pool_refill();
}

static void
insert_needing_a_node_with_an_empty_pool_fails_and_changes_nothing(void)
{
  fresh_pool();
  struct mmap_region_node *head = list_make("[0,2)r [10,12)r");
  pool_drain(0);
  CHECK_FAILS_UNCHANGED(head, mmap_region_insert(&head, pg(5), 2, R));
  CHECK_FAILS_UNCHANGED(head, mmap_region_insert(&head, pg(2), 2, RW));
  CHECK_FAILS_UNCHANGED(head, mmap_region_insert(&head, pg(8), 2, RX));
  CHECK_FAILS_UNCHANGED(head, mmap_region_insert(&head, pg(20), 1, R));
  struct mmap_region_node *empty = NULL;
  CHECK_FAILS_UNCHANGED(empty, mmap_region_insert(&empty, pg(0), 1, R));
  pool_refill();
}

static void
insert_extending_a_neighbour_with_an_empty_pool_succeeds(void)
{
  fresh_pool();
  struct mmap_region_node *head = list_make("[0,2)r [10,12)rw");
  pool_drain(0);
  CHECK(mmap_region_insert(&head, pg(2), 2, R) == 0, "extending the end failed");
  CHECK(mmap_region_insert(&head, pg(8), 2, RW) == 0, "extending the begin failed");
  CHECK_LIST(head, "[0,4)r [8,12)rw");
  CHECK(nodes_free() == 0, "%llu nodes free", nodes_free());
  pool_refill();

  fresh_pool();
  head = list_make("[0,2)r [4,6)r");
  pool_drain(0);
  CHECK(mmap_region_insert(&head, pg(2), 2, R) == 0, "filling the gap failed");
  CHECK_LIST(head, "[0,6)r");
  CHECK(nodes_free() == 1, "%llu nodes free after merging three", nodes_free());
  pool_refill();
}

int
main(void)
{
  static const struct harness_case cases[] = {
    { "region_insert_into_an_empty_list_makes_one_region",
      insert_into_an_empty_list_makes_one_region },
    { "region_insert_touching_a_region_of_equal_prot_merges",
      insert_touching_a_region_of_equal_prot_merges },
    { "region_insert_touching_a_region_of_other_prot_stays_separate",
      insert_touching_a_region_of_other_prot_stays_separate },
    { "region_insert_filling_the_gap_between_equal_prot_regions_merges_all_three",
      insert_filling_the_gap_between_equal_prot_regions_merges_all_three },
    { "region_insert_out_of_order_keeps_the_list_sorted",
      insert_out_of_order_keeps_the_list_sorted },
    { "region_find_free_on_an_empty_list_returns_mmap_begin",
      find_free_on_an_empty_list_returns_mmap_begin },
    { "region_find_free_returns_the_lowest_gap_that_fits",
      find_free_returns_the_lowest_gap_that_fits },
    { "region_find_free_returns_0_when_nothing_fits",
      find_free_returns_0_when_nothing_fits },
    { "region_overlaps_is_1_only_when_a_page_is_shared",
      overlaps_is_1_only_when_a_page_is_shared },
    { "region_remove_at_the_head_of_a_region_trims_it",
      remove_at_the_head_of_a_region_trims_it },
    { "region_remove_at_the_tail_of_a_region_trims_it",
      remove_at_the_tail_of_a_region_trims_it },
    { "region_remove_in_the_middle_splits_with_one_node",
      remove_in_the_middle_splits_with_one_node },
    { "region_remove_of_a_whole_region_frees_its_node",
      remove_of_a_whole_region_frees_its_node },
    { "region_remove_across_regions_trims_both_ends_and_frees_the_inside",
      remove_across_regions_trims_both_ends_and_frees_the_inside },
    { "region_remove_with_an_unmapped_page_fails_and_changes_nothing",
      remove_with_an_unmapped_page_fails_and_changes_nothing },
    { "region_remove_needing_a_split_with_an_empty_pool_fails_and_changes_nothing",
      remove_needing_a_split_with_an_empty_pool_fails_and_changes_nothing },
    { "region_insert_needing_a_node_with_an_empty_pool_fails_and_changes_nothing",
      insert_needing_a_node_with_an_empty_pool_fails_and_changes_nothing },
    { "region_insert_extending_a_neighbour_with_an_empty_pool_succeeds",
      insert_extending_a_neighbour_with_an_empty_pool_succeeds },
  };
  return harness_run(cases, sizeof(cases) / sizeof(cases[0]));
}
