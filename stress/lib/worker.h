/*
 * worker.h: one stress worker: a process that runs a seeded random mix of
 * fork, exec, exit races, sbrk, mmap/munmap, pipes, kills and pool drains
 * until its deadline, checking every page it touched against a model of
 * its own address space, and reporting its counts to the driver.
 */
#ifndef STRESS_WORKER_H
#define STRESS_WORKER_H

#include "stress.h"

/* Runs worker id with this seed until uptime() reaches deadline, writing
 * struct stress_report records to report_fd. Never returns: exits 0, or 1
 * after a failure line. */
void worker_run(int id, uint64 seed, uint64 deadline, int report_fd)
    __attribute__((noreturn));

#endif /* STRESS_WORKER_H */
