/*
 * file.h: open files: the console and pipes. A process's descriptors point
 * at shared struct file entries (fork shares them, reference counted).
 *
 * Lock key: [t] the file table lock (rank LOCK_RANK_FILETABLE), [I] set by
 * whoever allocated the entry before it is shared, `type` last (with a
 * release store, which file_audit pairs with an acquire load), then fixed
 * while ref > 0; [l] the pipe's own lock (rank LOCK_RANK_PIPE).
 */
#ifndef FILE_FILE_H
#define FILE_FILE_H

#include "lib/types.h"
#include "sync/spinlock.h"

struct uvm;
struct pipe;

enum file_type { FILE_NONE, FILE_CONSOLE, FILE_PIPE };

struct file {
  int ref;                 /* [t] descriptors pointing here */
  enum file_type type;     /* [I] */
  int readable;            /* [I] */
  int writable;            /* [I] */
  struct pipe *pipe;       /* [I] FILE_PIPE only */
};

void file_init(void);                      /* once, hart 0 */
/* A new file with one reference, or NULL if the table is full. */
struct file *file_alloc(void);
struct file *file_dup(struct file *f);     /* one more reference */
void file_close(struct file *f);           /* one less; the last one releases */
/* Read or write n bytes at user address uva of vm. Return the count moved,
 * or -1 (not readable/writable, bad buffer, broken pipe). May sleep. */
int file_read(struct file *f, struct uvm *vm, uint64 uva, int n);
int file_write(struct file *f, struct uvm *vm, uint64 uva, int n);
/* Reports every open pipe's page to the audit (a pipe page is shared by
 * its two ends). */
struct audit;
void file_audit(struct audit *a);
/* The console as an open file, for the first process's fds 0, 1, 2. */
struct file *file_console(int readable, int writable);

/* pipe.c */
/* Makes a pipe: *rf reads and *wf writes. Returns 0, or -1 if no page or
 * no file entry could be had (nothing is kept). */
int pipe_alloc(struct file **rf, struct file **wf, int owner);
/* Closes one end; the last close frees the pipe's page. => holds no lock. */
void pipe_close(struct pipe *pi, int writable);
/* Move up to n bytes between the pipe and user memory; see file_read /
 * file_write. => hold no lock; may sleep (on the pipe lock). */
int pipe_read(struct pipe *pi, struct uvm *vm, uint64 uva, int n);
int pipe_write(struct pipe *pi, struct uvm *vm, uint64 uva, int n);

#endif /* FILE_FILE_H */
