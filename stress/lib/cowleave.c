/*
 * cowleave.c: the copy-on-write scenarios where one side changes or leaves
 * the shared pages while the other uses them (cowscen.h): fork while
 * sibling threads write; munmap and sbrk shrink, exit or exec on one side;
 * and memory pressure (a pool drain and a memory hog) while pages are
 * broken. What each checks is in cowwork.c's header.
 */
#include "cowscen.h"

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
          cw_complain("a sibling read round %d in writer %d's word %d after round %d was "
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
        cw_complain("child's copy: writer %d word %d torn: %p", j, (int)i, (void *)v);
        exit(1);
      }
      if (k < lo[j]) {
        cw_complain("child's copy: writer %d word %d is round %d, older than round %d "
                 "done before fork", j, (int)i, (int)k, (int)lo[j]);
        exit(1);
      }
      if (k > hi[j]) {
        cw_complain("child's word %d of writer %d is round %d > %d, under way at "
                 "fork's return: a parent write leaked into the child", (int)i, j, (int)k,
                 (int)hi[j]);
        exit(1);
      }
    }
  sleep(1);
  uint64 h2 = fk_hash(nw);
  if (h0 != h1 || h1 != h2) {
    cw_complain("the child's copy changed while only read (%s): a parent write "
             "leaked into the child", h0 != h1 ? "before the pipe" : "over a tick");
    exit(1);
  }
  exit(0);
}

void
cw_fork_writers(int nthreads)
{
  int tids[THREADS_MAX], nw = 0, status;
  uint64 lo[THREADS_MAX], hi[THREADS_MAX];
  uint64 r = cw_seed;

  ctl = (struct fk_ctl *)cw_map_pages(1);
  fkbuf = cw_map_pages(THREADS_MAX * FK_PAGES_EACH);
  if (ctl == 0 || fkbuf == 0)
    exit(0);
  for (int j = 0; j < nthreads; j++) {
    int t = cw_spawn(fk_writer, (void *)(uint64)j, j);
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
  int reader = cw_spawn(fk_reader, 0, THREADS_MAX);
  int forks = FK_FORKS_MIN + (int)stress_below(&r, 4);
  for (int f = 0; f < forks && !cw_failed; f++) {
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
      cw_say('F');
      close(hp[1]);
      continue;
    }
    write(hp[1], hi, nw * (int)sizeof(uint64));
    close(hp[1]);
    if (wait(&status) != pid)
      cw_complain("lost the child");
    else if (status == -1)
      cw_complain("the child was killed");
    else if (status != 0)
      cw_failed = 1;
    if (stress_below(&r, 4) == 0)
      sleep(1);                        /* the writers may move to other harts */
    else
      cw_pause(&r);
  }
  __atomic_store_n(&ctl->stop, 1, __ATOMIC_RELEASE);
  for (int i = 0; i < nw; i++)
    join(tids[i], 0);
  if (reader)
    join(reader, 0);
  exit(cw_failed);
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
  return i < UN_AREA ? cw_area + (uint64)i * PGSIZE : cw_heap + (uint64)(i - UN_AREA) * PGSIZE;
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
      uint64 bad = cw_check(un_page(p), un_model[p], STRESS_STRIDE);
      if (bad) {
        int g = cw_whose(bad);
        cw_complain("%s keeps: its page %d has gen %d round %d's word, want gen %d round %d",
                 un_side == 1 ? "the parent" : "the child", p, g < 0 ? -1 : GEN_WHO(g),
                 g < 0 ? -1 : GEN_ROUND(g), GEN_WHO(un_model[p]), GEN_ROUND(un_model[p]));
        return;
      }
      uint8 g = (uint8)GEN(un_side, 1 + r % 15);
      cw_fill(un_page(p), g, STRESS_STRIDE);
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
    int t = cw_spawn(un_keeper, (void *)(uint64)i, i);
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
    if (cw_check(un_page(p), un_model[p], STRESS_STRIDE)) {
      cw_complain("%s keeps: page %d lost its last write",
               un_side == 1 ? "the parent" : "the child", p);
      break;
    }
}

static void
un_leave(int how, int who, int kfd, int ufd)
{
  char c;
  uint64 r = cw_seed ^ (uint64)who;

  read(kfd, &c, 1);                    /* the keeper is under way (or gone) */
  cw_pause(&r);
  if (how == SC_EXIT || how == SC_EXEC) {
    /* Break some pages first: exit and exec then drop copies and shares. */
    for (int p = 0; p < UN_PAGES; p++)
      if (stress_below(&r, 2))
        cw_fill(un_page(p), GEN(who, 1), STRESS_STRIDE);
    if (how == SC_EXEC) {
      char seed[24];
      char *argv[] = { "stressexec", seed, "1", 0 };
      snprintf(seed, sizeof(seed), "%d", (int)(cw_seed & 0x7fffffff));
      exec("stressexec", argv);
    }
    exit(0);          /* also when exec had no memory: not an error */
  }
  /* munmap part of the area and shrink the heap, under the keeper's use. */
  uint64 first = stress_below(&r, UN_AREA);
  uint64 n = 1 + stress_below(&r, UN_AREA - first);
  uint64 shrink = 1 + stress_below(&r, UN_HEAP);
  if (munmap((void *)(cw_area + first * PGSIZE), n * PGSIZE) != 0) {
    /* Only a split needs a node, and the pool may be drained by others. */
    if (first == 0 || first + n == UN_AREA)
      cw_complain("munmap of a mapped shared range failed");
    n = 0;
  }
  if (sbrk(-(long)(shrink * PGSIZE)) == (char *)-1)
    cw_complain("shrinking sbrk failed");
  for (int p = 0; p < UN_PAGES; p++) {
    int gone = p < UN_AREA ? (uint64)p >= first && (uint64)p < first + n
                           : (uint64)(p - UN_AREA) >= UN_HEAP - shrink;
    if (!gone && cw_check(un_page(p), GEN(1, 0), STRESS_STRIDE)) {
      cw_complain("page %d, which the unmapping side kept, lost its value", p);
      break;
    }
  }
  /* The same addresses again: fresh zero pages, never the keeper's. */
  void *m = n == 0 ? MAP_FAILED
                   : mmap((void *)(cw_area + first * PGSIZE), n * PGSIZE,
                          PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
  if (m != MAP_FAILED)                 /* the pool may be drained by others */
    for (uint64 p = first; p < first + n; p++)
      if (nonzero(cw_area + p * PGSIZE)) {
        cw_complain("page %d mapped again where a shared one was is not zero", (int)p);
        break;
      }
  if (sbrk((long)(shrink * PGSIZE)) != (char *)-1)
    for (uint64 p = UN_HEAP - shrink; p < UN_HEAP; p++)
      if (nonzero(cw_heap + p * PGSIZE)) {
        cw_complain("heap page %d grown again where a shared one was is not zero",
                 (int)p);
        break;
      }
  write(ufd, "u", 1);
}

void
cw_unshare(int how, int nthreads)
{
  int kp[2], up[2], status;

  cw_area = cw_map_pages(UN_AREA);
  cw_heap = cw_heap_pages(UN_HEAP);
  if (cw_area == 0 || cw_heap == 0 || pipe(kp) || pipe(up))
    exit(0);
  for (int p = 0; p < UN_PAGES; p++) {
    cw_fill(un_page(p), GEN(1, 0), STRESS_STRIDE);
    un_model[p] = (uint8)GEN(1, 0);
  }
  int keeper_is_child = (int)(cw_seed >> 3) & 1;
  int pid = fork();
  if (pid < 0) {
    cw_say('F');
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
      cw_complain("lost the child");
    else if (status == -1)
      cw_complain("the child (%s) was killed",
               in_child == keeper_is_child ? "leaving" : "keeping");
    else if (status != 0)
      cw_failed = 1;
  }
  exit(cw_failed);
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
      cw_fill((uint64)p, GEN(1, 0), STRESS_STRIDE);
  }
  /* Spin, not sleep: others' mmaps and forks fail while the pool is empty. */
  __atomic_store_n(&drain_state, 1, __ATOMIC_RELEASE);
  while (__atomic_load_n(&drain_state, __ATOMIC_ACQUIRE) != 2)
    ;
  for (int i = 0; i < got && i < DRAIN_FILLED; i += 2)
    if (cw_check(DRAIN_BASE + (uint64)i * PGSIZE, GEN(1, 0), STRESS_STRIDE)) {
      cw_complain("drained page %d lost its value", i);
      break;
    }
  if (got > 0 && munmap((void *)DRAIN_BASE, (uint64)got * PGSIZE) != 0)
    cw_complain("munmap of %d drained pages failed", got);
  __atomic_store_n(&drain_state, 3, __ATOMIC_RELEASE);
}

/* Checks pages [first, last) of the area hold gen's values. */
static void
pr_check(int first, int last, uint64 gen, const char *when)
{
  for (int p = first; p < last; p++) {
    uint64 bad = cw_check(cw_area + (uint64)p * PGSIZE, gen, STRESS_STRIDE);
    if (bad) {
      int g = cw_whose(bad);
      cw_complain("%s: page %d has gen %d round %d's word, want gen %d round %d", when, p,
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
    cw_fill(cw_area + (uint64)p * PGSIZE, gen, STRESS_STRIDE);
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
  uint64 hog = cw_map_pages(HOG_MAX), got = 0;
  char want[KW_BYTES], c;

  for (int i = 0; i < KW_BYTES; i++)
    want[i] = (char)(cw_seed + (uint64)i * 13);
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
    failinject(FAIL_PAGES, 0, OOM_PPM, (int)(cw_seed & 0x7fffffff));
  pr_fill(0, PR_PAGES, GEN(2, 1));     /* a failed break kills the child here */
  pr_check(0, PR_PAGES, GEN(2, 1), "the child after its writes");
  uint64 buf = cw_heap + PGSIZE - KW_BYTES / 2;
  int rc = read(kfd, (void *)buf, KW_BYTES);
  if (rc == -1 && armed) {
    /* No page for a break: nothing written, the bytes still in the pipe. */
    if (cw_check(cw_heap, GEN(1, 0), STRESS_STRIDE) || cw_check(cw_heap + PGSIZE, GEN(1, 0), STRESS_STRIDE))
      cw_complain("a read that failed for want of a page changed the buffer");
    failinject(0, 0, 0, 0);
    rc = read(kfd, (void *)buf, KW_BYTES);
  }
  failinject(0, 0, 0, 0);
  if (rc != KW_BYTES || memcmp((void *)buf, want, KW_BYTES) != 0)
    cw_complain("the child's read into shared pages gave %d bytes, or wrong ones", rc);
  for (uint64 i = 0; i < got; i += 97)
    if (*(volatile uint64 *)(hog + i * PGSIZE) != hog + i) {
      cw_complain("hog page %d lost its value", (int)i);
      break;
    }
  if (hog != 0)
    munmap((void *)hog, HOG_MAX * PGSIZE);
  exit(cw_failed);
}

void
cw_pressure(int nthreads)
{
  int kp[2], hp[2], pp[2], status, drain = 0;
  char kbytes[KW_BYTES], c;
  const int half = PR_PAGES / 2;

  cw_area = cw_map_pages(PR_PAGES);
  cw_heap = cw_heap_pages(2);
  if (cw_area == 0 || cw_heap == 0 || pipe(kp) || pipe(hp) || pipe(pp))
    exit(0);
  pr_fill(0, PR_PAGES, GEN(1, 0));
  cw_fill(cw_heap, GEN(1, 0), STRESS_STRIDE);
  cw_fill(cw_heap + PGSIZE, GEN(1, 0), STRESS_STRIDE);
  for (int i = 0; i < KW_BYTES; i++)
    kbytes[i] = (char)(cw_seed + (uint64)i * 13);
  if (write(kp[1], kbytes, KW_BYTES) != KW_BYTES)
    exit(0);
  int armed = (int)(cw_seed >> 5) & 1;
  uint64 gen = GEN(1, 0);
  if (nthreads > 1 && cw_spawn(drainer, 0, 0) != 0) {
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
      cw_say('F');
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
    exit(cw_failed);
  /* Break the first half while the child holds its hog; the child breaks
   * the second half. */
  read(hp[0], &c, 1);
  pr_fill(0, half, GEN(1, 4));
  pr_check(0, half, GEN(1, 4), "the parent after its writes");
  write(pp[1], "p", 1);
  if (wait(&status) != pid) {
    cw_complain("lost the child");
  } else if (status == -1 && armed) {
    cw_say('O');                          /* a break (or its stack) found no page */
  } else if (status == -1) {
    cw_complain("the child was killed with no failure injected");
  } else if (status != 0) {
    cw_failed = 1;
  }
  pr_check(0, half, GEN(1, 4), "the parent after the child ended");
  pr_check(half, PR_PAGES, gen, "the parent after the child ended");
  if (cw_check(cw_heap, GEN(1, 0), STRESS_STRIDE) || cw_check(cw_heap + PGSIZE, GEN(1, 0), STRESS_STRIDE))
    cw_complain("the child's read into shared pages reached the parent's copy");
  pr_fill(0, PR_PAGES, GEN(1, 5));
  pr_check(0, PR_PAGES, GEN(1, 5), "the parent, its pages its own again");
  exit(cw_failed);
}
