/* The catalog: everything a user can run, one entry each (an analysis, an
 * optimisation, the park scorecard), with its typed parameters (param.h)
 * and the function that runs it. The command line's options, the HTTP
 * query and body, /processes and their JSON Schemas, /api and the README's
 * parameter tables all read it, so every door takes the same parameters
 * with the same defaults, limits and errors. */
#ifndef GISD_CATALOG_H
#define GISD_CATALOG_H

#include <jansson.h>

#include "error.h"
#include "layers.h"
#include "milp.h"
#include "param.h"
#include "rules.h"
#include "store.h"

typedef enum { CATALOG_ANALYSIS, CATALOG_OPTIMIZATION } catalog_kind;

/* What a run works on; borrowed for the call. */
typedef struct {
    store *st;
    const layer_registry *reg;
    const site_rules *rules;
    const milp_progress *progress; /* the solver's progress; NULL: no one asked */
    /* where an optimisation's save_scenario writes (a read-write handle on
     * the same store) and who it is; NULL: saving is refused */
    store *writer;
    const char *who;
} catalog_ctx;

typedef struct catalog_entry catalog_entry;
struct catalog_entry {
    const char *id, *title;
    catalog_kind kind;
    const param_def *params; /* ending with a NULL name */
    const char *object;      /* the one GeoJSON input: "candidates", "site" or NULL */
    int object_required;
    const char *object_doc;
    /* runs it with v (param_finish'ed) and object (borrowed, may be NULL):
     * 0 with *out the caller's, or -1 with err */
    int (*run)(const catalog_entry *e, const catalog_ctx *c, const param_values *v, json_t *object, json_t **out,
               gisd_error *err);
};

/* Every entry, ending with a NULL id: the analyses first, then the optimisations. */
extern const catalog_entry CATALOG[];
/* The entry id of kind kind, or NULL. */
const catalog_entry *catalog_find(const char *id, catalog_kind kind);
/* The entry id of any kind, or NULL. */
const catalog_entry *catalog_find_any(const char *id);
/* The ids of kind kind as "a, b or c" into buf (n bytes), for messages. */
void catalog_ids(catalog_kind kind, char *buf, size_t n);

/* Starts v empty for e's parameters. */
void catalog_values_init(const catalog_entry *e, param_values *v);
/* Checks object against e (present when required, absent when e takes
 * none) and runs e: 0, or -1 with err (*out NULL). */
int catalog_run(const catalog_entry *e, const catalog_ctx *c, const param_values *v, json_t *object, json_t **out,
                gisd_error *err);

/* An execute request (OGC API - Processes) for e: a JSON object of known
 * members whose inputs e takes, each of its kind and within its limits,
 * the required ones present; the values in *v (initialised here, the
 * caller frees it with param_values_free) and the GeoJSON input in *object
 * (the caller's, NULL when absent). 0, or -1 with an input error. */
int catalog_parse_execute(const catalog_entry *e, const char *body, size_t len, param_values *v, json_t **object,
                          gisd_error *err);

#endif
