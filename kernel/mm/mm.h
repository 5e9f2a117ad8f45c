/*
 * mm.h: memory management, shared by every hart.
 *
 *   pmem   physical pages: one spinlock (rank LOCK_RANK_PMEM, a leaf), a
 *          per-page record of kind and owner, counters per kind, poison on
 *          free. Errors a user can cause (no memory) come back as NULL;
 *          misuse by the kernel (double free, foreign address) panics.
 *   mmap   the pool of struct mmap_region_node: N_MMAP nodes, one spinlock
 *          (rank LOCK_RANK_POOL, a leaf), free list with head insertion.
 *          An empty pool returns NULL.
 *   kvm    the kernel page table, identical on every hart.
 */
#ifndef MM_MM_H
#define MM_MM_H

#include "arch/riscv.h"
#include "lib/types.h"
#include "uapi/layout.h"
#include "uapi/memstat.h"

/* Every byte of a free page holds this, so a write after free shows. */
#define PMEM_POISON_BYTE 0x6b

/* ---- pmem.c ---- */

/* Manages every whole page in [begin, end); its own per-page records take
 * the first pages of the range. => once, on hart 0, before other harts. */
void pmem_init(uint64 begin, uint64 end);

/* A zeroed page of the given kind (enum pmem_kind, not PMEM_FREE) owned by
 * pid owner (0 for the kernel), or NULL if none is free.
 * => takes the pmem lock; must not hold it. Never sleeps. */
void *pmem_alloc(int kind, int owner);

/* Returns the page at pa. => panics if pa is not a managed page or is
 * already free. Takes the pmem lock. */
void pmem_free(void *pa);

/* Kind and owner of the page holding pa; -1 kind if pa is not managed. */
int pmem_kind(void *pa);
int pmem_owner(void *pa);
void pmem_set_owner(void *pa, int owner);

/* Fills the page counters of m in one consistent snapshot. */
void pmem_stat(struct memstat *m);

/* ---- mmap.c ---- */

/*
 * One anonymous mapping [begin, begin + npages * PGSIZE) of a process.
 * While free, a node is on the pool's free list; while in use it belongs to
 * exactly one process's region list, guarded by that address space's lock.
 */
struct mmap_region_node {
  uint64 begin;                      /* [o] page aligned */
  uint64 npages;                     /* [o] */
  int prot;                          /* [o] PROT_* bits */
  int in_use;                        /* [pool.lock] 0 while on the free list */
  struct mmap_region_node *next;     /* [pool.lock] free; [o] in a list */
};

/* Puts all N_MMAP nodes on the free list. => once, hart 0. */
void mmap_init(void);

/* A node off the head of the free list, fields zeroed, or NULL if the pool
 * is empty. => takes the pool lock; must not hold it. */
struct mmap_region_node *mmap_region_alloc(void);

/* Pushes node onto the head of the free list. => panics if node is not from
 * the pool or is already free. Takes the pool lock. */
void mmap_region_free(struct mmap_region_node *node);

/* Fills nodes_total and nodes_free of m. */
void mmap_stat(struct memstat *m);

/* Index of node in the pool, for tests and debugging. */
int mmap_region_index(const struct mmap_region_node *node);

/* ---- kvm.c ---- */

/* Builds the kernel page table. => once, hart 0, after pmem_init. */
void kvm_init(uint64 ram_end);

/* Turns paging on for this hart with the kernel page table. */
void kvm_inithart(void);

/* The PTE for va in pt, allocating page-table pages (kind PMEM_PGTBL, owner
 * owner) if alloc; NULL if absent and !alloc, or out of memory. */
pte_t *pgtbl_walk(pagetable_t pt, uint64 va, int alloc, int owner);

/* Maps [va, va + size) to [pa, ...) with perm | PTE_V. Returns 0, or -1 if
 * a page-table page could not be had. => panics on remapping. */
int pgtbl_map(pagetable_t pt, uint64 va, uint64 pa, uint64 size, uint64 perm,
              int owner);

#endif /* MM_MM_H */
