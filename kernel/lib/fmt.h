/*
 * fmt.h: the printf formatter, shared by the kernel and the user library.
 * It knows nothing about where characters go: the caller passes a put
 * function. Conversions: %d %i %u %x %X %p %s %c %%, with flags '-' and '0',
 * a field width, and the length modifiers l, ll and z.
 */
#ifndef LIB_FMT_H
#define LIB_FMT_H

#include <stdarg.h>
#include "lib/types.h"

typedef void (*fmt_put_fn)(void *ctx, char c);

/* Formats fmt with ap, handing each character to put(ctx, c).
 * Returns the number of characters produced. */
int fmt_vformat(fmt_put_fn put, void *ctx, const char *fmt, va_list ap);

/* Formats into buf (always NUL-terminated when n > 0); returns the length
 * the whole output would have had. */
int fmt_snprintf(char *buf, unsigned long n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int fmt_vsnprintf(char *buf, unsigned long n, const char *fmt, va_list ap);

#endif /* LIB_FMT_H */
