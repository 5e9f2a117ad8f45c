/*
 * stress.c: the stress driver behind `make stress`.
 *
 *   stress [--seed N] [--duration S] [--workers W]
 *
 * Prints the seed, takes a memstat baseline, starts W workers (each a
 * forked process with its own seed; worker i runs, by i % 3: 0 worker_run,
 * processes of one thread; 1 threadwork_run, processes of 2-4 threads
 * sharing an address space; 2 cowwork_run, processes sharing pages
 * copy-on-write since a fork) and prints a
 * progress line every two seconds from their reports. When every worker
 * and every orphan is gone it prints a table of operations (count, rate,
 * failures, like stress-ng's --metrics), the leak report (memstat against the
 * baseline: exact free pages, free nodes and pages per kind) and the
 * kernel audit, then a verdict. Exit status 0 only if all of it passed.
 * Lines starting "stress-csv:" are samples for tools/stress-plot.sh.
 */
#include "lib/cowwork.h"
#include "lib/stress.h"
#include "lib/threadwork.h"
#include "lib/worker.h"

#define WORKERS_MAX    32
#define PROGRESS_TICKS 200      /* two seconds */

static const char *const op_names[] = STRESS_OP_NAMES;

struct run {
  uint64 seed;
  int duration;                 /* seconds */
  int workers;
  uint64 start;                 /* uptime at the start */
  uint64 end;                   /* uptime when the last worker was gone */
  struct stress_report last[WORKERS_MAX];
  int failed;
};

static uint64
total_ops(const struct run *r, int op)
{
  uint64 n = 0;
  for (int i = 0; i < r->workers; i++)
    n += r->last[i].ops[op];
  return n;
}

/* The metrics table: each kind with its count and rate over the run; a
 * refused fork or mmap is counted against fork or mmap. */
static void
metrics(const struct run *r)
{
  struct stress_metric m[OP_COUNT];
  int n = 0;

  for (int op = 0; op < OP_COUNT; op++) {
    if (op == OP_FORK_FAILED || op == OP_MMAP_FAILED)
      continue;
    m[n].name = op_names[op];
    m[n].count = total_ops(r, op);
    m[n].failed = op == OP_FORK   ? (int64)total_ops(r, OP_FORK_FAILED)
                  : op == OP_MMAP ? (int64)total_ops(r, OP_MMAP_FAILED)
                                  : -1;
    n++;
  }
  stress_print_metrics("stress", r->end - r->start, m, n,
                       "failed = refused for want of a slot, a page or a node (fork: any "
                       "fork a worker tried; mmap: also munmaps that split a region)");
}

static void
progress(const struct run *r)
{
  struct memstat m;
  char line[600];
  int len;
  uint64 all = 0;

  memstat(&m);
  int secs = (int)((uptime() - r->start) / 100);
  len = snprintf(line, sizeof(line), "stress: %3ds", secs);
  for (int op = 0; op < OP_COUNT; op++) {
    uint64 n = total_ops(r, op);
    all += n;
    len += snprintf(line + len, sizeof(line) - len, " %s=%d", op_names[op], (int)n);
  }
  printf("%s | lazy-faults=%d shootdowns=%d ipis=%d shared-pages=%d cow-faults=%d "
         "free-pages=%d free-nodes=%d procs=%d\n", line, (int)m.lazy_faults,
         (int)m.tlb_shootdowns, (int)m.ipis, (int)m.pages_shared, (int)m.cow_faults,
         (int)m.pages_free, (int)m.nodes_free, (int)m.nprocs);
  printf("stress-csv: %d,%d,%d,%d,%d,%d\n", secs, (int)m.pages_free,
         (int)m.nodes_free, (int)all, (int)m.lazy_faults, (int)m.nprocs);
}

/* Starts the workers; returns the read end of their report pipe. */
static int
start_workers(struct run *r)
{
  int fds[2];

  if (pipe(fds) != 0) {
    printf("stress: FAIL seed %d: no pipe for reports\n", (int)r->seed);
    exit(1);
  }
  uint64 deadline = r->start + (uint64)r->duration * 100;
  for (int i = 0; i < r->workers; i++) {
    int pid = fork();
    if (pid < 0) {
      printf("stress: FAIL seed %d: cannot start worker %d\n", (int)r->seed, i);
      r->failed = 1;
      break;
    }
    if (pid == 0) {
      close(fds[0]);
      uint64 seed = r->seed * 1000003ULL + (uint64)i;
      stress_run_seed = r->seed;      /* failure lines name the run's seed */
      stress_worker_id = i;
      if (i % 3 == 1)
        threadwork_run(i, seed, deadline, fds[1]);
      if (i % 3 == 2)
        cowwork_run(i, seed, deadline, fds[1]);
      worker_run(i, seed, deadline, fds[1]);
    }
  }
  close(fds[1]);
  return fds[0];
}

/* Reads reports until every writer is gone, printing progress. */
static void
follow(struct run *r, int fd)
{
  struct stress_report rep;
  uint64 next = r->start + PROGRESS_TICKS;

  while (read(fd, &rep, sizeof(rep)) == sizeof(rep)) {
    if (rep.magic != STRESS_REPORT_MAGIC || rep.worker >= (uint32)r->workers) {
      printf("stress: FAIL seed %d: garbled report\n", (int)r->seed);
      r->failed = 1;
      continue;
    }
    r->last[rep.worker] = rep;
    if ((uint64)uptime() >= next) {
      progress(r);
      next += PROGRESS_TICKS;
    }
  }
  close(fd);
}

static void
reap_workers(struct run *r)
{
  int status;

  for (int i = 0; i < r->workers; i++) {
    if (wait(&status) < 0)
      break;
    if (status != 0) {
      printf("stress: FAIL seed %d: a worker exited with status %d\n",
             (int)r->seed, status);
      r->failed = 1;
    }
  }
  for (int i = 0; i < r->workers; i++)
    if (!r->last[i].done) {
      printf("stress: FAIL seed %d: worker %d never finished\n", (int)r->seed, i);
      r->failed = 1;
    }
}

int
main(int argc, char **argv)
{
  static struct run r;
  struct memstat base;

  stress_parse_args("stress", argc, argv, &r.seed, &r.duration, &r.workers, WORKERS_MAX);
  printf("stress: seed %d, %d s, %d workers\n", (int)r.seed, r.duration, r.workers);
  static struct lockstat locks[LOCKSTAT_CLASSES];
  int nlocks = lockstat(locks, LOCKSTAT_CLASSES);
  memstat(&base);
  stress_print_baseline("stress", &base);
  printf("stress-csv: seconds,free_pages,free_nodes,ops,lazy_faults,procs\n");

  r.start = (uint64)uptime();
  progress(&r);                 /* the first sample: the baseline itself */
  follow(&r, start_workers(&r));
  r.end = (uint64)uptime();
  reap_workers(&r);
  stress_settle(&base);
  progress(&r);
  metrics(&r);
  stress_print_locks("stress", locks, nlocks < LOCKSTAT_CLASSES ? nlocks : LOCKSTAT_CLASSES);

  int bad = stress_verify("stress", r.seed, &base);
  if (r.failed || bad) {
    printf("stress: FAIL seed %d\n", (int)r.seed);
    return 1;
  }
  printf("stress: PASS seed %d: %d operations, nothing leaked\n", (int)r.seed,
         (int)(total_ops(&r, OP_FORK) + total_ops(&r, OP_EXEC) + total_ops(&r, OP_SBRK) +
               total_ops(&r, OP_MMAP) + total_ops(&r, OP_MUNMAP) + total_ops(&r, OP_PIPE) +
               total_ops(&r, OP_T_SAME_PAGE) + total_ops(&r, OP_T_UNMAP) +
               total_ops(&r, OP_T_FORK) + total_ops(&r, OP_T_EXEC) +
               total_ops(&r, OP_T_EXIT) + total_ops(&r, OP_T_KILL) +
               total_ops(&r, OP_C_CHAIN) + total_ops(&r, OP_C_RACE) +
               total_ops(&r, OP_C_FORK) + total_ops(&r, OP_C_UNMAP) +
               total_ops(&r, OP_C_EXIT) + total_ops(&r, OP_C_EXEC) +
               total_ops(&r, OP_C_PRESSURE)));
  return 0;
}
