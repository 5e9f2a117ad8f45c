/*
 * test_region_model.c: random operations on the region lists of
 * kernel/mm/mmap.c, each checked against a per-page model of its list:
 * 100,000 operations on three lists from one thread, then one list per
 * hart on four threads sharing the pool. The pool holds only N_MMAP = 16
 * nodes in host builds, so an empty pool is common. Every run prints its
 * seed; REGION_SEED in the environment replays another.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "mm/mm.h"
#include "region_util.h"
#include "shim.h"

/* ---- random operations against a model ---- */

#define RAND_SEED 0x5eed2e610bULL   /* REGION_SEED in the environment overrides */
#define RAND_OPS 100000
#define RAND_LISTS 3                /* "processes" sharing the pool */
#define HOT_PAGES 512               /* most ranges start in here */
#define FULL_CHECK_EVERY 1000
#define HART_LISTS 4
#define HART_OPS 25000

struct model {
  struct mmap_region_node *head;
  uint8 prot[MMAP_PAGES];   /* per page of the area: its region's prot, or 0 */
  long runs;                /* maximal runs of equal nonzero prot: nodes due */
};

enum { ST_INS_OK, ST_INS_NONODE, ST_INS_REFUSED, ST_FIT_NONE, ST_RM_OK,
       ST_RM_SPLIT, ST_RM_UNMAPPED, ST_RM_NONODE, NSTATS };
static const char *stat_names[NSTATS] = {
  "insert ok", "insert no node", "insert refused", "find_free none",
  "remove ok", "remove split", "remove unmapped", "remove no node",
};

struct rctx {
  uint64 seed, rng;
  long op;
  int exact;            /* 1: no other thread uses the pool, so results are exact */
  char desc[96];        /* the running operation */
  struct snap before;   /* the list it started from */
  char fail[256];       /* the first failure, or "" */
  long stats[NSTATS];
};

static uint64
rnd(struct rctx *c)   /* splitmix64 */
{
  uint64 z = (c->rng += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static uint64
below(struct rctx *c, uint64 n)
{
  return rnd(c) % n;
}

static char *
model_format(const struct model *m, char *buf, size_t size)
{
  size_t len = 0;

  buf[0] = '\0';
  for (uint64 i = 0; i < MMAP_PAGES && len < size; ) {
    uint64 j = i;
    while (j < MMAP_PAGES && m->prot[j] == m->prot[i])
      j++;
    if (m->prot[i])
      len += snprintf(buf + len, size - len, "%s[%llu,%llu)%s", len ? " " : "",
                      i, j, prot_name(m->prot[i]));
    i = j;
  }
  return buf;
}

static void
rand_fail(struct rctx *c, const struct model *m, int line, const char *fmt, ...)
{
  char msg[160], buf[1024];
  va_list ap;

  if (c->fail[0])
    return;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  snprintf(c->fail, sizeof(c->fail), "seed %#llx op %ld: %s: %s (line %d)",
           c->seed, c->op, c->desc, msg, line);
  /* The reason line is short; the whole picture goes to the log. */
  flockfile(stdout);
  printf("# %s\n", c->fail);
  printf("#   list before: %s\n", snap_format(&c->before, buf, sizeof(buf)));
  printf("#   list after:  %s\n", list_format(m->head, buf, sizeof(buf)));
  printf("#   model now:   %s\n", model_format(m, buf, sizeof(buf)));
  funlockfile(stdout);
}

#define RCHECK(c, m, cond, ...)                                             \
  do {                                                                      \
    if (!(cond))                                                            \
      rand_fail((c), (m), __LINE__, __VA_ARGS__);                           \
  } while (0)

/* Run starts among pages [lo, hi): pages mapped with another prot than the
 * page before. Their total is the node count a fully merged list has. */
static long
model_starts(const struct model *m, uint64 lo, uint64 hi)
{
  long n = 0;

  if (hi > MMAP_PAGES)
    hi = MMAP_PAGES;
  for (uint64 i = lo; i < hi; i++)
    if (m->prot[i] && (i == 0 || m->prot[i - 1] != m->prot[i]))
      n++;
  return n;
}

/* Pages [b, e) (inside the area) become prot; only starts in [b, e] move. */
static void
model_set(struct model *m, uint64 b, uint64 e, int prot)
{
  m->runs -= model_starts(m, b, e + 1);
  memset(&m->prot[b], prot, e - b);
  m->runs += model_starts(m, b, e + 1);
}

/* 1 if some page of [b, e) is mapped; pages past the area never are. */
static int
model_any(const struct model *m, uint64 b, uint64 e)
{
  if (e > MMAP_PAGES)
    e = MMAP_PAGES;
  for (uint64 i = b; i < e; i++)
    if (m->prot[i])
      return 1;
  return 0;
}

static int
model_all(const struct model *m, uint64 b, uint64 e)
{
  if (e > MMAP_PAGES)
    return 0;
  for (uint64 i = b; i < e; i++)
    if (!m->prot[i])
      return 0;
  return 1;
}

/* The lowest page starting npages unmapped pages, or -1. */
static int64
model_fit(const struct model *m, uint64 npages)
{
  uint64 run = 0;

  for (uint64 i = 0; i < MMAP_PAGES; i++) {
    run = m->prot[i] ? 0 : run + 1;
    if (run == npages)
      return (int64)(i + 1 - npages);
  }
  return -1;
}

/* Pages [*cur, min(to, hi)) of the model must all be prot; advances *cur. */
static int
verify_cover(struct rctx *c, const struct model *m, uint64 *cur, uint64 to,
             uint64 hi, int prot)
{
  for (; *cur < hi && *cur < to; (*cur)++)
    if (m->prot[*cur] != prot) {
      rand_fail(c, m, __LINE__, "page %llu is %s in the list, %s in the model",
                *cur, prot_name(prot), prot_name(m->prot[*cur]));
      return -1;
    }
  return 0;
}

/* Checks the shape of m's list (sorted, apart, in the area, pool nodes in
 * use, fully merged) and that over pages [lo, hi) it maps exactly what the
 * model does. Returns the number of nodes, or -1 after a failure. */
static int
verify_list(struct rctx *c, const struct model *m, uint64 lo, uint64 hi)
{
  char seen[N_MMAP] = { 0 };
  uint64 cur = lo, prev_end = 0;
  int n = 0, prev_prot = 0;

  if (hi > MMAP_PAGES)
    hi = MMAP_PAGES;
  for (const struct mmap_region_node *r = m->head; r != NULL; r = r->next, n++) {
    int idx = mmap_region_index(r);
    if (idx < 0 || seen[idx] || !r->in_use) {
      rand_fail(c, m, __LINE__, "node %d of the list: pool index %d, %s", n, idx,
                idx < 0 ? "not a pool node" : seen[idx] ? "seen twice" : "free");
      return -1;
    }
    seen[idx] = 1;
    uint64 b = (r->begin - MMAP_BEGIN) / PGSIZE, e = b + r->npages;
    if (r->begin % PGSIZE || r->begin < MMAP_BEGIN || r->npages < 1 ||
        r->npages > MMAP_PAGES || e > MMAP_PAGES ||
        (r->prot != R && r->prot != RW && r->prot != RX)) {
      rand_fail(c, m, __LINE__, "node %d: begin %#llx npages %llu prot %d", n,
                r->begin, r->npages, r->prot);
      return -1;
    }
    if (n > 0 && (b < prev_end || (b == prev_end && r->prot == prev_prot))) {
      rand_fail(c, m, __LINE__, "node %d [%llu,%llu)%s %s the one before", n, b, e,
                prot_name(r->prot), b < prev_end ? "overlaps or precedes" :
                "touches, with equal prot, unmerged,");
      return -1;
    }
    if (verify_cover(c, m, &cur, b, hi, 0) || verify_cover(c, m, &cur, e, hi, r->prot))
      return -1;
    prev_end = e;
    prev_prot = r->prot;
  }
  if (verify_cover(c, m, &cur, hi, hi, 0))
    return -1;
  int count = mmap_region_count(m->head);
  RCHECK(c, m, count == n && n == m->runs, "mmap_region_count %d, list has %d, "
         "model wants %ld", count, n, m->runs);
  return n;
}

/* The list must be what it was when the operation began (it failed). */
static void
verify_unchanged(struct rctx *c, const struct model *m)
{
  struct snap now;

  snap_take(m->head, &now);
  RCHECK(c, m, snap_equal(&c->before, &now), "returned -1 but changed the list");
}

/* Mostly short ranges near MMAP_BEGIN, sometimes near or past MMAP_END,
 * sometimes anywhere, a few longer than the area. */
static void
pick_range(struct rctx *c, uint64 *b, uint64 *n)
{
  uint64 r = below(c, 100);

  *b = r < 80 ? below(c, HOT_PAGES) :
       r < 90 ? MMAP_PAGES - 1 - below(c, 128) : below(c, MMAP_PAGES);
  r = below(c, 100);
  *n = r < 85 ? 1 + below(c, 64) :
       r < 97 ? 1 + below(c, HOT_PAGES) : 1 + below(c, MMAP_PAGES + 8);
}

/* A range inside, or starting inside, one of the list's regions. */
static void
pick_in_list(struct rctx *c, const struct model *m, uint64 *b, uint64 *n)
{
  const struct mmap_region_node *r = m->head;

  for (uint64 k = below(c, m->runs); k > 0; k--)
    r = r->next;
  uint64 rb = (r->begin - MMAP_BEGIN) / PGSIZE, re = rb + r->npages;
  switch (below(c, 4)) {
  case 0:
    *b = rb;
    *n = r->npages;
    break;
  case 3:   /* spills into the next region or a hole */
    *b = rb + below(c, r->npages);
    *n = 1 + below(c, re - *b + 16);
    break;
  default:
    *b = rb + below(c, r->npages);
    *n = 1 + below(c, re - *b);
  }
}

/* What mmap does with a fixed address: check, then insert if allowed. */
static void
rand_insert(struct rctx *c, struct model *m, uint64 b, uint64 n, int prot)
{
  uint64 e = b + n;
  int over = mmap_region_overlaps(m->head, pg(b), n);

  RCHECK(c, m, over == model_any(m, b, e), "overlaps gave %d", over);
  if (over || e > MMAP_PAGES) {
    c->stats[ST_INS_REFUSED]++;
    return;
  }
  int merges = (b > 0 && m->prot[b - 1] == prot) ||
               (e < MMAP_PAGES && m->prot[e] == prot);
  uint64 nfree = nodes_free();
  int got = mmap_region_insert(&m->head, pg(b), n, prot);
  if (c->exact) {
    int want = merges || nfree > 0 ? 0 : -1;
    RCHECK(c, m, got == want, "insert returned %d, wanted %d (%llu nodes free, "
           "%s a neighbour)", got, want, nfree, merges ? "extends" : "extends no");
  } else {
    RCHECK(c, m, got == 0 || (got == -1 && !merges), "insert returned %d, needing "
           "%s node", got, merges ? "no" : "a");
  }
  if (got == 0) {
    model_set(m, b, e, prot);
    c->stats[ST_INS_OK]++;
  } else {
    verify_unchanged(c, m);
    c->stats[ST_INS_NONODE]++;
  }
  verify_list(c, m, b > 0 ? b - 1 : 0, e + 1);
}

/* What mmap does with addr 0: the lowest gap that fits. */
static void
rand_fit(struct rctx *c, struct model *m, int prot)
{
  uint64 n = below(c, 10) ? 1 + below(c, 64) : 1 + below(c, MMAP_PAGES + 2);
  int64 want = model_fit(m, n);
  uint64 got = mmap_region_find_free(m->head, n);

  RCHECK(c, m, got == (want < 0 ? 0 : pg(want)), "find_free(%llu) gave %#llx "
         "(page %lld), wanted page %lld", n, got,
         got ? (long long)((got - MMAP_BEGIN) / PGSIZE) : -1LL, (long long)want);
  if (want < 0) {
    c->stats[ST_FIT_NONE]++;
    return;
  }
  if (got == pg(want))
    rand_insert(c, m, want, n, prot);
}

static void
rand_remove(struct rctx *c, struct model *m, uint64 b, uint64 n)
{
  uint64 e = b + n;
  int over = mmap_region_overlaps(m->head, pg(b), n);

  RCHECK(c, m, over == model_any(m, b, e), "overlaps gave %d", over);
  int mapped = model_all(m, b, e);
  /* The range is strictly inside one region iff the pages on both sides
   * carry the same prot as all of it: regions are fully merged runs. */
  int split = mapped && b > 0 && e < MMAP_PAGES && m->prot[b - 1] != 0;
  for (uint64 i = b; split && i <= e; i++)
    split = m->prot[i] == m->prot[b - 1];
  uint64 nfree = nodes_free();
  int got = mmap_region_remove(&m->head, pg(b), n);
  if (!mapped || c->exact) {
    int want = !mapped || (split && nfree == 0) ? -1 : 0;
    RCHECK(c, m, got == want, "remove returned %d, wanted %d (%s, %s, %llu nodes "
           "free)", got, want, mapped ? "all mapped" : "a page unmapped",
           split ? "a split" : "no split", nfree);
  } else {
    RCHECK(c, m, got == 0 || (got == -1 && split), "remove returned %d, %s", got,
           split ? "a split" : "no split");
  }
  if (got == 0 && mapped) {
    model_set(m, b, e, 0);
    c->stats[split ? ST_RM_SPLIT : ST_RM_OK]++;
  } else {
    verify_unchanged(c, m);
    c->stats[mapped ? ST_RM_NONODE : ST_RM_UNMAPPED]++;
  }
  verify_list(c, m, b > 0 ? b - 1 : 0, e + 1);
}

/* What exit does: every region removed, whole, taking the runs from the
 * model. Whole regions need no node, so nothing may fail. */
static void
rand_clear(struct rctx *c, struct model *m)
{
  for (uint64 i = 0; i < MMAP_PAGES && !c->fail[0]; ) {
    uint64 j = i;
    while (j < MMAP_PAGES && m->prot[j] == m->prot[i])
      j++;
    if (m->prot[i]) {
      snap_take(m->head, &c->before);
      snprintf(c->desc, sizeof(c->desc), "clear: remove [%llu,%llu)", i, j);
      int got = mmap_region_remove(&m->head, pg(i), j - i);
      RCHECK(c, m, got == 0, "remove of a whole region returned %d", got);
      if (got == 0)
        model_set(m, i, j, 0);
    }
    i = j;
  }
  if (!c->fail[0])
    verify_list(c, m, 0, MMAP_PAGES);
  RCHECK(c, m, m->head == NULL, "cleared list still has %s",
         list_format(m->head, (char[512]){ 0 }, 512));
}

/* One random operation on list l (m), verified on the pages it touched. */
static void
rand_op(struct rctx *c, struct model *m, int l)
{
  static const int prots[] = { R, RW, RX };
  int prot = prots[below(c, 3)];
  uint64 r = below(c, 100), b, n;

  snap_take(m->head, &c->before);
  if (r < 40) {
    pick_range(c, &b, &n);
    snprintf(c->desc, sizeof(c->desc), "list %d insert [%llu,%llu)%s", l, b,
             b + n, prot_name(prot));
    rand_insert(c, m, b, n, prot);
  } else if (r < 55) {
    snprintf(c->desc, sizeof(c->desc), "list %d find_free, insert %s", l,
             prot_name(prot));
    rand_fit(c, m, prot);
  } else if (r < 98) {
    if (r < 80 && m->runs > 0)
      pick_in_list(c, m, &b, &n);
    else
      pick_range(c, &b, &n);
    snprintf(c->desc, sizeof(c->desc), "list %d remove [%llu,%llu)", l, b, b + n);
    rand_remove(c, m, b, n);
  } else {
    rand_clear(c, m);
  }
}

static void
rctx_init(struct rctx *c, uint64 seed, int exact)
{
  memset(c, 0, sizeof(*c));
  c->seed = c->rng = seed;
  c->exact = exact;
}

static uint64
rand_seed(void)
{
  const char *s = getenv("REGION_SEED");
  return s ? strtoull(s, NULL, 0) : RAND_SEED;
}

static struct model lists[RAND_LISTS];

static void
random_ops_on_three_lists_match_a_page_model(void)
{
  static struct rctx ctx;
  struct rctx *c = &ctx;

  fresh_pool();
  rctx_init(c, rand_seed(), 1);
  printf("# region_random_ops: seed %#llx\n", c->seed);
  memset(lists, 0, sizeof(lists));
  for (c->op = 0; c->op < RAND_OPS && !c->fail[0]; c->op++) {
    int l = (int)below(c, RAND_LISTS);
    struct model *m = &lists[l];
    rand_op(c, m, l);
    /* Every node is in exactly one list or free. */
    long held_nodes = 0;
    for (int k = 0; k < RAND_LISTS && !c->fail[0]; k++) {
      int full = c->op % FULL_CHECK_EVERY == FULL_CHECK_EVERY - 1;
      held_nodes += verify_list(c, &lists[k], 0, full ? MMAP_PAGES : 0);
      RCHECK(c, &lists[k], !full || model_starts(&lists[k], 0, MMAP_PAGES) ==
             lists[k].runs, "test bug: run count %ld drifted", lists[k].runs);
    }
    RCHECK(c, m, c->fail[0] || held_nodes + (long)nodes_free() == N_MMAP,
           "%ld nodes in lists + %llu free != %d", held_nodes, nodes_free(), N_MMAP);
  }
  c->op = RAND_OPS;
  for (int k = 0; k < RAND_LISTS && !c->fail[0]; k++)
    rand_clear(c, &lists[k]);
  snprintf(c->desc, sizeof(c->desc), "after clearing every list");
  RCHECK(c, &lists[0], c->fail[0] || nodes_free() == N_MMAP, "%llu nodes free",
         nodes_free());
  CHECK(c->fail[0] == '\0', "%s", c->fail);

  printf("# region_random_ops: seed %#llx, %d ops:", c->seed, RAND_OPS);
  for (int s = 0; s < NSTATS; s++)
    printf("%s %s %ld", s ? "," : "", stat_names[s], c->stats[s]);
  printf("\n");
  /* Guards the mix itself: every outcome must keep happening. */
  for (int s = 0; s < NSTATS; s++)
    CHECK(c->stats[s] >= 100, "seed %#llx: only %ld x '%s' in %d ops", c->seed,
          c->stats[s], stat_names[s], RAND_OPS);
}

/* ---- lists on many harts, one pool ---- */

static struct model hart_lists[HART_LISTS];
static struct rctx hart_ctx[HART_LISTS];

static void *
hart_churn(void *arg)
{
  int t = (int)(intptr_t)arg;
  struct rctx *c = &hart_ctx[t];
  struct model *m = &hart_lists[t];

  shim_set_hart(t);
  for (c->op = 0; c->op < HART_OPS && !c->fail[0]; c->op++) {
    rand_op(c, m, t);
    if (c->op % FULL_CHECK_EVERY == 0 && !c->fail[0])
      verify_list(c, m, 0, MMAP_PAGES);
  }
  if (!c->fail[0])
    rand_clear(c, m);
  return NULL;
}

static void
random_ops_on_many_harts_share_the_pool(void)
{
  pthread_t th[HART_LISTS];
  uint64 seed = rand_seed();

  fresh_pool();
  memset(hart_lists, 0, sizeof(hart_lists));
  for (int t = 0; t < HART_LISTS; t++)
    rctx_init(&hart_ctx[t], seed + (uint64)t, 0);
  printf("# region_harts: seeds %#llx + hart\n", seed);
  for (int t = 0; t < HART_LISTS; t++)
    pthread_create(&th[t], NULL, hart_churn, (void *)(intptr_t)t);
  for (int t = 0; t < HART_LISTS; t++)
    pthread_join(th[t], NULL);
  for (int t = 0; t < HART_LISTS; t++)
    CHECK(hart_ctx[t].fail[0] == '\0', "hart %d: %s", t, hart_ctx[t].fail);
  CHECK(nodes_free() == N_MMAP, "%llu nodes free after every list was cleared",
        nodes_free());
}

int
main(void)
{
  static const struct harness_case cases[] = {
    { "region_random_ops_on_three_lists_match_a_page_model",
      random_ops_on_three_lists_match_a_page_model },
    { "region_random_ops_on_many_harts_share_the_pool",
      random_ops_on_many_harts_share_the_pool },
  };
  return harness_run(cases, sizeof(cases) / sizeof(cases[0]));
}
