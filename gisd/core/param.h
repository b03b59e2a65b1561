/* Typed parameters: what a user may pass to an analysis, an optimisation or
 * a report (the catalog's tables, catalog.h), parsed once into typed values
 * with the same checks through every door: the command line (--radius-m
 * 500), an HTTP query (radius_m=500) and a JSON execute request
 * ("radius_m": 500). */
#ifndef GISD_PARAM_H
#define GISD_PARAM_H

#include <jansson.h>
#include <stddef.h>

#include "error.h"

typedef enum {
    PARAM_NUMBER, /* a finite number within [min, max] */
    PARAM_INT,    /* a whole number within [min, max] */
    PARAM_BOOL,   /* true/false (1/0 as text) */
    PARAM_CHOICE, /* one of choices ("keep|none") */
    PARAM_TEXT,   /* any text (an id) */
    PARAM_CRS     /* a projected CRS in metres, as crs_parse reads it: EPSG:n */
} param_kind;

/* One parameter. A table of them ends with a NULL name. */
typedef struct {
    const char *name;    /* as HTTP and JSON spell it; the command line with dashes */
    param_kind kind;
    const char *unit;    /* "m", "km", "s" or NULL */
    double min, max;     /* PARAM_NUMBER, PARAM_INT */
    const char *choices; /* PARAM_CHOICE */
    const char *dflt;    /* as text; NULL: none (required, or absent) */
    int required;
    const char *doc;
} param_def;

#define PARAM_MAX 16

/* The values of one run, by the table's order; text values are owned. */
typedef struct {
    const param_def *defs;
    const char *owner; /* what takes them, for messages: "heating-coverage" */
    size_t n;
    int given[PARAM_MAX];
    double num[PARAM_MAX]; /* NUMBER, INT, BOOL (0/1), CRS (its EPSG code) */
    char *text[PARAM_MAX]; /* CHOICE, TEXT, CRS: as given */
} param_values;

/* Starts empty values for the table defs (borrowed, alive as long as v). */
void param_values_init(param_values *v, const param_def *defs, const char *owner);
/* Frees the text values; v is empty again (and may be reused after init). */
void param_values_free(param_values *v);
/* The parameter called name, or NULL. */
const param_def *param_find(const param_def *defs, const char *name);

/* Sets name from its text: 0, or -1 with an input error naming the
 * parameter and what it takes (an unknown name lists the known ones). */
int param_set_text(param_values *v, const char *name, const char *text, gisd_error *err);
/* Sets name from a JSON value: a number for NUMBER and INT, a boolean for
 * BOOL, a string otherwise (a string holding a number or true/false is read
 * as its text would be); 0, or -1 with an input error. */
int param_set_json(param_values *v, const char *name, json_t *value, gisd_error *err);
/* Sets name, a NUMBER or INT parameter, to x: what a module passes another,
 * checked as a user's value is; 0, or -1 with an input error. */
int param_set_num(param_values *v, const char *name, double x, gisd_error *err);
/* Copies src into dst (initialised here; free it with param_values_free). */
void param_values_copy(param_values *dst, const param_values *src);
/* Fills the defaults of what was not given: 0, or -1 with an input error
 * naming the first required parameter that is missing. */
int param_finish(param_values *v, gisd_error *err);

/* The value of name, which must be a parameter of the table (anything else
 * is a programming error and aborts): its number (BOOL 0/1, CRS the EPSG
 * code, 0 when neither given nor defaulted), its text (NULL likewise),
 * whether it was given. */
double param_num(const param_values *v, const char *name);
const char *param_text(const param_values *v, const char *name);
int param_given(const param_values *v, const char *name);

/* 1 when item is one of the sep-separated entries of list ("a,b" with ','),
 * whole entries only; 0 for a NULL list. */
int param_list_has(const char *list, char sep, const char *item);
/* The JSON Schema of p (type, limits, enum, default), the caller's. */
json_t *param_schema(const param_def *p);
/* name spelt for the command line (radius_m: radius-m) into buf. */
void param_cli_name(const param_def *p, char *buf, size_t n);

#endif
