/*
 * main.c: the S-mode boot sequence. Hart 0 reads the device tree, brings up
 * the console, the allocators, the kernel page table and the process table,
 * then releases the other harts; every hart then turns on paging, traps and
 * its timer, says it is up, and either runs the self-tests (boot argument
 * "selftest") or starts the first process and enters its scheduler.
 *
 * Boot arguments after "--" are handed to init as its arguments: init runs
 * that program and powers off with its exit status (`make run CMD=...`).
 */
#include "arch/memlayout.h"
#include "arch/riscv.h"
#include "dev/dev.h"
#include "file/file.h"
#include "kernel.h"
#include "lib/lib.h"
#include "mm/mm.h"
#include "param.h"
#include "proc/proc.h"
#include "test/selftest.h"
#include "trap/trap.h"
#include "uapi/syscall.h"

extern char end[];              /* kernel.ld: first byte after the kernel */

static volatile int released;   /* [a] hart 0 finished the shared set-up */
static volatile int harts_up;   /* [a] harts past their own set-up */

static void
inithart(void)
{
  kvm_inithart();
  trap_inithart();
  plic_inithart();
  timer_inithart();
}

/* Shared set-up, once, on hart 0 with every other hart waiting. */
static void
boot_hart0(uint64 dtb)
{
  uart_init();
  printf_init();
  console_init();
  if (fdt_parse(KVA(dtb), &boot_info) != 0)
    panic("main: no usable device tree at %p", (void *)dtb);
  uint64 ram_end = boot_info.ram_base + boot_info.ram_size;
  printf("\nkernel: %d harts in the device tree, NCPU %d, RAM %d MiB at %p\n",
         boot_info.nharts, NCPU, (int)(boot_info.ram_size >> 20),
         (void *)boot_info.ram_base);
  if (boot_info.nharts > NCPU)
    printf("kernel: harts %d..%d park: beyond NCPU %d\n", NCPU,
           boot_info.nharts - 1, NCPU);
  if (boot_info.bootargs[0])
    printf("kernel: boot arguments '%s'\n", boot_info.bootargs);

  pmem_init((uint64)end, KVA(ram_end));
  mmap_init();
  uvm_init();
  spinlock_set_poll(tlb_poll);
  uvm_fork_copies = bootarg("forkcopy", NULL, 0);
  if (uvm_fork_copies)
    printf("kernel: fork copies pages (boot argument forkcopy), no copy-on-write\n");
  audit_init();
  kvm_init(ram_end);
  proc_init();
  file_init();
  plic_init();
  timer_init(boot_info.timebase_hz);
  progimage_list();

  struct memstat m;
  pmem_stat(&m);
  mmap_stat(&m);
  printf("kernel: %d pages free of %d, %d of %d region nodes free\n",
         (int)m.pages_free, (int)m.pages_total, (int)m.nodes_free,
         (int)m.nodes_total);
}

/* Splits the boot arguments after " -- " into init's argv. */
static const char *const *
init_args(void)
{
  static char words[BOOTARGS_MAX];
  static const char *argv[MAXARG + 1];
  int argc = 0;

  argv[argc++] = "init";
  char *s = boot_info.bootargs;
  while (*s && !(s[0] == '-' && s[1] == '-' && (s[2] == ' ' || s[2] == '\0') &&
                 (s == boot_info.bootargs || s[-1] == ' ')))
    s++;
  if (*s) {
    strlcpy(words, s + 2, sizeof(words));
    for (char *w = words; *w && argc < MAXARG;) {
      while (*w == ' ')
        *w++ = '\0';
      if (*w == '\0')
        break;
      argv[argc++] = w;
      while (*w && *w != ' ')
        w++;
    }
  }
  argv[argc] = NULL;
  return argv;
}

void
main(uint64 hartid, uint64 dtb)
{
  if (hartid == 0) {
    boot_hart0(dtb);
    __atomic_store_n(&released, 1, __ATOMIC_RELEASE);
  } else {
    while (!__atomic_load_n(&released, __ATOMIC_ACQUIRE))
      ;
  }
  inithart();
  printf("hart %d up\n", (int)hartid);

  int expected = boot_info.nharts < NCPU ? boot_info.nharts : NCPU;
  __atomic_add_fetch(&harts_up, 1, __ATOMIC_ACQ_REL);
  while (__atomic_load_n(&harts_up, __ATOMIC_ACQUIRE) < expected)
    ;
  panic_nharts = expected;
  intr_on();

  if (bootarg("selftest", NULL, 0))
    selftest_main(expected);
  if (hartid == 0) {
    printf("kernel: all %d harts up\n", expected);
    proc_userinit(init_args());
  }
  scheduler();
}
