/* CQL2 parsed by recursive descent (the text encoding) or walked (the JSON
 * encoding) into one tree; types checked against the layer's fields;
 * geometry literals brought to the store's CRS with PROJ (through OGR). */
#include "cql2.h"

#include <ctype.h>
#include <math.h>
#include <cpl_conv.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crs.h"
#include "strbuf.h"
#include "xalloc.h"

typedef struct {
    const char *s;   /* the text encoding (NULL for JSON) */
    size_t pos;      /* where the next token starts */
    size_t nodes;
    int depth;
    size_t fail_pos; /* where the first failure was found */
    int code;        /* the geometry literals' CRS (EPSG), 4326 with lonlat for CRS84 */
    int lonlat;
    const layer_def *layer;
    gisd_error *err;
    int failed;
} parser;

static int fail_at(parser *p, size_t at, const char *expected)
{
    if (p->failed)
        return -1;
    p->failed = 1;
    p->fail_pos = at;
    if (!p->s)
        return gisd_fail(p->err, GISD_E_INPUT, "filter: expected %s", expected);
    const char *t = p->s + at;
    if (!*t)
        return gisd_fail(p->err, GISD_E_INPUT, "filter: unexpected end at character %zu; expected %s",
                         at + 1, expected);
    /* the offending token: a word, or one character */
    size_t n = 1;
    if (isalnum((unsigned char)*t) || *t == '_')
        while (t[n] && (isalnum((unsigned char)t[n]) || t[n] == '_') && n < 40)
            n++;
    return gisd_fail(p->err, GISD_E_INPUT, "filter: unexpected '%.*s' at character %zu; expected %s",
                     (int)n, t, at + 1, expected);
}

static cql_node *node(parser *p, cql_kind kind)
{
    if (++p->nodes > CQL_MAX_NODES) {
        if (!p->failed) {
            p->failed = 1;
            gisd_fail(p->err, GISD_E_INPUT, "filter: more than %d terms; split the question", CQL_MAX_NODES);
        }
    }
    cql_node *n = xcalloc(1, sizeof *n);
    n->kind = kind;
    n->field = -1;
    return n;
}

static void add_arg(cql_node *n, cql_node *a)
{
    n->args = xreallocarray(n->args, n->nargs + 1, sizeof *n->args);
    n->args[n->nargs++] = a;
}

void cql_free(cql_node *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->nargs; i++)
        cql_free(n->args[i]);
    free(n->args);
    free(n->text);
    free(n->alt);
    free(n->wkb);
    free(n);
}

int cql_is_literal(const cql_node *n)
{
    switch (n->kind) {
    case CQL_TEXT: case CQL_NUMBER: case CQL_BOOL: case CQL_GEOM: case CQL_BBOX: case CQL_DATE:
    case CQL_TIMESTAMP: case CQL_INTERVAL:
        return 1;
    default:
        return 0;
    }
}

/* ---- geometry literals ---- */

/* A CQL_GEOM node of g (borrowed): its WKB, which keeps every digit (S_TOUCHES
 * and S_EQUALS on a vertex need them all), and its WKT; NULL when OGR cannot
 * write it. */
static cql_node *ogr_node(parser *p, OGRGeometryH g)
{
    char *wkt = NULL;
    size_t len = (size_t)OGR_G_WkbSize(g);
    unsigned char *wkb = xmalloc(len ? len : 1);
    if (OGR_G_ExportToIsoWkb(g, wkbNDR, wkb) != OGRERR_NONE || OGR_G_ExportToIsoWkt(g, &wkt) != OGRERR_NONE) {
        free(wkb);
        CPLFree(wkt);
        return NULL;
    }
    cql_node *n = node(p, CQL_GEOM);
    n->text = xstrdup(wkt);
    CPLFree(wkt);
    n->wkb = wkb;
    n->wkb_len = len;
    return n;
}

/* g (taken) brought to lon/lat in EPSG:4490 as a CQL_GEOM node; NULL on failure. */
static cql_node *geom_node(parser *p, OGRGeometryH g, size_t at)
{
    if (!g) {
        fail_at(p, at, "a geometry (WKT or GeoJSON) OGR can read");
        return NULL;
    }
    if (!p->lonlat && crs_northing_first(p->code))
        OGR_G_SwapXY(g); /* the CRS's axis order to easting/longitude first */
    int ok = 1;
    if (p->code != 4490 && p->code != 4326) {
        OGRCoordinateTransformationH t = crs_transform_new(p->code, 4490);
        ok = t && OGR_G_Transform(g, t) == OGRERR_NONE;
        if (t)
            OCTDestroyCoordinateTransformation(t);
    }
    /* an invalid literal (a self-overlapping polygon) made valid here, by
     * GEOS's MakeValid, so that both stores are given the same geometry:
     * left alone, each engine's predicates read it their own way */
    if (ok) {
        CPLPushErrorHandler(CPLQuietErrorHandler);
        if (!OGR_G_IsValid(g)) {
            /* the structure method: overlapping parts are their union, as a
             * planner who drew them means (the linework method would cut
             * the overlap out) */
            char *opts[] = {"METHOD=STRUCTURE", NULL};
            OGRGeometryH v = OGR_G_MakeValidEx(g, opts);
            if (v) {
                OGR_G_DestroyGeometry(g);
                g = v;
            } else {
                ok = -1;
            }
        }
        CPLPopErrorHandler();
    }
    cql_node *n = ok > 0 ? ogr_node(p, g) : NULL;
    OGR_G_DestroyGeometry(g);
    if (!n)
        fail_at(p, at, ok < 0 ? "a geometry GEOS can make valid" : "a geometry PROJ can bring to the data's CRS");
    return n;
}

static cql_node *bbox_node(parser *p, const double *v, size_t nv, size_t at)
{
    if (nv != 4 && nv != 6) {
        fail_at(p, at, "a bbox of 4 (or 6) numbers");
        return NULL;
    }
    double b[4] = {v[0], v[1], nv == 6 ? v[3] : v[2], nv == 6 ? v[4] : v[3]};
    if (!p->lonlat && crs_northing_first(p->code)) {
        double t0 = b[0], t2 = b[2];
        b[0] = b[1], b[1] = t0, b[2] = b[3], b[3] = t2;
    }
    int geographic = p->code == 4490 || p->code == 4326;
    if (!(b[1] <= b[3]) || (!(b[0] <= b[2]) && !geographic)) {
        fail_at(p, at, "a bbox with its lower corner first");
        return NULL;
    }
    if (b[0] > b[2]) {
        /* across the antimeridian (west > east): the two boxes on either side of it */
        strbuf w = {0};
        strbuf_printf(&w, "MULTIPOLYGON(((%.17g %.17g, 180 %.17g, 180 %.17g, %.17g %.17g, %.17g %.17g)),"
                          "((-180 %.17g, %.17g %.17g, %.17g %.17g, -180 %.17g, -180 %.17g)))",
                      b[0], b[1], b[1], b[3], b[0], b[3], b[0], b[1], b[1], b[2], b[1], b[2], b[3], b[3], b[1]);
        OGRGeometryH g = NULL;
        char *cursor = w.data;
        cql_node *n = OGR_G_CreateFromWkt(&cursor, NULL, &g) == OGRERR_NONE && g ? ogr_node(p, g) : NULL;
        if (g)
            OGR_G_DestroyGeometry(g);
        strbuf_free(&w);
        if (!n)
            fail_at(p, at, "a bbox OGR can make a geometry of");
        return n;
    }
    cql_node *n = node(p, CQL_BBOX);
    if (p->code == 4490 || p->code == 4326) {
        memcpy(n->bbox, b, sizeof b);
    } else if (crs_bbox_to_lonlat(p->code, b, n->bbox, p->err) != 0) {
        p->failed = 1;
    }
    return n;
}

/* ---- types ---- */

static int type_of(const parser *p, const cql_node *n, cql_type *t)
{
    switch (n->kind) {
    case CQL_PROPERTY:
        if (n->field == CQL_GEOMETRY_FIELD) {
            *t = CQL_T_GEOM;
        } else {
            field_type ft = p->layer->fields[n->field].type;
            *t = ft == FIELD_BOOLEAN     ? CQL_T_BOOL
                 : ft == FIELD_DATE      ? CQL_T_DATE
                 : ft == FIELD_TIMESTAMP ? CQL_T_TIMESTAMP
                 : ft == FIELD_TEXT      ? CQL_T_TEXT
                                         : CQL_T_NUMBER;
        }
        return 0;
    case CQL_DATE:
        *t = CQL_T_DATE;
        return 0;
    case CQL_TIMESTAMP:
        *t = CQL_T_TIMESTAMP;
        return 0;
    case CQL_INTERVAL:
        *t = CQL_T_INTERVAL;
        return 0;
    case CQL_TEXT:
    case CQL_CASEI:
    case CQL_ACCENTI:
        *t = CQL_T_TEXT;
        return 0;
    case CQL_NUMBER:
    case CQL_ARITH:
        *t = CQL_T_NUMBER;
        return 0;
    case CQL_BOOL:
        *t = CQL_T_BOOL;
        return 0;
    case CQL_GEOM:
    case CQL_BBOX:
        *t = CQL_T_GEOM;
        return 0;
    default:
        return -1; /* a predicate, not a value */
    }
}

static const char *type_name(cql_type t)
{
    static const char *const NAMES[] = {"text", "a number", "a boolean", "a geometry", "a date", "a timestamp",
                                        "an interval"};
    return NAMES[t];
}

/* An instant literal: DATE('...') or TIMESTAMP('...') from text (which kind
 * from the function, or, inside INTERVAL, from the text); NULL with the
 * failure recorded. */
static cql_node *instant(parser *p, const char *text, int kind, size_t at)
{
    char iso[32];
    if (kind < 0) /* INTERVAL's bounds: a T makes a timestamp */
        kind = strchr(text, 'T') || strchr(text, 't') ? CQL_TIMESTAMP : CQL_DATE;
    if (kind == CQL_DATE ? field_parse_date(text, iso) : field_parse_timestamp(text, iso)) {
        fail_at(p, at, kind == CQL_DATE ? "a date YYYY-MM-DD" : "an ISO 8601 timestamp");
        return NULL;
    }
    cql_node *n = node(p, (cql_kind)kind);
    n->text = xstrdup(iso);
    if (kind == CQL_DATE) {
        strbuf b = {0};
        strbuf_printf(&b, "%sT00:00:00Z", iso);
        n->alt = b.data;
    }
    return n;
}

/* An INTERVAL's bound: an instant, or ".." for an open end. */
static cql_node *bound(parser *p, cql_node *v, size_t at)
{
    if (!v)
        return NULL;
    if (v->kind == CQL_TEXT && strcmp(v->text, "..") == 0)
        return v;
    if (v->kind == CQL_TEXT) {
        cql_node *i = instant(p, v->text, -1, at);
        cql_free(v);
        return i;
    }
    if (v->kind == CQL_DATE || v->kind == CQL_TIMESTAMP || (v->kind == CQL_PROPERTY && v->field >= 0 &&
                                                            (p->layer->fields[v->field].type == FIELD_DATE ||
                                                             p->layer->fields[v->field].type == FIELD_TIMESTAMP)))
        return v;
    cql_free(v);
    fail_at(p, at, "an instant or '..' as an interval's bound");
    return NULL;
}

static const struct {
    const char *name;
    int op;
} TEMPORAL[] = {{"T_AFTER", CQL_T_AFTER},           {"T_BEFORE", CQL_T_BEFORE},       {"T_CONTAINS", CQL_T_CONTAINS},
                {"T_DISJOINT", CQL_T_DISJOINT},     {"T_DURING", CQL_T_DURING},       {"T_EQUALS", CQL_T_EQUALS},
                {"T_FINISHEDBY", CQL_T_FINISHEDBY}, {"T_FINISHES", CQL_T_FINISHES},   {"T_INTERSECTS", CQL_T_INTERSECTS},
                {"T_MEETS", CQL_T_MEETS},           {"T_METBY", CQL_T_METBY},         {"T_OVERLAPPEDBY", CQL_T_OVERLAPPEDBY},
                {"T_OVERLAPS", CQL_T_OVERLAPS},     {"T_STARTEDBY", CQL_T_STARTEDBY}, {"T_STARTS", CQL_T_STARTS},
                {NULL, 0}};

/* The instant type of a temporal operand (an interval's from its bounds):
 * 0 date, 1 timestamp, -1 not temporal. */
static int temporal_kind(parser *p, const cql_node *n)
{
    cql_type t;
    if (n->kind == CQL_INTERVAL) {
        int k = 0;
        for (size_t i = 0; i < 2; i++)
            if (!(n->args[i]->kind == CQL_TEXT) && temporal_kind(p, n->args[i]) == 1)
                k = 1;
        return k;
    }
    if (type_of(p, n, &t) != 0)
        return -1;
    return t == CQL_T_DATE ? 0 : t == CQL_T_TIMESTAMP ? 1 : -1;
}

/* T_...(a, b): both temporal; dates meeting timestamps read as midnights. */
static cql_node *temporal(parser *p, int op, cql_node *a, cql_node *b, size_t at)
{
    int ka = temporal_kind(p, a), kb = temporal_kind(p, b);
    if (ka < 0 || kb < 0) {
        cql_free(a);
        cql_free(b);
        fail_at(p, at, "instants or intervals (a date or timestamp property, DATE, TIMESTAMP, INTERVAL)");
        return NULL;
    }
    cql_node *n = node(p, CQL_TEMPORAL);
    n->op = op;
    n->as_timestamp = ka || kb;
    add_arg(n, a);
    add_arg(n, b);
    return n;
}

/* Checks that n is a value of type want (any scalar when want < 0). */
static int expect_type(parser *p, const cql_node *n, int want, size_t at, const char *role)
{
    cql_type t;
    if (type_of(p, n, &t) != 0)
        return fail_at(p, at, role);
    if (want >= 0 && t != (cql_type)want) {
        if (p->failed)
            return -1;
        p->failed = 1;
        if (p->s)
            return gisd_fail(p->err, GISD_E_INPUT, "filter: %s must be %s, not %s (at character %zu)", role,
                             type_name((cql_type)want), type_name(t), at + 1);
        return gisd_fail(p->err, GISD_E_INPUT, "filter: %s must be %s, not %s", role, type_name((cql_type)want),
                         type_name(t));
    }
    if (want < 0 && t == CQL_T_GEOM)
        return fail_at(p, at, "a text, number or boolean value (geometries compare with S_ functions)");
    if (want < 0 && t == CQL_T_INTERVAL)
        return fail_at(p, at, "a value (intervals compare with T_ functions)");
    return 0;
}

static int same_types(parser *p, const cql_node *a, const cql_node *b, const char *what)
{
    cql_type ta, tb;
    if (type_of(p, a, &ta) != 0 || type_of(p, b, &tb) != 0)
        return -1;
    if (ta != tb) {
        if (p->failed)
            return -1;
        p->failed = 1;
        return gisd_fail(p->err, GISD_E_INPUT, "filter: %s compares %s with %s", what, type_name(ta),
                         type_name(tb));
    }
    return 0;
}

/* The property called name: a field of the layer, or its geometry. */
static cql_node *property(parser *p, const char *name, size_t at)
{
    int f = layer_field_index(p->layer, name);
    if (f < 0 && (strcmp(name, "geometry") == 0 || strcmp(name, "geom") == 0))
        f = CQL_GEOMETRY_FIELD;
    if (f == -1) {
        if (!p->failed) {
            p->failed = 1;
            strbuf names = {0};
            for (size_t i = 0; i < p->layer->nfields; i++)
                strbuf_printf(&names, "%s%s", i ? ", " : "", p->layer->fields[i].name);
            gisd_fail(p->err, GISD_E_INPUT,
                      "filter: %s has no property \"%s\"%s%zu; its queryables are %s and geometry",
                      p->layer->id, name, p->s ? " at character " : "", p->s ? at + 1 : 0,
                      names.data ? names.data : "");
            strbuf_free(&names);
        }
        return NULL;
    }
    cql_node *n = node(p, CQL_PROPERTY);
    n->field = f;
    return n;
}

/* ---- the text encoding ---- */

static void skip_space(parser *p)
{
    while (isspace((unsigned char)p->s[p->pos]))
        p->pos++;
}

/* 1 when the next token is the keyword kw (any case), which it consumes. */
static int keyword(parser *p, const char *kw)
{
    skip_space(p);
    size_t n = strlen(kw);
    const char *t = p->s + p->pos;
    if (strncasecmp(t, kw, n) != 0 || isalnum((unsigned char)t[n]) || t[n] == '_')
        return 0;
    p->pos += n;
    return 1;
}

static int punct(parser *p, const char *tok)
{
    skip_space(p);
    size_t n = strlen(tok);
    if (strncmp(p->s + p->pos, tok, n) != 0)
        return 0;
    /* '<' is not the start of '<=' or '<>' */
    if (n == 1 && (tok[0] == '<' || tok[0] == '>') && (p->s[p->pos + 1] == '=' || p->s[p->pos + 1] == '>'))
        return 0;
    p->pos += n;
    return 1;
}

static int expect_punct(parser *p, const char *tok, const char *what)
{
    if (punct(p, tok))
        return 0;
    skip_space(p);
    return fail_at(p, p->pos, what);
}

static cql_node *bool_expr(parser *p);
static cql_node *scalar(parser *p);

static int number_token(parser *p, double *out)
{
    skip_space(p);
    const char *t = p->s + p->pos;
    char *end;
    if (!(isdigit((unsigned char)*t) || ((*t == '-' || *t == '+' || *t == '.') && (isdigit((unsigned char)t[1]) || t[1] == '.'))))
        return 0;
    double v = strtod(t, &end);
    if (end == t || !isfinite(v))
        return 0;
    p->pos += (size_t)(end - t);
    *out = v;
    return 1;
}

static char *string_token(parser *p)
{
    skip_space(p);
    if (p->s[p->pos] != '\'')
        return NULL;
    strbuf b = {0};
    strbuf_puts(&b, "");
    size_t i = p->pos + 1;
    for (;;) {
        if (!p->s[i]) {
            strbuf_free(&b);
            fail_at(p, i, "the closing ' of a text");
            return NULL;
        }
        if (p->s[i] == '\'') {
            if (p->s[i + 1] == '\'') { /* '' is a quote */
                strbuf_append(&b, "'", 1);
                i += 2;
                continue;
            }
            break;
        }
        strbuf_append(&b, p->s + i, 1);
        i++;
    }
    p->pos = i + 1;
    return b.data;
}

static char *identifier(parser *p)
{
    skip_space(p);
    const char *t = p->s + p->pos;
    if (*t == '"') {
        const char *e = strchr(t + 1, '"');
        if (!e)
            return NULL;
        p->pos += (size_t)(e - t) + 1;
        return xstrndup(t + 1, (size_t)(e - t - 1));
    }
    if (!(isalpha((unsigned char)*t) || *t == '_'))
        return NULL;
    size_t n = 1;
    while (isalnum((unsigned char)t[n]) || t[n] == '_' || t[n] == '.' || t[n] == ':')
        n++;
    p->pos += n;
    return xstrndup(t, n);
}

static const char *const GEOM_WORDS[] = {"POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING",
                                         "MULTIPOLYGON", "GEOMETRYCOLLECTION", NULL};

/* A WKT literal (the keyword at p->pos) or BBOX(...), or NULL when there is none here. */
static cql_node *geometry_literal(parser *p, int *found)
{
    skip_space(p);
    size_t at = p->pos;
    *found = 0;
    if (keyword(p, "BBOX")) {
        *found = 1;
        double v[6];
        size_t nv = 0;
        if (expect_punct(p, "(", "'(' after BBOX") != 0)
            return NULL;
        do {
            if (nv == 6 || !number_token(p, &v[nv])) {
                fail_at(p, p->pos, "a number of the bbox");
                return NULL;
            }
            nv++;
        } while (punct(p, ","));
        if (expect_punct(p, ")", "')' closing the bbox") != 0)
            return NULL;
        return bbox_node(p, v, nv, at);
    }
    for (size_t k = 0; GEOM_WORDS[k]; k++) {
        size_t save = p->pos;
        if (!keyword(p, GEOM_WORDS[k]))
            continue;
        *found = 1;
        /* the literal runs to its balancing ')' */
        skip_space(p);
        if (keyword(p, "Z") || keyword(p, "M") || keyword(p, "ZM"))
            skip_space(p);
        if (p->s[p->pos] != '(') {
            fail_at(p, p->pos, "'(' starting the coordinates");
            return NULL;
        }
        int depth = 0;
        size_t i = p->pos;
        do {
            if (p->s[i] == '(')
                depth++;
            else if (p->s[i] == ')')
                depth--;
            else if (!p->s[i]) {
                fail_at(p, i, "')' closing the geometry");
                return NULL;
            }
            i++;
        } while (depth > 0);
        char *wkt = xstrndup(p->s + save, i - save);
        p->pos = i;
        OGRGeometryH g = NULL;
        char *cursor = wkt;
        if (OGR_G_CreateFromWkt(&cursor, NULL, &g) != OGRERR_NONE)
            g = NULL;
        free(wkt);
        return geom_node(p, g, save);
    }
    return NULL;
}

static cql_node *unary_function(parser *p, cql_kind kind, const char *name)
{
    size_t at = p->pos;
    if (expect_punct(p, "(", "'(' after the function's name") != 0)
        return NULL;
    cql_node *a = scalar(p);
    if (!a || expect_punct(p, ")", "')' closing the function") != 0) {
        cql_free(a);
        return NULL;
    }
    if (expect_type(p, a, CQL_T_TEXT, at, name) != 0) {
        cql_free(a);
        return NULL;
    }
    cql_node *n = node(p, kind);
    add_arg(n, a);
    return n;
}

static cql_node *primary(parser *p)
{
    if (++p->depth > CQL_MAX_DEPTH) {
        fail_at(p, p->pos, "less nesting");
        return NULL;
    }
    cql_node *n = NULL;
    double v;
    char *s;
    int found;
    skip_space(p);
    size_t at = p->pos;
    if (punct(p, "(")) {
        n = scalar(p);
        if (n && expect_punct(p, ")", "')'") != 0) {
            cql_free(n);
            n = NULL;
        }
    } else if (number_token(p, &v)) {
        n = node(p, CQL_NUMBER);
        n->number = v;
    } else if ((s = string_token(p))) {
        n = node(p, CQL_TEXT);
        n->text = s;
    } else if (p->failed) {
        n = NULL;
    } else if (keyword(p, "TRUE")) {
        n = node(p, CQL_BOOL);
        n->number = 1;
    } else if (keyword(p, "FALSE")) {
        n = node(p, CQL_BOOL);
    } else if (keyword(p, "CASEI")) {
        n = unary_function(p, CQL_CASEI, "CASEI's argument");
    } else if (keyword(p, "ACCENTI")) {
        n = unary_function(p, CQL_ACCENTI, "ACCENTI's argument");
    } else if ((keyword(p, "DATE") || keyword(p, "TIMESTAMP")) && (skip_space(p), p->s[p->pos] == '(')) {
        int kind = toupper((unsigned char)p->s[at]) == 'D' ? CQL_DATE : CQL_TIMESTAMP;
        if (expect_punct(p, "(", "'(' after DATE or TIMESTAMP") == 0 && (s = string_token(p))) {
            n = instant(p, s, kind, at);
            free(s);
            if (n && expect_punct(p, ")", "')'") != 0) {
                cql_free(n);
                n = NULL;
            }
        } else if (!p->failed) {
            fail_at(p, p->pos, "an ISO 8601 text in quotes");
        }
    } else if ((p->pos = at, keyword(p, "INTERVAL")) && (skip_space(p), p->s[p->pos] == '(')) {
        p->pos++;
        size_t a_at = p->pos;
        cql_node *a = bound(p, primary(p), a_at), *b = NULL;
        if (a && expect_punct(p, ",", "',' between an interval's bounds") == 0) {
            size_t b_at = p->pos;
            b = bound(p, primary(p), b_at);
        }
        if (a && b && expect_punct(p, ")", "')' closing the interval") == 0) {
            n = node(p, CQL_INTERVAL);
            add_arg(n, a);
            add_arg(n, b);
        } else {
            cql_free(a);
            cql_free(b);
        }
    } else if ((p->pos = at, n = geometry_literal(p, &found)) || found) {
        /* n is the literal, or NULL after its error */
    } else if ((s = identifier(p))) {
        n = property(p, s, at);
        free(s);
    } else {
        fail_at(p, at, "a literal or a property");
    }
    p->depth--;
    return n;
}

static cql_node *factor(parser *p)
{
    skip_space(p);
    if (p->s[p->pos] == '-' && !isdigit((unsigned char)p->s[p->pos + 1]) && p->s[p->pos + 1] != '.') {
        size_t at = p->pos++;
        cql_node *a = factor(p);
        if (!a || expect_type(p, a, CQL_T_NUMBER, at, "what '-' negates") != 0) {
            cql_free(a);
            return NULL;
        }
        cql_node *zero = node(p, CQL_NUMBER), *n = node(p, CQL_ARITH);
        n->op = CQL_SUB;
        add_arg(n, zero);
        add_arg(n, a);
        return n;
    }
    return primary(p);
}

static cql_node *arith_chain(parser *p, cql_node *(*next)(parser *), const char *const *ops, const int *codes)
{
    cql_node *left = next(p);
    while (left && !p->failed) {
        skip_space(p);
        size_t at = p->pos;
        int op = -1;
        for (size_t k = 0; ops[k] && op < 0; k++) {
            if (isalpha((unsigned char)ops[k][0]) ? keyword(p, ops[k]) : punct(p, ops[k]))
                op = codes[k];
        }
        if (op < 0)
            break;
        cql_node *right = next(p);
        if (!right || expect_type(p, left, CQL_T_NUMBER, at, "arithmetic's left side") != 0 ||
            expect_type(p, right, CQL_T_NUMBER, at, "arithmetic's right side") != 0) {
            cql_free(left);
            cql_free(right);
            return NULL;
        }
        cql_node *n = node(p, CQL_ARITH);
        n->op = op;
        add_arg(n, left);
        add_arg(n, right);
        left = n;
    }
    return left;
}

/* CQL2's powerTerm: a factor raised by ^, tighter than * and / */
static cql_node *power(parser *p)
{
    static const char *const ops[] = {"^", NULL};
    static const int codes[] = {CQL_POW};
    return arith_chain(p, factor, ops, codes);
}

static cql_node *term(parser *p)
{
    static const char *const ops[] = {"*", "/", "%", "div", NULL};
    static const int codes[] = {CQL_MUL, CQL_DIV, CQL_MOD, CQL_INTDIV};
    return arith_chain(p, power, ops, codes);
}

static cql_node *scalar(parser *p)
{
    static const char *const ops[] = {"+", "-", NULL};
    static const int codes[] = {CQL_ADD, CQL_SUB};
    return arith_chain(p, term, ops, codes);
}

static const struct {
    const char *name;
    int op;
} SPATIAL[] = {{"S_INTERSECTS", CQL_S_INTERSECTS}, {"S_DISJOINT", CQL_S_DISJOINT}, {"S_EQUALS", CQL_S_EQUALS},
               {"S_TOUCHES", CQL_S_TOUCHES},       {"S_CROSSES", CQL_S_CROSSES},   {"S_WITHIN", CQL_S_WITHIN},
               {"S_CONTAINS", CQL_S_CONTAINS},     {"S_OVERLAPS", CQL_S_OVERLAPS}, {NULL, 0}};

static int is_collection(const cql_node *n)
{
    return n->kind == CQL_GEOM && strncmp(n->text, "GEOMETRYCOLLECTION", 18) == 0;
}

/* op(a, b) for two geometries (a and b taken). GEOS relates no geometry
 * collection, so S_INTERSECTS and S_DISJOINT with one become the OR (the AND)
 * of the same test on its members; the other functions refuse one. */
static cql_node *spatial_node(parser *p, int op, cql_node *a, cql_node *b, size_t at)
{
    cql_node *gc = is_collection(b) ? b : is_collection(a) ? a : NULL, *other = gc == b ? a : b;
    if (!gc) {
        cql_node *n = node(p, CQL_SPATIAL);
        n->op = op;
        add_arg(n, a);
        add_arg(n, b);
        return n;
    }
    if ((op != CQL_S_INTERSECTS && op != CQL_S_DISJOINT) || other->kind != CQL_PROPERTY) {
        cql_free(a);
        cql_free(b);
        fail_at(p, at, "a geometry collection only in S_INTERSECTS or S_DISJOINT with a property");
        return NULL;
    }
    OGRGeometryH g = NULL;
    if (OGR_G_CreateFromWkb(gc->wkb, NULL, &g, (int)gc->wkb_len) != OGRERR_NONE || !g) {
        cql_free(a);
        cql_free(b);
        fail_at(p, at, "a geometry collection OGR can read");
        return NULL;
    }
    cql_node *all = node(p, op == CQL_S_INTERSECTS ? CQL_OR : CQL_AND);
    for (int i = 0; i < OGR_G_GetGeometryCount(g); i++) {
        cql_node *part = ogr_node(p, OGR_G_GetGeometryRef(g, i));
        if (!part)
            continue;
        cql_node *prop = node(p, CQL_PROPERTY), *test = node(p, CQL_SPATIAL);
        prop->field = other->field;
        test->op = op;
        add_arg(test, prop);
        add_arg(test, part);
        add_arg(all, test);
    }
    OGR_G_DestroyGeometry(g);
    cql_free(a);
    cql_free(b);
    if (all->nargs == 0) { /* an empty collection meets nothing */
        all->kind = CQL_BOOL;
        all->number = op == CQL_S_DISJOINT;
    }
    return all;
}

static cql_node *negate(parser *p, cql_node *n)
{
    cql_node *x = node(p, CQL_NOT);
    add_arg(x, n);
    return x;
}

static cql_node *predicate(parser *p)
{
    skip_space(p);
    size_t at = p->pos;
    for (size_t k = 0; SPATIAL[k].name; k++) {
        if (!keyword(p, SPATIAL[k].name))
            continue;
        cql_node *a = NULL, *b = NULL;
        if (expect_punct(p, "(", "'(' after a spatial function") == 0 && (a = scalar(p)) &&
            expect_punct(p, ",", "',' between the two geometries") == 0 && (b = scalar(p)) &&
            expect_punct(p, ")", "')' closing the spatial function") == 0 &&
            expect_type(p, a, CQL_T_GEOM, at, "a spatial function's first argument") == 0 &&
            expect_type(p, b, CQL_T_GEOM, at, "a spatial function's second argument") == 0)
            return spatial_node(p, SPATIAL[k].op, a, b, at);
        cql_free(a);
        cql_free(b);
        return NULL;
    }
    for (size_t k = 0; TEMPORAL[k].name; k++) {
        if (!keyword(p, TEMPORAL[k].name))
            continue;
        cql_node *a = NULL, *b = NULL;
        if (expect_punct(p, "(", "'(' after a temporal function") == 0 && (a = scalar(p)) &&
            expect_punct(p, ",", "',' between the two instants or intervals") == 0 && (b = scalar(p)) &&
            expect_punct(p, ")", "')' closing the temporal function") == 0)
            return temporal(p, TEMPORAL[k].op, a, b, at);
        cql_free(a);
        cql_free(b);
        return NULL;
    }
    cql_node *left = scalar(p);
    if (!left)
        return NULL;
    cql_node *n = NULL;
    static const struct {
        const char *tok;
        int op;
    } CMP[] = {{"<>", CQL_NE}, {"<=", CQL_LE}, {">=", CQL_GE}, {"=", CQL_EQ}, {"<", CQL_LT}, {">", CQL_GT}, {NULL, 0}};
    for (size_t k = 0; CMP[k].tok && !n; k++) {
        if (!punct(p, CMP[k].tok))
            continue;
        cql_node *right = scalar(p);
        if (!right || expect_type(p, left, -1, at, "a comparison's left side") != 0 ||
            expect_type(p, right, -1, at, "a comparison's right side") != 0 ||
            same_types(p, left, right, "a comparison") != 0) {
            cql_free(left);
            cql_free(right);
            return NULL;
        }
        n = node(p, CQL_CMP);
        n->op = CMP[k].op;
        add_arg(n, left);
        add_arg(n, right);
        return n;
    }
    int not = keyword(p, "NOT"), ilike = 0;
    if (keyword(p, "LIKE") || (ilike = keyword(p, "ILIKE"))) {
        size_t pat_at = p->pos;
        cql_node *pat = scalar(p);
        if (!pat || expect_type(p, left, CQL_T_TEXT, at, "LIKE's left side") != 0 ||
            expect_type(p, pat, CQL_T_TEXT, pat_at, "a LIKE pattern") != 0) {
            cql_free(left);
            cql_free(pat);
            return NULL;
        }
        if (ilike) { /* the draft's ILIKE (GDAL 3.6 sends it): LIKE without case */
            cql_node *a = node(p, CQL_CASEI), *b = node(p, CQL_CASEI);
            add_arg(a, left);
            add_arg(b, pat);
            left = a;
            pat = b;
        }
        n = node(p, CQL_LIKE);
        add_arg(n, left);
        add_arg(n, pat);
    } else if (keyword(p, "BETWEEN")) {
        cql_node *lo = scalar(p), *hi = NULL;
        if (lo && !keyword(p, "AND")) {
            skip_space(p);
            fail_at(p, p->pos, "AND between BETWEEN's bounds");
        } else if (lo) {
            hi = scalar(p);
        }
        if (!lo || !hi || expect_type(p, left, CQL_T_NUMBER, at, "BETWEEN's left side") != 0 ||
            expect_type(p, lo, CQL_T_NUMBER, at, "BETWEEN's lower bound") != 0 ||
            expect_type(p, hi, CQL_T_NUMBER, at, "BETWEEN's upper bound") != 0) {
            cql_free(left);
            cql_free(lo);
            cql_free(hi);
            return NULL;
        }
        n = node(p, CQL_BETWEEN);
        add_arg(n, left);
        add_arg(n, lo);
        add_arg(n, hi);
    } else if (keyword(p, "IN")) {
        n = node(p, CQL_IN);
        add_arg(n, left);
        if (expect_punct(p, "(", "'(' starting IN's list") != 0) {
            cql_free(n);
            return NULL;
        }
        do {
            cql_node *item = scalar(p);
            if (!item || expect_type(p, left, -1, at, "IN's left side") != 0 ||
                same_types(p, left, item, "IN") != 0) {
                cql_free(item);
                cql_free(n);
                return NULL;
            }
            add_arg(n, item);
        } while (punct(p, ","));
        if (expect_punct(p, ")", "')' closing IN's list") != 0) {
            cql_free(n);
            return NULL;
        }
    } else if (!not && keyword(p, "IS")) {
        int isnot = keyword(p, "NOT");
        if (!keyword(p, "NULL")) {
            skip_space(p);
            fail_at(p, p->pos, "NULL after IS");
            cql_free(left);
            return NULL;
        }
        n = node(p, CQL_ISNULL);
        add_arg(n, left);
        return isnot ? negate(p, n) : n;
    } else {
        cql_type t;
        /* a boolean value alone (TRUE, a boolean property) is a predicate */
        if (!not && type_of(p, left, &t) == 0 && t == CQL_T_BOOL)
            return left;
        skip_space(p);
        fail_at(p, p->pos, "a comparison (=, <>, <, <=, >, >=, LIKE, BETWEEN, IN or IS NULL)");
        cql_free(left);
        return NULL;
    }
    return not ? negate(p, n) : n;
}

static cql_node *bool_primary(parser *p)
{
    skip_space(p);
    if (p->s[p->pos] == '(') {
        /* a parenthesised condition, or a predicate starting with a
         * parenthesised value: try the first, fall back on the second */
        size_t save = p->pos, nodes = p->nodes;
        gisd_error scratch = {0}, *keep = p->err;
        p->err = &scratch;
        p->pos++;
        cql_node *n = bool_expr(p);
        if (n && !p->failed && punct(p, ")")) {
            p->err = keep;
            return n;
        }
        if (n && !p->failed) {
            skip_space(p);
            fail_at(p, p->pos, "')'");
        }
        cql_free(n);
        p->err = keep;
        int first_failed = p->failed;
        size_t first_pos = p->fail_pos;
        p->failed = 0;
        p->pos = save;
        p->nodes = nodes;
        cql_node *m = predicate(p);
        /* both readings failed: the one that got further says what is wrong */
        if (!m && first_failed && first_pos > p->fail_pos)
            *p->err = scratch;
        return m;
    }
    return predicate(p);
}

static cql_node *bool_factor(parser *p)
{
    if (keyword(p, "NOT")) {
        if (++p->depth > CQL_MAX_DEPTH) {
            fail_at(p, p->pos, "less nesting");
            return NULL;
        }
        cql_node *a = bool_factor(p);
        p->depth--;
        return a ? negate(p, a) : NULL;
    }
    return bool_primary(p);
}

static cql_node *bool_chain(parser *p, cql_node *(*next)(parser *), const char *word, cql_kind kind)
{
    cql_node *n = next(p);
    if (!n)
        return NULL;
    if (!keyword(p, word))
        return n;
    cql_node *all = node(p, kind);
    add_arg(all, n);
    do {
        cql_node *m = next(p);
        if (!m) {
            cql_free(all);
            return NULL;
        }
        add_arg(all, m);
    } while (keyword(p, word));
    return all;
}

static cql_node *bool_term(parser *p) { return bool_chain(p, bool_factor, "AND", CQL_AND); }

static cql_node *bool_expr(parser *p)
{
    if (++p->depth > CQL_MAX_DEPTH) {
        fail_at(p, p->pos, "less nesting");
        return NULL;
    }
    cql_node *n = bool_chain(p, bool_term, "OR", CQL_OR);
    p->depth--;
    return n;
}

/* ---- the JSON encoding ---- */

static cql_node *json_expr(parser *p, json_t *j, int boolean);

static cql_node *json_value(parser *p, json_t *j)
{
    if (json_is_string(j)) {
        cql_node *n = node(p, CQL_TEXT);
        n->text = xstrdup(json_string_value(j));
        return n;
    }
    if (json_is_number(j)) {
        cql_node *n = node(p, CQL_NUMBER);
        n->number = json_number_value(j);
        return n;
    }
    if (json_is_boolean(j)) {
        cql_node *n = node(p, CQL_BOOL);
        n->number = json_is_true(j);
        return n;
    }
    if (json_is_object(j)) {
        json_t *v;
        if ((v = json_object_get(j, "property"))) {
            if (!json_is_string(v)) {
                fail_at(p, 0, "\"property\" naming a property");
                return NULL;
            }
            return property(p, json_string_value(v), 0);
        }
        if ((v = json_object_get(j, "date")) || (v = json_object_get(j, "timestamp"))) {
            if (!json_is_string(v)) {
                fail_at(p, 0, "an ISO 8601 text for a date or timestamp");
                return NULL;
            }
            return instant(p, json_string_value(v), json_object_get(j, "date") ? CQL_DATE : CQL_TIMESTAMP, 0);
        }
        if ((v = json_object_get(j, "interval"))) {
            if (json_array_size(v) != 2) {
                fail_at(p, 0, "an interval of two bounds");
                return NULL;
            }
            cql_node *a = bound(p, json_value(p, json_array_get(v, 0)), 0);
            cql_node *b = a ? bound(p, json_value(p, json_array_get(v, 1)), 0) : NULL;
            if (!a || !b) {
                cql_free(a);
                cql_free(b);
                return NULL;
            }
            cql_node *n = node(p, CQL_INTERVAL);
            add_arg(n, a);
            add_arg(n, b);
            return n;
        }
        if ((v = json_object_get(j, "bbox"))) {
            double b[6];
            size_t nb = json_array_size(v);
            for (size_t i = 0; i < nb && i < 6; i++) {
                if (!json_is_number(json_array_get(v, i))) {
                    fail_at(p, 0, "a bbox of numbers");
                    return NULL;
                }
                b[i] = json_number_value(json_array_get(v, i));
            }
            return bbox_node(p, b, nb, 0);
        }
        if (json_object_get(j, "type") && json_object_get(j, "coordinates")) {
            char *text = json_dumps(j, JSON_COMPACT);
            OGRGeometryH g = OGR_G_CreateGeometryFromJson(text);
            free(text);
            return geom_node(p, g, 0);
        }
        if (json_object_get(j, "type") && json_object_get(j, "geometries")) {
            char *text = json_dumps(j, JSON_COMPACT);
            OGRGeometryH g = OGR_G_CreateGeometryFromJson(text);
            free(text);
            return geom_node(p, g, 0);
        }
        if (json_object_get(j, "op"))
            return json_expr(p, j, 0);
    }
    fail_at(p, 0, "a literal, {\"property\": ...}, a geometry, {\"bbox\": ...} or {\"op\": ...}");
    return NULL;
}

static cql_node *json_expr(parser *p, json_t *j, int boolean)
{
    if (++p->depth > CQL_MAX_DEPTH) {
        fail_at(p, 0, "less nesting");
        return NULL;
    }
    cql_node *n = NULL;
    if (json_is_boolean(j) && boolean) {
        n = node(p, CQL_BOOL);
        n->number = json_is_true(j);
        p->depth--;
        return n;
    }
    const char *op = json_string_value(json_object_get(j, "op"));
    json_t *args = json_object_get(j, "args");
    if (!op) {
        if (boolean)
            fail_at(p, 0, "an object with \"op\" and \"args\"");
        else
            n = json_value(p, j);
        p->depth--;
        return n;
    }
    size_t na = json_array_size(args);
    if (!json_is_array(args)) {
        fail_at(p, 0, "\"args\" as an array");
        p->depth--;
        return NULL;
    }
    char what[96];
    snprintf(what, sizeof what, "\"%.40s\"", op);
    if (strcmp(op, "and") == 0 || strcmp(op, "or") == 0) {
        if (na < 2) {
            fail_at(p, 0, "two or more args of and/or");
        } else {
            n = node(p, op[0] == 'a' ? CQL_AND : CQL_OR);
            for (size_t i = 0; i < na && n; i++) {
                cql_node *a = json_expr(p, json_array_get(args, i), 1);
                if (a)
                    add_arg(n, a);
                else {
                    cql_free(n);
                    n = NULL;
                }
            }
        }
    } else if (strcmp(op, "not") == 0) {
        cql_node *a = na == 1 ? json_expr(p, json_array_get(args, 0), 1) : NULL;
        if (na != 1)
            fail_at(p, 0, "one arg of not");
        n = a ? negate(p, a) : NULL;
    } else {
        /* the value operands */
        cql_node **v = xcalloc(na + 1, sizeof *v);
        int ok = 1;
        int is_in = strcmp(op, "in") == 0;
        for (size_t i = 0; i < na && ok; i++) {
            json_t *a = json_array_get(args, i);
            if (is_in && i == 1) /* the list */
                continue;
            ok = (v[i] = json_value(p, a)) != NULL;
        }
        static const char *const CMP[] = {"=", "<>", "<", "<=", ">", ">=", NULL};
        static const char *const ARITH[] = {"+", "-", "*", "/", "%", "div", "^", NULL};
        int k;
        for (k = 0; CMP[k] && strcmp(CMP[k], op) != 0; k++)
            ;
        int a;
        for (a = 0; ARITH[a] && strcmp(ARITH[a], op) != 0; a++)
            ;
        int s;
        for (s = 0; SPATIAL[s].name && strcasecmp(SPATIAL[s].name, op) != 0; s++)
            ;
        int tk;
        for (tk = 0; TEMPORAL[tk].name && strcasecmp(TEMPORAL[tk].name, op) != 0; tk++)
            ;
        if (!ok) {
            /* the failure is said */
        } else if (CMP[k]) {
            if (na == 2 && expect_type(p, v[0], -1, 0, "a comparison's left side") == 0 &&
                expect_type(p, v[1], -1, 0, "a comparison's right side") == 0 &&
                same_types(p, v[0], v[1], "a comparison") == 0) {
                n = node(p, CQL_CMP);
                n->op = k;
            } else if (na != 2) {
                fail_at(p, 0, "two args of a comparison");
            }
        } else if (ARITH[a] && !boolean) {
            if (na == 2 && expect_type(p, v[0], CQL_T_NUMBER, 0, "arithmetic's left side") == 0 &&
                expect_type(p, v[1], CQL_T_NUMBER, 0, "arithmetic's right side") == 0) {
                n = node(p, CQL_ARITH);
                n->op = a;
            } else if (na != 2) {
                fail_at(p, 0, "two args of arithmetic");
            }
        } else if (strcmp(op, "like") == 0) {
            if (na == 2 && expect_type(p, v[0], CQL_T_TEXT, 0, "LIKE's left side") == 0 &&
                expect_type(p, v[1], CQL_T_TEXT, 0, "a LIKE pattern") == 0)
                n = node(p, CQL_LIKE);
            else if (na != 2)
                fail_at(p, 0, "two args of like");
        } else if (strcmp(op, "between") == 0) {
            if (na == 3 && expect_type(p, v[0], CQL_T_NUMBER, 0, "BETWEEN's left side") == 0 &&
                expect_type(p, v[1], CQL_T_NUMBER, 0, "BETWEEN's lower bound") == 0 &&
                expect_type(p, v[2], CQL_T_NUMBER, 0, "BETWEEN's upper bound") == 0)
                n = node(p, CQL_BETWEEN);
            else if (na != 3)
                fail_at(p, 0, "three args of between");
        } else if (is_in) {
            json_t *list = json_array_get(args, 1);
            if (na != 2 || !json_is_array(list) || json_array_size(list) == 0) {
                fail_at(p, 0, "args of in: a value and a non-empty array");
            } else if (expect_type(p, v[0], -1, 0, "IN's left side") == 0) {
                n = node(p, CQL_IN);
                add_arg(n, v[0]);
                v[0] = NULL;
                for (size_t i = 0; i < json_array_size(list) && n; i++) {
                    cql_node *item = json_value(p, json_array_get(list, i));
                    if (!item || same_types(p, n->args[0], item, "IN") != 0) {
                        cql_free(item);
                        cql_free(n);
                        n = NULL;
                    } else {
                        add_arg(n, item);
                    }
                }
                na = 0;
            }
        } else if (strcmp(op, "isNull") == 0) {
            if (na == 1)
                n = node(p, CQL_ISNULL);
            else
                fail_at(p, 0, "one arg of isNull");
        } else if (TEMPORAL[tk].name) {
            if (na == 2) {
                n = temporal(p, TEMPORAL[tk].op, v[0], v[1], 0);
                v[0] = v[1] = NULL;
                na = 0;
            } else {
                fail_at(p, 0, "two args of a temporal function");
            }
        } else if (SPATIAL[s].name) {
            if (na == 2 && expect_type(p, v[0], CQL_T_GEOM, 0, "a spatial function's first argument") == 0 &&
                expect_type(p, v[1], CQL_T_GEOM, 0, "a spatial function's second argument") == 0) {
                n = spatial_node(p, SPATIAL[s].op, v[0], v[1], 0);
                v[0] = v[1] = NULL;
                na = 0;
            } else if (na != 2) {
                fail_at(p, 0, "two args of a spatial function");
            }
        } else if ((strcmp(op, "casei") == 0 || strcmp(op, "accenti") == 0) && !boolean) {
            if (na == 1 && expect_type(p, v[0], CQL_T_TEXT, 0, op) == 0)
                n = node(p, op[0] == 'c' ? CQL_CASEI : CQL_ACCENTI);
            else if (na != 1)
                fail_at(p, 0, "one arg of casei or accenti");
        } else {
            if (!p->failed) {
                p->failed = 1;
                gisd_fail(p->err, GISD_E_INPUT, "filter: the operator %s is not one gisd knows%s", what,
                          boolean ? " as a condition" : "");
            }
        }
        for (size_t i = 0; i < na; i++) {
            if (n && v[i])
                add_arg(n, v[i]);
            else
                cql_free(v[i]);
        }
        free(v);
    }
    p->depth--;
    return n;
}

/* ---- entry points ---- */

/* n with what changes no answer undone, so that what reaches SQL is as
 * shallow as it can be: an AND (OR) inside an AND (OR) joins it, and NOT
 * NOT x is x (in SQL's three-valued logic too). Takes n; returns the result. */
static cql_node *simplify(cql_node *n)
{
    for (size_t i = 0; i < n->nargs; i++)
        n->args[i] = simplify(n->args[i]);
    if (n->kind == CQL_LIKE) {
        /* a pattern ending in a lone \ means the \ itself (cql2_like); an
         * SQL engine refuses it, so it is written escaped */
        cql_node *pat = n->args[1];
        while ((pat->kind == CQL_CASEI || pat->kind == CQL_ACCENTI) && pat->nargs == 1)
            pat = pat->args[0];
        size_t len = pat->kind == CQL_TEXT ? strlen(pat->text) : 0, run = 0;
        while (run < len && pat->text[len - 1 - run] == '\\')
            run++;
        if (run % 2) {
            pat->text = xrealloc(pat->text, len + 2);
            memcpy(pat->text + len, "\\", 2);
        }
    }
    if (n->kind == CQL_NOT && n->args[0]->kind == CQL_NOT) {
        cql_node *inner = n->args[0], *x = inner->args[0];
        inner->nargs = 0;
        n->nargs = 0;
        cql_free(inner);
        cql_free(n);
        return x;
    }
    if (n->kind == CQL_AND || n->kind == CQL_OR) {
        size_t total = 0;
        for (size_t i = 0; i < n->nargs; i++)
            total += n->args[i]->kind == n->kind ? n->args[i]->nargs : 1;
        if (total != n->nargs) {
            cql_node **args = xreallocarray(NULL, total, sizeof *args);
            size_t k = 0;
            for (size_t i = 0; i < n->nargs; i++) {
                cql_node *a = n->args[i];
                if (a->kind != n->kind) {
                    args[k++] = a;
                    continue;
                }
                for (size_t j = 0; j < a->nargs; j++)
                    args[k++] = a->args[j];
                a->nargs = 0;
                cql_free(a);
            }
            free(n->args);
            n->args = args;
            n->nargs = total;
        }
    }
    return n;
}

/* How deeply operators nest in n: an operator written as a function call
 * in SQL (arithmetic, CASEI, ACCENTI, LIKE, the spatial and temporal
 * functions) counts two, for a call costs SQLite's parser twice what a
 * parenthesis does; any other operator one; a literal or a property none
 * (an interval is a literal). */
static int nesting(const cql_node *n)
{
    if (n->kind == CQL_INTERVAL || n->nargs == 0)
        return 0;
    int deepest = 0;
    for (size_t i = 0; i < n->nargs; i++) {
        int d = nesting(n->args[i]);
        if (d > deepest)
            deepest = d;
    }
    int call = n->kind == CQL_ARITH || n->kind == CQL_CASEI || n->kind == CQL_ACCENTI || n->kind == CQL_LIKE ||
               n->kind == CQL_SPATIAL || n->kind == CQL_TEMPORAL;
    return deepest + 1 + call;
}

int cql2_parse(const char *filter, const char *lang, const char *crs, const layer_def *layer,
               cql_node **out, gisd_error *err)
{
    *out = NULL;
    parser p = {.layer = layer, .err = err, .code = 4326, .lonlat = 1};
    if (crs && (p.code = crs_parse(crs, &p.lonlat, err)) < 0)
        return gisd_error_prefix(err, "filter-crs: ");
    if (!filter || !*filter)
        return gisd_fail(err, GISD_E_INPUT, "filter: it is empty");
    cql_node *n = NULL;
    /* cql-text: the draft's name, which GDAL 3.6 sends */
    if (!lang || strcmp(lang, "cql2-text") == 0 || strcmp(lang, "cql-text") == 0) {
        p.s = filter;
        n = bool_expr(&p);
        skip_space(&p);
        if (n && !p.failed && p.s[p.pos])
            fail_at(&p, p.pos, "AND, OR or the end of the filter");
    } else if (strcmp(lang, "cql2-json") == 0) {
        json_error_t jerr;
        json_t *j = json_loads(filter, JSON_DECODE_ANY, &jerr);
        if (!j)
            return gisd_fail(err, GISD_E_INPUT, "filter: not JSON: %s at character %d", jerr.text, jerr.position + 1);
        n = json_expr(&p, j, 1);
        json_decref(j);
    } else {
        return gisd_fail(err, GISD_E_INPUT, "filter-lang \"%s\" must be cql2-text or cql2-json", lang);
    }
    if (p.failed || !n) {
        cql_free(n);
        if (!p.failed)
            gisd_fail(err, GISD_E_INPUT, "filter: it is not a condition");
        return -1;
    }
    cql_type t;
    if (type_of(&p, n, &t) == 0 && t != CQL_T_BOOL) {
        cql_free(n);
        return gisd_fail(err, GISD_E_INPUT, "filter: it is %s, not a condition", type_name(t));
    }
    n = simplify(n);
    int levels = nesting(n);
    if (levels > CQL_MAX_NESTING) {
        cql_free(n);
        return gisd_fail(err, GISD_E_INPUT,
                         "filter: operators nested %d deep (a function or arithmetic counts 2), "
                         "deeper than the %d a filter may have; split the question", levels, CQL_MAX_NESTING);
    }
    *out = n;
    return 0;
}

json_t *cql2_queryables(const layer_def *l, const char *self_url)
{
    json_t *props = json_object();
    for (size_t i = 0; i < l->nfields; i++) {
        const field_def *f = &l->fields[i];
        json_t *q = json_pack("{s:s, s:s}", "description", f->description ? f->description : "", "type",
                              f->type == FIELD_INTEGER   ? "integer"
                              : f->type == FIELD_REAL    ? "number"
                              : f->type == FIELD_BOOLEAN ? "boolean"
                                                         : "string");
        if (f->type == FIELD_DATE || f->type == FIELD_TIMESTAMP)
            json_object_set_new(q, "format", json_string(f->type == FIELD_DATE ? "date" : "date-time"));
        json_object_set_new(props, f->name, q);
    }
    static const char *const GEOJSON[] = {"Point", "LineString", "Polygon", "MultiPoint", "MultiLineString",
                                          "MultiPolygon"};
    char ref[128];
    snprintf(ref, sizeof ref, "https://geojson.org/schema/%s.json", GEOJSON[l->geometry]);
    json_object_set_new(props, "geometry", json_pack("{s:s, s:s}", "description", "the feature's geometry", "$ref", ref));
    return json_pack("{s:s, s:s, s:s, s:s, s:o, s:b}", "$schema", "https://json-schema.org/draft/2020-12/schema",
                     "$id", self_url, "type", "object", "title", l->title, "properties", props,
                     "additionalProperties", 0);
}

int cql_temporal_terms(int op, cql_temporal_term out[3], int *negate)
{
    static const char *const REL[] = {
        [CQL_T_AFTER] = "a1>b2",           [CQL_T_BEFORE] = "a2<b1",       [CQL_T_CONTAINS] = "a1<b1&a2>b2",
        [CQL_T_DISJOINT] = "!a1<=b2&a2>=b1", [CQL_T_DURING] = "a1>b1&a2<b2", [CQL_T_EQUALS] = "a1=b1&a2=b2",
        [CQL_T_FINISHEDBY] = "a1<b1&a2=b2", [CQL_T_FINISHES] = "a1>b1&a2=b2", [CQL_T_INTERSECTS] = "a1<=b2&a2>=b1",
        [CQL_T_MEETS] = "a2=b1",           [CQL_T_METBY] = "a1=b2",
        [CQL_T_OVERLAPPEDBY] = "a1>b1&a1<b2&a2>b2", [CQL_T_OVERLAPS] = "a1<b1&a2>b1&a2<b2",
        [CQL_T_STARTEDBY] = "a1=b1&a2>b2", [CQL_T_STARTS] = "a1=b1&a2<b2"};
    const char *r = REL[op];
    *negate = *r == '!';
    int n = 0;
    for (r += *negate; *r && n < 3; n++) {
        cql_temporal_term *t = &out[n];
        t->x = r[0] == 'b';
        t->xhi = r[1] == '2';
        r += 2;
        size_t oplen = r[1] == '=' ? 2 : 1;
        t->op[0] = r[0];
        t->op[1] = oplen == 2 ? '=' : 0;
        t->op[2] = 0;
        r += oplen;
        t->y = r[0] == 'b';
        t->yhi = r[1] == '2';
        r += 2;
        if (*r == '&')
            r++;
    }
    return n;
}
