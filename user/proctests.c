/*
 * proctests.c: user tests for processes: fork/exit/wait, process trees,
 * orphans, kill, exec and its argument limits, and a full process table.
 * Bad pointers and faults are in faulttests.c, pipes in pipetests.c.
 * Every case runs in its own child (user/lib/utest.c) and reaps every
 * process it makes, so the runner's leak check sees all memory come back.
 * Children of a case always end with exit(), never by returning.
 */
#include "user.h"

#define MAXHARTS 8              /* DESIGN.md 1: virt runs 1 to 8 harts */

#define EXIT_STATUS_VALUES 256  /* statuses a shell shows as 0..255 */
#define NEGATIVE_STATUS (-5)
#define EXEC_FAILED (-2)        /* no argecho checksum (0..255) is this */
#define BAD_HART (-3)           /* hartid() gave a hart that cannot exist */
#define PRIVATE_MISMATCH 4      /* a child saw memory it should not have */

#define TREE_FANOUT 4           /* children per process in the fork tree */
#define TREE_DEPTH 4            /* levels below the case: 340 processes */
#define TREE_BATCH 2            /* children of one node alive at once */
#define HART_CHILDREN 16
#define SPIN_TICKS 3            /* long enough for children to overlap */
#define ORPHAN_SLEEP 5
#define ORPHAN_POLLS 500        /* sleep(1) polls before giving up on init */
#define SLEEP_FOREVER 10000
#define KILL_DEADLINE 200       /* ticks a killed sleeper may take to die */
#define EXEC_CROWD 12
#define FORK_ATTEMPTS 200       /* far more than the 64 process slots */
#define FORK_MIN_SLOTS 32       /* any sane table has room for this many */

/* ---- helpers ---- */

/* A start gate: children block in gate_pass until the parent closes its
 * write end in gate_open, so they all start at about the same moment. */
static void
gate_pass(int gate[2])
{
  char c;

  close(gate[1]);
  read(gate[0], &c, 1);
  close(gate[0]);
}

static void
gate_open(int gate[2])
{
  close(gate[1]);
  close(gate[0]);
}

/* The checksum argecho exits with: (argc + every byte of every arg) % 256. */
static int
argsum(char **argv)
{
  unsigned sum = 0;
  int argc;

  for (argc = 0; argv[argc]; argc++)
    for (const char *s = argv[argc]; *s; s++)
      sum += (unsigned char)*s;
  return (sum + argc) % 256;
}

/* Runs argv in a child and returns its exit status (EXEC_FAILED if exec
 * returned). */
static int
exec_status(char **argv)
{
  int pid = fork();

  CHECK(pid >= 0, "fork failed");
  if (pid == 0) {
    exec(argv[0], argv);
    exit(EXEC_FAILED);
  }
  return utest_reap(pid);
}

/* ---- fork, exit, wait ---- */

static void
fork_returns_pid_that_child_sees_as_getpid(void)
{
  int p[2], seen = 0, me = getpid();

  CHECK(pipe(p) == 0, "pipe failed");
  int pid = fork();
  CHECK(pid >= 0, "fork failed");
  if (pid == 0) {
    int id = getpid();
    write(p[1], &id, sizeof(id));
    exit(0);
  }
  close(p[1]);
  CHECK(read(p[0], &seen, sizeof(seen)) == sizeof(seen), "no pid from child");
  close(p[0]);
  CHECK(utest_reap(pid) == 0, "child failed");
  CHECK(pid > 0 && pid != me, "fork returned %d, parent is %d", pid, me);
  CHECK(seen == pid, "child's getpid() is %d, fork returned %d", seen, pid);
  CHECK(getpid() == me, "parent's pid changed from %d to %d", me, getpid());
}

static int shared_global = 1;

static void
fork_gives_child_a_private_copy_of_memory(void)
{
  volatile int local = 2;
  int *heap = malloc(sizeof(int));

  CHECK(heap != 0, "malloc failed");
  *heap = 3;
  int pid = fork();
  CHECK(pid >= 0, "fork failed");
  if (pid == 0) {
    if (shared_global != 1 || local != 2 || *heap != 3)
      exit(PRIVATE_MISMATCH);
    shared_global = local = *heap = 0;
    exit(0);
  }
  int st = utest_reap(pid);
  CHECK(st == 0, "child saw wrong values after fork (status %d)", st);
  CHECK(shared_global == 1 && local == 2 && *heap == 3,
        "child's stores reached the parent: global %d stack %d heap %d",
        shared_global, local, *heap);
  free(heap);
}

static void
fork_wait_loop_delivers_exit_status(void)
{
  for (int i = 0; i < EXIT_STATUS_VALUES; i++) {
    int st = utest_reap(utest_fork_exit(i));
    CHECK(st == i, "iteration %d: status %d", i, st);
  }
}

static void
exit_negative_status_round_trips(void)
{
  int st = utest_reap(utest_fork_exit(NEGATIVE_STATUS));

  CHECK(st == NEGATIVE_STATUS, "status %d, expected %d", st, NEGATIVE_STATUS);
}

static void
wait_without_children_returns_minus_one(void)
{
  int st = 12345;

  CHECK(wait(&st) == -1, "wait with no children did not return -1");
  CHECK(st == 12345, "failed wait changed status to %d", st);
}

/* Processes in a subtree with `levels` levels below its root, root included. */
static int
tree_size(int levels)
{
  int n = 1;

  for (int i = 0; i < levels; i++)
    n = n * TREE_FANOUT + 1;
  return n;
}

/* Grows `levels` levels of children below this process, TREE_BATCH of them
 * alive at a time so the whole tree stays far below the process table size,
 * and returns how many processes ran below it (-1 if a fork or wait failed).
 * Each child exits with the size of its own subtree, or 0 if it failed, so
 * one lost process anywhere changes the count the case sees. */
static int
tree_grow(int levels)
{
  int total = 0, ok = 1, started = 0;

  while (levels > 0 && ok && started < TREE_FANOUT) {
    int n = 0;
    for (; n < TREE_BATCH && started < TREE_FANOUT; n++, started++) {
      int pid = fork();
      if (pid < 0) {
        ok = 0;
        break;
      }
      if (pid == 0) {
        int below = tree_grow(levels - 1);
        exit(below < 0 ? 0 : below + 1);
      }
    }
    for (; n > 0; n--) {
      int st;
      if (wait(&st) < 0) {
        ok = 0;
        break;
      }
      total += st;
    }
  }
  return ok ? total : -1;
}

static void
fork_tree_runs_and_reaps_every_process(void)
{
  int got = tree_grow(TREE_DEPTH);
  int want = tree_size(TREE_DEPTH) - 1;
  int st;

  CHECK(got == want, "tree reported %d processes, expected %d", got, want);
  CHECK(wait(&st) == -1, "a tree process was left unreaped");
}

/* One machine may have a single hart, so more than one distinct id cannot
 * be required; every id must still name a hart that can exist. */
static void
children_report_valid_hart_ids(void)
{
  int gate[2];

  CHECK(pipe(gate) == 0, "pipe failed");
  for (int i = 0; i < HART_CHILDREN; i++) {
    int pid = fork();
    CHECK(pid >= 0, "fork %d failed", i);
    if (pid == 0) {
      gate_pass(gate);
      int first = hartid(), t0 = uptime();
      while (uptime() - t0 < SPIN_TICKS)
        ;
      int last = hartid();
      if (first < 0 || first >= MAXHARTS || last < 0 || last >= MAXHARTS)
        exit(BAD_HART);
      exit(first * MAXHARTS + last);
    }
  }
  gate_open(gate);
  for (int i = 0; i < HART_CHILDREN; i++) {
    int st;
    CHECK(wait(&st) > 0, "wait %d failed", i);
    CHECK(st >= 0 && st < MAXHARTS * MAXHARTS,
          "a child saw a hart id outside 0..%d (status %d)", MAXHARTS - 1, st);
  }
}

static void
orphan_is_reaped_by_init(void)
{
  struct memstat m0, m;
  int st;

  CHECK(memstat(&m0) == 0, "memstat failed");
  int pid = fork();
  CHECK(pid >= 0, "fork failed");
  if (pid == 0) {
    int g = fork();
    if (g < 0)
      exit(1);
    if (g == 0) {
      sleep(ORPHAN_SLEEP);
      exit(0);
    }
    exit(0);
  }
  CHECK(utest_reap(pid) == 0, "child could not fork the grandchild");
  /* The grandchild is still asleep: were it ours, wait would return it. */
  CHECK(wait(&st) == -1, "the grandchild was given to its grandparent");
  for (int i = 0; i < ORPHAN_POLLS; i++) {
    CHECK(memstat(&m) == 0, "memstat failed");
    if (m.nprocs == m0.nprocs)
      return;
    sleep(1);
  }
  utest_fail("orphan never reaped: nprocs %d, was %d", (int)m.nprocs,
             (int)m0.nprocs);
}

/* ---- kill ---- */

static void
kill_stops_a_running_child(void)
{
  int p[2];
  char c;

  CHECK(pipe(p) == 0, "pipe failed");
  int pid = fork();
  CHECK(pid >= 0, "fork failed");
  if (pid == 0) {
    write(p[1], "r", 1);
    for (;;)
      ;
  }
  close(p[1]);
  CHECK(read(p[0], &c, 1) == 1, "child never started");
  close(p[0]);
  int t0 = uptime();
  CHECK(kill(pid) == 0, "kill of a running child failed");
  int st = utest_reap(pid);
  int dt = uptime() - t0;
  CHECK(st == UTEST_KILLED, "killed child's status %d, expected %d", st,
        UTEST_KILLED);
  CHECK(dt < KILL_DEADLINE, "killed child took %d ticks to die", dt);
}

static void
kill_wakes_and_stops_a_sleeping_child(void)
{
  int p[2];
  char c;

  CHECK(pipe(p) == 0, "pipe failed");
  int pid = fork();
  CHECK(pid >= 0, "fork failed");
  if (pid == 0) {
    write(p[1], "s", 1);
    sleep(SLEEP_FOREVER);
    exit(UTEST_SURVIVED);
  }
  close(p[1]);
  CHECK(read(p[0], &c, 1) == 1, "child never started");
  close(p[0]);
  sleep(1);   /* let it get into sleep(); killing it sooner proves less */
  int t0 = uptime();
  CHECK(kill(pid) == 0, "kill of a sleeping child failed");
  int st = utest_reap(pid);
  int dt = uptime() - t0;
  CHECK(st == UTEST_KILLED, "killed sleeper's status %d, expected %d%s", st,
        UTEST_KILLED,
        st == UTEST_SURVIVED ? " (it ran on after sleep returned)" : "");
  CHECK(dt < KILL_DEADLINE, "killed sleeper took %d ticks to die", dt);
}

static void
kill_of_nonexistent_pid_returns_minus_one(void)
{
  int pid = utest_fork_exit(0);

  CHECK(utest_reap(pid) == 0, "child failed");
  CHECK(kill(pid) == -1, "kill of reaped pid %d succeeded", pid);
  /* Unused table slots may hold pid 0: they must not match. */
  CHECK(kill(0) == -1, "kill(0) succeeded");
  CHECK(kill(pid + 100000) == -1, "kill of pid %d succeeded", pid + 100000);
}

/* ---- exec ---- */

static void
exec_passes_arguments_intact(void)
{
  char *argv[] = { "argecho", "one", "two words", "3", 0 };
  int st = exec_status(argv);

  CHECK(st == argsum(argv), "argecho status %d, expected checksum %d", st,
        argsum(argv));
}

/* Room for one argument more than MAXARG, each one byte longer than
 * MAXARGLEN allows; argv[0] is always "argecho". */
static char argstore[MAXARG + 1][MAXARGLEN + 1];
static char *argvbuf[MAXARG + 2];

/* Fills argvbuf with "argecho" and nargs arguments of len bytes each. */
static char **
make_args(int nargs, int len)
{
  argvbuf[0] = "argecho";
  for (int i = 1; i <= nargs; i++) {
    memset(argstore[i], 'a' + i % 26, len);
    argstore[i][len] = '\0';
    argvbuf[i] = argstore[i];
  }
  argvbuf[nargs + 1] = 0;
  return argvbuf;
}

static void
exec_accepts_arguments_at_the_limits(void)
{
  char **argv = make_args(MAXARG - 1, 1);
  int st = exec_status(argv);
  CHECK(st == argsum(argv), "MAXARG arguments: status %d, expected %d", st,
        argsum(argv));

  argv = make_args(1, MAXARGLEN - 1);
  st = exec_status(argv);
  CHECK(st == argsum(argv), "argument of MAXARGLEN-1 bytes: status %d, "
        "expected %d", st, argsum(argv));

  /* About 4 KiB of strings: the new stack needs more than one page. */
  argv = make_args(MAXARG - 1, MAXARGLEN - 1);
  st = exec_status(argv);
  CHECK(st == argsum(argv), "MAXARG arguments of MAXARGLEN-1 bytes: status "
        "%d, expected %d", st, argsum(argv));
}

static void
exec_rejects_too_many_or_too_long_arguments(void)
{
  volatile int mark = 0x5eed;

  char **argv = make_args(MAXARG, 1);
  CHECK(exec("argecho", argv) == -1, "exec took MAXARG+1 arguments");
  CHECK(argv[MAXARG] == argstore[MAXARG] && argv[MAXARG + 1] == 0,
        "failed exec changed argv");

  argv = make_args(1, MAXARGLEN);
  CHECK(exec("argecho", argv) == -1, "exec took an argument of MAXARGLEN "
        "bytes");
  CHECK(strlen(argv[1]) == MAXARGLEN, "failed exec changed the argument");

  CHECK(mark == 0x5eed, "failed exec changed the stack");
  CHECK(utest_reap(utest_fork_exit(0)) == 0,
        "fork after failed exec did not work");
}

static int exec_global = 0x600d;

static void
exec_of_unknown_program_fails_and_caller_continues(void)
{
  volatile int local = 0x10ca1;
  char *argv[] = { "no-such-program", 0 };
  char longname[2 * MAXPATH + 1];
  char buf[64], back[64];
  int p[2];

  CHECK(exec("no-such-program", argv) == -1, "exec of unknown name worked");
  /* Neither a prefix nor an extension of a real name is that program. */
  CHECK(exec("argech", argv) == -1, "exec matched a prefix of argecho");
  CHECK(exec("argechoo", argv) == -1, "exec matched argecho as a prefix");
  CHECK(exec("", argv) == -1, "exec of an empty name worked");
  memset(longname, 'x', sizeof(longname) - 1);
  longname[sizeof(longname) - 1] = '\0';
  CHECK(exec(longname, argv) == -1, "exec of a name past MAXPATH worked");

  CHECK(local == 0x10ca1 && exec_global == 0x600d,
        "failed exec changed memory: local %d global %d", local, exec_global);
  CHECK(strcmp(argv[0], "no-such-program") == 0, "failed exec changed argv");
  CHECK(utest_reap(utest_fork_exit(7)) == 7,
        "fork after failed exec did not work");

  /* Printing goes to a pipe: the console is the runner's report. */
  CHECK(pipe(p) == 0, "pipe failed");
  int n = snprintf(buf, sizeof(buf), "still here %d", local);
  CHECK(write(p[1], buf, n) == n, "write after failed exec failed");
  CHECK(read(p[0], back, n) == n && memcmp(buf, back, n) == 0,
        "printed text came back wrong");
  close(p[0]);
  close(p[1]);
}

/* The argument list of the k-th concurrent exec: they differ in count,
 * length and content, so a mixed-up argv shows in the checksum. */
struct argset {
  char tag[16];
  char fill[MAXARGLEN];
  char *argv[5];
};

static void
argset_build(struct argset *a, int k)
{
  int i = 0, n = k * 9;   /* 0..99 bytes: well under MAXARGLEN */

  snprintf(a->tag, sizeof(a->tag), "child-%d", k);
  memset(a->fill, 'A' + k, n);
  a->fill[n] = '\0';
  a->argv[i++] = "argecho";
  a->argv[i++] = a->tag;
  if (k % 2)
    a->argv[i++] = "";   /* an empty argument still counts in argc */
  a->argv[i++] = a->fill;
  a->argv[i] = 0;
}

static void
exec_from_many_processes_at_once(void)
{
  static struct argset sets[EXEC_CROWD];
  int pids[EXEC_CROWD], gate[2];

  CHECK(pipe(gate) == 0, "pipe failed");
  for (int k = 0; k < EXEC_CROWD; k++) {
    argset_build(&sets[k], k);
    pids[k] = fork();
    CHECK(pids[k] >= 0, "fork %d failed", k);
    if (pids[k] == 0) {
      gate_pass(gate);
      exec("argecho", sets[k].argv);
      exit(EXEC_FAILED);
    }
  }
  gate_open(gate);
  for (int i = 0; i < EXEC_CROWD; i++) {
    int st, k;
    int got = wait(&st);
    for (k = 0; k < EXEC_CROWD && pids[k] != got; k++)
      ;
    CHECK(k < EXEC_CROWD, "wait returned %d, not one of the children", got);
    CHECK(st == argsum(sets[k].argv), "child %d: status %d, expected %d", k,
          st, argsum(sets[k].argv));
  }
}

/* ---- process table ---- */

static void
fork_fails_when_process_table_is_full_then_recovers(void)
{
  struct memstat m0, m;
  int gate[2], n = 0, later = 0, bad = 0;

  CHECK(memstat(&m0) == 0, "memstat failed");
  CHECK(pipe(gate) == 0, "pipe failed");
  while (n < FORK_ATTEMPTS) {
    int pid = fork();
    if (pid < 0)
      break;
    if (pid == 0) {
      gate_pass(gate);
      exit(0);
    }
    n++;
  }
  /* Failing again must not change anything either. */
  for (int i = 0; i < 2; i++) {
    int pid = fork();
    if (pid == 0)
      exit(0);
    if (pid > 0)
      later++;
  }
  gate_open(gate);
  for (int i = 0; i < n + later; i++) {
    int st;
    if (wait(&st) < 0 || st != 0)
      bad++;
  }
  CHECK(n < FORK_ATTEMPTS, "fork never failed in %d attempts", n);
  CHECK(n >= FORK_MIN_SLOTS, "fork failed after only %d children", n);
  CHECK(later == 0, "fork worked again right after failing");
  CHECK(bad == 0, "%d of %d children were not reaped cleanly", bad, n);
  CHECK(memstat(&m) == 0 && m.nprocs == m0.nprocs,
        "nprocs %d after all were reaped, was %d", (int)m.nprocs,
        (int)m0.nprocs);
  CHECK(utest_reap(utest_fork_exit(0)) == 0,
        "fork after the table emptied failed");
}

int
main(int argc, char **argv)
{
  static const struct utest cases[] = {
    { "fork_returns_pid_that_child_sees_as_getpid",
      fork_returns_pid_that_child_sees_as_getpid },
    { "fork_gives_child_a_private_copy_of_memory",
      fork_gives_child_a_private_copy_of_memory },
    { "fork_wait_loop_delivers_exit_status",
      fork_wait_loop_delivers_exit_status },
    { "exit_negative_status_round_trips", exit_negative_status_round_trips },
    { "wait_without_children_returns_minus_one",
      wait_without_children_returns_minus_one },
    { "fork_tree_runs_and_reaps_every_process",
      fork_tree_runs_and_reaps_every_process },
    { "children_report_valid_hart_ids", children_report_valid_hart_ids },
    { "orphan_is_reaped_by_init", orphan_is_reaped_by_init },
    { "kill_stops_a_running_child", kill_stops_a_running_child },
    { "kill_wakes_and_stops_a_sleeping_child",
      kill_wakes_and_stops_a_sleeping_child },
    { "kill_of_nonexistent_pid_returns_minus_one",
      kill_of_nonexistent_pid_returns_minus_one },
    { "exec_passes_arguments_intact", exec_passes_arguments_intact },
    { "exec_accepts_arguments_at_the_limits",
      exec_accepts_arguments_at_the_limits },
    { "exec_rejects_too_many_or_too_long_arguments",
      exec_rejects_too_many_or_too_long_arguments },
    { "exec_of_unknown_program_fails_and_caller_continues",
      exec_of_unknown_program_fails_and_caller_continues },
    { "exec_from_many_processes_at_once", exec_from_many_processes_at_once },
    { "fork_fails_when_process_table_is_full_then_recovers",
      fork_fails_when_process_table_is_full_then_recovers },
  };

  (void)argc;
  (void)argv;
  return utest_run(cases, NELEM(cases));
}
