/* The text semantics of CQL2 that SQL lacks: Unicode case folding (CASEI),
 * accent removal (ACCENTI) and LIKE's case-sensitive pattern matching. */
#ifndef GISD_CQL2_TEXT_H
#define GISD_CQL2_TEXT_H

#include <stddef.h>

/* s case-folded (Unicode, not ASCII only), malloc'd; NULL for NULL. */
char *cql2_casefold(const char *s);
/* s without its diacritics (decomposed, combining marks dropped,
 * recomposed), malloc'd; NULL for NULL. */
char *cql2_strip_accents(const char *s);
/* 1 when s matches the CQL2 LIKE pattern (0 when not): % any run of
 * characters, _ one character (UTF-8), \ the next character as itself (a
 * \ that ends the pattern is itself); case matters. Linear in the text for
 * a given pattern (O(text x pattern / 64) at worst); -1 when cancel_requested()
 * stopped it first. */
int cql2_like(const char *s, const char *pattern);

/* What CASEI (accents 0) or ACCENTI (accents 1) does to each character
 * outside ASCII, for a store that must do the same in SQL: one character
 * into one (from[i] into to[i], counted in characters), into none (the
 * characters of from past the length of to), or into several (multi). The
 * folding is per character, so applying the table to a text gives what
 * cql2_casefold or cql2_strip_accents gives (on NFC text for accents). */
typedef struct {
    char *from, *to;     /* UTF-8, as translate() takes them */
    char *(*multi)[2];   /* {character, its text} */
    size_t nmulti;
} cql2_char_table;

void cql2_char_table_make(int accents, cql2_char_table *t);
void cql2_char_table_free(cql2_char_table *t);

#endif
