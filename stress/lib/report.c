/*
 * report.c: the start and the end of a stress or fuzz run, shared by both
 * drivers: their arguments and the baseline line; at the end, waiting for
 * init to reap the orphans, then the leak report (memstat against the
 * baseline, exact) and the kernel audit, with a FAIL line for each problem;
 * and the per-operation metrics table.
 */
#include "stress.h"

#define SETTLE_TICKS 1000     /* how long orphans may take to be reaped */

static const char *const kind_names[] = PMEM_KIND_NAMES;

void
stress_parse_args(const char *who, int argc, char **argv, uint64 *seed,
                  int *duration, int *workers, int workers_max)
{
  *seed = 1;
  *duration = 30;
  *workers = 8;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--seed") == 0)
      *seed = (uint64)atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--duration") == 0)
      *duration = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--workers") == 0)
      *workers = atoi(argv[i + 1]);
    else
      fprintf(2, "%s: unknown option %s\n", who, argv[i]);
  }
  if (*workers < 1)
    *workers = 1;
  if (*workers > workers_max)
    *workers = workers_max;
  if (*duration < 1)
    *duration = 1;
}

void
stress_print_baseline(const char *who, const struct memstat *base)
{
  printf("%s: baseline: %d pages free of %d, %d of %d nodes free, %d processes\n",
         who, (int)base->pages_free, (int)base->pages_total, (int)base->nodes_free,
         (int)base->nodes_total, (int)base->nprocs);
}

void
stress_settle(const struct memstat *base)
{
  struct memstat m;
  uint64 until = (uint64)uptime() + SETTLE_TICKS;

  do {
    memstat(&m);
    if (m.nprocs <= base->nprocs)
      return;
    sleep(1);
  } while ((uint64)uptime() < until);
}

static int
delta_line(const char *what, uint64 before, uint64 after)
{
  int64 d = (int64)after - (int64)before;
  printf("  %-16s %8d -> %8d   delta %d%s\n", what, (int)before, (int)after,
         (int)d, d ? "   <-- LEAK" : "");
  return d != 0;
}

static int
leak_report(const char *who, uint64 seed, const struct memstat *base)
{
  struct memstat m;
  int leaks = 0;
  char what[32];

  memstat(&m);
  printf("%s: leak report (baseline -> after, seed %d)\n", who, (int)seed);
  leaks += delta_line("pages_free", base->pages_free, m.pages_free);
  leaks += delta_line("nodes_free", base->nodes_free, m.nodes_free);
  for (int k = 1; k < PMEM_NKINDS; k++) {
    snprintf(what, sizeof(what), "pages %s", kind_names[k]);
    leaks += delta_line(what, base->pages_by_kind[k], m.pages_by_kind[k]);
  }
  leaks += delta_line("pages shared", base->pages_shared, m.pages_shared);
  leaks += delta_line("processes", base->nprocs, m.nprocs);
  printf("  lazy faults served during the run: %d\n",
         (int)(m.lazy_faults - base->lazy_faults));
  printf("  copy-on-write faults served during the run: %d\n",
         (int)(m.cow_faults - base->cow_faults));
  printf("  TLB shootdowns during the run: %d, inter-hart interrupts: %d\n",
         (int)(m.tlb_shootdowns - base->tlb_shootdowns), (int)(m.ipis - base->ipis));
  return leaks;
}

static int
audit_report(const char *who, uint64 seed)
{
  struct memaudit a;

  if (memaudit(&a) != 0) {
    printf("%s: FAIL seed %d: memaudit failed\n", who, (int)seed);
    return 1;
  }
  printf("%s: audit: %d pages in use, %d reachable, %d unreachable, %d bad; "
         "nodes %d: %d free, %d on lists, %d lost, %d bad\n", who,
         (int)a.pages_allocated, (int)a.pages_reachable, (int)a.pages_unreachable,
         (int)a.pages_bad, (int)a.nodes_total, (int)a.nodes_free,
         (int)a.nodes_in_lists, (int)a.nodes_lost, (int)a.nodes_bad);
  return a.pages_unreachable || a.pages_bad || a.nodes_lost || a.nodes_bad;
}

int
stress_verify(const char *who, uint64 seed, const struct memstat *base)
{
  stress_settle(base);
  int leaks = leak_report(who, seed, base);
  int audit = audit_report(who, seed);
  if (leaks)
    printf("%s: FAIL seed %d: memory leaked (see the report above)\n", who, (int)seed);
  if (audit)
    printf("%s: FAIL seed %d: the audit found unreachable or misused memory\n",
           who, (int)seed);
  return leaks || audit;
}

/* count per second of ticks (100 a second), as "int.hundredths". */
static void
rate_text(char *buf, int size, uint64 count, uint64 ticks)
{
  uint64 hundredths = ticks ? (count * 100 * 100 + ticks / 2) / ticks : 0;
  snprintf(buf, size, "%d.%02d", (int)(hundredths / 100), (int)(hundredths % 100));
}

void
stress_print_metrics(const char *who, uint64 ticks, const struct stress_metric *m,
                     int n, const char *note)
{
  char rate[24], secs[24], failed[24];

  snprintf(secs, sizeof(secs), "%d.%02d", (int)(ticks / 100), (int)(ticks % 100));
  printf("%s: metrics: %s s of run time; per s = count / run time\n", who, secs);
  printf("%s: metrics: %-14s %9s %9s %9s\n", who, "operation", "count", "per s", "failed");
  for (int i = 0; i < n; i++) {
    rate_text(rate, sizeof(rate), m[i].count, ticks);
    if (m[i].failed >= 0) {
      snprintf(failed, sizeof(failed), "%d", (int)m[i].failed);
      printf("%s: metrics: %-14s %9d %9s %9s\n", who, m[i].name, (int)m[i].count,
             rate, failed);
    } else {
      printf("%s: metrics: %-14s %9d %9s\n", who, m[i].name, (int)m[i].count, rate);
    }
  }
  if (note)
    printf("%s: metrics: %s\n", who, note);
}

void
stress_print_locks(const char *who, const struct lockstat *base, int nbase)
{
  static const char *const watched[] = { "pmem", "pmem_cache", "mmap_pool", "uvm" };
  static struct lockstat now[LOCKSTAT_CLASSES];
  int n = lockstat(now, LOCKSTAT_CLASSES);

  if (n > LOCKSTAT_CLASSES)
    n = LOCKSTAT_CLASSES;
  printf("%s: lock contention during the run (lockstat for every lock):\n", who);
  for (int w = 0; w < (int)NELEM(watched); w++) {
    struct lockstat d = { .acquires = 0 };
    for (int i = 0; i < n; i++)
      if (strcmp(now[i].name, watched[w]) == 0)
        d = now[i];
    for (int i = 0; i < nbase; i++)
      if (strcmp(base[i].name, watched[w]) == 0) {
        d.acquires -= base[i].acquires;
        d.contended -= base[i].contended;
        d.spins -= base[i].spins;
      }
    uint64 x100 = d.acquires ? d.spins * 100 / d.acquires : 0;
    printf("%s:   %-10s %10d acquires %8d contended %6d.%d%d spins/acquire\n", who,
           watched[w], (int)d.acquires, (int)d.contended, (int)(x100 / 100),
           (int)(x100 / 10 % 10), (int)(x100 % 10));
  }
}
