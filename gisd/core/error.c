#include "error.h"

#include <stdio.h>
#include <string.h>

#include "utf8.h"

int gisd_fail(gisd_error *err, gisd_code code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        err->message[utf8_cut(err->message, sizeof err->message - 1)] = '\0';
    }
    return -1;
}

int gisd_error_prefix(gisd_error *err, const char *fmt, ...)
{
    if (!err)
        return -1;
    char prefix[1024];
    char old[sizeof err->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->message, sizeof old);
    size_t n = strlen(prefix);
    if (n >= sizeof err->message)
        n = sizeof err->message - 1;
    memcpy(err->message, prefix, n);
    size_t rest = strnlen(old, sizeof old - 1);
    if (rest > sizeof err->message - 1 - n)
        rest = sizeof err->message - 1 - n;
    memcpy(err->message + n, old, rest);
    err->message[n + rest] = '\0';
    err->message[utf8_cut(err->message, sizeof err->message - 1)] = '\0';
    return -1;
}

void gisd_error_clear(gisd_error *err)
{
    if (err) {
        err->code = GISD_OK;
        err->message[0] = '\0';
    }
}
