/*
 * init.c: the first process. With arguments (boot arguments after "--",
 * as `make run CMD="prog args"` passes them) it runs that one program,
 * reaps every orphan meanwhile, and powers off with the program's exit
 * status. Without, it keeps a shell running on the console. Either way it
 * reaps the orphans the kernel hands it.
 */
#include "user.h"

/* Forks and execs argv[0]; returns the child's pid, or -1. The child
 * waits until init has made its own pages its own again (the fork left
 * them shared copy-on-write): else init's copies, and the frees they
 * cause, could land while the program measures memory. The go signal is
 * init closing its end: the child sees end of file, and its own close,
 * the pipe's last, frees the pipe's page before the program starts (had
 * init's close been the last, it could free it in the middle). */
static int
spawn(char **argv)
{
  int go[2];
  char c;

  if (pipe(go) != 0)
    return -1;
  int pid = fork();
  if (pid == 0) {
    close(go[1]);
    read(go[0], &c, 1);
    close(go[0]);
    exec(argv[0], argv);
    fprintf(2, "init: %s: no such program (or bad arguments)\n", argv[0]);
    exit(127);
  }
  close(go[0]);
  if (pid > 0)
    utest_own_pages();
  close(go[1]);
  return pid;
}

int
main(int argc, char **argv)
{
  if (argc > 1) {
    int pid = spawn(argv + 1), status = 0;
    if (pid < 0) {
      fprintf(2, "init: fork failed\n");
      shutdown(1);
    }
    while (wait(&status) != pid)
      ;
    shutdown(status);
  }

  char *sh_argv[] = { "sh", 0 };
  for (;;) {
    int pid = spawn(sh_argv), status;
    if (pid < 0) {
      fprintf(2, "init: fork failed; retrying\n");
      sleep(10);
      continue;
    }
    int got;
    while ((got = wait(&status)) != pid && got >= 0)
      ;
    printf("init: sh exited with status %d; starting another\n", status);
  }
}
