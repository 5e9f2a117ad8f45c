/*
 * layout.h: page size and the user virtual address space (DESIGN.md 3).
 * Included by the kernel and by user programs (through user.h), so both
 * agree on every boundary.
 *
 *   VA_MAX     +------------------+
 *              | trampoline       |  one page
 *              | trapframe        |  one page
 *              | stack            |  STACK_PAGES - 1, grows down, lazily
 *              | guard            |  one page, never mapped
 *   MMAP_END   +------------------+  == STACK_BOTTOM
 *              | mmap area        |  MMAP_PAGES, lazy anonymous regions
 *   MMAP_BEGIN +------------------+
 *              | heap (sbrk)      |  [image end, brk), lazy
 *              | program image    |  text, data, bss
 *   USER_BASE  +------------------+
 *              | page 0           |  never mapped, so NULL faults
 *   0          +------------------+
 */
#ifndef UAPI_LAYOUT_H
#define UAPI_LAYOUT_H

/* Unsigned long constants that assembly files can use too. */
#ifdef __ASSEMBLER__
#define UL_(x) x
#else
#define UL_(x) x##UL
#endif

#define PGSIZE UL_(4096)
#define PGROUNDUP(a)   (((a) + PGSIZE - 1) & ~(PGSIZE - 1))
#define PGROUNDDOWN(a) ((a) & ~(PGSIZE - 1))

#define VA_MAX       (UL_(1) << 38)
#define TRAMPOLINE   (VA_MAX - PGSIZE)
#define TRAPFRAME    (TRAMPOLINE - PGSIZE)
#define STACK_PAGES  UL_(32)   /* the lowest is the guard: 31 usable pages */
#define STACK_TOP    TRAPFRAME
#define STACK_BOTTOM (TRAPFRAME - STACK_PAGES * PGSIZE)
#define STACK_GUARD  STACK_BOTTOM             /* never mapped */
#define STACK_LIMIT  (STACK_GUARD + PGSIZE)   /* lowest usable stack byte */
#define MMAP_END     (VA_MAX - 34 * PGSIZE)
#define MMAP_PAGES   UL_(8096)
#define MMAP_BEGIN   (MMAP_END - MMAP_PAGES * PGSIZE)
#define USER_BASE    PGSIZE

#ifndef __ASSEMBLER__
_Static_assert(MMAP_END == STACK_BOTTOM, "the mmap area ends at the stack's guard");
#endif

#endif /* UAPI_LAYOUT_H */
