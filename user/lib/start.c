/*
 * start.c: where every user program begins. exec leaves argc in a0 and argv
 * in a1; main's return value becomes the exit status.
 */
#include "user.h"

int main(int argc, char **argv);
void _start(int argc, char **argv) __attribute__((noreturn, section(".text.start")));

void
_start(int argc, char **argv)
{
  exit(main(argc, argv));
}
