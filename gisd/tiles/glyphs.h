/* Glyph ranges for map labels (/fonts/{fontstack}/{range}.pbf): 256 code
 * points at a time as signed distance fields, rendered with FreeType from one
 * font (a CJK font covers Chinese labels and the Latin letters and digits in
 * them), so map clients need no glyph server or CDN. Ranges are made once and
 * kept; any number of threads may ask at once. */
#ifndef GISD_GLYPHS_H
#define GISD_GLYPHS_H

#include "error.h"
#include "strbuf.h"

#define GLYPHS_FONT_DEFAULT "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"

typedef struct glyphs glyphs;

/* Opens the font file (TrueType, OpenType or a collection's first face). */
int glyphs_open(const char *font_path, glyphs **out, gisd_error *err);
void glyphs_close(glyphs *g);

/* Appends the PBF of the range starting at first (a multiple of 256, below
 * 65536) for the fontstack name given, which the answer echoes. */
int glyphs_range(glyphs *g, const char *fontstack, unsigned first, strbuf *out, gisd_error *err);

#endif
