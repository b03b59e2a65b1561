/* The processes gisd runs, OGC API - Processes' view of the analyses and the
 * optimisations: one table naming each, its inputs with their types and
 * limits (the same opt_param table the command line reads) and the function
 * that runs it. */
#ifndef GISD_PROCESS_H
#define GISD_PROCESS_H

#include "optimize.h"

typedef struct process_def process_def;

struct process_def {
    const char *id, *title;
    const opt_param *params; /* scalar inputs, ending with a NULL name */
    const char *object;      /* the one GeoJSON input: "candidates", "site" or NULL */
    int analysis;            /* also served as /analysis/{id} */
    int object_required;
    /* runs it: args by name, object borrowed (may be NULL); *out the caller's */
    int (*run)(const process_def *p, store *s, const layer_registry *reg, const site_rules *rules,
               const opt_args *args, json_t *object, json_t **out, gisd_error *err);
};

/* The processes, ending with a NULL id. */
extern const process_def PROCESSES[];
/* The process id, or NULL. */
const process_def *process_find(const char *id);
/* The JSON Schema of one input (type, limits, choices as an enum), the caller's. */
json_t *process_input_schema(const opt_param *p);
/* The scalar inputs of p (an optimisation's are its opt_def's). */
const opt_param *process_params(const process_def *p);

/* An execute request's inputs: each scalar as the parameter table's text,
 * and the GeoJSON input (object, NULL when absent). */
typedef struct {
    char *names[16], *values[16];
    size_t n;
    json_t *object;
} process_inputs;

/* Reads the execute request body (len bytes) for p into *in (the caller
 * frees it with process_inputs_free): a JSON object of known members whose
 * inputs p takes, each value of its kind and within its limits, the
 * required ones present. 0, or -1 with an input error (and *in empty). */
int process_inputs_parse(const process_def *p, const char *body, size_t len, process_inputs *in, gisd_error *err);
void process_inputs_free(process_inputs *in);

#endif
