/*
 * bench.c: the kernel's costs in one table (make bench, tools/bench.sh):
 * a null system call (getpid, in batches); a first-touch fault (a store to
 * a fresh heap page); the sbrk grow-touch-shrink loop (per page: sbrk up a
 * page, store, sbrk down); fork+exit+wait and the fork() call alone with 0,
 * 1, 4 and 16 MiB of heap written; faults per second at 1..HARTS harts,
 * that many forked processes and then that many threads of one process
 * storing to fresh pages of their own from a common start time; the same
 * for processes whose stores meet copy-on-write pages no one else shares
 * any more (a fault each that takes no page), for processes that only
 * compute (no trap: what the host's cores give QEMU's harts) and for
 * processes that only call getpid (a trap each, nothing shared in the
 * kernel: what QEMU itself lets traps on several harts do at once), the
 * ceilings of the faults' scaling; and the spins per acquire of the pmem,
 * mmap_pool and uvm locks over the runs at HARTS. Times come from rdtime
 * (10 MHz; QEMU's virtual time under -icount), medians of repeated
 * samples, in microseconds.
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
 * This file has the single-hart figures, the table and main; the
 * parallel runs are in bench/par.c.
 *
 * Usage: bench [--exact] [--quick] [--parallel] [--rounds N] [--best] [HARTS]
 * (HARTS 1 to 16, default 1: a program cannot ask the kernel how many
 * harts it has; --parallel: the parallel runs and lock rows only, as
 * tools/scaling.sh runs them; --rounds: N rounds of them, 1 to 64, instead
 * of 15, fewer above 4 harts; --best: each parallel row from its fastest
 * round instead of the median one, see bench/par.c). Output: "bench: "
 * lines (the table), "bench-csv: " lines (a header, then the same rows),
 * then "bench: done".
 */
#include "bench/bench.h"

#define MAX_SAMPLES 256
#define MAX_ROWS 64
#define SYSCALL_BATCH 8
#define MIB_PAGES (1024 * 1024 / PGSIZE)

struct config cfg;
uint64 units_x100;

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

int64
ticks_x100(uint64 ticks, uint64 div)
{
  return (int64)(ticks * (100UL * 1000000UL / TIMEBASE_HZ) / div);
}

/* ---- the table ---- */

static struct row rows[MAX_ROWS];
static int nrows;

struct row *
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

/* ---- main ---- */

static int
parse(int argc, char **argv)
{
  int rounds = 0;

  cfg = (struct config){ 1, 0, 256, 10, PAR_PAGES, 15, 0, 0 };
  for (int k = 1; k < argc; k++) {
    if (strcmp(argv[k], "--exact") == 0)
      cfg.exact = 1;
    else if (strcmp(argv[k], "--quick") == 0)
      cfg = (struct config){ cfg.harts, cfg.exact, 64, 3, 128, 3, cfg.parallel_only,
                             cfg.best };
    else if (strcmp(argv[k], "--parallel") == 0)
      cfg.parallel_only = 1;
    else if (strcmp(argv[k], "--best") == 0)
      cfg.best = 1;
    else if (strcmp(argv[k], "--rounds") == 0 && k + 1 < argc)
      rounds = atoi(argv[++k]);
    else if ((cfg.harts = atoi(argv[k])) < 1 || cfg.harts > MAX_HARTS)
      return -1;
  }
  if (rounds != 0) {
    if (rounds < 1 || rounds > MAX_PAR_REPS)
      return -1;
    cfg.par_reps = rounds;
  } else if (cfg.harts > 4 && cfg.par_reps > 3) {
    /* Runs grow as harts squared: fewer rounds above 4 harts (3 from 7). */
    cfg.par_reps = 28 / cfg.harts > 3 ? 28 / cfg.harts : 3;
  }
  return 0;
}

int
main(int argc, char **argv)
{
  if (parse(argc, argv) != 0) {
    printf("usage: bench [--exact] [--quick] [--parallel] [--rounds N] [--best] [HARTS]"
           "   (HARTS 1 to %d, N 1 to %d)\n", MAX_HARTS, MAX_PAR_REPS);
    return 2;
  }
  /* The least of a few calibrations: a tick that lands in the loop only
   * ever adds to it. */
  units_x100 = instret_units_x100();
  for (int k = 0; k < 4; k++) {
    uint64 u = instret_units_x100();
    units_x100 = u < units_x100 ? u : units_x100;
  }
  printf("bench: %d hart%s (parallel faults at 1..%d, %d pages a worker, %s of "
         "%d runs); started on hart %d\n", cfg.harts, cfg.harts > 1 ? "s" : "",
         cfg.harts, cfg.par_pages, cfg.best ? "best" : "median", cfg.par_reps, hartid());
  printf("bench: us from rdtime, medians; instret %d.%02d units per instruction "
         "(calibrated): instructions %s\n", (int)(units_x100 / 100),
         (int)(units_x100 % 100), cfg.exact ? "exact (--exact: DETERMINISTIC=1)"
         : "not shown (exact only under DETERMINISTIC=1, with --exact)");

  const char *failed = NULL;
  if (!cfg.parallel_only) {
    bench_syscall();
    failed = bench_fault() ? "first-touch fault (sbrk)"
      : bench_sbrk() ? "sbrk grow-touch-shrink"
      : bench_fork() ? "fork (sbrk, fork or wait)" : NULL;
  }
  if (failed == NULL && parallel_rounds() != 0)
    failed = "parallel runs (fork, pipe, wait, mmap, clone or join)";
  if (failed) {
    printf("bench: %s failed\n", failed);
    return 1;
  }
  parallel_rows();
  lock_rows();
  print_table();
  print_csv();
  printf("bench: done\n");
  return 0;
}
