/*
 * stress.h: what the stress programs share: the seeded generator, the
 * address-derived pattern every touched word holds, the operation counters
 * workers report to the driver, and the failure line.
 */
#ifndef STRESS_STRESS_H
#define STRESS_STRESS_H

#include "user.h"

enum stress_op {
  OP_FORK, OP_FORK_FAILED, OP_EXEC, OP_EXIT_RACE, OP_SBRK, OP_MMAP,
  OP_MMAP_FAILED, OP_MUNMAP, OP_PIPE, OP_KILL, OP_POOL_DRAIN, OP_CHECK,
  /* thread workers (threadwork.c): threads started, scenarios done */
  OP_THREAD, OP_T_SAME_PAGE, OP_T_UNMAP, OP_T_FORK, OP_T_EXEC, OP_T_EXIT,
  OP_T_KILL,
  /* copy-on-write workers (cowwork.c): scenarios done, and writers killed
   * because a copy-on-write break found no page (injected) */
  OP_C_CHAIN, OP_C_RACE, OP_C_FORK, OP_C_UNMAP, OP_C_EXIT, OP_C_EXEC,
  OP_C_PRESSURE, OP_C_OOM,
  OP_COUNT
};

#define STRESS_OP_NAMES \
  { "fork", "fork-failed", "exec", "exit-race", "sbrk", "mmap", \
    "mmap-failed", "munmap", "pipe", "kill", "pool-drain", "check", \
    "threads", "t-same-page", "t-unmap", "t-fork", "t-exec", "t-exit", \
    "t-kill", "c-chain", "c-race", "c-fork", "c-unmap", "c-exit", "c-exec", \
    "c-pressure", "c-oom-kill" }

/* What a worker sends the driver through the report pipe: small enough to
 * be written whole (pipes keep writes of up to 128 bytes together). */
_Static_assert(4 * (4 + OP_COUNT) <= 128, "a report fits one pipe write");
struct stress_report {
  uint32 magic;
  uint32 worker;
  uint32 done;                /* last report of this worker */
  uint32 failed;              /* it found a wrong value or a broken call */
  uint32 ops[OP_COUNT];
};
#define STRESS_REPORT_MAGIC 0x57e55ed1U

/* xorshift64*: the same seed gives the same stream. */
uint64 stress_rand(uint64 *state);
/* A value in [0, n). */
uint64 stress_below(uint64 *state, uint64 n);

/* The value a touched word at addr holds in a run with this seed, so a
 * lost, shared or cross-wired page shows up as a wrong value. gen tells
 * apart a parent's and a child's writes to the same address. */
static inline uint64
stress_pattern(uint64 seed, uint64 addr, uint64 gen)
{
  uint64 x = addr * 0x9e3779b97f4a7c15ULL ^ seed ^ (gen << 56);
  return x ^ (x >> 29);
}

/* Fills / checks one word per STRESS_STRIDE bytes of a page. Check
 * returns the first bad address, or 0. */
#define STRESS_STRIDE 512
void stress_fill_page(uint64 seed, uint64 page, uint64 gen);
uint64 stress_check_page(uint64 seed, uint64 page, uint64 gen);

/* report.c: the start and the end of a run, for the stress and fuzz
 * drivers. who is the driver's name, the prefix of every line. */
/* --seed N --duration S --workers W (defaults 1, 30, 8; workers capped). */
void stress_parse_args(const char *who, int argc, char **argv, uint64 *seed,
                       int *duration, int *workers, int workers_max);
void stress_print_baseline(const char *who, const struct memstat *base);
/* Waits (bounded) until init has reaped the orphans: nprocs back to base. */
void stress_settle(const struct memstat *base);
/* Prints how contended the allocator and address-space locks were since
 * base (a lockstat snapshot of nbase classes): acquires, contended
 * acquires and spins per acquire of pmem (the shared free list),
 * pmem_cache (the harts' page caches), mmap_pool and uvm. */
void stress_print_locks(const char *who, const struct lockstat *base, int nbase);

/* Settles, prints the leak report against base and the kernel audit, and
 * a FAIL line for each problem; returns nonzero if there was one. */
int stress_verify(const char *who, uint64 seed, const struct memstat *base);

/* One line of the table a driver prints at the end of a run (like
 * stress-ng's --metrics): an operation kind, how many were done and, if
 * the kind has a failure counterpart, how many were refused (failed < 0:
 * none, the column stays empty). */
struct stress_metric {
  const char *name;
  uint64 count;
  int64 failed;
};
/* Prints the table: one "<who>: metrics:" line per kind with its count,
 * its rate per second of the run's ticks (uptime ticks, 100 a second) and
 * its failures; note, if not 0, is a last line saying what failed means. */
void stress_print_metrics(const char *who, uint64 ticks, const struct stress_metric *m,
                          int n, const char *note);

/* Prints the failure line (with the seed) on fd 2 and exits with status 1. */
/* In a stress worker (and its children): the seed of the whole run and the
 * worker's number, which failure lines print instead of the worker's own
 * seed, so `make stress SEED=...` replays the run that failed. */
extern uint64 stress_run_seed;
extern int stress_worker_id;          /* -1 outside a worker */
void stress_fail(uint64 seed, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 2, 3)));

#endif /* STRESS_STRESS_H */
