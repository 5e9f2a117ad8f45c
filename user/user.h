/*
 * user.h: the one header user programs include. System calls (DESIGN.md 5),
 * the layout and memstat definitions shared with the kernel, and the user
 * library: printf/fprintf, malloc/free, string helpers, the test runner and
 * the helpers the test programs share.
 */
#ifndef USER_USER_H
#define USER_USER_H

#include "lib/types.h"
#include "uapi/failinject.h"
#include "uapi/layout.h"
#include "uapi/lockstat.h"
#include "uapi/memaudit.h"
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
/* Debugging: audits every allocated page and pool node (uapi/memaudit.h),
 * printing offenders on the console. Meaningful when no other process is
 * changing memory. Returns 0, or -1 for a bad pointer. */
int memaudit(struct memaudit *a);
/* Lock statistics (uapi/lockstat.h): fills up to max classes into buf and
 * returns how many classes the kernel has (maybe more than max), or -1 if
 * buf is bad. */
int lockstat(struct lockstat *buf, int max);
/* Testing: makes the caller's page and/or node allocations fail (see
 * uapi/failinject.h). Returns the allocations counted since the last call. */
int failinject(int what, int nth, int ppm, int seed);

/* ---- threads ----
 * clone: a new thread of the caller's process, sharing its address space
 * (heap, break, mmap regions) and with duplicates of its open files. It
 * runs fn(arg) on stack (the top of memory the caller provides, 16-byte
 * aligned); when fn returns, the thread ends with status 0. Returns the
 * thread's id (> 0), or -1: no slot or memory, fn or stack not user
 * memory, stack misaligned.
 * join: waits for thread tid (any thread the caller created if 0) to end,
 * stores its status unless status is 0, reaps it and returns its id; -1
 * if it is not an unjoined thread the caller created, or status is bad.
 * exit() in a cloned thread ends only that thread; in the first thread, it
 * ends every thread of the process. */
int clone(void (*fn)(void *), void *arg, void *stack);
int join(int tid, int *status);
/* The system call itself: starts at fn with a0 = arg, sp = stack and
 * ra = ret (clone passes a stub that calls exit(0)). */
int sys_clone(void (*fn)(void *), void *arg, void *stack, void (*ret)(void));

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

/* How many instret units QEMU counts per instruction, times 100, measured
 * on a loop of known length (the benchmarks divide by it). */
uint64 instret_units_x100(void);
/* Sorts v[0..n) ascending (insertion sort: the benchmarks' few samples). */
void sort_u64(uint64 *v, int n);
/* Sorts v[0..n) and returns its median, the mean of the middle two if n is
 * even; 0 if n is 0. */
uint64 median_u64(uint64 *v, int n);

/* ---- library ---- */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int fprintf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int snprintf(char *buf, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void *malloc(size_t n);
void free(void *p);
/* memset, memcpy, memmove, memcmp, strlen, strcmp, strncmp, strlcpy, atoi:
 * the kernel's own helpers (kernel/lib/string.c), shared. */
#include "lib/string.h"
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

/* ---- test helpers (user/lib/testutil.c) ----
 * Pieces several test programs share. Those that check something fail the
 * running case through utest_fail, so they are for use inside a case. */
#define UTEST_KILLED (-1)   /* wait's status for a killed process */
#define UTEST_SURVIVED 3    /* a child that should have died did not */

/* Returns a unchanged, but the compiler cannot see through it: a deliberate
 * access to a constant bad address stays a real load, store or jump instead
 * of being replaced by a trap instruction or optimised away. */
uint64 utest_opaque(uint64 a);

/* Reaps one child, which must be pid, and returns its exit status. */
int utest_reap(int pid);

/* Forks a child that exits at once with status; returns its pid. */
int utest_fork_exit(int status);

/* Forks a child that counts pages: fork returns in the child only once the
 * parent is quiet (its own copy-on-write breaks after the fork are done,
 * and it is blocked until the child exits), so the child's snapshots see
 * the child's doings alone. Returns 0 in the child; in the parent, the
 * child's pid once the child has exited (reap it with utest_reap). */
int utest_fork_counted(void);

/* Runs fn(arg) in a child, which must be killed doing it: the case fails,
 * naming what, unless wait reports UTEST_KILLED. The child exits with
 * UTEST_SURVIVED if fn returns. */
void utest_expect_killed(void (*fn)(void *), void *arg, const char *what);

/* A one-byte load or store at va that the compiler keeps as it is. */
char utest_load(uint64 va);
void utest_store(uint64 va, char c);

enum utest_access { UTEST_LOAD, UTEST_STORE, UTEST_JUMP };

/* utest_expect_killed for one access to va: a utest_load, a utest_store,
 * or a call of va. */
void utest_expect_access_kills(uint64 va, enum utest_access how,
                               const char *what);

/* Addresses no system call may store into: NULL, the program's own text,
 * TRAPFRAME and beyond VA_MAX; what names each one in messages. */
struct utest_addr {
  const char *what;
  uint64 va;
};
#define UTEST_NUNWRITABLE 4
extern const struct utest_addr utest_unwritable[UTEST_NUNWRITABLE];

/* Writes every page of the program's data, bss and used stack once, so
 * pages a fork left shared (copy-on-write) become the caller's own: later
 * page counts then see only what the case itself does. */
void utest_own_pages(void);

/* memstat into m; fails the case if the call fails. */
void utest_snap(struct memstat *m);

/* User pages allocated in snapshot m (pages_by_kind[PMEM_USER]). */
int utest_user_pages(const struct memstat *m);

/* Checks what happened between snapshots a and b: exactly `user` user
 * pages were allocated, page tables grew by 0..2 (none if no user page
 * was), and the free list paid for exactly those pages. */
void utest_expect_cost(const struct memstat *a, const struct memstat *b,
                       int user, const char *what);

/* Checks that pages (free, user, page-table) and region nodes are the same
 * in a and b. */
void utest_expect_same(const struct memstat *a, const struct memstat *b,
                       const char *what);

/* Moves the break up to the next page boundary and then npages further;
 * returns the first of those npages pages, none of which was ever heap. */
uint64 utest_heap_fresh(uint64 npages);

/* mmap(va, len, prot, MAP_PRIVATE | MAP_ANONYMOUS): va 0 asks for first
 * fit. Returns what mmap returned, MAP_FAILED included. */
void *utest_map(uint64 va, uint64 len, int prot);

/* utest_map of npages pages at va, which must succeed there. */
void utest_map_at(uint64 va, uint64 npages, int prot);

/* mmap(va, len, prot, flags) must return MAP_FAILED and take no page and
 * no region node; what names the attempt in messages. */
void utest_expect_map_fails(uint64 va, uint64 len, int prot, int flags,
                            const char *what);

/* munmap of npages pages at va, which must succeed. */
void utest_unmap(uint64 va, uint64 npages);

/* The tag utest_put_tag usually writes into page: a different one for
 * each page. */
uint64 utest_tag_of(uint64 page);

/* Marks a page with tag at its first and last word, so a page that moved,
 * got zeroed or lost its tail shows in utest_has_tag. The stores are real
 * ones: they may fault a lazy page in, or kill. */
void utest_put_tag(uint64 page, uint64 tag);

/* 1 if page holds tag (and ~tag in its last word), else 0. */
int utest_has_tag(uint64 page, uint64 tag);

/* 1 if every word of page reads 0 (real loads), else 0. */
int utest_page_is_zero(uint64 page);

#endif /* USER_USER_H */
