/*
 * shootdown.c: threadtests' cases on munmap and a shrinking sbrk, which
 * must be seen by every thread of the space once the call returns (TLB
 * shootdown): a sibling reading the removed page faults, and harts
 * running the space are interrupted to flush.
 */
#include "threadtests/threadtests.h"

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

void
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

void
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

void
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
