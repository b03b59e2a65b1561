/* An optimisation's layout as a new plan scenario (catalog_save.c). */
#ifndef GISD_CATALOG_SAVE_H
#define GISD_CATALOG_SAVE_H

#include <jansson.h>

#include "param.h"
#include "store.h"

/* Creates scenario v's save_scenario over base, titled title, holding the
 * changes of optimisation opt's layout in map (its format=geojson answer;
 * user_candidates: the candidates were a file, not the layer's), each a
 * history row by who; writer is a read-write handle. 0, or -1 with err
 * (hw-allocation saves none: GISD_E_INPUT), and then no scenario is left. */
int catalog_save_scenario(store *writer, const layer_registry *reg, const char *opt, const char *title,
                          const param_values *v, int user_candidates, const char *base, json_t *map, const char *who,
                          gisd_error *err);

#endif
