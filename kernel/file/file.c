/*
 * file.c: the table of open files and the read/write switch between the
 * console and pipes. Entries are shared by descriptors in several
 * processes (fork, and the first process's 0/1/2), so they are counted.
 */
#include "dev/dev.h"
#include "file/file.h"
#include "lib/lib.h"
#include "mm/mm.h"
#include "param.h"

static struct {
  struct spinlock lock;      /* rank LOCK_RANK_FILETABLE */
  struct file files[NFILE];  /* each [t] for ref */
} ftable;

void
file_init(void)
{
  spinlock_init(&ftable.lock, "filetable", LOCK_RANK_FILETABLE);
}

struct file *
file_alloc(void)
{
  acquire(&ftable.lock);
  for (int i = 0; i < NFILE; i++) {
    struct file *f = &ftable.files[i];
    if (f->ref == 0) {
      f->ref = 1;
      f->type = FILE_NONE;
      f->readable = f->writable = 0;
      f->pipe = NULL;
      release(&ftable.lock);
      return f;
    }
  }
  release(&ftable.lock);
  return NULL;
}

struct file *
file_dup(struct file *f)
{
  acquire(&ftable.lock);
  if (f->ref < 1)
    panic("file: dup of a closed file");
  f->ref++;
  release(&ftable.lock);
  return f;
}

void
file_close(struct file *f)
{
  acquire(&ftable.lock);
  if (f->ref < 1)
    panic("file: close of a closed file");
  if (--f->ref > 0) {
    release(&ftable.lock);
    return;
  }
  struct file copy = *f;
  f->type = FILE_NONE;
  release(&ftable.lock);

  if (copy.type == FILE_PIPE)
    pipe_close(copy.pipe, copy.writable);
}

struct file *
file_console(int readable, int writable)
{
  struct file *f = file_alloc();

  if (f == NULL)
    panic("file: no entry for the console");
  f->type = FILE_CONSOLE;
  f->readable = readable;
  f->writable = writable;
  return f;
}

int
file_read(struct file *f, struct uvm *vm, uint64 uva, int n)
{
  if (!f->readable || n < 0)
    return -1;
  if (n == 0)
    return 0;              /* nothing asked: do not wait for data */
  if (f->type == FILE_PIPE)
    return pipe_read(f->pipe, vm, uva, n);
  if (f->type == FILE_CONSOLE)
    return console_read(vm, uva, n);
  return -1;
}

int
file_write(struct file *f, struct uvm *vm, uint64 uva, int n)
{
  if (!f->writable || n < 0)
    return -1;
  if (f->type == FILE_PIPE)
    return pipe_write(f->pipe, vm, uva, n);
  if (f->type == FILE_CONSOLE)
    return console_write(vm, uva, n);
  return -1;
}

void
file_audit(struct audit *a)
{
  acquire(&ftable.lock);
  for (int i = 0; i < NFILE; i++)
    if (ftable.files[i].ref > 0 &&
        __atomic_load_n(&ftable.files[i].type, __ATOMIC_ACQUIRE) == FILE_PIPE &&
        ftable.files[i].pipe != NULL)
      audit_page(a, (uint64)ftable.files[i].pipe, PMEM_PIPE, 1);
  release(&ftable.lock);
}
