/*
 * cowscen.h: what the files of the copy-on-write worker share, and nothing
 * else may use: cowwork.c (the worker, and the state and helpers of every
 * scenario process), cowshare.c (the chain and race scenarios: both sides
 * write the shared pages) and cowleave.c (fork while threads write; unmap,
 * exit and exec on one side; memory pressure). Each scenario runs in its
 * own scenario process and ends it with exit (see cowwork.c's header).
 */
#ifndef STRESS_COWSCEN_H
#define STRESS_COWSCEN_H

#include "cowwork.h"


#define THREADS_MAX   3
#define TSTACK        (2 * PGSIZE)
#define WORD          8         /* a fill or check step: every word */

/* The value a generation (1-3) writes in a round (0-15). */
#define GEN(who, round) ((uint64)(who) << 4 | (uint64)(round))
#define GEN_WHO(g)      ((int)((g) >> 4))
#define GEN_ROUND(g)    ((int)((g) & 15))

enum scenario { SC_CHAIN, SC_RACE, SC_FORK, SC_UNMAP, SC_EXIT, SC_EXEC,
                SC_PRESSURE, SC_COUNT };

/* The scenario process's state (cowwork.c); each process has its copy. */
extern char cw_tstacks[THREADS_MAX + 1][TSTACK];   /* one a thread */
extern int cw_say_fd;              /* the pipe to the worker */
extern uint64 cw_seed;             /* this scenario's pattern seed */
extern volatile int cw_failed;     /* this process found something wrong */
extern uint64 cw_area, cw_heap;    /* the shared pages of a scenario */

/* One byte to the worker: 'T', 'F' or 'O' (cowwork.c's header). */
void cw_say(char c);
/* Says what went wrong, once per process (one write: never interleaved
 * with another process's bytes), and marks the process failed. */
void cw_complain(const char *fmt, ...);
/* Starts fn(arg) as a thread on stack i; its tid, or 0 if none could be
 * had (no slot or memory under stress: not an error). */
int cw_spawn(void (*fn)(void *), void *arg, int i);
/* n fresh pages of a new mmap region, or 0. */
uint64 cw_map_pages(uint64 n);
/* n fresh heap pages from a page boundary; 0 if the heap cannot grow. */
uint64 cw_heap_pages(uint64 n);
/* Writes gen's pattern into every step-th byte's word of the page. */
void cw_fill(uint64 page, uint64 gen, int step);
/* The first word of the page (one per step) not holding gen's value, or 0. */
uint64 cw_check(uint64 page, uint64 gen, int step);
/* Which generation and round wrote the word at a (as GEN), or -1. */
int cw_whose(uint64 a);
/* Spins for under 2 ms, a random while. */
void cw_pause(uint64 *rng);

/* The scenarios; each ends its process with exit(cw_failed) or exit(0). */
void cw_chain(void);                         /* cowshare.c */
void cw_race(int nthreads);                  /* cowshare.c */
void cw_fork_writers(int nthreads);          /* cowleave.c */
void cw_unshare(int how, int nthreads);      /* cowleave.c: SC_UNMAP/EXIT/EXEC */
void cw_pressure(int nthreads);              /* cowleave.c */

#endif /* STRESS_COWSCEN_H */
