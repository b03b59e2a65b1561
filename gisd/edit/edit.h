/* Editing (OGC API - Features Part 4): a feature body checked against its
 * layer's definition and brought to the store's form, JSON merge patches,
 * bearer tokens and their scopes, and reverting a recorded change. */
#ifndef GISD_EDIT_H
#define GISD_EDIT_H

#include <jansson.h>

#include "error.h"
#include "layers.h"
#include "store.h"

/* A feature as the store takes it: one value per field and WKB in EPSG:4490. */
typedef struct {
    store_value *values;
    char **texts; /* the values' strings, owned */
    size_t ntexts;
    unsigned char *wkb;
    size_t wkb_len;
    char id[STORE_ID_MAX + 1]; /* the feature's id as text */
} edit_feature;

/* Checks feature (a GeoJSON Feature, borrowed) against layer: every property
 * a field of the right type, the id field set (and equal to the Feature's
 * "id" when both are given), the geometry of the layer's kind, valid, in
 * crs (EPSG code; lonlat: CRS84 order) and brought to EPSG:4490. 0 with *out
 * filled (edit_feature_free), or -1 with an input error naming what is wrong. */
int edit_feature_parse(const layer_def *layer, json_t *feature, int crs, int lonlat, edit_feature *out,
                       gisd_error *err);
void edit_feature_free(edit_feature *f);

/* target with patch applied as a JSON merge patch (RFC 7386); a new value,
 * the caller's; target is borrowed. */
json_t *edit_merge_patch(json_t *target, json_t *patch);

/* A new bearer token: 256 random bits as 64 hex digits (out). */
int edit_token_new(char out[65], gisd_error *err);
/* The hex SHA-256 of token: what the store keeps. */
void edit_token_hash(const char *token, char out[65]);
/* A token's scope is a list of scopes, space-separated: "admin",
 * "write:parks,zones" (layers of the baseline), "admin:scenarios"
 * (create, drop, adopt and write any scenario), "write:scenarios" (write
 * any scenario), "write:scenario:SID" (write that one), "issue:opinions"
 * (issue compliance opinions into the register). */

/* 1 when scope lets its holder write layer of the baseline. */
int edit_scope_allows(const char *scope, const char *layer);
/* 1 when scope lets its holder write scenario sid (admin: create, drop or
 * adopt scenarios). */
int edit_scope_allows_scenario(const char *scope, const char *sid, int admin);
/* 1 when scope lets its holder issue opinions (issue:opinions or admin). */
int edit_scope_allows_opinions(const char *scope);
/* 1 when scope holds "admin" (every job, every scope). */
int edit_scope_admin(const char *scope);
/* 1 when every scope of the list is well formed (layer ids of reg). */
int edit_scope_valid(const layer_registry *reg, const char *scope, gisd_error *err);

/* Undoes the recorded change: a created feature deleted, a deleted one
 * restored, a replaced one set back, as a new change by who (*undo its
 * number). An import cannot be reverted one change at a time (GISD_E_INPUT).
 * A feature that later changes touched is GISD_E_CONFLICT naming them,
 * unless cascade: then the feature goes back to its state before change in
 * one write, undoing them all. A feature no longer as the change left it
 * is GISD_E_STALE. A change made in a scenario is undone in that scenario
 * (only its own later changes count). 0 or -1 with err; nothing is written
 * on failure. */
int edit_revert(store *s, const layer_registry *reg, long long change, int cascade, const char *who,
                long long *undo, gisd_error *err);

/* Adopts scenario sid: its changes written to its base (the baseline or
 * another scenario) in one transaction by who, each with its history row
 * (*history their numbers, oldest first: gisd revert of each, newest first,
 * undoes it), and the scenario emptied of them. GISD_E_CONFLICT with
 * *conflicts (as store_scenario_conflicts', the caller's) when its base
 * changed under a change; nothing is written then, nor on any failure. */
int edit_adopt(store *s, const layer_registry *reg, const char *sid, const char *who, json_t **history,
               json_t **conflicts, gisd_error *err);

/* Makes layer l in dst's scenario what src holds (an import of a file into
 * a store of its own): each feature src has and dst lacks added, each that
 * differs replaced, each dst has and src lacks deleted, by id, in one
 * transaction (counts: added, replaced, deleted). 0, or -1 with err and
 * nothing written. */
int edit_layer_into_scenario(store *dst, store *src, const layer_def *l, const char *who, long counts[3],
                             gisd_error *err);

#endif
