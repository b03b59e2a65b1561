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
/* The opinion number of serial in year by r's pattern into out (n bytes). */
void rules_opinion_number(const site_rules *r, int year, long long serial, char *out, size_t n);
/* The rules as the server states them (GET /site-rules): the classes in the
 * file's order with their titles, the kinds, the citations. New reference. */
json_t *rules_json(const site_rules *r);

#endif
