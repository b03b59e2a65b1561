/* UTF-8 for text that reaches a client: whatever bytes a request carried,
 * what gisd echoes is valid UTF-8, cut only between characters. */
#ifndef GISD_UTF8_H
#define GISD_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* The length of the valid UTF-8 sequence at s (1-4), or 0 when the bytes at s
 * (at most n of them) do not start one. */
size_t utf8_seq_len(const unsigned char *s, size_t n);
/* The code point of the valid UTF-8 sequence at s (NUL-terminated) into
 * *cp: its length 1-4, or 0 at the end of s or where no valid sequence
 * starts. */
size_t utf8_next(const char *s, uint32_t *cp);
/* 1 when s is valid UTF-8 (overlongs, surrogates and code points past
 * U+10FFFF are not). */
int utf8_valid(const char *s);
/* A copy of s (xmalloc'd) with each invalid byte replaced by U+FFFD and, when
 * s holds more than max bytes (0: no limit), cut at a character boundary with
 * "…" appended. */
char *utf8_clean(const char *s, size_t max);
/* The length of the first n bytes of s (or all of it when shorter) less a
 * character they would split at the end. */
size_t utf8_cut(const char *s, size_t n);
/* snprintf into out (n bytes) cut at a character boundary when it does not
 * fit, so that text with user names in it stays valid UTF-8. */
void utf8_format(char *out, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
