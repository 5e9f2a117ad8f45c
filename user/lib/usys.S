/*
 * usys.S: one stub per system call: number in a7, arguments already in
 * a0..a5 by the C calling convention, result back in a0.
 */
#include "uapi/syscall.h"

#define SYSCALL(name)     \
  .globl name;            \
  name:                   \
    li a7, SYS_##name;    \
    ecall;                \
    ret

SYSCALL(fork)
SYSCALL(exit)
SYSCALL(wait)
SYSCALL(pipe)
SYSCALL(read)
SYSCALL(kill)
SYSCALL(exec)
SYSCALL(getpid)
SYSCALL(sbrk)
SYSCALL(sleep)
SYSCALL(uptime)
SYSCALL(write)
SYSCALL(close)
SYSCALL(mmap)
SYSCALL(munmap)
SYSCALL(memstat)
SYSCALL(shutdown)
SYSCALL(hartid)
SYSCALL(vmprint)
SYSCALL(memaudit)
SYSCALL(failinject)
SYSCALL(join)
SYSCALL(lockstat)

/* The raw clone call; clone() in thread.c wraps it. */
.globl sys_clone
sys_clone:
    li a7, SYS_clone
    ecall
    ret
