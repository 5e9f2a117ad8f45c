/*
 * trampoline.S: the trap vector of every hart, user and kernel traps alike,
 * and the return to user mode. The page is also mapped at TRAMPOLINE in
 * every page table (the layout keeps that page), but the code runs at its
 * kernel address: every user table maps the kernel in its upper half
 * (mm/kvm.c), so stvec never changes and a trap switches no satp and
 * flushes nothing (usertrapret loads the space's table before userret, if
 * the hart is not in it already).
 *
 * sscratch always points at this hart's scratch (trap/usertrap.c, HS_*
 * offsets): on QEMU every CSR instruction, a read too, ends the translated
 * block and goes back to the main loop (about 40 ns each), so the vector
 * makes three (it swaps a0 with sscratch, reads sstatus.SPP, and swaps
 * back in one csrrw; a trap from the kernel swaps back at once) and
 * userret none before its sret.
 * The page holds no data: it is mapped read+execute, without PTE_U.
 */
#include "arch/riscv.h"
#include "arch/trapframe.h"
#include "uapi/layout.h"

.section .trampoline, "ax"
# Exact alignment padding (no linker relaxation), so the page is one page.
.option norelax
.balign PGSIZE
.globl trampoline
trampoline:

.globl trapvec
.balign 4
trapvec:
        # a0 points at the hart's scratch, sscratch keeps the trapped a0.
        csrrw   a0, sscratch, a0
        sd      t0, HS_T0(a0)
        csrr    t0, sstatus
        srli    t0, t0, SSTATUS_SPP_BIT
        andi    t0, t0, 1
        bnez    t0, from_kernel

        # From user mode: save every register in the thread's trapframe
        # (kernel address), a0 and t0 last, from where they wait.
        ld      t0, HS_TF(a0)
        sd      ra, TF_RA(t0)
        sd      sp, TF_SP(t0)
        sd      gp, TF_GP(t0)
        sd      tp, TF_TP(t0)
        sd      t1, TF_T1(t0)
        sd      t2, TF_T2(t0)
        sd      s0, TF_S0(t0)
        sd      s1, TF_S1(t0)
        sd      a1, TF_A1(t0)
        sd      a2, TF_A2(t0)
        sd      a3, TF_A3(t0)
        sd      a4, TF_A4(t0)
        sd      a5, TF_A5(t0)
        sd      a6, TF_A6(t0)
        sd      a7, TF_A7(t0)
        sd      s2, TF_S2(t0)
        sd      s3, TF_S3(t0)
        sd      s4, TF_S4(t0)
        sd      s5, TF_S5(t0)
        sd      s6, TF_S6(t0)
        sd      s7, TF_S7(t0)
        sd      s8, TF_S8(t0)
        sd      s9, TF_S9(t0)
        sd      s10, TF_S10(t0)
        sd      s11, TF_S11(t0)
        sd      t3, TF_T3(t0)
        sd      t4, TF_T4(t0)
        sd      t5, TF_T5(t0)
        sd      t6, TF_T6(t0)
        ld      t1, HS_T0(a0)
        sd      t1, TF_T0(t0)
        csrrw   t1, sscratch, a0        # the trapped a0; the scratch again
        sd      t1, TF_A0(t0)

        ld      tp, HS_HARTID(a0)
        ld      sp, TF_KERNEL_SP(t0)
        ld      gp, TF_KERNEL_PROC(t0)
        ld      t1, TF_KERNEL_TRAP(t0)
        jr      t1

from_kernel:
        # Put t0, a0 and sscratch back as they were, then save on the
        # kernel stack like any kernel trap.
        ld      t0, HS_T0(a0)
        csrrw   a0, sscratch, a0
        j       kernelvec

.globl userret
.balign 4
userret:
        # a0: the thread's trapframe (kernel address). sepc and sstatus are
        # set; the hart's scratch points at this trapframe.
        ld      ra, TF_RA(a0)
        ld      sp, TF_SP(a0)
        ld      gp, TF_GP(a0)
        ld      tp, TF_TP(a0)
        ld      t0, TF_T0(a0)
        ld      t1, TF_T1(a0)
        ld      t2, TF_T2(a0)
        ld      s0, TF_S0(a0)
        ld      s1, TF_S1(a0)
        ld      a1, TF_A1(a0)
        ld      a2, TF_A2(a0)
        ld      a3, TF_A3(a0)
        ld      a4, TF_A4(a0)
        ld      a5, TF_A5(a0)
        ld      a6, TF_A6(a0)
        ld      a7, TF_A7(a0)
        ld      s2, TF_S2(a0)
        ld      s3, TF_S3(a0)
        ld      s4, TF_S4(a0)
        ld      s5, TF_S5(a0)
        ld      s6, TF_S6(a0)
        ld      s7, TF_S7(a0)
        ld      s8, TF_S8(a0)
        ld      s9, TF_S9(a0)
        ld      s10, TF_S10(a0)
        ld      s11, TF_S11(a0)
        ld      t3, TF_T3(a0)
        ld      t4, TF_T4(a0)
        ld      t5, TF_T5(a0)
        ld      t6, TF_T6(a0)
        ld      a0, TF_A0(a0)
        sret

.balign PGSIZE
.globl trampoline_end
trampoline_end:
