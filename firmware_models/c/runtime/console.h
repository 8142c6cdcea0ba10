/* Console output through the control block's CONSOLE register, one byte per
 * write. The testbench reads it line by line: records are a tag and
 * space-separated fields, numbers in lowercase hex unless stated. */
#ifndef CONSOLE_H
#define CONSOLE_H

#include <stddef.h>
#include <stdint.h>

#include "soc.h"

static inline void con_putc(char c)
{
    mmio_write(SOC_CTRL_REG(CONSOLE), (uint8_t)c);
}

void con_puts(const char *s);                       /* no newline added */
void con_hex(uint32_t v, int digits);               /* exactly `digits` hex digits */
void con_hex32(uint32_t v);                         /* 8 hex digits */
void con_bytes(const uint8_t *p, size_t n);         /* 2 hex digits per byte, in order; "-" if n == 0 */
void con_dec(uint32_t v);                           /* unsigned decimal */
void con_sdec(int32_t v);                           /* signed decimal */
void con_field(const char *s);                      /* a space then s */
void con_nl(void);

/* Print "FAIL <what>" and exit with code 1. */
void fail(const char *what) __attribute__((noreturn));

#endif
