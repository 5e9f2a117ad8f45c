/*
 * sleep.c: `sleep SECONDS`: waits that long and exits 0; something to run
 * from the shell and interrupt with ^C.
 */
#include "user.h"

#define TICKS_PER_SECOND 100

int
main(int argc, char **argv)
{
  if (argc != 2 || atoi(argv[1]) < 0) {
    fprintf(2, "usage: sleep SECONDS\n");
    return 2;
  }
  return sleep(atoi(argv[1]) * TICKS_PER_SECOND) == 0 ? 0 : 1;
}
