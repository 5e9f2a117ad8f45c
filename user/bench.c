/*
 * bench.c: the kernel's costs in one table (make bench, tools/bench.sh):
 * a null system call (getpid, in batches); a first-touch fault (a store to
 * a fresh heap page); the sbrk grow-touch-shrink loop (per page: sbrk up a
 * page, store, sbrk down); fork+exit+wait and the fork() call alone with 0,
 * 1, 4 and 16 MiB of heap written; faults per second at 1..HARTS harts,
 * that many forked processes and then that many threads of one process
 * storing to fresh pages of their own from a common start time; the same
 * for processes that only compute (no trap: what the host's cores give
 * QEMU's harts) and for processes that only call getpid (a trap each,
 * nothing shared in the kernel: what QEMU itself lets traps on several
 * harts do at once), the two ceilings of the faults' scaling; and the
 * spins per acquire of the pmem, mmap_pool and uvm locks over the runs at
 * HARTS. Times come from rdtime (10 MHz; QEMU's virtual time under
 * -icount), medians of repeated samples, in microseconds.
 *
 * Instructions come from rdinstret, calibrated as faultbench does. QEMU's
 * instret follows host time unless it runs with -icount, so they are shown
 * only with --exact, which tools/bench.sh passes under DETERMINISTIC=1,
 * and "-" otherwise. A sample whose process changed hart is dropped, as
 * faultbench does (instret is per hart on real harts). Under -icount
 * QEMU's instret counts every hart's instructions together: the single-hart
 * figures run while the other harts idle, and a parallel run's row is all
 * harts' instructions per fault. Prints numbers only: a slow machine never
 * fails it, a failed system call does.
 *
 * Usage: bench [--exact] [--quick] [HARTS]   (HARTS 1 to 16, default 1:
 * a program cannot ask the kernel how many harts it has). Output: "bench: "
 * lines (the table), "bench-csv: " lines (a header, then the same rows),
 * then "bench: done".
 */
#include "user.h"

#define MAX_HARTS 16
#define MAX_SAMPLES 256
#define MAX_ROWS 64
#define SYSCALL_BATCH 8
#define MIB_PAGES (1024 * 1024 / PGSIZE)
#define START_MARGIN (TIMEBASE_HZ / 500)  /* 2 ms: first guess of the lead */
#define LATE_RETRIES 10                   /* doublings of the lead, at most */
#define MAX_PAR_REPS 16
#define PAR_PAGES 480      /* a worker's pages: the threads share one region */
#define CHUNK_LOOPS 1000   /* a computing worker does PAR_PAGES chunks of these */
#define CALLS_PER_PAGE 4   /* a getpid worker makes 4 x PAR_PAGES calls */
_Static_assert(MAX_HARTS * PAR_PAGES <= MMAP_PAGES, "the threads' region fits");

struct config {
  int harts;         /* parallel faults at 1..harts */
  int exact;         /* print instruction counts */
  int samples;       /* samples of the single-hart figures */
  int fork_reps;     /* forks per size, after one warm-up */
  int par_pages;     /* pages each parallel worker faults */
  int par_reps;      /* runs per hart count */
};

static struct config cfg;
static uint64 units_x100;      /* instret units per instruction, times 100 */

/* ---- samples and medians ---- */

struct series {
  int n;
  uint64 t[MAX_SAMPLES];       /* rdtime ticks */
  uint64 i[MAX_SAMPLES];       /* instructions */
};

static struct series ser, ser2;

/* One sample: the ticks and instret units of a window, unless the
 * process changed hart in it. */
static void
series_add(struct series *s, uint64 ticks, uint64 units, int same)
{
  if (!same || s->n == MAX_SAMPLES)
    return;
  s->t[s->n] = ticks;
  s->i[s->n++] = units * 100 / units_x100;
}

/* Hundredths of a microsecond in ticks / div. */
static int64
ticks_x100(uint64 ticks, uint64 div)
{
  return (int64)(ticks * (100UL * 1000000UL / TIMEBASE_HZ) / div);
}

/* ---- the table ---- */

struct row {
  char key[32];                /* the CSV's key */
  char figure[48];             /* the table's words (no commas) */
  int64 us_x100;               /* hundredths of a microsecond; -1: none */
  int64 insns;                 /* instructions; -1: none or not exact */
  int64 value_x100;            /* faults/s or spins/acquire, x100; -1: none */
  const char *unit;            /* of value */
  int64 ratio_x100;            /* faults/s over the 1-hart figure, x100 */
  int64 acquires;              /* lock rows */
};

static struct row rows[MAX_ROWS];
static int nrows;

static struct row *
row_add(const char *key, const char *figure)
{
  struct row *r = &rows[nrows < MAX_ROWS - 1 ? nrows++ : nrows];

  strlcpy(r->key, key, sizeof(r->key));
  strlcpy(r->figure, figure, sizeof(r->figure));
  r->us_x100 = r->insns = r->value_x100 = r->ratio_x100 = r->acquires = -1;
  r->unit = "";
  return r;
}

/* A row from a series whose samples each covered div operations. */
static void
row_series(const char *key, const char *figure, struct series *s, int div)
{
  struct row *r = row_add(key, figure);

  if (s->n > 0)
    r->us_x100 = ticks_x100(median_u64(s->t, s->n), (uint64)div);
  if (cfg.exact && s->n > 0)
    r->insns = (int64)(median_u64(s->i, s->n) / (uint64)div);
}

/* v into buf[24]: "12.34" if x100 (v is hundredths), else "1234"; none
 * for -1 ("-" in the table, empty in the CSV). */
static const char *
fmt(char *buf, int64 v, int x100, const char *none)
{
  if (v < 0)
    return none;
  if (x100)
    snprintf(buf, 24, "%lld.%02lld", v / 100, v % 100);
  else
    snprintf(buf, 24, "%lld", v);
  return buf;
}

static void
print_table(void)
{
  char a[24], b[24], c[24], d[24];

  printf("bench: %-36s %11s %13s  %s\n", "figure", "us", "instructions",
         "rate or contention");
  for (int k = 0; k < nrows; k++) {
    struct row *r = &rows[k];
    printf("bench: %-36s %11s %13s", r->figure, fmt(a, r->us_x100, 1, "-"),
           fmt(b, r->insns, 0, "-"));
    if (r->acquires >= 0)
      printf("  %s spins/acquire (%lld acquires)", fmt(c, r->value_x100, 1, "-"),
             r->acquires);
    else if (r->value_x100 >= 0)
      printf("  %8lld %s  %sx", r->value_x100 / 100, r->unit,
             fmt(d, r->ratio_x100, 1, "-"));
    printf("\n");
  }
}

static void
print_csv(void)
{
  char a[24], b[24], c[24], d[24], e[24];

  printf("bench-csv: key,figure,us,instructions,value,unit,vs_1_hart,acquires\n");
  for (int k = 0; k < nrows; k++) {
    struct row *r = &rows[k];
    printf("bench-csv: %s,%s,%s,%s,%s,%s,%s,%s\n", r->key, r->figure,
           fmt(a, r->us_x100, 1, ""), fmt(b, r->insns, 0, ""),
           fmt(c, r->value_x100, 1, ""), r->unit, fmt(d, r->ratio_x100, 1, ""),
           fmt(e, r->acquires, 0, ""));
  }
}

/* ---- single-hart figures ---- */

/* Runs stmt between readings of the counters and adds the window to ser
 * (hartid() is a system call: it stays outside). */
#define TIMED(stmt)                                                 \
  do {                                                              \
    int h0_ = hartid();                                             \
    uint64 t0_ = rdtime(), n0_ = rdinstret();                       \
    stmt;                                                           \
    uint64 n1_ = rdinstret(), t1_ = rdtime();                       \
    series_add(&ser, t1_ - t0_, n1_ - n0_, h0_ == hartid());        \
  } while (0)

static void
bench_syscall(void)
{
  ser.n = 0;
  for (int k = 0; k < cfg.samples; k++)
    TIMED(for (int j = 0; j < SYSCALL_BATCH; j++) getpid());
  row_series("null_syscall", "null system call (getpid)", &ser, SYSCALL_BATCH);
}

/* Moves the break to a page boundary; returns it, or NULL. */
static char *
heap_aligned(void)
{
  char *cur = sbrk(0);
  if (cur == (char *)-1)
    return NULL;
  long pad = (long)(PGROUNDUP((uint64)cur) - (uint64)cur);
  if (sbrk(pad) == (char *)-1)
    return NULL;
  return cur + pad;
}

static int
bench_fault(void)
{
  char *heap = heap_aligned();
  long len = (long)cfg.samples * PGSIZE;

  if (heap == NULL || sbrk(len) == (char *)-1)
    return -1;
  ser.n = 0;
  for (int k = 0; k < cfg.samples; k++) {
    volatile char *p = heap + (uint64)k * PGSIZE;
    TIMED(*p = 1);
  }
  row_series("first_touch_fault", "first-touch fault (heap page)", &ser, 1);
  return sbrk(-len) == (char *)-1 ? -1 : 0;
}

/* One page of the loop: the break goes up a page, the page is written (a
 * fault), the break comes back (the page freed, the TLB flushed). */
static int
grow_touch_shrink(volatile char *page)
{
  if (sbrk(PGSIZE) == (char *)-1)
    return -1;
  *page = 1;
  return sbrk(-(long)PGSIZE) == (char *)-1 ? -1 : 0;
}

static int
bench_sbrk(void)
{
  volatile char *page = heap_aligned();
  int bad = 0;

  if (page == NULL)
    return -1;
  ser.n = 0;
  for (int k = 0; k < cfg.samples && !bad; k++)
    TIMED(bad = grow_touch_shrink(page));
  if (bad)
    return -1;
  row_series("sbrk_grow_touch_shrink", "sbrk grow-touch-shrink (per page)", &ser, 1);
  return 0;
}

/* fork() straight through ecall with the counters read around it and
 * everything in registers: the child, seeing 0, calls exit(0) at once
 * without a store (a store would make it copy a page), as forkbench's. */
static int
fork_timed(uint64 *t0, uint64 *t1, uint64 *n0, uint64 *n1)
{
  register long a0 asm("a0");
  register long a7 asm("a7") = SYS_fork;

  asm volatile("rdtime %[t0]\n"
               "rdinstret %[n0]\n"
               "ecall\n"
               "rdinstret %[n1]\n"
               "rdtime %[t1]\n"
               "bnez a0, 1f\n"
               "li a7, %[sys_exit]\n"
               "ecall\n"
               "1:\n"
               : "=r"(a0), "+r"(a7), [t0] "=&r"(*t0), [t1] "=&r"(*t1),
                 [n0] "=&r"(*n0), [n1] "=&r"(*n1)
               : [sys_exit] "i"(SYS_exit)
               : "memory");
  return (int)a0;
}

/* One fork+exit+wait into ser (the whole) and ser2 (the call alone). */
static int
fork_once(int counted)
{
  uint64 t0, t1, n0, n1;
  int status = -1, h0 = hartid();
  int pid = fork_timed(&t0, &t1, &n0, &n1);

  if (pid < 0 || wait(&status) != pid || status != 0)
    return -1;
  uint64 t2 = rdtime();
  if (counted) {
    int same = h0 == hartid();
    series_add(&ser, t2 - t0, 0, 1);   /* spans two harts: time only */
    series_add(&ser2, t1 - t0, n1 - n0, same);
  }
  return 0;
}

static int
bench_fork(void)
{
  static const int sizes[] = { 0, 1, 4, 16 };
  char *heap = heap_aligned();
  int npages = 0;
  char key[32], fig[48];

  if (heap == NULL)
    return -1;
  for (int s = 0; s < (int)NELEM(sizes); s++) {
    int want = sizes[s] * MIB_PAGES;
    if (sbrk((long)(want - npages) * PGSIZE) == (char *)-1)
      return -1;
    npages = want;
    ser.n = 0;
    ser2.n = 0;
    for (int r = -1; r < cfg.fork_reps; r++) {
      /* Every fork meets the same state: each page private, written. */
      for (int i = 0; i < npages; i++)
        *(volatile int *)(heap + (uint64)i * PGSIZE) = r;
      if (fork_once(r >= 0) != 0)
        return -1;
    }
    snprintf(key, sizeof(key), "fork_exit_wait_%dmib", sizes[s]);
    snprintf(fig, sizeof(fig), "fork+exit+wait %d MiB touched", sizes[s]);
    row_series(key, fig, &ser, 1);
    rows[nrows - 1].insns = -1;
    snprintf(key, sizeof(key), "fork_call_%dmib", sizes[s]);
    snprintf(fig, sizeof(fig), "fork() call %d MiB touched", sizes[s]);
    row_series(key, fig, &ser2, 1);
  }
  return sbrk(-(long)npages * PGSIZE) == (char *)-1 ? -1 : 0;
}

/* ---- parallel faults ---- */

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
enum { FAULTS_PROCS, FAULTS_THREADS, COMPUTE, SYSCALLS, KINDS };

static const struct kind {
  const char *key;             /* CSV key, before _h */
  const char *what;            /* the figure: "<what> by h <worker>" */
  const char *worker[2];       /* one, several */
  const char *unit;            /* of the rate */
  int per_page;                /* units of work per page of cfg.par_pages */
} kinds[KINDS] = {
  { "faults_procs", "faults", { "process", "processes" }, "faults/s", 1 },
  { "faults_threads", "faults", { "thread", "threads" }, "faults/s", 1 },
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
      char *area = kind != FAULTS_PROCS ? NULL
        : mmap(0, (size_t)cfg.par_pages * PGSIZE, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS);
      if (area == MAP_FAILED)
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

static uint64 lead[KINDS];     /* per kind; 0: START_MARGIN */

/* One run of h workers of a kind, all starting at one time. The start is
 * set far enough ahead for every worker to be made and waiting; a worker
 * that arrives after it doubles the lead and the run is made again, so
 * the time measured is the work alone. Returns the ticks from the start
 * to the last worker's last store, or 0 if a system call failed. */
static uint64
run_once(int kind, int h)
{
  if (lead[kind] == 0)
    lead[kind] = START_MARGIN;
  for (int tries = 0;; tries++) {
    uint64 start = rdtime() + lead[kind];
    if ((kind == FAULTS_THREADS ? run_threads(h, start) : run_procs(kind, h, start)) != 0)
      return 0;
    uint64 last = 0, late = 0;
    for (int k = 0; k < h; k++) {
      last = res[k].end > last ? res[k].end : last;
      late |= res[k].arrive > start;
    }
    if (!late || tries == LATE_RETRIES)
      return last - start;
    lead[kind] *= 2;
  }
}

/* Ticks and instructions per fault (or chunk) of each run, by kind and
 * hart count. */
static uint64 par_t[KINDS][MAX_HARTS + 1][MAX_PAR_REPS];
static uint64 par_i[KINDS][MAX_HARTS + 1][MAX_PAR_REPS];

/* One run of each kind at each hart count per round, round after round,
 * so a slow spell of the host weighs on every figure alike, not on one.
 * The lock counters are taken around the runs at the most harts. */
static int
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

/* The rows of one kind: per fault (or chunk of computing), how many a
 * second, and the ratio to one hart, from the median run at each hart
 * count. */
static void
parallel_rows(int kind)
{
  const struct kind *k = &kinds[kind];
  int64 base = 0;
  char key[32], fig[48];

  for (int h = 1; h <= cfg.harts; h++) {
    uint64 units = (uint64)(h * cfg.par_pages * k->per_page);
    uint64 ticks = median_u64(par_t[kind][h], cfg.par_reps);
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

static void
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

/* ---- main ---- */

static int
parse(int argc, char **argv)
{
  cfg = (struct config){ 1, 0, 256, 10, PAR_PAGES, 15 };
  for (int k = 1; k < argc; k++) {
    if (strcmp(argv[k], "--exact") == 0)
      cfg.exact = 1;
    else if (strcmp(argv[k], "--quick") == 0)
      cfg = (struct config){ cfg.harts, cfg.exact, 64, 3, 128, 3 };
    else if ((cfg.harts = atoi(argv[k])) < 1 || cfg.harts > MAX_HARTS)
      return -1;
  }
  /* Runs grow as harts squared: fewer rounds above 4 harts (3 from 7). */
  if (cfg.harts > 4 && cfg.par_reps > 3)
    cfg.par_reps = 28 / cfg.harts > 3 ? 28 / cfg.harts : 3;
  return 0;
}

int
main(int argc, char **argv)
{
  if (parse(argc, argv) != 0) {
    printf("usage: bench [--exact] [--quick] [HARTS]   (HARTS 1 to %d)\n", MAX_HARTS);
    return 2;
  }
  /* The least of a few calibrations: a tick that lands in the loop only
   * ever adds to it. */
  units_x100 = instret_units_x100();
  for (int k = 0; k < 4; k++) {
    uint64 u = instret_units_x100();
    units_x100 = u < units_x100 ? u : units_x100;
  }
  printf("bench: %d hart%s (parallel faults at 1..%d, %d pages a worker, median of "
         "%d runs); started on hart %d\n", cfg.harts, cfg.harts > 1 ? "s" : "",
         cfg.harts, cfg.par_pages, cfg.par_reps, hartid());
  printf("bench: us from rdtime, medians; instret %d.%02d units per instruction "
         "(calibrated): instructions %s\n", (int)(units_x100 / 100),
         (int)(units_x100 % 100), cfg.exact ? "exact (--exact: DETERMINISTIC=1)"
         : "not shown (exact only under DETERMINISTIC=1, with --exact)");

  bench_syscall();
  const char *failed = bench_fault() ? "first-touch fault (sbrk)"
    : bench_sbrk() ? "sbrk grow-touch-shrink"
    : bench_fork() ? "fork (sbrk, fork or wait)"
    : parallel_rounds() ? "parallel runs (fork, pipe, wait, mmap, clone or join)"
    : NULL;
  if (failed) {
    printf("bench: %s failed\n", failed);
    return 1;
  }
  for (int kind = 0; kind < KINDS; kind++)
    parallel_rows(kind);
  lock_rows();
  print_table();
  print_csv();
  printf("bench: done\n");
  return 0;
}
