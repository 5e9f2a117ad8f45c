/*
 * proc_internal.h: what the files of kernel/proc share with one another
 * (mostly proc.c and group.c; sched.c walks the table) and nothing else
 * may use. Only the .c files of kernel/proc include it; the rest of the
 * kernel goes through proc.h.
 *
 * proc.c owns the table, the slots' life (alloc, start, free) and
 * wait_lock; group.c owns the thread groups and lends proc.c the two
 * steps of ending one (group_kill, group_collect). The lock key and the
 * lock order are proc.h's.
 */
#ifndef PROC_PROC_INTERNAL_H
#define PROC_PROC_INTERNAL_H

#include "param.h"
#include "proc/proc.h"
#include "sync/spinlock.h"

/* ---- proc.c ---- */
extern struct proc proc_table[NPROC];  /* each slot guarded as proc.h says */
extern struct spinlock wait_lock;      /* rank LOCK_RANK_WAIT; guards the
                                          [w] fields of struct proc */

/* Finds an UNUSED slot and readies it to run forkret on its kernel stack,
 * with no address space yet. Returns it in state USED, unlocked: USED
 * keeps every other hart away from its private fields (the scheduler runs
 * only RUNNABLE slots, proc_alloc takes only UNUSED ones), so the caller
 * fills it in without p->lock and without upsetting the lock order.
 * Returns NULL if there is no slot or no memory.
 * => holds no lock (it takes a p->lock and allocates a page). */
struct proc *proc_alloc(void);
/* Gives back what proc_alloc took and frees the slot.
 * => holds p->lock; p's files are closed and its address space dropped;
 * and wait_lock is held, or p never had a parent (a slot fork or clone
 * was still building). */
void proc_free(struct proc *p);
/* Undoes proc_alloc (and whatever fork or clone added) for a slot that
 * never ran. => holds no lock. */
void proc_unalloc(struct proc *p);
/* Makes a fully built USED slot runnable. => holds no lock. */
void proc_start(struct proc *p);
/* Gives np duplicates of p's open files and p's name. => np is USED;
 * holds no lock. */
void proc_inherit(struct proc *p, struct proc *np);

/* ---- group.c ---- */
/* Marks every thread of leader's group but skip killed, waking sleepers.
 * => holds wait_lock. */
void group_kill(struct proc *leader, struct proc *skip);
/* Waits until every thread of leader's group but me is a zombie, then
 * reaps them all, except the leader itself if me is not the leader.
 * => holds wait_lock; the others have been killed; may sleep. */
void group_collect(struct proc *leader, struct proc *me);

#endif /* PROC_PROC_INTERNAL_H */
