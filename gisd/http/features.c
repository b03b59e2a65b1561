#include "features.h"

void features_append_geojson(strbuf *b, store_cursor *c, const layer_def *l)
{
    strbuf_puts(b, "{\"type\":\"Feature\",\"id\":");
    if (l->id_field)
        strbuf_json_string(b, store_cursor_text(c, l->id_index));
    else /* numbered by the source's FID */
        strbuf_int(b, store_cursor_fid(c));
    strbuf_puts(b, ",\"geometry\":");
    size_t glen;
    const void *g = store_cursor_geom(c, &glen);
    if (g)
        strbuf_append(b, g, glen);
    else
        strbuf_puts(b, "null");
    strbuf_puts(b, ",\"properties\":{");
    for (size_t i = 0; i < l->nfields; i++) {
        if (i)
            strbuf_puts(b, ",");
        strbuf_json_string(b, l->fields[i].name);
        strbuf_puts(b, ":");
        if (store_cursor_is_null(c, i))
            strbuf_puts(b, "null");
        else if (l->fields[i].type == FIELD_INTEGER)
            strbuf_int(b, store_cursor_int(c, i));
        else if (l->fields[i].type == FIELD_REAL)
            strbuf_real(b, store_cursor_real(c, i));
        else if (l->fields[i].type == FIELD_BOOLEAN)
            strbuf_puts(b, store_cursor_int(c, i) ? "true" : "false");
        else
            strbuf_json_string(b, store_cursor_text(c, i));
    }
    strbuf_puts(b, "}}");
}
