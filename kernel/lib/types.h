/*
 * types.h: fixed-width scalar types shared by the kernel, the user library
 * and the host unit tests. No struct typedefs here (STYLE.md 3).
 */
#ifndef LIB_TYPES_H
#define LIB_TYPES_H

typedef unsigned char      uint8;
typedef unsigned short     uint16;
typedef unsigned int       uint32;
typedef unsigned long long uint64;
typedef signed char        int8;
typedef short              int16;
typedef int                int32;
typedef long long          int64;
typedef uint64             uintptr;

#ifndef NULL
#define NULL ((void *)0)
#endif

#endif /* LIB_TYPES_H */
