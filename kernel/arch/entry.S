/*
 * entry.S: the first instructions every hart runs, in M-mode.
 *
 * QEMU's reset code (with -bios none) jumps here on every hart at once with
 * a0 = mhartid and a1 = the device tree. A hart whose id is NCPU or more has
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

.section .bss
.balign KSTACK_SIZE   /* backtrace_format relies on this */
.globl boot_stack
boot_stack:
        .space  KSTACK_SIZE * NCPU
