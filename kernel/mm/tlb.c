/*
 * tlb.c: which harts may cache a space's translations, and TLB shootdown.
 *
 * The kernel is mapped in every table (kvm.c), so a trap from user mode
 * stays in the space's table and flushes nothing. A hart changes table
 * only when it returns to user mode in another space than the one loaded
 * (tlb_load: a satp write and a full flush) and when a thread leaves it
 * (tlb_unload: back to the kernel's table, before the thread's space can
 * go). Each space keeps a mask, vm->loaded, of the harts whose satp holds
 * its table, and a count of its shootdowns, vm->tlb_gen. Each hart says
 * which space, if any, it runs in user mode: in_user[h], set by tlb_load
 * just before the return to user and cleared by usertrap, on a cache line
 * of the hart's own, so a trap writes no line another hart writes (it
 * was a mask in the space, which threads on several harts passed back
 * and forth twice a trap).
 *
 * A shootdown interrupts only the harts in user mode in vm: a hart in the
 * kernel never uses a user translation (the kernel reaches user memory
 * through the linear map, in the copy routines), so it may keep stale
 * ones until it returns to user mode, where tlb_load flushes if vm's
 * count moved since this hart's last flush. The initiator bumps the count,
 * fences, then reads every in_user; tlb_load stores in_user, fences, then
 * reads the count. Of two such store-fence-load pairs at least one load
 * sees the other's store, so every hart either is interrupted or sees the
 * new count. Page-table pages are different: a hart may walk them in the
 * kernel too (a TLB miss on any address goes through the root), so
 * freeing one interrupts every hart in vm->loaded.
 *
 * Order (Linux's mmu_gather): clear the PTEs under vm->lock and gather
 * what they pointed to (a batch of up to TLB_GATHER_MAX pages); flush this
 * hart, interrupt the other harts and wait until each says it has
 * flushed; then drop the gathered pages' references. All of it under
 * vm->lock, so no fault, fork or copy of the space can slip in between.
 * That is safe because every hart that waits with interrupts off serves
 * the flush requests sent to it while it waits: a hart spinning for a lock
 * (acquire polls tlb_poll) and a hart waiting for acknowledgements alike.
 * A hart with interrupts off that is not waiting is in a bounded critical
 * section. So two harts shooting each other down cannot deadlock, nor can
 * a shootdown and a hart spinning for the lock its initiator holds.
 *
 * Handshake per hart h: req[h] counts requests, ack[h] the last request
 * h has served. The initiator bumps req[h] after its PTE stores and waits
 * for ack[h] to reach that value; h reads req[h], then flushes, then
 * stores ack[h]: so an ack that satisfies the wait comes from a flush
 * made after the PTEs were cleared.
 *
 * `make NO_SHOOTDOWN=1` builds a kernel that skips the remote harts on
 * purpose, so the stress suite can be seen to catch the stale translations.
 */
#include "arch/memlayout.h"
#include "arch/riscv.h"
#include "lib/lib.h"
#include "mm/mm.h"
#include "param.h"

_Static_assert(NCPU <= 64, "vm->loaded is one 64-bit mask");

#define GATHER_TABLE 1UL      /* low bit of a gathered pa: a page-table page */

/* Per hart, written by that hart only, with interrupts off. */
static struct uvm *loaded_vm[NCPU];  /* the space whose table satp holds, or
                                        NULL: the kernel's table */
static uint64 seen_gen[NCPU];        /* loaded_vm->tlb_gen as of this hart's
                                        last full flush */

/* Written by hart h only, read by shooters. */
static struct {
  struct uvm *vm;                    /* [a] the space hart h runs in user
                                        mode, or NULL */
} __attribute__((aligned(64))) in_user[NCPU];

static uint64 req[NCPU];           /* [a] flush requests sent to hart h */
static uint64 ack[NCPU];           /* [a] last request hart h served */
static uint64 shootdowns;          /* [a] tlb_shootdown calls */
static uint64 ipis;                /* [a] software interrupts sent */

int
mm_hart(void)
{
  return (int)r_tp();
}

void
tlb_load(struct uvm *vm)
{
  int me = (int)r_tp();
  uint64 bit = 1UL << me;

  if (loaded_vm[me] != vm) {
    tlb_unload(NULL);
    /* In the mask before the table is: a page-table page freed from now
     * on interrupts this hart. */
    __atomic_or_fetch(&vm->loaded, bit, __ATOMIC_SEQ_CST);
    seen_gen[me] = __atomic_load_n(&vm->tlb_gen, __ATOMIC_SEQ_CST);
    csr_write(satp, SATP_OF(vm->pt));
    sfence_vma();
    loaded_vm[me] = vm;
  }
  /* In user mode in vm, then read the count: a shootdown that read
   * in_user before this store bumped the count first (see the header). */
  store_once(in_user[me].vm, vm);
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  uint64 gen = __atomic_load_n(&vm->tlb_gen, __ATOMIC_RELAXED);
  if (gen != seen_gen[me]) {
    seen_gen[me] = gen;
    sfence_vma();
  }
}

void
tlb_unload(struct uvm *vm)
{
  push_off();
  int me = (int)r_tp();
  struct uvm *cur = loaded_vm[me];
  if (cur != NULL && (vm == NULL || vm == cur)) {
    csr_write(satp, kvm_satp());
    sfence_vma();
    /* Out of the mask only once nothing of cur's table can be walked. */
    __atomic_and_fetch(&cur->loaded, ~(1UL << me), __ATOMIC_SEQ_CST);
    loaded_vm[me] = NULL;
  }
  pop_off();
}

void
tlb_leave(void)
{
  store_once(in_user[r_tp()].vm, NULL);
}

/* The harts running vm in user mode, as a mask. */
static uint64
user_harts(struct uvm *vm)
{
  uint64 mask = 0;

  for (int h = 0; h < NCPU; h++)
    if (__atomic_load_n(&in_user[h].vm, __ATOMIC_RELAXED) == vm)
      mask |= 1UL << h;
  return mask;
}

/* Serves every flush request sent to this hart so far. */
static void
serve_requests(void)
{
  int me = (int)r_tp();
  uint64 r = __atomic_load_n(&req[me], __ATOMIC_ACQUIRE);

  if (__atomic_load_n(&ack[me], __ATOMIC_RELAXED) == r)
    return;
  struct uvm *vm = loaded_vm[me];
  uint64 gen = vm != NULL ? __atomic_load_n(&vm->tlb_gen, __ATOMIC_SEQ_CST) : 0;
  sfence_vma();
  if (vm != NULL)
    seen_gen[me] = gen;          /* this flush covers every shootdown so far */
  __atomic_store_n(&ack[me], r, __ATOMIC_RELEASE);
}

/* Takes this hart's shootdown interrupt down, then serves every request.
 * The clear before the read of req: else a request sent in between could
 * have its interrupt cleared and its count not yet seen. */
static void
clear_and_serve(void)
{
  csr_clear(sip, SIE_SSIE);
  asm volatile("fence iorw, iorw" : : : "memory");
  serve_requests();
}

/* For a hart that waits with interrupts off (a lock, acknowledgements):
 * serves the requests, and takes their interrupt down as tlb_intr does. A
 * pending SSIP left set would be pending on every later turn of the wait,
 * and spin_relax halts (wfi) whenever one of its interrupts is pending: on
 * QEMU each halt is a trip out of the hart's loop and through QEMU's
 * global lock. */
void
tlb_poll(void)
{
  if (csr_read(sip) & SIE_SSIE)
    clear_and_serve();
  else
    serve_requests();
}

void
tlb_intr(void)
{
  clear_and_serve();
}

/* The shootdown itself: the harts in user mode in vm, or with tables,
 * every hart in vm->loaded.
 * This hart flushes only the page if [begin, end) is one page, else all
 * (on QEMU every sfence.vma empties the whole TLB, so flushing more pages
 * one by one would cost a full flush each); the others flush all. */
static void
shootdown(struct uvm *vm, int tables, uint64 begin, uint64 end)
{
  uint64 want[NCPU];

  __atomic_add_fetch(&shootdowns, 1, __ATOMIC_RELAXED);
  /* The PTE stores, then the count, then who is in user mode (tlb_load's
   * mirror). */
  __sync_synchronize();
  uint64 gen = __atomic_add_fetch(&vm->tlb_gen, 1, __ATOMIC_SEQ_CST);
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  uint64 mask = tables ? __atomic_load_n(&vm->loaded, __ATOMIC_SEQ_CST)
                       : user_harts(vm);

  push_off();
  int me = (int)r_tp();
  if (end - begin == PGSIZE)
    sfence_vma_page(begin);
  else
    sfence_vma();
  /* If no other shootdown of vm came since this hart's last flush, this
   * one leaves nothing stale here: tlb_load need not flush again. */
  if (loaded_vm[me] == vm && seen_gen[me] == gen - 1)
    seen_gen[me] = gen;
  uint64 remote = mask & ~(1UL << me);
#ifdef DEBUG_NO_SHOOTDOWN
  remote = 0;   /* `make NO_SHOOTDOWN=1`: other harts keep stale entries */
#endif
  for (int h = 0; h < NCPU; h++) {
    if (!(remote & (1UL << h)))
      continue;
    want[h] = __atomic_add_fetch(&req[h], 1, __ATOMIC_SEQ_CST);
    asm volatile("fence w, o" : : : "memory");   /* the request before the device store */
    *(volatile uint32 *)KVA(SSWI_SETSSIP(h)) = 1;
    __atomic_add_fetch(&ipis, 1, __ATOMIC_RELAXED);
  }
  pop_off();

  for (int h = 0; h < NCPU; h++) {
    if (!(remote & (1UL << h)))
      continue;
    while ((int64)(__atomic_load_n(&ack[h], __ATOMIC_ACQUIRE) - want[h]) < 0) {
      /* With interrupts off here, another hart waiting for us would wait
       * forever: serve it from the loop. */
      push_off();
      tlb_poll();
      pop_off();
      if (panicking)
        panic_stop();
      spin_relax();
    }
  }
}

void
tlb_shootdown(struct uvm *vm)
{
  shootdown(vm, 0, 0, 0);
}

void
tlb_shootdown_range(struct uvm *vm, uint64 begin, uint64 end)
{
  shootdown(vm, 0, begin, end);
}

void
tlb_shootdown_tables(struct uvm *vm)
{
  shootdown(vm, 1, 0, 0);
}

void
tlb_gather_init(struct tlb_gather *g, struct uvm *vm, uint64 begin, uint64 end)
{
  g->vm = vm;
  g->n = 0;
  g->begin = begin;
  g->end = end;
}

void
tlb_gather_page(struct tlb_gather *g, uint64 pa, int is_table)
{
  if (g->n == TLB_GATHER_MAX)
    tlb_gather_finish(g);
  g->pa[g->n++] = pa | (is_table ? GATHER_TABLE : 0);
}

void
tlb_gather_finish(struct tlb_gather *g)
{
  if (g->n == 0)
    return;
  int tables = 0;
  for (int i = 0; i < g->n; i++)
    tables |= (g->pa[i] & GATHER_TABLE) != 0;
  if (tables)
    tlb_shootdown_tables(g->vm);
  else
    tlb_shootdown_range(g->vm, g->begin, g->end);
  for (int i = 0; i < g->n; i++) {
    void *pa = (void *)(g->pa[i] & ~(uint64)GATHER_TABLE);
    if (g->pa[i] & GATHER_TABLE)
      uvm_table_put(pa);        /* a page-table page, maybe shared by a fork */
    else
      pmem_put(pa);             /* a user page: other tables may map it */
  }
  g->n = 0;
}

void
tlb_stat(struct memstat *m)
{
  m->tlb_shootdowns = __atomic_load_n(&shootdowns, __ATOMIC_RELAXED);
  m->ipis = __atomic_load_n(&ipis, __ATOMIC_RELAXED);
}
