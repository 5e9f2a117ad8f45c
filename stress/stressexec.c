/*
 * stressexec.c: what stress workers exec. It checks the arguments it was
 * given, builds a small heap and a region of its own, touches and checks
 * them, and at depth 0 sometimes execs itself once more; then it exits 0.
 * A wrong argument or a wrong value exits 1 with a failure line.
 */
#include "lib/stress.h"

int
main(int argc, char **argv)
{
  if (argc != 3)
    stress_fail(0, "stressexec: %d arguments, expected 3", argc);
  uint64 seed = (uint64)atoi(argv[1]);
  int depth = atoi(argv[2]);

  char *heap = sbrk(4 * PGSIZE);
  char *map = mmap(0, 4 * PGSIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
  if (heap == (char *)-1 || map == MAP_FAILED)
    exit(0);   /* memory is short under stress: not an error */
  uint64 heap_page = PGROUNDUP((uint64)heap);
  stress_fill_page(seed, heap_page, 3);
  stress_fill_page(seed, (uint64)map + PGSIZE, 3);
  if (stress_check_page(seed, heap_page, 3) ||
      stress_check_page(seed, (uint64)map + PGSIZE, 3))
    stress_fail(seed, "stressexec: a page lost its pattern");
  if (depth == 0 && seed % 2 == 0) {
    char *again[] = { "stressexec", argv[1], "1", 0 };
    exec("stressexec", again);
  }
  return 0;
}
