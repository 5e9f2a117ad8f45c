/*
 * dev.h: the devices of the virt machine the kernel drives: the ns16550a
 * UART (console), the PLIC, the sifive test finisher (power off), and the
 * flattened device tree QEMU hands over at boot.
 */
#ifndef DEV_DEV_H
#define DEV_DEV_H

#include "lib/types.h"
#include "param.h"

/* uart.c */
void uart_init(void);                 /* once, hart 0, paging off or on */
void uart_putc_sync(char c);          /* polled; any context */
int uart_getc(void);                  /* -1 if nothing waiting */
void uart_intr(void);                 /* PLIC said the UART has input */

/* console.c: the line the UART feeds, and the console as a file. */
struct uvm;
void console_init(void);              /* once, hart 0 */
void console_intr(int c);             /* one received character */
uint64 console_chars_received(void);  /* bytes received since boot */
/* read/write on the console for a process: up to n bytes at user address
 * uva. Read sleeps until a byte arrives and stops after a newline.
 * Return the count, or -1 (bad buffer, or killed while waiting). */
int console_read(struct uvm *vm, uint64 uva, int n);   /* => may sleep; no lock held */
int console_write(struct uvm *vm, uint64 uva, int n);

/* plic.c */
void plic_init(void);                 /* once, hart 0 */
void plic_inithart(void);             /* every hart: enable UART irq */
int plic_claim(void);                 /* the pending irq on this hart, 0 if none */
void plic_complete(int irq);          /* done with irq on this hart */

/* finisher.c: exit status 0 passes, 1..255 fail. Never returns. */
void finisher_exit(int code) __attribute__((noreturn));

/* fdt.c: what the kernel needs from the device tree. */
struct boot_info {
  uint64 ram_base;                    /* first byte of RAM */
  uint64 ram_size;                    /* bytes */
  int nharts;                         /* cpu nodes under /cpus */
  uint64 timebase_hz;                 /* /cpus timebase-frequency */
  char bootargs[BOOTARGS_MAX];        /* /chosen bootargs, "" if none */
};

/* Parses the blob at dtb into bi. Returns 0, or -1 if it is not a device
 * tree or lacks a memory node. => paging off or dtb mapped. */
int fdt_parse(uint64 dtb, struct boot_info *bi);

extern struct boot_info boot_info;    /* [I] filled by hart 0 before others run */

/* Looks key up in boot_info.bootargs ("key" or "key=value" words).
 * Returns 1 and copies the value (or "") into val if present, else 0. */
int bootarg(const char *key, char *val, int n);

#endif /* DEV_DEV_H */
