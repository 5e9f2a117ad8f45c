/*
 * test_lib.c: host unit tests of the pure helpers the kernel and the user
 * library share: the printf engine (kernel/lib/fmt.c) and the device-tree
 * reader (kernel/dev/fdt.c), the latter on a tree QEMU itself dumped
 * (run.sh passes its path: 3 harts, 256 MiB, bootargs "selftest seed=42").
 */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dev/dev.h"
#include "harness.h"
#include "lib/fmt.h"

static const char *dtb_path;

#define FMT_IS(want, ...)                                                   \
  do {                                                                      \
    char got_[128];                                                         \
    int n_ = fmt_snprintf(got_, sizeof(got_), __VA_ARGS__);                 \
    CHECK(strcmp(got_, want) == 0 && n_ == (int)strlen(want),               \
          "%s gave '%s' (%d), want '%s'", #__VA_ARGS__, got_, n_, want);    \
  } while (0)

static void
fmt_formats_integers_with_width_and_flags(void)
{
  FMT_IS("42 -7 0", "%d %d %u", 42, -7, 0u);
  FMT_IS("-9223372036854775808", "%ld", (long)(-9223372036854775807L - 1));
  FMT_IS("18446744073709551615", "%lu", ~0UL);
  FMT_IS("ff FF", "%x %X", 255u, 255u);
  FMT_IS("[   42][42   ][00042][-0042]", "[%5d][%-5d][%05d][%05d]", 42, 42, 42, -42);
  FMT_IS("0x80001000", "%p", (void *)0x80001000UL);
  FMT_IS("deadbeefcafe", "%lx", 0xdeadbeefcafeUL);
  FMT_IS("4096", "%zu", (size_t)4096);
}

static void
fmt_formats_strings_chars_and_oddities(void)
{
  const char *volatile null_string = NULL;
  FMT_IS("hi (null) x %", "%s %s %c %%", "hi", null_string, 'x');
  FMT_IS("[  ab][ab  ]", "[%4s][%-4s]", "ab", "ab");
  /* Unknown or cut-off conversions are shown, not eaten (formats kept in
   * variables so the compiler's own printf checks let them through). */
  const char *unknown = "100%q", *cut = "end%";
  FMT_IS("100%q", unknown);
  FMT_IS("end%", cut);
}

static void
fmt_snprintf_truncates_and_terminates(void)
{
  char buf[6];
  int n = fmt_snprintf(buf, sizeof(buf), "%s", "abcdefgh");
  CHECK(n == 8 && strcmp(buf, "abcde") == 0, "got '%s' (%d)", buf, n);
}

static void
fdt_reads_ram_harts_timebase_and_bootargs(void)
{
  FILE *f = fopen(dtb_path ? dtb_path : "", "rb");
  CHECK(f != NULL, "cannot open the dumped device tree '%s'", dtb_path);
  if (f == NULL)
    return;
  static unsigned char blob[1 << 20];
  size_t len = fread(blob, 1, sizeof(blob), f);
  fclose(f);
  CHECK(len > 64, "short device tree");

  struct boot_info bi;
  CHECK(fdt_parse((uint64)(uintptr_t)blob, &bi) == 0, "fdt_parse failed");
  CHECK(bi.ram_base == 0x80000000ULL && bi.ram_size == (256ULL << 20),
        "RAM %llx+%llx", bi.ram_base, bi.ram_size);
  CHECK(bi.nharts == 3, "%d harts", bi.nharts);
  CHECK(bi.timebase_hz == 10000000, "timebase %llu", bi.timebase_hz);
  CHECK(strcmp(bi.bootargs, "selftest seed=42") == 0, "bootargs '%s'", bi.bootargs);
}

static void
fdt_rejects_a_blob_that_is_not_a_device_tree(void)
{
  static unsigned char junk[256] = { 0x12, 0x34 };
  struct boot_info bi;
  CHECK(fdt_parse((uint64)(uintptr_t)junk, &bi) == -1, "junk accepted");
}

static void
bootarg_finds_words_and_values(void)
{
  char v[16];

  strcpy(boot_info.bootargs, "selftest=pool seed=42 quiet");
  CHECK(bootarg("selftest", v, sizeof(v)) == 1 && strcmp(v, "pool") == 0, "selftest '%s'", v);
  CHECK(bootarg("seed", v, sizeof(v)) == 1 && strcmp(v, "42") == 0, "seed '%s'", v);
  CHECK(bootarg("quiet", v, sizeof(v)) == 1 && v[0] == '\0', "quiet '%s'", v);
  CHECK(bootarg("see", v, sizeof(v)) == 0, "a prefix of a key matched");
  CHECK(bootarg("init", v, sizeof(v)) == 0, "a missing key matched");
  CHECK(bootarg("selftest", v, 3) == 1 && strcmp(v, "po") == 0, "not cut to fit: '%s'", v);
}

int
main(int argc, char **argv)
{
  static const struct harness_case cases[] = {
    { "fmt_formats_integers_with_width_and_flags", fmt_formats_integers_with_width_and_flags },
    { "fmt_formats_strings_chars_and_oddities", fmt_formats_strings_chars_and_oddities },
    { "fmt_snprintf_truncates_and_terminates", fmt_snprintf_truncates_and_terminates },
    { "fdt_reads_ram_harts_timebase_and_bootargs", fdt_reads_ram_harts_timebase_and_bootargs },
    { "fdt_rejects_a_blob_that_is_not_a_device_tree", fdt_rejects_a_blob_that_is_not_a_device_tree },
    { "bootarg_finds_words_and_values", bootarg_finds_words_and_values },
  };
  dtb_path = argc > 1 ? argv[1] : NULL;
  return harness_run(cases, sizeof(cases) / sizeof(cases[0]));
}
