/* libFuzzer: an execute request's body for each process (POST
 * /processes/{id}/execution), read against the process's parameter table as
 * the server reads it before it queues any work. Input: a byte choosing the
 * process, then the body. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "process.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t n = 0;
    while (PROCESSES[n].id)
        n++;
    const process_def *p = &PROCESSES[data[0] % n];
    process_inputs in;
    gisd_error err = {0};
    if (process_inputs_parse(p, (const char *)data + 1, size - 1, &in, &err) == 0) {
        /* what it lets through is what the table says */
        for (size_t i = 0; i < in.n; i++) {
            const opt_param *q = process_params(p);
            while (q->name && strcmp(q->name, in.names[i]) != 0)
                q++;
            if (!q->name || opt_param_check(q, in.values[i], &err) != 0)
                abort();
        }
        if (p->object_required && !in.object)
            abort();
        process_inputs_free(&in);
    } else if (err.code != GISD_E_INPUT) {
        abort(); /* a bad request is the client's error, never the server's */
    }
    return 0;
}
