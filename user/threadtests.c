/*
 * threadtests.c: user tests for threads, one case per rule of the thread
 * contract (docs/design.md, "Threads"): clone and join, what exit, kill,
 * faults, wait, fork and exec do in a process of several threads, the
 * shared heap and regions, lazy faults taken by several threads at once,
 * and munmap/sbrk seen by every thread at once (TLB shootdown).
 *
 * Every case runs in its own child (user/lib/utest.c), whose pages and
 * nodes must all come back when it ends; cases that end a whole process
 * run it as a grandchild. Thread stacks live in .bss, mapped at exec, so
 * they add no lazy faults of their own to the counts a case checks.
 *
 * Also the exec target of its own cases: `threadtests --exit N PID`
 * returns N if its pid is PID; `threadtests --spin-return N` starts three
 * spinning threads and returns N from main.
 */
#include "user.h"

#define KERNEL_RAM 0x80000000UL
#define NSTACKS 8
#define TSTACK (2 * PGSIZE)
#define SPIN_TICKS_MAX 200      /* 2 s: how long a case waits for its threads */

static char stacks[NSTACKS][TSTACK] __attribute__((aligned(16)));
static volatile int started;    /* threads that reached their loop */
static volatile int stop;       /* tells looping threads to return */
static volatile uint64 counter;

int main(int argc, char **argv);

static void *
stack_top(int i)
{
  return stacks[i] + TSTACK;
}

/* clone on stack i, which must succeed. */
static int
start_thread(void (*fn)(void *), void *arg, int i)
{
  int tid = clone(fn, arg, stack_top(i));
  CHECK(tid > 0, "clone on stack %d failed", i);
  return tid;
}

/* join(tid) must return tid; returns the status. */
static int
join_ok(int tid)
{
  int st = -100;
  int got = join(tid, &st);
  CHECK(got == tid, "join(%d) returned %d", tid, got);
  return st;
}

/* Waits until n threads have reached their loop. */
static void
await_started(int n)
{
  for (int t = 0; __atomic_load_n(&started, __ATOMIC_ACQUIRE) < n; t++) {
    CHECK(t < SPIN_TICKS_MAX, "only %d of %d threads started", started, n);
    sleep(1);
  }
}

static void
spin(void *arg)
{
  (void)arg;
  __atomic_add_fetch(&started, 1, __ATOMIC_RELEASE);
  while (!stop)
    __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
}

static void
sleep_forever(void *arg)
{
  (void)arg;
  __atomic_add_fetch(&started, 1, __ATOMIC_RELEASE);
  for (;;)
    sleep(1000);
}

/* ---- clone and join ---- */

struct probe {
  void *arg;
  uint64 sp;
  int pid;
};

static void
probe(void *arg)
{
  struct probe *p = arg;
  uint64 sp;

  asm volatile("mv %0, sp" : "=r"(sp));
  p->sp = sp;
  p->pid = getpid();
  p->arg = arg;
}

static void
clone_runs_fn_with_arg_on_the_given_stack(void)
{
  struct probe pr = { 0, 0, 0 };
  int tid = start_thread(probe, &pr, 0);

  CHECK(join_ok(tid) == 0, "a returning thread did not end with status 0");
  CHECK(pr.arg == &pr, "fn got arg %p, not %p", pr.arg, (void *)&pr);
  CHECK(pr.sp >= (uint64)stacks[0] && pr.sp < (uint64)stack_top(0),
        "thread ran on sp %p, outside its stack", (void *)pr.sp);
  CHECK(pr.pid == tid, "getpid in the thread gave %d, clone said %d", pr.pid, tid);
  CHECK(tid != getpid(), "the thread has the creator's id %d", tid);
}

static void
exit_with_seven(void *arg)
{
  (void)arg;
  exit(7);
}

static void
exit_in_a_thread_ends_only_that_thread(void)
{
  int tid = start_thread(exit_with_seven, 0, 0);
  int st = join_ok(tid);

  CHECK(st == 7, "join saw status %d, the thread exited with 7", st);
  /* Still here, and still able to make threads. */
  CHECK(join_ok(start_thread(probe, &(struct probe){ 0, 0, 0 }, 1)) == 0,
        "second thread failed");
}

static void
join_rejects_what_is_not_an_unjoined_own_thread(void)
{
  CHECK(join(0, 0) == -1, "join(0) with no threads worked");
  CHECK(join(getpid(), 0) == -1, "join of itself worked");
  CHECK(join(-1, 0) == -1, "join(-1) worked");
  CHECK(join(1, 0) == -1, "join of init worked");
  int child = utest_fork_exit(0);
  CHECK(join(child, 0) == -1, "join of a forked child worked");
  CHECK(utest_reap(child) == 0, "the child was not left for wait");
  int tid = start_thread(probe, &(struct probe){ 0, 0, 0 }, 0);
  join_ok(tid);
  CHECK(join(tid, 0) == -1, "a second join of %d worked", tid);
}

static void
join_of_zero_takes_each_thread_once(void)
{
  int tids[3], seen[3] = { 0, 0, 0 };

  for (int i = 0; i < 3; i++)
    tids[i] = start_thread(probe, &(struct probe){ 0, 0, 0 }, i);
  for (int n = 0; n < 3; n++) {
    int got = join(0, 0);
    int i;
    for (i = 0; i < 3 && tids[i] != got; i++)
      ;
    CHECK(i < 3, "join(0) returned %d, not one of the threads", got);
    CHECK(!seen[i], "join(0) returned %d twice", got);
    seen[i] = 1;
  }
  CHECK(join(0, 0) == -1, "join(0) with every thread joined worked");
}

static void
join_with_a_bad_status_pointer_reaps_nothing(void)
{
  int tid = start_thread(exit_with_seven, 0, 0);

  CHECK(join(tid, 0) == tid, "join with status 0 (not stored) failed");
  tid = start_thread(exit_with_seven, 0, 0);
  for (int i = 0; i < UTEST_NUNWRITABLE; i++)
    if (utest_unwritable[i].va != 0)      /* NULL means "do not store" */
      CHECK(join(tid, (int *)utest_unwritable[i].va) == -1,
            "join into %s worked", utest_unwritable[i].what);
  /* Straddling from the last stack word into the trapframe: nothing. */
  CHECK(join(tid, (int *)(TRAPFRAME - 2)) == -1, "join straddling TRAPFRAME worked");
  CHECK(join_ok(tid) == 7, "the thread was lost by the failed joins");
}

static void
clone_rejects_bad_arguments(void)
{
  struct memstat before, after;

  utest_snap(&before);
  CHECK(clone(0, 0, stack_top(0)) == -1, "clone of fn NULL worked");
  CHECK(clone((void (*)(void *))KERNEL_RAM, 0, stack_top(0)) == -1,
        "clone of fn in kernel RAM worked");
  CHECK(clone((void (*)(void *))(uint64)&counter, 0, stack_top(0)) == -1,
        "clone of fn in data (not executable) worked");
  CHECK(clone(probe, 0, 0) == -1, "clone on stack NULL worked");
  CHECK(clone(probe, 0, (char *)stack_top(0) - 8) == -1,
        "clone on a stack not 16-byte aligned worked");
  CHECK(clone(probe, 0, (void *)MMAP_BEGIN) == -1,
        "clone on a stack in no mapped area worked");
  CHECK(clone(probe, 0, (void *)(VA_MAX + PGSIZE)) == -1,
        "clone on a stack beyond VA_MAX worked");
  CHECK(sys_clone(probe, 0, stack_top(0), 0) == -1,
        "clone with return address NULL worked");
  utest_snap(&after);
  utest_expect_same(&before, &after, "failed clones");
  CHECK(after.nprocs == before.nprocs, "failed clones left %d entries",
        (int)(after.nprocs - before.nprocs));
}

static void
memstat_counts_every_thread(void)
{
  struct memstat before, during, after;
  int tids[3];

  utest_snap(&before);
  for (int i = 0; i < 3; i++)
    tids[i] = start_thread(spin, 0, i);
  await_started(3);
  utest_snap(&during);
  stop = 1;
  for (int i = 0; i < 3; i++)
    join_ok(tids[i]);
  utest_snap(&after);
  CHECK(during.nprocs == before.nprocs + 3, "nprocs %d with 3 threads, %d before",
        (int)during.nprocs, (int)before.nprocs);
  CHECK(after.nprocs == before.nprocs, "nprocs %d after the joins, %d before",
        (int)after.nprocs, (int)before.nprocs);
}

/* ---- one shared address space ---- */

static volatile uint64 heap_page, map_page;

static void
grow_heap_and_map(void *arg)
{
  (void)arg;
  heap_page = utest_heap_fresh(1);
  *(volatile uint64 *)heap_page = 0x4eaf;
  void *m = utest_map(0, PGSIZE, PROT_READ | PROT_WRITE);
  CHECK(m != MAP_FAILED, "mmap in the thread failed");
  map_page = (uint64)m;
  *(volatile uint64 *)map_page = 0x3a9;
}

static void
threads_share_heap_break_and_regions(void)
{
  join_ok(start_thread(grow_heap_and_map, 0, 0));
  CHECK((uint64)sbrk(0) > heap_page, "the thread's sbrk is not seen by main");
  CHECK(*(volatile uint64 *)heap_page == 0x4eaf, "heap store not seen");
  CHECK(*(volatile uint64 *)map_page == 0x3a9, "region store not seen");
  utest_unmap(map_page, 1);
}

#define ADDERS 4
#define ADDS 20000

static void
add_many(void *arg)
{
  (void)arg;
  for (int i = 0; i < ADDS; i++)
    __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
}

static void
threads_see_each_others_stores(void)
{
  int tids[ADDERS];

  for (int i = 0; i < ADDERS; i++)
    tids[i] = start_thread(add_many, 0, i);
  for (int i = 0; i < ADDERS; i++)
    join_ok(tids[i]);
  CHECK(counter == ADDERS * ADDS, "counter %d, want %d", (int)counter, ADDERS * ADDS);
}

/* ---- lazy faults from several threads ---- */

static volatile uint64 target;
static volatile int go;

struct toucher {
  int index;
  int npages;     /* pages of its own to touch, or 0: one word of target */
  uint64 base;
};

static void
touch(void *arg)
{
  struct toucher *t = arg;

  __atomic_add_fetch(&started, 1, __ATOMIC_RELEASE);
  while (!go)
    ;
  if (t->npages == 0) {
    ((volatile uint64 *)target)[t->index] = 0x1000 + t->index;
    return;
  }
  for (int p = 0; p < t->npages; p++)
    *(volatile uint64 *)(t->base + p * PGSIZE) = t->base + p;
}

static void
one_lazy_page_touched_by_all_at_once_maps_one_page(void)
{
  struct toucher t[ADDERS];
  struct memstat before, after;
  int tids[ADDERS];

  target = utest_heap_fresh(1);
  utest_own_pages();            /* so the threads' stores break no sharing */
  utest_snap(&before);
  for (int i = 0; i < ADDERS; i++) {
    t[i] = (struct toucher){ i, 0, 0 };
    tids[i] = start_thread(touch, &t[i], i);
  }
  await_started(ADDERS);
  go = 1;
  for (int i = 0; i < ADDERS; i++)
    join_ok(tids[i]);
  utest_snap(&after);
  CHECK(utest_user_pages(&after) == utest_user_pages(&before) + 1,
        "%d user pages for one page touched by %d threads",
        utest_user_pages(&after) - utest_user_pages(&before), ADDERS);
  CHECK(after.lazy_faults == before.lazy_faults + 1, "%d lazy faults, want 1",
        (int)(after.lazy_faults - before.lazy_faults));
  for (int i = 0; i < ADDERS; i++)
    CHECK(((volatile uint64 *)target)[i] == (uint64)(0x1000 + i),
          "thread %d's store is lost", i);
}

#define PAGES_EACH 8

static void
different_lazy_pages_touched_in_parallel_each_map_once(void)
{
  struct toucher t[ADDERS];
  struct memstat before, after;
  int tids[ADDERS];
  uint64 base = (uint64)utest_map(0, ADDERS * PAGES_EACH * PGSIZE,
                                  PROT_READ | PROT_WRITE);

  CHECK(base != (uint64)MAP_FAILED, "mmap failed");
  utest_own_pages();            /* so the threads' stores break no sharing */
  utest_snap(&before);
  for (int i = 0; i < ADDERS; i++) {
    t[i] = (struct toucher){ i, PAGES_EACH, base + i * PAGES_EACH * PGSIZE };
    tids[i] = start_thread(touch, &t[i], i);
  }
  await_started(ADDERS);
  go = 1;
  for (int i = 0; i < ADDERS; i++)
    join_ok(tids[i]);
  utest_snap(&after);
  CHECK(utest_user_pages(&after) - utest_user_pages(&before) == ADDERS * PAGES_EACH,
        "%d user pages for %d touched", utest_user_pages(&after) -
        utest_user_pages(&before), ADDERS * PAGES_EACH);
  CHECK(after.lazy_faults - before.lazy_faults == ADDERS * PAGES_EACH,
        "%d lazy faults for %d pages", (int)(after.lazy_faults - before.lazy_faults),
        ADDERS * PAGES_EACH);
  for (int i = 0; i < ADDERS; i++)
    for (int p = 0; p < PAGES_EACH; p++) {
      uint64 va = t[i].base + p * PGSIZE;
      CHECK(*(volatile uint64 *)va == t[i].base + p,
            "page %p holds %p", (void *)va, (void *)*(volatile uint64 *)va);
    }
  utest_unmap(base, ADDERS * PAGES_EACH);
}

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

static void
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

static void
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

static void
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

static void
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

static void
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

static void
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

static void
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

static void
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

static void
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

/* ---- munmap and sbrk are seen by every thread at once ---- */

struct watcher {
  uint64 va;
  uint64 want;
  int report_fd;
};

/* Reads va in a loop until it faults (ending the process). A value other
 * than want means a stale translation: a freed page seen through the TLB. */
static void
watch(void *arg)
{
  struct watcher *w = arg;

  __atomic_add_fetch(&started, 1, __ATOMIC_RELEASE);
  for (;;) {
    uint64 v = *(volatile uint64 *)w->va;
    if (v != w->want) {
      write(w->report_fd, "X", 1);
      exit(1);
    }
  }
}

/* In a grandchild: a watcher on another thread, then remove(va). The
 * watcher must fault (wait sees -1) and never report a stale value. */
static void
expect_removal_seen(uint64 va, void (*remove)(uint64 va))
{
  int p[2];
  char c;

  CHECK(pipe(p) == 0, "pipe failed");
  int pid = fork();
  CHECK(pid >= 0, "fork failed");
  if (pid == 0) {
    close(p[0]);
    *(volatile uint64 *)va = 0xfeedface;
    struct watcher w = { va, 0xfeedface, p[1] };
    start_thread(watch, &w, 0);
    await_started(1);
    sleep(2);                   /* let it read through its TLB a while */
    remove(va);
    sleep(50);                  /* the watcher faults long before this */
    exit(UTEST_SURVIVED);
  }
  close(p[1]);
  int st = utest_reap(pid);
  int n = read(p[0], &c, 1);
  close(p[0]);
  CHECK(n == 0, "a thread read a removed page after the call returned");
  CHECK(st == UTEST_KILLED, "the watcher did not fault (status %d%s)", st,
        st == UTEST_SURVIVED ? ": it kept reading the removed page" : "");
}

static void
remove_by_munmap(uint64 va)
{
  utest_unmap(va, 1);
}

static void
munmap_in_one_thread_is_seen_by_every_thread(void)
{
  uint64 va = (uint64)utest_map(0, PGSIZE, PROT_READ | PROT_WRITE);

  CHECK(va != (uint64)MAP_FAILED, "mmap failed");
  expect_removal_seen(va, remove_by_munmap);
}

static void
remove_by_sbrk(uint64 va)
{
  (void)va;
  CHECK(sbrk(-(long)PGSIZE) != (char *)-1, "sbrk shrink failed");
}

static void
shrinking_sbrk_in_one_thread_is_seen_by_every_thread(void)
{
  uint64 va = utest_heap_fresh(1);

  CHECK((uint64)sbrk(0) == va + PGSIZE, "the fresh page is not the heap's last");
  expect_removal_seen(va, remove_by_sbrk);
}

static volatile int spinner_hart = -1;
static volatile uint64 spinner_seen;   /* the target it last loaded from */

static void
spin_and_say_where(void *arg)
{
  (void)arg;
  __atomic_add_fetch(&started, 1, __ATOMIC_RELEASE);
  while (!stop) {
    uint64 t = target;
    *(volatile uint64 *)t;      /* keep a translation of the page */
    spinner_seen = t;
    spinner_hart = hartid();
  }
}

/* Points the spinner at va and waits until it has loaded from it. */
static void
aim_spinner(uint64 va)
{
  target = va;
  for (int t = 0; spinner_seen != va; t++) {
    CHECK(t < SPIN_TICKS_MAX, "the spinning thread stopped");
    sleep(1);
  }
}

static void
munmap_interrupts_harts_running_the_space(void)
{
  struct memstat before, after;
  int tries = 0, sent = 0;

  target = (uint64)&counter;
  int tid = start_thread(spin_and_say_where, 0, 0);
  await_started(1);
  for (int t = 0; t < 20 && !sent; t++) {
    uint64 va = (uint64)utest_map(0, PGSIZE, PROT_READ | PROT_WRITE);
    CHECK(va != (uint64)MAP_FAILED, "mmap failed");
    *(volatile uint64 *)va = 1;
    aim_spinner(va);
    aim_spinner((uint64)&counter);   /* off the page before it goes */
    int elsewhere = spinner_hart != hartid();
    utest_snap(&before);
    utest_unmap(va, 1);
    utest_snap(&after);
    CHECK(after.tlb_shootdowns > before.tlb_shootdowns,
          "munmap of a touched page asked for no shootdown");
    if (elsewhere) {
      tries++;
      sent = after.ipis > before.ipis;
    }
  }
  stop = 1;
  join_ok(tid);
  /* With one hart there is no one to interrupt, and nothing to check. */
  CHECK(tries == 0 || sent, "%d munmaps while a sibling ran on another hart "
        "sent no inter-hart interrupt", tries);
}

/* ---- helper modes, when exec'd by the cases above ---- */

static int
helper_main(int argc, char **argv)
{
  if (argc == 4 && strcmp(argv[1], "--exit") == 0)
    return getpid() == atoi(argv[3]) ? atoi(argv[2]) : 97;
  if (argc == 3 && strcmp(argv[1], "--spin-return") == 0) {
    for (int i = 0; i < 3; i++)
      if (clone(spin, 0, stack_top(i)) <= 0)
        return 96;
    while (started < 3)
      sleep(1);
    return atoi(argv[2]);
  }
  return -1;
}

int
main(int argc, char **argv)
{
  static const struct utest cases[] = {
    { "clone_runs_fn_with_arg_on_the_given_stack",
      clone_runs_fn_with_arg_on_the_given_stack },
    { "exit_in_a_thread_ends_only_that_thread",
      exit_in_a_thread_ends_only_that_thread },
    { "join_rejects_what_is_not_an_unjoined_own_thread",
      join_rejects_what_is_not_an_unjoined_own_thread },
    { "join_of_zero_takes_each_thread_once", join_of_zero_takes_each_thread_once },
    { "join_with_a_bad_status_pointer_reaps_nothing",
      join_with_a_bad_status_pointer_reaps_nothing },
    { "clone_rejects_bad_arguments", clone_rejects_bad_arguments },
    { "memstat_counts_every_thread", memstat_counts_every_thread },
    { "threads_share_heap_break_and_regions", threads_share_heap_break_and_regions },
    { "threads_see_each_others_stores", threads_see_each_others_stores },
    { "one_lazy_page_touched_by_all_at_once_maps_one_page",
      one_lazy_page_touched_by_all_at_once_maps_one_page },
    { "different_lazy_pages_touched_in_parallel_each_map_once",
      different_lazy_pages_touched_in_parallel_each_map_once },
    { "exit_in_the_first_thread_ends_every_thread",
      exit_in_the_first_thread_ends_every_thread },
    { "return_from_main_ends_every_thread", return_from_main_ends_every_thread },
    { "kill_of_any_thread_ends_the_process", kill_of_any_thread_ends_the_process },
    { "fault_in_a_thread_ends_the_process", fault_in_a_thread_ends_the_process },
    { "wait_never_returns_a_thread", wait_never_returns_a_thread },
    { "fork_from_a_thread_copies_the_space_for_its_own_child",
      fork_from_a_thread_copies_the_space_for_its_own_child },
    { "fork_while_a_sibling_writes_copies_whole_words",
      fork_while_a_sibling_writes_copies_whole_words },
    { "exec_from_a_thread_ends_the_others_and_keeps_the_pid",
      exec_from_a_thread_ends_the_others_and_keeps_the_pid },
    { "failed_exec_in_a_thread_changes_nothing",
      failed_exec_in_a_thread_changes_nothing },
    { "munmap_in_one_thread_is_seen_by_every_thread",
      munmap_in_one_thread_is_seen_by_every_thread },
    { "shrinking_sbrk_in_one_thread_is_seen_by_every_thread",
      shrinking_sbrk_in_one_thread_is_seen_by_every_thread },
    { "munmap_interrupts_harts_running_the_space",
      munmap_interrupts_harts_running_the_space },
  };

  if (argc > 1)
    return helper_main(argc, argv);
  return utest_run(cases, NELEM(cases));
}
