/*
 * echo.c: prints its arguments separated by single spaces, then a newline.
 * The line is gathered first and leaves in one write, so it does not
 * interleave with other processes' output on the console; only a line
 * longer than the buffer (exec's limits make that impossible) is split.
 */
#include "user.h"

/* Holds any line exec's limits allow: at most MAXARG - 1 printed arguments
 * of at most MAXARGLEN - 1 bytes, each followed by a space or newline. */
#define LINE_MAX (MAXARG * MAXARGLEN)

static char line[LINE_MAX];
static int len;

static void
flush(void)
{
  if (len > 0)
    write(1, line, len);
  len = 0;
}

static void
put(const char *s, int n)
{
  while (n > 0) {
    if (len == LINE_MAX)
      flush();
    int k = LINE_MAX - len;
    if (k > n)
      k = n;
    memcpy(line + len, s, k);
    len += k;
    s += k;
    n -= k;
  }
}

int
main(int argc, char **argv)
{
  for (int i = 1; i < argc; i++) {
    if (i > 1)
      put(" ", 1);
    put(argv[i], strlen(argv[i]));
  }
  put("\n", 1);
  flush();
  return 0;
}
