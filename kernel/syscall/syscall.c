/*
 * syscall.c: the table from system call number to handler.
 */
#include "lib/lib.h"
#include "proc/proc.h"
#include "syscall/syscall.h"
#include "uapi/syscall.h"

static uint64 (*const handlers[])(void) = {
  [SYS_fork] = sys_fork,
  [SYS_exit] = sys_exit,
  [SYS_wait] = sys_wait,
  [SYS_pipe] = sys_pipe,
  [SYS_read] = sys_read,
  [SYS_kill] = sys_kill,
  [SYS_exec] = sys_exec,
  [SYS_getpid] = sys_getpid,
  [SYS_sbrk] = sys_sbrk,
  [SYS_sleep] = sys_sleep,
  [SYS_uptime] = sys_uptime,
  [SYS_write] = sys_write,
  [SYS_close] = sys_close,
  [SYS_memstat] = sys_memstat,
  [SYS_shutdown] = sys_shutdown,
  [SYS_hartid] = sys_hartid,
  [SYS_mmap] = sys_mmap,
  [SYS_munmap] = sys_munmap,
  [SYS_vmprint] = sys_vmprint,
  [SYS_memaudit] = sys_memaudit,
  [SYS_failinject] = sys_failinject,
  [SYS_clone] = sys_clone,
  [SYS_join] = sys_join,
  [SYS_lockstat] = sys_lockstat,
};

uint64
argraw(int n)
{
  struct trapframe *tf = myproc()->trapframe;

  switch (n) {
  case 0: return tf->a0;
  case 1: return tf->a1;
  case 2: return tf->a2;
  case 3: return tf->a3;
  case 4: return tf->a4;
  case 5: return tf->a5;
  }
  panic("syscall: argument %d", n);
}

void
syscall(void)
{
  struct proc *p = myproc();
  uint64 num = p->trapframe->a7;

  if (num < NELEM(handlers) && handlers[num] != NULL) {
    p->trapframe->a0 = handlers[num]();
  } else {
    printf("pid %d (%s): unknown system call %d\n", p->pid, p->name, (int)num);
    p->trapframe->a0 = (uint64)-1;
  }
}
