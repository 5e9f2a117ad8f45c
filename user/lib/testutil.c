/*
 * testutil.c: helpers the user test programs share (see user.h): reaping
 * children, running an access in a child that must be killed, the
 * addresses no system call may write, and exact page accounting from
 * memstat snapshots, anonymous mmap and munmap that must work or fail,
 * and tags that show whether a page kept its data. Whatever checks
 * something fails the running case through utest_fail, so these are for
 * use inside a case.
 */
#include "user.h"

#define MAX_NEW_PGTBL 2   /* a first touch may need a level-1 and a level-0 table */
#define MAP_FLAGS (MAP_PRIVATE | MAP_ANONYMOUS)
#define PARENT_SALT 0x5a5a0000aaaa5555ULL

int main(int argc, char **argv);

uint64
utest_opaque(uint64 a)
{
  asm volatile("" : "+r"(a));
  return a;
}

int
utest_reap(int pid)
{
  int status = 0;
  int got = wait(&status);

  CHECK(got == pid, "wait returned %d, expected child %d", got, pid);
  return status;
}

int
utest_fork_exit(int status)
{
  int pid = fork();

  CHECK(pid >= 0, "fork failed");
  if (pid == 0)
    exit(status);
  return pid;
}

int
utest_fork_counted(void)
{
  int quiet[2], done[2];
  char c = 'q';

  CHECK(pipe(quiet) == 0 && pipe(done) == 0, "pipe failed");
  int pid = fork();
  CHECK(pid >= 0, "fork failed");
  if (pid == 0) {
    /* done[1] stays open until the child exits. */
    close(done[0]);
    CHECK(read(quiet[0], &c, 1) == 1, "the parent never said it was quiet");
    return 0;
  }
  /* Everything below runs in this frame, whose page the stores after fork
   * have made the parent's own already: no break is left in flight. */
  close(done[1]);
  write(quiet[1], &c, 1);
  read(done[0], &c, 1);        /* end of file: the child has exited */
  close(done[0]);
  close(quiet[0]);
  close(quiet[1]);
  return pid;
}

void
utest_expect_killed(void (*fn)(void *), void *arg, const char *what)
{
  int pid = fork();

  CHECK(pid >= 0, "fork failed");
  if (pid == 0) {
    fn(arg);
    exit(UTEST_SURVIVED);
  }
  int st = utest_reap(pid);
  CHECK(st == UTEST_KILLED, "%s: child status %d, expected %d (killed)%s",
        what, st, UTEST_KILLED, st == UTEST_SURVIVED ? ": it survived" : "");
}

char
utest_load(uint64 va)
{
  return *(volatile char *)utest_opaque(va);
}

void
utest_store(uint64 va, char c)
{
  *(volatile char *)utest_opaque(va) = c;
}

struct access {
  uint64 va;
  enum utest_access how;
};

static void
access_now(void *arg)
{
  struct access *a = arg;

  switch (a->how) {
  case UTEST_LOAD:
    (void)utest_load(a->va);
    break;
  case UTEST_STORE:
    utest_store(a->va, 1);
    break;
  case UTEST_JUMP:
    ((void (*)(void))utest_opaque(a->va))();
    break;
  }
}

void
utest_expect_access_kills(uint64 va, enum utest_access how, const char *what)
{
  struct access a = { va, how };   /* the child's copy of the stack has it */

  utest_expect_killed(access_now, &a, what);
}

const struct utest_addr utest_unwritable[UTEST_NUNWRITABLE] = {
  { "NULL", 0 },
  { "own text", (uint64)main },   /* mapped read+execute, never writable */
  { "TRAPFRAME", TRAPFRAME },
  { "beyond VA_MAX", VA_MAX + PGSIZE },
};

void
utest_snap(struct memstat *m)
{
  CHECK(memstat(m) == 0, "memstat failed");
}

int
utest_user_pages(const struct memstat *m)
{
  return (int)m->pages_by_kind[PMEM_USER];
}

static int
pgtbl_pages(const struct memstat *m)
{
  return (int)m->pages_by_kind[PMEM_PGTBL];
}

void
utest_expect_cost(const struct memstat *a, const struct memstat *b, int user,
                  const char *what)
{
  int du = utest_user_pages(b) - utest_user_pages(a);
  int dt = pgtbl_pages(b) - pgtbl_pages(a);
  int used = (int)(a->pages_free - b->pages_free);

  CHECK(du == user, "%s: %d user pages allocated, expected %d", what, du, user);
  CHECK(dt >= 0 && dt <= (user > 0 ? MAX_NEW_PGTBL : 0),
        "%s: page tables grew by %d", what, dt);
  CHECK(used == du + dt, "%s: %d pages left the free list for %d user and "
        "%d page-table pages", what, used, du, dt);
}

void
utest_expect_same(const struct memstat *a, const struct memstat *b,
                  const char *what)
{
  CHECK(a->pages_free == b->pages_free &&
        utest_user_pages(a) == utest_user_pages(b) &&
        pgtbl_pages(a) == pgtbl_pages(b) && a->nodes_free == b->nodes_free,
        "%s: pages_free %d -> %d, user %d -> %d, pgtbl %d -> %d, "
        "nodes_free %d -> %d", what, (int)a->pages_free, (int)b->pages_free,
        utest_user_pages(a), utest_user_pages(b), pgtbl_pages(a),
        pgtbl_pages(b), (int)a->nodes_free, (int)b->nodes_free);
}

uint64
utest_heap_fresh(uint64 npages)
{
  uint64 cur = (uint64)sbrk(0);
  uint64 base = PGROUNDUP(cur);
  uint64 got = (uint64)sbrk((long)(base + npages * PGSIZE - cur));

  CHECK(got == cur, "sbrk for %d pages returned %p, break was %p",
        (int)npages, (void *)got, (void *)cur);
  return base;
}

void *
utest_map(uint64 va, uint64 len, int prot)
{
  return mmap((void *)va, len, prot, MAP_FLAGS);
}

void
utest_map_at(uint64 va, uint64 npages, int prot)
{
  void *p = utest_map(va, npages * PGSIZE, prot);

  CHECK((uint64)p == va, "mmap of %d pages at %p (prot %d) returned %p",
        (int)npages, (void *)va, prot, p);
}

void
utest_expect_map_fails(uint64 va, uint64 len, int prot, int flags,
                       const char *what)
{
  struct memstat a, b;

  utest_snap(&a);
  void *p = mmap((void *)va, len, prot, flags);
  utest_snap(&b);
  CHECK(p == MAP_FAILED, "mmap %s returned %p, expected MAP_FAILED", what, p);
  utest_expect_same(&a, &b, what);
}

void
utest_unmap(uint64 va, uint64 npages)
{
  CHECK(munmap((void *)va, npages * PGSIZE) == 0, "munmap of %d pages at %p "
        "failed", (int)npages, (void *)va);
}

uint64
utest_tag_of(uint64 page)
{
  return page ^ PARENT_SALT;
}

void
utest_put_tag(uint64 page, uint64 tag)
{
  volatile uint64 *w = (volatile uint64 *)utest_opaque(page);

  w[0] = tag;
  w[PGSIZE / sizeof(uint64) - 1] = ~tag;
}

int
utest_has_tag(uint64 page, uint64 tag)
{
  volatile uint64 *w = (volatile uint64 *)utest_opaque(page);

  return w[0] == tag && w[PGSIZE / sizeof(uint64) - 1] == ~tag;
}

int
utest_page_is_zero(uint64 page)
{
  volatile uint64 *w = (volatile uint64 *)utest_opaque(page);

  for (uint64 i = 0; i < PGSIZE / sizeof(uint64); i++)
    if (w[i] != 0)
      return 0;
  return 1;
}

extern char __data_start[], __image_end[];

void
utest_own_pages(void)
{
  uint64 sp;

  /* An atomic add of 0 is a store (it breaks the sharing) that cannot undo
   * a sibling thread's store to the same word. */
  asm volatile("mv %0, sp" : "=r"(sp));
  for (uint64 a = (uint64)__data_start; a < (uint64)__image_end; a += PGSIZE)
    __atomic_fetch_add((uint64 *)a, 0, __ATOMIC_RELAXED);
  for (uint64 a = PGROUNDDOWN(sp); a < STACK_TOP; a += PGSIZE)
    __atomic_fetch_add((uint64 *)a, 0, __ATOMIC_RELAXED);
}
