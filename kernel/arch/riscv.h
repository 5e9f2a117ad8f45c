/*
 * riscv.h: RISC-V privileged-architecture names and CSR accessors.
 *
 * Every CSR number, status bit, cause code and PTE bit the kernel uses is
 * named here, so no other file writes a bare number for them. The inline
 * accessors are the only place C code touches CSRs. Included by .S files too:
 * the C part is hidden behind __ASSEMBLER__.
 */
#ifndef ARCH_RISCV_H
#define ARCH_RISCV_H

/* CSRs the assembler may not know by name (privileged spec 1.12). */
#define CSR_MENVCFG     0x30a
#define CSR_STIMECMP    0x14d

/* Delegate every exception and interrupt cause S-mode can take. */
#define MEDELEG_ALL 0xffffUL
#define MIDELEG_ALL 0xffffUL

/* mstatus / sstatus */
#define MSTATUS_MPP_MASK (3UL << 11)
#define MSTATUS_MPP_S    (1UL << 11)
#define SSTATUS_SIE      (1UL << 1)   /* supervisor interrupts enabled */
#define SSTATUS_SPIE     (1UL << 5)   /* SIE before the trap */
#define SSTATUS_SPP_BIT  8            /* (for the trap vector's test) */
#define SSTATUS_SPP      (1UL << SSTATUS_SPP_BIT)   /* trap came from S-mode */
#define SSTATUS_SUM      (1UL << 18)  /* S-mode may touch U pages */

/* sie / sip / mie bits */
#define SIE_SSIE (1UL << 1)
#define SIE_STIE (1UL << 5)
#define SIE_SEIE (1UL << 9)

/* menvcfg.STCE: lets S-mode program its own timer through stimecmp (Sstc). */
#define MENVCFG_STCE (1UL << 63)
/* [ms]counteren: which counters the next lower mode may read. */
#define COUNTEREN_CY (1UL << 0)   /* cycle */
#define COUNTEREN_TM (1UL << 1)   /* time */
#define COUNTEREN_IR (1UL << 2)   /* instret */
#define COUNTEREN_ALL (COUNTEREN_CY | COUNTEREN_TM | COUNTEREN_IR)

/* PMP: one region covering all of physical memory, R/W/X, top-of-range. */
#define PMPADDR_ALL 0x3fffffffffffffUL
#define PMPCFG_RWX_TOR 0x0f

/* scause */
#define SCAUSE_INTR            (1UL << 63)
#define SCAUSE_CODE(c)         ((c) & ~SCAUSE_INTR)
#define IRQ_S_SOFT             1
#define IRQ_S_TIMER            5
#define IRQ_S_EXT              9
#define EXC_INST_MISALIGNED    0
#define EXC_INST_ACCESS        1
#define EXC_ILLEGAL_INST       2
#define EXC_BREAKPOINT         3
#define EXC_LOAD_ACCESS        5
#define EXC_STORE_ACCESS       7
#define EXC_ECALL_U            8
#define EXC_INST_PAGE_FAULT    12
#define EXC_LOAD_PAGE_FAULT    13
#define EXC_STORE_PAGE_FAULT   15

/* Sv39 */
#define PGSHIFT   12
#define PTE_V (1UL << 0)
#define PTE_R (1UL << 1)
#define PTE_W (1UL << 2)
#define PTE_X (1UL << 3)
#define PTE_U (1UL << 4)
#define PTE_G (1UL << 5)
#define PTE_A (1UL << 6)
#define PTE_D (1UL << 7)
#define PTE_COW (1UL << 8)   /* RSW bit: a shared page, writable after a copy */
#define PTE_FLAGS_MASK 0x3ffUL
#define PTE_LEAF_MASK (PTE_R | PTE_W | PTE_X)
#define SATP_SV39 (8UL << 60)

#define PT_ENTRIES      512      /* PTEs in one page-table page */
#define PX_SHIFT(level) (PGSHIFT + 9 * (level))
#define PX(level, va)   (((unsigned long)(va) >> PX_SHIFT(level)) & 0x1ffUL)
#define PA2PTE(pa)      (((unsigned long)(pa) >> PGSHIFT) << 10)
#define PTE2PA(pte)     (((pte) >> 10) << PGSHIFT)
#define PTE_FLAGS(pte)  ((pte) & PTE_FLAGS_MASK)
/* satp for the root table at physical address pa. */
#define MAKE_SATP(pa)   (SATP_SV39 | ((unsigned long)(pa) >> PGSHIFT))
/* One past the highest virtual address Sv39 allows (kept positive). */
#define SV39_VA_MAX     (1UL << (9 + 9 + 9 + PGSHIFT - 1))
/* First va of Sv39's upper half (bits 63..38 all set). */
#define SV39_UPPER_BEGIN (~0UL << (9 + 9 + 9 + PGSHIFT - 1))

#ifndef __ASSEMBLER__

#include "lib/types.h"

typedef uint64 pte_t;
typedef uint64 *pagetable_t;   /* 512 PTEs */

#define csr_read(name) ({ uint64 v_; \
    asm volatile("csrr %0, " #name : "=r"(v_)); v_; })
/* The "memory" clobbers keep the compiler from moving loads and stores
 * across a CSR write (interrupt enables, satp, sip). */
#define csr_write(name, v) \
    asm volatile("csrw " #name ", %0" : : "r"((uint64)(v)) : "memory")
#define csr_set(name, v) \
    asm volatile("csrs " #name ", %0" : : "r"((uint64)(v)) : "memory")
#define csr_clear(name, v) \
    asm volatile("csrc " #name ", %0" : : "r"((uint64)(v)) : "memory")
/* Clears bits and returns the old value, in one CSR instruction (on QEMU
 * each one, a read too, is a trip through the main loop). */
#define csr_read_clear(name, v) ({ uint64 v_; \
    asm volatile("csrrc %0, " #name ", %1" : "=r"(v_) : "r"((uint64)(v)) : "memory"); \
    v_; })

/* CSRs given by number because the assembler has no name for them. */
#define csr_write_num(num, v) \
    asm volatile("csrw %0, %1" : : "i"(num), "r"((uint64)(v)))
#define csr_set_num(num, v) \
    asm volatile("csrs %0, %1" : : "i"(num), "r"((uint64)(v)))

static inline void
intr_on(void)
{
  csr_set(sstatus, SSTATUS_SIE);
}

static inline void
intr_off(void)
{
  csr_clear(sstatus, SSTATUS_SIE);
}

static inline int
intr_get(void)
{
  return (csr_read(sstatus) & SSTATUS_SIE) != 0;
}

static inline uint64
r_tp(void)
{
  uint64 x;
  asm volatile("mv %0, tp" : "=r"(x));
  return x;
}

static inline void
w_tp(uint64 x)
{
  asm volatile("mv tp, %0" : : "r"(x));
}

static inline uint64
r_fp(void)
{
  uint64 x;
  asm volatile("mv %0, s0" : "=r"(x));
  return x;
}

static inline uint64
r_time(void)
{
  return csr_read(time);
}

static inline void
sfence_vma(void)
{
  asm volatile("sfence.vma zero, zero" : : : "memory");
}

/* Flushes this hart's translations of the page holding va only. */
static inline void
sfence_vma_page(uint64 va)
{
  asm volatile("sfence.vma %0, zero" : : "r"(va) : "memory");
}

static inline void
wfi(void)
{
  asm volatile("wfi");
}

/*
 * For a loop that spins, with interrupts off, until another hart does
 * something (a lock, a TLB flush acknowledgement). If an interrupt this
 * hart takes is pending (the timer's, say, which it cannot take now), wfi:
 * the privileged spec has wfi return at once then, whatever sstatus.SIE
 * says, so on a real hart this is a no-op. On QEMU it is not: wfi always
 * leaves the translated code, and single-threaded QEMU (DETERMINISTIC=1,
 * -icount) passes to the next hart only when the running one halts or
 * sets a timer. A hart spinning for a hart QEMU has parked would keep the
 * host thread forever: every slice ends at a timer deadline, leaving the
 * parked hart a budget of zero instructions, round after round.
 */
static inline void
spin_relax(void)
{
  if (csr_read(sip) & csr_read(sie))
    wfi();
}

/*
 * Stores that other harts may read while they happen. GCC 12 emits a
 * relaxed __atomic_store_n of 4 or 8 bytes as an AMO (amoswap zero), and
 * a release store as a fence and an AMO; on QEMU with more than one hart
 * every AMO is a call into a helper that looks the address up again, and
 * a fault took about a dozen of them. Under RVWMO an aligned store of up
 * to 8 bytes is single-copy atomic, so a word with one writer at a time
 * needs no AMO (store_once: a counter only its hart writes, one that a
 * lock serialises, a field of a page no other hart can reach yet), and a
 * release is the same fence GCC emits (prior loads, stores and device
 * accesses before the store) and a plain store (store_release32: the
 * unlock). Readers go on using __atomic_load_n.
 */
#define store_once(lv, v) (*(volatile __typeof__(lv) *)&(lv) = (v))

static inline void
store_release32(uint32 *p, uint32 v)
{
  asm volatile("fence iorw, ow\n\tsw %1, 0(%0)" : : "r"(p), "r"(v) : "memory");
}

#endif /* __ASSEMBLER__ */
#endif /* ARCH_RISCV_H */
