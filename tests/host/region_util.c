/*
 * region_util.c: the helpers test_region.c and test_region_model.c share;
 * the interface is described in region_util.h. Linked into both binaries
 * by run.sh, next to the kernel's own mm/mmap.c.
 */
#include <stdio.h>

#include "region_util.h"

uint64
pg(uint64 i)
{
  return MMAP_BEGIN + i * PGSIZE;
}

uint64
nodes_free(void)
{
  struct memstat m;
  mmap_stat(&m);
  return m.nodes_free;
}

const char *
prot_name(int prot)
{
  switch (prot) {
  case 0: return "-";
  case R: return "r";
  case RW: return "rw";
  case RX: return "rx";
  }
  return "?";
}

void
snap_take(const struct mmap_region_node *head, struct snap *s)
{
  for (s->n = 0; head != NULL && s->n <= N_MMAP; head = head->next, s->n++) {
    s->r[s->n].begin = head->begin;
    s->r[s->n].npages = head->npages;
    s->r[s->n].prot = head->prot;
  }
}

int
snap_equal(const struct snap *a, const struct snap *b)
{
  if (a->n != b->n)
    return 0;
  for (int i = 0; i < a->n; i++)
    if (a->r[i].begin != b->r[i].begin || a->r[i].npages != b->r[i].npages ||
        a->r[i].prot != b->r[i].prot)
      return 0;
  return 1;
}

char *
snap_format(const struct snap *s, char *buf, size_t size)
{
  size_t len = 0;

  buf[0] = '\0';
  for (int i = 0; i < s->n && len < size; i++) {
    uint64 b = (s->r[i].begin - MMAP_BEGIN) / PGSIZE;
    len += snprintf(buf + len, size - len, "%s[%llu,%llu)%s", i ? " " : "",
                    b, b + s->r[i].npages, prot_name(s->r[i].prot));
  }
  if (s->n > N_MMAP && len < size)
    snprintf(buf + len, size - len, " ...");
  return buf;
}

char *
list_format(const struct mmap_region_node *head, char *buf, size_t size)
{
  struct snap s;

  snap_take(head, &s);
  return snap_format(&s, buf, size);
}

/* Pool nodes held back so a case can run with (almost) no free node. */
static struct mmap_region_node *held[N_MMAP];
static int nheld;

void
fresh_pool(void)
{
  mmap_init();
  nheld = 0;
}

void
pool_drain(uint64 keep)
{
  struct mmap_region_node *n;

  while (nodes_free() > keep && (n = mmap_region_alloc()) != NULL)
    held[nheld++] = n;
}

void
pool_refill(void)
{
  while (nheld > 0)
    mmap_region_free(held[--nheld]);
}
