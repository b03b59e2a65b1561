/* pinyin: the table is generated at build time from Unicode's own data
 * (tools/gen_pinyin.py, Debian's unicode-data), not kept by hand. */
#include <ctype.h>
#include <stddef.h>
#include <string.h>

#include "pinyin.h"
#include "pinyin_table.h"
#include "utf8.h"

unsigned pinyin_initials(uint32_t cp)
{
    return cp >= PINYIN_FIRST && cp <= PINYIN_LAST ? PINYIN_INITIALS[cp - PINYIN_FIRST] : 0;
}

/* What one character of a name may be typed as: a mask of letters and
 * digits (bits 26..35 digits), 0 for a character passed over. */
static unsigned long long typed_as(uint32_t cp)
{
    if (cp < 128) {
        if (isalpha((int)cp))
            return 1ull << (tolower((int)cp) - 'a');
        if (isdigit((int)cp))
            return 1ull << (26 + (cp - '0'));
        return 0;
    }
    return pinyin_initials(cp);
}

int pinyin_match(const char *name, const char *q)
{
    size_t nq = strlen(q);
    if (nq == 0 || nq > 64)
        return 0;
    unsigned long long want[64];
    for (size_t i = 0; i < nq; i++) {
        unsigned char c = (unsigned char)q[i];
        if (isalpha(c))
            want[i] = 1ull << (tolower(c) - 'a');
        else if (isdigit(c))
            want[i] = 1ull << (26 + (c - '0'));
        else
            return 0;
    }
    /* the name as the masks of its characters that count */
    unsigned long long chars[256];
    size_t n = 0;
    const char *p = name;
    while (*p && n < sizeof chars / sizeof *chars) {
        uint32_t cp;
        size_t len = utf8_next(p, &cp);
        if (len == 0)
            return 0;
        p += len;
        unsigned long long m = typed_as(cp);
        if (m)
            chars[n++] = m;
    }
    for (size_t start = 0; start + nq <= n; start++) {
        size_t k = 0;
        while (k < nq && (chars[start + k] & want[k]))
            k++;
        if (k == nq)
            return 1;
    }
    return 0;
}
