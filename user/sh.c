/*
 * sh.c: a minimal shell. Reads a line, splits it into words, runs the
 * program named by the first word with all the words as its arguments,
 * waits, and reports a non-zero exit status. Built-ins: "exit [status]".
 * No pipes, redirection or quoting: just enough to run the built-in
 * programs by hand. Arguments exec would refuse (too many, too long) are
 * named before anything runs; the console's ^C ends the program it waits
 * for, ^D at an empty prompt ends the shell.
 */
#include "user.h"

#define LINE 256
#define WORDS_MAX (LINE / 2)   /* a line cannot hold more words than this */

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

/* Says why exec would refuse these words, and returns 1; else 0. */
static int
args_refused(char **words, int n)
{
  if (n > MAXARG) {
    fprintf(2, "sh: %s: too many arguments (%d words; at most %d, the program "
            "name included)\n", words[0], n, MAXARG);
    return 1;
  }
  for (int i = 0; i < n; i++) {
    int len = (int)strlen(words[i]);
    if (len + 1 > (i == 0 ? MAXPATH : MAXARGLEN)) {
      fprintf(2, "sh: %s %d is %d characters long (at most %d)\n",
              i == 0 ? "program name" : "argument", i, len,
              (i == 0 ? MAXPATH : MAXARGLEN) - 1);
      return 1;
    }
  }
  return 0;
}

int
main(void)
{
  char line[LINE];
  char *words[WORDS_MAX + 1];

  for (;;) {
    printf("$ ");
    if (readline(0, line, sizeof(line)) == 0)
      return 0;
    int n = split(line, words, WORDS_MAX);
    if (n == 0 || args_refused(words, n))
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
