#include "strbuf.h"
#include "xalloc.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static void reserve(strbuf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
}

void strbuf_reserve(strbuf *b, size_t n) { reserve(b, n); }

void strbuf_append(strbuf *b, const void *p, size_t n)
{
    reserve(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void strbuf_puts(strbuf *b, const char *s) { strbuf_append(b, s, strlen(s)); }

void strbuf_vprintf(strbuf *b, const char *fmt, va_list ap)
{
    /* formatted once into the room there is, and again only when it did not
     * fit: the JSON writers print numbers by the thousand */
    reserve(b, 64);
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        b->data[b->len] = '\0';
        return;
    }
    if ((size_t)n >= b->cap - b->len) {
        reserve(b, (size_t)n);
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    }
    b->len += (size_t)n;
}

void strbuf_int(strbuf *b, long long v)
{
    char tmp[24], *p = tmp + sizeof tmp;
    /* through unsigned: the most negative value has no positive twin */
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    do
        *--p = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        *--p = '-';
    strbuf_append(b, p, (size_t)(tmp + sizeof tmp - p));
}

void strbuf_real(strbuf *b, double v)
{
    /* a whole number prints as %.15g would print it, without printf's cost */
    if (v == v && fabs(v) < 1e15 && v == (double)(long long)v && !(v == 0 && signbit(v)))
        strbuf_int(b, (long long)v);
    else
        strbuf_printf(b, "%.15g", v);
}

void strbuf_printf(strbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    strbuf_vprintf(b, fmt, ap);
    va_end(ap);
}

void strbuf_json_string(strbuf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    strbuf_append(b, "\"", 1);
    const char *run = s;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        strbuf_append(b, run, (size_t)(s - run));
        char esc[7] = {'\\', 0};
        size_t n = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
        }
        strbuf_append(b, esc, n);
        run = s + 1;
    }
    strbuf_append(b, run, (size_t)(s - run));
    strbuf_append(b, "\"", 1);
}

void strbuf_free(strbuf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
