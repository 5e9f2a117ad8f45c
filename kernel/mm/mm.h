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
 *   uvm    a process's address space: page table, heap break, region list,
 *          the lazy fault path, and the copies between kernel and user.
 */
#ifndef MM_MM_H
#define MM_MM_H

#include "arch/riscv.h"
#include "lib/types.h"
#include "sync/spinlock.h"
#include "uapi/layout.h"
#include "uapi/memstat.h"

/* Every byte of a free page holds this, so a write after free shows. */
#define PMEM_POISON_BYTE 0x6b

/* ---- failure injection (uapi/failinject.h) ----
 * When mm_fail_armed is nonzero, every page and node allocation first asks
 * mm_fail_hook (set by the process layer) whether to fail. */
extern int mm_fail_armed;                     /* [a] processes armed */
extern int (*mm_fail_hook)(int what);         /* [I] FAIL_PAGES / FAIL_NODES */

static inline int
mm_should_fail(int what)
{
  return __atomic_load_n(&mm_fail_armed, __ATOMIC_RELAXED) != 0 &&
         mm_fail_hook != NULL && mm_fail_hook(what);
}

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

/* Names of the page kinds (uapi/memstat.h), for messages. */
extern const char *const pmem_kind_names[PMEM_NKINDS];

/* Kind and owner of the managed page starting at pa (page aligned); -1
 * kind if there is none. Take the pmem lock. */
int pmem_kind(void *pa);
int pmem_owner(void *pa);

/* Fills the page counters of m in one consistent snapshot. */
void pmem_stat(struct memstat *m);

/* Index of the managed page starting at pa, or -1; and the record of page i
 * (returns its kind, or -1 past the end). For the audit. */
int64 pmem_index(void *pa);
int pmem_record(uint64 i, int *owner, uint64 *pa);

/* ---- mmap.c ---- */

/*
 * One anonymous mapping [begin, begin + npages * PGSIZE) of a process.
 * While free, a node is on the pool's free list; while in use it belongs to
 * exactly one process's region list. Key: [pool.lock] the pool's lock;
 * [o] the lock of the address space (struct uvm) whose list holds it.
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

/* Index of node in the pool, or -1 if node is not a pool node (free and
 * the audit use it to validate pointers). */
int mmap_region_index(const struct mmap_region_node *node);

/*
 * Region lists. A list is a chain of pool nodes sorted by begin, regions
 * never overlapping, every region inside [MMAP_BEGIN, MMAP_END), npages >= 1,
 * prot already normalised (PROT_WRITE implies PROT_READ). Two regions that
 * touch and have equal prot are always merged into one. These functions
 * only edit the list; mapping and unmapping pages is the caller's job.
 * => the caller holds the lock of the address space the list belongs to.
 */

/* The lowest begin of a free gap of npages in the mmap area, or 0. */
uint64 mmap_region_find_free(const struct mmap_region_node *head, uint64 npages);

/* 1 if [begin, begin + npages pages) overlaps some region, else 0. */
int mmap_region_overlaps(const struct mmap_region_node *head, uint64 begin,
                         uint64 npages);

/* Adds the region (which must overlap nothing and lie in the mmap area),
 * merging it with touching neighbours of equal prot. Returns 0, or -1 if a
 * node was needed and the pool had none; the list is unchanged then. */
int mmap_region_insert(struct mmap_region_node **head, uint64 begin,
                       uint64 npages, int prot);

/* Removes [begin, begin + npages pages): trims, splits or frees regions.
 * Returns 0, or -1 with the list unchanged if some page of the range is in
 * no region, or a split needs a node the pool cannot give. */
int mmap_region_remove(struct mmap_region_node **head, uint64 begin,
                       uint64 npages);

/* Nodes in a list. */
int mmap_region_count(const struct mmap_region_node *head);

/* ---- audit.c: finding every page and node a live structure holds ---- */

/* One audit in progress; see uapi/memaudit.h. Walkers call audit_page for
 * every page they find and audit_node for every pool node. */
struct audit;
struct memaudit;
struct uvm;

void audit_init(void);                 /* once, hart 0 */
/* Starts an audit: => takes the audit lock (outermost) until audit_end. */
struct audit *audit_begin(void);
/* Sweeps pmem and the pool for what no walker found, fills out, prints the
 * first offenders, and releases the audit lock. */
void audit_end(struct audit *a, struct memaudit *out);

/* Records that pa was found holding a page of the given kind. A page may
 * be found once, unless shared (a pipe page two files point at). */
void audit_page(struct audit *a, uint64 pa, int kind, int shared);
void audit_node(struct audit *a, const struct mmap_region_node *n);

/* Walk their own structures, calling audit_page/audit_node. */
void uvm_audit(struct uvm *vm, struct audit *a);   /* => holds vm->lock */
void kvm_audit(struct audit *a);
void mmap_audit(struct audit *a);                  /* the pool's free list */

/* ---- kvm.c, pgtbl.c ---- */

/* Builds the kernel page table. => once, hart 0, after pmem_init. */
void kvm_init(uint64 ram_end);

/* Turns paging on for this hart with the kernel page table. */
void kvm_inithart(void);

/* satp value of the kernel page table (for the trampoline). */
uint64 kvm_satp(void);

/* The PTE for va in pt, allocating page-table pages (kind PMEM_PGTBL, owner
 * owner) if alloc; NULL if absent and !alloc, or out of memory. */
pte_t *pgtbl_walk(pagetable_t pt, uint64 va, int alloc, int owner);

/* Maps [va, va + size) to [pa, ...) with perm | PTE_V. Returns 0, or -1 if
 * a page-table page could not be had. => panics on remapping. */
int pgtbl_map(pagetable_t pt, uint64 va, uint64 pa, uint64 size, uint64 perm,
              int owner);

/* Maps the trampoline page at TRAMPOLINE (read+execute, kernel only).
 * Returns 0, or -1 if a page-table page could not be had. */
int kvm_map_trampoline(pagetable_t pt);

/* ---- uvm.c, fault.c ---- */

/* Kinds of access, as PROT_* bits. */
#define ACCESS_READ  0x1
#define ACCESS_WRITE 0x2
#define ACCESS_EXEC  0x4

/*
 * A user address space. The lock (rank LOCK_RANK_VM) guards every field and
 * the page table's user mappings; the fault path, the user copies, sbrk,
 * mmap/munmap, fork's copy and exit's teardown all take it.
 */
struct uvm {
  struct spinlock lock;
  pagetable_t pt;                     /* [lock] root, or NULL when empty */
  uint64 image_end;                   /* [lock] page aligned; the heap starts here */
  uint64 brk;                         /* [lock] [image_end, brk) is the heap */
  struct mmap_region_node *regions;   /* [lock] sorted by begin */
  int pid;                            /* [lock] owner of its pages */
};

/* Names vm's lock; vm starts empty. */
void uvm_setup(struct uvm *vm, int pid);

/* Gives vm a fresh page table holding only the trampoline and the trapframe
 * page at trapframe_pa. Returns 0, or -1 with vm still empty. */
int uvm_init(struct uvm *vm, uint64 trapframe_pa);

/* Frees every user page, page-table page and region node of vm; it is
 * empty afterwards. => holds vm->lock, or vm is private to the caller. */
void uvm_free(struct uvm *vm);

/* Frees every leaf page mapped below TRAPFRAME and every page-table page,
 * recursively; the trampoline and trapframe pages are not freed (they are
 * not the table's). */
void uvm_destroy_pgtbl(pagetable_t pt);

/* Makes empty vm `to` a copy of `from`: the same mapped pages (copied),
 * lazy holes left lazy, the same break and regions. Returns 0, or -1 with
 * `to` empty again and nothing leaked. => takes from->lock. */
int uvm_copy_pgtbl(struct uvm *from, struct uvm *to, uint64 trapframe_pa);

/* Maps zeroed pages over [va, va + size) with PTE perm (exec's segments).
 * Returns 0 or -1. => vm private to the caller. */
int uvm_map_zeroed(struct uvm *vm, uint64 va, uint64 size, uint64 perm);

/* Frees the pages mapped in [begin, end) and any page-table page left
 * empty. => holds vm->lock. */
void uvm_unmap_range(struct uvm *vm, uint64 begin, uint64 end);

/* Moves the break by n bytes. Returns the old break, or -1 if the new one
 * would fall below image_end or cross MMAP_BEGIN. Takes vm->lock. */
uint64 uvm_sbrk(struct uvm *vm, long n);

/* Copies between kernel memory and vm. Each returns 0, or -1 if some byte
 * is not accessible to the user in that way. Lazy pages are faulted in.
 * => take vm->lock; must not hold it. */
int copyout(struct uvm *vm, uint64 dstva, const void *src, uint64 len);
int copyin(struct uvm *vm, void *dst, uint64 srcva, uint64 len);
/* Returns 0 if every byte of [va, va + len) allows access (faulting lazy
 * pages in), else -1. Lets a reader check its buffer before it consumes
 * data it could not deliver. => takes vm->lock. */
int uvm_check_access(struct uvm *vm, uint64 va, uint64 len, int access);
/* Copies a NUL-terminated string of at most max bytes (NUL included).
 * Returns its length, or -1 if it is unreadable or longer. => takes
 * vm->lock; must not hold it. */
int copyinstr(struct uvm *vm, char *dst, uint64 srcva, uint64 max);

/* Prints vm's heap, regions and page table (xv6's vmprint style: one line
 * per valid PTE, ".." per level, index, pte, pa). Takes vm->lock. */
void uvm_print(struct uvm *vm);

/* fault.c: resolves a user access to va. Returns 0 if the access may now
 * proceed (a lazy page was mapped, or another hart already had), -1 if it
 * violates the address space, FAULT_NOMEM if it is allowed but no page
 * could be had (the caller kills or fails either way). */
#define FAULT_NOMEM (-2)
int uvm_fault(struct uvm *vm, uint64 va, int access);   /* => takes vm->lock */
/* The same, for callers that already hold vm->lock. */
int uvm_fault_locked(struct uvm *vm, uint64 va, int access);
/* Lazy faults served since boot. */
uint64 uvm_lazy_faults(void);

#endif /* MM_MM_H */
