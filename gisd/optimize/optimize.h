/* Layout optimisations (OPTIMIZE.md): recycling-siting (maximal or set
 * covering), sorting-siting (p-median), hw-allocation (capacitated transport,
 * lexicographic) and heat-extension (a knapsack, with its frontier). Each
 * builds its model from the store with GEOS and solves it with CBC (milp.h).
 * Nothing here writes to the store. */
#ifndef GISD_OPTIMIZE_H
#define GISD_OPTIMIZE_H

#include <jansson.h>

#include "error.h"
#include "layers.h"
#include "rules.h"
#include "store.h"

typedef enum { OPT_NUMBER, OPT_INT, OPT_BOOL, OPT_CHOICE } opt_kind;

/* One parameter: its name (as HTTP and the JSON inputs spell it; the command
 * line writes it with dashes), kind, limits, default (NULL: required or
 * absent) and what it means. The command line, HTTP and the process
 * descriptions all read this table. */
typedef struct {
    const char *name;
    opt_kind kind;
    double min, max;     /* OPT_NUMBER, OPT_INT */
    const char *choices; /* OPT_CHOICE: "keep|none" */
    const char *dflt;
    int required;
    const char *doc;
} opt_param;

struct opt_run;
struct opt_values;

typedef struct {
    const char *name, *title;
    const opt_param *params; /* ending with a NULL name */
    int takes_candidates;    /* a FeatureCollection of candidate Points */
    /* builds and solves the model (optimize_*.c) */
    int (*solve)(struct opt_run *r, const struct opt_values *v, json_t *candidates, json_t **out,
                 gisd_error *err);
} opt_def;

/* The optimisations, ending with a NULL name. */
extern const opt_def OPTIMIZATIONS[];
/* The definition named name, or NULL. */
const opt_def *optimize_find(const char *name);

/* The parameter values as the user wrote them, by name (NULL: default). */
typedef struct {
    const char *names[16];
    const char *values[16];
    size_t n;
} opt_args;

/* 0 when text is a value p takes (its kind, limits and choices); else -1
 * with an input error naming them. */
int opt_param_check(const opt_param *p, const char *text, gisd_error *err);

/* Adds name=value to a (names and values borrowed). */
void opt_args_set(opt_args *a, const char *name, const char *value);

/* Runs the optimisation name with args and candidates (a FeatureCollection,
 * borrowed; NULL: the default candidates); *out is the OPTIMIZE.md answer (or,
 * with format geojson, its map), the caller's. 0, or -1 with err: an unknown
 * name GISD_E_NOTFOUND, a bad or infeasible input GISD_E_INPUT. */
int optimize_run(store *s, const layer_registry *reg, const site_rules *rules, const char *name,
                 const opt_args *args, json_t *candidates, json_t **out, gisd_error *err);

#endif
