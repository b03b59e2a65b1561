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
#include "milp.h"
#include "param.h"
#include "rules.h"
#include "store.h"

struct opt_run;

/* An optimisation's solver; its title, parameters and inputs are its entry
 * in the catalog (catalog.h). */
typedef struct {
    const char *name;
    /* builds and solves the model (optimize_*.c) */
    int (*solve)(struct opt_run *r, const param_values *v, json_t *candidates, json_t **out, gisd_error *err);
} opt_def;

/* Each optimisation's parameters; the last four of each are time_limit_s,
 * save_scenario (the catalog's: optimize_run leaves it), format and analysis_crs. */
extern const param_def RECYCLING_SITING_PARAMS[], SORTING_SITING_PARAMS[], HW_ALLOCATION_PARAMS[],
    HEAT_EXTENSION_PARAMS[];

/* The optimisations, ending with a NULL name. */
extern const opt_def OPTIMIZATIONS[];
/* The definition named name, or NULL. */
const opt_def *optimize_find(const char *name);

/* Runs the optimisation d with v (its parameters, param_finish'ed) and
 * candidates (a FeatureCollection, borrowed; NULL: the default candidates),
 * telling progress (NULL: no one) as the solver goes; *out is the
 * OPTIMIZE.md answer (or, with format geojson, its map), the caller's. 0, or
 * -1 with err: a bad or infeasible input GISD_E_INPUT. */
int optimize_run(store *s, const layer_registry *reg, const site_rules *rules, const opt_def *d,
                 const param_values *v, json_t *candidates, const milp_progress *progress, json_t **out,
                 gisd_error *err);

#endif
