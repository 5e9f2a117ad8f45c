/*
 * test_pmem.c: host unit tests of kernel/mm/pmem.c over a heap arena, with
 * pthreads as harts. Built twice by run.sh: under ThreadSanitizer and under
 * AddressSanitizer + UBSan.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "mm/mm.h"
#include "shim.h"

#define ARENA_BYTES (2UL << 20)
#define THREADS 8
#define ROUNDS 4000
#define HELD_MAX 16

static uint8_t *arena;

static void
fresh_pmem(void)
{
  pmem_init((uint64)(uintptr_t)arena, (uint64)(uintptr_t)arena + ARENA_BYTES);
}

static void
init_puts_every_page_on_the_free_list(void)
{
  struct memstat m;

  fresh_pmem();
  pmem_stat(&m);
  CHECK(m.pages_total > 0 && m.pages_free == m.pages_total,
        "%llu free of %llu", m.pages_free, m.pages_total);
  /* The records take a few pages; everything else is managed. */
  CHECK(m.pages_total >= ARENA_BYTES / PGSIZE - 8, "only %llu pages", m.pages_total);
  for (int k = 1; k < PMEM_NKINDS; k++)
    CHECK(m.pages_by_kind[k] == 0, "kind %d has %llu pages", k, m.pages_by_kind[k]);
}

static void
alloc_gives_a_zeroed_page_with_kind_and_owner(void)
{
  fresh_pmem();
  uint8_t *p = pmem_alloc(PMEM_USER, 42);
  CHECK(p != NULL, "NULL");
  if (p == NULL)
    return;
  CHECK(((uintptr_t)p & (PGSIZE - 1)) == 0, "page %p not aligned", (void *)p);
  for (unsigned i = 0; i < PGSIZE; i++)
    CHECK(p[i] == 0, "byte %u is %x", i, p[i]);
  CHECK(pmem_kind(p) == PMEM_USER && pmem_owner(p) == 42,
        "kind %d owner %d", pmem_kind(p), pmem_owner(p));
  struct memstat m;
  pmem_stat(&m);
  CHECK(m.pages_by_kind[PMEM_USER] == 1 && m.pages_free == m.pages_total - 1,
        "user %llu free %llu", m.pages_by_kind[PMEM_USER], m.pages_free);
  pmem_free(p);
}

static void
free_fills_the_page_with_poison(void)
{
  fresh_pmem();
  uint8_t *p = pmem_alloc(PMEM_OTHER, 0);
  memset(p, 0x11, PGSIZE);
  pmem_free(p);
  for (unsigned i = 0; i < PGSIZE; i++)
    CHECK(p[i] == PMEM_POISON_BYTE, "byte %u is %x after free", i, p[i]);
  CHECK(pmem_kind(p) == PMEM_FREE, "kind %d after free", pmem_kind(p));
}

static void
free_list_is_lifo(void)
{
  fresh_pmem();
  void *a = pmem_alloc(PMEM_OTHER, 0);
  void *b = pmem_alloc(PMEM_OTHER, 0);
  pmem_free(a);
  pmem_free(b);
  CHECK(pmem_alloc(PMEM_OTHER, 0) == b, "last freed page not handed out first");
  CHECK(pmem_alloc(PMEM_OTHER, 0) == a, "second page not the one freed before");
}

static void
exhaustion_returns_null_and_free_restores_the_count(void)
{
  fresh_pmem();
  struct memstat before, after;
  pmem_stat(&before);
  void **pages = calloc(before.pages_free, sizeof(void *));
  uint64 n = 0;
  void *p;
  while ((p = pmem_alloc(PMEM_PIPE, 1)) != NULL)
    pages[n++] = p;
  CHECK(n == before.pages_free, "got %llu of %llu pages", n, before.pages_free);
  CHECK(pmem_alloc(PMEM_PIPE, 1) == NULL, "alloc after exhaustion not NULL");
  while (n > 0)
    pmem_free(pages[--n]);
  pmem_stat(&after);
  CHECK(after.pages_free == before.pages_free && after.pages_by_kind[PMEM_PIPE] == 0,
        "free %llu pipe %llu after refill", after.pages_free,
        after.pages_by_kind[PMEM_PIPE]);
  free(pages);
}

/* Runs fn expecting a panic whose message contains want. */
static void
expect_panic(void (*fn)(void *), void *arg, const char *want)
{
  static jmp_buf env;

  if (setjmp(env) == 0) {
    shim_expect_panic(&env);
    fn(arg);
    shim_expect_panic(NULL);
    CHECK(0, "no panic, wanted '%s'", want);
  } else {
    CHECK(strstr(shim_panic_msg, want) != NULL, "panic '%s', wanted '%s'",
          shim_panic_msg, want);
  }
}

static void do_free(void *p) { pmem_free(p); }

static void
double_free_panics(void)
{
  fresh_pmem();
  void *p = pmem_alloc(PMEM_OTHER, 0);
  pmem_free(p);
  expect_panic(do_free, p, "double free");
}

static void
free_of_foreign_or_unaligned_address_panics(void)
{
  static char outside[16];

  fresh_pmem();
  uint8_t *p = pmem_alloc(PMEM_OTHER, 0);
  expect_panic(do_free, outside, "not a managed page");
  expect_panic(do_free, p + 8, "not a managed page");
  pmem_free(p);
}

static void
write_after_free_is_caught_at_the_next_alloc(void)
{
  fresh_pmem();
  uint64 *p = pmem_alloc(PMEM_OTHER, 0);
  pmem_free(p);
  p[7] = 1;
  jmp_buf env;
  if (setjmp(env) == 0) {
    shim_expect_panic(&env);
    pmem_alloc(PMEM_OTHER, 0);
    shim_expect_panic(NULL);
    CHECK(0, "no panic");
  } else {
    CHECK(strstr(shim_panic_msg, "written at offset 56") != NULL, "panic '%s'",
          shim_panic_msg);
  }
}

/* ---- many threads ---- */

static uint8_t owner_of[ARENA_BYTES / PGSIZE];   /* atomic: thread + 1, 0 free */
static int worker_errors;

/* Marks page p thread t's, counting an error if another thread holds it. */
static void
claim(uint64 *p, int t)
{
  size_t idx = ((uintptr_t)p - (uintptr_t)arena) / PGSIZE;
  uint8_t expect = 0;

  if (!__atomic_compare_exchange_n(&owner_of[idx], &expect, (uint8_t)(t + 1), 0,
                                   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
    __atomic_add_fetch(&worker_errors, 1, __ATOMIC_RELAXED);
}

/* Clears p's mark, then frees it. */
static void
unclaim_and_free(uint64 *p)
{
  size_t idx = ((uintptr_t)p - (uintptr_t)arena) / PGSIZE;

  __atomic_store_n(&owner_of[idx], 0, __ATOMIC_RELEASE);
  pmem_free(p);
}

static void *
worker(void *arg)
{
  int t = (int)(intptr_t)arg;
  uint64 rng = 0x1234567ULL * (t + 1);
  uint64 *held[HELD_MAX];
  int nheld = 0;

  shim_set_hart(t);
  for (int r = 0; r < ROUNDS || nheld > 0; r++) {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    int take = r < ROUNDS && (nheld == 0 || (nheld < HELD_MAX && (rng >> 33) & 1));
    if (take) {
      uint64 *p = pmem_alloc(PMEM_OTHER, t + 1);
      if (p == NULL)
        continue;
      claim(p, t);
      for (unsigned w = 0; w < PGSIZE / 8; w++)
        p[w] = ((uint64)t << 32) | w;
      held[nheld++] = p;
    } else {
      int k = (int)((rng >> 40) % (uint64)nheld);
      uint64 *p = held[k];
      for (unsigned w = 0; w < PGSIZE / 8; w++)
        if (p[w] != (((uint64)t << 32) | w)) {
          __atomic_add_fetch(&worker_errors, 1, __ATOMIC_RELAXED);
          break;
        }
      unclaim_and_free(p);
      held[k] = held[--nheld];
    }
  }
  return NULL;
}

static void
threads_never_share_a_page_and_counts_return(void)
{
  pthread_t th[THREADS];
  struct memstat before, after;

  fresh_pmem();
  memset(owner_of, 0, sizeof(owner_of));
  worker_errors = 0;
  pmem_stat(&before);
  for (int t = 0; t < THREADS; t++)
    pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t);
  for (int t = 0; t < THREADS; t++)
    pthread_join(th[t], NULL);
  pmem_stat(&after);
  CHECK(worker_errors == 0, "%d pages shared or overwritten", worker_errors);
  CHECK(after.pages_free == before.pages_free && after.pages_by_kind[PMEM_OTHER] == 0,
        "free %llu -> %llu", before.pages_free, after.pages_free);
}

/* ---- per-hart caches ---- */

#define MAX_PAGES (ARENA_BYTES / PGSIZE)
static void *all[MAX_PAGES];

/* Pages freed on one hart sit in its cache (and the shared list): another
 * hart still gets every one of them, the cached ones last, by taking them
 * from that cache; pages_free counts the cached pages all along. */
static void
a_page_in_another_harts_cache_is_not_lost(void)
{
  struct memstat m;
  int n = 0, again = 0;

  fresh_pmem();
  shim_set_hart(0);
  while ((all[n] = pmem_alloc(PMEM_OTHER, 1)) != NULL)
    n++;
  shim_set_hart(1);
  for (int i = 0; i < n; i++)
    pmem_free(all[i]);
  pmem_stat(&m);
  CHECK(m.pages_free == (uint64)n && m.pages_by_kind[PMEM_OTHER] == 0,
        "after freeing %d pages on hart 1: %llu free, %llu in use", n, m.pages_free,
        m.pages_by_kind[PMEM_OTHER]);
  shim_set_hart(2);
  while ((all[again] = pmem_alloc(PMEM_OTHER, 2)) != NULL)
    again++;
  CHECK(again == n, "hart 2 got %d of the %d pages", again, n);
  for (int i = 0; i < again; i++)
    pmem_free(all[i]);
  shim_set_hart(0);
  pmem_stat(&m);
  CHECK(m.pages_free == m.pages_total, "%llu free of %llu", m.pages_free, m.pages_total);
}

/* Pages handed from thread to thread (allocated on one hart, freed on
 * another) through a shared stack: the caches' counts stay exact and no
 * page is ever handed out twice. */
static pthread_mutex_t handoff_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64 *handoff[THREADS * HELD_MAX];
static int nhandoff;

static void *
handoff_worker(void *arg)
{
  int t = (int)(intptr_t)arg;

  shim_set_hart(t);
  for (int r = 0; r < ROUNDS; r++) {
    uint64 *p = NULL;
    if (r % 2 == 0 && (p = pmem_alloc(PMEM_PIPE, t + 1)) != NULL) {
      claim(p, t);
      p[0] = (uint64)t;
      pthread_mutex_lock(&handoff_lock);
      if (nhandoff < (int)(sizeof(handoff) / sizeof(handoff[0]))) {
        handoff[nhandoff++] = p;
        p = NULL;
      }
      pthread_mutex_unlock(&handoff_lock);
    } else {
      pthread_mutex_lock(&handoff_lock);
      if (nhandoff > 0)
        p = handoff[--nhandoff];
      pthread_mutex_unlock(&handoff_lock);
    }
    if (p != NULL) {
      unclaim_and_free(p);
    }
  }
  return NULL;
}

static void
pages_freed_on_other_harts_keep_the_counts_exact(void)
{
  pthread_t th[THREADS];
  struct memstat before, after;

  fresh_pmem();
  memset(owner_of, 0, sizeof(owner_of));
  worker_errors = 0;
  nhandoff = 0;
  pmem_stat(&before);
  for (int t = 0; t < THREADS; t++)
    pthread_create(&th[t], NULL, handoff_worker, (void *)(intptr_t)t);
  for (int t = 0; t < THREADS; t++)
    pthread_join(th[t], NULL);
  while (nhandoff > 0)
    pmem_free(handoff[--nhandoff]);
  pmem_stat(&after);
  CHECK(worker_errors == 0, "%d pages handed out twice", worker_errors);
  CHECK(after.pages_free == before.pages_free && after.pages_by_kind[PMEM_PIPE] == 0,
        "free %llu -> %llu, pipe pages %llu", before.pages_free, after.pages_free,
        after.pages_by_kind[PMEM_PIPE]);
  uint64 sum = 0;
  for (int k = 0; k < PMEM_NKINDS; k++)
    sum += after.pages_by_kind[k];
  CHECK(sum == after.pages_total, "the kinds add up to %llu of %llu", sum,
        after.pages_total);
}

int
main(void)
{
  static const struct harness_case cases[] = {
    { "pmem_init_puts_every_page_on_the_free_list", init_puts_every_page_on_the_free_list },
    { "pmem_alloc_gives_a_zeroed_page_with_kind_and_owner",
      alloc_gives_a_zeroed_page_with_kind_and_owner },
    { "pmem_free_fills_the_page_with_poison", free_fills_the_page_with_poison },
    { "pmem_free_list_is_lifo", free_list_is_lifo },
    { "pmem_exhaustion_returns_null_and_free_restores_the_count",
      exhaustion_returns_null_and_free_restores_the_count },
    { "pmem_double_free_panics", double_free_panics },
    { "pmem_free_of_foreign_or_unaligned_address_panics",
      free_of_foreign_or_unaligned_address_panics },
    { "pmem_write_after_free_is_caught_at_the_next_alloc",
      write_after_free_is_caught_at_the_next_alloc },
    { "pmem_threads_never_share_a_page_and_counts_return",
      threads_never_share_a_page_and_counts_return },
    { "pmem_a_page_in_another_harts_cache_is_not_lost",
      a_page_in_another_harts_cache_is_not_lost },
    { "pmem_pages_freed_on_other_harts_keep_the_counts_exact",
      pages_freed_on_other_harts_keep_the_counts_exact },
  };

  arena = aligned_alloc(PGSIZE, ARENA_BYTES);
  int rc = harness_run(cases, sizeof(cases) / sizeof(cases[0]));
  free(arena);
  return rc;
}
