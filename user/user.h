/*
 * user.h: the one header user programs include. System calls (DESIGN.md 5),
 * the layout and memstat definitions shared with the kernel, and the user
 * library: printf/fprintf, malloc/free, string helpers, and the test runner.
 */
#ifndef USER_USER_H
#define USER_USER_H

#include "lib/types.h"
#include "uapi/layout.h"
#include "uapi/memstat.h"
#include "uapi/mman.h"
#include "uapi/syscall.h"

typedef unsigned long size_t;

/* ---- system calls ---- */
int fork(void);
void exit(int status) __attribute__((noreturn));
int wait(int *status);
int pipe(int fds[2]);
int read(int fd, void *buf, int n);
int kill(int pid);
int exec(const char *path, char **argv);
int getpid(void);
char *sbrk(long n);
int sleep(int ticks);
int uptime(void);
int write(int fd, const void *buf, int n);
int close(int fd);
void *mmap(void *addr, size_t len, int prot, int flags);
int munmap(void *addr, size_t len);
int memstat(struct memstat *m);
void shutdown(int code) __attribute__((noreturn));
int hartid(void);
/* Debugging: prints the caller's mmap regions and its page table, vmprint
 * style, on the console. Returns 0. */
int vmprint(void);

/* Counters user code may read (the kernel enables them in scounteren):
 * time in timebase ticks (10 MHz on virt) and instructions retired on the
 * current hart. */
static inline uint64
rdtime(void)
{
  uint64 t;
  asm volatile("rdtime %0" : "=r"(t));
  return t;
}

static inline uint64
rdinstret(void)
{
  uint64 n;
  asm volatile("rdinstret %0" : "=r"(n));
  return n;
}
#define TIMEBASE_HZ 10000000UL

/* ---- library ---- */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int fprintf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int snprintf(char *buf, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void *malloc(size_t n);
void free(void *p);
void *memset(void *dst, int c, unsigned long n);
void *memcpy(void *dst, const void *src, unsigned long n);
void *memmove(void *dst, const void *src, unsigned long n);
int memcmp(const void *a, const void *b, unsigned long n);
unsigned long strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, unsigned long n);
int atoi(const char *s);
/* Reads one line (up to n-1 bytes, newline kept) from fd; returns its
 * length, 0 at end of input. */
int readline(int fd, char *buf, int n);

/* ---- test runner (user/lib/utest.c) ----
 * Each case runs in a forked child, so a crash fails one case, not the run.
 * A case passes if its child exits 0 without calling utest_fail. After each
 * case, pages_free and nodes_free must equal their values before it. */
struct utest {
  const char *name;
  void (*fn)(void);
};

/* Fails the running case with a reason and ends its child (status 1). */
void utest_fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* CHECK(cond, fmt, ...): utest_fail unless cond. */
#define CHECK(cond, ...) \
  do { if (!(cond)) utest_fail(__VA_ARGS__); } while (0)

/* Runs the cases in order, prints one line each and the closing line;
 * returns 0 if all passed (use it as main's status). */
int utest_run(const struct utest *cases, int n);

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#endif /* USER_USER_H */
