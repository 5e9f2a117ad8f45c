/*
 * param.h: compile-time limits. The Makefile passes NCPU (from CPUS) and
 * N_MMAP on the command line; the defaults here keep a header compiled
 * alone (or a host test) meaningful.
 */
#ifndef PARAM_H
#define PARAM_H

#ifndef NCPU
#define NCPU 4          /* harts the kernel runs; higher hart ids park */
#endif
#ifndef N_MMAP
#define N_MMAP 256      /* mmap_region_node structs in the shared pool */
#endif
/* Process-table slots (threads included): grows with the harts, so every
 * hart can keep several threaded workers busy. */
#define NPROC (32 + 16 * NCPU)
#define NFILE 256        /* open files, all processes together */
#define BOOTARGS_MAX 256 /* bytes of the -append string kept */
#define TICK_HZ 100      /* timer interrupts per second on every hart */

#endif /* PARAM_H */
