/*
 * string.c: byte-at-a-time memory and string helpers. GCC may call
 * memset/memcpy itself for struct copies, so these keep their C names.
 */
#include "lib/string.h"

void *
memset(void *dst, int c, unsigned long n)
{
  unsigned char *d = dst;

  /* Word stores for the page-sized fills that pmem does on every free. */
  if ((((uintptr)d | n) & 7) == 0) {
    uint64 w = (unsigned char)c;
    w |= w << 8;
    w |= w << 16;
    w |= w << 32;
    for (uint64 *q = dst; n > 0; n -= 8)
      *q++ = w;
    return dst;
  }
  while (n-- > 0)
    *d++ = (unsigned char)c;
  return dst;
}

void *
memmove(void *dst, const void *src, unsigned long n)
{
  unsigned char *d = dst;
  const unsigned char *s = src;

  if (s < d && s + n > d) {
    d += n;
    s += n;
    while (n-- > 0)
      *--d = *--s;
  } else {
    while (n-- > 0)
      *d++ = *s++;
  }
  return dst;
}

void *
memcpy(void *dst, const void *src, unsigned long n)
{
  return memmove(dst, src, n);
}

int
memcmp(const void *a, const void *b, unsigned long n)
{
  const unsigned char *p = a, *q = b;

  for (; n > 0; n--, p++, q++)
    if (*p != *q)
      return *p - *q;
  return 0;
}

unsigned long
strlen(const char *s)
{
  unsigned long n = 0;

  while (s[n])
    n++;
  return n;
}

int
strncmp(const char *a, const char *b, unsigned long n)
{
  for (; n > 0 && *a && *a == *b; n--, a++, b++)
    ;
  if (n == 0)
    return 0;
  return (unsigned char)*a - (unsigned char)*b;
}

int
strcmp(const char *a, const char *b)
{
  return strncmp(a, b, ~0UL);
}

unsigned long
strlcpy(char *dst, const char *src, unsigned long n)
{
  unsigned long len = strlen(src);

  if (n > 0) {
    unsigned long k = len < n - 1 ? len : n - 1;
    memcpy(dst, src, k);
    dst[k] = '\0';
  }
  return len;
}

int
atoi(const char *s)
{
  int neg = *s == '-';
  int n = 0;

  if (neg)
    s++;
  while (*s >= '0' && *s <= '9')
    n = n * 10 + (*s++ - '0');
  return neg ? -n : n;
}
