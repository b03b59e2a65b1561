/* libFuzzer: an execute request's body for each entry of the catalog (POST
 * /processes/{id}/execution), read against its parameter table as the
 * server reads it before it queues any work. Input: a byte choosing the
 * entry, then the body. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t n = 0;
    while (CATALOG[n].id)
        n++;
    const catalog_entry *e = &CATALOG[data[0] % n];
    param_values v;
    json_t *object = NULL;
    gisd_error err = {0};
    if (catalog_parse_execute(e, (const char *)data + 1, size - 1, &v, &object, &err) == 0) {
        /* what it lets through is what the table says: each value of its
         * kind and within its limits, the required ones there */
        for (size_t k = 0; k < v.n; k++) {
            const param_def *p = &v.defs[k];
            if (p->required && !v.given[k])
                abort();
            if ((p->kind == PARAM_NUMBER || p->kind == PARAM_INT) && (v.given[k] || p->dflt) &&
                (!isfinite(v.num[k]) || v.num[k] < p->min || v.num[k] > p->max ||
                 (p->kind == PARAM_INT && v.num[k] != floor(v.num[k]))))
                abort();
            if (p->kind == PARAM_BOOL && v.num[k] != 0 && v.num[k] != 1)
                abort();
        }
        if (e->object_required && !object)
            abort();
        param_values_free(&v);
        json_decref(object);
    } else if (err.code != GISD_E_INPUT) {
        abort(); /* a bad request is the client's error, never the server's */
    }
    return 0;
}
