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

void
sort_u64(uint64 *v, int n)
{
  for (int i = 1; i < n; i++) {
    uint64 x = v[i];
    int j = i;
    for (; j > 0 && v[j - 1] > x; j--)
      v[j] = v[j - 1];
    v[j] = x;
  }
}

uint64
median_u64(uint64 *v, int n)
{
  if (n == 0)
    return 0;
  sort_u64(v, n);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#define CALIBRATION_LOOPS 100000UL

uint64
instret_units_x100(void)
{
  /* A loop of known length: 2 instructions an iteration plus the li. */
  uint64 n0 = rdinstret();
  asm volatile("li t0, %0\n"
               "1: addi t0, t0, -1\n"
               "bnez t0, 1b\n" : : "i"(CALIBRATION_LOOPS) : "t0");
  uint64 n1 = rdinstret();
  uint64 x100 = (n1 - n0) * 100 / (2 * CALIBRATION_LOOPS + 1);
  return x100 > 0 ? x100 : 100;
}
