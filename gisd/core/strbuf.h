/* A growable byte buffer (memory through xalloc: appends cannot fail); the
 * owner calls strbuf_free. data is NULL until the first append. */
#ifndef GISD_STRBUF_H
#define GISD_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct {
    char *data;
    size_t len, cap;
} strbuf;

/* Makes room for n more bytes and the NUL after them (data is then never
 * NULL); for a writer that fills data + len itself, then moves len. */
void strbuf_reserve(strbuf *b, size_t n);
/* Appends n bytes of p; data stays NUL-terminated. */
void strbuf_append(strbuf *b, const void *p, size_t n);
/* Appends the string s. */
void strbuf_puts(strbuf *b, const char *s);
/* Appends the formatted text. */
void strbuf_printf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* v in decimal, as "%lld" prints it. */
void strbuf_int(strbuf *b, long long v);
/* v as "%.15g" prints it (a whole number without printf). */
void strbuf_real(strbuf *b, double v);
/* The same as strbuf_printf with a va_list (which it consumes). */
void strbuf_vprintf(strbuf *b, const char *fmt, va_list ap);
/* Appends s as a JSON string literal, quotes included; s must be valid UTF-8. */
void strbuf_json_string(strbuf *b, const char *s);
/* Frees data and empties b, which can be used again. */
void strbuf_free(strbuf *b);

#endif
