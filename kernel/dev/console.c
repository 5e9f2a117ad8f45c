/*
 * console.c: the console as a file. The UART interrupt pushes each received
 * byte into a ring and echoes it; console_read takes bytes out, sleeping
 * while the ring is empty, and returns at the end of a line. Overflow drops
 * the newest byte rather than blocking the interrupt handler. A write goes
 * out one printf call per chunk of up to CONSOLE_CHUNK bytes, so a short
 * line from one process never mixes with another's.
 */
#include "dev/dev.h"
#include "lib/lib.h"
#include "mm/mm.h"
#include "proc/proc.h"
#include "sync/spinlock.h"

#define CONSOLE_CHUNK 256

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
  wakeup(&cons.r);
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

int
console_read(struct uvm *vm, uint64 uva, int n)
{
  char buf[CONSOLE_CHUNK];
  int k = 0;

  if (n > CONSOLE_CHUNK)
    n = CONSOLE_CHUNK;
  if (uvm_check_access(vm, uva, n, ACCESS_WRITE) != 0)
    return -1;
  acquire(&cons.lock);
  while (cons.r == cons.w) {
    if (proc_killed(myproc())) {
      release(&cons.lock);
      return -1;
    }
    sleep(&cons.r, &cons.lock);
  }
  while (k < n && cons.r != cons.w) {
    char c = cons.buf[cons.r++ % CONSOLE_BUF];
    buf[k++] = c;
    if (c == '\n')
      break;
  }
  release(&cons.lock);
  if (copyout(vm, uva, buf, k) != 0)
    return -1;
  return k;
}

int
console_write(struct uvm *vm, uint64 uva, int n)
{
  char buf[CONSOLE_CHUNK + 1];

  for (int done = 0; done < n;) {
    int k = n - done < CONSOLE_CHUNK ? n - done : CONSOLE_CHUNK;
    /* A long write must not outlive a kill (write(1, buf, INT_MAX)). */
    if (proc_killed(myproc()) || copyin(vm, buf, uva + done, k) != 0)
      return done > 0 ? done : -1;
    buf[k] = '\0';
    /* %s stops at a NUL byte; print byte by byte only if there is one. */
    if (strlen(buf) == (unsigned long)k)
      printf("%s", buf);
    else
      for (int i = 0; i < k; i++)
        printf("%c", buf[i]);
    done += k;
  }
  return n;
}
