/* CQL2 (OGC API - Features Part 3, OGC 21-065): filters in the text and the
 * JSON encodings parsed into one expression tree, every property checked
 * against the layer's fields and every literal kept for binding. The store
 * compiles the tree to SQL (store.h); nothing here builds SQL text. */
#ifndef GISD_CQL2_H
#define GISD_CQL2_H

#include <jansson.h>

#include "error.h"
#include "layers.h"

typedef enum {
    CQL_AND,      /* args: two or more */
    CQL_OR,
    CQL_NOT,      /* args[0] */
    CQL_CMP,      /* op: CQL_EQ..CQL_GE; args[0], args[1] */
    CQL_LIKE,     /* args[0] LIKE args[1] (a pattern: % and _, \ escapes) */
    CQL_BETWEEN,  /* args[0] BETWEEN args[1] AND args[2] */
    CQL_IN,       /* args[0] IN (args[1..]) */
    CQL_ISNULL,   /* args[0] IS NULL */
    CQL_SPATIAL,  /* op: CQL_S_INTERSECTS..; args[0], args[1] geometries */
    CQL_ARITH,    /* op: + - * / % div ^; args[0], args[1]; in double precision on every store:
                   * / % div by zero give NULL, an overflow or undefined result is an error */
    CQL_CASEI,    /* CASEI(args[0]): compared without case (Unicode case folding) */
    CQL_ACCENTI,  /* ACCENTI(args[0]): compared without accents (diacritics removed) */
    CQL_PROPERTY, /* field: the layer's field index, or CQL_GEOMETRY_FIELD */
    CQL_TEXT,     /* text */
    CQL_NUMBER,   /* number */
    CQL_BOOL,     /* number 1 or 0 */
    CQL_GEOM,     /* wkb (and text, its WKT) in the store's CRS (EPSG:4490, lon/lat) */
    CQL_BBOX,     /* bbox: minx, miny, maxx, maxy in the store's CRS */
    CQL_DATE,     /* text: "YYYY-MM-DD"; alt: its midnight as a timestamp */
    CQL_TIMESTAMP, /* text: "YYYY-MM-DDTHH:MM:SSZ" (UTC) */
    CQL_INTERVAL, /* args[0], args[1]: instants, or CQL_TEXT ".." for an open end */
    CQL_TEMPORAL  /* op: CQL_T_AFTER..; args[0], args[1]: instants or intervals; as_timestamp
                   * when dates meet timestamps (dates then read as their midnight, UTC) */
} cql_kind;

enum { CQL_EQ, CQL_NE, CQL_LT, CQL_LE, CQL_GT, CQL_GE };
enum { CQL_S_INTERSECTS, CQL_S_DISJOINT, CQL_S_EQUALS, CQL_S_TOUCHES, CQL_S_CROSSES, CQL_S_WITHIN,
       CQL_S_CONTAINS, CQL_S_OVERLAPS };
enum { CQL_ADD, CQL_SUB, CQL_MUL, CQL_DIV, CQL_MOD, CQL_INTDIV, CQL_POW };
enum { CQL_T_AFTER, CQL_T_BEFORE, CQL_T_CONTAINS, CQL_T_DISJOINT, CQL_T_DURING, CQL_T_EQUALS, CQL_T_FINISHEDBY,
       CQL_T_FINISHES, CQL_T_INTERSECTS, CQL_T_MEETS, CQL_T_METBY, CQL_T_OVERLAPPEDBY, CQL_T_OVERLAPS,
       CQL_T_STARTEDBY, CQL_T_STARTS };

#define CQL_GEOMETRY_FIELD (-2)

/* The types an expression can have, checked before anything runs. */
typedef enum { CQL_T_TEXT, CQL_T_NUMBER, CQL_T_BOOL, CQL_T_GEOM, CQL_T_DATE, CQL_T_TIMESTAMP, CQL_T_INTERVAL } cql_type;

typedef struct cql_node cql_node;
struct cql_node {
    cql_kind kind;
    int op;
    int field;    /* CQL_PROPERTY */
    char *text;   /* CQL_TEXT, CQL_GEOM, CQL_DATE, CQL_TIMESTAMP */
    char *alt;    /* CQL_DATE: the same day's midnight as a timestamp */
    unsigned char *wkb; /* CQL_GEOM: the geometry as WKB, every digit kept (text is its WKT) */
    size_t wkb_len;
    int as_timestamp; /* CQL_TEMPORAL */
    double number;
    double bbox[4];
    cql_node **args;
    size_t nargs;
};

/* The most nodes one filter may have, and how deeply its operators (AND,
 * OR, NOT, comparisons, arithmetic, functions) may nest once (a AND (b AND
 * c)) is read as one AND and NOT NOT as nothing: past them the filter is
 * refused (400), never a runaway parse or an SQL statement an engine cannot
 * parse (SQLite's parser takes about 30 levels of alternating AND and OR).
 * CQL_MAX_DEPTH bounds the parser's own recursion: 64 levels of
 * parentheses (or of JSON), and the two frames a filter starts with. */
#define CQL_MAX_NODES 2000
#define CQL_MAX_NESTING 24
#define CQL_MAX_DEPTH 66

/* Parses filter in lang ("cql2-text" or "cql2-json"; NULL: text) for layer,
 * geometry literals in crs ("EPSG:n", a CRS URI or NULL: CRS84). *out is the
 * caller's (cql_free). -1 with an input error saying where: "filter:
 * unexpected ')' at character 17; expected a literal". */
int cql2_parse(const char *filter, const char *lang, const char *crs, const layer_def *layer,
               cql_node **out, gisd_error *err);
void cql_free(cql_node *n);
/* 1 when n is a literal (text, number, boolean, geometry, bbox, date,
 * timestamp or interval), which is never null. */
int cql_is_literal(const cql_node *n);

/* One comparison of a temporal relation: end xhi (0 lower, 1 upper) of
 * operand x (0: A, 1: B), op ("<", "<=", "=", ">", ">="), end yhi of operand y. */
typedef struct {
    int x, xhi;
    char op[3];
    int y, yhi;
} cql_temporal_term;

/* Allen's relation op (CQL_T_AFTER..) between A = [a1, a2] and B = [b1, b2]
 * as comparisons to AND (negated as a whole when *negate): their number (1-3)
 * in out. Every backend compiles a temporal function from these. */
int cql_temporal_terms(int op, cql_temporal_term out[3], int *negate);

/* The queryables of the layer: a JSON Schema (draft 2020-12) naming each
 * field with its type and the geometry, as Part 3 asks. */
json_t *cql2_queryables(const layer_def *layer, const char *self_url);

#endif
