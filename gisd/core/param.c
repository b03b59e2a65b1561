/* param.h: one parser of parameter values for every door. */
#include "param.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crs.h"
#include "strbuf.h"
#include "xalloc.h"

void param_values_init(param_values *v, const param_def *defs, const char *owner)
{
    memset(v, 0, sizeof *v);
    v->defs = defs;
    v->owner = owner;
    while (defs[v->n].name)
        v->n++;
    if (v->n > PARAM_MAX) {
        fprintf(stderr, "gisd: %s has more than %d parameters\n", owner, PARAM_MAX);
        abort();
    }
}

void param_values_free(param_values *v)
{
    for (size_t k = 0; k < PARAM_MAX; k++)
        free(v->text[k]);
    memset(v->text, 0, sizeof v->text);
    memset(v->given, 0, sizeof v->given);
}

const param_def *param_find(const param_def *defs, const char *name)
{
    for (const param_def *p = defs; p->name; p++)
        if (strcmp(p->name, name) == 0)
            return p;
    return NULL;
}

static int choice_ok(const char *choices, const char *text)
{
    size_t len = strlen(text);
    for (const char *c = choices; *c;) {
        size_t n = strcspn(c, "|");
        if (n == len && strncmp(c, text, n) == 0)
            return 1;
        c += n + (c[n] == '|');
    }
    return 0;
}

/* Parses text as p's value into slot k of v. */
static int parse(param_values *v, size_t k, const char *text, gisd_error *err)
{
    const param_def *p = &v->defs[k];
    char *end;
    double x = 0;
    switch (p->kind) {
    case PARAM_NUMBER:
    case PARAM_INT:
        x = strtod(text, &end);
        if (!*text || *end || !isfinite(x) || (p->kind == PARAM_INT && x != floor(x)))
            return gisd_fail(err, GISD_E_INPUT, "%s \"%s\" must be %s from %g to %g%s%s", p->name, text,
                             p->kind == PARAM_INT ? "a whole number" : "a number", p->min, p->max,
                             p->unit ? " " : "", p->unit ? p->unit : "");
        if (x < p->min || x > p->max)
            return gisd_fail(err, GISD_E_INPUT, "%s %s is out of range: it must be from %g to %g%s%s", p->name,
                             text, p->min, p->max, p->unit ? " " : "", p->unit ? p->unit : "");
        break;
    case PARAM_BOOL:
        if (strcmp(text, "true") == 0 || strcmp(text, "1") == 0)
            x = 1;
        else if (strcmp(text, "false") != 0 && strcmp(text, "0") != 0)
            return gisd_fail(err, GISD_E_INPUT, "%s \"%s\" must be true or false", p->name, text);
        break;
    case PARAM_CHOICE:
        if (!choice_ok(p->choices, text))
            return gisd_fail(err, GISD_E_INPUT, "%s \"%s\" must be one of %s", p->name, text, p->choices);
        break;
    case PARAM_TEXT:
        if (!*text)
            return gisd_fail(err, GISD_E_INPUT, "%s must not be empty", p->name);
        break;
    case PARAM_CRS: {
        int code = crs_parse(text, NULL, err);
        if (code < 0)
            return gisd_error_prefix(err, "%s: ", p->name);
        x = code;
        break;
    }
    }
    v->num[k] = x;
    free(v->text[k]);
    v->text[k] = xstrdup(text);
    return 0;
}

static int slot_of(const param_values *v, const char *name)
{
    for (size_t k = 0; k < v->n; k++)
        if (strcmp(v->defs[k].name, name) == 0)
            return (int)k;
    return -1;
}

static int unknown(const param_values *v, const char *name, gisd_error *err)
{
    strbuf known = {0};
    for (size_t k = 0; k < v->n; k++)
        strbuf_printf(&known, "%s%s", k ? ", " : "", v->defs[k].name);
    int rc = gisd_fail(err, GISD_E_INPUT, "%s takes no parameter \"%s\"; it takes %s", v->owner, name,
                       v->n ? known.data : "none");
    strbuf_free(&known);
    return rc;
}

int param_set_text(param_values *v, const char *name, const char *text, gisd_error *err)
{
    int k = slot_of(v, name);
    if (k < 0)
        return unknown(v, name, err);
    if (parse(v, (size_t)k, text, err) != 0)
        return -1;
    v->given[k] = 1;
    return 0;
}

int param_set_json(param_values *v, const char *name, json_t *value, gisd_error *err)
{
    int k = slot_of(v, name);
    if (k < 0)
        return unknown(v, name, err);
    const param_def *p = &v->defs[k];
    char buf[64];
    const char *text = json_string_value(value);
    int numeric = p->kind == PARAM_NUMBER || p->kind == PARAM_INT;
    if (numeric && json_is_integer(value))
        snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(value)), text = buf;
    else if (numeric && json_is_real(value))
        snprintf(buf, sizeof buf, "%.17g", json_real_value(value)), text = buf;
    else if (p->kind == PARAM_BOOL && json_is_boolean(value))
        text = json_is_true(value) ? "true" : "false";
    if (!text)
        return gisd_fail(err, GISD_E_INPUT, "%s must be %s", name,
                         numeric                   ? "a number"
                         : p->kind == PARAM_BOOL   ? "true or false"
                                                   : "a string");
    return param_set_text(v, name, text, err);
}

int param_set_num(param_values *v, const char *name, double x, gisd_error *err)
{
    int k = slot_of(v, name);
    if (k < 0)
        return unknown(v, name, err);
    const param_def *p = &v->defs[k];
    if ((p->kind != PARAM_NUMBER && p->kind != PARAM_INT) || !isfinite(x) ||
        (p->kind == PARAM_INT && x != floor(x)) || x < p->min || x > p->max)
        return gisd_fail(err, GISD_E_INPUT, "%s %g is out of range: it must be from %g to %g", name, x, p->min,
                         p->max);
    v->num[k] = x;
    v->given[k] = 1;
    return 0;
}

void param_values_copy(param_values *dst, const param_values *src)
{
    *dst = *src;
    for (size_t k = 0; k < PARAM_MAX; k++)
        dst->text[k] = src->text[k] ? xstrdup(src->text[k]) : NULL;
}

int param_finish(param_values *v, gisd_error *err)
{
    for (size_t k = 0; k < v->n; k++) {
        const param_def *p = &v->defs[k];
        if (v->given[k])
            continue;
        if (p->required)
            return gisd_fail(err, GISD_E_INPUT, "%s needs %s: %s", v->owner, p->name, p->doc);
        if (p->dflt && parse(v, k, p->dflt, err) != 0)
            return -1;
    }
    return 0;
}

static size_t slot_or_abort(const param_values *v, const char *name)
{
    int k = slot_of(v, name);
    if (k < 0) {
        fprintf(stderr, "gisd: %s has no parameter \"%s\" (a programming error)\n", v->owner, name);
        abort();
    }
    return (size_t)k;
}

double param_num(const param_values *v, const char *name) { return v->num[slot_or_abort(v, name)]; }
const char *param_text(const param_values *v, const char *name) { return v->text[slot_or_abort(v, name)]; }
int param_given(const param_values *v, const char *name) { return v->given[slot_or_abort(v, name)]; }

json_t *param_schema(const param_def *p)
{
    json_t *s;
    switch (p->kind) {
    case PARAM_NUMBER:
    case PARAM_INT:
        s = json_pack("{s:s, s:f, s:f}", "type", p->kind == PARAM_INT ? "integer" : "number", "minimum", p->min,
                      "maximum", p->max);
        break;
    case PARAM_BOOL:
        s = json_pack("{s:s}", "type", "boolean");
        break;
    default:
        s = json_pack("{s:s}", "type", "string");
        if (p->kind == PARAM_CHOICE) {
            json_t *e = json_array();
            for (const char *c = p->choices; *c;) {
                size_t n = strcspn(c, "|");
                json_array_append_new(e, json_stringn(c, n));
                c += n + (c[n] == '|');
            }
            json_object_set_new(s, "enum", e);
        }
        break;
    }
    if (p->dflt) {
        if (p->kind == PARAM_NUMBER || p->kind == PARAM_INT)
            json_object_set_new(s, "default", json_real(strtod(p->dflt, NULL)));
        else if (p->kind == PARAM_BOOL)
            json_object_set_new(s, "default", json_boolean(strcmp(p->dflt, "true") == 0));
        else
            json_object_set_new(s, "default", json_string(p->dflt));
    }
    return s;
}

void param_cli_name(const param_def *p, char *buf, size_t n)
{
    snprintf(buf, n, "%s", p->name);
    for (char *c = buf; *c; c++)
        if (*c == '_')
            *c = '-';
}

int param_list_has(const char *list, char sep, const char *item)
{
    size_t n = strlen(item);
    for (const char *p = list; p && *p;) {
        const char *end = strchr(p, sep);
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, item, n) == 0)
            return 1;
        p = end ? end + 1 : NULL;
    }
    return 0;
}
