#include "glyphs.h"

#include <ft2build.h>
#include FT_FREETYPE_H
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glyphs.pb-c.h"
#include "xalloc.h"

/* What MapLibre expects of server glyphs: 24 px, a 3 px border, distances
 * over 8 px, the edge at 0.75 (192 of 255). */
#define FONT_PX 24
#define BORDER 3
#define RADIUS 8.0
#define CUTOFF 0.25
/* Server glyphs put "top" relative to an origin above the em box; MapLibre
 * aligns its own locally drawn glyphs with 27.5 px, and so do these. */
#define TOP_ADJUST 27
#define RANGES 256

struct glyphs {
    FT_Library ft;
    FT_Face face;
    pthread_mutex_t lock; /* FreeType faces are not for concurrent use */
    unsigned char *range[RANGES]; /* the glyphs of each range, without the fontstack */
    size_t range_len[RANGES];
};

int glyphs_open(const char *font_path, glyphs **out, gisd_error *err)
{
    *out = NULL;
    glyphs *g = xcalloc(1, sizeof *g);
    if (FT_Init_FreeType(&g->ft) != 0) {
        free(g);
        return gisd_fail(err, GISD_E_INTERNAL, "FreeType cannot start");
    }
    if (FT_New_Face(g->ft, font_path, 0, &g->face) != 0 ||
        FT_Set_Pixel_Sizes(g->face, 0, FONT_PX) != 0) {
        FT_Done_FreeType(g->ft);
        free(g);
        return gisd_fail(err, GISD_E_IO,
                         "font %s cannot be read; install fonts-wqy-zenhei or give --font FILE",
                         font_path);
    }
    pthread_mutex_init(&g->lock, NULL);
    *out = g;
    return 0;
}

void glyphs_close(glyphs *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < RANGES; i++)
        free(g->range[i]);
    FT_Done_Face(g->face);
    FT_Done_FreeType(g->ft);
    pthread_mutex_destroy(&g->lock);
    free(g);
}

/* The signed distance field of an anti-aliased coverage bitmap, with the
 * border around it: each pixel's distance to the nearest pixel on the other
 * side of the outline (inside: coverage of half or more), looked for within
 * RADIUS, mapped as MapLibre reads it. */
static unsigned char *sdf_new(const unsigned char *cov, int w, int h, int pitch)
{
    int W = w + 2 * BORDER, H = h + 2 * BORDER, R = (int)RADIUS;
    unsigned char *out = xmalloc((size_t)W * (size_t)H);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            int sx = x - BORDER, sy = y - BORDER;
            int in = sx >= 0 && sy >= 0 && sx < w && sy < h && cov[sy * pitch + sx] >= 128;
            double best = RADIUS + 1;
            for (int dy = -R; dy <= R; dy++)
                for (int dx = -R; dx <= R; dx++) {
                    int qx = sx + dx, qy = sy + dy;
                    int qin = qx >= 0 && qy >= 0 && qx < w && qy < h && cov[qy * pitch + qx] >= 128;
                    if (qin != in) {
                        double d = sqrt((double)(dx * dx + dy * dy));
                        if (d < best)
                            best = d;
                    }
                }
            double dist = (best - 0.5) * (in ? -1 : 1); /* outside positive */
            double v = 255.0 - 255.0 * (dist / RADIUS + CUTOFF);
            out[y * W + x] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : lround(v));
        }
    return out;
}

/* The range's glyphs packed as a fontstack message with an empty name; the
 * caller sets the name. Runs under the lock. */
static int render_range(glyphs *g, unsigned first, Llmr__Glyphs__Fontstack *fs,
                        Llmr__Glyphs__Glyph *gl, Llmr__Glyphs__Glyph **ptrs)
{
    size_t n = 0;
    for (unsigned cp = first; cp < first + 256; cp++) {
        FT_UInt index = FT_Get_Char_Index(g->face, cp);
        if (index == 0 || FT_Load_Glyph(g->face, index, FT_LOAD_RENDER | FT_LOAD_NO_HINTING) != 0)
            continue;
        FT_GlyphSlot s = g->face->glyph;
        Llmr__Glyphs__Glyph *e = &gl[n];
        llmr__glyphs__glyph__init(e);
        e->id = cp;
        e->width = s->bitmap.width;
        e->height = s->bitmap.rows;
        e->left = s->bitmap_left;
        e->top = s->bitmap_top - TOP_ADJUST;
        e->advance = (uint32_t)((s->advance.x + 32) >> 6);
        if (e->width > 0 && e->height > 0) {
            unsigned char *sdf = sdf_new(s->bitmap.buffer, (int)e->width, (int)e->height,
                                         s->bitmap.pitch);
            if (!sdf)
                return -1;
            e->has_bitmap = 1;
            e->bitmap.data = sdf;
            e->bitmap.len = (e->width + 2 * BORDER) * (e->height + 2 * BORDER);
        }
        ptrs[n] = e;
        n++;
    }
    fs->glyphs = ptrs;
    fs->n_glyphs = n;
    return 0;
}

int glyphs_range(glyphs *g, const char *fontstack, unsigned first, strbuf *out, gisd_error *err)
{
    if (first % 256 != 0 || first >= 65536)
        return gisd_fail(err, GISD_E_INPUT, "glyph range %u: ranges start at a multiple of 256 below 65536",
                         first);
    char range[32];
    snprintf(range, sizeof range, "%u-%u", first, first + 255);
    unsigned slot = first / 256;
    pthread_mutex_lock(&g->lock);
    int rc = 0;
    if (!g->range[slot]) {
        Llmr__Glyphs__Glyph *gl = xcalloc(256, sizeof *gl);
        Llmr__Glyphs__Glyph **ptrs = xcalloc(256, sizeof *ptrs);
        Llmr__Glyphs__Fontstack fs = LLMR__GLYPHS__FONTSTACK__INIT;
        fs.name = "";
        fs.range = range;
        rc = gl && ptrs ? render_range(g, first, &fs, gl, ptrs) : -1;
        if (rc == 0) {
            size_t len = llmr__glyphs__fontstack__get_packed_size(&fs);
            if ((g->range[slot] = xmalloc(len ? len : 1))) {
                llmr__glyphs__fontstack__pack(&fs, g->range[slot]);
                g->range_len[slot] = len;
            } else {
                rc = -1;
            }
        }
        for (size_t i = 0; gl && i < 256; i++)
            free(gl[i].bitmap.data);
        free(gl);
        free(ptrs);
    }
    Llmr__Glyphs__Fontstack *fs = NULL;
    if (rc == 0)
        fs = llmr__glyphs__fontstack__unpack(NULL, g->range_len[slot], g->range[slot]);
    pthread_mutex_unlock(&g->lock);
    if (!fs)
        return gisd_fail(err, GISD_E_INTERNAL, "out of memory rendering glyphs %s", range);
    /* the same glyphs under the name the client asked for */
    char *name = fs->name;
    fs->name = (char *)fontstack;
    Llmr__Glyphs__Glyphs doc = LLMR__GLYPHS__GLYPHS__INIT;
    Llmr__Glyphs__Fontstack *stacks[1] = {fs};
    doc.stacks = stacks;
    doc.n_stacks = 1;
    size_t len = llmr__glyphs__glyphs__get_packed_size(&doc);
    unsigned char *bytes = xmalloc(len);
    llmr__glyphs__glyphs__pack(&doc, bytes);
    strbuf_append(out, bytes, len);
    free(bytes);
    fs->name = name;
    llmr__glyphs__fontstack__free_unpacked(fs, NULL);
    return 0;
}
