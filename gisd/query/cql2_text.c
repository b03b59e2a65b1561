/* CQL2's text comparisons over glib's Unicode tables. */
#include "cql2_text.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* glib's allocations handed over to the xalloc family's owners. */
static char *own(gchar *g)
{
    if (!g)
        return NULL;
    char *s = xstrdup(g);
    g_free(g);
    return s;
}

char *cql2_casefold(const char *s)
{
    if (!s || !g_utf8_validate(s, -1, NULL))
        return s ? xstrdup(s) : NULL;
    return own(g_utf8_casefold(s, -1));
}

char *cql2_strip_accents(const char *s)
{
    if (!s || !g_utf8_validate(s, -1, NULL))
        return s ? xstrdup(s) : NULL;
    gchar *d = g_utf8_normalize(s, -1, G_NORMALIZE_NFD);
    if (!d)
        return xstrdup(s);
    GString *out = g_string_sized_new(strlen(d));
    for (const gchar *p = d; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (g_unichar_type(c) != G_UNICODE_NON_SPACING_MARK)
            g_string_append_unichar(out, c);
    }
    g_free(d);
    gchar *n = g_utf8_normalize(out->str, -1, G_NORMALIZE_NFC);
    g_string_free(out, TRUE);
    return own(n);
}

/* The length of the UTF-8 character at s (1 for a byte that starts none). */
static size_t char_len(const char *s)
{
    unsigned char c = (unsigned char)*s;
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    for (size_t i = 1; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            return 1;
    return n;
}

int cql2_like(const char *s, const char *p)
{
    /* the classic wildcard walk: on a mismatch, let the last % take one more character */
    const char *star_p = NULL, *star_s = NULL;
    while (*s) {
        size_t pl = *p ? char_len(p) : 0, sl = char_len(s);
        if (*p == '%') {
            star_p = ++p;
            star_s = s;
            continue;
        }
        if (*p == '_') {
            p++;
            s += sl;
            continue;
        }
        const char *lit = p;
        if (*p == '\\' && p[1]) {
            lit = p + 1;
            pl = 1 + char_len(lit);
        }
        size_t ll = *p == '\\' && p[1] ? pl - 1 : pl;
        if (*p && ll == sl && memcmp(lit, s, sl) == 0) {
            p += pl;
            s += sl;
            continue;
        }
        if (!star_p)
            return 0;
        p = star_p;
        star_s += char_len(star_s);
        s = star_s;
    }
    while (*p == '%')
        p++;
    return *p == 0;
}
