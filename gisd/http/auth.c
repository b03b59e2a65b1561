/* Who may call: bearer tokens (hashed, looked up in the store's tokens),
 * their scopes, the HTTPS rule for writes, and the throttling of addresses
 * that send bad tokens. Reads (under --require-token-for-reads) and writes
 * both come here. */
#include "auth.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cancel.h"
#include "edit.h"
#include "http.h"
#include "xalloc.h"

/* Bad tokens: an address that sent AUTH_MAX_FAILURES within AUTH_WINDOW_S
 * waits out the window (429) before it may try again. */
#define AUTH_TRACKED 256
#define AUTH_MAX_FAILURES 5
#define AUTH_WINDOW_S 60.0

struct auth_table {
    pthread_mutex_t lock;
    struct {
        char ip[80]; /* the key: address and token prefix */
        int failures;
        double since;
    } bad[AUTH_TRACKED];
};

auth_table *auth_table_new(void)
{
    auth_table *t = xcalloc(1, sizeof *t);
    pthread_mutex_init(&t->lock, NULL);
    return t;
}

void auth_table_free(auth_table *t)
{
    if (!t)
        return;
    pthread_mutex_destroy(&t->lock);
    free(t);
}

/* 1 when key sent AUTH_MAX_FAILURES bad tokens within the window. */
static int throttled(auth_table *t, const char *key)
{
    double now = cancel_now();
    int throttled = 0;
    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < AUTH_TRACKED; i++)
        if (strcmp(t->bad[i].ip, key) == 0 && now - t->bad[i].since < AUTH_WINDOW_S)
            throttled = t->bad[i].failures >= AUTH_MAX_FAILURES;
    pthread_mutex_unlock(&t->lock);
    return throttled;
}

/* Counts one more bad token of key. */
static void failed(auth_table *t, const char *key)
{
    double now = cancel_now();
    pthread_mutex_lock(&t->lock);
    size_t slot = 0, oldest = 0;
    int found = 0;
    for (size_t i = 0; i < AUTH_TRACKED && !found; i++) {
        if (strcmp(t->bad[i].ip, key) == 0) {
            slot = i;
            found = 1;
        } else if (t->bad[i].since < t->bad[oldest].since) {
            oldest = i;
        }
    }
    if (!found) {
        slot = oldest;
        snprintf(t->bad[slot].ip, sizeof t->bad[slot].ip, "%s", key);
        t->bad[slot].failures = 0;
        t->bad[slot].since = now;
    }
    if (now - t->bad[slot].since >= AUTH_WINDOW_S) {
        t->bad[slot].failures = 0;
        t->bad[slot].since = now;
    }
    t->bad[slot].failures++;
    pthread_mutex_unlock(&t->lock);
}

/* The bearer token's holder (who) when it is valid; else the answer is sent
 * (*ret) and 0 returned. write: a write of layer l (its scope is checked). */
/* write: 0 a read, 1 a write of l (in r->scenario when set), 2 creating,
 * dropping or adopting a scenario, 3 issuing an opinion. */
static int authorize(http_req *r, const layer_def *l, int write, char who[128], enum MHD_Result *ret)
{
    const server_config *cfg = server_config_of(r->srv);
    static const char *const challenge[][2] = {{"WWW-Authenticate", "Bearer realm=\"gisd\""}, {NULL, NULL}};
    if (write && !server_tls(r->srv) && !server_loopback(r->srv) && !cfg->allow_insecure_writes) {
        *ret = http_reply_error(r, 403, "Forbidden",
                                "writes need HTTPS (--tls-cert and --tls-key) on an address other than loopback, "
                                "or --allow-insecure-writes");
        return 0;
    }
    char ip[64], key[80];
    server_client_address(r, ip, sizeof ip);
    const char *auth = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Authorization");
    if (!auth || strncasecmp(auth, "Bearer ", 7) != 0) {
        json_t *doc = json_pack("{s:s, s:s, s:i}", "code", "Unauthorized", "description",
                                write ? "a write needs Authorization: Bearer TOKEN (gisd token add)"
                                      : "this server needs Authorization: Bearer TOKEN for reads too",
                                "status", 401);
        char *text = json_dumps(doc, JSON_COMPACT);
        json_decref(doc);
        const char *hdrs[][2] = {{"Content-Type", MEDIA_JSON}, {challenge[0][0], challenge[0][1]}, {NULL, NULL}};
        *ret = http_send_owned(r, 401, text, strlen(text), hdrs);
        return 0;
    }
    /* a token is 64 random hex digits, which no guessing finds: the count
     * is kept per address and the token's first 8 characters */
    const char *token = auth + 7;
    while (*token == ' ')
        token++;
    snprintf(key, sizeof key, "%s|%.8s", ip, token);
    if (throttled(server_auth(r->srv), key)) {
        static const char *const later[][2] = {{"Retry-After", "60"}, {NULL, NULL}};
        json_t *doc = json_pack("{s:s, s:s, s:i}", "code", "TooManyRequests", "description",
                                "too many bad tokens like this one from this address: wait a minute", "status", 429);
        char *text = json_dumps(doc, JSON_COMPACT);
        json_decref(doc);
        const char *hdrs[][2] = {{"Content-Type", MEDIA_JSON}, {later[0][0], later[0][1]}, {NULL, NULL}};
        *ret = http_send_owned(r, 429, text, strlen(text), hdrs);
        return 0;
    }
    char hash[65], scope[512];
    edit_token_hash(token, hash);
    gisd_error err = {0};
    worker *w = server_worker_acquire(r->srv, &err);
    store_found found = w ? store_token_find(w->st, hash, who, scope, &err) : STORE_FAILED;
    server_worker_release(r->srv, w);
    if (found == STORE_FAILED) {
        *ret = http_reply_gisd_error(r, &err);
        return 0;
    }
    if (found == STORE_ABSENT) {
        failed(server_auth(r->srv), key);
        *ret = http_reply_error(r, 401, "Unauthorized", "the token is not valid (unknown or revoked)");
        return 0;
    }
    snprintf(r->who, sizeof r->who, "%s", who);
    r->admin = edit_scope_admin(scope);
    if (write == 2 && !edit_scope_allows_scenario(scope, "", 1)) {
        *ret = http_reply_error(r, 403, "Forbidden", "token %s (%s) may not create, drop or adopt scenarios: "
                                "that needs admin:scenarios", who, scope);
        return 0;
    }
    if (write == 3 && !edit_scope_allows_opinions(scope)) {
        *ret = http_reply_error(r, 403, "Forbidden", "token %s (%s) may not issue opinions: that needs issue:opinions",
                                who, scope);
        return 0;
    }
    if (write == 1 && r->scenario[0] && !edit_scope_allows_scenario(scope, r->scenario, 0)) {
        *ret = http_reply_error(r, 403, "Forbidden", "token %s (%s) may not write scenario %s: that needs "
                                "write:scenarios or write:scenario:%s", who, scope, r->scenario, r->scenario);
        return 0;
    }
    if (write == 1 && !r->scenario[0] && !edit_scope_allows(scope, l->id)) {
        *ret = http_reply_error(r, 403, "Forbidden", "token %s may write %s, not %s", who, scope, l->id);
        return 0;
    }
    return 1;
}

int http_scenario_admin_allowed(http_req *r, char who[128], enum MHD_Result *ret)
{
    return authorize(r, NULL, 2, who, ret);
}

int http_opinion_issue_allowed(http_req *r, char who[128], enum MHD_Result *ret)
{
    return authorize(r, NULL, 3, who, ret);
}

int http_write_allowed(http_req *r, const layer_def *l, char who[128], enum MHD_Result *ret)
{
    return authorize(r, l, 1, who, ret);
}

int http_read_allowed(http_req *r, enum MHD_Result *ret)
{
    if (!server_config_of(r->srv)->require_token_for_reads)
        return 1;
    char who[128];
    return authorize(r, NULL, 0, who, ret);
}
