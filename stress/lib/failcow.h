/*
 * failcow.h: failsweep's copy-on-write cases. Each is run in failsweep's
 * forked runner with the Nth allocation of kind what (FAIL_PAGES or
 * FAIL_NODES) failing, and exits with a DONE_ status (failcase.h); a break
 * that finds no page kills its writer or fails the kernel's write with
 * -1, nothing leaks, and the other sharer's copy stays intact.
 */
#ifndef STRESS_FAILCOW_H
#define STRESS_FAILCOW_H

#include "failcase.h"

#define COW_PAGES      8       /* the pages a break case shares and writes */

/* Breaks of COW_PAGES shared pages by user stores of the child, of the
 * parent, and of a thread with a spinning sibling on another hart; and by
 * the kernel's writes (read, memstat, pipe, wait) into them. */
void failcow_child(int what, int n);
void failcow_parent(int what, int n);
void failcow_thread(int what, int n);
void failcow_kernel(int what, int n);
/* A munmap, after a fork, that must first copy the level-0 table the fork
 * left shared. */
void failcow_munmap_shared_table(int what, int n);

#endif /* STRESS_FAILCOW_H */
