/*
 * console.c: the receive side of the console. The UART interrupt pushes each
 * byte into a ring and echoes it; readers (the read system call, later) take
 * bytes out. Overflow drops the newest byte rather than blocking the
 * interrupt handler.
 */
#include "dev/dev.h"
#include "lib/lib.h"
#include "sync/spinlock.h"

#define CONSOLE_BUF 128

static struct {
  struct spinlock lock;   /* rank LOCK_RANK_CONSOLE */
  char buf[CONSOLE_BUF];  /* [lock] */
  uint32 r, w;            /* [lock] read and write counts; w - r <= CONSOLE_BUF */
  uint64 received;        /* [lock] bytes ever received */
} cons;

void
console_init(void)
{
  spinlock_init(&cons.lock, "console", LOCK_RANK_CONSOLE);
}

void
console_intr(int c)
{
  acquire(&cons.lock);
  cons.received++;
  if (c == '\r')
    c = '\n';
  if (cons.w - cons.r < CONSOLE_BUF)
    cons.buf[cons.w++ % CONSOLE_BUF] = (char)c;
  release(&cons.lock);
  printf("%c", c);
}

uint64
console_chars_received(void)
{
  acquire(&cons.lock);
  uint64 n = cons.received;
  release(&cons.lock);
  return n;
}
