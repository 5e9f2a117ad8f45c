/*
 * fuzzworker.h: one fuzz worker: a process that issues random system calls
 * by raw number (0..40, valid or not; never shutdown) with arguments biased
 * to edge values until its deadline. It keeps an exact model of what it
 * owns (fds and pipe contents, mmap pages, the break, its children, the
 * threads it cloned and has not joined), so it never blocks for good or
 * faults itself, checks the answers the model makes certain (a store to an
 * unwritable address fails, pipe hands out the lowest free fds, mmap never
 * overlaps, a clone on a bad stack fails, a join returns a thread it made
 * with the status that thread ended with, ...), and reports its counts to
 * the driver (stress/fuzz.c).
 */
#ifndef STRESS_FUZZWORKER_H
#define STRESS_FUZZWORKER_H

#include "stress.h"

#define FUZZ_WORKERS_MAX  32
#define FUZZ_REPORT_MAGIC 0xf022ed01U

/* Worker -> driver, through one pipe; well under the 128 bytes a pipe
 * keeps together. A failing child sends failed = 1 and nothing else. */
struct fuzz_report {
  uint32 magic;
  uint32 worker;
  uint32 done;                /* last report of this worker */
  uint32 failed;              /* it printed a FAIL line */
  uint64 calls;
  uint64 errors;              /* calls that returned -1 */
  uint64 killed;              /* children reaped with status -1 */
  uint64 clones;              /* threads it cloned */
  uint64 joins;               /* threads it joined */
};

/* Driver -> workers: who the workers are, so random kills can spare them. */
struct fuzz_start {
  int32 pids[FUZZ_WORKERS_MAX];
};

/* Runs worker id of nworkers with its own generator seed wseed until
 * uptime() reaches deadline; seed is the run's, named in every failure
 * line. It first reads one struct fuzz_start from start_fd (and exits 0 if
 * the driver gave up), then writes struct fuzz_report records to report_fd.
 * Its random kills spare pids up to driver_pid. Never returns: exits 0, or
 * 1 after a FAIL line. */
void fuzzworker_run(int id, uint64 seed, uint64 wseed, uint64 deadline,
                    int report_fd, int start_fd, int driver_pid, int nworkers)
    __attribute__((noreturn));

#endif /* STRESS_FUZZWORKER_H */
