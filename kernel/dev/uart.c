/*
 * uart.c: the ns16550a UART at UART0_BASE.
 *
 * Output is polled (uart_putc_sync), so the console works from any context,
 * panic included; printf's lock keeps harts' lines apart. Input raises
 * UART0_IRQ through the PLIC, and uart_intr hands each byte to the console.
 */
#include "arch/memlayout.h"
#include "dev/dev.h"

#define RHR 0   /* receive holding register (read) */
#define DLL 0   /* divisor latch, low byte (while LCR_BAUD_LATCH) */
#define DLM 1   /* divisor latch, high byte (while LCR_BAUD_LATCH) */
#define THR 0   /* transmit holding register (write) */
#define IER 1   /* interrupt enable */
#define IER_RX_ENABLE 0x01
#define FCR 2   /* FIFO control */
#define FCR_FIFO_ENABLE 0x01
#define FCR_FIFO_CLEAR  0x06
#define LCR 3   /* line control */
#define LCR_EIGHT_BITS  0x03
#define LCR_BAUD_LATCH  0x80
#define LSR 5   /* line status */
#define LSR_RX_READY    0x01
#define LSR_TX_IDLE     0x20

static volatile uint8 *const uart = (volatile uint8 *)KVA(UART0_BASE);

void
uart_init(void)
{
  uart[IER] = 0;
  uart[LCR] = LCR_BAUD_LATCH;
  uart[DLL] = 0x03;        /* divisor 3: 38400 baud (QEMU ignores it) */
  uart[DLM] = 0x00;
  uart[LCR] = LCR_EIGHT_BITS;
  uart[FCR] = FCR_FIFO_ENABLE | FCR_FIFO_CLEAR;
  uart[IER] = IER_RX_ENABLE;
}

void
uart_putc_sync(char c)
{
  while ((uart[LSR] & LSR_TX_IDLE) == 0)
    ;
  uart[THR] = (uint8)c;
}

int
uart_getc(void)
{
  if (uart[LSR] & LSR_RX_READY)
    return uart[RHR];
  return -1;
}

void
uart_intr(void)
{
  int c;

  while ((c = uart_getc()) >= 0)
    console_intr(c);
}
