/*
 * mmapdemo.c: a walk-through of mmap and munmap for learners. Each step
 * prints a heading, does one thing, prints what the call returned and how
 * many region nodes the pool has left, then vmprint() shows the process's
 * region list and page table: lazy pages are absent until touched, equal
 * neighbours merge into one region, munmap of a middle part splits one,
 * and a munmap over an unmapped page fails and changes nothing.
 */
#include "user.h"

#define RW (PROT_READ | PROT_WRITE)
#define MAP_FLAGS (MAP_PRIVATE | MAP_ANONYMOUS)

static int step;

static void
heading(const char *what)
{
  printf("\n== step %d: %s\n", ++step, what);
}

/* Prints how many region nodes are free, then the address space. */
static void
show(void)
{
  struct memstat m;

  if (memstat(&m) == 0)
    printf("region nodes free: %d of %d\n", (int)m.nodes_free,
           (int)m.nodes_total);
  vmprint();
}

static char *
page(char *base, int i)
{
  return base + i * PGSIZE;
}

int
main(int argc, char **argv)
{
  (void)argc;
  (void)argv;

  heading("mmap 4 pages RW at address 0: the kernel picks the lowest free "
          "range (first fit)");
  char *a = mmap(0, 4 * PGSIZE, RW, MAP_FLAGS);
  printf("mmap(0, 4 pages, RW) = %p (MMAP_BEGIN is %p)\n", a,
         (void *)MMAP_BEGIN);
  if (a == MAP_FAILED) {
    printf("mmapdemo: mmap failed, nothing to show\n");
    return 1;
  }
  printf("one region, but no page yet: mmap is lazy\n");
  show();

  heading("touch pages 0 and 2: each first touch faults in one page");
  page(a, 0)[0] = 'A';
  page(a, 2)[0] = 'C';
  printf("wrote '%c' to page 0 and '%c' to page 2; pages 1 and 3 stay "
         "unmapped\n", page(a, 0)[0], page(a, 2)[0]);
  show();

  heading("mmap 2 more pages RW right after: equal prot, so they merge");
  char *b = mmap(page(a, 4), 2 * PGSIZE, RW, MAP_FLAGS);
  printf("mmap(%p, 2 pages, RW) = %p\n", page(a, 4), b);
  printf("still one region (6 pages), still one node\n");
  show();

  heading("mmap 2 pages READ at a fixed address, leaving a 2-page gap");
  char *c = mmap(page(a, 8), 2 * PGSIZE, PROT_READ, MAP_FLAGS);
  printf("mmap(%p, 2 pages, READ) = %p\n", page(a, 8), c);
  printf("two regions now: pages 0..5 RW, gap 6..7, pages 8..9 READ\n");
  show();

  heading("munmap pages 2..3, the middle of the first region: it splits");
  int rc = munmap(page(a, 2), 2 * PGSIZE);
  printf("munmap(%p, 2 pages) = %d\n", page(a, 2), rc);
  printf("pages 0..1 and 4..5 are two regions now (one node more); page 2's "
         "memory went back to the free list\n");
  show();

  heading("munmap pages 4..8: pages 6..7 are not mapped, so it fails");
  rc = munmap(page(a, 4), 5 * PGSIZE);
  printf("munmap(%p, 5 pages) = %d (nothing changed)\n", page(a, 4), rc);
  show();

  heading("munmap everything that is left");
  printf("munmap(%p, 2 pages) = %d\n", page(a, 0), munmap(page(a, 0), 2 * PGSIZE));
  printf("munmap(%p, 2 pages) = %d\n", page(a, 4), munmap(page(a, 4), 2 * PGSIZE));
  printf("munmap(%p, 2 pages) = %d\n", page(a, 8), munmap(page(a, 8), 2 * PGSIZE));
  printf("no regions left; every node is back in the pool\n");
  show();
  return 0;
}
