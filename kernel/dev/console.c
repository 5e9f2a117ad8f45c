/*
 * console.c: the console as a file, with line editing. The UART interrupt
 * hands each received byte to console_intr, which edits the line being
 * typed and echoes; a line becomes readable when Enter (or ^D) ends it:
 *
 *   Backspace, DEL   erase the last character of the line
 *   ^U               erase the whole line
 *   ^D               end of file: a read that finds it first returns 0
 *   ^C               discard the line and end the programs the last console
 *                    reader (the shell) started and waits for
 *   ^P               print the process table
 *
 * A line longer than CONSOLE_LINE_MAX, or one that would not fit beside the
 * lines not read yet, is discarded whole with a message: never split into
 * two, never cut short silently. A write goes out one printf call per chunk
 * of up to CONSOLE_CHUNK bytes, so a short line from one process never
 * mixes with another's.
 */
#include "dev/dev.h"
#include "lib/lib.h"
#include "mm/mm.h"
#include "proc/proc.h"
#include "sync/spinlock.h"

#define CONSOLE_CHUNK 256

#define CONSOLE_BUF 256
#define CONSOLE_LINE_MAX 200   /* characters of one line, its newline not counted */
#define CTRL(x) ((x) - '@')
#define DEL 0x7f

/* The ring holds committed lines in [r, w) and the line being typed in
 * [w, e). */
static struct {
  struct spinlock lock;   /* rank LOCK_RANK_CONSOLE */
  char buf[CONSOLE_BUF];  /* [lock] */
  uint32 r, w, e;         /* [lock] read, committed, edit counts; e - r <= CONSOLE_BUF */
  int discarding;         /* [lock] the line being typed was refused: drop to its end */
  int reader;             /* [lock] pid of the last process that read a line */
  uint64 received;        /* [lock] bytes ever received */
} cons;

void
console_init(void)
{
  spinlock_init(&cons.lock, "console", LOCK_RANK_CONSOLE);
}

/* Takes the last character off the line being typed, on screen too.
 * => holds cons.lock. */
static void
erase_one(void)
{
  cons.e--;
  printf("\b \b");
}

void
console_intr(int c)
{
  int interrupt = 0, dump = 0;

  acquire(&cons.lock);
  cons.received++;
  if (c == '\r')
    c = '\n';
  switch (c) {
  case CTRL('P'):
    dump = 1;
    break;
  case CTRL('U'):
    while (cons.e != cons.w)
      erase_one();
    break;
  case '\b':
  case DEL:
    if (cons.e != cons.w)
      erase_one();
    break;
  case CTRL('C'):
    cons.e = cons.w;
    cons.discarding = 0;
    interrupt = cons.reader;
    printf("^C\n");
    break;
  default:
    if (cons.discarding) {
      if (c == '\n')
        cons.discarding = 0;
      break;
    }
    if (c != '\n' && c != CTRL('D') &&
        (cons.e - cons.w >= CONSOLE_LINE_MAX || cons.e - cons.r >= CONSOLE_BUF - 1)) {
      /* Refuse the whole line, and the rest of it as it comes. */
      cons.e = cons.w;
      cons.discarding = 1;
      printf("\nconsole: line longer than %d characters (or too much typed ahead): "
             "discarded\n", CONSOLE_LINE_MAX);
      break;
    }
    cons.buf[cons.e++ % CONSOLE_BUF] = (char)c;
    if (c == CTRL('D')) {
      printf("^D");
    } else {
      printf("%c", c);
    }
    if (c == '\n' || c == CTRL('D')) {
      cons.w = cons.e;
      wakeup(&cons.r);
    }
  }
  release(&cons.lock);
  if (dump)
    proc_dump();
  if (interrupt > 0)
    proc_kill_children(interrupt);
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

  if (n > CONSOLE_CHUNK)
    n = CONSOLE_CHUNK;
  if (uvm_check_access(vm, uva, n, ACCESS_WRITE) != 0)
    return -1;
  acquire(&cons.lock);
  for (;;) {
    while (cons.r == cons.w) {
      if (proc_killed(myproc())) {
        release(&cons.lock);
        return -1;
      }
      sleep(&cons.r, &cons.lock);
    }
    int k = 0, eof = 0;
    uint32 r = cons.r;
    while (k < n && r != cons.w) {
      char c = cons.buf[r % CONSOLE_BUF];
      if (c == CTRL('D')) {
        /* End of file: this read returns what came before it, and the
         * next one (or this one, if nothing did) returns 0. */
        eof = k == 0;
        break;
      }
      r++;
      buf[k++] = c;
      if (c == '\n')
        break;
    }
    /* Copy without faulting under the lock, then take the bytes, so a
     * sibling thread unmapping the buffer cannot make a line vanish. */
    if (k == 0 || copyout_nofault(vm, uva, buf, k) == 0) {
      cons.r = r + eof;
      cons.reader = myproc()->pid;
      release(&cons.lock);
      return k;
    }
    release(&cons.lock);
    if (proc_killed(myproc()) || uvm_check_access(vm, uva, k, ACCESS_WRITE) != 0)
      return -1;
    acquire(&cons.lock);
  }
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
