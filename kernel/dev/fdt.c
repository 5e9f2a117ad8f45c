/*
 * fdt.c: a reader for the flattened device tree (devicetree.org spec v0.4,
 * chapter 5) that QEMU passes in a1. It pulls out the RAM range, the number
 * of harts, the timer frequency and the boot arguments, and nothing else.
 *
 * Hart 0 runs it before pmem_init, because the blob sits at the top of RAM
 * and pmem then poisons those pages; everything needed is copied out.
 */
#include "dev/dev.h"
#include "lib/lib.h"

#define FDT_MAGIC      0xd00dfeedU
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE   2
#define FDT_PROP       3
#define FDT_NOP        4
#define FDT_END        9

/* Header fields: byte offsets of big-endian 32-bit words. */
#define FDT_OFF_TOTALSIZE   4
#define FDT_OFF_DT_STRUCT   8
#define FDT_OFF_DT_STRINGS  12

struct boot_info boot_info;

static uint32
be32(const void *p)
{
  const uint8 *b = p;
  return ((uint32)b[0] << 24) | ((uint32)b[1] << 16) | ((uint32)b[2] << 8) | b[3];
}

/* Reads a number of 'cells' 32-bit cells (1 or 2). */
static uint64
read_cells(const uint8 *p, uint32 cells)
{
  return cells == 2 ? ((uint64)be32(p) << 32) | be32(p + 4) : be32(p);
}

static uint32
align4(uint32 x)
{
  return (x + 3) & ~3U;
}

static int
starts_with(const char *s, const char *prefix)
{
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

int
fdt_parse(uint64 dtb, struct boot_info *bi)
{
  const uint8 *base = (const uint8 *)dtb;
  uint32 addr_cells = 2, size_cells = 1;   /* spec defaults */
  const char *node[4] = { "", "", "", "" }; /* names along the current path */
  int depth = 0;

  memset(bi, 0, sizeof(*bi));
  if (base == NULL || be32(base) != FDT_MAGIC)
    return -1;
  const uint8 *p = base + be32(base + FDT_OFF_DT_STRUCT);
  const char *strings = (const char *)base + be32(base + FDT_OFF_DT_STRINGS);
  const uint8 *limit = base + be32(base + FDT_OFF_TOTALSIZE);

  while (p < limit) {
    uint32 token = be32(p);
    p += 4;
    if (token == FDT_BEGIN_NODE) {
      const char *name = (const char *)p;
      p += align4(strlen(name) + 1);
      if (depth < (int)NELEM(node))
        node[depth] = name;
      depth++;
      if (depth == 3 && strcmp(node[1], "cpus") == 0 && starts_with(name, "cpu@"))
        bi->nharts++;
    } else if (token == FDT_END_NODE) {
      depth--;
    } else if (token == FDT_PROP) {
      uint32 len = be32(p);
      const char *pname = strings + be32(p + 4);
      const uint8 *val = p + 8;
      p += 8 + align4(len);
      if (depth == 1 && strcmp(pname, "#address-cells") == 0)
        addr_cells = be32(val);
      else if (depth == 1 && strcmp(pname, "#size-cells") == 0)
        size_cells = be32(val);
      else if (depth == 2 && starts_with(node[1], "memory") &&
               strcmp(pname, "reg") == 0 && bi->ram_size == 0) {
        bi->ram_base = read_cells(val, addr_cells);
        bi->ram_size = read_cells(val + 4 * addr_cells, size_cells);
      } else if (depth == 2 && strcmp(node[1], "cpus") == 0 &&
                 strcmp(pname, "timebase-frequency") == 0)
        bi->timebase_hz = be32(val);
      else if (depth == 2 && strcmp(node[1], "chosen") == 0 &&
               strcmp(pname, "bootargs") == 0)
        strlcpy(bi->bootargs, (const char *)val,
                len < sizeof(bi->bootargs) ? len + 1 : sizeof(bi->bootargs));
    } else if (token == FDT_NOP) {
      continue;
    } else {
      break;    /* FDT_END, or garbage: stop either way */
    }
  }
  return bi->ram_size ? 0 : -1;
}

int
bootarg(const char *key, char *val, int n)
{
  const char *s = boot_info.bootargs;
  unsigned long klen = strlen(key);

  while (*s) {
    while (*s == ' ')
      s++;
    const char *word = s;
    while (*s && *s != ' ')
      s++;
    if ((unsigned long)(s - word) >= klen && strncmp(word, key, klen) == 0 &&
        (word[klen] == ' ' || word[klen] == '\0' || word[klen] == '=')) {
      const char *v = word[klen] == '=' ? word + klen + 1 : word + klen;
      int vlen = (int)(s - v);
      if (n > 0) {
        if (vlen > n - 1)
          vlen = n - 1;
        memcpy(val, v, vlen);
        val[vlen] = '\0';
      }
      return 1;
    }
  }
  return 0;
}
