/*
 * failinject.h: allocation-failure injection for the calling process
 * (system call failinject), in the spirit of Linux's fail-nth. Used by the
 * failure sweep to drive every error path of fork, exec, sbrk, mmap,
 * munmap and pipe, and by the fuzzer.
 *
 *   failinject(what, nth, ppm, seed)
 *     what  FAIL_PAGES and/or FAIL_NODES: which allocations are counted;
 *           FAIL_INHERIT: children made by fork get the same setting.
 *           0 turns injection off.
 *     nth   > 0: the nth counted allocation from now on fails (once).
 *     ppm   > 0: each counted allocation fails with probability ppm/10^6,
 *           drawn from a generator seeded with seed.
 *   Returns how many allocations were counted since the previous call, so
 *   a sweep can tell whether its nth allocation was ever reached.
 *
 * Off, it costs one load of a global per allocation.
 */
#ifndef UAPI_FAILINJECT_H
#define UAPI_FAILINJECT_H

#define FAIL_PAGES   0x1
#define FAIL_NODES   0x2
#define FAIL_INHERIT 0x4

#endif /* UAPI_FAILINJECT_H */
