/*
 * sys_mem.c: system calls about memory: sbrk, mmap, munmap, memstat and the
 * vmprint debugging call. They decode and check their arguments; the work
 * is mm's (uvm_sbrk, uvm_mmap, uvm_munmap), which changes nothing when it
 * fails.
 */
#include "lib/lib.h"
#include "mm/mm.h"
#include "proc/proc.h"
#include "syscall/syscall.h"
#include "file/file.h"
#include "sync/spinlock.h"
#include "uapi/lockstat.h"
#include "uapi/memaudit.h"
#include "uapi/mman.h"

uint64
sys_sbrk(void)
{
  return proc_sbrk((long)argraw(0));
}

uint64
sys_memstat(void)
{
  struct memstat m;
  struct uvm *vm = myproc()->vm;

  /* Fault the buffer in first, so the counts are taken after any page
   * the copy itself needs: two snapshots into one buffer compare exactly. */
  if (uvm_check_access(vm, argraw(0), sizeof(m), ACCESS_WRITE) != 0)
    return (uint64)-1;
  memset(&m, 0, sizeof(m));
  pmem_stat(&m);
  mmap_stat(&m);
  m.nprocs = (uint64)proc_count();
  m.lazy_faults = uvm_lazy_faults();
  m.cow_faults = uvm_cow_faults();
  tlb_stat(&m);
  if (copyout(vm, argraw(0), &m, sizeof(m)) != 0)
    return (uint64)-1;
  return 0;
}

/* Pages in len bytes, rounded up; 0 if len is 0 or larger than the area. */
static uint64
len_to_pages(uint64 len)
{
  if (len == 0 || len > MMAP_PAGES * PGSIZE)
    return 0;
  return PGROUNDUP(len) / PGSIZE;
}

uint64
sys_mmap(void)
{
  uint64 addr = argraw(0);
  uint64 npages = len_to_pages(argraw(1));
  uint64 prot = argraw(2);
  uint64 flags = argraw(3);

  /* Whole registers: stray high bits are an error, not ignored. */
  if (npages == 0 || prot == 0 || (prot & ~(uint64)PROT_MASK) != 0 ||
      flags != (MAP_PRIVATE | MAP_ANONYMOUS))
    return (uint64)MAP_FAILED;
  if (prot & PROT_WRITE)
    prot |= PROT_READ;         /* RISC-V has no write-only pages */
  addr = uvm_mmap(myproc()->vm, addr, npages, (int)prot);
  return addr != 0 ? addr : (uint64)MAP_FAILED;
}

uint64
sys_munmap(void)
{
  uint64 npages = len_to_pages(argraw(1));

  if (npages == 0)
    return (uint64)-1;
  return (uint64)(int64)uvm_munmap(myproc()->vm, argraw(0), npages);
}

uint64
sys_vmprint(void)
{
  struct proc *p = myproc();

  printf("pid %d (%s) address space:\n", p->pid, p->name);
  uvm_print(p->vm);
  return 0;
}

uint64
sys_memaudit(void)
{
  struct memaudit out;

  if (uvm_check_access(myproc()->vm, argraw(0), sizeof(out), ACCESS_WRITE) != 0)
    return (uint64)-1;
  struct audit *a = audit_begin();

  kvm_audit(a);
  proc_audit(a);
  uvm_audit_all(a);
  file_audit(a);
  mmap_audit(a);
  audit_end(a, &out);
  if (copyout(myproc()->vm, argraw(0), &out, sizeof(out)) != 0)
    return (uint64)-1;
  return 0;
}

uint64
sys_failinject(void)
{
  return failinject_set((int)argraw(0), (int)argraw(1), (int)argraw(2), argraw(3));
}

/* lockstat(buf, max): the lock classes' counters into buf[0..max); returns
 * how many classes there are, or -1 if buf is not writable. */
uint64
sys_lockstat(void)
{
  struct lockstat s[LOCKSTAT_CLASSES];
  int max = (int)argraw(1);

  if (max < 0)
    return (uint64)-1;
  int n = spinlock_stats(s, LOCKSTAT_CLASSES);
  int k = n < max ? n : max;
  if (k > 0 && copyout(myproc()->vm, argraw(0), s, (uint64)k * sizeof(s[0])) != 0)
    return (uint64)-1;
  return (uint64)n;
}
