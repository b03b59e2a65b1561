/* A growable byte buffer; the owner calls strbuf_free. */
#ifndef GISD_STRBUF_H
#define GISD_STRBUF_H

#include <stddef.h>

typedef struct {
    char *data;
    size_t len, cap;
    int oom; /* set when an append failed; later appends do nothing */
} strbuf;

void strbuf_append(strbuf *b, const void *p, size_t n);
void strbuf_puts(strbuf *b, const char *s);
void strbuf_printf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal, quotes included. */
void strbuf_json_string(strbuf *b, const char *s);
void strbuf_free(strbuf *b);

#endif
