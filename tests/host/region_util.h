/*
 * region_util.h: helpers shared by the region list tests (test_region.c,
 * test_region_model.c): page numbers to addresses, prot names, snapshots of
 * a list to compare and print ("[2,5)rw", in pages from MMAP_BEGIN), and a
 * pool that a case can reset or drain. fresh_pool, pool_drain and
 * pool_refill share one set of held nodes: call them from one thread only.
 */
#ifndef HOST_REGION_UTIL_H
#define HOST_REGION_UTIL_H

#include <stddef.h>

#include "mm/mm.h"
#include "param.h"
#include "uapi/mman.h"

#define R  PROT_READ
#define RW (PROT_READ | PROT_WRITE)
#define RX (PROT_READ | PROT_EXEC)

/* A copy of a list's regions, to show that a failed call changed nothing.
 * Stops after N_MMAP + 1 nodes, so a cycle is still a finite copy. */
struct snap {
  int n;
  struct { uint64 begin, npages; int prot; } r[N_MMAP + 1];
};

/* The address of page i of the mmap area. */
uint64 pg(uint64 i);

/* The pool's free node count, from mmap_stat. */
uint64 nodes_free(void);

/* "r", "rw", "rx", "-" for 0, "?" for anything else. */
const char *prot_name(int prot);

/* Copies up to N_MMAP + 1 regions of the list at head into s. */
void snap_take(const struct mmap_region_node *head, struct snap *s);

/* 1 if a and b hold the same regions, else 0. */
int snap_equal(const struct snap *a, const struct snap *b);

/* Writes s as "[b,e)prot ..." into buf (size bytes); returns buf. */
char *snap_format(const struct snap *s, char *buf, size_t size);

/* snap_format of the list at head. */
char *list_format(const struct mmap_region_node *head, char *buf, size_t size);

/* Resets the pool: every node free, none held by pool_drain. */
void fresh_pool(void);

/* Takes nodes from the pool until only keep are free. */
void pool_drain(uint64 keep);

/* Gives back every node pool_drain took. */
void pool_refill(void);

#endif /* HOST_REGION_UTIL_H */
