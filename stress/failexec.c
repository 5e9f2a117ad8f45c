/*
 * failexec.c: the exec target of failsweep. failsweep's runner arms
 * failure injection at N and execs this; the setting survives exec, so
 * here the count of allocations made so far (exec's own included) tells
 * whether the Nth was reached: if it was, exec should have failed.
 *
 *   failexec N     exits 10 if fewer than N allocations were counted, else 12
 */
#include "user.h"

int
main(int argc, char **argv)
{
  int counted = failinject(0, 0, 0, 0);

  if (argc != 2)
    return 12;
  return counted < atoi(argv[1]) ? 10 : 12;
}
