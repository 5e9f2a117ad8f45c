/*
 * harness.h: a minimal runner for host unit tests. Each case is a function;
 * CHECK records the first failed expectation of the running case, and
 * harness_run prints "ok N name" or "not ok N name # reason", then the
 * closing "N passed, N failed" line.
 */
#ifndef HOST_HARNESS_H
#define HOST_HARNESS_H

#include <stdio.h>

struct harness_case {
  const char *name;
  void (*fn)(void);
};

extern char harness_reason[256];

#define CHECK(cond, ...)                                                    \
  do {                                                                      \
    if (!(cond) && harness_reason[0] == '\0')                               \
      snprintf(harness_reason, sizeof(harness_reason), __VA_ARGS__);        \
  } while (0)

/* Runs every case; returns the process exit status (0 if all passed). */
int harness_run(const struct harness_case *cases, int n);

#endif /* HOST_HARNESS_H */
