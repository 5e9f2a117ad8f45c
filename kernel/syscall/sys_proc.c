/*
 * sys_proc.c: system calls about processes, time and the machine.
 */
#include "arch/riscv.h"
#include "dev/dev.h"
#include "lib/lib.h"
#include "mm/mm.h"
#include "proc/proc.h"
#include "syscall/syscall.h"
#include "trap/trap.h"
#include "uapi/syscall.h"

uint64
sys_fork(void)
{
  return (uint64)(int64)proc_fork();
}

uint64
sys_exit(void)
{
  proc_exit((int)argraw(0));
}

uint64
sys_wait(void)
{
  return (uint64)(int64)proc_wait(argraw(0));
}

uint64
sys_clone(void)
{
  return (uint64)(int64)proc_clone(argraw(0), argraw(1), argraw(2), argraw(3));
}

uint64
sys_join(void)
{
  return (uint64)(int64)proc_join((int)argraw(0), argraw(1));
}

uint64
sys_kill(void)
{
  return (uint64)(int64)proc_kill((int)argraw(0));
}

uint64
sys_getpid(void)
{
  return (uint64)myproc()->pid;
}

uint64
sys_sleep(void)
{
  int n = (int)argraw(0);

  if (n < 0)
    return (uint64)-1;
  return (uint64)(int64)timer_sleep((uint64)n);
}

uint64
sys_uptime(void)
{
  return timer_ticks();
}

uint64
sys_shutdown(void)
{
  int code = (int)argraw(0) & 0xff;

  printf("kernel: shutdown(%d) by pid %d\n", code, myproc()->pid);
  finisher_exit(code);
}

uint64
sys_hartid(void)
{
  return r_tp();
}

/* exec(path, argv): the strings are copied into one kernel page first, so
 * the old image is untouched until exec() commits. */
_Static_assert(MAXARG * MAXARGLEN <= PGSIZE, "exec's argument page");
uint64
sys_exec(void)
{
  struct proc *p = myproc();
  char path[MAXPATH];
  char *argv[MAXARG + 1];
  uint64 uargv = argraw(1);
  int rc = -1;

  if (copyinstr(p->vm, path, argraw(0), sizeof(path)) < 0)
    return (uint64)-1;
  char *strings = pmem_alloc(PMEM_OTHER, p->pid);
  if (strings == NULL)
    return (uint64)-1;
  int argc;
  for (argc = 0;; argc++) {
    uint64 uarg;
    if (copyin(p->vm, &uarg, uargv + argc * sizeof(uint64), sizeof(uarg)) != 0)
      goto out;
    if (uarg == 0)
      break;
    if (argc == MAXARG)
      goto out;                       /* one argument too many */
    argv[argc] = strings + argc * MAXARGLEN;
    if (copyinstr(p->vm, argv[argc], uarg, MAXARGLEN) < 0)
      goto out;
  }
  argv[argc] = NULL;
  rc = exec(path, argv);
out:
  pmem_free(strings);
  return (uint64)(int64)rc;
}
