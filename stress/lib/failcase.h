/*
 * failcase.h: what failsweep's cases share (stress/failsweep.c,
 * failthread.c, failcow.c). A case runs its operation in a forked runner
 * with the Nth allocation of one kind failing, and never returns: it exits
 * with one of the DONE_ statuses below, or a failed fault kills it.
 * Injection is armed only around the operation itself.
 */
#ifndef STRESS_FAILCASE_H
#define STRESS_FAILCASE_H

#include "stress.h"

/* How a run of the operation ended, as the runner child's exit status. */
#define DONE_UNREACHED 10      /* completed without reaching the Nth */
#define DONE_FAILED    11      /* returned an error, cleanly */
#define DONE_BROKEN    12      /* misbehaved: see its own message */

static const int rw = PROT_READ | PROT_WRITE;
static const int map_flags = MAP_PRIVATE | MAP_ANONYMOUS;

/* Arms injection for the operation: the nth allocation of kind what
 * fails. */
static inline void
failcase_arm(int what, int n)
{
  failinject(what, n, 0, 0);
}

/* Disarms it after the operation; returns how many it counted. */
static inline int
failcase_disarm(void)
{
  return failinject(0, 0, 0, 0);
}

#endif /* STRESS_FAILCASE_H */
