/*
 * faultbench.c: what a lazy page costs. Times the first touch of each of
 * BENCH_PAGES heap pages (sbrk) and mmap pages, and a second touch of the
 * same pages for comparison, in time (rdtime) and instructions retired
 * (rdinstret, which counts the kernel's fault handling too). A sample
 * during which the process moved to another hart is discarded: instret is
 * per hart. QEMU's instret is not a plain count: with -icount it advances
 * 2^shift per instruction, without it follows host time. So a loop of known
 * length calibrates it first, and counts are reported in instructions;
 * only DETERMINISTIC=1 runs make them exact. Prints numbers only;
 * fails only if a system call does. Integer arithmetic: tenths as /10, %10.
 */
#include "user.h"

#define BENCH_PAGES 256
#define TENTHS_PER_SEC 10000000UL   /* tenths of a microsecond per second */

struct sample {
  uint64 ticks;      /* rdtime delta */
  uint64 insns;      /* rdinstret delta */
};


static struct sample samples[BENCH_PAGES];
static uint64 units_x100;    /* instret units per instruction, times 100 */
static uint64 sorted[BENCH_PAGES];

/* Keeps the compiler from moving the touch out of the timed window. */
static inline void
barrier(void)
{
  asm volatile("" ::: "memory");
}

/* Touches each of npages pages at base once, timing every touch. Returns
 * how many samples were kept; *discarded counts the others. */
static int
measure(char *base, int npages, int *discarded)
{
  int kept = 0;

  *discarded = 0;
  for (int i = 0; i < npages; i++) {
    volatile char *p = base + (uint64)i * PGSIZE;
    /* hartid() is a system call: keep it outside the window. */
    int h0 = hartid();
    uint64 t0 = rdtime();
    uint64 n0 = rdinstret();
    barrier();
    *p = (char)i;
    barrier();
    uint64 n1 = rdinstret();
    uint64 t1 = rdtime();
    int h1 = hartid();
    if (h0 != h1) {
      (*discarded)++;
      continue;
    }
    samples[kept].ticks = t1 - t0;
    samples[kept].insns = (n1 - n0) * 100 / units_x100;
    kept++;
  }
  return kept;
}

/* Median of n values (the lower middle one if n is even). */
static uint64
median(uint64 *v, int n)
{
  sort_u64(v, n);
  return v[(n - 1) / 2];
}

static uint64
ticks_to_tenths(uint64 ticks)
{
  return ticks * TENTHS_PER_SEC / TIMEBASE_HZ;
}

static void
report(const char *kind, const char *what, int kept, int discarded)
{
  uint64 tsum = 0, nsum = 0;

  if (kept == 0) {
    printf("%-5s %s: no sample kept (%d discarded)\n", kind, what, discarded);
    return;
  }
  for (int i = 0; i < kept; i++) {
    tsum += samples[i].ticks;
    nsum += samples[i].insns;
    sorted[i] = samples[i].ticks;
  }
  uint64 tmed = median(sorted, kept);
  for (int i = 0; i < kept; i++)
    sorted[i] = samples[i].insns;
  uint64 nmed = median(sorted, kept);
  uint64 tmean = ticks_to_tenths(tsum) / kept;
  uint64 tmedian = ticks_to_tenths(tmed);

  printf("%-5s %s: %d pages, mean %d.%d us (median %d.%d), mean %d "
         "instructions (median %d)", kind, what, kept,
         (int)(tmean / 10), (int)(tmean % 10), (int)(tmedian / 10),
         (int)(tmedian % 10), (int)(nsum / kept), (int)nmed);
  if (discarded > 0)
    printf(", %d discarded (hart changed)", discarded);
  printf("\n");
}

/* First and second touch of every page at base. */
static void
bench(const char *kind, char *base)
{
  int kept, discarded;

  kept = measure(base, BENCH_PAGES, &discarded);
  report(kind, "first-touch", kept, discarded);
  kept = measure(base, BENCH_PAGES, &discarded);
  report(kind, "second-touch", kept, discarded);
}

int
main(int argc, char **argv)
{
  (void)argc;
  (void)argv;

  units_x100 = instret_units_x100();
  printf("faultbench: hart %d at start, %d pages per kind, timebase %d Hz\n",
         hartid(), BENCH_PAGES, (int)TIMEBASE_HZ);
  printf("faultbench: instret advances %d.%02d per instruction (calibrated); "
         "instruction counts are exact only with DETERMINISTIC=1\n",
         (int)(units_x100 / 100), (int)(units_x100 % 100));

  /* Start the heap on a page boundary so every touch is a fresh page. */
  char *cur = sbrk(0);
  long align = (long)(PGROUNDUP((uint64)cur) - (uint64)cur);
  if (cur == (char *)-1 || sbrk(align) == (char *)-1) {
    printf("faultbench: sbrk failed\n");
    return 1;
  }
  char *heap = sbrk(BENCH_PAGES * PGSIZE);
  if (heap == (char *)-1) {
    printf("faultbench: sbrk of %d pages failed\n", BENCH_PAGES);
    return 1;
  }
  bench("heap", heap);

  char *area = mmap(0, BENCH_PAGES * PGSIZE, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS);
  if (area == MAP_FAILED) {
    printf("faultbench: mmap of %d pages failed\n", BENCH_PAGES);
    return 1;
  }
  bench("mmap", area);
  if (munmap(area, BENCH_PAGES * PGSIZE) != 0) {
    printf("faultbench: munmap failed\n");
    return 1;
  }

  printf("faultbench: hart %d at end\n", hartid());
  return 0;
}
