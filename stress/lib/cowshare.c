/*
 * cowshare.c: the copy-on-write scenarios where both sides write the
 * shared pages (cowscen.h): chain, three generations writing their own
 * values in rounds, and race, parent and child breaking the same pages at
 * the same instant. What each checks is in cowwork.c's header.
 */
#include "cowscen.h"

/* ---- chain: three generations ---- */

#define CHAIN_AREA    12
#define CHAIN_HEAP    4
#define CHAIN_PAGES   (CHAIN_AREA + CHAIN_HEAP)
#define CHAIN_ROUNDS  3

static uint8 model[CHAIN_PAGES];      /* each process's own, inherited at fork */
static uint64 rng;                    /* each process's own */

static uint64
chain_page(int i)
{
  return i < CHAIN_AREA ? cw_area + (uint64)i * PGSIZE
                        : cw_heap + (uint64)(i - CHAIN_AREA) * PGSIZE;
}

static void
chain_write(int who, int round, int all)
{
  for (int i = 0; i < CHAIN_PAGES; i++)
    if (all || stress_below(&rng, 3) == 0) {
      cw_fill(chain_page(i), GEN(who, round), STRESS_STRIDE);
      model[i] = (uint8)GEN(who, round);
    }
}

static void
chain_check(int who, const char *when)
{
  for (int i = 0; i < CHAIN_PAGES; i++) {
    uint64 bad = cw_check(chain_page(i), model[i], STRESS_STRIDE);
    if (bad == 0)
      continue;
    int g = cw_whose(bad);
    if (g < 0) {
      cw_complain("gen %d %s: page %d word %p is garbage, want gen %d round %d",
               who, when, i, (void *)bad, GEN_WHO(model[i]), GEN_ROUND(model[i]));
    } else {
      cw_complain("gen %d %s: page %d has gen %d round %d's word, want gen %d "
               "round %d (%s)", who, when, i, GEN_WHO(g), GEN_ROUND(g),
               GEN_WHO(model[i]), GEN_ROUND(model[i]),
               GEN_WHO(g) > who ? "a descendant's write" :
               GEN_WHO(g) < who ? "an ancestor's write" : "its own old write");
    }
    return;
  }
}

/* Generations 2 and 3 in each round: write, say done, wait for go
 * (end of file: the first generation is gone), check. */
static void
chain_rounds(int who, int done_fd, int go_fd)
{
  char c;

  for (int r = 1; r <= CHAIN_ROUNDS; r++) {
    chain_write(who, r, 0);
    if (write(done_fd, "d", 1) != 1 || read(go_fd, &c, 1) != 1)
      return;
    chain_check(who, "after a round");
  }
}

/* The last thing each generation does, once its descendants are gone:
 * check, take every page back by writing it, check again. */
static void
chain_finish(int who)
{
  chain_check(who, "after its descendants exited");
  chain_write(who, CHAIN_ROUNDS + 1, 1);
  chain_check(who, "after taking its pages back");
}

static void chain_second(int *done2, int *done3, int *go2, int *go3)
    __attribute__((noreturn));
static void chain_third(int *done2, int *done3, int *go2, int *go3)
    __attribute__((noreturn));

static void
chain_third(int *done2, int *done3, int *go2, int *go3)
{
  (void)go2;
  close(done2[1]);
  close(done3[0]);
  rng = cw_seed ^ 0x3333333333333333ULL;
  chain_rounds(3, done3[1], go3[0]);
  chain_finish(3);
  exit(cw_failed);
}

static void
chain_second(int *done2, int *done3, int *go2, int *go3)
{
  int status;

  close(done2[0]);
  close(go2[1]);
  close(go3[1]);                       /* only the first generation says go */
  rng = cw_seed ^ 0x2222222222222222ULL;
  chain_write(2, 0, 0);                /* before the third exists: it inherits them */
  int pid3 = fork();
  if (pid3 == 0)
    chain_third(done2, done3, go2, go3);
  if (pid3 < 0) {
    cw_say('F');
    pid3 = 0;
  }
  close(done3[0]);
  close(done3[1]);
  close(go3[0]);
  /* The roster: the first generation waits for the third only if it exists. */
  if (write(done2[1], &pid3, sizeof(pid3)) != sizeof(pid3))
    exit(1);
  chain_rounds(2, done2[1], go2[0]);
  if (pid3 > 0) {
    if (wait(&status) != pid3)
      cw_complain("generation 2 lost its child");
    else if (status != 0)
      cw_failed = 1;                      /* it said why, or the first killed it */
  }
  chain_finish(2);
  exit(cw_failed);
}

void
cw_chain(void)
{
  int done2[2], done3[2], go2[2], go3[2];
  int pid3 = 0, alive = 1, status;
  char c;

  cw_area = cw_map_pages(CHAIN_AREA);
  cw_heap = cw_heap_pages(CHAIN_HEAP);
  if (cw_area == 0 || cw_heap == 0 || pipe(done2) || pipe(done3) || pipe(go2) || pipe(go3))
    exit(0);                           /* memory or files are short: not an error */
  rng = cw_seed;
  chain_write(1, 0, 1);
  int pid2 = fork();
  if (pid2 < 0) {
    cw_say('F');
    exit(0);
  }
  if (pid2 == 0)
    chain_second(done2, done3, go2, go3);
  close(done2[1]);
  close(done3[1]);
  close(go2[0]);
  close(go3[0]);
  if (read(done2[0], &pid3, sizeof(pid3)) != sizeof(pid3))
    alive = 0;
  for (int r = 1; r <= CHAIN_ROUNDS && alive; r++) {
    chain_write(1, r, 0);
    /* The barrier: every generation's writes of this round are done. */
    if (read(done2[0], &c, 1) != 1 || (pid3 > 0 && read(done3[0], &c, 1) != 1)) {
      alive = 0;
      break;
    }
    write(go2[1], "g", 1);
    if (pid3 > 0)
      write(go3[1], "g", 1);
    chain_check(1, "after a round");
  }
  if (!alive) {
    /* One ended early (it said why, or it was killed): end the other. */
    cw_complain("a generation ended before the last round");
    kill(pid2);
    if (pid3 > 0)
      kill(pid3);
  }
  close(go2[1]);
  close(go3[1]);
  if (wait(&status) != pid2)
    cw_complain("generation 1 lost its child");
  else if (status != 0)
    cw_failed = 1;
  chain_finish(1);
  exit(cw_failed);
}

/* ---- race: parent and child write the same pages at once ---- */

#define RACE_PAGES    8
#define RACE_ROUNDS   4

static volatile uint64 race_t0 = ~0ULL;
static volatile int race_nthr = 1;
static int race_side, race_reverse;

static void
race_writer(void *arg)
{
  int t = (int)(uint64)arg;

  while (rdtime() < __atomic_load_n(&race_t0, __ATOMIC_ACQUIRE))
    ;
  for (int r = 1; r <= RACE_ROUNDS; r++)
    for (int p = t; p < RACE_PAGES; p += race_nthr) {
      int q = race_reverse ? RACE_PAGES - 1 - p : p;
      cw_fill(cw_area + (uint64)q * PGSIZE, GEN(race_side, r), WORD);
    }
}

static void
race_check(const char *side)
{
  for (int p = 0; p < RACE_PAGES; p++) {
    uint64 bad = cw_check(cw_area + (uint64)p * PGSIZE, GEN(race_side, RACE_ROUNDS), WORD);
    if (bad) {
      int g = cw_whose(bad);
      cw_complain("%s's page %d word %d holds gen %d round %d's value, not its own "
               "round %d", side, p, (int)((bad & (PGSIZE - 1)) / 8), g < 0 ? -1 : GEN_WHO(g),
               g < 0 ? -1 : GEN_ROUND(g), RACE_ROUNDS);
      return;
    }
  }
}

void
cw_race(int nthreads)
{
  int ready[2], go[2], tids[THREADS_MAX], n = 0, status;
  uint64 t0;
  char c;

  cw_area = cw_map_pages(RACE_PAGES);
  if (cw_area == 0 || pipe(ready) || pipe(go))
    exit(0);
  for (int p = 0; p < RACE_PAGES; p++)
    cw_fill(cw_area + (uint64)p * PGSIZE, GEN(1, 0), WORD);
  int pid = fork();
  if (pid < 0) {
    cw_say('F');
    exit(0);
  }
  if (pid == 0) {
    close(ready[0]);
    close(go[1]);
    race_side = 2;
    race_reverse = (int)(cw_seed >> 1) & 1;
    write(ready[1], "r", 1);
    if (read(go[0], &t0, sizeof(t0)) != sizeof(t0))
      exit(0);
    race_t0 = t0;
    race_writer(0);
    race_check("child");
    exit(cw_failed);
  }
  close(ready[1]);
  close(go[0]);
  race_side = 1;
  race_reverse = (int)cw_seed & 1;
  for (int i = 1; i < nthreads; i++) {
    int t = cw_spawn(race_writer, (void *)(uint64)i, i);
    if (t == 0)
      break;
    tids[n++] = t;
  }
  race_nthr = 1 + n;
  if (read(ready[0], &c, 1) != 1)
    cw_complain("the child ended before it was ready");
  /* Both start at t0, a little after the child has been woken. */
  t0 = rdtime() + TIMEBASE_HZ / 500;
  __atomic_store_n(&race_t0, t0, __ATOMIC_RELEASE);
  write(go[1], &t0, sizeof(t0));
  race_writer(0);
  for (int i = 0; i < n; i++)
    join(tids[i], 0);
  race_check("parent");
  if (wait(&status) != pid)
    cw_complain("lost the child");
  else if (status == -1)
    cw_complain("the child was killed");
  else if (status != 0)
    cw_failed = 1;
  exit(cw_failed);
}
