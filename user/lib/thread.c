/*
 * thread.c: clone, the library side of the clone system call. The kernel
 * starts the new thread at fn with its return address set to thread_return,
 * so a thread function that returns ends its thread with status 0.
 */
#include "user.h"

static void
thread_return(void)
{
  exit(0);
}

int
clone(void (*fn)(void *), void *arg, void *stack)
{
  return sys_clone(fn, arg, stack, thread_return);
}
