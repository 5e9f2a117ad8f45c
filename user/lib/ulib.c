/* ulib.c: small helpers for user programs that are not system calls. */
#include "user.h"

int
readline(int fd, char *buf, int n)
{
  int len = 0;

  while (len + 1 < n) {
    char c;
    if (read(fd, &c, 1) != 1)
      break;
    buf[len++] = c;
    if (c == '\n')
      break;
  }
  buf[len] = '\0';
  return len;
}
