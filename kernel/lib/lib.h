/*
 * lib.h: the kernel's console printing, panic, and small helpers.
 *
 * printf holds the console lock for the whole call, so one call's output is
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

/* Sets up the console lock; call once, on hart 0, before other harts run. */
void printf_init(void);

/* Formats to the console. => takes and drops the console lock; any context. */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "panic (hart N): <message>" and a backtrace, stops every hart and
 * powers off with PANIC_EXIT_CODE. Only for broken invariants. */
void panic(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));

/* Nonzero once some hart has panicked; spinning code checks it and parks. */
extern volatile int panicking;

/* Parks this hart for good (interrupts off). Used by harts that see a panic. */
void hart_park(void) __attribute__((noreturn));

/* Prints the frame-pointer chain that starts at fp. */
void backtrace_from(uint64 fp);

/* A small seeded generator (xorshift64*), one state per user of it. */
uint64 rand_next(uint64 *state);

#endif /* LIB_LIB_H */
