/*
 * shim.h: what the host unit tests add around kernel code compiled for the
 * host. The kernel's spinlock API is implemented with C11 atomics (so
 * ThreadSanitizer sees every acquire and release), each pthread plays one
 * hart, and panic() can be caught by a test that expects it.
 */
#ifndef HOST_SHIM_H
#define HOST_SHIM_H

#include <setjmp.h>

/* The host stand-in for the kernel's audit (mm/audit.c): it counts the
 * nodes mmap_audit reports. */
struct audit {
  int nodes;
};

/* The hart id the calling thread plays (0 unless set). */
void shim_set_hart(int hart);

/* Arms panic(): the next panic copies its message into shim_panic_msg and
 * longjmps to env instead of aborting. Disarmed after one use. */
void shim_expect_panic(jmp_buf *env);
extern char shim_panic_msg[256];

#endif /* HOST_SHIM_H */
