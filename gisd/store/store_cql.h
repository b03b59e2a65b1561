/* The SQL both store backends write alike: text built with SQLite's
 * formatter, and CQL2 filters as SQL, one walk of the checked
 * tree (cql2.h), with what the engines write differently (literals and their
 * parameters, LIKE, the spatial predicates, arithmetic, CASEI/ACCENTI, the
 * collation of temporal comparisons) taken from a dialect each backend
 * defines beside the rest of its SQL. */
#ifndef GISD_STORE_CQL_H
#define GISD_STORE_CQL_H

#include <sqlite3.h>

#include "cql2.h"
#include "layers.h"

/* SQL text with %w (identifiers) and %Q (literals), SQLite's formatter;
 * sqlite3_free it. Aborts when out of memory, as xmalloc. */
char *store_sql_text(const char *fmt, ...);
/* v as text that reads back as the same double (sqlite3_free it). */
char *store_sql_double(double v);
/* sqlite3_str_finish(b), aborting when out of memory; sqlite3_free it. */
char *store_sql_finish(sqlite3_str *b);

typedef struct {
    /* Appends literal n as the backend's parameter placeholder(s) and
     * records its value in params (ts: a date read as its midnight
     * timestamp, CQL_DATE's alt). */
    void (*literal)(const cql_node *n, int ts, sqlite3_str *b, void *params);
    const char *like[3];    /* before, between and after LIKE's two operands */
    const char *spatial[2]; /* before a spatial function's name; after its second operand */
    const char *arith[7][3]; /* per CQL_ADD..CQL_POW: before, between and after the operands */
    const char *casei, *accenti; /* the function names, "(" included */
    const char *temporal_cmp; /* between an ISO-text operand and its comparison: a collation, or "" */
} store_cql_dialect;

/* Appends to b the SQL condition of the checked CQL2 tree n on layer l:
 * properties as quoted columns, every literal a parameter through d. A
 * boolean property or literal standing alone is compared with 0 (booleans
 * are stored as integers, and PostgreSQL reads no integer as a condition). */
void store_cql_condition(const store_cql_dialect *d, const layer_def *l, const cql_node *n, sqlite3_str *b,
                         void *params);

#endif
