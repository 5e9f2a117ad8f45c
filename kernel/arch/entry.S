/*
 * entry.S: the first instructions every hart runs, in M-mode.
 *
 * QEMU's reset code (with -bios none) jumps here, to physical KERNBASE,
 * on every hart at once with a0 = mhartid and a1 = the device tree, paging
 * off: the code runs at its physical address until start() enters S-mode
 * at boot_high, in the upper half where the kernel is linked (every
 * address here is pc-relative, so it works at either). A hart whose id is NCPU or more has
 * no stack or per-hart state in this kernel, so it parks here before it
 * touches memory. Every other hart takes its boot stack and calls start().
 */
#include "param.h"
#include "arch/memlayout.h"

.section .text.entry
.globl _entry
_entry:
        li      t0, NCPU
        bgeu    a0, t0, park
        # sp = boot_stack + (hartid + 1) * KSTACK_SIZE
        la      sp, boot_stack
        li      t0, KSTACK_SIZE
        addi    t1, a0, 1
        mul     t0, t0, t1
        add     sp, sp, t0
        # a0 (hartid) and a1 (device tree) pass straight to start().
        call    start
park:
        wfi
        j       park

# start() mrets here, in S-mode with the boot page table: the pc is in the
# upper half already, the stack pointer still physical. Move it to the
# linear map too, and enter main(hartid, dtb) with a0, a1 as they are.
.globl boot_high
boot_high:
        li      t0, KMAP_BASE
        add     sp, sp, t0
        li      gp, 0           # no process yet: myproc() is NULL
        call    main
        j       park

.section .bss
.balign KSTACK_SIZE   /* backtrace_format relies on this */
.globl boot_stack
boot_stack:
        .space  KSTACK_SIZE * NCPU
