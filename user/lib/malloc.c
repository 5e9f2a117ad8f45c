/*
 * malloc.c: a first-fit allocator over sbrk. Free blocks sit on a circular
 * list sorted by address and merge with their neighbours on free. Blocks
 * are multiples of the header size, so every pointer is 16-byte aligned.
 */
#include "user.h"

struct header {
  struct header *next;   /* next free block (only while free) */
  size_t units;          /* size of this block in headers, itself included */
};

#define MIN_GROW_UNITS 256   /* ask sbrk for at least this much at a time */

static struct header base;
static struct header *freep;

void
free(void *ptr)
{
  if (ptr == NULL)
    return;
  struct header *b = (struct header *)ptr - 1;
  struct header *p;

  for (p = freep; !(b > p && b < p->next); p = p->next)
    if (p >= p->next && (b > p || b < p->next))
      break;   /* b sits at one end of the arena */
  if (b + b->units == p->next) {
    b->units += p->next->units;
    b->next = p->next->next;
  } else {
    b->next = p->next;
  }
  if (p + p->units == b) {
    p->units += b->units;
    p->next = b->next;
  } else {
    p->next = b;
  }
  freep = p;
}

static struct header *
grow(size_t units)
{
  if (units < MIN_GROW_UNITS)
    units = MIN_GROW_UNITS;
  char *mem = sbrk((long)(units * sizeof(struct header)));
  if (mem == (char *)-1)
    return NULL;
  struct header *h = (struct header *)mem;
  h->units = units;
  free(h + 1);
  return freep;
}

void *
malloc(size_t n)
{
  if (n == 0 || n > (1UL << 40))
    return NULL;
  size_t units = (n + sizeof(struct header) - 1) / sizeof(struct header) + 1;
  struct header *prev = freep;

  if (prev == NULL) {
    base.next = freep = prev = &base;
    base.units = 0;
  }
  for (struct header *p = prev->next;; prev = p, p = p->next) {
    if (p->units >= units) {
      if (p->units == units) {
        prev->next = p->next;
      } else {
        p->units -= units;
        p += p->units;
        p->units = units;
      }
      freep = prev;
      return p + 1;
    }
    if (p == freep && (p = grow(units)) == NULL)
      return NULL;
  }
}
