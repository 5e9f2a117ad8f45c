/*
 * process.c: threadtests' cases on what the calls that act on a whole
 * process do when it has several threads: exit (or returning from main),
 * kill and a fault end every thread, wait never returns a thread, fork
 * from a thread copies the space into a child of one thread, exec from a
 * thread ends the others and keeps the pid. The cases that end a whole
 * process run it as a grandchild.
 */
#include "threadtests/threadtests.h"

/* ---- exit, kill and faults end every thread ---- */

static void
block_on_pipe(void *arg)
{
  int fd = (int)(uint64)arg;
  char c;

  __atomic_add_fetch(&started, 1, __ATOMIC_RELEASE);
  read(fd, &c, 1);      /* nobody writes: only the end of the process ends it */
}

/* In a grandchild: threads spinning, sleeping and blocked in a pipe. */
static void
start_busy_threads(void)
{
  int p[2];

  CHECK(pipe(p) == 0, "pipe failed");
  start_thread(spin, 0, 0);
  start_thread(spin, 0, 1);
  start_thread(sleep_forever, 0, 2);
  start_thread(block_on_pipe, (void *)(uint64)p[0], 3);
  await_started(4);
}

void
exit_in_the_first_thread_ends_every_thread(void)
{
  struct memstat before, after;

  utest_snap(&before);
  int pid = fork();
  CHECK(pid >= 0, "fork failed");
  if (pid == 0) {
    start_busy_threads();
    exit(5);
  }
  int st = utest_reap(pid);
  utest_snap(&after);
  CHECK(st == 5, "wait saw %d, the first thread exited with 5", st);
  CHECK(after.nprocs == before.nprocs, "%d entries left behind",
        (int)(after.nprocs - before.nprocs));
}

void
return_from_main_ends_every_thread(void)
{
  int pid = fork();

  CHECK(pid >= 0, "fork failed");
  if (pid == 0) {
    char *argv[] = { "threadtests", "--spin-return", "42", 0 };
    exec("threadtests", argv);
    exit(99);
  }
  int st = utest_reap(pid);
  CHECK(st == 42, "wait saw %d, main returned 42", st);
}

void
kill_of_any_thread_ends_the_process(void)
{
  int p[2], tid = 0;

  CHECK(pipe(p) == 0, "pipe failed");
  int pid = fork();
  CHECK(pid >= 0, "fork failed");
  if (pid == 0) {
    start_busy_threads();
    int t = start_thread(sleep_forever, 0, 4);
    write(p[1], &t, sizeof(t));
    for (;;)
      sleep(1000);
  }
  CHECK(read(p[0], &tid, sizeof(tid)) == sizeof(tid), "no thread id came");
  CHECK(tid != pid, "the thread has the process's id");
  CHECK(kill(tid) == 0, "kill(%d) failed", tid);
  int st = utest_reap(pid);
  CHECK(st == UTEST_KILLED, "wait saw %d after killing thread %d", st, tid);
  CHECK(kill(tid) == -1, "the killed thread %d is still there", tid);
  close(p[0]);
  close(p[1]);
}

static void
store_to_null(void *arg)
{
  (void)arg;
  utest_store(utest_opaque(0), 1);
}

void
fault_in_a_thread_ends_the_process(void)
{
  int pid = fork();

  CHECK(pid >= 0, "fork failed");
  if (pid == 0) {
    start_busy_threads();
    start_thread(store_to_null, 0, 4);
    for (;;)
      sleep(1000);
  }
  int st = utest_reap(pid);
  CHECK(st == UTEST_KILLED, "wait saw %d after a thread stored to NULL", st);
}

void
wait_never_returns_a_thread(void)
{
  int tid = start_thread(spin, 0, 0);

  await_started(1);
  CHECK(wait(0) == -1, "wait returned with only a thread alive");
  stop = 1;
  join_ok(tid);
  CHECK(wait(0) == -1, "wait returned a joined thread");
}

/* ---- fork and exec from a thread ---- */

static volatile int fork_result;

static void
fork_and_wait(void *arg)
{
  (void)arg;
  int pid = fork();
  if (pid == 0) {
    /* The child: a copy of the space, with this thread only. */
    exit(counter == 0x5eed ? 9 : 1);
  }
  int st = -100;
  fork_result = wait(&st) == pid ? st : -200;
}

void
fork_from_a_thread_copies_the_space_for_its_own_child(void)
{
  counter = 0x5eed;
  join_ok(start_thread(fork_and_wait, 0, 0));
  CHECK(fork_result == 9, "the forking thread's wait saw %d (want the child's 9)",
        fork_result);
  CHECK(wait(0) == -1, "main could wait for a child another thread forked");
}

#define WORDS (4 * PGSIZE / sizeof(uint64))
static uint64 words[WORDS] __attribute__((aligned(PGSIZE)));
static volatile uint64 rounds_done;   /* rounds the writer has finished */

static void
write_rounds(void *arg)
{
  (void)arg;
  __atomic_add_fetch(&started, 1, __ATOMIC_RELEASE);
  for (uint64 k = 1; !stop; k++) {
    for (unsigned i = 0; i < WORDS; i++)
      __atomic_store_n(&words[i], (k << 32) | k, __ATOMIC_RELAXED);
    __atomic_store_n(&rounds_done, k, __ATOMIC_RELEASE);
  }
}

/* The child's check: every word whole, none older than the rounds the
 * writer had finished before fork was called. */
static int
words_are_whole_and_fresh(uint64 done)
{
  for (unsigned i = 0; i < WORDS; i++) {
    uint64 w = words[i];
    if ((w >> 32) != (w & 0xffffffffUL) || (w >> 32) < done)
      return 0;
  }
  return 1;
}

void
fork_while_a_sibling_writes_copies_whole_words(void)
{
  int tid = start_thread(write_rounds, 0, 0);

  await_started(1);
  for (int n = 0; n < 8; n++) {
    uint64 done = __atomic_load_n(&rounds_done, __ATOMIC_ACQUIRE);
    int pid = fork();
    CHECK(pid >= 0, "fork %d failed", n);
    if (pid == 0)
      exit(words_are_whole_and_fresh(done) ? 0 : 1);
    CHECK(utest_reap(pid) == 0, "fork %d: the child saw a torn or stale word", n);
  }
  stop = 1;
  join_ok(tid);
}

static void
exec_self(void *arg)
{
  char pidbuf[16];
  snprintf(pidbuf, sizeof(pidbuf), "%d", (int)(uint64)arg);
  char *argv[] = { "threadtests", "--exit", "42", pidbuf, 0 };
  exec("threadtests", argv);
  exit(98);
}

void
exec_from_a_thread_ends_the_others_and_keeps_the_pid(void)
{
  struct memstat before, after;

  utest_snap(&before);
  int pid = fork();
  CHECK(pid >= 0, "fork failed");
  if (pid == 0) {
    start_busy_threads();
    start_thread(exec_self, (void *)(uint64)getpid(), 4);
    for (;;)
      sleep(1000);
  }
  int st = utest_reap(pid);
  utest_snap(&after);
  CHECK(st == 42, "wait saw %d: the exec'd image returns 42 only with pid %d",
        st, pid);
  CHECK(after.nprocs == before.nprocs, "%d entries left behind",
        (int)(after.nprocs - before.nprocs));
}

static volatile int exec_result;

static void
exec_nosuch(void *arg)
{
  (void)arg;
  char *argv[] = { "nosuch", 0 };
  exec_result = exec("nosuch", argv);
}

void
failed_exec_in_a_thread_changes_nothing(void)
{
  int tid = start_thread(spin, 0, 0);

  await_started(1);
  join_ok(start_thread(exec_nosuch, 0, 1));
  CHECK(exec_result == -1, "exec of nosuch returned %d", exec_result);
  uint64 c = counter;
  for (int t = 0; counter == c; t++) {
    CHECK(t < SPIN_TICKS_MAX, "the sibling stopped running after the failed exec");
    sleep(1);
  }
  stop = 1;
  join_ok(tid);
}
