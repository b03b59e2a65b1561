/* CQL2's text comparisons over glib's Unicode tables. */
#include "cql2_text.h"

#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cancel.h"
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

/* ---- LIKE in linear time ----
 * The pattern is cut at its %s into segments of units (a character, or _
 * for any one); the text is read as units too (a UTF-8 character, or a byte
 * that starts none). The first segment must match at the start, the last at
 * the end, and each one between at its leftmost place after the one before:
 * taking the leftmost place never loses a match, so no backtracking is
 * needed. Each segment is found with the bit-parallel Shift-And automaton
 * (Baeza-Yates and Gonnet), whose _ is a bit set in every character's mask:
 * O(text x segment / 64) in all, however the pattern is made. */

#define ANY_UNIT 0xFFFFFFFFu

/* The units of s (n bytes) into out (room for n); their count. */
static size_t units(const char *s, size_t n, uint32_t *out, int pattern)
{
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        if (pattern && s[i] == '_') {
            out[k++] = ANY_UNIT;
            i++;
            continue;
        }
        if (pattern && s[i] == '\\' && i + 1 < n)
            i++;
        size_t l = char_len(s + i);
        if (i + l > n)
            l = 1;
        uint32_t u = l == 1 && (unsigned char)s[i] >= 0x80 ? 0x200000u + (unsigned char)s[i] : 0;
        if (!u)
            for (size_t j = 0; j < l; j++)
                u = u << 8 | (unsigned char)s[i + j];
        out[k++] = u;
        i += l;
    }
    return k;
}

/* One segment's automaton: for each distinct unit of it (sorted), the mask
 * of its positions, _'s positions included; others get the _ mask alone. */
typedef struct {
    size_t m, words;
    uint32_t *keys;
    uint64_t *masks; /* (nkeys + 1) x words: the last row is for units not in keys */
    size_t nkeys;
} automaton;

static int by_unit(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static void automaton_make(automaton *a, const uint32_t *seg, size_t m)
{
    a->m = m;
    a->words = (m + 63) / 64;
    a->keys = xreallocarray(NULL, m ? m : 1, sizeof *a->keys);
    a->nkeys = 0;
    for (size_t i = 0; i < m; i++)
        if (seg[i] != ANY_UNIT)
            a->keys[a->nkeys++] = seg[i];
    qsort(a->keys, a->nkeys, sizeof *a->keys, by_unit);
    size_t w = 0;
    for (size_t i = 0; i < a->nkeys; i++)
        if (w == 0 || a->keys[w - 1] != a->keys[i])
            a->keys[w++] = a->keys[i];
    a->nkeys = w;
    a->masks = xcalloc((a->nkeys + 1) * a->words, sizeof *a->masks);
    for (size_t i = 0; i < m; i++) {
        if (seg[i] == ANY_UNIT) {
            for (size_t k = 0; k <= a->nkeys; k++)
                a->masks[k * a->words + i / 64] |= 1ull << (i % 64);
        } else {
            uint32_t *hit = bsearch(&seg[i], a->keys, a->nkeys, sizeof *a->keys, by_unit);
            a->masks[(size_t)(hit - a->keys) * a->words + i / 64] |= 1ull << (i % 64);
        }
    }
}

static const uint64_t *automaton_mask(const automaton *a, uint32_t u)
{
    uint32_t *hit = bsearch(&u, a->keys, a->nkeys, sizeof *a->keys, by_unit);
    return a->masks + (hit ? (size_t)(hit - a->keys) : a->nkeys) * a->words;
}

/* Where the leftmost match of the segment in t[from..n) ends (one past it),
 * or 0 with *stopped set when the work was cancelled; SIZE_MAX when none. */
static size_t automaton_find(const automaton *a, const uint32_t *t, size_t from, size_t n, uint64_t *state,
                             int *stopped)
{
    memset(state, 0, a->words * sizeof *state);
    const uint64_t last = 1ull << ((a->m - 1) % 64);
    for (size_t i = from; i < n; i++) {
        if (((i - from) & 0xFFFF) == 0xFFFF && cancel_requested()) {
            *stopped = 1;
            return 0;
        }
        const uint64_t *mask = automaton_mask(a, t[i]);
        uint64_t carry = 1;
        for (size_t w = 0; w < a->words; w++) {
            uint64_t next = state[w] >> 63;
            state[w] = ((state[w] << 1) | carry) & mask[w];
            carry = next;
        }
        if (state[a->words - 1] & last)
            return i + 1;
    }
    return SIZE_MAX;
}

/* 1 when t[at..at+m) matches the segment unit by unit. */
static int matches_at(const uint32_t *seg, size_t m, const uint32_t *t, size_t at)
{
    for (size_t i = 0; i < m; i++)
        if (seg[i] != ANY_UNIT && seg[i] != t[at + i])
            return 0;
    return 1;
}

int cql2_like(const char *s, const char *p)
{
    size_t sn = strlen(s), pn = strlen(p);
    uint32_t *t = xreallocarray(NULL, sn ? sn : 1, sizeof *t), *pat = xreallocarray(NULL, pn ? pn : 1, sizeof *pat);
    size_t n = units(s, sn, t, 0);
    /* segments: the pattern's units between unescaped %s */
    size_t *starts = xreallocarray(NULL, pn + 2, sizeof *starts), *lens = xreallocarray(NULL, pn + 2, sizeof *lens);
    size_t nseg = 0, m = 0;
    starts[0] = 0;
    for (size_t i = 0; i <= pn;) {
        if (i == pn || p[i] == '%') {
            lens[nseg] = m - starts[nseg];
            starts[++nseg] = m;
            i++;
            if (i > pn)
                break;
            continue;
        }
        size_t step = p[i] == '\\' && i + 1 < pn ? 1 + char_len(p + i + 1) : p[i] == '_' ? 1 : char_len(p + i);
        if (i + step > pn)
            step = pn - i;
        m += units(p + i, step, pat + m, 1);
        i += step;
    }
    int result = 0, stopped = 0;
    size_t pos = 0;
    if (nseg == 1) { /* no %: the whole text, unit for unit */
        result = lens[0] == n && matches_at(pat, n, t, 0);
        goto done;
    }
    if (lens[0] > n || !matches_at(pat, lens[0], t, 0))
        goto done;
    pos = lens[0];
    size_t tail = lens[nseg - 1];
    if (tail > n - pos)
        goto done;
    size_t end = n - tail; /* the last segment is matched there, and the middle ones before it */
    uint64_t *state = NULL;
    for (size_t k = 1; k + 1 < nseg; k++) {
        if (lens[k] == 0)
            continue;
        automaton a;
        automaton_make(&a, pat + starts[k], lens[k]);
        state = xreallocarray(state, a.words, sizeof *state);
        size_t found = automaton_find(&a, t, pos, end, state, &stopped);
        free(a.keys);
        free(a.masks);
        if (stopped || found == SIZE_MAX) {
            free(state);
            goto done;
        }
        pos = found;
    }
    free(state);
    result = matches_at(pat + starts[nseg - 1], tail, t, end);
done:
    free(t);
    free(pat);
    free(starts);
    free(lens);
    return stopped ? -1 : result;
}

/* ---- the same folding for an SQL engine ---- */

/* Code points that neither fold nor lose accents: unified ideographs,
 * Hangul syllables (decomposed to jamo and recomposed), private use. The
 * compatibility ideographs, which decompose, are not among them. */
static int never_changes(gunichar c)
{
    return (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xAC00 && c <= 0xD7A3) ||
           (c >= 0xD800 && c <= 0xF8FF) || (c >= 0x20000 && c <= 0x2F7FF) || (c >= 0x30000 && c <= 0x3134F) ||
           c >= 0xF0000;
}

void cql2_char_table_make(int accents, cql2_char_table *t)
{
    memset(t, 0, sizeof *t);
    GString *from = g_string_new(NULL), *to = g_string_new(NULL), *gone = g_string_new(NULL);
    for (gunichar c = 0x80; c <= 0x10FFFF; c++) {
        if (never_changes(c) || !g_unichar_isdefined(c))
            continue;
        char in[8];
        in[g_unichar_to_utf8(c, in)] = 0;
        char *out = accents ? cql2_strip_accents(in) : cql2_casefold(in);
        if (strcmp(in, out) == 0) {
            free(out);
            continue;
        }
        if (!*out) {
            g_string_append(gone, in);
        } else if (g_utf8_strlen(out, -1) == 1) {
            g_string_append(from, in);
            g_string_append(to, out);
        } else {
            t->multi = xreallocarray(t->multi, t->nmulti + 1, sizeof *t->multi);
            t->multi[t->nmulti][0] = xstrdup(in);
            t->multi[t->nmulti][1] = xstrdup(out);
            t->nmulti++;
        }
        free(out);
    }
    /* translate(): the characters past the end of the target are removed */
    g_string_append(from, gone->str);
    t->from = own(g_string_free(from, FALSE));
    t->to = own(g_string_free(to, FALSE));
    g_string_free(gone, TRUE);
}

void cql2_char_table_free(cql2_char_table *t)
{
    for (size_t i = 0; i < t->nmulti; i++) {
        free(t->multi[i][0]);
        free(t->multi[i][1]);
    }
    free(t->multi);
    free(t->from);
    free(t->to);
}
