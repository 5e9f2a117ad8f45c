/*
 * gdbprobe.c: a fixed address space for the gdb helpers' test
 * (tests/gdb-harts.sh). It maps three regions with different protections,
 * touches some of their pages, grows the heap, forks a child that blocks
 * reading a pipe (so its pages and the parent's are shared copy-on-write),
 * clones two threads that block reading another pipe, prints its
 * memstat on one line, then calls vmprint(). gdb stops in the kernel's
 * sys_vmprint, when the kernel's state is exactly what the memstat line
 * says, and checks its helpers (pmem, mmpool, regions, vmprint) against
 * this output, and `procs` and `uvm` against the threads and the child it
 * names: three process-table entries sharing one address space, which the
 * kernel's vmprint output says has three references, and a child with a
 * space of its own whose pages are the parent's (pages_shared, the PTEs
 * vmprint marks " cow"). Then it wakes the threads and the child, joins
 * and waits for them and exits 0.
 *
 * It prints, each on one line:
 *   gdbprobe: threads T1 T2 share pid N's address space
 *   gdbprobe: child C of pid N shares its pages copy-on-write
 *   gdbprobe: pid N memstat pages_total N pages_free N nodes_total N
 *   nodes_free N pages_shared N free N pgtbl N user N kstack N trapframe N
 *   pipe N other N
 * The memstat line's words are the ones the gdb `pmem` and `mmpool`
 * commands print, so the test compares them name by name.
 */
#include "user.h"

#define MAP_FLAGS (MAP_PRIVATE | MAP_ANONYMOUS)

#define NTHREADS 2

static const char *const kind_names[] = PMEM_KIND_NAMES;

/* The threads' stacks live in .bss, mapped at exec: they take no lazy
 * fault of their own. Shared with the child, each is copied (or taken
 * back) by its thread's first store, before the thread says it runs, so
 * memstat's counts stay put while the threads go on into read(). */
static char stacks[NTHREADS][PGSIZE] __attribute__((aligned(16)));
static int ready[2];     /* each thread writes one byte here once running */
static int wake[2];      /* ... then blocks reading one byte from here */
static int cwake[2];     /* the child blocks reading one byte from here */

/* Reads one byte the compiler may not drop: a read fault maps the page. */
static void
touch_read(char *p)
{
  volatile char *v = p;
  (void)*v;
}

/* A thread: says it runs, then sleeps in read until main wakes it, so at
 * the breakpoint it still holds its reference to the shared space. Its
 * file table is a copy of main's, taken at clone, so the fds are its own. */
static void
waiter(void *arg)
{
  char c = 'r';

  (void)arg;
  if (write(ready[1], &c, 1) != 1 || read(wake[0], &c, 1) != 1)
    exit(1);
}

/* The forked child: says it runs, from a byte of its own stack (the
 * store copies that page, before the parent's snapshot), then sleeps in
 * read, writing nothing more, until the parent wakes it. */
static void
child(void)
{
  char c = 'c';

  if (write(ready[1], &c, 1) != 1 || read(cwake[0], &c, 1) != 1)
    exit(1);
  exit(0);
}

static void
format_memstat(char *line, int size, const struct memstat *m)
{
  int n = snprintf(line, size,
                   "gdbprobe: pid %d memstat pages_total %d pages_free %d "
                   "nodes_total %d nodes_free %d pages_shared %d",
                   getpid(), (int)m->pages_total, (int)m->pages_free,
                   (int)m->nodes_total, (int)m->nodes_free,
                   (int)m->pages_shared);
  for (int k = 0; k < PMEM_NKINDS && n < size; k++)
    n += snprintf(line + n, size - n, " %s %d", kind_names[k],
                  (int)m->pages_by_kind[k]);
}

int
main(int argc, char **argv)
{
  (void)argc;
  (void)argv;

  /* Three regions, no two mergeable: 4 pages RW, a gap, 2 pages R,
   * 1 page R+X right after it (a different prot does not merge). */
  char *rw = mmap(0, 4 * PGSIZE, PROT_READ | PROT_WRITE, MAP_FLAGS);
  if (rw == MAP_FAILED)
    return 1;
  char *ro = mmap(rw + 6 * PGSIZE, 2 * PGSIZE, PROT_READ, MAP_FLAGS);
  char *rx = mmap(rw + 8 * PGSIZE, PGSIZE, PROT_READ | PROT_EXEC, MAP_FLAGS);
  if (ro == MAP_FAILED || rx == MAP_FAILED)
    return 1;
  rw[0] = 'a';                  /* pages 0 and 2 of rw: two lazy faults */
  rw[2 * PGSIZE] = 'c';
  touch_read(ro + PGSIZE);      /* the second page of ro only */
  touch_read(rx);

  /* The heap: three pages more, the first two touched. */
  char *heap = sbrk(3 * PGSIZE);
  if (heap == (char *)-1)
    return 1;
  heap[0] = 'h';
  heap[PGSIZE] = 'h';

  int tids[NTHREADS];
  char c;
  if (pipe(ready) != 0 || pipe(wake) != 0 || pipe(cwake) != 0)
    return 1;

  /* A child sharing every page: writable ones become copy-on-write in
   * both tables. Forked before the threads exist: a thread that was still
   * on its way into read() when fork write-protected its stack would copy
   * that page in read's check of its buffer, maybe after the snapshot.
   * The child, and each thread below, writes the page holding its byte
   * before it sends it, so no copy is left for read to make. */
  int cpid = fork();
  if (cpid < 0)
    return 1;
  if (cpid == 0)
    child();
  if (read(ready[0], &c, 1) != 1)
    return 1;

  /* Two threads, both running before the snapshot: one space shared by
   * three entries, three references. */
  for (int i = 0; i < NTHREADS; i++) {
    tids[i] = clone(waiter, 0, stacks[i] + PGSIZE);
    if (tids[i] <= 0)
      return 1;
  }
  for (int i = 0; i < NTHREADS; i++)
    if (read(ready[0], &c, 1) != 1)
      return 1;
  printf("gdbprobe: threads %d %d share pid %d's address space\n", tids[0],
         tids[1], getpid());
  printf("gdbprobe: child %d of pid %d shares its pages copy-on-write\n", cpid,
         getpid());

  /* Any stack page printf needs is faulted in (or, shared since the fork,
   * copied or taken back) before the snapshot, so nothing changes between
   * memstat and vmprint: the first pass writes every page the second
   * one does. */
  printf("gdbprobe: regions at %p, %p, %p; heap at %p\n", rw, ro, rx, heap);
  struct memstat m;
  char line[320];
  for (int pass = 0; pass < 2; pass++) {
    if (memstat(&m) != 0)
      return 1;
    format_memstat(line, sizeof(line), &m);
  }
  printf("%s\n", line);
  vmprint();

  /* Wake the threads, one byte each, then join them; each must end with
   * status 0. (Either thread may take either byte: joining one before the
   * second byte is written could wait forever for the other.) */
  c = 'w';
  for (int i = 0; i < NTHREADS; i++)
    if (write(wake[1], &c, 1) != 1)
      return 1;
  for (int i = 0; i < NTHREADS; i++) {
    int status = -1;
    if (join(tids[i], &status) != tids[i] || status != 0)
      return 1;
  }
  /* Wake the child; it must end with status 0 too. */
  int status = -1;
  c = 'w';
  if (write(cwake[1], &c, 1) != 1 || wait(&status) != cpid || status != 0)
    return 1;
  return 0;
}
