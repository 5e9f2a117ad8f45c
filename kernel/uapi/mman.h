/*
 * mman.h: mmap protections and flags (DESIGN.md 5), shared by kernel and
 * user space. Only private anonymous mappings exist.
 */
#ifndef UAPI_MMAN_H
#define UAPI_MMAN_H

#define PROT_READ     0x1
#define PROT_WRITE    0x2
#define PROT_EXEC     0x4
#define PROT_MASK     (PROT_READ | PROT_WRITE | PROT_EXEC)

#define MAP_PRIVATE   0x02
#define MAP_ANONYMOUS 0x20

#define MAP_FAILED    ((void *)-1)

#endif /* UAPI_MMAN_H */
