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
 *   kvm    the kernel page table, and the kernel half that every user
 *          table shares (the kernel lives in the upper half of each).
 *   uvm    address spaces: reference-counted objects shared by a process's
 *          threads; page table, heap break, region list, the lazy fault
 *          path, and the copies between kernel and user.
 *   tlb    which harts may cache a space's translations, and shootdown.
 */
#ifndef MM_MM_H
#define MM_MM_H

#include "arch/memlayout.h"
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

/* The kernel reaches every page through the linear map (arch/memlayout.h):
 * pmem hands out, and mm passes around, kernel addresses; only PTEs and
 * satp hold physical ones. These convert a PTE's page to and from the
 * kernel address of that page. */
#define PTE2KVA(pte)   KVA(PTE2PA(pte))
#define KVA2PTE(kva)   PA2PTE(KPA(kva))

/* The hart the caller runs on (r_tp; the host tests give each thread
 * one). It may change at any moment unless interrupts are off. */
int mm_hart(void);

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

/* Reference counts of allocated pages (pmem.c's header): get adds one
 * (the page must be allocated), put drops one and frees the page with the
 * last; refs reads the count. => no lock needed; never sleep. */
void pmem_get(void *pa);
void pmem_put(void *pa);
uint32 pmem_refs(void *pa);
/* Sets pa's count to new if it is still old; 1 if it did. Shared level-0
 * tables (uvm.c) need to know the count a change started from. */
int pmem_refs_cas(void *pa, uint32 old, uint32 new);
/* Adds n (negative: takes) to the user pages counted shared because a
 * level-0 table mapping them is shared. */
void pmem_count_shared(int64 n);
/* The audit's count of places it found pa, after counting this one.
 * => holds the audit lock. */
uint32 pmem_audit_mark(void *pa);

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
/* The audit's count for page i (reset to 0 for the next audit) and the
 * page's reference count. => holds the audit lock. */
uint32 pmem_audit_take(uint64 i, uint32 *refs);

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

/* Records that pa was found holding a page of the given kind, and returns
 * how many times it has been found so far. A page may be found once,
 * unless shared (a pipe page two files point at, a level-0 table that
 * forks share); a user page or a page-table page must in the end be found
 * exactly as many times as its reference count. */
uint32 audit_page(struct audit *a, uint64 pa, int kind, int shared);
void audit_node(struct audit *a, const struct mmap_region_node *n);
/* Records that space id's root entry `entry` is not the kernel's. */
void audit_kernel_half(struct audit *a, int id, int entry);

/* Walk their own structures, calling audit_page/audit_node. */
void kvm_audit(struct audit *a);
void mmap_audit(struct audit *a);                  /* the pool's free list */

/* ---- kvm.c, pgtbl.c ---- */

/* Builds the kernel page table. => once, hart 0, after pmem_init. */
void kvm_init(uint64 ram_end);

/* Turns paging on for this hart with the kernel page table. */
void kvm_inithart(void);

/* satp value of the kernel page table (a hart in no space's table). */
uint64 kvm_satp(void);

/* The PTE for va in pt, allocating page-table pages (kind PMEM_PGTBL, owner
 * owner) if alloc; NULL if absent and !alloc, or out of memory. */
pte_t *pgtbl_walk(pagetable_t pt, uint64 va, int alloc, int owner);
/* The same, stopping at the entry of level to_level (2: the root's entry,
 * 1: the entry pointing to va's level-0 table, 0: the leaf). */
pte_t *pgtbl_walk_level(pagetable_t pt, uint64 va, int to_level, int alloc,
                        int owner);
/* The table the non-leaf entry pte points to, allocating it (kind
 * PMEM_PGTBL, owner owner) if pte is not valid and alloc; NULL if absent
 * and !alloc, or out of memory. The one step of a walk. */
pagetable_t pgtbl_next(pte_t *pte, int alloc, int owner);

/* Maps [va, va + size) to [pa, ...) with perm | PTE_V. Returns 0, or -1 if
 * a page-table page could not be had. => panics on remapping. */
int pgtbl_map(pagetable_t pt, uint64 va, uint64 pa, uint64 size, uint64 perm,
              int owner);

/*
 * The range walker. Visits every valid PTE whose range meets [begin, end),
 * in address order, a table's entry before the entries of the table it
 * points to. VAs are Sv39 addresses without sign extension: the upper half
 * starts at SV39_VA_MAX and the whole space ends at PGTBL_VA_END.
 *   visit       called for each valid PTE with its va and level (0: leaf
 *               level); it may change or clear the PTE. It returns
 *               PGTBL_WALK_ON to go on (into the table the PTE points to),
 *               PGTBL_WALK_SKIP to go on without descending (it handled the
 *               table itself: fork and teardown do a level-0 table in one
 *               tight loop), or PGTBL_WALK_STOP to end the walk, which then
 *               returns nonzero.
 *   drop_table  if set, a table the walk leaves with no valid entry is
 *               unlinked from its parent and handed to it (free, gather).
 *               The root is never dropped.
 * arg is the caller's. => whoever guards pt's entries is held.
 */
#define PGTBL_VA_END (1UL << 39)
/* Where a walk of a user table stops: the root entries from KROOT_FIRST
 * on are the kernel's, shared by every table (kvm_share), never the
 * space's to copy, free or audit. */
#define UVM_WALK_END ((uint64)KROOT_FIRST << PX_SHIFT(2))
#define PGTBL_WALK_ON    0
#define PGTBL_WALK_SKIP  1
#define PGTBL_WALK_STOP  (-1)
struct pgtbl_walker {
  int (*visit)(struct pgtbl_walker *w, pte_t *pte, uint64 va, int level);
  void (*drop_table)(struct pgtbl_walker *w, pagetable_t pt);
  void *arg;
};
int pgtbl_walk_range(pagetable_t pt, uint64 begin, uint64 end,
                     struct pgtbl_walker *w);
/* 1 if no entry of pt is valid. */
int pgtbl_is_empty(pagetable_t pt);

/* Maps the trampoline page at TRAMPOLINE (read+execute, kernel only).
 * Returns 0, or -1 if a page-table page could not be had. */
int kvm_map_trampoline(pagetable_t pt);

/* Makes the new root pt map the kernel as every table does: copies the
 * kernel table's root entries from KROOT_FIRST on (their lower tables
 * are built once at boot and never change). */
void kvm_share(pagetable_t pt);
/* The first root entry of pt from KROOT_FIRST on that is not the kernel
 * table's, or -1: the audit checks every space with it. */
int kvm_unshared_entry(pagetable_t pt);

/* satp value of the root table pt (a kernel address). */
#define SATP_OF(pt) MAKE_SATP(KPA(pt))

/* ---- uvm.c, usercopy.c, fault.c: user address spaces ---- */

/* Kinds of access, as PROT_* bits. */
#define ACCESS_READ  0x1
#define ACCESS_WRITE 0x2
#define ACCESS_EXEC  0x4

/*
 * A user address space: an object of its own, shared by every thread of a
 * process and reference counted. mm allocates it (uvm_alloc) from a static
 * pool of 2 * NPROC (a slot's own space and one an exec is building) and
 * frees it when the last reference goes (uvm_put).
 *
 * Lock key:
 *   [vm]  vm->lock (rank LOCK_RANK_VM), a spinlock held for metadata work:
 *         the region list, the break, and every change to the page table's
 *         entries, with the shootdowns those changes need. Never held while
 *         a fault zeroes a page or a copy-on-write fault copies one.
 *   [a]   atomic
 *   [I]   set by uvm_alloc, unchanged until the slot is free again
 *
 * Rules (docs/design.md, "Address spaces"):
 *   - A fault allocates and zeroes its page with no lock held, then takes
 *     vm->lock, checks again that the page is still wanted and still
 *     absent, and installs it (or frees it): harts faulting different
 *     pages run in parallel, and harts faulting the same page end with
 *     exactly one page.
 *   - Nothing a table pointed to (a user page, a page-table page) is let go
 *     while some hart may still cache a translation to it: whoever clears
 *     PTEs gathers what they pointed to, shoots down every hart running vm
 *     in user mode, and only then puts or frees (tlb.c), all under
 *     vm->lock.
 *   - A level-0 table that fork left shared by several spaces (pmem refs
 *     above 1) is written by none of them, under any lock: whoever must
 *     change one of its entries gets the PTE from uvm_private_pte, which
 *     copies the table for that space first.
 */
struct uvm {
  struct spinlock lock;
  int in_use;                         /* [a] 0: a free slot of the pool */
  int refs;                           /* [a] holders: threads, exec, fork */
  int id;                             /* [I] owner id of its pages (pmem) */
  uint64 loaded;                      /* [a] bit h: hart h's satp holds its
                                         table (tlb.c) */
  pagetable_t pt;                     /* [vm] root; NULL once torn down */
  uint64 image_end;                   /* [vm] page aligned; the heap starts here */
  uint64 brk;                         /* [vm] [image_end, brk) is the heap */
  struct mmap_region_node *regions;   /* [vm] sorted by begin */
  int last_fault_lazy;                /* [vm, read without it: a hint] the
                                         last fault needed a page (fault.c) */
  /* Read on every return to user mode, written only by shootdowns. (On a
   * cache line of its own, away from the lock, a system call took 1.28 us
   * instead of 1.05 on QEMU, one hart; two workers gained nothing.) */
  uint64 tlb_gen;                     /* [a] shootdowns of it so far */
};

/* Pages (user or page-table) whose PTEs were cleared, waiting for the
 * shootdown that lets them go (tlb.c): a batch that is flushed whenever
 * it fills up, and at the end. */
#define TLB_GATHER_MAX 64
struct tlb_gather {
  struct uvm *vm;
  uint64 begin, end;           /* the user range the PTEs were in (0, 0: any) */
  int n;
  uint64 pa[TLB_GATHER_MAX];   /* low bit set: a page-table page */
};

/* Names the pool's locks. => once, hart 0. */
void uvm_init(void);

/* A new address space holding only the trampoline, with one reference, or
 * NULL if no slot or page could be had. */
struct uvm *uvm_alloc(void);

/* Takes / drops a reference. The last put flushes every hart that ran the
 * space and frees its pages, page-table pages and region nodes.
 * => uvm_put holds no spinlock (it may wait for other harts). */
void uvm_get(struct uvm *vm);
void uvm_put(struct uvm *vm);

/* Maps / unmaps a thread's trapframe page tf at va (TRAPFRAME or
 * TRAPFRAME_CLONE(slot)), kernel-only. The page stays the thread's.
 * uvm_map_trapframe returns 0, or -1 if a page-table page could not be had.
 * => take vm->lock. */
int uvm_map_trapframe(struct uvm *vm, uint64 va, void *tf);
void uvm_unmap_trapframe(struct uvm *vm, uint64 va);

/* Frees every leaf page mapped below TRAPFRAME and every page-table page,
 * recursively; the trampoline and trapframe pages are not freed (they are
 * not the table's). => no hart may cache a translation of pt any more. */
void uvm_destroy_pgtbl(pagetable_t pt);

/* Makes the new space `to` (fresh from uvm_alloc) a copy of `from`: the
 * same mapped pages, shared copy-on-write (every writable page becomes
 * read-only in both, marked PTE_COW, its reference count raised), lazy
 * holes left lazy, the same break and regions. Before it returns, every
 * hart running `from` has flushed, so no sibling thread keeps writing a
 * page the child now shares. With the boot argument "forkcopy" the pages
 * are copied instead, word by word (the eager fork, for comparison).
 * Returns 0, or -1 with `to` holding nothing below TRAPFRAME and nothing
 * leaked. => takes from->lock. */
int uvm_copy_pgtbl(struct uvm *from, struct uvm *to);
/* Copies a page with aligned 8-byte loads and stores: a word another
 * hart stores meanwhile is copied either old or new, never torn. */
void uvm_copy_page(void *dst, const void *src);

/* Nonzero: fork copies pages instead of sharing them. [I] after boot. */
extern int uvm_fork_copies;

/* The leaf PTE for va0 in a level-0 table vm alone holds, allocating the
 * tables on the way, and first copying a table vm shares since a fork
 * (uvm.c, "Shared level-0 tables"); NULL if no page could be had.
 * Whoever changes a user PTE below TRAPFRAME gets it here.
 * => holds vm->lock. */
pte_t *uvm_private_pte(struct uvm *vm, uint64 va0);
/* Drops one reference to a page-table page; the last puts the pages it
 * maps and frees it. => no hart may still walk through it for the caller. */
void uvm_table_put(pagetable_t t);

/* ptshare.c, for uvm.c: the level-0 tables fork shares. */
#define L0_SPAN ((uint64)PT_ENTRIES * PGSIZE)   /* what one level-0 table maps */
/* A new reference to level-0 table t, for a child; leaves is its number of
 * valid entries if the caller counted them, else -1.
 * => holds the lock of a space that maps t. */
void uvm_table_share(pagetable_t t, int leaves);
/* Valid entries of level-0 table t (mapping [base, base + L0_SPAN)) inside
 * [begin, end); *outside gets the number of the others. */
int uvm_table_entries_in(pagetable_t t, uint64 base, uint64 begin, uint64 end,
                         int *outside);
/* Makes vm's own each shared level-0 table that [begin, end) cuts (one with
 * valid entries both inside and outside it; only the tables at the two
 * ends can be), so unmapping the range then clears entries of private
 * tables or drops whole shared ones, and allocates nothing. Returns 0, or
 * -1 if no page could be had. => holds vm->lock. */
int uvm_unshare_cut_tables(struct uvm *vm, uint64 begin, uint64 end);

/* Maps zeroed pages over [va, va + size) with PTE perm (exec's segments).
 * Returns 0 or -1. => vm private to the caller. */
int uvm_map_zeroed(struct uvm *vm, uint64 va, uint64 size, uint64 perm);

/* Clears the PTEs of [begin, end) (page aligned, below TRAPFRAME), shoots
 * down vm's harts, then puts the pages they mapped and frees the
 * page-table pages left empty. A level-0 table shared since a fork goes
 * whole (one reference) if the range holds all its entries; a range that
 * holds only some of them panics (sbrk and munmap copy such tables first).
 * => holds vm->lock. */
void uvm_unmap_range(struct uvm *vm, uint64 begin, uint64 end);

/* The system calls' work, once their arguments are decoded.
 * uvm_sbrk: moves the break by n bytes; the old break, or -1 if the new
 *   one would fall below image_end or cross MMAP_BEGIN, or (a shrink) if
 *   it cuts a level-0 table shared since a fork and no page could be had
 *   for vm's own copy of it.
 * uvm_mmap: records a lazy region of npages at addr (0: the lowest gap
 *   that fits); its start, or 0 if it overlaps, lies outside the area or
 *   the pool is empty.
 * uvm_munmap: removes [addr, addr + npages pages); 0, or -1 with nothing
 *   changed (a page not in a region, or no node or page to split with).
 * A shrink or an unmap returns only after every hart that may cache a
 * removed page has flushed it; the pages are freed after that.
 * => hold no spinlock. */
uint64 uvm_sbrk(struct uvm *vm, long n);
uint64 uvm_mmap(struct uvm *vm, uint64 addr, uint64 npages, int prot);
int uvm_munmap(struct uvm *vm, uint64 addr, uint64 npages);

/* Copies between kernel memory and vm. Each returns 0, or -1 if some byte
 * is not accessible to the user in that way. Lazy pages are faulted in.
 * => hold no spinlock. */
int copyout(struct uvm *vm, uint64 dstva, const void *src, uint64 len);
int copyin(struct uvm *vm, void *dst, uint64 srcva, uint64 len);
/* copyout that never faults a page in: -1 (nothing written) unless every
 * page is mapped already. => may hold locks of rank below LOCK_RANK_VM. */
int copyout_nofault(struct uvm *vm, uint64 dstva, const void *src, uint64 len);
/* Returns 0 if every byte of [va, va + len) allows access (faulting lazy
 * pages in), else -1. Lets a reader check its buffer before it consumes
 * data it could not deliver. => holds no spinlock. */
int uvm_check_access(struct uvm *vm, uint64 va, uint64 len, int access);
/* Copies a NUL-terminated string of at most max bytes (NUL included).
 * Returns its length, or -1 if it is unreadable or longer. => holds no
 * spinlock. */
int copyinstr(struct uvm *vm, char *dst, uint64 srcva, uint64 max);

/* Prints vm's heap, regions and page table (xv6's vmprint style: one line
 * per valid PTE, ".." per level, index, pte, pa). Takes vm->lock. */
void uvm_print(struct uvm *vm);

/* Reports every live address space's pages and nodes, each space once. */
void uvm_audit_all(struct audit *a);

/* fault.c: resolves a user access to va. Returns 0 if the access may now
 * proceed because this fault changed a PTE (a lazy page was mapped, a
 * shared page was copied for a write or made writable); FAULT_ALREADY if
 * the PTE allowed it already (another hart got there first, or this hart
 * caches a stale translation: on RISC-V a PTE made valid or given more
 * rights needs no flush until a hart faults on it, and the caller then
 * flushes that page); -1 if it violates the address space; FAULT_NOMEM if
 * it is allowed but no page could be had (the caller kills or fails
 * either way). => holds no spinlock. */
#define FAULT_ALREADY 1
#define FAULT_NOMEM (-2)
int uvm_fault(struct uvm *vm, uint64 va, int access);
/* Lazy faults and copy-on-write faults served since boot. */
uint64 uvm_lazy_faults(void);
uint64 uvm_cow_faults(void);

/* ---- tlb.c: which harts may cache a space's translations, and flushing
 * them (TLB shootdown) before anything they pointed to is freed ---- */

/* This hart returns to user mode in vm (usertrapret): loads vm's table
 * if the hart is not in it (a full flush), else flushes only if vm was
 * shot down since this hart last flushed; from here on vm's shootdowns
 * interrupt it. => interrupts off. */
void tlb_load(struct uvm *vm);
/* This hart has just trapped out of user mode (usertrap); it stays in its
 * space's table, running kernel code only, and shootdowns need not
 * interrupt it. => interrupts off. */
void tlb_leave(void);
/* Puts this hart back in the kernel's table if it is in vm's (NULL: in
 * any space's): before the hart's thread drops its reference to vm, and
 * in the scheduler when a thread leaves the hart. */
void tlb_unload(struct uvm *vm);

/* Starts an empty batch for vm, for PTEs of [begin, end) (0, 0: any). */
void tlb_gather_init(struct tlb_gather *g, struct uvm *vm, uint64 begin, uint64 end);
/* Adds the page at pa (is_table: a page-table page, freed; else a user
 * page, put), finishing the batch first if it is full.
 * => the caller cleared the PTE that maps it; holds vm->lock. */
void tlb_gather_page(struct tlb_gather *g, uint64 pa, int is_table);
/* Shoots down vm's harts if the batch holds anything, then lets its pages
 * go. => holds vm->lock, or vm is private. */
void tlb_gather_finish(struct tlb_gather *g);

/* Flushes this hart, interrupts every other hart running vm in user mode
 * (from tlb_load to tlb_leave), and waits until each has flushed; a hart
 * in vm's table but in the kernel flushes on its way back to user mode
 * (tlb_load). tlb_shootdown_tables also
 * interrupts those harts: page-table pages are about to go, and a hart
 * may walk its table in the kernel too. => may hold spinlocks: it serves
 * the requests sent to this hart while it waits. */
void tlb_shootdown(struct uvm *vm);
void tlb_shootdown_tables(struct uvm *vm);
/* tlb_shootdown for PTEs of [begin, end) only: this hart flushes just those
 * pages if they are few (the others flush all). */
void tlb_shootdown_range(struct uvm *vm, uint64 begin, uint64 end);

/* Serves the flush requests sent to this hart; acquire() calls it while
 * it spins, so a hart waiting for a lock never holds up a shootdown.
 * => interrupts off. */
void tlb_poll(void);

/* The supervisor software interrupt handler: serves the flush requests
 * sent to this hart. => interrupts off. */
void tlb_intr(void);

/* Fills tlb_shootdowns and ipis of m. */
void tlb_stat(struct memstat *m);

#endif /* MM_MM_H */
