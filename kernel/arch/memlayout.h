/*
 * memlayout.h: the physical memory map of qemu-system-riscv64 -machine virt,
 * and where the kernel places itself in it.
 *
 * Physical addresses of the devices come from QEMU's hw/riscv/virt.c; RAM
 * starts at KERNBASE and its size is read from the device tree at boot. The
 * kernel maps all of these one-to-one (va == pa) in its page table.
 */
#ifndef ARCH_MEMLAYOUT_H
#define ARCH_MEMLAYOUT_H

#define FINISHER_BASE  0x00100000UL   /* sifive test finisher */
#define FINISHER_SIZE  0x1000UL
#define CLINT_BASE     0x02000000UL   /* core-local interruptor (mtime) */
#define CLINT_SIZE     0x10000UL
#define PLIC_BASE      0x0c000000UL   /* platform-level interrupt controller */
#define PLIC_SIZE      0x400000UL
#define SSWI_BASE      0x02f00000UL   /* ACLINT supervisor software interrupts */
#define SSWI_SIZE      0x4000UL       /*   (-machine virt,aclint=on): one */
#define SSWI_SETSSIP(hart) (SSWI_BASE + 4UL * (hart))  /* word per hart */
#define UART0_BASE     0x10000000UL   /* ns16550a */
#define UART0_SIZE     0x1000UL
#define UART0_IRQ      10

#define KERNBASE       0x80000000UL   /* -kernel loads us here, -bios none */
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
 * Process stacks sit high in the kernel page table, below the trampoline,
 * one per slot, each with an unmapped guard of the same size beneath it.
 */
#define KSTACK_SIZE    0x4000
#define KSTACK_STRIDE  (2 * KSTACK_SIZE)                 /* stack + guard */
#define KSTACK_TOP0    ((1UL << 38) - KSTACK_STRIDE)     /* below TRAMPOLINE */
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
