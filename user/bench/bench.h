/*
 * bench.h: what the two files of the program bench share. bench.c has the
 * single-hart figures, the table and main; bench/par.c the parallel runs
 * (faults by processes and threads, the compute and getpid ceilings) and
 * the lock rows. Rows are added in the order the table prints them.
 */
#ifndef BENCH_BENCH_H
#define BENCH_BENCH_H

#include "user.h"

#define MAX_HARTS 16
#define PAR_PAGES 480      /* a parallel worker's pages (or chunks, or calls / 4) */
#define MAX_PAR_REPS 64    /* rounds of parallel runs, at most */

struct config {
  int harts;         /* parallel runs at 1..harts */
  int exact;         /* print instruction counts */
  int samples;       /* samples of the single-hart figures */
  int fork_reps;     /* forks per size, after one warm-up */
  int par_pages;     /* pages each parallel worker faults */
  int par_reps;      /* rounds of parallel runs */
  int parallel_only; /* --parallel: no single-hart figures */
  int best;          /* --best: parallel rows from the fastest round */
};

/* A line of the table and of the CSV. */
struct row {
  char key[32];                /* the CSV's key */
  char figure[48];             /* the table's words (no commas) */
  int64 us_x100;               /* hundredths of a microsecond; -1: none */
  int64 insns;                 /* instructions; -1: none or not exact */
  int64 value_x100;            /* a rate or spins/acquire, x100; -1: none */
  const char *unit;            /* of value */
  int64 ratio_x100;            /* the rate over the 1-hart figure, x100 */
  int64 acquires;              /* lock rows */
};

extern struct config cfg;
extern uint64 units_x100;      /* instret units per instruction, times 100 */

/* bench.c */
/* The next row of the table, every number -1 (none). */
struct row *row_add(const char *key, const char *figure);
/* Hundredths of a microsecond in ticks / div. */
int64 ticks_x100(uint64 ticks, uint64 div);

/* bench/par.c */
/* Every round of parallel runs; 0, or -1 if a system call failed. */
int parallel_rounds(void);
/* The rows of every kind of parallel run, then the lock rows. */
void parallel_rows(void);
void lock_rows(void);

#endif /* BENCH_BENCH_H */
