/* harness.c: see harness.h. */
#include "harness.h"

char harness_reason[256];

int
harness_run(const struct harness_case *cases, int n)
{
  int failed = 0;

  for (int i = 0; i < n; i++) {
    harness_reason[0] = '\0';
    cases[i].fn();
    if (harness_reason[0]) {
      failed++;
      printf("not ok %d %s # %s\n", i + 1, cases[i].name, harness_reason);
    } else {
      printf("ok %d %s\n", i + 1, cases[i].name);
    }
    fflush(stdout);
  }
  printf("%d passed, %d failed\n", n - failed, failed);
  return failed ? 1 : 0;
}
