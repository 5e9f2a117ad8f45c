/*
 * fmt.c: a small printf engine, compiled into the kernel and into the user
 * library. No allocation, no floating point; unknown conversions are
 * printed as they were written so a typo shows up on the console.
 */
#include "lib/fmt.h"

struct fmt_spec {
  int left;      /* '-': pad on the right */
  int zero;      /* '0': pad with zeros */
  int width;
  int lng;       /* 0 int, 1 long, 2 long long */
};

static int
emit_padded(fmt_put_fn put, void *ctx, const char *s, int len,
            const struct fmt_spec *sp, int sign)
{
  int pad = sp->width - len - (sign != 0);
  int n = 0;

  if (pad < 0)
    pad = 0;
  if (!sp->left && !sp->zero)
    for (; pad > 0; pad--, n++)
      put(ctx, ' ');
  if (sign) {
    put(ctx, (char)sign);
    n++;
  }
  if (!sp->left && sp->zero)
    for (; pad > 0; pad--, n++)
      put(ctx, '0');
  for (int i = 0; i < len; i++, n++)
    put(ctx, s[i]);
  for (; pad > 0; pad--, n++)
    put(ctx, ' ');
  return n;
}

static int
emit_number(fmt_put_fn put, void *ctx, uint64 v, int base, int upper,
            int sign, const struct fmt_spec *sp)
{
  const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  char buf[24];
  int i = sizeof(buf);

  do {
    buf[--i] = digits[v % (uint64)base];
    v /= (uint64)base;
  } while (v != 0);
  return emit_padded(put, ctx, buf + i, (int)sizeof(buf) - i, sp, sign);
}

int
fmt_vformat(fmt_put_fn put, void *ctx, const char *fmt, va_list ap)
{
  int n = 0;

  for (const char *p = fmt; *p; p++) {
    if (*p != '%') {
      put(ctx, *p);
      n++;
      continue;
    }
    const char *start = p++;
    struct fmt_spec sp = { 0, 0, 0, 0 };
    for (;; p++) {
      if (*p == '-')
        sp.left = 1;
      else if (*p == '0')
        sp.zero = 1;
      else
        break;
    }
    while (*p >= '0' && *p <= '9')
      sp.width = sp.width * 10 + (*p++ - '0');
    while (*p == 'l' || *p == 'z') {
      sp.lng += (*p == 'z') ? 2 : 1;
      p++;
    }

    int64 sv;
    uint64 uv;
    switch (*p) {
    case 'd':
    case 'i':
      sv = sp.lng ? va_arg(ap, int64) : va_arg(ap, int);
      uv = sv < 0 ? (uint64)0 - (uint64)sv : (uint64)sv;
      n += emit_number(put, ctx, uv, 10, 0, sv < 0 ? '-' : 0, &sp);
      break;
    case 'u':
    case 'x':
    case 'X':
      uv = sp.lng ? va_arg(ap, uint64) : va_arg(ap, unsigned int);
      n += emit_number(put, ctx, uv, *p == 'u' ? 10 : 16, *p == 'X', 0, &sp);
      break;
    case 'p':
      put(ctx, '0');
      put(ctx, 'x');
      n += 2;
      uv = (uint64)(uintptr)va_arg(ap, void *);
      n += emit_number(put, ctx, uv, 16, 0, 0, &sp);
      break;
    case 's': {
      const char *s = va_arg(ap, const char *);
      int len = 0;
      if (s == NULL)
        s = "(null)";
      while (s[len])
        len++;
      sp.zero = 0;
      n += emit_padded(put, ctx, s, len, &sp, 0);
      break;
    }
    case 'c': {
      char c = (char)va_arg(ap, int);
      sp.zero = 0;
      n += emit_padded(put, ctx, &c, 1, &sp, 0);
      break;
    }
    case '%':
      put(ctx, '%');
      n++;
      break;
    default:
      /* Unknown or truncated: show it verbatim. */
      for (const char *q = start; q <= p && *q; q++, n++)
        put(ctx, *q);
      if (*p == '\0')
        return n;
      break;
    }
  }
  return n;
}

struct fmt_buf {
  char *buf;
  unsigned long size;
  unsigned long len;
};

static void
buf_put(void *ctx, char c)
{
  struct fmt_buf *b = ctx;
  if (b->len + 1 < b->size)
    b->buf[b->len] = c;
  b->len++;
}

int
fmt_vsnprintf(char *buf, unsigned long n, const char *fmt, va_list ap)
{
  struct fmt_buf b = { buf, n, 0 };
  int len = fmt_vformat(buf_put, &b, fmt, ap);
  if (n > 0)
    buf[b.len < n ? b.len : n - 1] = '\0';
  return len;
}

int
fmt_snprintf(char *buf, unsigned long n, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int len = fmt_vsnprintf(buf, n, fmt, ap);
  va_end(ap);
  return len;
}
