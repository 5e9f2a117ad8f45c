/*
 * threadtests.h: what the three files of the program threadtests share.
 * threadtests.c has the thread helpers, the shared flags, the cases on
 * clone/join, the shared space and lazy faults, the case table and main;
 * threadtests/process.c the cases on exit, kill, faults, wait, fork and
 * exec; threadtests/shootdown.c those on munmap and sbrk.
 */
#ifndef THREADTESTS_THREADTESTS_H
#define THREADTESTS_THREADTESTS_H

#include "user.h"

#define SPIN_TICKS_MAX 200      /* 2 s: how long a case waits for its threads */

/* threadtests.c */
extern volatile int started;    /* threads that reached their loop */
extern volatile int stop;       /* tells looping threads to return */
extern volatile uint64 counter; /* spin's count; cases also set or aim at it */
extern volatile uint64 target;  /* the page a case's threads touch */

/* clone on stack i, which must succeed. */
int start_thread(void (*fn)(void *), void *arg, int i);
/* join(tid) must return tid; returns the status. */
int join_ok(int tid);
/* Waits until n threads have reached their loop. */
void await_started(int n);
/* A thread that counts in counter until stop is set. */
void spin(void *arg);
/* A thread that sleeps until its process ends. */
void sleep_forever(void *arg);

/* threadtests/process.c: the cases, in the order of the case table. */
/* exit in the first thread ends them all, leaving no entries. */
void exit_in_the_first_thread_ends_every_thread(void);
/* Returning from main with threads spinning ends the process. */
void return_from_main_ends_every_thread(void);
/* kill of a thread that is not the first ends the whole process. */
void kill_of_any_thread_ends_the_process(void);
/* A store to NULL in one thread ends the whole process. */
void fault_in_a_thread_ends_the_process(void);
/* wait returns no thread, alive or joined. */
void wait_never_returns_a_thread(void);
/* A thread's fork copies the space; the child is that thread's to wait for. */
void fork_from_a_thread_copies_the_space_for_its_own_child(void);
/* fork while a sibling writes: the child sees every word whole and fresh. */
void fork_while_a_sibling_writes_copies_whole_words(void);
/* exec in a thread ends the others; the new image keeps the pid. */
void exec_from_a_thread_ends_the_others_and_keeps_the_pid(void);
/* A failed exec in a thread returns -1 and leaves the siblings running. */
void failed_exec_in_a_thread_changes_nothing(void);

/* threadtests/shootdown.c: the cases, in the order of the case table. */
/* After munmap returns, a sibling reading the page faults. */
void munmap_in_one_thread_is_seen_by_every_thread(void);
/* After sbrk shrinks, a sibling reading the freed page faults. */
void shrinking_sbrk_in_one_thread_is_seen_by_every_thread(void);
/* munmap interrupts the other harts running the space. */
void munmap_interrupts_harts_running_the_space(void);

#endif /* THREADTESTS_THREADTESTS_H */
