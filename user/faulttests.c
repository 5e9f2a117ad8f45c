/*
 * faulttests.c: user tests for what a process must not get away with. Bad
 * fds and bad pointers handed to system calls make the call fail with -1
 * and change nothing; a faulting access (NULL, the trapframe, kernel RAM,
 * the stack guard, its own text, beyond VA_MAX, a jump to 0) kills only
 * the process that made it, and wait sees -1. Every case runs in its own
 * child (user/lib/utest.c); a fault runs in a grandchild, so the case lives
 * to check its status. Children always end with exit(), never by returning.
 */
#include "user.h"

#define KERNEL_RAM 0x80000000UL /* virt RAM base: the kernel's, never user */
#define OWN_TEXT ((uint64)main) /* mapped read+execute, never writable */

int main(int argc, char **argv);

/* ---- bad arguments to system calls: -1, and nothing changed ---- */

static void
read_write_close_reject_bad_fds(void)
{
  char c = 'x';

  CHECK(read(-1, &c, 1) == -1, "read(-1) worked");
  CHECK(read(1000, &c, 1) == -1, "read(1000) worked");
  CHECK(write(-1, &c, 1) == -1, "write(-1) worked");
  CHECK(write(1000, &c, 1) == -1, "write(1000) worked");
  CHECK(close(-1) == -1, "close(-1) worked");
  CHECK(close(1000) == -1, "close(1000) worked");

  int p[2];
  CHECK(pipe(p) == 0, "pipe failed");
  CHECK(close(p[0]) == 0 && close(p[1]) == 0, "close of a pipe failed");
  CHECK(close(p[0]) == -1, "second close of fd %d worked", p[0]);
  CHECK(read(p[0], &c, 1) == -1, "read of closed fd %d worked", p[0]);
}

static void
write_rejects_bad_buffers(void)
{
  int p[2];
  char c = 0;

  CHECK(write(1, (void *)0, 10) == -1, "write from NULL worked");
  CHECK(write(1, (void *)TRAPFRAME, 8) == -1, "write from TRAPFRAME worked");
  CHECK(write(1, (void *)TRAMPOLINE, 8) == -1, "write from TRAMPOLINE worked");
  CHECK(write(1, (void *)KERNEL_RAM, 8) == -1, "write from kernel RAM worked");
  CHECK(write(1, (void *)(VA_MAX + PGSIZE), 8) == -1,
        "write from beyond VA_MAX worked");
  CHECK(write(1, (void *)-PGSIZE, 8) == -1, "write from the top of the "
        "address space worked");

  /* Starts on the mapped stack top, ends in the trapframe: it fails as a
   * whole, so not even its first bytes may reach the pipe. */
  CHECK(pipe(p) == 0, "pipe failed");
  CHECK(write(p[1], (void *)(TRAPFRAME - 4), 8) == -1,
        "write straddling into TRAPFRAME worked");
  CHECK(write(p[1], "m", 1) == 1, "write to pipe failed");
  CHECK(read(p[0], &c, 1) == 1 && c == 'm',
        "failed write left bytes in the pipe (read '%c')", c);
  close(p[0]);
  close(p[1]);
}

static void
read_rejects_bad_or_unwritable_buffers(void)
{
  int p[2];

  CHECK(pipe(p) == 0, "pipe failed");
  for (unsigned i = 0; i < NELEM(utest_unwritable); i++) {
    /* Fresh data each time: with the pipe empty read would block before
     * looking at the buffer, and a failed read may have taken the data. */
    CHECK(write(p[1], "abcd", 4) == 4, "write to pipe failed");
    CHECK(read(p[0], (void *)utest_unwritable[i].va, 4) == -1,
          "read into %s worked", utest_unwritable[i].what);
  }
  close(p[0]);
  close(p[1]);
}

static void
wait_rejects_bad_status_pointer(void)
{
  int p[2];
  char c;

  CHECK(pipe(p) == 0, "pipe failed");
  int pid = fork();
  CHECK(pid >= 0, "fork failed");
  if (pid == 0)
    exit(42);
  /* EOF means the child has exited (or is about to): wait has a zombie to
   * report, so a kernel that checks the pointer late cannot block here. */
  close(p[1]);
  CHECK(read(p[0], &c, 1) == 0, "pipe not at EOF");
  close(p[0]);
  CHECK(wait((int *)1) == -1, "wait into address 1 worked");
  CHECK(wait((int *)TRAPFRAME) == -1, "wait into TRAPFRAME worked");
  CHECK(wait((int *)OWN_TEXT) == -1, "wait into own text worked");
  int st = utest_reap(pid);
  CHECK(st == 42, "child's status %d after failed waits, expected 42", st);
}

/* A status word that starts on a writable page and ends on an unmapped or
 * read-only one: wait fails and writes no byte of it. */
static void
wait_with_a_straddling_status_writes_nothing(void)
{
  uint64 base = (uint64)utest_map(0, 2 * PGSIZE, PROT_READ | PROT_WRITE);
  CHECK(base != (uint64)MAP_FAILED, "mmap failed");
  int pid = utest_fork_exit(42);
  volatile unsigned char *edge = (unsigned char *)(base + PGSIZE - 2);

  for (int second = 0; second < 2; second++) {
    /* First the second page unmapped, then mapped read-only. */
    utest_unmap(base + PGSIZE, 1);
    if (second)
      utest_map_at(base + PGSIZE, 1, PROT_READ);
    edge[0] = 0x5a;
    edge[1] = 0xa5;
    CHECK(wait((int *)edge) == -1, "wait into a status straddling into %s page "
          "worked", second ? "a read-only" : "an unmapped");
    CHECK(edge[0] == 0x5a && edge[1] == 0xa5, "the failed wait wrote %02x %02x "
          "into the first page", edge[0], edge[1]);
    if (second)
      utest_unmap(base + PGSIZE, 1);
    else
      utest_map_at(base + PGSIZE, 1, PROT_READ | PROT_WRITE);
  }
  CHECK(utest_reap(pid) == 42, "the child was lost by the failed waits");
  utest_unmap(base, 1);
}

static void
pipe_rejects_bad_fd_array(void)
{
  int p[2];

  CHECK(pipe(p) == 0, "pipe failed");
  int fd0 = p[0], fd1 = p[1];
  close(fd0);
  close(fd1);
  CHECK(pipe((int *)0) == -1, "pipe into NULL worked");
  CHECK(pipe((int *)TRAPFRAME) == -1, "pipe into TRAPFRAME worked");
  CHECK(pipe((int *)OWN_TEXT) == -1, "pipe into own text worked");
  /* fds[0] fits below the trapframe, fds[1] does not. */
  CHECK(pipe((int *)(TRAPFRAME - sizeof(int))) == -1,
        "pipe straddling into TRAPFRAME worked");
  /* Lowest free fds first: the same two again if the failures kept none. */
  CHECK(pipe(p) == 0, "pipe after failures failed");
  CHECK(p[0] == fd0 && p[1] == fd1, "failed pipes kept fds: got %d,%d, "
        "expected %d,%d", p[0], p[1], fd0, fd1);
  close(p[0]);
  close(p[1]);
}

static void
exec_rejects_bad_pointers(void)
{
  char *argv[] = { "argecho", 0 };
  char *bad_element[] = { "argecho", (char *)1, 0 };

  CHECK(exec((char *)0, argv) == -1, "exec of NULL path worked");
  CHECK(exec((char *)TRAPFRAME, argv) == -1, "exec of TRAPFRAME path worked");
  CHECK(exec("argecho", (char **)1) == -1, "exec with argv 1 worked");
  CHECK(exec("argecho", (char **)TRAPFRAME) == -1,
        "exec with argv in TRAPFRAME worked");
  CHECK(exec("argecho", bad_element) == -1, "exec with argv[1] = 1 worked");
  CHECK(utest_reap(utest_fork_exit(0)) == 0,
        "fork after failed exec did not work");
}

/* ---- faults kill only the faulting process ---- */

enum fault {
  LOAD_NULL,
  STORE_NULL,
  LOAD_TRAPFRAME,
  STORE_KERNEL_RAM,
  LOAD_STACK_GUARD,
  STORE_OWN_TEXT,
  JUMP_NULL,
  LOAD_BEYOND_VA_MAX,
};

static void
fault_now(void *arg)
{
  switch (*(enum fault *)arg) {
  case LOAD_NULL:
    (void)*(volatile int *)utest_opaque(0);
    break;
  case STORE_NULL:
    *(volatile int *)utest_opaque(0) = 1;
    break;
  case LOAD_TRAPFRAME:
    (void)*(volatile uint64 *)utest_opaque(TRAPFRAME);
    break;
  case STORE_KERNEL_RAM:
    *(volatile int *)utest_opaque(KERNEL_RAM) = 1;
    break;
  case LOAD_STACK_GUARD:
    (void)*(volatile char *)utest_opaque(STACK_GUARD);
    break;
  case STORE_OWN_TEXT:
    *(volatile int *)utest_opaque(OWN_TEXT) = 0;
    break;
  case JUMP_NULL:
    ((void (*)(void))utest_opaque(0))();
    break;
  case LOAD_BEYOND_VA_MAX:
    (void)*(volatile char *)utest_opaque(VA_MAX + PGSIZE);
    break;
  }
}

static void
expect_fault_kills_child(enum fault f, const char *what)
{
  utest_expect_killed(fault_now, &f, what);
}

static void
load_from_null_kills_only_the_child(void)
{
  expect_fault_kills_child(LOAD_NULL, "load from 0");
}

static void
store_to_null_kills_only_the_child(void)
{
  expect_fault_kills_child(STORE_NULL, "store to 0");
}

static void
load_from_trapframe_kills_only_the_child(void)
{
  expect_fault_kills_child(LOAD_TRAPFRAME, "load from TRAPFRAME");
}

static void
store_to_kernel_ram_kills_only_the_child(void)
{
  expect_fault_kills_child(STORE_KERNEL_RAM, "store to 0x80000000");
}

static void
load_from_stack_guard_kills_only_the_child(void)
{
  expect_fault_kills_child(LOAD_STACK_GUARD, "load from STACK_GUARD");
}

static void
store_to_own_text_kills_only_the_child(void)
{
  expect_fault_kills_child(STORE_OWN_TEXT, "store to own text");
}

static void
jump_to_null_kills_only_the_child(void)
{
  expect_fault_kills_child(JUMP_NULL, "jump to 0");
}

static void
load_beyond_va_max_kills_only_the_child(void)
{
  expect_fault_kills_child(LOAD_BEYOND_VA_MAX, "load from VA_MAX + PGSIZE");
}

int
main(int argc, char **argv)
{
  static const struct utest cases[] = {
    { "read_write_close_reject_bad_fds", read_write_close_reject_bad_fds },
    { "write_rejects_bad_buffers", write_rejects_bad_buffers },
    { "read_rejects_bad_or_unwritable_buffers",
      read_rejects_bad_or_unwritable_buffers },
    { "wait_rejects_bad_status_pointer", wait_rejects_bad_status_pointer },
    { "wait_with_a_straddling_status_writes_nothing",
      wait_with_a_straddling_status_writes_nothing },
    { "pipe_rejects_bad_fd_array", pipe_rejects_bad_fd_array },
    { "exec_rejects_bad_pointers", exec_rejects_bad_pointers },
    { "load_from_null_kills_only_the_child",
      load_from_null_kills_only_the_child },
    { "store_to_null_kills_only_the_child",
      store_to_null_kills_only_the_child },
    { "load_from_trapframe_kills_only_the_child",
      load_from_trapframe_kills_only_the_child },
    { "store_to_kernel_ram_kills_only_the_child",
      store_to_kernel_ram_kills_only_the_child },
    { "load_from_stack_guard_kills_only_the_child",
      load_from_stack_guard_kills_only_the_child },
    { "store_to_own_text_kills_only_the_child",
      store_to_own_text_kills_only_the_child },
    { "jump_to_null_kills_only_the_child", jump_to_null_kills_only_the_child },
    { "load_beyond_va_max_kills_only_the_child",
      load_beyond_va_max_kills_only_the_child },
  };

  (void)argc;
  (void)argv;
  return utest_run(cases, NELEM(cases));
}
