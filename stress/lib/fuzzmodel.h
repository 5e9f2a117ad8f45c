/*
 * fuzzmodel.h: what the three files of the fuzz worker share, and nothing
 * for the driver: the worker's state fz with its model of what it owns,
 * the generator, the failure line and the calls (fuzzworker.c), the
 * argument pickers and the calls on memory and fds (fuzzmodel.c), and the
 * calls on threads (fuzzthread.c).
 * Every process (worker, child, grandchild) has its own copy of fz; its
 * threads share it, but a thread writes only its own struct thread_model
 * (seen) and never calls into the model.
 */
#ifndef STRESS_FUZZMODEL_H
#define STRESS_FUZZMODEL_H

#include "fuzzworker.h"

#define FD_MAX         16        /* the kernel's NOFILE */
#define CHILDREN_MAX   2         /* live children per process */
#define RECENT         4
#define MAPS           8
#define SCRATCH        (2 * PGSIZE)
#define THREADS_MAX    2         /* live (unjoined) threads per process */

enum fd_kind { FD_FREE, FD_CONSOLE, FD_REPORT, FD_READ, FD_WRITE };

/* What a user access at an address would do, as far as the model knows. */
enum ptr_class {
  PTR_OK,                     /* the scratch buffer: resident, writable */
  PTR_MAYBE,                  /* user memory, perhaps lazy or read-only */
  PTR_RO,                     /* program text: loads only */
  PTR_BAD,                    /* unmapped or not user: every access fails */
};

struct pipe_model {
  int rfd, wfd;               /* -1: closed here */
  int lo, hi;                 /* bounds on the bytes inside */
};

/* How a cloned thread ends, and so the status join must report. */
enum thread_how {
  THREAD_RETURN,              /* returns: the ret stub exits THREAD_RETURNED */
  THREAD_EXIT,                /* exit(status) */
  THREAD_SLEEP,               /* sleep(1), then exit(status) */
  THREAD_STRAY,               /* starts at the stray stub: exits THREAD_STRAYED */
};

/* A thread this process cloned and has not joined; it runs on the stack
 * of its index (fuzzthread.c). */
struct thread_model {
  int tid;                    /* 0: the slot is free */
  int how;                    /* enum thread_how */
  int status;                 /* what join must report */
  volatile int seen;          /* written by the thread: its getpid */
  volatile int done;          /* written by the thread: about to end */
};

struct fuzz_state {
  uint64 seed;                /* the run's: every failure line names it */
  uint64 rng;
  int id;
  int depth;                  /* 0 worker, 1 its child, 2 grandchild */
  int pid, driver_pid, maxpid;
  struct fuzz_start start;
  int nworkers;
  uint64 deadline, next_report, kill_at;
  int report_fd;
  uint64 heap_start, brk;
  uint64 last_uptime;
  int fi_on;                  /* failinject armed: no lazy user touches */
  int children[CHILDREN_MAX];
  int nchildren;
  struct thread_model threads[THREADS_MAX];
  int nthreads;
  int joined[RECENT];         /* tids joined lately: joining one again fails */
  int fd_kind[FD_MAX];
  int fd_pipe[FD_MAX];
  struct pipe_model pipes[FD_MAX];
  uint8 mapped[MMAP_PAGES / 8];
  int regions;                /* upper bound on our mmap regions */
  uint64 maps[MAPS][2];       /* recent mmaps: start, pages */
  uint64 recent[RECENT];      /* recently unmapped */
  struct fuzz_report rep;
};

extern struct fuzz_state fz;
extern char fuzz_scratch[SCRATCH];     /* page aligned; PTR_OK */

static inline uint64
rnd(void)
{
  return stress_rand(&fz.rng);
}

static inline uint64
below(uint64 n)
{
  return stress_below(&fz.rng, n);
}

static inline int
one_in(uint64 n)
{
  return below(n) == 0;
}

#define PICK(a) ((a)[below(NELEM(a))])

/* ---- fuzzworker.c ---- */

/* Prints the FAIL line (seed, worker, pid), disarms failinject, sends a
 * report with failed = 1 and exits with status 1. */
void fuzz_fail(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));
/* System call n, counted in the report; returns what it returned. */
long fuzz_call(long n, long a0, long a1, long a2, long a3, long a4, long a5);
/* Disarms failinject (counted as a call). */
void fuzz_fi_off(void);
/* System call n, not counted (threads, reports, the failure path). */
long fuzz_raw_syscall(long n, long a0, long a1, long a2, long a3, long a4, long a5);
/* The index of pid among this process's children, or -1. */
int fuzz_child_index(long pid);

/* ---- fuzzthread.c ---- */

/* The index of tid among this process's unjoined threads, or -1. */
int fuzz_thread_index(int tid);
/* Joins one thread, which must exist. */
void fuzz_join_one(void);
/* Forgets every thread (a forked child has none of its parent's). */
void fuzz_threads_forget(void);
/* One random clone or join, checked against the model. */
void fuzz_clone(void);
void fuzz_join(void);

/* ---- fuzzmodel.c ---- */

/* A random, small or edge value for an int or length argument. */
uint64 fuzz_any_int(void);
/* What a user access at va does, as far as the model knows. */
enum ptr_class fuzz_ptr_class(uint64 va);
/* An address for a pointer argument; *cls says what an access there does.
 * With store, never one the worker itself uses. */
uint64 fuzz_any_ptr(int store, enum ptr_class *cls);
/* The address of len bytes just below the break (strings or, with ptrs,
 * argv arrays that run off the end), or 0 while failinject is armed. */
uint64 fuzz_heap_edge(uint64 len, int ptrs);
/* Unmaps every page the model has mapped; regions drops to 0. */
void fuzz_unmap_all(void);
/* Records that fd, one end of a modelled pipe, is closed. */
void fuzz_fd_closed(int fd);

/* One random call each, its answer checked against the model, which it
 * then updates; a wrong answer ends in fuzz_fail. */
long fuzz_sbrk(void);
void fuzz_mmap(void);
void fuzz_munmap(void);
void fuzz_close(void);
void fuzz_pipe(void);
void fuzz_write(void);
void fuzz_read(void);

#endif /* STRESS_FUZZMODEL_H */
