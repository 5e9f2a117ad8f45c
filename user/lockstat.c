/*
 * lockstat.c: the kernel's lock statistics (uapi/lockstat.h), one line per
 * lock class, the most contended first.
 *
 * Usage: lockstat                   the counters since boot
 *        lockstat PROGRAM ARGS...   runs the program, waits for it, and
 *                                   prints what the locks did meanwhile
 *                                   (the other processes' work included);
 *                                   exits with the program's status
 *
 * Columns: acquires, how many of them found the lock held (contended), the
 * turns of the wait loop (spins), and spins per acquire to two places. A
 * class is every lock of one name: "uvm" is the locks of all address
 * spaces, "proc" of all process slots.
 */
#include "user.h"

static struct lockstat before[LOCKSTAT_CLASSES], after[LOCKSTAT_CLASSES];

static int
snap(struct lockstat *s)
{
  int n = lockstat(s, LOCKSTAT_CLASSES);

  if (n < 0) {
    fprintf(2, "lockstat: the lockstat system call failed\n");
    exit(1);
  }
  return n < LOCKSTAT_CLASSES ? n : LOCKSTAT_CLASSES;
}

/* after[i] minus its class's entry in before (matched by name: classes
 * are only ever added, but match anyway). */
static void
subtract(int nafter, int nbefore)
{
  for (int i = 0; i < nafter; i++)
    for (int j = 0; j < nbefore; j++)
      if (strcmp(after[i].name, before[j].name) == 0) {
        after[i].acquires -= before[j].acquires;
        after[i].contended -= before[j].contended;
        after[i].spins -= before[j].spins;
        break;
      }
}

/* 1 if a should print before b: more spins, then more acquires. */
static int
ahead(const struct lockstat *a, const struct lockstat *b)
{
  if (a->spins != b->spins)
    return a->spins > b->spins;
  return a->acquires > b->acquires;
}

static void
print_table(int n)
{
  for (int i = 1; i < n; i++)             /* insertion sort: a few dozen */
    for (int j = i; j > 0 && ahead(&after[j], &after[j - 1]); j--) {
      struct lockstat t = after[j];
      after[j] = after[j - 1];
      after[j - 1] = t;
    }
  printf("%-12s %12s %10s %12s %14s\n", "lock", "acquires", "contended", "spins",
         "spins/acquire");
  for (int i = 0; i < n; i++) {
    const struct lockstat *s = &after[i];
    if (s->acquires == 0)
      continue;
    uint64 x100 = s->spins * 100 / s->acquires;
    printf("%-12s %12d %10d %12d %11d.%d%d\n", s->name, (int)s->acquires,
           (int)s->contended, (int)s->spins, (int)(x100 / 100), (int)(x100 / 10 % 10),
           (int)(x100 % 10));
  }
}

int
main(int argc, char **argv)
{
  int nbefore = snap(before), status = 0;

  if (argc > 1) {
    int pid = fork();
    if (pid < 0) {
      fprintf(2, "lockstat: fork failed\n");
      exit(1);
    }
    if (pid == 0) {
      exec(argv[1], argv + 1);
      fprintf(2, "lockstat: %s: no such program (or bad arguments)\n", argv[1]);
      exit(127);
    }
    if (wait(&status) != pid)
      status = 1;
    printf("lockstat: during %s:\n", argv[1]);
  } else {
    nbefore = 0;
    printf("lockstat: since boot:\n");
  }
  int nafter = snap(after);
  subtract(nafter, nbefore);
  print_table(nafter);
  exit(status);
}
