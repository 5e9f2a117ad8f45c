/*
 * cowwork.c: the stress suite's copy-on-write worker (see cowwork.h).
 *
 * Since fork shares every page read-only (the first write copies it, or
 * takes it back when no other table maps it), a wrong reference count, a
 * copy of the wrong page, or a translation a hart kept from before fork
 * shows up as one process seeing another's write. The worker runs one
 * scenario at a time in a forked "scenario process" S, so a scenario may
 * end its processes without ending the worker:
 *
 *   chain     S, its child and its grandchild (three generations) write
 *             their own generation's values into random pages of a shared
 *             area (mmap and heap) in rounds, all at once, with a barrier
 *             after each round's writes; then each checks every page holds
 *             exactly what its own model says (its own writes or what it
 *             inherited), never a descendant's or an ancestor's later
 *             write. At the end each takes its pages back (the last sharer
 *             writes in place) and checks again.
 *   race      parent and child (the parent with 1-3 threads) start writing
 *             every word of the same shared pages at the same instant, on
 *             whatever harts they run: both break the same pages at once;
 *             each must end with only its own values.
 *   fork      1-3 threads rewrite their own buffers in rounds (the round in
 *             both halves of every word), and one more reads them (never
 *             a round older than the writer had done: a writer's break
 *             must shoot down its siblings' harts), while the main thread
 *             forks several times. The child checks every word is whole, no older
 *             than the rounds finished before fork was called, and no newer
 *             than the round under way when fork returned in the parent
 *             (the parent sends it through a pipe); and that its copy is
 *             stable: read at once, after the pipe, and a tick later,
 *             nothing in the child writes it, so a change means a parent
 *             write reached the child's copy (a sibling hart kept a
 *             writable translation: COW_NO_FLUSH=1 builds).
 *   unmap     one side munmaps part of the area and shrinks the heap (then
 *             maps it again: fresh zero pages, never the other side's),
 *             while the other side's threads read and rewrite every page.
 *   exit      one side writes some pages and exits while the other's
 *             threads read and rewrite them.
 *   exec      the same, with exec of stressexec instead of exit.
 *   pressure  a thread takes the region-node pool down to a few nodes while
 *             S forks (the fork, which needs a node per region, may fail:
 *             S's pages must then be intact and writable); the child hogs memory down to a reserve (a quarter of
 *             it) while S breaks half of the shared pages; then the child,
 *             half the time with page allocations failing at random
 *             (failinject), writes all of them (the other half still
 *             shared: copies) and reads a pipe into two shared heap pages:
 *             a failed break kills only the child (counted as c-oom-kill),
 *             a failed kernel write returns -1 and leaves the bytes in the
 *             pipe; S's data stays intact either way.
 *
 * Nothing but a process's main thread calls exit on a failure, and no
 * process calls stress_fail: every process of a scenario (threads too)
 * reports through a pipe to the worker: 'T' a thread started, 'F' a fork
 * was refused (no slot, page or node), 'O' a writer under injection was
 * killed, and "!text\n" (one write, never interleaved) what went wrong.
 * The worker reads the pipe after reaping S, until every process of the
 * scenario has closed it.
 *
 * This file holds the worker and what every scenario process shares; the
 * scenarios are in cowshare.c (chain, race) and cowleave.c (fork, unmap,
 * exit, exec, pressure); cowscen.h is what the three share.
 */
#include <stdarg.h>
#include "lib/fmt.h"
#include "cowscen.h"

#define REPORT_TICKS  50

/* ---- what every scenario process shares ---- */

/* One stack more than scenario threads: the fork scenario's reader. */
char cw_tstacks[THREADS_MAX + 1][TSTACK] __attribute__((aligned(PGSIZE)));
int cw_say_fd;                        /* the pipe to the worker */
uint64 cw_seed;
static int complained;                /* this process sent its message */
volatile int cw_failed;               /* this process found something wrong */
uint64 cw_area, cw_heap;              /* the shared pages of a scenario */

void
cw_say(char c)
{
  write(cw_say_fd, &c, 1);
}

void
cw_complain(const char *fmt, ...)
{
  char buf[124];
  va_list ap;

  cw_failed = 1;
  if (__atomic_exchange_n(&complained, 1, __ATOMIC_ACQ_REL))
    return;
  buf[0] = '!';
  va_start(ap, fmt);
  int n = fmt_vsnprintf(buf + 1, sizeof(buf) - 2, fmt, ap);
  va_end(ap);
  if (n > (int)sizeof(buf) - 3)
    n = (int)sizeof(buf) - 3;
  buf[1 + n] = '\n';
  write(cw_say_fd, buf, n + 2);
}

int
cw_spawn(void (*fn)(void *), void *arg, int i)
{
  int tid = clone(fn, arg, cw_tstacks[i] + TSTACK);
  if (tid <= 0)
    return 0;       /* no slot or memory under stress: not an error */
  cw_say('T');
  return tid;
}

uint64
cw_map_pages(uint64 n)
{
  void *p = mmap(0, n * PGSIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
  return p == MAP_FAILED ? 0 : (uint64)p;
}

uint64
cw_heap_pages(uint64 n)
{
  uint64 brk = (uint64)sbrk(0);
  if (sbrk((long)(PGROUNDUP(brk) - brk + n * PGSIZE)) == (char *)-1)
    return 0;
  return PGROUNDUP(brk);
}

void
cw_fill(uint64 page, uint64 gen, int step)
{
  for (uint64 a = page; a < page + PGSIZE; a += (uint64)step)
    *(volatile uint64 *)a = stress_pattern(cw_seed, a, gen);
}

uint64
cw_check(uint64 page, uint64 gen, int step)
{
  for (uint64 a = page; a < page + PGSIZE; a += (uint64)step)
    if (*(volatile uint64 *)a != stress_pattern(cw_seed, a, gen))
      return a;
  return 0;
}

int
cw_whose(uint64 a)
{
  uint64 v = *(volatile uint64 *)a;

  for (int g = 0; g < 4 * 16; g++)
    if (v == stress_pattern(cw_seed, a, (uint64)g))
      return g;
  return -1;
}

void
cw_pause(uint64 *rng)
{
  uint64 until = rdtime() + stress_below(rng, TIMEBASE_HZ / 500);   /* < 2 ms */
  while (rdtime() < until)
    ;
}

static void scenario(int sc, int nthreads) __attribute__((noreturn));

static void
scenario(int sc, int nthreads)
{
  switch (sc) {
  case SC_CHAIN: cw_chain(); break;
  case SC_RACE: cw_race(nthreads); break;
  case SC_FORK: cw_fork_writers(nthreads); break;
  case SC_UNMAP:
  case SC_EXIT:
  case SC_EXEC: cw_unshare(sc, nthreads); break;
  default: cw_pressure(nthreads); break;
  }
  exit(0);
}

/* ---- the worker ---- */

static const char *const sc_names[SC_COUNT] = {
  "chain", "race", "fork", "unmap", "exit", "exec", "pressure"
};
static const int sc_ops[SC_COUNT] = {
  OP_C_CHAIN, OP_C_RACE, OP_C_FORK, OP_C_UNMAP, OP_C_EXIT, OP_C_EXEC, OP_C_PRESSURE
};
/* How often each runs, out of the sum: fork (what catches a missing
 * fork-time flush) most. */
static const int sc_weight[SC_COUNT] = { 2, 2, 3, 1, 1, 1, 1 };

static struct {
  uint64 seed;
  uint64 rng;
  int report_fd;
  struct stress_report rep;
} cw;

#define FAIL(...) stress_fail(cw.seed, __VA_ARGS__)

static void
send_report(int done)
{
  cw.rep.done = (uint32)done;
  if (write(cw.report_fd, &cw.rep, sizeof(cw.rep)) != sizeof(cw.rep))
    FAIL("report write failed");
}

static int
pick_scenario(void)
{
  int sum = 0;

  for (int i = 0; i < SC_COUNT; i++)
    sum += sc_weight[i];
  int x = (int)stress_below(&cw.rng, (uint64)sum);
  for (int i = 0; i < SC_COUNT; i++) {
    if (x < sc_weight[i])
      return i;
    x -= sc_weight[i];
  }
  return 0;
}

static void
run_scenario(int sc)
{
  int fds[2];
  int nthreads = 1 + (int)stress_below(&cw.rng, THREADS_MAX);

  if (pipe(fds) != 0)
    return;
  cw_seed = stress_rand(&cw.rng);
  int pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    cw.rep.ops[OP_FORK_FAILED]++;
    return;
  }
  if (pid == 0) {
    close(fds[0]);
    close(cw.report_fd);
    cw_say_fd = fds[1];
    scenario(sc, nthreads);
  }
  close(fds[1]);
  int status = -2;
  if (wait(&status) != pid)
    FAIL("cow: wait did not return scenario %s's process", sc_names[sc]);
  /* Every process of the scenario has closed the pipe when it ends. */
  static char msg[128];
  char buf[64];
  int n, mlen = -1;
  while ((n = read(fds[0], buf, sizeof(buf))) > 0)
    for (int i = 0; i < n; i++) {
      char c = buf[i];
      if (mlen >= 0) {
        if (c == '\n')
          mlen = -2;                    /* keep the first message only */
        else if (mlen < (int)sizeof(msg) - 1)
          msg[mlen++] = c, msg[mlen] = 0;
      } else if (mlen == -1 && c == '!') {
        mlen = 0;
        msg[0] = 0;
      } else if (c == 'T') {
        cw.rep.ops[OP_THREAD]++;
      } else if (c == 'F') {
        cw.rep.ops[OP_FORK_FAILED]++;
      } else if (c == 'O') {
        cw.rep.ops[OP_C_OOM]++;
      }
    }
  close(fds[0]);
  if (mlen != -1)
    FAIL("cow: %s: %s", sc_names[sc], msg);
  if (status != 0)
    FAIL("cow: %s: the scenario's process ended with status %d", sc_names[sc], status);
  cw.rep.ops[sc_ops[sc]]++;
}

void
cowwork_run(int id, uint64 seed, uint64 deadline, int report_fd)
{
  uint64 next_report = 0;

  cw.seed = seed;
  cw.rng = seed;
  cw.report_fd = report_fd;
  cw.rep.magic = STRESS_REPORT_MAGIC;
  cw.rep.worker = (uint32)id;
  while ((uint64)uptime() < deadline) {
    run_scenario(pick_scenario());
    if ((uint64)uptime() >= next_report) {
      send_report(0);
      next_report = (uint64)uptime() + REPORT_TICKS;
    }
  }
  send_report(1);
  exit(0);
}
