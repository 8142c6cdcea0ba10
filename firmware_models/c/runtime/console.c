#include "console.h"

static const char HEX[] = "0123456789abcdef";

void con_puts(const char *s)
{
    while (*s)
        con_putc(*s++);
}

void con_hex(uint32_t v, int digits)
{
    for (int i = digits - 1; i >= 0; i--)
        con_putc(HEX[(v >> (4 * i)) & 15u]);
}

void con_hex32(uint32_t v)
{
    con_hex(v, 8);
}

void con_bytes(const uint8_t *p, size_t n)
{
    if (n == 0)
        con_putc('-');
    for (size_t i = 0; i < n; i++) {
        con_putc(HEX[p[i] >> 4]);
        con_putc(HEX[p[i] & 15u]);
    }
}

void con_dec(uint32_t v)
{
    char buf[10];
    int n = 0;
    do {
        buf[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    while (n)
        con_putc(buf[--n]);
}

void con_sdec(int32_t v)
{
    if (v < 0) {
        con_putc('-');
        con_dec(0u - (uint32_t)v);
    } else {
        con_dec((uint32_t)v);
    }
}

void con_field(const char *s)
{
    con_putc(' ');
    con_puts(s);
}

void con_nl(void)
{
    con_putc('\n');
}

void fail(const char *what)
{
    con_puts("FAIL ");
    con_puts(what);
    con_nl();
    soc_exit(1);
}
