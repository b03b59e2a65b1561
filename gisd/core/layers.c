#include "layers.h"
#include "paths.h"
#include "strbuf.h"
#include "xalloc.h"

#include <dirent.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static const char *const GEOM_NAMES[] = {"Point", "LineString", "Polygon",
                                         "MultiPoint", "MultiLineString", "MultiPolygon"};
static const char *const GEOM_SQL[] = {"POINT", "LINESTRING", "POLYGON",
                                       "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON"};
static const char *const FIELD_NAMES[] = {"text", "integer", "real", "date", "timestamp", "boolean"};
#define NFIELD_TYPES (sizeof FIELD_NAMES / sizeof *FIELD_NAMES)

const char *geom_kind_name(geom_kind kind) { return GEOM_NAMES[kind]; }
const char *geom_kind_sql_name(geom_kind kind) { return GEOM_SQL[kind]; }
const char *field_type_name(field_type type) { return FIELD_NAMES[type]; }

const char *layer_id_column(const layer_def *l) { return l->id_field ? l->id_field : "fid"; }

int field_type_numeric(field_type type)
{
    return type == FIELD_INTEGER || type == FIELD_REAL || type == FIELD_BOOLEAN;
}

static int days_in(int y, int m)
{
    static const int D[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 29 : D[m - 1];
}

/* Reads YYYY-MM-DD (or /) at s; the characters read, or 0. */
static int read_date(const char *s, int *y, int *m, int *d)
{
    int n = 0;
    char sep1, sep2;
    if (sscanf(s, "%4d%c%2d%c%2d%n", y, &sep1, m, &sep2, d, &n) != 5 || n != 10 || sep1 != sep2 ||
        (sep1 != '-' && sep1 != '/') || *m < 1 || *m > 12 || *d < 1 || *d > days_in(*y, *m) || *y < 1)
        return 0;
    return n;
}

int field_parse_date(const char *text, char out[11])
{
    int y, m, d;
    while (*text == ' ')
        text++;
    int n = read_date(text, &y, &m, &d);
    if (!n || (text[n] && text[n] != 'T' && text[n] != ' '))
        return -1;
    snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
    return 0;
}

int field_parse_timestamp(const char *text, char out[21])
{
    int y, m, d, hh = 0, mm = 0, ss = 0, n;
    while (*text == ' ')
        text++;
    if (!(n = read_date(text, &y, &m, &d)))
        return -1;
    const char *p = text + n;
    long offset = 0; /* seconds east of UTC */
    if (*p == 'T' || *p == 't' || *p == ' ') {
        int k = 0;
        if (sscanf(p + 1, "%2d:%2d%n", &hh, &mm, &k) != 2 || k != 5)
            return -1;
        p += 1 + k;
        if (*p == ':') {
            if (sscanf(p + 1, "%2d%n", &ss, &k) != 1 || k != 2)
                return -1;
            p += 1 + k;
            if (*p == '.' || *p == ',')
                for (p++; *p >= '0' && *p <= '9'; p++)
                    ;
        }
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int oh, om = 0;
            if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &k) == 2 && k == 5)
                ;
            else if (sscanf(p + 1, "%2d%2d%n", &oh, &om, &k) == 2 && k == 4)
                ;
            else if (sscanf(p + 1, "%2d%n", &oh, &k) == 1 && k == 2)
                om = 0;
            else
                return -1;
            offset = (*p == '-' ? -1 : 1) * (oh * 3600L + om * 60L);
            p += 1 + k;
        }
    }
    if (*p || hh > 23 || mm > 59 || ss > 60)
        return -1;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_hour = hh, .tm_min = mm, .tm_sec = ss};
    time_t t = timegm(&tm) - offset;
    struct tm u;
    gmtime_r(&t, &u);
    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &u);
    return 0;
}

int field_parse_boolean(const char *text, long long *out)
{
    static const char *const YES[] = {"true", "1", "yes", "t", "y", "是", NULL};
    static const char *const NO[] = {"false", "0", "no", "f", "n", "否", NULL};
    while (*text == ' ')
        text++;
    size_t n = strlen(text);
    while (n && text[n - 1] == ' ')
        n--;
    for (size_t i = 0; YES[i]; i++)
        if (strlen(YES[i]) == n && strncasecmp(text, YES[i], n) == 0)
            return *out = 1, 0;
    for (size_t i = 0; NO[i]; i++)
        if (strlen(NO[i]) == n && strncasecmp(text, NO[i], n) == 0)
            return *out = 0, 0;
    return -1;
}

/* Field names keep the source's case (NAME, POP_EST) and may be SQL
 * keywords (date, end): every statement quotes them. */
static int field_name_ok(const char *s)
{
    if (!s || !*s || strlen(s) > 63 || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

/* Layer and field names become SQL identifiers, so only a safe alphabet. */
static int identifier_ok(const char *s)
{
    if (!s || !*s || strlen(s) > 63 || !(*s >= 'a' && *s <= 'z'))
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

static char *dup_or_empty(const char *s) { return xstrdup(s ? s : ""); }

static void layer_def_clear(layer_def *l)
{
    free(l->id);
    free(l->title);
    free(l->description);
    free(l->id_field);
    free(l->label_layer);
    for (size_t i = 0; i < l->nfields; i++) {
        free(l->fields[i].name);
        free(l->fields[i].description);
    }
    free(l->fields);
    memset(l, 0, sizeof *l);
}

/* The index of the field named by member key of o into *index (-1 when o
 * or the member is absent); an unknown field is an error naming the file. */
static int field_of(json_t *o, const char *key, const char *path, const layer_def *l, int *index,
                    gisd_error *err)
{
    *index = -1;
    json_t *v = o ? json_object_get(o, key) : NULL;
    if (!v)
        return 0;
    if (!json_is_string(v) || (*index = layer_field_index(l, json_string_value(v))) < 0)
        return gisd_fail(err, GISD_E_INPUT, "%s: \"%s\" must name one of the fields", path, key);
    return 0;
}

static int parse_layer(json_t *root, const char *path, layer_def *l, gisd_error *err)
{
    const char *id = json_string_value(json_object_get(root, "id"));
    const char *geom = json_string_value(json_object_get(root, "geometry"));
    const char *idf = json_string_value(json_object_get(root, "id_field"));
    json_t *fields = json_object_get(root, "fields");
    if (!identifier_ok(id))
        return gisd_fail(err, GISD_E_INPUT,
                         "%s: \"id\" must be a lower-case name (a-z, 0-9, _)", path);
    if (!geom)
        return gisd_fail(err, GISD_E_INPUT, "%s: \"geometry\" is missing", path);
    if (!json_is_array(fields) || json_array_size(fields) == 0)
        return gisd_fail(err, GISD_E_INPUT, "%s: \"fields\" must be a non-empty array", path);
    int kind = -1;
    for (int i = 0; i < 6; i++)
        if (strcmp(geom, GEOM_NAMES[i]) == 0)
            kind = i;
    if (kind < 0)
        return gisd_fail(err, GISD_E_INPUT,
                         "%s: geometry \"%s\" is not one of Point, LineString, Polygon, "
                         "MultiPoint, MultiLineString, MultiPolygon", path, geom);
    l->id = xstrdup(id);
    l->title = dup_or_empty(json_string_value(json_object_get(root, "title")));
    l->description = dup_or_empty(json_string_value(json_object_get(root, "description")));
    l->geometry = (geom_kind)kind;
    json_t *mz = json_object_get(root, "minzoom"), *xz = json_object_get(root, "maxzoom");
    l->minzoom = json_is_integer(mz) ? (int)json_integer_value(mz) : 0;
    l->maxzoom = json_is_integer(xz) ? (int)json_integer_value(xz) : 22;
    l->nfields = json_array_size(fields);
    l->fields = xcalloc(l->nfields, sizeof *l->fields);
    for (size_t i = 0; i < l->nfields; i++) {
        json_t *f = json_array_get(fields, i);
        const char *name = json_string_value(json_object_get(f, "name"));
        const char *type = json_string_value(json_object_get(f, "type"));
        /* SQLite's column names ignore case: fid, geom and repeats are refused in any case */
        if (!field_name_ok(name) || strcasecmp(name, "fid") == 0 || strcasecmp(name, "geom") == 0)
            return gisd_fail(err, GISD_E_INPUT,
                             "%s: field %zu: \"name\" must be letters, digits and _ (not starting with a "
                             "digit), other than fid and geom", path, i + 1);
        for (size_t j = 0; j < i; j++)
            if (strcasecmp(l->fields[j].name, name) == 0)
                return gisd_fail(err, GISD_E_INPUT, "%s: field \"%s\" is defined twice", path, name);
        int t = -1;
        for (int k = 0; k < (int)NFIELD_TYPES && type; k++)
            if (strcmp(type, FIELD_NAMES[k]) == 0)
                t = k;
        if (t < 0)
            return gisd_fail(err, GISD_E_INPUT,
                             "%s: field \"%s\": \"type\" must be text, integer, real, date, timestamp or "
                             "boolean", path, name);
        l->fields[i].name = xstrdup(name);
        l->fields[i].type = (field_type)t;
        l->fields[i].description =
            dup_or_empty(json_string_value(json_object_get(f, "description")));
        json_t *lo = json_object_get(f, "min"), *hi = json_object_get(f, "max");
        if (lo || hi) {
            if (!json_is_number(lo) || !json_is_number(hi) || (t != FIELD_INTEGER && t != FIELD_REAL) ||
                json_number_value(lo) > json_number_value(hi))
                return gisd_fail(err, GISD_E_INPUT,
                                 "%s: field \"%s\": \"min\" and \"max\" go together, on a number field, "
                                 "min not above max", path, name);
            l->fields[i].has_range = 1;
            l->fields[i].min = json_number_value(lo);
            l->fields[i].max = json_number_value(hi);
        }
    }
    /* without an id field, features are numbered by their source's FID */
    int idx = idf ? layer_field_index(l, idf) : -1;
    if (idf && idx < 0)
        return gisd_fail(err, GISD_E_INPUT, "%s: \"id_field\" must name one of the fields", path);
    l->id_field = idf ? xstrdup(idf) : NULL;
    l->id_index = idf ? (size_t)idx : LAYER_NO_ID;
    int polygons = l->geometry == GEOM_POLYGON || l->geometry == GEOM_MULTIPOLYGON;
    int points = l->geometry == GEOM_POINT || l->geometry == GEOM_MULTIPOINT;
    if (field_of(root, "label", path, l, &l->label_index, err) != 0)
        return -1;
    if (l->label_index >= 0 && !polygons)
        return gisd_fail(err, GISD_E_INPUT, "%s: \"label\" is for polygon layers (points carry their own)", path);
    if (l->label_index >= 0) {
        strbuf name = {0};
        strbuf_printf(&name, "%s_label", l->id);
        l->label_layer = name.data;
    }
    json_t *ov = json_object_get(root, "overview");
    l->dissolve_index = l->group_index = l->sum_index = -1;
    if (ov && !json_is_object(ov))
        return gisd_fail(err, GISD_E_INPUT, "%s: \"overview\" must be an object", path);
    l->has_overview = ov != NULL;
    if (field_of(ov, "dissolve", path, l, &l->dissolve_index, err) != 0 ||
        field_of(ov, "group", path, l, &l->group_index, err) != 0 ||
        field_of(ov, "sum", path, l, &l->sum_index, err) != 0)
        return -1;
    if (ov && !polygons && !points)
        return gisd_fail(err, GISD_E_INPUT, "%s: \"overview\" is for polygon and point layers", path);
    if (ov && polygons && l->dissolve_index < 0)
        return gisd_fail(err, GISD_E_INPUT, "%s: a polygon layer's \"overview\" names the field to dissolve by", path);
    if (l->sum_index >= 0 && !field_type_numeric(l->fields[l->sum_index].type))
        return gisd_fail(err, GISD_E_INPUT, "%s: overview \"sum\" must name a number field", path);
    return 0;
}

static int load_file(const char *path, layer_def *l, gisd_error *err)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root)
        return gisd_fail(err, GISD_E_INPUT, "%s: line %d: %s", path, jerr.line, jerr.text);
    int rc = parse_layer(root, path, l, err);
    json_decref(root);
    return rc;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int layer_registry_load(const char *dir, layer_registry **out, gisd_error *err)
{
    *out = NULL;
    DIR *d = opendir(dir);
    if (!d)
        return gisd_fail(err, GISD_E_IO,
                         "cannot read the layer definitions in %s: pass --layers DIR", dir);
    char **names = NULL;
    size_t n = 0;
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        const char *suffix = ".layer.json";
        if (len > strlen(suffix) && strcmp(de->d_name + len - strlen(suffix), suffix) == 0) {
            char **grown = xrealloc(names, (n + 1) * sizeof *names);
            names = grown;
            names[n++] = xstrdup(de->d_name);
        }
    }
    closedir(d);
    layer_registry *reg = xcalloc(1, sizeof *reg);
    if (rc == 0 && !reg)
        rc = gisd_fail(err, GISD_E_INTERNAL, "out of memory");
    if (rc == 0 && n == 0)
        rc = gisd_fail(err, GISD_E_INPUT, "no *.layer.json files in %s", dir);
    if (rc == 0) {
        qsort(names, n, sizeof *names, name_cmp);
        reg->layers = xcalloc(n, sizeof *reg->layers);
        reg->dir = xstrdup(dir);
        for (size_t i = 0; i < n && rc == 0; i++) {
            char path[PATH_MAX];
            snprintf(path, sizeof path, "%s/%s", dir, names[i]);
            rc = load_file(path, &reg->layers[reg->n], err);
            reg->n++;
            for (size_t j = 0; rc == 0 && j + 1 < reg->n; j++)
                if (strcmp(reg->layers[j].id, reg->layers[reg->n - 1].id) == 0)
                    rc = gisd_fail(err, GISD_E_INPUT, "%s: layer \"%s\" is defined twice",
                                   path, reg->layers[j].id);
        }
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    if (rc != 0) {
        layer_registry_free(reg);
        return -1;
    }
    *out = reg;
    return 0;
}

void layer_registry_free(layer_registry *reg)
{
    if (!reg)
        return;
    for (size_t i = 0; i < reg->n; i++)
        layer_def_clear(&reg->layers[i]);
    free(reg->layers);
    free(reg->dir);
    free(reg);
}

const layer_def *layer_registry_find(const layer_registry *reg, const char *id)
{
    for (size_t i = 0; id && i < reg->n; i++)
        if (strcmp(reg->layers[i].id, id) == 0)
            return &reg->layers[i];
    return NULL;
}

int layer_field_index(const layer_def *layer, const char *name)
{
    for (size_t i = 0; i < layer->nfields; i++)
        if (strcmp(layer->fields[i].name, name) == 0)
            return (int)i;
    return -1;
}

const char *layers_default_dir(void)
{
    static char dir[PATH_MAX + 16];
    return paths_asset("GISD_LAYERS", "layers", "layers", dir, sizeof dir);
}
