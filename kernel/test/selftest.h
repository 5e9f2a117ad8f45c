/*
 * selftest.h: in-kernel self-tests, run at boot when the boot arguments say
 * "selftest" (all cases) or "selftest=NAME" (one case, which may be one of
 * the cases that must panic). Every hart the kernel runs takes part; hart 0
 * prints one "ok N name" / "not ok N name # seed S: reason" line per case,
 * then "N passed, N failed", and powers off (status 0 only if all passed).
 */
#ifndef TEST_SELFTEST_H
#define TEST_SELFTEST_H

#include "lib/types.h"

/* Runs the self-tests on this hart. nharts harts call it; never returns.
 * => interrupts may be on or off; no locks held. */
void selftest_main(int nharts) __attribute__((noreturn));

/* ---- for the case files ---- */

struct selftest_ctx {
  int hart;            /* this hart's id */
  int nharts;          /* harts taking part */
  uint64 seed;         /* boot argument seed=N, default 1 */
};

/* A case runs on every hart at once; any hart may call selftest_fail. */
struct selftest_case {
  const char *name;
  void (*fn)(struct selftest_ctx *c);
  int only_by_name;    /* 1: run only when named (must panic, or needs input) */
};

/* Records a failure of the running case (the first reason is kept). */
void selftest_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Waits until every taking-part hart has reached the same barrier. */
void selftest_barrier(struct selftest_ctx *c);

/* The hart that runs single-hart misuse cases (so panics name a hart > 0). */
static inline int
selftest_last_hart(const struct selftest_ctx *c)
{
  return c->hart == c->nharts - 1;
}

/* Case tables, each ended by an entry with a NULL name. */
extern const struct selftest_case selftest_sync_cases[];
extern const struct selftest_case selftest_mm_cases[];

#endif /* TEST_SELFTEST_H */
