/*
 * cowwork.c: the stress suite's copy-on-write worker (see cowwork.h).
 *
 * Since fork shares every page read-only (the first write copies it, or
 * takes it back when no other table maps it), a wrong reference count, a
 * copy of the wrong page, or a translation a hart kept from before fork
 * shows up as one process seeing another's write. The worker runs one
 * scenario at a time in a forked "scenario process" S, so a scenario may
 * end its processes without ending the worker:
 *
 *   chain     S, its child and its grandchild (three generations) write
 *             their own generation's values into random pages of a shared
 *             area (mmap and heap) in rounds, all at once, with a barrier
 *             after each round's writes; then each checks every page holds
 *             exactly what its own model says (its own writes or what it
 *             inherited), never a descendant's or an ancestor's later
 *             write. At the end each takes its pages back (the last sharer
 *             writes in place) and checks again.
 *   race      parent and child (the parent with 1-3 threads) start writing
 *             every word of the same shared pages at the same instant, on
 *             whatever harts they run: both break the same pages at once;
 *             each must end with only its own values.
 *   fork      1-3 threads rewrite their own buffers in rounds (the round in
 *             both halves of every word), and one more reads them (never
 *             a round older than the writer had done: a writer's break
 *             must shoot down its siblings' harts), while the main thread
 *             forks several times. The child checks every word is whole, no older
 *             than the rounds finished before fork was called, and no newer
 *             than the round under way when fork returned in the parent
 *             (the parent sends it through a pipe); and that its copy is
 *             stable: read at once, after the pipe, and a tick later,
 *             nothing in the child writes it, so a change means a parent
 *             write reached the child's copy (a sibling hart kept a
 *             writable translation: COW_NO_FLUSH=1 builds).
 *   unmap     one side munmaps part of the area and shrinks the heap (then
 *             maps it again: fresh zero pages, never the other side's),
 *             while the other side's threads read and rewrite every page.
 *   exit      one side writes some pages and exits while the other's
 *             threads read and rewrite them.
 *   exec      the same, with exec of stressexec instead of exit.
 *   pressure  a thread takes the region-node pool down to a few nodes while
 *             S forks (the fork, which needs a node per region, may fail:
 *             S's pages must then be intact and writable); the child hogs memory down to a reserve (a quarter of
 *             it) while S breaks half of the shared pages; then the child,
 *             half the time with page allocations failing at random
 *             (failinject), writes all of them (the other half still
 *             shared: copies) and reads a pipe into two shared heap pages:
 *             a failed break kills only the child (counted as c-oom-kill),
 *             a failed kernel write returns -1 and leaves the bytes in the
 *             pipe; S's data stays intact either way.
 *
 * Nothing but a process's main thread calls exit on a failure, and no
 * process calls stress_fail: every process of a scenario (threads too)
 * reports through a pipe to the worker: 'T' a thread started, 'F' a fork
 * was refused (no slot, page or node), 'O' a writer under injection was
 * killed, and "!text\n" (one write, never interleaved) what went wrong.
 * The worker reads the pipe after reaping S, until every process of the
 * scenario has closed it.
 */
#include <stdarg.h>
#include "lib/fmt.h"
#include "cowwork.h"

#define THREADS_MAX   3
#define TSTACK        (2 * PGSIZE)
#define WORD          8         /* a fill or check step: every word */
#define REPORT_TICKS  50

/* The value a generation (1-3) writes in a round (0-15). */
#define GEN(who, round) ((uint64)(who) << 4 | (uint64)(round))
#define GEN_WHO(g)      ((int)((g) >> 4))
#define GEN_ROUND(g)    ((int)((g) & 15))

enum scenario { SC_CHAIN, SC_RACE, SC_FORK, SC_UNMAP, SC_EXIT, SC_EXEC,
                SC_PRESSURE, SC_COUNT };

/* ---- what every scenario process shares ---- */

/* One stack more than scenario threads: the fork scenario's reader. */
static char tstacks[THREADS_MAX + 1][TSTACK] __attribute__((aligned(PGSIZE)));
static int say_fd;                    /* the pipe to the worker */
static uint64 sc_seed;
static int complained;                /* this process sent its message */
static volatile int failed;           /* this process found something wrong */
static uint64 area, heap;             /* the shared pages of a scenario */

static void
say(char c)
{
  write(say_fd, &c, 1);
}

/* Says what went wrong, once per process (one write: never interleaved
 * with another process's bytes), and marks the process failed. */
static void
complain(const char *fmt, ...)
{
  char buf[124];
  va_list ap;

  failed = 1;
  if (__atomic_exchange_n(&complained, 1, __ATOMIC_ACQ_REL))
    return;
  buf[0] = '!';
  va_start(ap, fmt);
  int n = fmt_vsnprintf(buf + 1, sizeof(buf) - 2, fmt, ap);
  va_end(ap);
  if (n > (int)sizeof(buf) - 3)
    n = (int)sizeof(buf) - 3;
  buf[1 + n] = '\n';
  write(say_fd, buf, n + 2);
}

static int
spawn(void (*fn)(void *), void *arg, int i)
{
  int tid = clone(fn, arg, tstacks[i] + TSTACK);
  if (tid <= 0)
    return 0;       /* no slot or memory under stress: not an error */
  say('T');
  return tid;
}

static uint64
map_pages(uint64 n)
{
  void *p = mmap(0, n * PGSIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
  return p == MAP_FAILED ? 0 : (uint64)p;
}

/* n fresh heap pages from a page boundary; 0 if the heap cannot grow. */
static uint64
heap_pages(uint64 n)
{
  uint64 brk = (uint64)sbrk(0);
  if (sbrk((long)(PGROUNDUP(brk) - brk + n * PGSIZE)) == (char *)-1)
    return 0;
  return PGROUNDUP(brk);
}

static void
fill(uint64 page, uint64 gen, int step)
{
  for (uint64 a = page; a < page + PGSIZE; a += (uint64)step)
    *(volatile uint64 *)a = stress_pattern(sc_seed, a, gen);
}

/* The first word of the page (one per step) not holding gen's value, or 0. */
static uint64
check(uint64 page, uint64 gen, int step)
{
  for (uint64 a = page; a < page + PGSIZE; a += (uint64)step)
    if (*(volatile uint64 *)a != stress_pattern(sc_seed, a, gen))
      return a;
  return 0;
}

/* Which generation and round wrote the word at a (as GEN), or -1. */
static int
whose(uint64 a)
{
  uint64 v = *(volatile uint64 *)a;

  for (int g = 0; g < 4 * 16; g++)
    if (v == stress_pattern(sc_seed, a, (uint64)g))
      return g;
  return -1;
}

static void
pause_a_little(uint64 *rng)
{
  uint64 until = rdtime() + stress_below(rng, TIMEBASE_HZ / 500);   /* < 2 ms */
  while (rdtime() < until)
    ;
}

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
  return i < CHAIN_AREA ? area + (uint64)i * PGSIZE
                        : heap + (uint64)(i - CHAIN_AREA) * PGSIZE;
}

static void
chain_write(int who, int round, int all)
{
  for (int i = 0; i < CHAIN_PAGES; i++)
    if (all || stress_below(&rng, 3) == 0) {
      fill(chain_page(i), GEN(who, round), STRESS_STRIDE);
      model[i] = (uint8)GEN(who, round);
    }
}

static void
chain_check(int who, const char *when)
{
  for (int i = 0; i < CHAIN_PAGES; i++) {
    uint64 bad = check(chain_page(i), model[i], STRESS_STRIDE);
    if (bad == 0)
      continue;
    int g = whose(bad);
    if (g < 0) {
      complain("gen %d %s: page %d word %p is garbage, want gen %d round %d",
               who, when, i, (void *)bad, GEN_WHO(model[i]), GEN_ROUND(model[i]));
    } else {
      complain("gen %d %s: page %d has gen %d round %d's word, want gen %d "
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
  rng = sc_seed ^ 0x3333333333333333ULL;
  chain_rounds(3, done3[1], go3[0]);
  chain_finish(3);
  exit(failed);
}

static void
chain_second(int *done2, int *done3, int *go2, int *go3)
{
  int status;

  close(done2[0]);
  close(go2[1]);
  close(go3[1]);                       /* only the first generation says go */
  rng = sc_seed ^ 0x2222222222222222ULL;
  chain_write(2, 0, 0);                /* before the third exists: it inherits them */
  int pid3 = fork();
  if (pid3 == 0)
    chain_third(done2, done3, go2, go3);
  if (pid3 < 0) {
    say('F');
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
      complain("generation 2 lost its child");
    else if (status != 0)
      failed = 1;                      /* it said why, or the first killed it */
  }
  chain_finish(2);
  exit(failed);
}

static void
chain(void)
{
  int done2[2], done3[2], go2[2], go3[2];
  int pid3 = 0, alive = 1, status;
  char c;

  area = map_pages(CHAIN_AREA);
  heap = heap_pages(CHAIN_HEAP);
  if (area == 0 || heap == 0 || pipe(done2) || pipe(done3) || pipe(go2) || pipe(go3))
    exit(0);                           /* memory or files are short: not an error */
  rng = sc_seed;
  chain_write(1, 0, 1);
  int pid2 = fork();
  if (pid2 < 0) {
    say('F');
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
    complain("a generation ended before the last round");
    kill(pid2);
    if (pid3 > 0)
      kill(pid3);
  }
  close(go2[1]);
  close(go3[1]);
  if (wait(&status) != pid2)
    complain("generation 1 lost its child");
  else if (status != 0)
    failed = 1;
  chain_finish(1);
  exit(failed);
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
      fill(area + (uint64)q * PGSIZE, GEN(race_side, r), WORD);
    }
}

static void
race_check(const char *side)
{
  for (int p = 0; p < RACE_PAGES; p++) {
    uint64 bad = check(area + (uint64)p * PGSIZE, GEN(race_side, RACE_ROUNDS), WORD);
    if (bad) {
      int g = whose(bad);
      complain("%s's page %d word %d holds gen %d round %d's value, not its own "
               "round %d", side, p, (int)((bad & (PGSIZE - 1)) / 8), g < 0 ? -1 : GEN_WHO(g),
               g < 0 ? -1 : GEN_ROUND(g), RACE_ROUNDS);
      return;
    }
  }
}

static void
race(int nthreads)
{
  int ready[2], go[2], tids[THREADS_MAX], n = 0, status;
  uint64 t0;
  char c;

  area = map_pages(RACE_PAGES);
  if (area == 0 || pipe(ready) || pipe(go))
    exit(0);
  for (int p = 0; p < RACE_PAGES; p++)
    fill(area + (uint64)p * PGSIZE, GEN(1, 0), WORD);
  int pid = fork();
  if (pid < 0) {
    say('F');
    exit(0);
  }
  if (pid == 0) {
    close(ready[0]);
    close(go[1]);
    race_side = 2;
    race_reverse = (int)(sc_seed >> 1) & 1;
    write(ready[1], "r", 1);
    if (read(go[0], &t0, sizeof(t0)) != sizeof(t0))
      exit(0);
    race_t0 = t0;
    race_writer(0);
    race_check("child");
    exit(failed);
  }
  close(ready[1]);
  close(go[0]);
  race_side = 1;
  race_reverse = (int)sc_seed & 1;
  for (int i = 1; i < nthreads; i++) {
    int t = spawn(race_writer, (void *)(uint64)i, i);
    if (t == 0)
      break;
    tids[n++] = t;
  }
  race_nthr = 1 + n;
  if (read(ready[0], &c, 1) != 1)
    complain("the child ended before it was ready");
  /* Both start at t0, a little after the child has been woken. */
  t0 = rdtime() + TIMEBASE_HZ / 500;
  __atomic_store_n(&race_t0, t0, __ATOMIC_RELEASE);
  write(go[1], &t0, sizeof(t0));
  race_writer(0);
  for (int i = 0; i < n; i++)
    join(tids[i], 0);
  race_check("parent");
  if (wait(&status) != pid)
    complain("lost the child");
  else if (status == -1)
    complain("the child was killed");
  else if (status != 0)
    failed = 1;
  exit(failed);
}

/* ---- fork while sibling threads write ---- */

#define FK_PAGES_EACH  2
#define FK_WORDS       (FK_PAGES_EACH * PGSIZE / sizeof(uint64))
#define FK_FORKS_MIN   4

/* In a page of its own: the writers' round counters (a cache line each). */
struct fk_ctl {
  uint64 started[THREADS_MAX][8];     /* the round a writer is writing */
  uint64 done[THREADS_MAX][8];        /* the last round it finished */
  int stop;
  int ready;
};
static struct fk_ctl *ctl;
static uint64 fkbuf;                  /* THREADS_MAX * FK_PAGES_EACH pages */

static volatile uint64 *
fk_words(int j)
{
  return (volatile uint64 *)(fkbuf + (uint64)j * FK_PAGES_EACH * PGSIZE);
}

static void
fk_writer(void *arg)
{
  int j = (int)(uint64)arg;
  volatile uint64 *w = fk_words(j);

  __atomic_add_fetch(&ctl->ready, 1, __ATOMIC_RELEASE);
  for (uint64 k = 1; !__atomic_load_n(&ctl->stop, __ATOMIC_ACQUIRE); k++) {
    __atomic_store_n(&ctl->started[j][0], k, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);     /* started before the words */
    for (unsigned i = 0; i < FK_WORDS; i++)
      w[i] = k << 32 | k;
    __atomic_store_n(&ctl->done[j][0], k, __ATOMIC_RELEASE);
  }
}

/* A sibling that only reads, checking each writer's words are no older
 * than the round it had done: when a writer's store breaks a page the
 * parent shares with a child, the break shoots down the parent's harts, so
 * no sibling keeps reading the old page (the child's now, frozen). */
static volatile int fk_nw;

static void
fk_reader(void *arg)
{
  (void)arg;
  while (!__atomic_load_n(&ctl->stop, __ATOMIC_ACQUIRE))
    for (int j = 0; j < fk_nw; j++) {
      uint64 d = __atomic_load_n(&ctl->done[j][0], __ATOMIC_ACQUIRE);
      volatile uint64 *w = fk_words(j);
      for (unsigned i = 0; i < FK_WORDS; i += (i % 512 == 0) ? 511 : 1) {
        uint64 v = w[i], k = v >> 32;
        if (k != (v & 0xffffffffUL) || k < d) {
          complain("a sibling read round %d in writer %d's word %d after round %d was "
                   "done: the old page of a break?", (int)k, j, (int)i, (int)d);
          return;
        }
      }
    }
}

static uint64
fk_hash(int nw)
{
  uint64 h = 0;

  for (int j = 0; j < nw; j++)
    for (unsigned i = 0; i < FK_WORDS; i++)
      h = (h ^ fk_words(j)[i]) * 0x100000001b3ULL + i;
  return h;
}

/* The child: its copy must be whole, between lo and hi, and stable. */
static void fk_child(int nw, const uint64 *lo, int hi_fd) __attribute__((noreturn));

static void
fk_child(int nw, const uint64 *lo, int hi_fd)
{
  uint64 hi[THREADS_MAX];
  uint64 h0 = fk_hash(nw);            /* at once, before anything else */

  if (read(hi_fd, hi, nw * (int)sizeof(uint64)) != nw * (int)sizeof(uint64))
    exit(0);                          /* the parent is gone: nothing to compare */
  uint64 h1 = fk_hash(nw);
  for (int j = 0; j < nw; j++)
    for (unsigned i = 0; i < FK_WORDS; i++) {
      uint64 v = fk_words(j)[i], k = v >> 32;
      if (k != (v & 0xffffffffUL)) {
        complain("child's copy: writer %d word %d torn: %p", j, (int)i, (void *)v);
        exit(1);
      }
      if (k < lo[j]) {
        complain("child's copy: writer %d word %d is round %d, older than round %d "
                 "done before fork", j, (int)i, (int)k, (int)lo[j]);
        exit(1);
      }
      if (k > hi[j]) {
        complain("child's word %d of writer %d is round %d > %d, under way at "
                 "fork's return: a parent write leaked into the child", (int)i, j, (int)k,
                 (int)hi[j]);
        exit(1);
      }
    }
  sleep(1);
  uint64 h2 = fk_hash(nw);
  if (h0 != h1 || h1 != h2) {
    complain("the child's copy changed while only read (%s): a parent write "
             "leaked into the child", h0 != h1 ? "before the pipe" : "over a tick");
    exit(1);
  }
  exit(0);
}

static void
fork_writers(int nthreads)
{
  int tids[THREADS_MAX], nw = 0, status;
  uint64 lo[THREADS_MAX], hi[THREADS_MAX];
  uint64 r = sc_seed;

  ctl = (struct fk_ctl *)map_pages(1);
  fkbuf = map_pages(THREADS_MAX * FK_PAGES_EACH);
  if (ctl == 0 || fkbuf == 0)
    exit(0);
  for (int j = 0; j < nthreads; j++) {
    int t = spawn(fk_writer, (void *)(uint64)j, j);
    if (t == 0)
      break;
    tids[nw++] = t;
  }
  if (nw == 0)
    exit(0);
  /* Every writer under way, each with a round done; then the reader. */
  for (int j = 0; j < nw; j++)
    while (__atomic_load_n(&ctl->done[j][0], __ATOMIC_ACQUIRE) == 0)
      ;
  fk_nw = nw;
  int reader = spawn(fk_reader, 0, THREADS_MAX);
  int forks = FK_FORKS_MIN + (int)stress_below(&r, 4);
  for (int f = 0; f < forks && !failed; f++) {
    int hp[2];
    if (pipe(hp) != 0)
      break;
    for (int j = 0; j < nw; j++)
      lo[j] = __atomic_load_n(&ctl->done[j][0], __ATOMIC_ACQUIRE);
    int pid = fork();
    if (pid == 0) {
      close(hp[1]);
      fk_child(nw, lo, hp[0]);
    }
    for (int j = 0; j < nw; j++)
      hi[j] = __atomic_load_n(&ctl->started[j][0], __ATOMIC_ACQUIRE);
    close(hp[0]);
    if (pid < 0) {
      say('F');
      close(hp[1]);
      continue;
    }
    write(hp[1], hi, nw * (int)sizeof(uint64));
    close(hp[1]);
    if (wait(&status) != pid)
      complain("lost the child");
    else if (status == -1)
      complain("the child was killed");
    else if (status != 0)
      failed = 1;
    if (stress_below(&r, 4) == 0)
      sleep(1);                        /* the writers may move to other harts */
    else
      pause_a_little(&r);
  }
  __atomic_store_n(&ctl->stop, 1, __ATOMIC_RELEASE);
  for (int i = 0; i < nw; i++)
    join(tids[i], 0);
  if (reader)
    join(reader, 0);
  exit(failed);
}

/* ---- unmap, exit, exec on one side while the other side uses the pages ---- */

#define UN_AREA    8
#define UN_HEAP    4
#define UN_PAGES   (UN_AREA + UN_HEAP)

static uint8 un_model[UN_PAGES];     /* the keeper's, each page owned by one thread */
static volatile int un_go, un_stop;
static volatile int un_nthr = 1;
static int un_side;

static uint64
un_page(int i)
{
  return i < UN_AREA ? area + (uint64)i * PGSIZE : heap + (uint64)(i - UN_AREA) * PGSIZE;
}

/* The first word of the page that is not zero, or 0. */
static uint64
nonzero(uint64 page)
{
  for (uint64 a = page; a < page + PGSIZE; a += WORD)
    if (*(volatile uint64 *)a != 0)
      return a;
  return 0;
}

/* The keeper's threads: check and rewrite their own pages (p = t, t +
 * un_nthr, ...) in rounds until told to stop, two rounds at least. */
static void
un_keeper(void *arg)
{
  int t = (int)(uint64)arg;

  while (!__atomic_load_n(&un_go, __ATOMIC_ACQUIRE))
    ;
  for (int r = 1;; r++) {
    for (int p = t; p < UN_PAGES; p += un_nthr) {
      uint64 bad = check(un_page(p), un_model[p], STRESS_STRIDE);
      if (bad) {
        int g = whose(bad);
        complain("%s keeps: its page %d has gen %d round %d's word, want gen %d round %d",
                 un_side == 1 ? "the parent" : "the child", p, g < 0 ? -1 : GEN_WHO(g),
                 g < 0 ? -1 : GEN_ROUND(g), GEN_WHO(un_model[p]), GEN_ROUND(un_model[p]));
        return;
      }
      uint8 g = (uint8)GEN(un_side, 1 + r % 15);
      fill(un_page(p), g, STRESS_STRIDE);
      un_model[p] = g;
    }
    if (r >= 2 && __atomic_load_n(&un_stop, __ATOMIC_ACQUIRE))
      return;
  }
}

/* Keeps using the pages until the other side says it is done, or is gone
 * (end of file: it exited, or exec'd and its new image exited). */
static void
un_keep(int nthreads, int kfd, int ufd)
{
  int tids[THREADS_MAX], n = 0;
  char c;

  for (int i = 0; i < nthreads; i++) {
    int t = spawn(un_keeper, (void *)(uint64)i, i);
    if (t == 0)
      break;
    tids[n++] = t;
  }
  un_nthr = n > 0 ? n : 1;             /* before any thread starts its rounds */
  __atomic_store_n(&un_go, 1, __ATOMIC_RELEASE);
  write(kfd, "k", 1);
  read(ufd, &c, 1);
  sleep(1);                            /* a tick more of use after it */
  __atomic_store_n(&un_stop, 1, __ATOMIC_RELEASE);
  for (int i = 0; i < n; i++)
    join(tids[i], 0);
  if (n == 0)
    un_keeper(0);                      /* no thread to be had: two rounds here */
  for (int p = 0; p < UN_PAGES; p++)
    if (check(un_page(p), un_model[p], STRESS_STRIDE)) {
      complain("%s keeps: page %d lost its last write",
               un_side == 1 ? "the parent" : "the child", p);
      break;
    }
}

static void
un_leave(int how, int who, int kfd, int ufd)
{
  char c;
  uint64 r = sc_seed ^ (uint64)who;

  read(kfd, &c, 1);                    /* the keeper is under way (or gone) */
  pause_a_little(&r);
  if (how == SC_EXIT || how == SC_EXEC) {
    /* Break some pages first: exit and exec then drop copies and shares. */
    for (int p = 0; p < UN_PAGES; p++)
      if (stress_below(&r, 2))
        fill(un_page(p), GEN(who, 1), STRESS_STRIDE);
    if (how == SC_EXEC) {
      char seed[24];
      char *argv[] = { "stressexec", seed, "1", 0 };
      snprintf(seed, sizeof(seed), "%d", (int)(sc_seed & 0x7fffffff));
      exec("stressexec", argv);
    }
    exit(0);          /* also when exec had no memory: not an error */
  }
  /* munmap part of the area and shrink the heap, under the keeper's use. */
  uint64 first = stress_below(&r, UN_AREA);
  uint64 n = 1 + stress_below(&r, UN_AREA - first);
  uint64 shrink = 1 + stress_below(&r, UN_HEAP);
  if (munmap((void *)(area + first * PGSIZE), n * PGSIZE) != 0) {
    /* Only a split needs a node, and the pool may be drained by others. */
    if (first == 0 || first + n == UN_AREA)
      complain("munmap of a mapped shared range failed");
    n = 0;
  }
  if (sbrk(-(long)(shrink * PGSIZE)) == (char *)-1)
    complain("shrinking sbrk failed");
  for (int p = 0; p < UN_PAGES; p++) {
    int gone = p < UN_AREA ? (uint64)p >= first && (uint64)p < first + n
                           : (uint64)(p - UN_AREA) >= UN_HEAP - shrink;
    if (!gone && check(un_page(p), GEN(1, 0), STRESS_STRIDE)) {
      complain("page %d, which the unmapping side kept, lost its value", p);
      break;
    }
  }
  /* The same addresses again: fresh zero pages, never the keeper's. */
  void *m = n == 0 ? MAP_FAILED
                   : mmap((void *)(area + first * PGSIZE), n * PGSIZE,
                          PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
  if (m != MAP_FAILED)                 /* the pool may be drained by others */
    for (uint64 p = first; p < first + n; p++)
      if (nonzero(area + p * PGSIZE)) {
        complain("page %d mapped again where a shared one was is not zero", (int)p);
        break;
      }
  if (sbrk((long)(shrink * PGSIZE)) != (char *)-1)
    for (uint64 p = UN_HEAP - shrink; p < UN_HEAP; p++)
      if (nonzero(heap + p * PGSIZE)) {
        complain("heap page %d grown again where a shared one was is not zero",
                 (int)p);
        break;
      }
  write(ufd, "u", 1);
}

static void
unshare(int how, int nthreads)
{
  int kp[2], up[2], status;

  area = map_pages(UN_AREA);
  heap = heap_pages(UN_HEAP);
  if (area == 0 || heap == 0 || pipe(kp) || pipe(up))
    exit(0);
  for (int p = 0; p < UN_PAGES; p++) {
    fill(un_page(p), GEN(1, 0), STRESS_STRIDE);
    un_model[p] = (uint8)GEN(1, 0);
  }
  int keeper_is_child = (int)(sc_seed >> 3) & 1;
  int pid = fork();
  if (pid < 0) {
    say('F');
    exit(0);
  }
  int in_child = pid == 0;
  if (in_child == keeper_is_child) {
    close(kp[0]);
    close(up[1]);
    un_side = in_child ? 2 : 1;
    un_keep(nthreads, kp[1], up[0]);
  } else {
    close(kp[1]);
    close(up[0]);
    un_leave(how, in_child ? 2 : 1, kp[0], up[1]);   /* exit, exec: no return */
  }
  if (!in_child) {
    if (wait(&status) != pid)
      complain("lost the child");
    else if (status == -1)
      complain("the child (%s) was killed",
               in_child == keeper_is_child ? "leaving" : "keeping");
    else if (status != 0)
      failed = 1;
  }
  exit(failed);
}

/* ---- pressure: a pool drain and a memory hog while pages are broken ---- */

#define PR_PAGES      8
#define HOG_MAX       8192
#define DRAIN_MAX     512             /* nodes a drain takes at most */
#define DRAIN_LEAVE   16              /* and it leaves this many to others */
#define DRAIN_FILLED  16
#define DRAIN_BASE    (MMAP_BEGIN + 4096 * PGSIZE)
#define OOM_PPM       150000          /* 15% of page allocations fail */
#define KW_BYTES      128             /* the kernel write: a read across two pages */

static volatile int drain_state;      /* 1 drained, 2 asked to give back, 3 given */

/* Takes the pool's nodes down to DRAIN_LEAVE (up to DRAIN_MAX), single
 * pages of alternating prot so that nothing merges; S forks meanwhile, and
 * its regions need more nodes than are left. Other workers' smaller forks
 * and mmaps mostly still get theirs. The first few writable pages hold a
 * value. */
static void
drainer(void *arg)
{
  struct memstat m;
  int got = 0;

  (void)arg;
  for (; got < DRAIN_MAX; got++) {
    if (got % 8 == 0 && (memstat(&m) != 0 || m.nodes_free <= DRAIN_LEAVE))
      break;
    int prot = got % 2 ? PROT_READ : PROT_READ | PROT_WRITE;
    void *p = mmap((void *)(DRAIN_BASE + (uint64)got * PGSIZE), PGSIZE, prot,
                   MAP_PRIVATE | MAP_ANONYMOUS);
    if (p == MAP_FAILED)
      break;
    if ((prot & PROT_WRITE) && got < DRAIN_FILLED)
      fill((uint64)p, GEN(1, 0), STRESS_STRIDE);
  }
  /* Spin, not sleep: others' mmaps and forks fail while the pool is empty. */
  __atomic_store_n(&drain_state, 1, __ATOMIC_RELEASE);
  while (__atomic_load_n(&drain_state, __ATOMIC_ACQUIRE) != 2)
    ;
  for (int i = 0; i < got && i < DRAIN_FILLED; i += 2)
    if (check(DRAIN_BASE + (uint64)i * PGSIZE, GEN(1, 0), STRESS_STRIDE)) {
      complain("drained page %d lost its value", i);
      break;
    }
  if (got > 0 && munmap((void *)DRAIN_BASE, (uint64)got * PGSIZE) != 0)
    complain("munmap of %d drained pages failed", got);
  __atomic_store_n(&drain_state, 3, __ATOMIC_RELEASE);
}

/* Checks pages [first, last) of the area hold gen's values. */
static void
pr_check(int first, int last, uint64 gen, const char *when)
{
  for (int p = first; p < last; p++) {
    uint64 bad = check(area + (uint64)p * PGSIZE, gen, STRESS_STRIDE);
    if (bad) {
      int g = whose(bad);
      complain("%s: page %d has gen %d round %d's word, want gen %d round %d", when, p,
               g < 0 ? -1 : GEN_WHO(g), g < 0 ? -1 : GEN_ROUND(g), GEN_WHO(gen),
               GEN_ROUND(gen));
      return;
    }
  }
}

static void
pr_fill(int first, int last, uint64 gen)
{
  for (int p = first; p < last; p++)
    fill(area + (uint64)p * PGSIZE, gen, STRESS_STRIDE);
}

static void pr_child(int armed, int kfd, int hfd, int pfd) __attribute__((noreturn));

/* The child: hogs memory down to a reserve and tells the parent, which
 * breaks the first half of the area meanwhile; then (armed: page
 * allocations failing at random) writes every page of the area (the first
 * half its own by now, the second half still shared: copies) and reads a
 * pipe into two shared heap pages (the kernel's write breaks them). */
static void
pr_child(int armed, int kfd, int hfd, int pfd)
{
  struct memstat m;
  uint64 hog = map_pages(HOG_MAX), got = 0;
  char want[KW_BYTES], c;

  for (int i = 0; i < KW_BYTES; i++)
    want[i] = (char)(sc_seed + (uint64)i * 13);
  if (hog != 0 && memstat(&m) == 0) {
    uint64 reserve = m.pages_total / 4 > 2048 ? m.pages_total / 4 : 2048;
    for (; got < HOG_MAX; got++) {
      if (got % 64 == 0 && (memstat(&m) != 0 || m.pages_free <= reserve))
        break;
      *(volatile uint64 *)(hog + got * PGSIZE) = hog + got;
    }
  }
  write(hfd, "h", 1);
  read(pfd, &c, 1);                    /* the parent has broken its half */
  if (armed)
    failinject(FAIL_PAGES, 0, OOM_PPM, (int)(sc_seed & 0x7fffffff));
  pr_fill(0, PR_PAGES, GEN(2, 1));     /* a failed break kills the child here */
  pr_check(0, PR_PAGES, GEN(2, 1), "the child after its writes");
  uint64 buf = heap + PGSIZE - KW_BYTES / 2;
  int rc = read(kfd, (void *)buf, KW_BYTES);
  if (rc == -1 && armed) {
    /* No page for a break: nothing written, the bytes still in the pipe. */
    if (check(heap, GEN(1, 0), STRESS_STRIDE) || check(heap + PGSIZE, GEN(1, 0), STRESS_STRIDE))
      complain("a read that failed for want of a page changed the buffer");
    failinject(0, 0, 0, 0);
    rc = read(kfd, (void *)buf, KW_BYTES);
  }
  failinject(0, 0, 0, 0);
  if (rc != KW_BYTES || memcmp((void *)buf, want, KW_BYTES) != 0)
    complain("the child's read into shared pages gave %d bytes, or wrong ones", rc);
  for (uint64 i = 0; i < got; i += 97)
    if (*(volatile uint64 *)(hog + i * PGSIZE) != hog + i) {
      complain("hog page %d lost its value", (int)i);
      break;
    }
  if (hog != 0)
    munmap((void *)hog, HOG_MAX * PGSIZE);
  exit(failed);
}

static void
pressure(int nthreads)
{
  int kp[2], hp[2], pp[2], status, drain = 0;
  char kbytes[KW_BYTES], c;
  const int half = PR_PAGES / 2;

  area = map_pages(PR_PAGES);
  heap = heap_pages(2);
  if (area == 0 || heap == 0 || pipe(kp) || pipe(hp) || pipe(pp))
    exit(0);
  pr_fill(0, PR_PAGES, GEN(1, 0));
  fill(heap, GEN(1, 0), STRESS_STRIDE);
  fill(heap + PGSIZE, GEN(1, 0), STRESS_STRIDE);
  for (int i = 0; i < KW_BYTES; i++)
    kbytes[i] = (char)(sc_seed + (uint64)i * 13);
  if (write(kp[1], kbytes, KW_BYTES) != KW_BYTES)
    exit(0);
  int armed = (int)(sc_seed >> 5) & 1;
  uint64 gen = GEN(1, 0);
  if (nthreads > 1 && spawn(drainer, 0, 0) != 0) {
    drain = 1;
    while (__atomic_load_n(&drain_state, __ATOMIC_ACQUIRE) != 1)
      ;
  }
  int pid = -1;
  for (int attempt = 0; attempt < 2 && pid < 0; attempt++) {
    pid = fork();                      /* with the pool drained it may fail */
    if (pid == 0) {
      close(kp[1]);
      close(hp[0]);
      close(pp[1]);
      pr_child(armed, kp[0], hp[1], pp[0]);
    }
    if (pid < 0) {
      say('F');
      /* A failed fork leaves nothing shared: all there, all writable. */
      pr_check(0, PR_PAGES, gen, "after a failed fork");
      gen = GEN(1, 1 + attempt);
      pr_fill(0, PR_PAGES, gen);
      pr_check(0, PR_PAGES, gen, "after writing once a fork failed");
    }
    if (drain && attempt == 0) {
      __atomic_store_n(&drain_state, 2, __ATOMIC_RELEASE);
      while (__atomic_load_n(&drain_state, __ATOMIC_ACQUIRE) != 3)
        sleep(1);
    }
  }
  close(kp[0]);
  close(hp[1]);
  close(pp[0]);
  if (pid < 0)
    exit(failed);
  /* Break the first half while the child holds its hog; the child breaks
   * the second half. */
  read(hp[0], &c, 1);
  pr_fill(0, half, GEN(1, 4));
  pr_check(0, half, GEN(1, 4), "the parent after its writes");
  write(pp[1], "p", 1);
  if (wait(&status) != pid) {
    complain("lost the child");
  } else if (status == -1 && armed) {
    say('O');                          /* a break (or its stack) found no page */
  } else if (status == -1) {
    complain("the child was killed with no failure injected");
  } else if (status != 0) {
    failed = 1;
  }
  pr_check(0, half, GEN(1, 4), "the parent after the child ended");
  pr_check(half, PR_PAGES, gen, "the parent after the child ended");
  if (check(heap, GEN(1, 0), STRESS_STRIDE) || check(heap + PGSIZE, GEN(1, 0), STRESS_STRIDE))
    complain("the child's read into shared pages reached the parent's copy");
  pr_fill(0, PR_PAGES, GEN(1, 5));
  pr_check(0, PR_PAGES, GEN(1, 5), "the parent, its pages its own again");
  exit(failed);
}

static void scenario(int sc, int nthreads) __attribute__((noreturn));

static void
scenario(int sc, int nthreads)
{
  switch (sc) {
  case SC_CHAIN: chain(); break;
  case SC_RACE: race(nthreads); break;
  case SC_FORK: fork_writers(nthreads); break;
  case SC_UNMAP:
  case SC_EXIT:
  case SC_EXEC: unshare(sc, nthreads); break;
  default: pressure(nthreads); break;
  }
  exit(0);
}

/* ---- the worker ---- */

static const char *const sc_names[SC_COUNT] = {
  "chain", "race", "fork", "unmap", "exit", "exec", "pressure"
};
static const int sc_ops[SC_COUNT] = {
  OP_C_CHAIN, OP_C_RACE, OP_C_FORK, OP_C_UNMAP, OP_C_EXIT, OP_C_EXEC, OP_C_PRESSURE
};
/* How often each runs, out of the sum: fork (what catches a missing
 * fork-time flush) most. */
static const int sc_weight[SC_COUNT] = { 2, 2, 3, 1, 1, 1, 1 };

static struct {
  uint64 seed;
  uint64 rng;
  int report_fd;
  struct stress_report rep;
} cw;

#define FAIL(...) stress_fail(cw.seed, __VA_ARGS__)

static void
send_report(int done)
{
  cw.rep.done = (uint32)done;
  if (write(cw.report_fd, &cw.rep, sizeof(cw.rep)) != sizeof(cw.rep))
    FAIL("report write failed");
}

static int
pick_scenario(void)
{
  int sum = 0;

  for (int i = 0; i < SC_COUNT; i++)
    sum += sc_weight[i];
  int x = (int)stress_below(&cw.rng, (uint64)sum);
  for (int i = 0; i < SC_COUNT; i++) {
    if (x < sc_weight[i])
      return i;
    x -= sc_weight[i];
  }
  return 0;
}

static void
run_scenario(int sc)
{
  int fds[2];
  int nthreads = 1 + (int)stress_below(&cw.rng, THREADS_MAX);

  if (pipe(fds) != 0)
    return;
  sc_seed = stress_rand(&cw.rng);
  int pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    cw.rep.ops[OP_FORK_FAILED]++;
    return;
  }
  if (pid == 0) {
    close(fds[0]);
    close(cw.report_fd);
    say_fd = fds[1];
    scenario(sc, nthreads);
  }
  close(fds[1]);
  int status = -2;
  if (wait(&status) != pid)
    FAIL("cow: wait did not return scenario %s's process", sc_names[sc]);
  /* Every process of the scenario has closed the pipe when it ends. */
  static char msg[128];
  char buf[64];
  int n, mlen = -1;
  while ((n = read(fds[0], buf, sizeof(buf))) > 0)
    for (int i = 0; i < n; i++) {
      char c = buf[i];
      if (mlen >= 0) {
        if (c == '\n')
          mlen = -2;                    /* keep the first message only */
        else if (mlen < (int)sizeof(msg) - 1)
          msg[mlen++] = c, msg[mlen] = 0;
      } else if (mlen == -1 && c == '!') {
        mlen = 0;
        msg[0] = 0;
      } else if (c == 'T') {
        cw.rep.ops[OP_THREAD]++;
      } else if (c == 'F') {
        cw.rep.ops[OP_FORK_FAILED]++;
      } else if (c == 'O') {
        cw.rep.ops[OP_C_OOM]++;
      }
    }
  close(fds[0]);
  if (mlen != -1)
    FAIL("cow: %s: %s", sc_names[sc], msg);
  if (status != 0)
    FAIL("cow: %s: the scenario's process ended with status %d", sc_names[sc], status);
  cw.rep.ops[sc_ops[sc]]++;
}

void
cowwork_run(int id, uint64 seed, uint64 deadline, int report_fd)
{
  uint64 next_report = 0;

  cw.seed = seed;
  cw.rng = seed;
  cw.report_fd = report_fd;
  cw.rep.magic = STRESS_REPORT_MAGIC;
  cw.rep.worker = (uint32)id;
  while ((uint64)uptime() < deadline) {
    run_scenario(pick_scenario());
    if ((uint64)uptime() >= next_report) {
      send_report(0);
      next_report = (uint64)uptime() + REPORT_TICKS;
    }
  }
  send_report(1);
  exit(0);
}
