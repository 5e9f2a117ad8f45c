/*
 * progimage.h: the format of the program image that tools/mkprogimage
 * writes and the kernel embeds (proc/progimage.S): a header, a directory of
 * entries, then each program's ELF file, 8-byte aligned. Offsets count from
 * the start of the image. Shared by the kernel and the host tool.
 */
#ifndef PROC_PROGIMAGE_H
#define PROC_PROGIMAGE_H

#include "lib/types.h"

#define PROGIMAGE_MAGIC "PROGIMG1"
#define PROGIMAGE_NAME  32

struct progimage_header {
  char magic[8];
  uint32 count;
  uint32 reserved;
};

struct progimage_entry {
  char name[PROGIMAGE_NAME];   /* NUL-terminated */
  uint64 offset;
  uint64 size;
};

#endif /* PROC_PROGIMAGE_H */
