/*
 * fuzzmodel.c: the fuzz worker's model of its memory and fds, and the calls
 * on them. The argument pickers aim at the model's edges (the first and last
 * bytes of every user area and just outside, kernel addresses, lazy holes,
 * freshly unmapped pages, huge and negative lengths, fds open and not);
 * sbrk, mmap, munmap, pipe, read, write and close check every answer the
 * model makes certain and keep the model exact. See fuzzmodel.h.
 */
#include "fuzzmodel.h"

#define PIPE_ROOM      2048      /* well under a pipe's ring: writes never wait */
#define HEAP_SLACK     (1UL << 20)

static const uint64 edge_ints[] = {
  0, 1, 2, 3, 7, 8, 16, 127, 128, 129, 4095, 4096, 4097, 8192,
  0x7fffffff, 0x80000000, 0xffffffff, 1UL << 32, 1UL << 40, 1UL << 63,
  (uint64)-1, (uint64)-2, (uint64)-4096, (uint64)-(1L << 31),
  MMAP_PAGES * PGSIZE, MMAP_PAGES * PGSIZE + 1,
};

uint64
fuzz_any_int(void)
{
  switch (below(4)) {
  case 0: return rnd();
  case 1: return below(64);
  default: return PICK(edge_ints);
  }
}

static uint64
any_len(void)
{
  switch (below(4)) {
  case 0: return below(300);
  case 1: return (1 + below(16)) * PGSIZE - below(2) * below(PGSIZE);
  default: return PICK(edge_ints);
  }
}

/* ---- the model of memory ---- */

static int
page_mapped(uint64 va)
{
  uint64 i = (va - MMAP_BEGIN) / PGSIZE;
  return (fz.mapped[i / 8] >> (i % 8)) & 1;
}

/* 1 if every page (want 1) or no page (want 0) of the range is mapped. */
static int
range_is(uint64 va, uint64 npages, int want)
{
  for (uint64 i = 0; i < npages; i++)
    if (page_mapped(va + i * PGSIZE) != want)
      return 0;
  return 1;
}

static void
mark(uint64 va, uint64 npages, int on)
{
  for (uint64 i = (va - MMAP_BEGIN) / PGSIZE, n = 0; n < npages; i++, n++) {
    if (on)
      fz.mapped[i / 8] |= (uint8)(1U << (i % 8));
    else
      fz.mapped[i / 8] &= (uint8)~(1U << (i % 8));
  }
}

enum ptr_class
fuzz_ptr_class(uint64 va)
{
  uint64 s = (uint64)fuzz_scratch;

  if (va >= s && va < s + SCRATCH)
    return PTR_OK;
  if (va < USER_BASE || va >= TRAPFRAME || (va >= STACK_GUARD && va < STACK_LIMIT))
    return PTR_BAD;
  if (va < USER_BASE + PGSIZE)
    return PTR_RO;
  if (va >= MMAP_BEGIN && va < MMAP_END)
    return page_mapped(va) ? PTR_MAYBE : PTR_BAD;
  if (va >= PGROUNDUP(fz.brk) && va < MMAP_BEGIN)
    return PTR_BAD;
  return PTR_MAYBE;
}

/* What a call that checks the whole of [va, va + n) first (a pipe read)
 * finds: PTR_OK if it all lies in scratch, PTR_BAD if some page of it is
 * unmapped, read-only or no user memory, or it wraps; else PTR_MAYBE.
 * => n > 0. */
static enum ptr_class
range_class(uint64 va, uint64 n)
{
  uint64 s = (uint64)fuzz_scratch;

  if (va + n < va)
    return PTR_BAD;
  if (va >= s && va + n <= s + SCRATCH)
    return PTR_OK;
  for (uint64 a = va; a < va + n; a = PGROUNDDOWN(a) + PGSIZE) {
    enum ptr_class c = fuzz_ptr_class(a);
    if (c == PTR_BAD || c == PTR_RO)
      return PTR_BAD;
  }
  return PTR_MAYBE;
}

/* An address for a pointer argument, and what an access there does. With
 * store, never one whose memory the worker itself uses (data, bss and the
 * live stack): only scratch, the heap, mmap pages and the far stack. */
uint64
fuzz_any_ptr(int store, enum ptr_class *cls)
{
  static const uint64 kernel[] = { 0x80000000UL, 0x80001000UL, 0x80200000UL };
  static const uint64 high[] = {
    VA_MAX - 1, VA_MAX, VA_MAX + PGSIZE, 1UL << 63, (uint64)-1, (uint64)-4096,
  };
  uint64 va;

  switch (below(20)) {
  case 0: case 1: case 2: va = (uint64)fuzz_scratch + below(64); break;
  case 3: va = one_in(2) ? 0 : below(PGSIZE); break;
  case 4: va = USER_BASE + below(8); break;
  case 5: va = PICK(kernel) + (one_in(2) ? 0 : below(1 << 20)); break;
  case 6: va = TRAPFRAME + below(2 * PGSIZE); break;
  case 7: va = PICK(high); break;
  case 8: va = STACK_GUARD + below(PGSIZE); break;
  case 9: va = STACK_LIMIT + below(PGSIZE - 256); break;
  case 10: va = TRAPFRAME - 16 + below(9); break;   /* argv strings only */
  case 11: case 12:
    va = fz.brk > fz.heap_start ? fz.heap_start + below(fz.brk - fz.heap_start)
                                : fz.brk;
    break;
  case 13: {
    uint64 k[] = { fz.brk - 1, fz.brk, PGROUNDUP(fz.brk), PGROUNDUP(fz.brk) + PGSIZE,
                   MMAP_BEGIN - 1, MMAP_BEGIN - PGSIZE };
    va = PICK(k);
    break;
  }
  case 14: case 15: {
    uint64 *m = fz.maps[below(MAPS)];
    va = m[1] ? m[0] + below(m[1]) * PGSIZE + below(PGSIZE - 256) : MMAP_BEGIN;
    break;
  }
  case 16: {
    uint64 k[] = { MMAP_BEGIN, MMAP_BEGIN + 8, MMAP_END - PGSIZE, MMAP_END - 1,
                   MMAP_END, fz.heap_start - 1 };
    va = PICK(k);
    break;
  }
  case 17: va = fz.recent[below(RECENT)] + below(2) * below(PGSIZE); break;
  case 18: va = store ? (rnd() | VA_MAX) : rnd() % VA_MAX; break;
  default: va = (uint64)fuzz_scratch; break;
  }
  if (one_in(6))
    va += 1 + below(7);
  if (store && va >= USER_BASE + PGSIZE && va < fz.heap_start &&
      fuzz_ptr_class(va) != PTR_OK)
    va = (uint64)fuzz_scratch + below(64);   /* data or bss: the worker's own */
  if (store && va >= STACK_LIMIT + PGSIZE && va < TRAPFRAME - 16)
    va = (uint64)fuzz_scratch;               /* the live stack */
  *cls = fuzz_ptr_class(va);
  return va;
}

/* ---- calls on memory ---- */

/* Unmaps every mapped run. A run covers whole regions, so needs no node,
 * but it may cut a page table that a fork left shared, which the kernel
 * copies first: with failinject armed that page may be refused (and then
 * nothing changes). So a failure while armed is tried once more, disarmed;
 * a second failure, or one unarmed, is the kernel's. */
void
fuzz_unmap_all(void)
{
  for (uint64 i = 0; i < MMAP_PAGES;) {
    if (fz.mapped[i / 8] == 0 && i % 8 == 0) {
      i += 8;
      continue;
    }
    uint64 va = MMAP_BEGIN + i * PGSIZE, j = i;
    if (!page_mapped(va)) {
      i++;
      continue;
    }
    while (j < MMAP_PAGES && page_mapped(MMAP_BEGIN + j * PGSIZE))
      j++;
    long len = (long)((j - i) * PGSIZE);
    long ret = fuzz_call(SYS_munmap, (long)va, len, 0, 0, 0, 0);
    if (ret != 0 && fz.fi_on) {
      fuzz_fi_off();
      ret = fuzz_call(SYS_munmap, (long)va, len, 0, 0, 0, 0);
    }
    if (ret != 0)
      fuzz_fail("munmap of the mapped run [%p, +%d pages) failed", (void *)va,
                (int)(j - i));
    mark(va, j - i, 0);
    i = j;
  }
  fz.regions = 0;
}

/* Fills [brk - len, brk), which an unmapped page follows, with nonzero
 * bytes (or, with ptrs, pointers to a valid string), for strings and argv
 * arrays that run off the end; 0 if it cannot. */
uint64
fuzz_heap_edge(uint64 len, int ptrs)
{
  if (fz.fi_on)
    return 0;                            /* the store might fault a page in */
  uint64 want = PGROUNDUP(fz.brk);
  if (want - PGSIZE < fz.heap_start)
    want += PGSIZE;
  if (want != fz.brk) {
    if (fuzz_call(SYS_sbrk, (long)(want - fz.brk), 0, 0, 0, 0, 0) != (long)fz.brk)
      fuzz_fail("sbrk(%d) from %p failed", (int)(want - fz.brk), (void *)fz.brk);
    fz.brk = want;
  }
  memset((void *)(fz.brk - len), 'z', len);
  for (uint64 i = 0; ptrs && i < len / 8; i++)
    ((const char **)(fz.brk - len))[i] = "x";
  return fz.brk - len;
}

long
fuzz_sbrk(void)
{
  long n;

  switch (below(6)) {
  case 0: n = 0; break;
  case 1: n = ((long)below(7) - 3) * (long)PGSIZE; break;
  case 2: n = (long)below(2 * PGSIZE) - (long)PGSIZE; break;
  default: {
    long k[] = { 1L << 40, -(1L << 40), 1L << 37, (long)(MMAP_BEGIN - fz.brk),
                 (long)(MMAP_BEGIN - fz.brk) + 1, (long)(fz.heap_start - fz.brk),
                 (long)(fz.heap_start - fz.brk) - 1, (long)(1UL << 63),
                 0x7fffffffffffffffL, -(long)fz.brk, (long)HEAP_SLACK };
    n = PICK(k);
    break;
  }
  }
  uint64 old = fz.brk, want = old + (uint64)n;
  int legal = (n >= 0 ? want >= old : want <= old) &&
              want >= fz.heap_start && want <= MMAP_BEGIN;
  long ret = fuzz_call(SYS_sbrk, n, 0, 0, 0, 0, 0);
  if (ret == -1 && legal)
    fuzz_fail("sbrk(%d) from %p failed", (int)n, (void *)old);
  if (ret != -1 && !legal)
    fuzz_fail("sbrk(%p) from %p succeeded", (void *)n, (void *)old);
  if (ret != -1 && (uint64)ret != old)
    fuzz_fail("sbrk returned %p, the break was %p", (void *)ret, (void *)old);
  if (ret != -1)
    fz.brk = want;
  if ((uint64)fuzz_call(SYS_sbrk, 0, 0, 0, 0, 0, 0) != fz.brk)
    fuzz_fail("the break is not at %p after sbrk(%p)", (void *)fz.brk, (void *)n);
  if (fz.brk > fz.heap_start + HEAP_SLACK) {
    want = fz.heap_start + below(16) * PGSIZE;
    if ((uint64)fuzz_call(SYS_sbrk, (long)(want - fz.brk), 0, 0, 0, 0, 0) != fz.brk)
      fuzz_fail("sbrk back to %p failed", (void *)want);
    fz.brk = want;
  }
  return ret;
}

void
fuzz_mmap(void)
{
  static const long bad_prot[] = { 0, 8, 0xf, -1, 0x101, (1L << 32) | 3 };
  static const long bad_flags[] = { 0, MAP_PRIVATE, MAP_ANONYMOUS, -1, 0x122,
                                    (1L << 32) | MAP_PRIVATE | MAP_ANONYMOUS };
  enum ptr_class cls;
  uint64 addr, len;

  switch (below(9)) {
  case 0: case 1: case 2: addr = 0; break;
  case 3: addr = MMAP_BEGIN + below(MMAP_PAGES) * PGSIZE; break;
  case 4: {
    uint64 k[] = { MMAP_BEGIN, MMAP_END - PGSIZE, MMAP_END - 4 * PGSIZE, MMAP_END,
                   MMAP_BEGIN - PGSIZE, MMAP_BEGIN + PGSIZE / 2 };
    addr = PICK(k);
    break;
  }
  case 5: addr = fz.recent[below(RECENT)]; break;
  case 6: addr = fz.maps[below(MAPS)][0]; break;
  default: addr = fuzz_any_ptr(0, &cls); break;
  }
  len = one_in(3) ? any_len() : (1 + below(8)) * PGSIZE - below(2) * below(PGSIZE);
  long prot = one_in(6) ? PICK(bad_prot) : (long)(1 + below(7));
  long flags = one_in(8) ? PICK(bad_flags) : MAP_PRIVATE | MAP_ANONYMOUS;
  long ret = fuzz_call(SYS_mmap, (long)addr, (long)len, prot, flags,
                       (long)fuzz_any_int(), 0);
  if (ret == -1)
    return;
  uint64 va = (uint64)ret, npages = PGROUNDUP(len) / PGSIZE;
  if (len == 0 || len > MMAP_PAGES * PGSIZE || (int)prot <= 0 ||
      ((int)prot & ~PROT_MASK) != 0 || (int)flags != (MAP_PRIVATE | MAP_ANONYMOUS))
    fuzz_fail("mmap(%p, %p, %p, %p) succeeded", (void *)addr, (void *)len,
              (void *)prot, (void *)flags);
  if ((va & (PGSIZE - 1)) || va < MMAP_BEGIN || va > MMAP_END ||
      npages > (MMAP_END - va) / PGSIZE || (addr != 0 && va != addr))
    fuzz_fail("mmap(%p, %d pages) returned %p", (void *)addr, (int)npages, (void *)va);
  if (!range_is(va, npages, 0))
    fuzz_fail("mmap returned [%p, +%d pages), which overlaps a mapping", (void *)va,
              (int)npages);
  mark(va, npages, 1);
  uint64 *m = fz.maps[below(MAPS)];
  m[0] = va;
  m[1] = npages;
  fz.regions++;
}

void
fuzz_munmap(void)
{
  enum ptr_class cls;
  uint64 addr, len;

  switch (below(6)) {
  case 0: case 1: case 2: {
    uint64 *m = fz.maps[below(MAPS)];
    addr = m[0] + (m[1] ? below(m[1]) * PGSIZE : 0);
    break;
  }
  case 3: {
    uint64 k[] = { MMAP_BEGIN, MMAP_END - PGSIZE, MMAP_END, MMAP_BEGIN - PGSIZE,
                   MMAP_BEGIN + 8 };
    addr = PICK(k);
    break;
  }
  case 4: addr = fz.recent[below(RECENT)]; break;
  default: addr = fuzz_any_ptr(0, &cls); break;
  }
  len = one_in(3) ? any_len() : (1 + below(4)) * PGSIZE - below(2) * below(PGSIZE);
  long ret = fuzz_call(SYS_munmap, (long)addr, (long)len, (long)fuzz_any_int(),
                       0, 0, 0);
  if (ret != 0)
    return;
  uint64 npages = PGROUNDUP(len) / PGSIZE;
  if (len == 0 || len > MMAP_PAGES * PGSIZE || (addr & (PGSIZE - 1)) ||
      addr < MMAP_BEGIN || addr >= MMAP_END || npages > (MMAP_END - addr) / PGSIZE ||
      !range_is(addr, npages, 1))
    fuzz_fail("munmap(%p, %p) succeeded but not all of it was mapped", (void *)addr,
              (void *)len);
  mark(addr, npages, 0);
  fz.recent[below(RECENT)] = addr;
  fz.regions++;                          /* a split makes one more */
}

/* ---- fds ---- */

static long
any_fd(void)
{
  static const long odd[] = { -1, 16, 17, 20, 0x7fffffff, -0x7fffffff - 1 };
  int open[FD_MAX], n = 0;

  for (int fd = 0; fd < FD_MAX; fd++)
    if (fz.fd_kind[fd] == FD_READ || fz.fd_kind[fd] == FD_WRITE)
      open[n++] = fd;
  switch (below(8)) {
  case 0: return (long)below(22) - 1;
  case 1: return PICK(odd);
  case 2: return (long)below(FD_MAX) | (1L << 32);   /* an int argument */
  default: return n ? open[below(n)] : (long)below(22) - 1;
  }
}

static int
kind_of(int fd)
{
  return fd >= 0 && fd < FD_MAX ? fz.fd_kind[fd] : FD_FREE;
}

void
fuzz_fd_closed(int fd)
{
  struct pipe_model *p = &fz.pipes[fz.fd_pipe[fd]];

  if (fz.fd_kind[fd] == FD_READ)
    p->rfd = -1;
  else
    p->wfd = -1;
  fz.fd_kind[fd] = FD_FREE;
}

void
fuzz_close(void)
{
  long v = any_fd();
  int fd = (int)v, kind = kind_of(fd);

  if (kind == FD_CONSOLE || kind == FD_REPORT)
    return;
  long ret = fuzz_call(SYS_close, v, 0, 0, 0, 0, 0);
  /* An fd with high bits set is the int below them, or refused. */
  if ((v == fd || kind == FD_FREE) && ret != (kind == FD_FREE ? -1 : 0))
    fuzz_fail("close(%p) returned %d", (void *)v, (int)ret);
  if (kind != FD_FREE && ret == 0)
    fuzz_fd_closed(fd);
}

static int
lowest_free(int after)
{
  for (int fd = after + 1; fd < FD_MAX; fd++)
    if (fz.fd_kind[fd] == FD_FREE)
      return fd;
  return -1;
}

void
fuzz_pipe(void)
{
  enum ptr_class cls = PTR_OK;
  uint64 va = one_in(2) ? (uint64)fuzz_scratch + below(8) : fuzz_any_ptr(1, &cls);
  long ret = fuzz_call(SYS_pipe, (long)va, (long)fuzz_any_int(), 0, 0, 0, 0);

  if (ret != 0)
    return;
  if (cls == PTR_BAD || cls == PTR_RO)
    fuzz_fail("pipe stored its fds at %p", (void *)va);
  int fds[2], want0 = lowest_free(-1), want1 = lowest_free(want0);
  memcpy(fds, (void *)va, sizeof(fds));
  if (fds[0] != want0 || fds[1] != want1 || want1 < 0)
    fuzz_fail("pipe returned fds %d and %d, the lowest free are %d and %d", fds[0],
              fds[1], want0, want1);
  int slot = 0;
  while (fz.pipes[slot].rfd >= 0 || fz.pipes[slot].wfd >= 0)
    slot++;                              /* one is free: each holds an fd */
  struct pipe_model *p = &fz.pipes[slot];
  p->rfd = fds[0];
  p->wfd = fds[1];
  p->lo = p->hi = 0;
  fz.fd_kind[fds[0]] = FD_READ;
  fz.fd_kind[fds[1]] = FD_WRITE;
  fz.fd_pipe[fds[0]] = fz.fd_pipe[fds[1]] = slot;
}

void
fuzz_write(void)
{
  enum ptr_class cls;
  long v = any_fd();
  int fd = (int)v, kind = kind_of(fd);
  uint64 buf = fuzz_any_ptr(0, &cls);
  long n = (long)any_len();
  struct pipe_model *p = kind == FD_WRITE ? &fz.pipes[fz.fd_pipe[fd]] : NULL;

  if ((kind == FD_CONSOLE || kind == FD_REPORT) && cls != PTR_BAD)
    n = -(long)below(2);                 /* no garbage on the console */
  if (p && cls != PTR_BAD && (int)n > PIPE_ROOM - p->hi)
    n = (long)below((uint64)(PIPE_ROOM - p->hi + 1));
  long ret = fuzz_call(SYS_write, v, (long)buf, n, (long)fuzz_any_int(), 0, 0);
  if (kind == FD_FREE || kind == FD_READ) {
    if (ret != -1)
      fuzz_fail("write to fd %d (not open for writing) returned %d", fd, (int)ret);
    return;
  }
  if (!p)
    return;
  if (ret > 0) {
    p->lo += (int)ret;
    p->hi += (int)ret;
  }
  if (cls == PTR_BAD && (int)n > 0 && ret != -1)
    fuzz_fail("write(%d, %p, %d) read a bad buffer", fd, (void *)buf, (int)n);
  if (cls == PTR_OK && p->rfd >= 0 && (int)n >= 0 && v == fd && n == (int)n &&
      ret != n)
    fuzz_fail("write(%d, scratch, %d) to an open pipe returned %d", fd, (int)n,
              (int)ret);
}

void
fuzz_read(void)
{
  enum ptr_class cls;
  long v = any_fd();
  int fd = (int)v, kind = kind_of(fd);
  struct pipe_model *p = kind == FD_READ ? &fz.pipes[fz.fd_pipe[fd]] : NULL;

  if (kind == FD_CONSOLE || kind == FD_REPORT)
    return;                              /* would wait on the console */
  if (p && p->lo == 0 && p->wfd >= 0) {
    /* Would wait for good: put something in first. */
    long k = 1 + (long)below(200);
    if (p->hi + k > PIPE_ROOM)
      return;
    long ret = fuzz_call(SYS_write, p->wfd, (long)fuzz_scratch, k, 0, 0, 0);
    if (ret != k)
      fuzz_fail("write(%d, scratch, %d) to an open pipe returned %d", p->wfd, (int)k,
                (int)ret);
    p->lo += (int)k;
    p->hi += (int)k;
  }
  uint64 buf = fuzz_any_ptr(1, &cls);
  long n = one_in(3) ? (long)any_len() : (long)below(300);
  long ret = fuzz_call(SYS_read, v, (long)buf, n, (long)fuzz_any_int(), 0, 0);
  if (kind != FD_READ) {
    if (ret != -1)
      fuzz_fail("read from fd %d (not open for reading) returned %d", fd, (int)ret);
    return;
  }
  /* The count is an int. The kernel checks the whole buffer first, then
   * takes all the pipe holds (between lo and hi bytes), up to the count. */
  int count = (int)n;
  int most = count < 0 ? 0 : p->hi < count ? p->hi : count;
  int least = count < 0 ? 0 : p->lo < count ? p->lo : count;
  enum ptr_class whole = count > 0 ? range_class(buf, (uint64)count) : cls;
  if (ret > most || ret < -1)
    fuzz_fail("read(%d, %p, %d) returned %d, the pipe holds at most %d", fd, (void *)buf,
              count, (int)ret, p->hi);
  if (whole == PTR_BAD && count > 0 && ret != -1)
    fuzz_fail("read(%d, %p, %d) stored %d bytes, but not all the buffer is writable", fd,
              (void *)buf, count, (int)ret);
  if (whole == PTR_OK && least > 0 && v == fd && ret < least)
    fuzz_fail("read(%d, scratch, %d) returned %d with at least %d bytes in the pipe", fd,
              count, (int)ret, p->lo);
  /* A failed read takes nothing out of the pipe (the kernel checks the
   * buffer first), so only a successful one moves the model. */
  if (ret > 0) {
    p->lo = p->lo > ret ? p->lo - (int)ret : 0;
    p->hi -= (int)ret;
  }
}
