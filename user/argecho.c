/*
 * argecho.c: the exec target of proctests. There is no dup and no file
 * system, so it reports what exec delivered through its exit status: a
 * checksum of its arguments, (argc + the sum of every byte of every argv
 * string) % 256. proctests computes the same sum over the argv it passed.
 */
#include "user.h"

/* Outside the checksum's 0..255, so it cannot pass for a right answer. */
#define ARGV_NOT_TERMINATED 256

int
main(int argc, char **argv)
{
  unsigned sum = argc;

  if (argv[argc] != 0)
    return ARGV_NOT_TERMINATED;
  for (int i = 0; i < argc; i++)
    for (const char *s = argv[i]; *s; s++)
      sum += (unsigned char)*s;
  return sum % 256;
}
