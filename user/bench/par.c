/*
 * par.c: bench's parallel runs. Each run starts h workers at one rdtime
 * instant set ahead of time and lasts until the last one is done: h
 * processes or h threads of one process storing once to each of 480 fresh
 * pages of their own; h processes storing once to each of 480 pages that
 * are copy-on-write but no longer shared (a fault each that takes no page:
 * the lock, the entry made writable); h processes that only compute, h
 * processes that only call getpid. A round makes one run of every kind at
 * every hart count, so a slow spell of the host weighs on every row alike;
 * a row is the median of the rounds, or with --best the fastest round. The
 * lock counters are read around the runs at the most harts.
 *
 * Why --best (tools/scaling.sh uses it): on a shared host a run is either
 * as fast as the machine allows or, in one of its slow spells, slower as a
 * whole (a 2 ms run of getpid or faults takes twice as long, compute 1.4
 * times, with no pause inside it that the worker could see), and spells
 * come and go within a round. Which runs they land on decides the median,
 * so the median ratio of one QEMU's 2 workers to its 1 moved from 1.0x to
 * 2.0x between boots; noise only ever adds time, so the fastest round of
 * each kind is the run the spells missed, and its ratio held (compute
 * 2.00x in every boot).
 */
#include "bench/bench.h"

#define START_MARGIN (TIMEBASE_HZ / 500)  /* 2 ms: first guess of the lead */
#define LATE_RETRIES 10                   /* runs made again for a late worker */
#define CHUNK_LOOPS 1000   /* a computing worker does PAR_PAGES chunks of these */
#define CALLS_PER_PAGE 4   /* a getpid worker makes 4 x PAR_PAGES calls */
_Static_assert(MAX_HARTS * PAR_PAGES <= MMAP_PAGES, "the threads' region fits");

/* What one worker reports. Its instret readings are kept as they are:
 * under -icount QEMU's instret is one clock for every hart (their
 * instructions together), so the run's count is the span from the first
 * worker's first reading to the last one's last, all harts included. */
struct wres {
  uint64 arrive;               /* rdtime when it was ready to start */
  uint64 end;                  /* rdtime after its last store */
  uint64 n0, n1;               /* rdinstret before its first store, after its last */
};

static struct wres res[MAX_HARTS];

/* The kinds of parallel run, and how a row names each. */
enum { FAULTS_PROCS, FAULTS_THREADS, COW_FAULTS, COMPUTE, SYSCALLS, KINDS };

static const struct kind {
  const char *key;             /* CSV key, before _h */
  const char *what;            /* the figure: "<what> by h <worker>" */
  const char *worker[2];       /* one, several */
  const char *unit;            /* of the rate */
  int per_page;                /* units of work per page of cfg.par_pages */
} kinds[KINDS] = {
  { "faults_procs", "faults", { "process", "processes" }, "faults/s", 1 },
  { "faults_threads", "faults", { "thread", "threads" }, "faults/s", 1 },
  { "cowfaults_procs", "cow faults", { "process", "processes" }, "faults/s", 1 },
  { "compute_procs", "compute", { "process", "processes" }, "chunks/s", 1 },
  { "syscalls_procs", "getpid", { "process", "processes" }, "calls/s", CALLS_PER_PAGE },
};

/* Waits for start, then does the kind's work: stores to each of the pages
 * at base once, computes as many chunks, or calls getpid CALLS_PER_PAGE
 * times as many. r is written first, so its page is in before the clock
 * starts. */
static void
work(int kind, char *base, uint64 start, struct wres *r)
{
  volatile uint64 sink;
  uint64 x = start;

  r->arrive = rdtime();
  while (rdtime() < start)
    ;
  r->n0 = rdinstret();
  if (kind == COMPUTE) {
    for (uint64 i = 0; i < (uint64)cfg.par_pages * CHUNK_LOOPS; i++)
      x = x * 6364136223846793005UL + 1442695040888963407UL;
    sink = x;
    (void)sink;
  } else if (kind == SYSCALLS) {
    for (int i = 0; i < cfg.par_pages * CALLS_PER_PAGE; i++)
      getpid();
  } else {
    for (int i = 0; i < cfg.par_pages; i++)
      *(volatile char *)(base + (uint64)i * PGSIZE) = 1;
  }
  r->n1 = rdinstret();
  r->end = rdtime();
}

/* Writes every page of area, then forks a child that exits at once: each
 * page is left copy-on-write with one sharer, so the next store to it
 * makes it writable again without a copy. */
static int
unshare_ready(char *area)
{
  int status;

  for (int i = 0; i < cfg.par_pages; i++)
    area[(uint64)i * PGSIZE] = 1;
  int pid = fork();
  if (pid == 0)
    exit(0);
  return pid > 0 && wait(&status) == pid && status == 0 ? 0 : -1;
}

/* h forked children, each with a fresh mmap region of its own if it
 * faults, report through a pipe (a write under 128 bytes is never
 * split). */
static int
run_procs(int kind, int h, uint64 start)
{
  int p[2];

  if (pipe(p) != 0)
    return -1;
  for (int k = 0; k < h; k++) {
    int pid = fork();
    if (pid < 0)
      return -1;
    if (pid == 0) {
      struct wres r;
      close(p[0]);
      char *area = kind != FAULTS_PROCS && kind != COW_FAULTS ? NULL
        : mmap(0, (size_t)cfg.par_pages * PGSIZE, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS);
      if (area == MAP_FAILED || (kind == COW_FAULTS && unshare_ready(area) != 0))
        exit(1);
      work(kind, area, start, &r);
      exit(write(p[1], &r, sizeof(r)) == sizeof(r) ? 0 : 1);
    }
  }
  close(p[1]);
  int got = 0, status, bad = 0;
  while (got < h && read(p[0], &res[got], sizeof(res[got])) == sizeof(res[got]))
    got++;
  close(p[0]);
  for (int k = 0; k < h; k++)
    if (wait(&status) < 0 || status != 0)
      bad = 1;
  return got == h && !bad ? 0 : -1;
}

static char *t_area;
static uint64 t_start;
static char t_stacks[MAX_HARTS][2 * PGSIZE] __attribute__((aligned(16)));

static void
thread_main(void *arg)
{
  int k = (int)(uint64)arg;

  work(FAULTS_THREADS, t_area + (uint64)k * cfg.par_pages * PGSIZE, t_start, &res[k]);
}

/* h threads of this process, each on its own slice of one fresh region. */
static int
run_threads(int h, uint64 start)
{
  int tids[MAX_HARTS], status, bad = 0;
  size_t len = (size_t)h * cfg.par_pages * PGSIZE;

  t_area = mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
  if (t_area == MAP_FAILED)
    return -1;
  t_start = start;
  for (int k = 0; k < h; k++) {
    tids[k] = clone(thread_main, (void *)(uint64)k, t_stacks[k] + sizeof(t_stacks[k]));
    if (tids[k] < 0)
      return -1;
  }
  for (int k = 0; k < h; k++)
    if (join(tids[k], &status) != tids[k] || status != 0)
      bad = 1;
  return munmap(t_area, len) == 0 && !bad ? 0 : -1;
}

/* Lock classes reported, and their counters summed over the runs at the
 * highest hart count (minus the snapshot before, plus the one after). */
static const char *const lock_names[] = { "pmem", "mmap_pool", "uvm" };
#define NLOCKS ((int)NELEM(lock_names))
static uint64 lock_acq[NLOCKS], lock_spins[NLOCKS];
static struct lockstat ls[LOCKSTAT_CLASSES];

static int
lock_account(int sign)
{
  int n = lockstat(ls, LOCKSTAT_CLASSES);

  if (n < 0)
    return -1;
  n = n < LOCKSTAT_CLASSES ? n : LOCKSTAT_CLASSES;
  for (int c = 0; c < NLOCKS; c++)
    for (int k = 0; k < n; k++)
      if (strcmp(ls[k].name, lock_names[c]) == 0) {
        lock_acq[c] += (uint64)sign * ls[k].acquires;
        lock_spins[c] += (uint64)sign * ls[k].spins;
      }
  return 0;
}

static uint64 lead[KINDS] = { [0 ... KINDS - 1] = START_MARGIN };  /* per kind */

/* One run of h workers of a kind, all starting at one time. The start is
 * set far enough ahead for every worker to be made and waiting; if one
 * arrives after it, the lead becomes the time the last one took to
 * arrive and a quarter more (at least a START_MARGIN more than it was),
 * and the run is made again, so the time measured is the work alone.
 * (Doubling it instead overshot: a kind whose workers take long to set
 * up, such as the copy-on-write faults under -icount, ended with workers
 * waiting 400 ms a run.) Returns the ticks from the start to the last
 * worker's last store, or 0 if a system call failed. */
static uint64
run_once(int kind, int h)
{
  for (int tries = 0;; tries++) {
    uint64 start = rdtime() + lead[kind];
    if ((kind == FAULTS_THREADS ? run_threads(h, start) : run_procs(kind, h, start)) != 0)
      return 0;
    uint64 last = 0, arrived = 0;
    for (int k = 0; k < h; k++) {
      last = res[k].end > last ? res[k].end : last;
      arrived = res[k].arrive > arrived ? res[k].arrive : arrived;
    }
    if (arrived <= start || tries == LATE_RETRIES)
      return last - start;
    uint64 need = (arrived - (start - lead[kind])) * 5 / 4;
    lead[kind] = need > lead[kind] + START_MARGIN ? need : lead[kind] + START_MARGIN;
  }
}

/* Ticks and instructions per fault (or chunk) of each run, by kind and
 * hart count. */
static uint64 par_t[KINDS][MAX_HARTS + 1][MAX_PAR_REPS];
static uint64 par_i[KINDS][MAX_HARTS + 1][MAX_PAR_REPS];

/* One run of each kind at each hart count per round, round after round,
 * so a slow spell of the host weighs on every figure alike, not on one.
 * The lock counters are taken around the runs at the most harts. */
int
parallel_rounds(void)
{
  for (int r = 0; r < cfg.par_reps; r++)
    for (int kind = 0; kind < KINDS; kind++)
      for (int h = 1; h <= cfg.harts; h++) {
        uint64 n0 = ~0UL, n1 = 0;
        if (h == cfg.harts && lock_account(-1) != 0)
          return -1;
        if ((par_t[kind][h][r] = run_once(kind, h)) == 0)
          return -1;
        if (h == cfg.harts && lock_account(1) != 0)
          return -1;
        for (int k = 0; k < h; k++) {
          n0 = res[k].n0 < n0 ? res[k].n0 : n0;
          n1 = res[k].n1 > n1 ? res[k].n1 : n1;
        }
        par_i[kind][h][r] = (n1 - n0) * 100 / units_x100 /
                            (uint64)(h * cfg.par_pages * kinds[kind].per_page);
      }
  return 0;
}

/* The fastest of n runs' ticks. */
static uint64
fastest(const uint64 *t, int n)
{
  uint64 best = t[0];

  for (int k = 1; k < n; k++)
    best = t[k] < best ? t[k] : best;
  return best;
}

/* The rows of one kind: per fault (or chunk, or call), how many a second,
 * and the ratio to one hart, from the median run at each hart count (the
 * fastest with --best). */
static void
kind_rows(int kind)
{
  const struct kind *k = &kinds[kind];
  int64 base = 0;
  char key[32], fig[48];

  for (int h = 1; h <= cfg.harts; h++) {
    uint64 units = (uint64)(h * cfg.par_pages * k->per_page);
    uint64 ticks = cfg.best ? fastest(par_t[kind][h], cfg.par_reps)
                            : median_u64(par_t[kind][h], cfg.par_reps);
    snprintf(key, sizeof(key), "%s_%d", k->key, h);
    snprintf(fig, sizeof(fig), "%s by %d %s", k->what, h, k->worker[h > 1]);
    struct row *row = row_add(key, fig);
    row->us_x100 = ticks_x100(ticks, units);
    if (cfg.exact)
      row->insns = (int64)median_u64(par_i[kind][h], cfg.par_reps);
    row->value_x100 = (int64)(units * TIMEBASE_HZ * 100 / (ticks ? ticks : 1));
    row->unit = k->unit;
    if (h == 1)
      base = row->value_x100;
    row->ratio_x100 = base > 0 ? row->value_x100 * 100 / base : -1;
  }
}

void
parallel_rows(void)
{
  for (int kind = 0; kind < KINDS; kind++)
    kind_rows(kind);
}

void
lock_rows(void)
{
  char key[32], fig[48];

  for (int c = 0; c < NLOCKS; c++) {
    snprintf(key, sizeof(key), "lock_%s", lock_names[c]);
    snprintf(fig, sizeof(fig), "lock %s at %d hart%s", lock_names[c], cfg.harts,
             cfg.harts > 1 ? "s" : "");
    struct row *row = row_add(key, fig);
    row->acquires = (int64)lock_acq[c];
    row->value_x100 = lock_acq[c] ? (int64)(lock_spins[c] * 100 / lock_acq[c]) : 0;
    row->unit = "spins/acquire";
  }
}
