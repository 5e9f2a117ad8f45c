/*
 * fuzz.c: the system call fuzzer.
 *
 *   fuzz [--seed N] [--duration S] [--workers W]
 *
 * Starts W workers (lib/fuzzworker.h), each a forked process issuing random
 * system calls by raw number against an exact model of what it owns, and
 * prints progress from their reports like stress, then, every process
 * gone, the leak report and the audit, and a verdict.
 */
#include "lib/fuzzworker.h"

#define PROGRESS_TICKS 200       /* two seconds */


struct run {
  uint64 seed;
  int duration;
  int workers;
  int started;
  uint64 start;
  int pids[FUZZ_WORKERS_MAX];
  struct fuzz_report last[FUZZ_WORKERS_MAX];
  int workers_killed;
  int failed;
};

/* The workers' counts, summed over their last reports. */
struct totals {
  uint64 calls, errors, killed, clones, joins;
};

static void
totals(const struct run *r, struct totals *t)
{
  memset(t, 0, sizeof(*t));
  t->killed = (uint64)r->workers_killed;
  for (int i = 0; i < r->started; i++) {
    t->calls += r->last[i].calls;
    t->errors += r->last[i].errors;
    t->killed += r->last[i].killed;
    t->clones += r->last[i].clones;
    t->joins += r->last[i].joins;
  }
}

static void
progress(const struct run *r)
{
  struct memstat m;
  struct totals t;

  memstat(&m);
  totals(r, &t);
  printf("fuzz: %3ds calls=%d errors=%d killed=%d threads=%d joined=%d | free-pages=%d "
         "free-nodes=%d procs=%d\n", (int)((uptime() - r->start) / 100), (int)t.calls,
         (int)t.errors, (int)t.killed, (int)t.clones, (int)t.joins, (int)m.pages_free,
         (int)m.nodes_free, (int)m.nprocs);
}

/* Starts the workers; returns the read end of their report pipe. */
static int
start_workers(struct run *r)
{
  static struct fuzz_start st;
  int rep[2], go[2];
  int driver_pid = getpid();

  if (pipe(rep) != 0 || pipe(go) != 0) {
    printf("fuzz: FAIL seed %d: no pipes\n", (int)r->seed);
    exit(1);
  }
  uint64 deadline = r->start + (uint64)r->duration * 100;
  for (int i = 0; i < r->workers; i++) {
    int pid = fork();
    if (pid < 0) {
      printf("fuzz: FAIL seed %d: cannot start worker %d\n", (int)r->seed, i);
      r->failed = 1;
      break;
    }
    if (pid == 0) {
      close(rep[0]);
      close(go[1]);
      fuzzworker_run(i, r->seed, r->seed * 1000003ULL + (uint64)i, deadline, rep[1],
                     go[0], driver_pid, r->workers);
    }
    r->pids[i] = st.pids[i] = pid;
    r->started++;
  }
  for (int i = 0; i < r->started; i++)
    write(go[1], &st, sizeof(st));
  close(go[0]);
  close(go[1]);
  close(rep[1]);
  return rep[0];
}

static void
follow(struct run *r, int fd)
{
  struct fuzz_report rep;
  uint64 next = r->start + PROGRESS_TICKS;

  while (read(fd, &rep, sizeof(rep)) == sizeof(rep)) {
    if (rep.magic != FUZZ_REPORT_MAGIC || rep.worker >= (uint32)r->started) {
      printf("fuzz: FAIL seed %d: garbled report\n", (int)r->seed);
      r->failed = 1;
    } else if (rep.failed) {
      r->failed = 1;                    /* its FAIL line is on the console */
    } else {
      r->last[rep.worker] = rep;
    }
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

  for (int n = 0; n < r->started; n++) {
    int pid = wait(&status), i;
    for (i = 0; i < r->started && r->pids[i] != pid; i++)
      ;
    if (i == r->started) {
      printf("fuzz: FAIL seed %d: wait returned %d, not a worker\n", (int)r->seed, pid);
      r->failed = 1;
      return;
    }
    if (status == -1) {
      r->workers_killed++;
    } else if (status != 0) {
      printf("fuzz: FAIL seed %d: worker %d exited with status %d\n", (int)r->seed,
             i, status);
      r->failed = 1;
    } else if (!r->last[i].done) {
      printf("fuzz: FAIL seed %d: worker %d exited without its last report\n",
             (int)r->seed, i);
      r->failed = 1;
    }
  }
}

int
main(int argc, char **argv)
{
  static struct run r;
  struct memstat base;
  struct totals t;

  stress_parse_args("fuzz", argc, argv, &r.seed, &r.duration, &r.workers, FUZZ_WORKERS_MAX);
  printf("fuzz: seed %d, %d s, %d workers\n", (int)r.seed, r.duration, r.workers);
  memstat(&base);
  stress_print_baseline("fuzz", &base);

  r.start = (uint64)uptime();
  follow(&r, start_workers(&r));
  reap_workers(&r);
  stress_settle(&base);
  progress(&r);

  int bad = stress_verify("fuzz", r.seed, &base);
  totals(&r, &t);
  if (t.calls == 0) {
    printf("fuzz: FAIL seed %d: no system call was made\n", (int)r.seed);
    bad = 1;
  }
  /* A good clone may fail for want of a slot or a page, but not always. */
  if (t.calls > 0 && t.clones == 0) {
    printf("fuzz: FAIL seed %d: no clone succeeded\n", (int)r.seed);
    bad = 1;
  }
  if (r.failed || bad) {
    printf("fuzz: FAIL seed %d\n", (int)r.seed);
    return 1;
  }
  printf("fuzz: PASS seed %d: %d calls (%d clones, %d joins), nothing leaked\n",
         (int)r.seed, (int)t.calls, (int)t.clones, (int)t.joins);
  return 0;
}
