/*
 * pipe.c: pipes. A pipe is one pmem page (kind PMEM_PIPE): the struct at
 * its start, the ring buffer in the rest. Readers sleep on &nread, writers
 * on &nwrite. Data moves between the ring and user memory one chunk at a
 * time through a kernel buffer, so the pipe lock is never held across a
 * copy that might fault in a lazy user page (a read copies out under it
 * with copyout_nofault, having faulted the buffer in first). A write of at most PIPE_CHUNK
 * (128) bytes goes in whole, never interleaved with another writer's; a
 * read takes everything the pipe holds, up to the count asked for.
 */
#include "file/file.h"
#include "lib/lib.h"
#include "mm/mm.h"
#include "proc/proc.h"

#define PIPE_CHUNK 128

struct pipe {
  struct spinlock lock;  /* rank LOCK_RANK_PIPE */
  uint64 nread;          /* [l] bytes ever read (64 bits: never wraps, */
  uint64 nwrite;         /* [l] bytes ever written  and PIPE_SIZE is no power of 2) */
  int readopen;          /* [l] a read end is open */
  int writeopen;         /* [l] a write end is open */
  char data[];           /* [l] the ring, to the end of the page */
};

#define PIPE_SIZE (PGSIZE - sizeof(struct pipe))

int
pipe_alloc(struct file **rf, struct file **wf, int owner)
{
  struct pipe *pi = pmem_alloc(PMEM_PIPE, owner);
  struct file *r = file_alloc();
  struct file *w = file_alloc();

  if (pi == NULL || r == NULL || w == NULL) {
    if (pi)
      pmem_free(pi);
    if (r)
      file_close(r);
    if (w)
      file_close(w);
    return -1;
  }
  spinlock_init(&pi->lock, "pipe", LOCK_RANK_PIPE);
  pi->nread = pi->nwrite = 0;
  pi->readopen = pi->writeopen = 1;
  /* The pipe before the type: the audit reads files without their owner. */
  r->pipe = w->pipe = pi;
  __atomic_store_n(&r->type, FILE_PIPE, __ATOMIC_RELEASE);
  __atomic_store_n(&w->type, FILE_PIPE, __ATOMIC_RELEASE);
  r->readable = 1;
  w->writable = 1;
  *rf = r;
  *wf = w;
  return 0;
}

void
pipe_close(struct pipe *pi, int writable)
{
  acquire(&pi->lock);
  if (writable) {
    pi->writeopen = 0;
    wakeup(&pi->nread);
  } else {
    pi->readopen = 0;
    wakeup(&pi->nwrite);
  }
  int last = !pi->readopen && !pi->writeopen;
  release(&pi->lock);
  if (last)
    pmem_free(pi);
}

int
pipe_write(struct pipe *pi, struct uvm *vm, uint64 uva, int n)
{
  char buf[PIPE_CHUNK];
  int done = 0;

  while (done < n) {
    int k = n - done < PIPE_CHUNK ? n - done : PIPE_CHUNK;
    if (proc_killed(myproc()) || copyin(vm, buf, uva + done, k) != 0)
      return done > 0 ? done : -1;
    acquire(&pi->lock);
    /* Wait for room for the whole chunk, so a write of up to PIPE_CHUNK
     * bytes is never interleaved with another writer's (like PIPE_BUF). */
    while (PIPE_SIZE - (pi->nwrite - pi->nread) < (uint64)k) {
      if (!pi->readopen || proc_killed(myproc())) {
        release(&pi->lock);
        return done > 0 ? done : -1;
      }
      wakeup(&pi->nread);
      sleep(&pi->nwrite, &pi->lock);
    }
    if (!pi->readopen) {
      release(&pi->lock);
      return done > 0 ? done : -1;
    }
    for (int i = 0; i < k; i++)
      pi->data[pi->nwrite++ % PIPE_SIZE] = buf[i];
    wakeup(&pi->nread);
    release(&pi->lock);
    done += k;
  }
  return done;
}

int
pipe_read(struct pipe *pi, struct uvm *vm, uint64 uva, int n)
{
  char buf[PIPE_CHUNK];
  int done = 0;

  /* Check (and fault in) the whole buffer first, so a bad one fails the
   * call without taking bytes out of the pipe. */
  if (uvm_check_access(vm, uva, n, ACCESS_WRITE) != 0)
    return -1;
  acquire(&pi->lock);
again:
  while (done == 0 && pi->nread == pi->nwrite && pi->writeopen) {
    if (proc_killed(myproc())) {
      release(&pi->lock);
      return -1;
    }
    sleep(&pi->nread, &pi->lock);
  }
  /* Everything there is, up to n, a chunk at a time. Each chunk is copied
   * under the pipe lock by a copy that never faults (the pipe lock ranks
   * below the address space's), and only then taken out of the pipe: a
   * sibling thread that unmaps the buffer cannot make bytes vanish. */
  while (done < n) {
    int k = 0;
    uint64 r = pi->nread;
    while (k < PIPE_CHUNK && done + k < n && r != pi->nwrite)
      buf[k++] = pi->data[r++ % PIPE_SIZE];
    if (k == 0)
      break;
    if (copyout_nofault(vm, uva + done, buf, k) != 0) {
      /* Unmapped since the check: fault it in again, or give up. */
      release(&pi->lock);
      if (proc_killed(myproc()) ||
          uvm_check_access(vm, uva + done, k, ACCESS_WRITE) != 0)
        return done > 0 ? done : -1;
      acquire(&pi->lock);
      goto again;
    }
    pi->nread = r;
    done += k;
    wakeup(&pi->nwrite);
  }
  release(&pi->lock);
  return done;
}
