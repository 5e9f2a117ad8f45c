/*
 * memstat.h: the memory counters the memstat system call returns, and the
 * kinds of page pmem tracks. Shared by kernel and user space.
 *
 * Counts are exact at the instant they are read (taken under the allocator
 * locks; there are no per-hart caches), so two snapshots taken with the
 * same set of live processes can be compared for equality.
 */
#ifndef UAPI_MEMSTAT_H
#define UAPI_MEMSTAT_H

#include "lib/types.h"

enum pmem_kind {
  PMEM_FREE = 0,       /* on the free list */
  PMEM_PGTBL,          /* a page-table page (kernel or user) */
  PMEM_USER,           /* a page mapped into user space */
  PMEM_KSTACK,         /* a process's kernel stack */
  PMEM_TRAPFRAME,      /* a process's trapframe */
  PMEM_PIPE,           /* a pipe buffer */
  PMEM_OTHER,          /* any other kernel use (tests, tables) */
  PMEM_NKINDS
};

#define PMEM_KIND_NAMES \
  { "free", "pgtbl", "user", "kstack", "trapframe", "pipe", "other" }

struct memstat {
  uint64 pages_total;                  /* pages pmem manages */
  uint64 pages_free;
  uint64 pages_by_kind[PMEM_NKINDS];   /* [PMEM_FREE] == pages_free */
  uint64 nodes_total;                  /* mmap_region_node pool size */
  uint64 nodes_free;
  uint64 nprocs;                       /* process-table entries in use, threads too */
  uint64 lazy_faults;                  /* pages allocated by lazy faults */
  uint64 tlb_shootdowns;               /* shootdowns requested (munmap, shrinking
                                          sbrk, exec, the last exit, ...) */
  uint64 ipis;                         /* inter-hart interrupts they sent */
  uint64 pages_shared;                 /* user pages mapped by more than one
                                          page table (copy-on-write) */
  uint64 cow_faults;                   /* writes to shared pages served */
};

#endif /* UAPI_MEMSTAT_H */
