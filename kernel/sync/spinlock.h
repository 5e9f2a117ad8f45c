/*
 * spinlock.h: spinlocks with owner tracking and a run-time lock-order check.
 *
 * Lock order (outer to inner). A hart may acquire a lock only if its rank is
 * strictly greater than the rank of every lock it already holds; acquire()
 * panics otherwise and names both locks. Equal ranks therefore never nest,
 * and the two allocator locks are leaves: nothing is taken while they are
 * held (printf included: the allocators do not print under their locks).
 *
 *   LOCK_RANK_AUDIT      the memory audit (held while it takes the rest)
 *   LOCK_RANK_WAIT       parent/child links (wait, exit, reparenting)
 *   LOCK_RANK_FILETABLE  the open-file table
 *   LOCK_RANK_PIPE       one pipe's ring          } condition locks that
 *   LOCK_RANK_TICKS      the global tick count    } sleep() releases; they
 *   LOCK_RANK_CONSOLE    the console input ring   } rank below PROC because
 *                                                    sleep and wakeup take a
 *                                                    p->lock while holding one
 *   LOCK_RANK_PROC       one process's own lock (state, killed, chan)
 *   LOCK_RANK_VM         one process's address space (page table, regions, brk)
 *   LOCK_RANK_PRINTF     console output (printf)
 *   LOCK_RANK_TEST       locks that only self-tests use
 *   LOCK_RANK_PCACHE     one hart's cache of free pages (pmem.c); taken
 *                        before the shared pmem lock when a cache refills
 *                        or drains, never two at once
 *   LOCK_RANK_POOL       the mmap_region_node pool        (leaf)
 *   LOCK_RANK_PMEM       the physical page allocator      (leaf, same rank:
 *                        holding one forbids taking the other)
 *
 * Pids come from an atomic counter, so the process table needs no lock of
 * its own: each slot is guarded by its p->lock.
 *
 * Every lock disables interrupts on its hart while held (push_off/pop_off
 * nest), so a lock an interrupt handler takes can never be held by the code
 * that handler interrupted.
 *
 * Statistics: every acquire counts, in its lock (acquires, spins: read them
 * in gdb) and in its class, the locks of one name (uapi/lockstat.h). A
 * class's counters are kept per hart, each written only by its own hart,
 * so counting takes no atomic and no shared cache line.
 */
#ifndef SYNC_SPINLOCK_H
#define SYNC_SPINLOCK_H

#include "lib/types.h"

enum lock_rank {
  LOCK_RANK_AUDIT     = 5,
  LOCK_RANK_WAIT      = 10,
  LOCK_RANK_FILETABLE = 12,
  LOCK_RANK_PIPE      = 14,
  LOCK_RANK_TICKS     = 16,
  LOCK_RANK_CONSOLE   = 18,
  LOCK_RANK_PROC      = 30,
  LOCK_RANK_VM        = 40,
  LOCK_RANK_PRINTF    = 80,
  LOCK_RANK_TEST      = 85,
  LOCK_RANK_PCACHE    = 88,
  LOCK_RANK_POOL      = 90,
  LOCK_RANK_PMEM      = 90,
};

/* Most locks one hart may hold at once. */
#define LOCKS_HELD_MAX 8

struct spinlock {
  uint32 locked;          /* [a] 0 free, 1 held */
  int hart;               /* [self] owner hart while held, else -1 */
  uint64 pc;              /* [self] return address of the acquire() */
  const char *name;       /* [I] */
  int rank;               /* [I] enum lock_rank */
  int cls;                /* [I] its class: index in the class table */
  uint64 acquires;        /* [self] acquires since spinlock_init */
  uint64 spins;           /* [self] turns spent waiting, all acquires */
};

struct lockstat;

/* Names and ranks a lock; it starts free. */
void spinlock_init(struct spinlock *lk, const char *name, int rank);

/* Spins until lk is ours.
 * => interrupts off from here until the matching release.
 * => panics on a recursive acquire or an out-of-order one. */
void acquire(struct spinlock *lk);

/* Sets the function acquire() calls while it spins (the TLB shootdown's
 * request server: a hart waiting for a lock with interrupts off still
 * answers flush requests). => once, hart 0, before other harts run. */
void spinlock_set_poll(void (*fn)(void));

/* Gives lk up. => panics unless this hart holds lk. */
void release(struct spinlock *lk);

/* Nonzero if this hart holds lk. => call with interrupts off. */
int holding(struct spinlock *lk);

/* Interrupt disable that nests: interrupts come back on at the last pop_off
 * only if they were on at the first push_off. */
void push_off(void);
void pop_off(void);

/* The interrupt state push_off saved at depth 0 on this hart. A kernel
 * thread that switches away keeps its own copy across the switch. */
int spinlock_intena(void);
void spinlock_set_intena(int intena);

/* Number of spinlocks this hart holds (for "may not sleep" assertions). */
int spinlock_held_count(void);

/* Name of the i-th lock this hart holds (in acquisition order), or "". */
const char *spinlock_held_name(int i);

/* Fills up to max entries of out with the classes' counters, summed over
 * the harts; returns the number of classes (which may be more than max). */
int spinlock_stats(struct lockstat *out, int max);

/* Appends the locks hart holds to buf (panic reports). */
void spinlock_format_held(int hart, char *buf, int n, int *len);

#endif /* SYNC_SPINLOCK_H */
