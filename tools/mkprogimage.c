/*
 * mkprogimage.c: packs user programs into the image the kernel embeds
 * (format: kernel/proc/progimage.h). A host tool, run by the Makefile:
 *
 *   mkprogimage OUT PROGRAM...
 *
 * Each program is entered under its file name (build/user/bin/sh -> "sh").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proc/progimage.h"

static void
die(const char *what, const char *name)
{
  fprintf(stderr, "mkprogimage: %s: %s\n", what, name);
  exit(1);
}

int
main(int argc, char **argv)
{
  if (argc < 3) {
    fprintf(stderr, "usage: mkprogimage OUT PROGRAM...\n");
    return 1;
  }
  int n = argc - 2;
  struct progimage_header h;
  struct progimage_entry *dir = calloc((size_t)n, sizeof(*dir));
  char **data = calloc((size_t)n, sizeof(*data));
  uint64 offset = sizeof(h) + (uint64)n * sizeof(*dir);

  memset(&h, 0, sizeof(h));
  memcpy(h.magic, PROGIMAGE_MAGIC, sizeof(h.magic));
  h.count = (uint32)n;
  for (int i = 0; i < n; i++) {
    const char *path = argv[i + 2];
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    if (strlen(base) >= PROGIMAGE_NAME)
      die("program name too long", base);
    for (int j = 0; j < i; j++)
      if (strcmp(dir[j].name, base) == 0)
        die("two programs with one name", base);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
      die("cannot open", path);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    rewind(f);
    data[i] = malloc((size_t)size);
    if (size <= 0 || fread(data[i], 1, (size_t)size, f) != (size_t)size)
      die("cannot read", path);
    fclose(f);
    strcpy(dir[i].name, base);
    offset = (offset + 7) & ~7ULL;
    dir[i].offset = offset;
    dir[i].size = (uint64)size;
    offset += (uint64)size;
  }

  FILE *out = fopen(argv[1], "wb");
  if (out == NULL)
    die("cannot create", argv[1]);
  fwrite(&h, sizeof(h), 1, out);
  fwrite(dir, sizeof(*dir), (size_t)n, out);
  uint64 at = sizeof(h) + (uint64)n * sizeof(*dir);
  for (int i = 0; i < n; i++) {
    static const char zeros[8];
    fwrite(zeros, 1, dir[i].offset - at, out);
    fwrite(data[i], 1, dir[i].size, out);
    at = dir[i].offset + dir[i].size;
  }
  if (fclose(out) != 0)
    die("cannot write", argv[1]);
  return 0;
}
