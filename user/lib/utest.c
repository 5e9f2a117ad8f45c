/*
 * utest.c: the user-space test runner (see user.h). Each case runs in a
 * forked child; the child reports a failure reason through a pipe. After
 * the child is reaped, memstat must show exactly the free pages and free
 * region nodes there were before the fork: anything else is a leak.
 */
#include <stdarg.h>
#include "lib/fmt.h"
#include "user.h"

#define REASON_MAX 200

static int reason_fd = -1;   /* write end of the pipe, in the child */

void
utest_fail(const char *fmt, ...)
{
  char buf[REASON_MAX];
  va_list ap;

  va_start(ap, fmt);
  int n = fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  if (n >= (int)sizeof(buf))
    n = sizeof(buf) - 1;
  if (reason_fd >= 0)
    write(reason_fd, buf, n);
  else
    fprintf(2, "utest_fail outside a case: %s\n", buf);
  exit(1);
}

/* Touches the stack the runner will use, so that a lazily grown stack page
 * is not counted as a leak of the first case. */
static void __attribute__((noinline))
prefault_stack(void)
{
  volatile char pad[3 * PGSIZE];
  for (unsigned i = 0; i < sizeof(pad); i += PGSIZE)
    pad[i] = 0;
}

/* Runs one case; returns NULL if it passed, else the reason in buf. */
static const char *
run_case(const struct utest *t, char *buf, int size)
{
  struct memstat before, after;
  int fds[2], go[2], status = 0;
  char c = 'g';

  if (pipe(fds) < 0)
    return "runner: pipe failed";
  /* The go pipe is made after the snapshot: it is gone again (both ends
   * closed) by the time of the next one. */
  memstat(&before);
  if (pipe(go) < 0) {
    close(fds[0]);
    close(fds[1]);
    return "runner: pipe failed";
  }
  int pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    close(go[0]);
    close(go[1]);
    return "runner: fork failed";
  }
  if (pid == 0) {
    close(fds[0]);
    close(go[1]);
    /* go[0] stays open until the case exits: were it closed here, the
     * runner's close of go[1] would free the pipe's page in the middle of
     * the case, between two of its snapshots. */
    read(go[0], &c, 1);
    reason_fd = fds[1];
    t->fn();
    exit(0);
  }
  close(fds[1]);
  close(go[0]);
  /* The fork left every page shared copy-on-write: make the runner's own
   * now, before the case starts, so no copy (nor the free of a page the
   * case left) happens in the runner while the case counts pages. */
  utest_own_pages();
  write(go[1], &c, 1);
  close(go[1]);
  int got = wait(&status);
  memstat(&after);

  int n = read(fds[0], buf, size - 1);
  close(fds[0]);
  buf[n > 0 ? n : 0] = '\0';
  if (got != pid)
    return "runner: wait did not return the child";
  if (n > 0)
    return buf;
  if (status != 0) {
    snprintf(buf, size, "child ended with status %d%s", status,
             status == -1 ? " (killed)" : "");
    return buf;
  }
  if (after.pages_free != before.pages_free || after.nodes_free != before.nodes_free) {
    snprintf(buf, size, "leak: pages_free %d -> %d, nodes_free %d -> %d",
             (int)before.pages_free, (int)after.pages_free,
             (int)before.nodes_free, (int)after.nodes_free);
    return buf;
  }
  return NULL;
}

int
utest_run(const struct utest *cases, int n)
{
  char buf[REASON_MAX + 64];
  int failed = 0;

  prefault_stack();
  for (int i = 0; i < n; i++) {
    const char *reason = run_case(&cases[i], buf, sizeof(buf));
    if (reason) {
      failed++;
      printf("not ok %d %s # %s\n", i + 1, cases[i].name, reason);
    } else {
      printf("ok %d %s\n", i + 1, cases[i].name);
    }
  }
  printf("%d passed, %d failed\n", n - failed, failed);
  return failed ? 1 : 0;
}
