/*
 * syscall.h: system call dispatch. Arguments come from the caller's
 * trapframe (a0..a5); every user pointer is checked by copyin/copyout, so
 * a bad one makes the call return -1 and never faults the kernel.
 */
#ifndef SYSCALL_SYSCALL_H
#define SYSCALL_SYSCALL_H

#include "lib/types.h"

/* Runs the system call in the caller's a7; result in its a0. */
void syscall(void);

/* Raw argument n (0..5) of the current call. */
uint64 argraw(int n);

/* Handlers, one per call (sys_proc.c, sys_file.c, sys_mem.c). */
uint64 sys_fork(void);
uint64 sys_exit(void);
uint64 sys_wait(void);
uint64 sys_kill(void);
uint64 sys_exec(void);
uint64 sys_getpid(void);
uint64 sys_sleep(void);
uint64 sys_uptime(void);
uint64 sys_shutdown(void);
uint64 sys_hartid(void);
uint64 sys_pipe(void);
uint64 sys_read(void);
uint64 sys_write(void);
uint64 sys_close(void);
uint64 sys_sbrk(void);
uint64 sys_memstat(void);
uint64 sys_mmap(void);
uint64 sys_munmap(void);
uint64 sys_vmprint(void);
uint64 sys_memaudit(void);
uint64 sys_failinject(void);
uint64 sys_clone(void);
uint64 sys_join(void);
uint64 sys_lockstat(void);

#endif /* SYSCALL_SYSCALL_H */
