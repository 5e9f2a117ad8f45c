/*
 * trapframe.h: byte offsets into struct trapframe (proc/proc.h) and into a
 * hart's trap scratch (struct hart_scratch, trap/usertrap.c) for the trap
 * vector. proc.c and usertrap.c assert at compile time that every one
 * matches its struct.
 */
#ifndef ARCH_TRAPFRAME_H
#define ARCH_TRAPFRAME_H

#define TF_KERNEL_SP      0
#define TF_KERNEL_TRAP    8
#define TF_EPC            16
#define TF_KERNEL_PROC    24
#define TF_RA   32
#define TF_SP   40
#define TF_GP   48
#define TF_TP   56
#define TF_T0   64
#define TF_T1   72
#define TF_T2   80
#define TF_S0   88
#define TF_S1   96
#define TF_A0   104
#define TF_A1   112
#define TF_A2   120
#define TF_A3   128
#define TF_A4   136
#define TF_A5   144
#define TF_A6   152
#define TF_A7   160
#define TF_S2   168
#define TF_S3   176
#define TF_S4   184
#define TF_S5   192
#define TF_S6   200
#define TF_S7   208
#define TF_S8   216
#define TF_S9   224
#define TF_S10  232
#define TF_S11  240
#define TF_T3   248
#define TF_T4   256
#define TF_T5   264
#define TF_T6   272

/* struct hart_scratch, which sscratch points at. */
#define HS_T0      0
#define HS_TF      8
#define HS_HARTID  16

#endif /* ARCH_TRAPFRAME_H */
