/*
 * tlb.c: TLB shootdown. Each address space keeps a mask of the harts that
 * run one of its threads in user mode (vm->harts: set by usertrapret just
 * before the return to user, cleared by usertrap on the next trap); only
 * those may hold its translations, since a hart flushes its whole TLB
 * whenever it switches page tables, and every trap does. A hart in the
 * kernel, even one spinning for the space's lock, needs no interrupt.
 *
 * Order (Linux's mmu_gather): clear the PTEs under vm->lock and gather
 * what they pointed to (a batch of up to TLB_GATHER_MAX pages); flush this
 * hart, interrupt every other hart in the mask (ACLINT SSWI) and wait until
 * each says it has flushed; then drop the gathered pages' references. All
 * of it under vm->lock, so no fault, fork or copy of the space can slip in
 * between. That is safe because every hart that waits with interrupts off
 * serves the flush requests sent to it while it waits: a hart spinning for
 * a lock (acquire polls tlb_poll) and a hart waiting for acknowledgements
 * alike. A hart with interrupts off that is not waiting is in a bounded
 * critical section. So two harts shooting each other down cannot deadlock,
 * nor can a shootdown and a hart spinning for the lock its initiator holds.
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

_Static_assert(NCPU <= 64, "vm->harts is one 64-bit mask");

#define GATHER_TABLE 1UL      /* low bit of a gathered pa: a page-table page */

static uint64 req[NCPU];           /* [a] flush requests sent to hart h */
static uint64 ack[NCPU];           /* [a] last request hart h served */
static uint64 shootdowns;          /* [a] tlb_shootdown calls */
static uint64 ipis;                /* [a] software interrupts sent */

void
tlb_enter(struct uvm *vm)
{
  __atomic_or_fetch(&vm->harts, 1UL << r_tp(), __ATOMIC_SEQ_CST);
  /* The mask store before any walk of vm's table on this hart. */
  __sync_synchronize();
}

void
tlb_leave(struct uvm *vm)
{
  __atomic_and_fetch(&vm->harts, ~(1UL << r_tp()), __ATOMIC_SEQ_CST);
}

/* Serves every flush request sent to this hart so far. */
static void
serve_requests(void)
{
  int me = (int)r_tp();
  uint64 r = __atomic_load_n(&req[me], __ATOMIC_ACQUIRE);

  if (__atomic_load_n(&ack[me], __ATOMIC_RELAXED) == r)
    return;
  sfence_vma();
  __atomic_store_n(&ack[me], r, __ATOMIC_RELEASE);
}

void
tlb_poll(void)
{
  serve_requests();
}

void
tlb_intr(void)
{
  csr_clear(sip, SIE_SSIE);   /* the pending bit, before serving */
  /* The clear before the read of req: else a request sent in between
   * could have its interrupt cleared and its count not yet seen. */
  asm volatile("fence iorw, iorw" : : : "memory");
  serve_requests();
}

void
tlb_shootdown(struct uvm *vm)
{
  uint64 want[NCPU];

  __atomic_add_fetch(&shootdowns, 1, __ATOMIC_RELAXED);
  /* The PTE stores before the read of the mask (tlb_enter's mirror). */
  __sync_synchronize();
  uint64 mask = __atomic_load_n(&vm->harts, __ATOMIC_SEQ_CST);

  push_off();
  int me = (int)r_tp();
  sfence_vma();
  uint64 remote = mask & ~(1UL << me);
#ifdef DEBUG_NO_SHOOTDOWN
  remote = 0;   /* `make NO_SHOOTDOWN=1`: other harts keep stale entries */
#endif
  for (int h = 0; h < NCPU; h++) {
    if (!(remote & (1UL << h)))
      continue;
    want[h] = __atomic_add_fetch(&req[h], 1, __ATOMIC_SEQ_CST);
    asm volatile("fence w, o" : : : "memory");   /* the request before the device store */
    *(volatile uint32 *)SSWI_SETSSIP(h) = 1;
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
      serve_requests();
      pop_off();
      if (panicking)
        panic_stop();
    }
  }
}

void
tlb_gather_init(struct tlb_gather *g, struct uvm *vm)
{
  g->vm = vm;
  g->n = 0;
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
  tlb_shootdown(g->vm);
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
