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
 * This file holds the helpers, the cases on clone and join, the shared
 * space and lazy faults, and the case table; threadtests/process.c the
 * cases on exit, kill, faults, wait, fork and exec, and
 * threadtests/shootdown.c those on munmap and sbrk (threadtests.h).
 *
 * Also the exec target of its own cases: `threadtests --exit N PID`
 * returns N if its pid is PID; `threadtests --spin-return N` starts three
 * spinning threads and returns N from main.
 */
#include "threadtests/threadtests.h"

#define KERNEL_RAM 0x80000000UL
#define NSTACKS 8
#define TSTACK (2 * PGSIZE)

static char stacks[NSTACKS][TSTACK] __attribute__((aligned(16)));
volatile int started;           /* threads that reached their loop */
volatile int stop;              /* tells looping threads to return */
volatile uint64 counter;

int main(int argc, char **argv);

static void *
stack_top(int i)
{
  return stacks[i] + TSTACK;
}

/* clone on stack i, which must succeed. */
int
start_thread(void (*fn)(void *), void *arg, int i)
{
  int tid = clone(fn, arg, stack_top(i));
  CHECK(tid > 0, "clone on stack %d failed", i);
  return tid;
}

/* join(tid) must return tid; returns the status. */
int
join_ok(int tid)
{
  int st = -100;
  int got = join(tid, &st);
  CHECK(got == tid, "join(%d) returned %d", tid, got);
  return st;
}

/* Waits until n threads have reached their loop. */
void
await_started(int n)
{
  for (int t = 0; __atomic_load_n(&started, __ATOMIC_ACQUIRE) < n; t++) {
    CHECK(t < SPIN_TICKS_MAX, "only %d of %d threads started", started, n);
    sleep(1);
  }
}

void
spin(void *arg)
{
  (void)arg;
  __atomic_add_fetch(&started, 1, __ATOMIC_RELEASE);
  while (!stop)
    __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
}

void
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

volatile uint64 target;
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

/* ---- helper modes, when exec'd by cases in threadtests/process.c ---- */

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
