/*
 * pipetests.c: user tests for pipes: 64 KiB pass intact in either direction
 * through writes and reads of mixed sizes, a reader sees EOF once every
 * writer has closed, a write with no reader left fails (also one blocked
 * on a full pipe), a read that fails on a bad buffer leaves the data in
 * the pipe, and a read takes all the pipe holds up to its count. Every case runs in its own child (user/lib/utest.c) and
 * reaps every process it makes; children end with exit(), never by
 * returning.
 */
#include "user.h"

#define PIPE_TOTAL (64 * 1024)
#define CHUNK_MAX (2 * PGSIZE + 1) /* more than a page-sized pipe holds */

/* ---- pipes ---- */

/* Write and read sizes differ and include sizes above a page, so pieces
 * straddle the pipe buffer's wrap point and writers must block mid-write. */
static const int send_sizes[] = { 1, 7, 512, CHUNK_MAX, PGSIZE, 100, 3, 1000 };
static const int recv_sizes[] = { PGSIZE, 13, 600, 1, CHUNK_MAX };
static char sendbuf[CHUNK_MAX], recvbuf[CHUNK_MAX];

static char
pattern(int i)
{
  return (i * 7 + 3) & 0xff;
}

/* Writes PIPE_TOTAL bytes of pattern to fd; returns 0, or -1 if a write
 * came back short. */
static int
pipe_send(int fd)
{
  for (int off = 0, k = 0; off < PIPE_TOTAL; k++) {
    int n = send_sizes[k % NELEM(send_sizes)];
    if (n > PIPE_TOTAL - off)
      n = PIPE_TOTAL - off;
    for (int i = 0; i < n; i++)
      sendbuf[i] = pattern(off + i);
    if (write(fd, sendbuf, n) != n)
      return -1;
    off += n;
  }
  return 0;
}

/* Reads fd to EOF and checks every byte against pattern; fails the case
 * with the first difference. */
static void
pipe_receive(int fd)
{
  int off = 0;

  for (int k = 0;; k++) {
    int n = read(fd, recvbuf, recv_sizes[k % NELEM(recv_sizes)]);
    CHECK(n >= 0, "read failed at offset %d", off);
    if (n == 0)
      break;
    for (int i = 0; i < n; i++)
      CHECK(recvbuf[i] == pattern(off + i), "byte %d is %d, expected %d",
            off + i, recvbuf[i] & 0xff, pattern(off + i) & 0xff);
    off += n;
    CHECK(off <= PIPE_TOTAL, "more than %d bytes came through", PIPE_TOTAL);
  }
  CHECK(off == PIPE_TOTAL, "got %d bytes, expected %d", off, PIPE_TOTAL);
}

static void
pipe_carries_64k_intact_parent_to_child(void)
{
  int p[2];

  CHECK(pipe(p) == 0, "pipe failed");
  int pid = fork();
  CHECK(pid >= 0, "fork failed");
  if (pid == 0) {
    close(p[1]);
    pipe_receive(p[0]);
    exit(0);
  }
  close(p[0]);
  int sent = pipe_send(p[1]);
  close(p[1]);
  int st = utest_reap(pid);
  CHECK(st == 0, "reader child failed (status %d)", st);
  CHECK(sent == 0, "a write to the pipe came back short");
}

static void
pipe_carries_64k_intact_child_to_parent(void)
{
  int p[2];

  CHECK(pipe(p) == 0, "pipe failed");
  int pid = fork();
  CHECK(pid >= 0, "fork failed");
  if (pid == 0) {
    close(p[0]);
    exit(pipe_send(p[1]) == 0 ? 0 : 1);
  }
  close(p[1]);
  pipe_receive(p[0]);
  close(p[0]);
  int st = utest_reap(pid);
  CHECK(st == 0, "a write in the child came back short (status %d)", st);
}

static void
pipe_read_returns_eof_after_writers_close(void)
{
  int p[2], got = 0;
  char buf[8];

  CHECK(pipe(p) == 0, "pipe failed");
  int pid = fork();
  CHECK(pid >= 0, "fork failed");
  if (pid == 0) {
    close(p[0]);
    exit(write(p[1], "abc", 3) == 3 ? 0 : 1);
  }
  close(p[1]);
  while (got < 3) {
    int n = read(p[0], buf + got, sizeof(buf) - got);
    CHECK(n > 0, "read returned %d after %d of 3 bytes", n, got);
    got += n;
  }
  CHECK(got == 3 && memcmp(buf, "abc", 3) == 0, "wrong data");
  CHECK(read(p[0], buf, sizeof(buf)) == 0, "no EOF after the writer exited");
  CHECK(read(p[0], buf, sizeof(buf)) == 0, "EOF did not last");
  close(p[0]);
  CHECK(utest_reap(pid) == 0, "writer child failed");
}

static void
pipe_write_without_reader_returns_minus_one(void)
{
  int p[2];

  CHECK(pipe(p) == 0, "pipe failed");
  close(p[0]);
  CHECK(write(p[1], "x", 1) == -1, "write to a pipe with no reader worked");
  close(p[1]);

  /* A writer blocked on a full pipe must wake when the last reader goes
   * away. The bytes it had already put in may be reported as a short
   * count; the write after that must fail. */
  CHECK(pipe(p) == 0, "pipe failed");
  int pid = fork();
  CHECK(pid >= 0, "fork failed");
  if (pid == 0) {
    close(p[0]);
    for (int i = 0; i < (int)(PIPE_TOTAL / CHUNK_MAX) + 1; i++) {
      if (write(p[1], sendbuf, CHUNK_MAX) == -1)
        exit(0);
    }
    exit(1);
  }
  close(p[1]);
  sleep(2);   /* give the child time to fill the pipe and block */
  close(p[0]);
  int st = utest_reap(pid);
  CHECK(st == 0, "writer never got -1 after the reader closed (status %d)",
        st);
}

/* ---- a failed read keeps the data ---- */

/* DESIGN.md 5: a failed call changes nothing, so the bytes a read could
 * not deliver must still be in the pipe for the next read. */
static void
failed_pipe_read_keeps_the_data(void)
{
  int p[2], got = 0;
  char buf[4 * NELEM(utest_unwritable) + 1];

  CHECK(pipe(p) == 0, "pipe failed");
  for (unsigned i = 0; i < NELEM(utest_unwritable); i++) {
    CHECK(write(p[1], "abcd", 4) == 4, "write to pipe failed");
    read(p[0], (void *)utest_unwritable[i].va, 4);
  }
  /* The marker ends the data, so collecting it never blocks. */
  CHECK(write(p[1], "Z", 1) == 1, "write to pipe failed");
  while (got == 0 || buf[got - 1] != 'Z') {
    int n = read(p[0], buf + got, sizeof(buf) - got);
    CHECK(n > 0, "read returned %d", n);
    got += n;
  }
  CHECK(got == sizeof(buf), "failed reads took %d of %d bytes from the pipe",
        (int)sizeof(buf) - got, (int)sizeof(buf) - 1);
  for (int i = 0; i + 1 < got; i++)
    CHECK(buf[i] == "abcd"[i % 4], "byte %d is '%c' after failed reads", i,
          buf[i]);
  close(p[0]);
  close(p[1]);
}

/* A read takes everything the pipe holds, up to its count, in one call. */
static void
pipe_read_takes_all_that_is_there_in_one_call(void)
{
  enum { N = 3000 };
  static char out[N], in[N + 100];
  int p[2];

  CHECK(pipe(p) == 0, "pipe failed");
  for (int i = 0; i < N; i++)
    out[i] = pattern(i);
  CHECK(write(p[1], out, N) == N, "write of %d bytes came back short", N);
  int n = read(p[0], in, sizeof(in));
  CHECK(n == N, "one read of %d bytes got %d of the %d in the pipe",
        (int)sizeof(in), n, N);
  CHECK(memcmp(in, out, N) == 0, "the %d bytes read are not the bytes written", N);
  /* And no more than the count asked for. */
  CHECK(write(p[1], out, 10) == 10, "write failed");
  CHECK(read(p[0], in, 4) == 4, "read of 4 did not return 4");
  CHECK(read(p[0], in, 100) == 6, "the rest (6 bytes) did not come in one read");
  close(p[0]);
  close(p[1]);
}

int
main(int argc, char **argv)
{
  static const struct utest cases[] = {
    { "pipe_carries_64k_intact_parent_to_child",
      pipe_carries_64k_intact_parent_to_child },
    { "pipe_carries_64k_intact_child_to_parent",
      pipe_carries_64k_intact_child_to_parent },
    { "pipe_read_returns_eof_after_writers_close",
      pipe_read_returns_eof_after_writers_close },
    { "pipe_write_without_reader_returns_minus_one",
      pipe_write_without_reader_returns_minus_one },
    { "failed_pipe_read_keeps_the_data", failed_pipe_read_keeps_the_data },
    { "pipe_read_takes_all_that_is_there_in_one_call",
      pipe_read_takes_all_that_is_there_in_one_call },
  };

  (void)argc;
  (void)argv;
  return utest_run(cases, NELEM(cases));
}
