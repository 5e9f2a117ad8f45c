/*
 * trampoline.S: the page mapped at TRAMPOLINE in every page table, user and
 * kernel alike, so the code keeps running while satp switches under it.
 *
 * uservec (stvec while in user mode) saves the user registers in the
 * running thread's trapframe, whose user-table address userret left in
 * sscratch (each thread of a shared address space has its own: TRAPFRAME
 * or TRAPFRAME_CLONE(slot)), takes the kernel stack and jumps to
 * usertrap(). userret(trapframe va) does the reverse and srets to user.
 * Neither touches satp: every user table maps the kernel in its upper half
 * (mm/kvm.c), so a trap flushes nothing. usertrapret loads the space's
 * table before calling userret, if the hart is not in it already.
 * The page holds no data: it is mapped read+execute, without PTE_U.
 */
#include "arch/trapframe.h"
#include "uapi/layout.h"

.section .trampoline, "ax"
# Exact alignment padding (no linker relaxation), so the page is one page.
.option norelax
.balign PGSIZE
.globl trampoline
trampoline:

.globl uservec
.balign 4
uservec:
        # Swap: a0 points at this thread's trapframe, sscratch keeps user a0.
        csrrw   a0, sscratch, a0
        sd      ra, TF_RA(a0)
        sd      sp, TF_SP(a0)
        sd      gp, TF_GP(a0)
        sd      tp, TF_TP(a0)
        sd      t0, TF_T0(a0)
        sd      t1, TF_T1(a0)
        sd      t2, TF_T2(a0)
        sd      s0, TF_S0(a0)
        sd      s1, TF_S1(a0)
        sd      a1, TF_A1(a0)
        sd      a2, TF_A2(a0)
        sd      a3, TF_A3(a0)
        sd      a4, TF_A4(a0)
        sd      a5, TF_A5(a0)
        sd      a6, TF_A6(a0)
        sd      a7, TF_A7(a0)
        sd      s2, TF_S2(a0)
        sd      s3, TF_S3(a0)
        sd      s4, TF_S4(a0)
        sd      s5, TF_S5(a0)
        sd      s6, TF_S6(a0)
        sd      s7, TF_S7(a0)
        sd      s8, TF_S8(a0)
        sd      s9, TF_S9(a0)
        sd      s10, TF_S10(a0)
        sd      s11, TF_S11(a0)
        sd      t3, TF_T3(a0)
        sd      t4, TF_T4(a0)
        sd      t5, TF_T5(a0)
        sd      t6, TF_T6(a0)
        csrr    t0, sscratch
        sd      t0, TF_A0(a0)

        ld      sp, TF_KERNEL_SP(a0)
        ld      tp, TF_KERNEL_HARTID(a0)
        ld      t0, TF_KERNEL_TRAP(a0)
        jr      t0

.globl userret
.balign 4
userret:
        # a0: the thread's trapframe, at its address in the loaded table.
        csrw    sscratch, a0
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
