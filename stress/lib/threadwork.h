/*
 * threadwork.h: the stress suite's thread worker: a process that runs
 * scenarios of 2-4 threads sharing one address space (faults on the same
 * page, munmap and shrinking sbrk under readers, fork, exec, exit and kill
 * while siblings fault) until its deadline, checking what every thread
 * sees and reporting its counts to the driver.
 */
#ifndef STRESS_THREADWORK_H
#define STRESS_THREADWORK_H

#include "stress.h"

/* Runs thread worker id with this seed until uptime() reaches deadline,
 * writing struct stress_report records to report_fd. Never returns: exits
 * 0, or 1 after a failure line. */
void threadwork_run(int id, uint64 seed, uint64 deadline, int report_fd)
    __attribute__((noreturn));

#endif /* STRESS_THREADWORK_H */
