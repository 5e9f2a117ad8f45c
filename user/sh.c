/*
 * sh.c: a minimal shell. Reads a line, splits it into words, runs the
 * program named by the first word with all the words as its arguments,
 * waits, and reports a non-zero exit status. Built-ins: "exit [status]".
 * No pipes, redirection or quoting: just enough to run the built-in
 * programs by hand.
 */
#include "user.h"

#define LINE 256

/* Splits line into words in place; returns their count. */
static int
split(char *line, char **words, int max)
{
  int n = 0;

  for (char *s = line; *s && n < max;) {
    while (*s == ' ' || *s == '\t' || *s == '\n')
      *s++ = '\0';
    if (*s == '\0')
      break;
    words[n++] = s;
    while (*s && *s != ' ' && *s != '\t' && *s != '\n')
      s++;
  }
  words[n] = 0;
  return n;
}

int
main(void)
{
  char line[LINE];
  char *words[MAXARG + 1];

  for (;;) {
    printf("$ ");
    if (readline(0, line, sizeof(line)) == 0)
      return 0;
    int n = split(line, words, MAXARG);
    if (n == 0)
      continue;
    if (strcmp(words[0], "exit") == 0)
      return n > 1 ? atoi(words[1]) : 0;
    int pid = fork();
    if (pid < 0) {
      fprintf(2, "sh: fork failed\n");
      continue;
    }
    if (pid == 0) {
      exec(words[0], words);
      fprintf(2, "sh: %s: no such program\n", words[0]);
      exit(127);
    }
    int status = 0;
    while (wait(&status) != pid)
      ;
    if (status != 0)
      printf("[%s: exit status %d]\n", words[0], status);
  }
}
