/*
 * uapi/lockstat.h: lock statistics, for the lockstat system call.
 *
 * Every spinlock counts its acquires and the turns its acquire() spent
 * waiting. Locks initialised with the same name form one class (the
 * locks of every address space are the class "uvm", of every process
 * "proc"): lockstat reports one entry per class, summed over the class's
 * locks and over every hart, counted since boot. Two reports taken around
 * a piece of work, subtracted, show what that work did.
 */
#ifndef UAPI_LOCKSTAT_H
#define UAPI_LOCKSTAT_H

#include "lib/types.h"

#define LOCKSTAT_NAME 16       /* bytes of a class name, NUL included */
#define LOCKSTAT_CLASSES 32    /* most classes the kernel keeps */

struct lockstat {
  char name[LOCKSTAT_NAME];    /* the locks' name; "(other)" if classes ran out */
  uint64 acquires;             /* acquire() calls that got a lock */
  uint64 contended;            /* ... of them that found it held and waited */
  uint64 spins;                /* turns of the wait loop, all acquires */
};

#endif /* UAPI_LOCKSTAT_H */
