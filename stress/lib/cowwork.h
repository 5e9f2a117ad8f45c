/*
 * cowwork.h: the stress suite's copy-on-write worker: a process that runs
 * scenarios of processes sharing pages since a fork (fork chains three
 * generations deep, parent and child writing the same pages at once, fork
 * while sibling threads write, munmap/exit/exec on one side, a memory hog
 * and a pool drain meanwhile) until its deadline, checking what every
 * process sees and reporting its counts to the driver.
 */
#ifndef STRESS_COWWORK_H
#define STRESS_COWWORK_H

#include "stress.h"

/* Runs COW worker id with this seed until uptime() reaches deadline,
 * writing struct stress_report records to report_fd. Never returns: exits
 * 0, or 1 after a failure line. */
void cowwork_run(int id, uint64 seed, uint64 deadline, int report_fd)
    __attribute__((noreturn));

#endif /* STRESS_COWWORK_H */
