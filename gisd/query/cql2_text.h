/* The text semantics of CQL2 that SQL lacks: Unicode case folding (CASEI),
 * accent removal (ACCENTI) and LIKE's case-sensitive pattern matching. */
#ifndef GISD_CQL2_TEXT_H
#define GISD_CQL2_TEXT_H

/* s case-folded (Unicode, not ASCII only), malloc'd; NULL for NULL. */
char *cql2_casefold(const char *s);
/* s without its diacritics (decomposed, combining marks dropped,
 * recomposed), malloc'd; NULL for NULL. */
char *cql2_strip_accents(const char *s);
/* 1 when s matches the CQL2 LIKE pattern: % any run of characters, _ one
 * character (UTF-8), \ the next character as itself; case matters. */
int cql2_like(const char *s, const char *pattern);

#endif
