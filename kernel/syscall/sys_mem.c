/*
 * sys_mem.c: system calls about memory: sbrk and memstat (mmap and munmap
 * join them with the region lists).
 */
#include "lib/lib.h"
#include "mm/mm.h"
#include "proc/proc.h"
#include "syscall/syscall.h"

uint64
sys_sbrk(void)
{
  return proc_sbrk((long)argraw(0));
}

uint64
sys_memstat(void)
{
  struct memstat m;

  memset(&m, 0, sizeof(m));
  pmem_stat(&m);
  mmap_stat(&m);
  m.nprocs = (uint64)proc_count();
  m.lazy_faults = uvm_lazy_faults();
  if (copyout(&myproc()->vm, argraw(0), &m, sizeof(m)) != 0)
    return (uint64)-1;
  return 0;
}
