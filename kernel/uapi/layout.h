/*
 * layout.h: page size and the user virtual address space (DESIGN.md 3).
 * Included by the kernel and by user programs (through user.h), so both
 * agree on every boundary.
 *
 *   VA_MAX     +------------------+
 *              | trampoline       |  one page
 *              | trapframe        |  one page
 *              | stack            |  STACK_PAGES, grows down, lazily
 *              | guard            |  never mapped
 *   MMAP_END   +------------------+
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

#define PGSIZE 4096UL
#define PGROUNDUP(a)   (((a) + PGSIZE - 1) & ~(PGSIZE - 1))
#define PGROUNDDOWN(a) ((a) & ~(PGSIZE - 1))

#define VA_MAX       (1UL << 38)
#define TRAMPOLINE   (VA_MAX - PGSIZE)
#define TRAPFRAME    (TRAMPOLINE - PGSIZE)
#define STACK_PAGES  32UL
#define STACK_TOP    TRAPFRAME
#define STACK_BOTTOM (TRAPFRAME - STACK_PAGES * PGSIZE)
#define MMAP_END     (VA_MAX - 34 * PGSIZE)
#define MMAP_PAGES   8096UL
#define MMAP_BEGIN   (MMAP_END - MMAP_PAGES * PGSIZE)
#define USER_BASE    PGSIZE

#endif /* UAPI_LAYOUT_H */
