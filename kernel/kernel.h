/*
 * kernel.h: the boot sequence's entry points, shared by arch/start.c (which
 * jumps to main) and main.c. Subsystem interfaces live in their own headers.
 */
#ifndef KERNEL_H
#define KERNEL_H

#include "lib/types.h"

/* main.c: first S-mode code on every hart; never returns. */
void main(uint64 hartid, uint64 dtb) __attribute__((noreturn));

#endif /* KERNEL_H */
