/*
 * memaudit.h: what the memaudit system call reports. The kernel walks every
 * live process's page table and region list, its own page table, kernel
 * stacks, trapframes and pipes, and the pool's free list, then compares
 * what it found with pmem's per-page records and the pool. Meaningful when
 * no other process is changing memory (the stress driver calls it after
 * reaping its workers). Offending pages are also printed on the console.
 */
#ifndef UAPI_MEMAUDIT_H
#define UAPI_MEMAUDIT_H

#include "lib/types.h"

struct memaudit {
  uint64 pages_allocated;    /* pages pmem has handed out */
  uint64 pages_reachable;    /* ...found in a page table or kernel structure */
  uint64 pages_unreachable;  /* ...found nowhere: leaked */
  uint64 pages_bad;          /* found twice, found free, or of the wrong kind */
  uint64 nodes_total;        /* the region-node pool */
  uint64 nodes_free;         /* on the free list */
  uint64 nodes_in_lists;     /* on some process's region list */
  uint64 nodes_lost;         /* on neither: leaked */
  uint64 nodes_bad;          /* on two lists, or on a list and free */
};

#endif /* UAPI_MEMAUDIT_H */
