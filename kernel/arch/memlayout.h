/*
 * memlayout.h: the physical memory map of qemu-system-riscv64 -machine virt,
 * and where the kernel places itself in it.
 *
 * Physical addresses of the devices come from QEMU's hw/riscv/virt.c; RAM
 * starts at KERNBASE and its size is read from the device tree at boot.
 *
 * The kernel lives in the upper half of Sv39, the same in every page table
 * (docs/design.md, "Memory layout"): physical address pa is seen by the
 * kernel at KVA(pa), in a linear map of the first 4 GiB of physical space
 * (devices and RAM), and the kernel image is linked there, at
 * KVA(KERNBASE). User tables share the kernel's upper-half entries, so a
 * trap changes no page table. Device registers are reached at KVA(base).
 */
#ifndef ARCH_MEMLAYOUT_H
#define ARCH_MEMLAYOUT_H

#include "uapi/layout.h"     /* UL_: constants usable from assembly too */

#define FINISHER_BASE  0x00100000UL   /* sifive test finisher */
#define FINISHER_SIZE  0x1000UL
#define CLINT_BASE     0x02000000UL   /* core-local interruptor (mtime) */
#define CLINT_SIZE     0x10000UL
#define CLINT_MTIMECMP(hart) (CLINT_BASE + 0x4000UL + 8UL * (hart))  /* M-mode timer */
#define PLIC_BASE      0x0c000000UL   /* platform-level interrupt controller */
#define PLIC_SIZE      0x400000UL
#define SSWI_BASE      0x02f00000UL   /* ACLINT supervisor software interrupts */
#define SSWI_SIZE      0x4000UL       /*   (-machine virt,aclint=on): one */
#define SSWI_SETSSIP(hart) (SSWI_BASE + 4UL * (hart))  /* word per hart */
#define UART0_BASE     0x10000000UL   /* ns16550a */
#define UART0_SIZE     0x1000UL
#define UART0_IRQ      10

#define KERNBASE       0x80000000UL   /* -kernel loads us here, -bios none */

/* The linear map: physical [0, KMAP_SIZE) at [KMAP_BASE, ...). */
#define KMAP_BASE      UL_(0xffffffd000000000)
#define KMAP_SIZE      UL_(0x100000000)               /* 4 GiB: devices and RAM */
#define KVA(pa)        ((unsigned long)(pa) + KMAP_BASE)
#define KPA(va)        ((unsigned long)(va) - KMAP_BASE)
/* Root entries from here up map the kernel and are shared by every table;
 * entries below it are the space's own (user half, clone trapframes). */
#define KROOT_FIRST    320                        /* PX(2, KMAP_BASE) */
#define VIRT_TIMEBASE_HZ 10000000UL   /* virt's timer; the device tree says so too */

/* PLIC register offsets; context 2h+1 is hart h's supervisor mode. */
#define PLIC_PRIORITY(irq)    (PLIC_BASE + 4UL * (irq))
#define PLIC_SCONTEXT(hart)   (2UL * (hart) + 1)
#define PLIC_SENABLE(hart)    (PLIC_BASE + 0x2000UL + 0x80UL * PLIC_SCONTEXT(hart))
#define PLIC_STHRESHOLD(hart) (PLIC_BASE + 0x200000UL + 0x1000UL * PLIC_SCONTEXT(hart))
#define PLIC_SCLAIM(hart)     (PLIC_STHRESHOLD(hart) + 4)

/* Test finisher commands. */
#define FINISHER_PASS  0x5555
#define FINISHER_FAIL  0x3333

/*
 * Kernel stacks. Every stack (a hart's boot stack, which becomes its
 * scheduler stack, and each process's) is KSTACK_SIZE bytes with its top
 * aligned to KSTACK_SIZE, which is how backtrace_format finds its bounds.
 * Process stacks sit in the kernel's upper half, above the linear map, one
 * per slot, each with an unmapped guard of the same size beneath it.
 */
#define KSTACK_SIZE    0x4000
#define KSTACK_STRIDE  (2 * KSTACK_SIZE)                 /* stack + guard */
#define KSTACK_TOP0    (0xffffffff00000000UL - KSTACK_STRIDE)   /* above the linear map */
#define KSTACK(slot)   (KSTACK_TOP0 - (unsigned long)(slot) * KSTACK_STRIDE - KSTACK_SIZE)

/*
 * Trapframes of threads made by clone. A thread's registers are saved at the
 * address in sscratch, so each thread of one address space needs its own
 * page. The first thread of a process uses TRAPFRAME (uapi/layout.h); the
 * others use a window in the upper, kernel half of the Sv39 space of their
 * shared user table: one page per process slot, kernel-only (no PTE_U), so
 * it costs no user address and user code can never reach it.
 */
#define TRAPFRAME_CLONE_BASE 0xffffffc000000000UL   /* SV39_UPPER_BEGIN */
#define TRAPFRAME_CLONE(slot) (TRAPFRAME_CLONE_BASE + (unsigned long)(slot) * 0x1000UL)

#endif /* ARCH_MEMLAYOUT_H */
