/*
 * proctests.c: user tests for processes: fork/exit/wait, kill, exec and its
 * argument limits, pipes, bad pointers handed to system calls, faults that
 * must kill only the faulting process, and a full process table.
 * Every case runs in its own child (user/lib/utest.c) and reaps every
 * process it makes, so the runner's leak check sees all memory come back.
 * Children of a case always end with exit(), never by returning.
 */
#include "user.h"

#define MAXHARTS 8              /* DESIGN.md 1: virt runs 1 to 8 harts */
#define KERNEL_RAM 0x80000000UL /* virt RAM base: the kernel's, never user */
#define OWN_TEXT ((uint64)main) /* mapped read+execute, never writable */

#define EXIT_STATUS_VALUES 256  /* statuses a shell shows as 0..255 */
#define NEGATIVE_STATUS (-5)
#define KILLED (-1)             /* wait's status for a killed process */
#define EXEC_FAILED (-2)        /* no argecho checksum (0..255) is this */
#define BAD_HART (-3)           /* hartid() gave a hart that cannot exist */
#define SURVIVED 3              /* a child that should have died did not */
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
#define PIPE_TOTAL (64 * 1024)
#define CHUNK_MAX (2 * PGSIZE + 1) /* more than a page-sized pipe holds */
#define FORK_ATTEMPTS 200       /* far more than the 64 process slots */
#define FORK_MIN_SLOTS 32       /* any sane table has room for this many */

int main(int argc, char **argv);

/* ---- helpers ---- */

/* Returns a unchanged, but the compiler cannot see through it: a deliberate
 * access to a constant bad address stays a real load, store or jump instead
 * of being replaced by a trap instruction or optimised away. */
static uint64
opaque(uint64 a)
{
  asm volatile("" : "+r"(a));
  return a;
}

/* Reaps one child, which must be pid, and returns its exit status. */
static int
reap(int pid)
{
  int status = 0;
  int got = wait(&status);

  CHECK(got == pid, "wait returned %d, expected child %d", got, pid);
  return status;
}

/* Forks a child that exits at once with status; returns its pid. */
static int
fork_exit(int status)
{
  int pid = fork();

  CHECK(pid >= 0, "fork failed");
  if (pid == 0)
    exit(status);
  return pid;
}

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
  return reap(pid);
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
  CHECK(reap(pid) == 0, "child failed");
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
  int st = reap(pid);
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
    int st = reap(fork_exit(i));
    CHECK(st == i, "iteration %d: status %d", i, st);
  }
}

static void
exit_negative_status_round_trips(void)
{
  int st = reap(fork_exit(NEGATIVE_STATUS));

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
  CHECK(reap(pid) == 0, "child could not fork the grandchild");
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
  int st = reap(pid);
  int dt = uptime() - t0;
  CHECK(st == KILLED, "killed child's status %d, expected %d", st, KILLED);
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
    exit(SURVIVED);
  }
  close(p[1]);
  CHECK(read(p[0], &c, 1) == 1, "child never started");
  close(p[0]);
  sleep(1);   /* let it get into sleep(); killing it sooner proves less */
  int t0 = uptime();
  CHECK(kill(pid) == 0, "kill of a sleeping child failed");
  int st = reap(pid);
  int dt = uptime() - t0;
  CHECK(st == KILLED, "killed sleeper's status %d, expected %d%s", st, KILLED,
        st == SURVIVED ? " (it ran on after sleep returned)" : "");
  CHECK(dt < KILL_DEADLINE, "killed sleeper took %d ticks to die", dt);
}

static void
kill_of_nonexistent_pid_returns_minus_one(void)
{
  int pid = fork_exit(0);

  CHECK(reap(pid) == 0, "child failed");
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
  CHECK(reap(fork_exit(0)) == 0, "fork after failed exec did not work");
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
  CHECK(reap(fork_exit(7)) == 7, "fork after failed exec did not work");

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

/* ---- bad arguments to system calls: -1, and nothing changed ---- */

static void
read_write_close_reject_bad_fds(void)
{
  char c = 'x';

  CHECK(read(-1, &c, 1) == -1, "read(-1) worked");
  CHECK(read(1000, &c, 1) == -1, "read(1000) worked");
  CHECK(write(-1, &c, 1) == -1, "write(-1) worked");
  CHECK(write(1000, &c, 1) == -1, "write(1000) worked");
  CHECK(close(-1) == -1, "close(-1) worked");
  CHECK(close(1000) == -1, "close(1000) worked");

  int p[2];
  CHECK(pipe(p) == 0, "pipe failed");
  CHECK(close(p[0]) == 0 && close(p[1]) == 0, "close of a pipe failed");
  CHECK(close(p[0]) == -1, "second close of fd %d worked", p[0]);
  CHECK(read(p[0], &c, 1) == -1, "read of closed fd %d worked", p[0]);
}

static void
write_rejects_bad_buffers(void)
{
  int p[2];
  char c = 0;

  CHECK(write(1, (void *)0, 10) == -1, "write from NULL worked");
  CHECK(write(1, (void *)TRAPFRAME, 8) == -1, "write from TRAPFRAME worked");
  CHECK(write(1, (void *)TRAMPOLINE, 8) == -1, "write from TRAMPOLINE worked");
  CHECK(write(1, (void *)KERNEL_RAM, 8) == -1, "write from kernel RAM worked");
  CHECK(write(1, (void *)(VA_MAX + PGSIZE), 8) == -1,
        "write from beyond VA_MAX worked");
  CHECK(write(1, (void *)-PGSIZE, 8) == -1, "write from the top of the "
        "address space worked");

  /* Starts on the mapped stack top, ends in the trapframe: it fails as a
   * whole, so not even its first bytes may reach the pipe. */
  CHECK(pipe(p) == 0, "pipe failed");
  CHECK(write(p[1], (void *)(TRAPFRAME - 4), 8) == -1,
        "write straddling into TRAPFRAME worked");
  CHECK(write(p[1], "m", 1) == 1, "write to pipe failed");
  CHECK(read(p[0], &c, 1) == 1 && c == 'm',
        "failed write left bytes in the pipe (read '%c')", c);
  close(p[0]);
  close(p[1]);
}

/* Addresses no read may store into. */
static const struct {
  const char *what;
  uint64 va;
} unwritable[] = {
  { "NULL", 0 },
  { "own text", OWN_TEXT },
  { "TRAPFRAME", TRAPFRAME },
  { "beyond VA_MAX", VA_MAX + PGSIZE },
};

static void
read_rejects_bad_or_unwritable_buffers(void)
{
  int p[2];

  CHECK(pipe(p) == 0, "pipe failed");
  for (unsigned i = 0; i < NELEM(unwritable); i++) {
    /* Fresh data each time: with the pipe empty read would block before
     * looking at the buffer, and a failed read may have taken the data. */
    CHECK(write(p[1], "abcd", 4) == 4, "write to pipe failed");
    CHECK(read(p[0], (void *)unwritable[i].va, 4) == -1,
          "read into %s worked", unwritable[i].what);
  }
  close(p[0]);
  close(p[1]);
}

/* DESIGN.md 5: a failed call changes nothing, so the bytes a read could
 * not deliver must still be in the pipe for the next read. */
static void
failed_pipe_read_keeps_the_data(void)
{
  int p[2], got = 0;
  char buf[4 * NELEM(unwritable) + 1];

  CHECK(pipe(p) == 0, "pipe failed");
  for (unsigned i = 0; i < NELEM(unwritable); i++) {
    CHECK(write(p[1], "abcd", 4) == 4, "write to pipe failed");
    read(p[0], (void *)unwritable[i].va, 4);
  }
  /* The marker ends the data, so collecting it never blocks. */
  CHECK(write(p[1], "Z", 1) == 1, "write to pipe failed");
  while (got == 0 || buf[got - 1] != 'Z') {
    int n = read(p[0], buf + got, sizeof(buf) - got);
    CHECK(n > 0, "read returned %d", n);
    got += n;
  }
  CHECK(got == sizeof(buf), "failed reads took %d of %d bytes from the pipe",
        (int)sizeof(buf) - got, (int)sizeof(buf) - 1);
  for (int i = 0; i + 1 < got; i++)
    CHECK(buf[i] == "abcd"[i % 4], "byte %d is '%c' after failed reads", i,
          buf[i]);
  close(p[0]);
  close(p[1]);
}

static void
wait_rejects_bad_status_pointer(void)
{
  int p[2];
  char c;

  CHECK(pipe(p) == 0, "pipe failed");
  int pid = fork();
  CHECK(pid >= 0, "fork failed");
  if (pid == 0)
    exit(42);
  /* EOF means the child has exited (or is about to): wait has a zombie to
   * report, so a kernel that checks the pointer late cannot block here. */
  close(p[1]);
  CHECK(read(p[0], &c, 1) == 0, "pipe not at EOF");
  close(p[0]);
  CHECK(wait((int *)1) == -1, "wait into address 1 worked");
  CHECK(wait((int *)TRAPFRAME) == -1, "wait into TRAPFRAME worked");
  CHECK(wait((int *)OWN_TEXT) == -1, "wait into own text worked");
  int st = reap(pid);
  CHECK(st == 42, "child's status %d after failed waits, expected 42", st);
}

static void
pipe_rejects_bad_fd_array(void)
{
  int p[2];

  CHECK(pipe(p) == 0, "pipe failed");
  int fd0 = p[0], fd1 = p[1];
  close(fd0);
  close(fd1);
  CHECK(pipe((int *)0) == -1, "pipe into NULL worked");
  CHECK(pipe((int *)TRAPFRAME) == -1, "pipe into TRAPFRAME worked");
  CHECK(pipe((int *)OWN_TEXT) == -1, "pipe into own text worked");
  /* fds[0] fits below the trapframe, fds[1] does not. */
  CHECK(pipe((int *)(TRAPFRAME - sizeof(int))) == -1,
        "pipe straddling into TRAPFRAME worked");
  /* Lowest free fds first: the same two again if the failures kept none. */
  CHECK(pipe(p) == 0, "pipe after failures failed");
  CHECK(p[0] == fd0 && p[1] == fd1, "failed pipes kept fds: got %d,%d, "
        "expected %d,%d", p[0], p[1], fd0, fd1);
  close(p[0]);
  close(p[1]);
}

static void
exec_rejects_bad_pointers(void)
{
  char *argv[] = { "argecho", 0 };
  char *bad_element[] = { "argecho", (char *)1, 0 };

  CHECK(exec((char *)0, argv) == -1, "exec of NULL path worked");
  CHECK(exec((char *)TRAPFRAME, argv) == -1, "exec of TRAPFRAME path worked");
  CHECK(exec("argecho", (char **)1) == -1, "exec with argv 1 worked");
  CHECK(exec("argecho", (char **)TRAPFRAME) == -1,
        "exec with argv in TRAPFRAME worked");
  CHECK(exec("argecho", bad_element) == -1, "exec with argv[1] = 1 worked");
  CHECK(reap(fork_exit(0)) == 0, "fork after failed exec did not work");
}

/* ---- faults kill only the faulting process ---- */

enum fault {
  LOAD_NULL,
  STORE_NULL,
  LOAD_TRAPFRAME,
  STORE_KERNEL_RAM,
  LOAD_STACK_GUARD,
  STORE_OWN_TEXT,
  JUMP_NULL,
  LOAD_BEYOND_VA_MAX,
};

static void
fault_now(enum fault f)
{
  switch (f) {
  case LOAD_NULL:
    (void)*(volatile int *)opaque(0);
    break;
  case STORE_NULL:
    *(volatile int *)opaque(0) = 1;
    break;
  case LOAD_TRAPFRAME:
    (void)*(volatile uint64 *)opaque(TRAPFRAME);
    break;
  case STORE_KERNEL_RAM:
    *(volatile int *)opaque(KERNEL_RAM) = 1;
    break;
  case LOAD_STACK_GUARD:
    (void)*(volatile char *)opaque(STACK_GUARD);
    break;
  case STORE_OWN_TEXT:
    *(volatile int *)opaque(OWN_TEXT) = 0;
    break;
  case JUMP_NULL:
    ((void (*)(void))opaque(0))();
    break;
  case LOAD_BEYOND_VA_MAX:
    (void)*(volatile char *)opaque(VA_MAX + PGSIZE);
    break;
  }
}

static void
expect_fault_kills_child(enum fault f, const char *what)
{
  int pid = fork();

  CHECK(pid >= 0, "fork failed");
  if (pid == 0) {
    fault_now(f);
    exit(SURVIVED);
  }
  int st = reap(pid);
  CHECK(st == KILLED, "%s: child status %d, expected %d (killed)%s", what, st,
        KILLED, st == SURVIVED ? ": it survived the fault" : "");
}

static void
load_from_null_kills_only_the_child(void)
{
  expect_fault_kills_child(LOAD_NULL, "load from 0");
}

static void
store_to_null_kills_only_the_child(void)
{
  expect_fault_kills_child(STORE_NULL, "store to 0");
}

static void
load_from_trapframe_kills_only_the_child(void)
{
  expect_fault_kills_child(LOAD_TRAPFRAME, "load from TRAPFRAME");
}

static void
store_to_kernel_ram_kills_only_the_child(void)
{
  expect_fault_kills_child(STORE_KERNEL_RAM, "store to 0x80000000");
}

static void
load_from_stack_guard_kills_only_the_child(void)
{
  expect_fault_kills_child(LOAD_STACK_GUARD, "load from STACK_GUARD");
}

static void
store_to_own_text_kills_only_the_child(void)
{
  expect_fault_kills_child(STORE_OWN_TEXT, "store to own text");
}

static void
jump_to_null_kills_only_the_child(void)
{
  expect_fault_kills_child(JUMP_NULL, "jump to 0");
}

static void
load_beyond_va_max_kills_only_the_child(void)
{
  expect_fault_kills_child(LOAD_BEYOND_VA_MAX, "load from VA_MAX + PGSIZE");
}

/* ---- pipes ---- */

/* Write and read sizes differ and include sizes above a page, so pieces
 * straddle the pipe buffer's wrap point and writers must block mid-write. */
static const int send_sizes[] = { 1, 7, 512, CHUNK_MAX, PGSIZE, 100, 3, 1000 };
static const int recv_sizes[] = { PGSIZE, 13, 600, 1, CHUNK_MAX };
static char sendbuf[CHUNK_MAX], recvbuf[CHUNK_MAX];

static char
pattern(int i)
{
  return (i * 7 + 3) & 0xff;
}

/* Writes PIPE_TOTAL bytes of pattern to fd; returns 0, or -1 if a write
 * came back short. */
static int
pipe_send(int fd)
{
  for (int off = 0, k = 0; off < PIPE_TOTAL; k++) {
    int n = send_sizes[k % NELEM(send_sizes)];
    if (n > PIPE_TOTAL - off)
      n = PIPE_TOTAL - off;
    for (int i = 0; i < n; i++)
      sendbuf[i] = pattern(off + i);
    if (write(fd, sendbuf, n) != n)
      return -1;
    off += n;
  }
  return 0;
}

/* Reads fd to EOF and checks every byte against pattern; fails the case
 * with the first difference. */
static void
pipe_receive(int fd)
{
  int off = 0;

  for (int k = 0;; k++) {
    int n = read(fd, recvbuf, recv_sizes[k % NELEM(recv_sizes)]);
    CHECK(n >= 0, "read failed at offset %d", off);
    if (n == 0)
      break;
    for (int i = 0; i < n; i++)
      CHECK(recvbuf[i] == pattern(off + i), "byte %d is %d, expected %d",
            off + i, recvbuf[i] & 0xff, pattern(off + i) & 0xff);
    off += n;
    CHECK(off <= PIPE_TOTAL, "more than %d bytes came through", PIPE_TOTAL);
  }
  CHECK(off == PIPE_TOTAL, "got %d bytes, expected %d", off, PIPE_TOTAL);
}

static void
pipe_carries_64k_intact_parent_to_child(void)
{
  int p[2];

  CHECK(pipe(p) == 0, "pipe failed");
  int pid = fork();
  CHECK(pid >= 0, "fork failed");
  if (pid == 0) {
    close(p[1]);
    pipe_receive(p[0]);
    exit(0);
  }
  close(p[0]);
  int sent = pipe_send(p[1]);
  close(p[1]);
  int st = reap(pid);
  CHECK(st == 0, "reader child failed (status %d)", st);
  CHECK(sent == 0, "a write to the pipe came back short");
}

static void
pipe_carries_64k_intact_child_to_parent(void)
{
  int p[2];

  CHECK(pipe(p) == 0, "pipe failed");
  int pid = fork();
  CHECK(pid >= 0, "fork failed");
  if (pid == 0) {
    close(p[0]);
    exit(pipe_send(p[1]) == 0 ? 0 : 1);
  }
  close(p[1]);
  pipe_receive(p[0]);
  close(p[0]);
  int st = reap(pid);
  CHECK(st == 0, "a write in the child came back short (status %d)", st);
}

static void
pipe_read_returns_eof_after_writers_close(void)
{
  int p[2], got = 0;
  char buf[8];

  CHECK(pipe(p) == 0, "pipe failed");
  int pid = fork();
  CHECK(pid >= 0, "fork failed");
  if (pid == 0) {
    close(p[0]);
    exit(write(p[1], "abc", 3) == 3 ? 0 : 1);
  }
  close(p[1]);
  while (got < 3) {
    int n = read(p[0], buf + got, sizeof(buf) - got);
    CHECK(n > 0, "read returned %d after %d of 3 bytes", n, got);
    got += n;
  }
  CHECK(got == 3 && memcmp(buf, "abc", 3) == 0, "wrong data");
  CHECK(read(p[0], buf, sizeof(buf)) == 0, "no EOF after the writer exited");
  CHECK(read(p[0], buf, sizeof(buf)) == 0, "EOF did not last");
  close(p[0]);
  CHECK(reap(pid) == 0, "writer child failed");
}

static void
pipe_write_without_reader_returns_minus_one(void)
{
  int p[2];

  CHECK(pipe(p) == 0, "pipe failed");
  close(p[0]);
  CHECK(write(p[1], "x", 1) == -1, "write to a pipe with no reader worked");
  close(p[1]);

  /* A writer blocked on a full pipe must wake when the last reader goes
   * away. The bytes it had already put in may be reported as a short
   * count; the write after that must fail. */
  CHECK(pipe(p) == 0, "pipe failed");
  int pid = fork();
  CHECK(pid >= 0, "fork failed");
  if (pid == 0) {
    close(p[0]);
    for (int i = 0; i < (int)(PIPE_TOTAL / CHUNK_MAX) + 1; i++) {
      if (write(p[1], sendbuf, CHUNK_MAX) == -1)
        exit(0);
    }
    exit(1);
  }
  close(p[1]);
  sleep(2);   /* give the child time to fill the pipe and block */
  close(p[0]);
  int st = reap(pid);
  CHECK(st == 0, "writer never got -1 after the reader closed (status %d)",
        st);
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
  CHECK(reap(fork_exit(0)) == 0, "fork after the table emptied failed");
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
    { "read_write_close_reject_bad_fds", read_write_close_reject_bad_fds },
    { "write_rejects_bad_buffers", write_rejects_bad_buffers },
    { "read_rejects_bad_or_unwritable_buffers",
      read_rejects_bad_or_unwritable_buffers },
    { "failed_pipe_read_keeps_the_data", failed_pipe_read_keeps_the_data },
    { "wait_rejects_bad_status_pointer", wait_rejects_bad_status_pointer },
    { "pipe_rejects_bad_fd_array", pipe_rejects_bad_fd_array },
    { "exec_rejects_bad_pointers", exec_rejects_bad_pointers },
    { "load_from_null_kills_only_the_child",
      load_from_null_kills_only_the_child },
    { "store_to_null_kills_only_the_child",
      store_to_null_kills_only_the_child },
    { "load_from_trapframe_kills_only_the_child",
      load_from_trapframe_kills_only_the_child },
    { "store_to_kernel_ram_kills_only_the_child",
      store_to_kernel_ram_kills_only_the_child },
    { "load_from_stack_guard_kills_only_the_child",
      load_from_stack_guard_kills_only_the_child },
    { "store_to_own_text_kills_only_the_child",
      store_to_own_text_kills_only_the_child },
    { "jump_to_null_kills_only_the_child", jump_to_null_kills_only_the_child },
    { "load_beyond_va_max_kills_only_the_child",
      load_beyond_va_max_kills_only_the_child },
    { "pipe_carries_64k_intact_parent_to_child",
      pipe_carries_64k_intact_parent_to_child },
    { "pipe_carries_64k_intact_child_to_parent",
      pipe_carries_64k_intact_child_to_parent },
    { "pipe_read_returns_eof_after_writers_close",
      pipe_read_returns_eof_after_writers_close },
    { "pipe_write_without_reader_returns_minus_one",
      pipe_write_without_reader_returns_minus_one },
    { "fork_fails_when_process_table_is_full_then_recovers",
      fork_fails_when_process_table_is_full_then_recovers },
  };

  (void)argc;
  (void)argv;
  return utest_run(cases, NELEM(cases));
}
