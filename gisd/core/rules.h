/* The site-check rules file (layers/site-rules.json): allowed land uses and
 * setbacks per project class, which sensitive kinds count, the heating radius. */
#ifndef GISD_RULES_H
#define GISD_RULES_H

#include <stddef.h>

#include <jansson.h>

#include "error.h"

#define RULES_MAX 32

typedef struct {
    char name[32];
    char title[128]; /* what the opinion calls the class: "三类工业项目"; "" when the file names none */
    char allowed[RULES_MAX][16];
    size_t nallowed;
    double setback_m;
} rules_class;

/* A health-protection distance table of one industry (卫生防护距离): by
 * scale (the largest min_scale not above the project's) and mean wind speed
 * band (below wind_bands_mps[0], between, above [1]). */
#define RULES_TABLE_ROWS 16
typedef struct {
    char industry[32];
    char title[128];     /* "水泥制造" */
    char scale_unit[32]; /* "kt/a" */
    char citation[512];  /* the standard the table comes from */
    struct {
        double min_scale;
        double distance_m[3];
    } rows[RULES_TABLE_ROWS];
    size_t nrows;
} rules_setback_table;

typedef struct {
    double heating_radius_m;
    rules_class classes[RULES_MAX];
    size_t nclasses;
    char setback_kinds[RULES_MAX][32];
    size_t nsetback;
    char protected_kinds[RULES_MAX][32];
    size_t nprotected;
    /* land uses counted as homes by the setback, besides GB 50137's R classes
     * (every code beginning with R): "residential_land_uses", optional */
    char residential_uses[RULES_MAX][32];
    size_t nresidential;
    /* the standard or regulation each rule applies, as the opinion cites
     * it: "citations": {"land_use": "GB 50137-2011 ...", ...}, optional */
    struct {
        char rule[32];
        char text[512];
    } citations[8];
    size_t ncitations;
    /* who issues the opinions and how they are numbered: "opinion":
     * {"authority", "code", "number"}, optional; number is a pattern of
     * {code} (the authority's 机关代字, else its name), {authority}, {year}
     * and {serial} (GB/T 9704: no leading zeros), default
     * "{code}〔{year}〕{serial}号" */
    /* "setback_tables": {"wind_bands_mps", "default_wind_mps", "industries"}, optional */
    double wind_bands_mps[2];
    double default_wind_mps;
    rules_setback_table tables[8];
    size_t ntables;
    char authority[256];
    char authority_code[64];
    char number_pattern[128];
} site_rules;

/* Loads and validates path (NULL: site-rules.json in layers_dir); a malformed
 * file is refused with its line and reason. */
int rules_load(const char *path, const char *layers_dir, site_rules *out, gisd_error *err);
/* The class named, or NULL. Borrowed. */
const rules_class *rules_find_class(const site_rules *r, const char *name);
/* The citation of rule (inside_park, land_use, ...), or NULL. Borrowed. */
const char *rules_citation(const site_rules *r, const char *rule);
/* The table of industry, or NULL. Borrowed. */
const rules_setback_table *rules_find_table(const site_rules *r, const char *industry);
/* The distance t requires of a project of scale at mean wind wind_mps: 1
 * with *metres, or 0 when the project is below every row of the table. */
int rules_table_distance(const site_rules *r, const rules_setback_table *t, double scale, double wind_mps,
                         double *metres);
/* The opinion number of serial in year by r's pattern into out (n bytes). */
void rules_opinion_number(const site_rules *r, int year, long long serial, char *out, size_t n);
/* The rules as the server states them (GET /site-rules): the classes in the
 * file's order with their titles, the kinds, the citations. New reference. */
json_t *rules_json(const site_rules *r);

#endif
