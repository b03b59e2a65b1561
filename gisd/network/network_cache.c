/* The networks held between requests: built once per store, scenario,
 * roads version and CRS, shared by every thread, kept while in use. A
 * scenario's network is built per request: its roads are the base's with
 * the scenario's changes, which move no change counter. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "network.h"
#include "xalloc.h"

#define CACHED 4

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static network *cache[CACHED]; /* the most recently used first */

static void drop(network *n)
{
    sqlite3_free(n->cache_key);
    n->cache_key = NULL;
    network_free(n);
}

int network_get(store *s, const layer_registry *reg, int srid, const network **out, gisd_error *err)
{
    *out = NULL;
    const layer_def *l = layer_registry_find(reg, "roads");
    store_layer_stats st;
    if (l && store_layer_stats_get(s, l, &st, err) != 0)
        return -1;
    if (l && st.count == 0)
        return gisd_fail(err, GISD_E_INPUT,
                         "distance=network needs roads, and the roads layer is empty: import them first (gisd "
                         "import --db DB --layer roads roads.geojson, or a manifest listing the roads)");
    char *key = l && !store_in_scenario(s)
                    ? sqlite3_mprintf("%s|%d|%lld|%lld", store_location(s), srid, st.changes, st.count)
                    : NULL;
    if (key) {
        pthread_mutex_lock(&lock);
        for (int i = 0; i < CACHED; i++)
            if (cache[i] && strcmp(cache[i]->cache_key, key) == 0) {
                network *n = cache[i];
                memmove(&cache[1], &cache[0], (size_t)i * sizeof *cache);
                cache[0] = n;
                n->refs++;
                *out = n;
                break;
            }
        pthread_mutex_unlock(&lock);
        if (*out) {
            sqlite3_free(key);
            return 0;
        }
    }
    /* built outside the lock: two threads may both build one, and the
     * second's is kept for itself alone */
    network *n;
    if (network_build(s, reg, srid, &n, err) != 0) {
        sqlite3_free(key);
        return -1;
    }
    n->refs = 1;
    if (key) {
        pthread_mutex_lock(&lock);
        int dup = 0;
        for (int i = 0; i < CACHED; i++)
            dup |= cache[i] && strcmp(cache[i]->cache_key, key) == 0;
        if (!dup) {
            network *old = cache[CACHED - 1];
            memmove(&cache[1], &cache[0], (CACHED - 1) * sizeof *cache);
            cache[0] = n;
            n->cache_key = key;
            n->refs++;
            key = NULL;
            if (old && --old->refs == 0)
                drop(old);
            else if (old) {
                sqlite3_free(old->cache_key);
                old->cache_key = NULL;
            }
        }
        pthread_mutex_unlock(&lock);
        sqlite3_free(key);
    }
    *out = n;
    return 0;
}

void network_release(const network *cn)
{
    if (!cn)
        return;
    network *n = (network *)cn;
    pthread_mutex_lock(&lock);
    long left = --n->refs;
    pthread_mutex_unlock(&lock);
    if (left == 0)
        drop(n);
}

void network_cache_clear(void)
{
    pthread_mutex_lock(&lock);
    for (int i = 0; i < CACHED; i++) {
        network *n = cache[i];
        cache[i] = NULL;
        if (n && --n->refs == 0)
            drop(n);
        else if (n) {
            sqlite3_free(n->cache_key);
            n->cache_key = NULL;
        }
    }
    pthread_mutex_unlock(&lock);
}
