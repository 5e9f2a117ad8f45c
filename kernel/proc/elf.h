/*
 * elf.h: the parts of the ELF-64 format (System V ABI) that exec reads.
 */
#ifndef PROC_ELF_H
#define PROC_ELF_H

#include "lib/types.h"

#define ELF_MAGIC   0x464c457fU   /* "\x7fELF", little endian */
#define ELFCLASS64  2
#define EM_RISCV    243
#define ET_EXEC     2
#define PT_LOAD     1
#define PF_X        0x1
#define PF_W        0x2
#define PF_R        0x4

struct elf_header {
  uint32 magic;
  uint8 class;
  uint8 data;
  uint8 version;
  uint8 osabi;
  uint8 pad[8];
  uint16 type;
  uint16 machine;
  uint32 elf_version;
  uint64 entry;
  uint64 phoff;
  uint64 shoff;
  uint32 flags;
  uint16 ehsize;
  uint16 phentsize;
  uint16 phnum;
  uint16 shentsize;
  uint16 shnum;
  uint16 shstrndx;
};

struct elf_phdr {
  uint32 type;
  uint32 flags;
  uint64 off;
  uint64 vaddr;
  uint64 paddr;
  uint64 filesz;
  uint64 memsz;
  uint64 align;
};

#endif /* PROC_ELF_H */
