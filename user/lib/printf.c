/*
 * printf.c: formatted output for user programs, on the shared formatter
 * (kernel/lib/fmt.c). Output is gathered and written with as few write
 * calls as fit (one for anything under OUTBUF bytes), so lines from
 * different processes do not interleave on the console.
 */
#include <stdarg.h>
#include "lib/fmt.h"
#include "user.h"

#define OUTBUF 512

struct out {
  int fd;
  int len;
  char buf[OUTBUF];
};

static void
out_put(void *ctx, char c)
{
  struct out *o = ctx;

  o->buf[o->len++] = c;
  if (o->len == OUTBUF) {
    write(o->fd, o->buf, o->len);
    o->len = 0;
  }
}

static int
vfprintf(int fd, const char *fmt, va_list ap)
{
  struct out o;

  o.fd = fd;
  o.len = 0;
  int n = fmt_vformat(out_put, &o, fmt, ap);
  if (o.len > 0)
    write(fd, o.buf, o.len);
  return n;
}

int
fprintf(int fd, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int n = vfprintf(fd, fmt, ap);
  va_end(ap);
  return n;
}

int
printf(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int n = vfprintf(1, fmt, ap);
  va_end(ap);
  return n;
}

int
snprintf(char *buf, size_t n, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int len = fmt_vsnprintf(buf, n, fmt, ap);
  va_end(ap);
  return len;
}
