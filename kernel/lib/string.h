/*
 * string.h: memory and string helpers, shared by the kernel and the user
 * library (both compile lib/string.c).
 */
#ifndef LIB_STRING_H
#define LIB_STRING_H

#include "lib/types.h"

void *memset(void *dst, int c, unsigned long n);
void *memcpy(void *dst, const void *src, unsigned long n);
void *memmove(void *dst, const void *src, unsigned long n);
int memcmp(const void *a, const void *b, unsigned long n);
unsigned long strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, unsigned long n);
/* Copies at most n-1 characters and always terminates (n > 0).
 * Returns strlen(src), so a result >= n means it was cut. */
unsigned long strlcpy(char *dst, const char *src, unsigned long n);
/* Decimal with an optional leading '-'; stops at the first non-digit. */
int atoi(const char *s);

#endif /* LIB_STRING_H */
