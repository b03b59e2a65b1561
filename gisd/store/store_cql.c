/* The SQL both backends share: text building, and the one walk of a CQL2
 * tree into SQL; see store_cql.h. */
#include "store_cql.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

char *store_sql_text(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *q = sqlite3_vmprintf(fmt, ap);
    va_end(ap);
    if (!q) {
        fprintf(stderr, "gisd: out of memory building SQL\n");
        abort();
    }
    return q;
}

char *store_sql_double(double v)
{
    /* C's printf, not SQLite's: sqlite3_mprintf("%.17g") keeps 16 digits
     * (0.3 comes out 0.2999999999999999), so a parameter sent as text
     * would not be the double the filter holds */
    char buf[40];
    snprintf(buf, sizeof buf, "%.17g", v);
    return store_sql_text("%s", buf);
}

char *store_sql_finish(sqlite3_str *b)
{
    char *q = sqlite3_str_finish(b);
    if (!q) {
        fprintf(stderr, "gisd: out of memory building SQL\n");
        abort();
    }
    return q;
}

static void expr(const store_cql_dialect *d, const layer_def *l, const cql_node *n, sqlite3_str *b, void *ps);

/* One end (hi: the upper) of a temporal operand; an instant is both ends of
 * itself, an open end the smallest or largest ISO text. ts: dates read as
 * their midnight timestamps. */
static void temporal_end(const store_cql_dialect *d, const layer_def *l, const cql_node *n, int hi, int ts,
                         sqlite3_str *b, void *ps)
{
    if (n->kind == CQL_INTERVAL)
        n = n->args[hi];
    if (n->kind == CQL_TEXT) /* '..' */
        sqlite3_str_appendall(b, hi ? "'9999-12-31T23:59:59Z'" : "'0000-01-01'");
    else if (n->kind == CQL_PROPERTY && ts && l->fields[n->field].type == FIELD_DATE)
        sqlite3_str_appendf(b, "(\"%w\" || 'T00:00:00Z')", l->fields[n->field].name);
    else if (n->kind == CQL_PROPERTY)
        sqlite3_str_appendf(b, "\"%w\"", l->fields[n->field].name);
    else
        d->literal(n, ts, b, ps);
}

/* A temporal function as the comparisons of its relation (cql2.h), on ISO
 * text compared byte by byte. */
static void temporal(const store_cql_dialect *d, const layer_def *l, const cql_node *n, sqlite3_str *b, void *ps)
{
    cql_temporal_term t[3];
    int negate, k = cql_temporal_terms(n->op, t, &negate);
    sqlite3_str_appendall(b, negate ? "(NOT (" : "((");
    for (int i = 0; i < k; i++) {
        if (i)
            sqlite3_str_appendall(b, " AND ");
        temporal_end(d, l, n->args[t[i].x], t[i].xhi, n->as_timestamp, b, ps);
        sqlite3_str_appendf(b, "%s %s ", d->temporal_cmp, t[i].op);
        temporal_end(d, l, n->args[t[i].y], t[i].yhi, n->as_timestamp, b, ps);
    }
    sqlite3_str_appendall(b, "))");
}

/* t[0] before the operand x, t[1] between x and y, t[2] after y. */
static void binary(const store_cql_dialect *d, const layer_def *l, const char *const t[3], const cql_node *x,
                   const cql_node *y, sqlite3_str *b, void *ps)
{
    sqlite3_str_appendall(b, t[0]);
    expr(d, l, x, b, ps);
    sqlite3_str_appendall(b, t[1]);
    expr(d, l, y, b, ps);
    sqlite3_str_appendall(b, t[2]);
}

/* args[from..to) of an AND or OR, grouped as a balanced tree: SQL engines
 * parse "a AND b AND c" into a chain as deep as it is long, and SQLite
 * refuses an expression deeper than 1,000; balanced, 2,000 terms are 11 deep. */
static void junction(const store_cql_dialect *d, const layer_def *l, const cql_node *n, size_t from, size_t to,
                     sqlite3_str *b, void *ps)
{
    if (to - from == 1) {
        store_cql_condition(d, l, n->args[from], b, ps);
        return;
    }
    size_t mid = from + (to - from) / 2;
    sqlite3_str_appendall(b, "(");
    junction(d, l, n, from, mid, b, ps);
    sqlite3_str_appendall(b, n->kind == CQL_AND ? " AND " : " OR ");
    junction(d, l, n, mid, to, b, ps);
    sqlite3_str_appendall(b, ")");
}

void store_cql_condition(const store_cql_dialect *d, const layer_def *l, const cql_node *n, sqlite3_str *b,
                         void *ps)
{
    if (n->kind == CQL_BOOL)
        sqlite3_str_appendall(b, n->number != 0 ? "true" : "false");
    else if (n->kind == CQL_PROPERTY && n->field != CQL_GEOMETRY_FIELD)
        sqlite3_str_appendf(b, "(\"%w\" <> 0)", l->fields[n->field].name);
    else
        expr(d, l, n, b, ps);
}

static void expr(const store_cql_dialect *d, const layer_def *l, const cql_node *n, sqlite3_str *b, void *ps)
{
    static const char *const CMP[][3] = {{"(", " = ", ")"},  {"(", " <> ", ")"}, {"(", " < ", ")"},
                                         {"(", " <= ", ")"}, {"(", " > ", ")"},  {"(", " >= ", ")"}};
    static const char *const SPATIAL[] = {"ST_Intersects", "ST_Disjoint", "ST_Equals", "ST_Touches",
                                          "ST_Crosses",    "ST_Within",   "ST_Contains", "ST_Overlaps"};
    switch (n->kind) {
    case CQL_AND:
    case CQL_OR:
        junction(d, l, n, 0, n->nargs, b, ps);
        return;
    case CQL_NOT:
        sqlite3_str_appendall(b, "(NOT ");
        store_cql_condition(d, l, n->args[0], b, ps);
        sqlite3_str_appendall(b, ")");
        return;
    case CQL_CMP:
        binary(d, l, CMP[n->op], n->args[0], n->args[1], b, ps);
        return;
    case CQL_LIKE:
        binary(d, l, d->like, n->args[0], n->args[1], b, ps);
        return;
    case CQL_BETWEEN:
        sqlite3_str_appendall(b, "(");
        expr(d, l, n->args[0], b, ps);
        sqlite3_str_appendall(b, " BETWEEN ");
        expr(d, l, n->args[1], b, ps);
        sqlite3_str_appendall(b, " AND ");
        expr(d, l, n->args[2], b, ps);
        sqlite3_str_appendall(b, ")");
        return;
    case CQL_IN:
        sqlite3_str_appendall(b, "(");
        expr(d, l, n->args[0], b, ps);
        sqlite3_str_appendall(b, " IN (");
        for (size_t i = 1; i < n->nargs; i++) {
            if (i > 1)
                sqlite3_str_appendall(b, ", ");
            expr(d, l, n->args[i], b, ps);
        }
        sqlite3_str_appendall(b, "))");
        return;
    case CQL_ISNULL:
        /* a literal is never null: without this an interval (written as
         * NULL, its ends being read by temporal functions) would match all */
        if (cql_is_literal(n->args[0])) {
            sqlite3_str_appendall(b, "false");
            return;
        }
        sqlite3_str_appendall(b, "(");
        expr(d, l, n->args[0], b, ps);
        sqlite3_str_appendall(b, " IS NULL)");
        return;
    case CQL_SPATIAL:
        sqlite3_str_appendf(b, "%s%s(", d->spatial[0], SPATIAL[n->op]);
        expr(d, l, n->args[0], b, ps);
        sqlite3_str_appendall(b, ", ");
        expr(d, l, n->args[1], b, ps);
        sqlite3_str_appendall(b, d->spatial[1]);
        return;
    case CQL_ARITH:
        binary(d, l, d->arith[n->op], n->args[0], n->args[1], b, ps);
        return;
    case CQL_CASEI:
    case CQL_ACCENTI:
        sqlite3_str_appendall(b, n->kind == CQL_CASEI ? d->casei : d->accenti);
        expr(d, l, n->args[0], b, ps);
        sqlite3_str_appendall(b, ")");
        return;
    case CQL_PROPERTY:
        if (n->field == CQL_GEOMETRY_FIELD)
            sqlite3_str_appendall(b, "geom");
        else
            sqlite3_str_appendf(b, "\"%w\"", l->fields[n->field].name);
        return;
    case CQL_GEOM:
    case CQL_BBOX:
    case CQL_TEXT:
    case CQL_NUMBER:
    case CQL_BOOL:
    case CQL_DATE:
    case CQL_TIMESTAMP:
        d->literal(n, 0, b, ps);
        return;
    case CQL_TEMPORAL:
        temporal(d, l, n, b, ps);
        return;
    case CQL_INTERVAL: /* only inside a temporal function, which reads its ends */
        sqlite3_str_appendall(b, "NULL");
        return;
    }
}
