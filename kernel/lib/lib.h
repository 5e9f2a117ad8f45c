/*
 * lib.h: the kernel's console printing, panic, and small helpers.
 *
 * printf holds the printf lock for the whole call, so one call's output is
 * never interleaved with another hart's: print a line with one call. panic
 * stops every hart and powers QEMU off with PANIC_EXIT_CODE.
 */
#ifndef LIB_LIB_H
#define LIB_LIB_H

#include "lib/types.h"
#include "lib/string.h"
#include "lib/fmt.h"

#define PANIC_EXIT_CODE 2   /* QEMU's exit status after a kernel panic */

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Sets up the printf lock; call once, on hart 0, before other harts run. */
void printf_init(void);

/* Formats to the console. => takes and drops the printf lock (rank
 * LOCK_RANK_PRINTF): any context except holding a test, pool or pmem lock. */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "panic (hart N): <message>", then every hart's report (its
 * backtrace and the locks it holds), and powers off with PANIC_EXIT_CODE.
 * The other harts report when they next notice the panic: at a timer tick,
 * or spinning for a lock, or printing. Only for broken invariants. */
void panic(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));

/* Nonzero once some hart has panicked; spinning code checks it and calls
 * panic_stop. */
extern volatile int panicking;

/* Harts the panicking hart waits to hear from (set once all are up). */
extern int panic_nharts;

/* For a hart that has seen the panic: files its report and stops. */
void panic_stop(void) __attribute__((noreturn));

/* Stops this hart for good (interrupts off), with no report. */
void hart_park(void) __attribute__((noreturn));

/* Appends the frame-pointer chain that starts at fp to buf (size n, at
 * offset *len). */
void backtrace_format(uint64 fp, char *buf, int n, int *len);

/* The console's fmt_put_fn (polled UART output), for panic's own output. */
void console_put(void *ctx, char c);

/* A small seeded generator (xorshift64*), one state per user of it. */
uint64 rand_next(uint64 *state);

#endif /* LIB_LIB_H */
