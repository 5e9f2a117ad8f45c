/*
 * sys_file.c: system calls on file descriptors: read, write, close, pipe.
 */
#include "file/file.h"
#include "lib/lib.h"
#include "mm/mm.h"
#include "proc/proc.h"
#include "syscall/syscall.h"

/* The open file behind descriptor argument n, or NULL. */
static struct file *
argfile(int n, int *fdp)
{
  int fd = (int)argraw(n);
  struct proc *p = myproc();

  if (fd < 0 || fd >= NOFILE || p->ofile[fd] == NULL)
    return NULL;
  if (fdp)
    *fdp = fd;
  return p->ofile[fd];
}

/* Installs f at the lowest free descriptor; -1 if there is none. */
static int
fd_alloc(struct file *f)
{
  struct proc *p = myproc();

  for (int fd = 0; fd < NOFILE; fd++) {
    if (p->ofile[fd] == NULL) {
      p->ofile[fd] = f;
      return fd;
    }
  }
  return -1;
}

uint64
sys_read(void)
{
  struct file *f = argfile(0, NULL);

  if (f == NULL)
    return (uint64)-1;
  return (uint64)(int64)file_read(f, myproc()->vm, argraw(1), (int)argraw(2));
}

uint64
sys_write(void)
{
  struct file *f = argfile(0, NULL);

  if (f == NULL)
    return (uint64)-1;
  return (uint64)(int64)file_write(f, myproc()->vm, argraw(1), (int)argraw(2));
}

uint64
sys_close(void)
{
  int fd;
  struct file *f = argfile(0, &fd);

  if (f == NULL)
    return (uint64)-1;
  myproc()->ofile[fd] = NULL;
  file_close(f);
  return 0;
}

uint64
sys_pipe(void)
{
  struct proc *p = myproc();
  struct file *rf, *wf;
  int fds[2];

  /* Check where the fds go before making anything: a failed call must
   * write nothing, not half of the array. */
  if (uvm_check_access(p->vm, argraw(0), sizeof(fds), ACCESS_WRITE) != 0 ||
      pipe_alloc(&rf, &wf, p->pid) != 0)
    return (uint64)-1;
  fds[0] = fd_alloc(rf);
  fds[1] = fds[0] < 0 ? -1 : fd_alloc(wf);
  if (fds[1] < 0 || copyout(p->vm, argraw(0), fds, sizeof(fds)) != 0) {
    if (fds[0] >= 0)
      p->ofile[fds[0]] = NULL;
    if (fds[1] >= 0)
      p->ofile[fds[1]] = NULL;
    file_close(rf);
    file_close(wf);
    return (uint64)-1;
  }
  return 0;
}
