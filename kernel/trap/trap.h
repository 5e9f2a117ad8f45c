/*
 * trap.h: trap entry for kernel code, device interrupts and the timer.
 *
 * Every hart takes a supervisor timer interrupt TICK_HZ times a second
 * (Sstc: it reprograms its own stimecmp), and the UART interrupt through
 * the PLIC. Kernel exceptions are bugs and panic with the cause.
 */
#ifndef TRAP_TRAP_H
#define TRAP_TRAP_H

#include "lib/types.h"

/* Points stvec at the trap vector and lets user code read the counters.
 * => every hart, before enabling interrupts. */
void trap_inithart(void);
/* usertrap.c: points stvec at the trap vector and sscratch at this hart's
 * scratch. => trap_inithart only. */
void usertrap_inithart(void);

/* Returns to user space for the current process. => interrupts any. */
void usertrapret(void) __attribute__((noreturn));

/* Handles an interrupt given its scause. Returns 1 for a timer tick,
 * 2 for another device, 0 if scause was not an interrupt we know. */
int trap_devintr(uint64 scause);

/* The name of an exception code, for messages. */
const char *trap_cause_name(uint64 scause);

/* timer.c */
void timer_init(uint64 timebase_hz);   /* once, hart 0 */
void timer_inithart(void);             /* every hart: first deadline */
void timer_intr(void);                 /* a tick on this hart */
uint64 timer_ticks(void);              /* global ticks since boot; takes ticks_lock */
/* Sleeps n ticks. Returns 0, or -1 if the process was killed meanwhile.
 * => holds no lock; may sleep. */
int timer_sleep(uint64 n);
uint64 timer_hart_ticks(int hart);     /* ticks taken by one hart */

#endif /* TRAP_TRAP_H */
