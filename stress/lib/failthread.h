/*
 * failthread.h: failsweep's cases in processes of several threads, and
 * the thread helpers the copy-on-write cases (failcow.c) borrow. A case is
 * run in failsweep's forked runner with the Nth allocation of kind what
 * (FAIL_PAGES or FAIL_NODES) failing, and exits with a DONE_ status
 * (failcase.h). The helpers run before injection is armed: a failure in
 * them exits with DONE_BROKEN.
 */
#ifndef STRESS_FAILTHREAD_H
#define STRESS_FAILTHREAD_H

#include "failcase.h"

/* clone: a failed one leaves memory and the process table as they were. */
void failthread_clone(int what, int n);
/* fork, exec and exit in a process of three threads: fork and exec from a
 * thread while a sibling spins on another hart, exit of the first thread
 * while the two it cloned (with the setting inherited) still live. */
void failthread_fork(int what, int n);
void failthread_exec(int what, int n);
void failthread_exit(int what, int n);

/* Maps and touches the stacks of the threads a runner starts. */
void failthread_map_stacks(void);
/* Starts fn(arg) on stack i (0 or 1); returns its tid. */
int failthread_start(void (*fn)(void *), void *arg, int i);
/* Joins thread tid, which must end with status want. */
void failthread_join(int tid, int want);
/* Counts the calling thread as ready (failthread_await_ready). */
void failthread_ready(void);
/* Waits until n threads have said they are ready. */
void failthread_await_ready(int n);

#endif /* STRESS_FAILTHREAD_H */
