/*
 * test_pool.c: host unit tests of the mmap_region_node pool
 * (kernel/mm/mmap.c), with pthreads as harts. Built under ThreadSanitizer
 * and under AddressSanitizer + UBSan by run.sh.
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "mm/mm.h"
#include "param.h"
#include "shim.h"

#define THREADS 8

static uint64
nodes_free(void)
{
  struct memstat m;
  mmap_stat(&m);
  return m.nodes_free;
}

static void
init_frees_every_node(void)
{
  struct memstat m;

  mmap_init();
  mmap_stat(&m);
  CHECK(m.nodes_total == N_MMAP && m.nodes_free == N_MMAP,
        "%llu free of %llu", m.nodes_free, m.nodes_total);
}

static void
alloc_pops_the_head_and_free_pushes_it(void)
{
  mmap_init();
  struct mmap_region_node *a = mmap_region_alloc();
  struct mmap_region_node *b = mmap_region_alloc();
  struct mmap_region_node *c = mmap_region_alloc();
  CHECK(a && b && c && a != b && b != c && a != c, "three allocs not distinct");
  mmap_region_free(b);
  mmap_region_free(a);
  mmap_region_free(c);
  CHECK(mmap_region_alloc() == c, "head is not the node freed last");
  CHECK(mmap_region_alloc() == a, "second is not the node freed before it");
  CHECK(mmap_region_alloc() == b, "third is not the first node freed");
}

static void
alloc_returns_a_cleared_node(void)
{
  mmap_init();
  struct mmap_region_node *n = mmap_region_alloc();
  n->begin = 0x1000;
  n->npages = 7;
  n->prot = 3;
  mmap_region_free(n);
  n = mmap_region_alloc();
  CHECK(n->begin == 0 && n->npages == 0 && n->prot == 0 && n->next == NULL,
        "reused node keeps old fields");
}

static void
empty_pool_returns_null_and_refills(void)
{
  struct mmap_region_node *all[N_MMAP];

  mmap_init();
  for (int i = 0; i < N_MMAP; i++) {
    all[i] = mmap_region_alloc();
    CHECK(all[i] != NULL, "NULL after %d nodes", i);
  }
  CHECK(mmap_region_alloc() == NULL, "empty pool gave a node");
  CHECK(nodes_free() == 0, "%llu free when empty", nodes_free());
  for (int i = 0; i < N_MMAP; i++)
    if (all[i])
      mmap_region_free(all[i]);
  CHECK(nodes_free() == N_MMAP, "%llu free after refill", nodes_free());
}

static void
expect_free_panics(struct mmap_region_node *n, const char *want)
{
  static jmp_buf env;

  if (setjmp(env) == 0) {
    shim_expect_panic(&env);
    mmap_region_free(n);
    shim_expect_panic(NULL);
    CHECK(0, "no panic, wanted '%s'", want);
  } else {
    CHECK(strstr(shim_panic_msg, want) != NULL, "panic '%s', wanted '%s'",
          shim_panic_msg, want);
  }
}

static void
double_free_panics(void)
{
  mmap_init();
  struct mmap_region_node *n = mmap_region_alloc();
  mmap_region_free(n);
  expect_free_panics(n, "double free");
  mmap_init();   /* the panic left the pool lock held */
}

static void
free_of_a_foreign_or_interior_pointer_panics(void)
{
  static struct mmap_region_node impostor;

  mmap_init();
  struct mmap_region_node *n = mmap_region_alloc();
  expect_free_panics(&impostor, "not a pool node");
  expect_free_panics((struct mmap_region_node *)((char *)n + 8), "not a pool node");
  mmap_region_free(n);
}

/* ---- many threads ---- */

static struct mmap_region_node *taken[THREADS][N_MMAP];
static int ntaken[THREADS];
static int seen[N_MMAP];
static pthread_barrier_t barrier;

static void *
drainer(void *arg)
{
  int t = (int)(intptr_t)arg;
  struct mmap_region_node *n;

  shim_set_hart(t);
  pthread_barrier_wait(&barrier);
  while ((n = mmap_region_alloc()) != NULL) {
    n->begin = (uint64)t;            /* use it, so TSan sees ownership move */
    __atomic_add_fetch(&seen[mmap_region_index(n)], 1, __ATOMIC_RELAXED);
    taken[t][ntaken[t]++] = n;
  }
  pthread_barrier_wait(&barrier);
  for (int i = 0; i < ntaken[t]; i++)
    mmap_region_free(taken[t][i]);
  return NULL;
}

static void
threads_drain_the_pool_and_see_every_node_once(void)
{
  pthread_t th[THREADS];

  mmap_init();
  memset(seen, 0, sizeof(seen));
  memset(ntaken, 0, sizeof(ntaken));
  pthread_barrier_init(&barrier, NULL, THREADS);
  for (int t = 0; t < THREADS; t++)
    pthread_create(&th[t], NULL, drainer, (void *)(intptr_t)t);
  for (int t = 0; t < THREADS; t++)
    pthread_join(th[t], NULL);
  pthread_barrier_destroy(&barrier);
  int total = 0;
  for (int i = 0; i < N_MMAP; i++) {
    CHECK(seen[i] == 1, "node %d handed out %d times", i, seen[i]);
    total += seen[i];
  }
  CHECK(total == N_MMAP, "%d handed out", total);
  CHECK(nodes_free() == N_MMAP, "%llu free after the threads", nodes_free());
}

static void *
churner(void *arg)
{
  int t = (int)(intptr_t)arg;
  struct mmap_region_node *mine[4] = { 0 };
  uint64 rng = (uint64)t * 0x9e3779b97f4a7c15ULL + 1;

  shim_set_hart(t);
  for (int r = 0; r < 20000; r++) {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    int k = (int)((rng >> 33) % 4);
    if (mine[k]) {
      if (mine[k]->begin != (uint64)(t * 4 + k))
        __atomic_add_fetch(&seen[0], 1, __ATOMIC_RELAXED);
      mmap_region_free(mine[k]);
      mine[k] = NULL;
    } else if ((mine[k] = mmap_region_alloc()) != NULL) {
      mine[k]->begin = (uint64)(t * 4 + k);
    }
  }
  for (int k = 0; k < 4; k++)
    if (mine[k])
      mmap_region_free(mine[k]);
  return NULL;
}

static void
threads_churning_a_small_pool_keep_nodes_private(void)
{
  pthread_t th[THREADS];

  mmap_init();
  seen[0] = 0;
  for (int t = 0; t < THREADS; t++)
    pthread_create(&th[t], NULL, churner, (void *)(intptr_t)t);
  for (int t = 0; t < THREADS; t++)
    pthread_join(th[t], NULL);
  CHECK(seen[0] == 0, "%d nodes changed under their holder", seen[0]);
  CHECK(nodes_free() == N_MMAP, "%llu free after the threads", nodes_free());
}

static void
audit_reports_every_free_node_once(void)
{
  struct audit a = { 0 };

  mmap_init();
  struct mmap_region_node *n = mmap_region_alloc();
  mmap_audit(&a);
  CHECK(a.nodes == N_MMAP - 1, "audit saw %d free nodes, %d expected", a.nodes,
        N_MMAP - 1);
  mmap_region_free(n);
}

int
main(void)
{
  static const struct harness_case cases[] = {
    { "pool_init_frees_every_node", init_frees_every_node },
    { "pool_alloc_pops_the_head_and_free_pushes_it", alloc_pops_the_head_and_free_pushes_it },
    { "pool_alloc_returns_a_cleared_node", alloc_returns_a_cleared_node },
    { "pool_empty_returns_null_and_refills", empty_pool_returns_null_and_refills },
    { "pool_double_free_panics", double_free_panics },
    { "pool_free_of_a_foreign_or_interior_pointer_panics",
      free_of_a_foreign_or_interior_pointer_panics },
    { "pool_threads_drain_the_pool_and_see_every_node_once",
      threads_drain_the_pool_and_see_every_node_once },
    { "pool_threads_churning_a_small_pool_keep_nodes_private",
      threads_churning_a_small_pool_keep_nodes_private },
    { "pool_audit_reports_every_free_node_once", audit_reports_every_free_node_once },
  };
  return harness_run(cases, sizeof(cases) / sizeof(cases[0]));
}
