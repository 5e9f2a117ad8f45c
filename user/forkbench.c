/*
 * forkbench.c: what a fork costs as the memory a process has touched grows.
 * For 0, 1, 4 and 16 MiB of heap pages written, times fork + exit + wait
 * (the parent forks, the child exits at once without touching memory, the
 * parent waits for it) several times, and the fork() call alone as the
 * parent sees it (until fork returns in the parent). Time from rdtime
 * (10 MHz on virt), printed in microseconds; instructions from rdinstret,
 * calibrated as faultbench does (QEMU's instret follows host time unless
 * -icount: exact only with DETERMINISTIC=1), for the fork() call only and
 * only from samples that stayed on one hart.
 *
 * Before every timed fork the parent writes one word of each touched page
 * (untimed), so each fork meets the same state: every page private and
 * writable, as a process that has just worked on its memory. A copy-on-write
 * kernel makes them read-only and shared at fork; the child's exit gives
 * them back; the parent's next write takes each back (a fault, no copy).
 * fork+exit+wait includes what the parent pays before wait returns: the
 * copy or take-back of the stack page it writes (wait's status word).
 *
 * Usage: forkbench [reps]     (default 10 repetitions per size, 1..100)
 * The first fork of each size is a warm-up, not counted. The first line
 * says how fork behaves, and the last repeats it: "mode cow" if a child
 * alive shares the parent's pages (memstat pages_shared > 0), "mode copy"
 * if not (boot argument forkcopy), so a table always says which kernel
 * produced it. tools/forkbench.sh runs both and compares them.
 */
#include "user.h"

#define MAX_REPS 100
#define TENTHS_PER_SEC 10000000UL   /* tenths of a microsecond per second */
#define MIB_PAGES (1024 * 1024 / PGSIZE)

static const int sizes_mib[] = { 0, 1, 4, 16 };
#define NSIZES ((int)(sizeof(sizes_mib) / sizeof(sizes_mib[0])))

static uint64 units_x100;    /* instret units per instruction, times 100 */
static uint64 total_ticks[MAX_REPS];
static uint64 fork_ticks[MAX_REPS];
static uint64 fork_insns[MAX_REPS];

static uint64
ticks_to_tenths(uint64 ticks)
{
  return ticks * TENTHS_PER_SEC / TIMEBASE_HZ;
}

/* "123.4" for tenths of a microsecond, right-aligned in 9 columns. */
static void
print_us(uint64 tenths)
{
  char buf[32];
  snprintf(buf, sizeof(buf), "%d.%d", (int)(tenths / 10), (int)(tenths % 10));
  printf("%9s", buf);
}

/* Writes one word of each of npages pages at base. */
static void
touch(char *base, int npages, int value)
{
  for (int i = 0; i < npages; i++)
    *(volatile int *)(base + (uint64)i * PGSIZE) = value;
}

/* fork() straight through ecall, with the clock and instret read right
 * around it and everything kept in registers: the child, seeing 0, calls
 * exit(0) at once, so it stores to no page (a store to the stack would
 * make a copy-on-write kernel copy it), and no store of the parent's lands
 * in the window either. Returns fork's result. */
static int
fork_timed(uint64 *t0, uint64 *t1, uint64 *n0, uint64 *n1)
{
  register long a0 asm("a0");
  register long a7 asm("a7") = SYS_fork;
  uint64 rt0, rt1, rn0, rn1;

  asm volatile("rdtime %[t0]\n"
               "rdinstret %[n0]\n"
               "ecall\n"
               "rdinstret %[n1]\n"
               "rdtime %[t1]\n"
               "bnez a0, 1f\n"
               "li a7, %[sys_exit]\n"     /* the child: exit(0) */
               "ecall\n"
               "1:\n"
               : "=r"(a0), "+r"(a7), [t0] "=&r"(rt0), [t1] "=&r"(rt1),
                 [n0] "=&r"(rn0), [n1] "=&r"(rn1)
               : [sys_exit] "i"(SYS_exit)
               : "memory");
  *t0 = rt0;
  *t1 = rt1;
  *n0 = rn0;
  *n1 = rn1;
  return (int)a0;
}

/* One fork + exit + wait. Returns 0, or -1 if a system call failed. */
static int
one_fork(uint64 *total, uint64 *forkt, uint64 *insns, int *same_hart)
{
  int status = -1;
  uint64 t0, t1, n0, n1;
  int h0 = hartid();
  int pid = fork_timed(&t0, &t1, &n0, &n1);
  if (pid < 0)
    return -1;
  int w = wait(&status);
  uint64 t2 = rdtime();
  int h1 = hartid();
  if (w != pid || status != 0)
    return -1;
  *total = t2 - t0;
  *forkt = t1 - t0;
  *insns = (n1 - n0) * 100 / units_x100;
  *same_hart = h0 == h1;
  return 0;
}

/* fork while a child is alive: does it share the parent's pages? */
static int
fork_shares(uint64 *shared)
{
  int p[2];
  char c;
  struct memstat m;

  if (pipe(p) != 0)
    return -1;
  int pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    read(p[0], &c, 1);
    exit(0);
  }
  if (memstat(&m) != 0)
    return -1;
  *shared = m.pages_shared;
  c = 'x';
  int status = -1;
  if (write(p[1], &c, 1) != 1 || wait(&status) != pid || status != 0)
    return -1;
  close(p[0]);
  close(p[1]);
  return 0;
}

int
main(int argc, char **argv)
{
  int reps = 10;

  if (argc > 1)
    reps = atoi(argv[1]);
  if (reps < 1 || reps > MAX_REPS) {
    printf("usage: forkbench [reps]   (1 to %d)\n", MAX_REPS);
    return 2;
  }
  units_x100 = instret_units_x100();

  uint64 shared = 0;
  if (fork_shares(&shared) != 0) {
    printf("forkbench: fork, pipe or memstat failed\n");
    return 1;
  }
  const char *mode = shared > 0 ? "cow" : "copy";
  printf("forkbench: mode %s (%d pages shared while a child lived), %d reps per "
         "size after a warm-up, hart %d, timebase %d Hz\n", mode, (int)shared,
         reps, hartid(), (int)TIMEBASE_HZ);
  printf("forkbench: instret advances %d.%02d per instruction (calibrated); "
         "instruction counts are exact only with DETERMINISTIC=1\n",
         (int)(units_x100 / 100), (int)(units_x100 % 100));

  /* The heap starts on a page boundary, so each touched page is its own. */
  char *cur = sbrk(0);
  long align = (long)(PGROUNDUP((uint64)cur) - (uint64)cur);
  if (cur == (char *)-1 || sbrk(align) == (char *)-1) {
    printf("forkbench: sbrk failed\n");
    return 1;
  }
  char *heap = sbrk(0);
  int npages = 0;

  printf("forkbench:   size  pages | fork+exit+wait us            | fork() us  "
         "fork() instructions\n");
  printf("forkbench:               |   median      min      max   |   median  "
         "   median (samples)\n");
  for (int s = 0; s < NSIZES; s++) {
    int want = sizes_mib[s] * MIB_PAGES;
    if (want > npages) {
      if (sbrk((long)(want - npages) * PGSIZE) == (char *)-1) {
        printf("forkbench: sbrk to %d MiB failed\n", sizes_mib[s]);
        return 1;
      }
      npages = want;
    }
    int kept_insns = 0;
    for (int r = -1; r < reps; r++) {
      uint64 total, forkt, insns;
      int same;
      touch(heap, npages, r);
      if (one_fork(&total, &forkt, &insns, &same) != 0) {
        printf("forkbench: fork, exit or wait failed at %d MiB\n", sizes_mib[s]);
        return 1;
      }
      if (r < 0)
        continue;          /* the warm-up */
      total_ticks[r] = total;
      fork_ticks[r] = forkt;
      if (same)
        fork_insns[kept_insns++] = insns;
    }
    sort_u64(total_ticks, reps);
    sort_u64(fork_ticks, reps);
    sort_u64(fork_insns, kept_insns);
    printf("forkbench: %3d MiB %6d |", sizes_mib[s], npages);
    print_us(ticks_to_tenths(median_u64(total_ticks, reps)));
    print_us(ticks_to_tenths(total_ticks[0]));
    print_us(ticks_to_tenths(total_ticks[reps - 1]));
    printf("   |");
    print_us(ticks_to_tenths(median_u64(fork_ticks, reps)));
    if (kept_insns > 0)
      printf("  %9d (%d)\n", (int)median_u64(fork_insns, kept_insns), kept_insns);
    else
      printf("          - (0)\n");
  }
  printf("forkbench: done, mode %s\n", mode);
  return 0;
}
