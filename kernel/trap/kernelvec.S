/*
 * kernelvec.S: where the trap vector (arch/trampoline.S) sends a trap
 * taken in S-mode, with every register as the trap found it. Saves the
 * registers a C call may clobber on the current kernel stack, calls
 * kerneltrap(), restores them and returns with sret. Callee-saved
 * registers are kerneltrap's own business; tp holds the hart id and the
 * kernel never changes it.
 */
#define REGBYTES 8
#define FRAME_BYTES (18 * REGBYTES)   /* 17 registers, 16-byte aligned */

.section .text
.globl kernelvec
kernelvec:
        addi    sp, sp, -FRAME_BYTES
        sd      ra, 0*REGBYTES(sp)
        sd      gp, 1*REGBYTES(sp)
        sd      t0, 2*REGBYTES(sp)
        sd      t1, 3*REGBYTES(sp)
        sd      t2, 4*REGBYTES(sp)
        sd      t3, 5*REGBYTES(sp)
        sd      t4, 6*REGBYTES(sp)
        sd      t5, 7*REGBYTES(sp)
        sd      t6, 8*REGBYTES(sp)
        sd      a0, 9*REGBYTES(sp)
        sd      a1, 10*REGBYTES(sp)
        sd      a2, 11*REGBYTES(sp)
        sd      a3, 12*REGBYTES(sp)
        sd      a4, 13*REGBYTES(sp)
        sd      a5, 14*REGBYTES(sp)
        sd      a6, 15*REGBYTES(sp)
        sd      a7, 16*REGBYTES(sp)

        call    kerneltrap

        ld      ra, 0*REGBYTES(sp)
        ld      gp, 1*REGBYTES(sp)
        ld      t0, 2*REGBYTES(sp)
        ld      t1, 3*REGBYTES(sp)
        ld      t2, 4*REGBYTES(sp)
        ld      t3, 5*REGBYTES(sp)
        ld      t4, 6*REGBYTES(sp)
        ld      t5, 7*REGBYTES(sp)
        ld      t6, 8*REGBYTES(sp)
        ld      a0, 9*REGBYTES(sp)
        ld      a1, 10*REGBYTES(sp)
        ld      a2, 11*REGBYTES(sp)
        ld      a3, 12*REGBYTES(sp)
        ld      a4, 13*REGBYTES(sp)
        ld      a5, 14*REGBYTES(sp)
        ld      a6, 15*REGBYTES(sp)
        ld      a7, 16*REGBYTES(sp)
        addi    sp, sp, FRAME_BYTES
        sret
