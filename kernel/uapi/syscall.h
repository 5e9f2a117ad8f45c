/*
 * syscall.h: system call numbers (DESIGN.md 5), shared by the kernel's
 * dispatcher and the user library's stubs (user/lib/usys.S). 1-21 match
 * xv6; 22-26 are the contract's own; calls this kernel adds start at 27.
 */
#ifndef UAPI_SYSCALL_H
#define UAPI_SYSCALL_H

#define SYS_fork      1
#define SYS_exit      2
#define SYS_wait      3
#define SYS_pipe      4
#define SYS_read      5
#define SYS_kill      6
#define SYS_exec      7
#define SYS_getpid   11
#define SYS_sbrk     12
#define SYS_sleep    13
#define SYS_uptime   14
#define SYS_write    16
#define SYS_close    21
#define SYS_mmap     22
#define SYS_munmap   23
#define SYS_memstat  24
#define SYS_shutdown 25
#define SYS_hartid   26
#define SYS_vmprint  27   /* print the caller's regions and page table */
#define SYS_memaudit 28   /* check every allocated page and node is reachable */
#define SYS_failinject 29 /* make the caller's allocations fail (testing) */
#define SYS_clone    30   /* a new thread in the caller's address space */
#define SYS_join     31   /* wait for a thread the caller created */
#define SYS_lockstat 32   /* lock statistics per class (uapi/lockstat.h) */

/* exec limits: more or longer arguments make exec fail with -1. */
#define MAXARG    32      /* arguments, the program name included */
#define MAXARGLEN 128     /* bytes of one argument, its NUL included */
#define MAXPATH   32      /* bytes of a program name, its NUL included */

#endif /* UAPI_SYSCALL_H */
