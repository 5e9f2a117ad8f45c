/*
 * progimage.c: looks programs up by name in the embedded program image.
 * The image is read-only kernel data; exec copies from it.
 */
#include "lib/lib.h"
#include "proc/proc.h"
#include "proc/progimage.h"

extern const char progimage_start[], progimage_end[];

static const struct progimage_header *
header(void)
{
  const struct progimage_header *h = (const void *)progimage_start;
  uint64 size = (uint64)(progimage_end - progimage_start);

  if (size < sizeof(*h) || memcmp(h->magic, PROGIMAGE_MAGIC, sizeof(h->magic)) != 0 ||
      sizeof(*h) + h->count * sizeof(struct progimage_entry) > size)
    panic("progimage: the embedded program image is corrupt");
  return h;
}

const uint8 *
progimage_find(const char *name, uint64 *size)
{
  const struct progimage_header *h = header();
  const struct progimage_entry *e = (const void *)(h + 1);
  uint64 total = (uint64)(progimage_end - progimage_start);

  for (uint32 i = 0; i < h->count; i++, e++) {
    if (strncmp(e->name, name, PROGIMAGE_NAME) != 0)
      continue;
    if (e->offset > total || e->size > total - e->offset)
      return NULL;
    *size = e->size;
    return (const uint8 *)progimage_start + e->offset;
  }
  return NULL;
}

void
progimage_list(void)
{
  const struct progimage_header *h = header();
  const struct progimage_entry *e = (const void *)(h + 1);

  char line[512];
  int len = fmt_snprintf(line, sizeof(line), "kernel: %d programs built in:",
                         (int)h->count);
  for (uint32 i = 0; i < h->count && len < (int)sizeof(line); i++, e++)
    len += fmt_snprintf(line + len, sizeof(line) - len, " %s", e->name);
  printf("%s\n", line);
}
