/* store_watch.h: the store checker and the change listener. */
#include "store_watch.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "store.h"
#include "xalloc.h"

struct store_watch {
    const char *db;
    const layer_registry *reg;
    double interval_s;
    tile_source *tiles;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int stopping, damaged;
    char damage[512];
    pthread_t checker, listener;
    int checker_started, listener_started;
};

static int stopping(store_watch *w)
{
    pthread_mutex_lock(&w->lock);
    int stop = w->stopping;
    pthread_mutex_unlock(&w->lock);
    return stop;
}

static void *checker_main(void *arg)
{
    store_watch *w = arg;
    pthread_mutex_lock(&w->lock);
    while (!w->stopping) {
        pthread_mutex_unlock(&w->lock);
        char msg[512] = "";
        gisd_error err = {0};
        store *st = NULL;
        int rc = store_open(w->db, STORE_READONLY, w->reg, &st, NULL, &err);
        if (rc == 0)
            rc = store_check(st, msg, sizeof msg, &err);
        store_close(st);
        pthread_mutex_lock(&w->lock);
        /* a check that could not run (cancelled at shutdown) leaves the last verdict */
        if (rc == 1 || (rc < 0 && (err.code == GISD_E_IO || err.code == GISD_E_UNAVAILABLE))) {
            w->damaged = 1;
            snprintf(w->damage, sizeof w->damage, "%.500s", rc == 1 ? msg : err.message);
        } else if (rc == 0) {
            w->damaged = 0;
        }
        if (w->stopping)
            break;
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        double interval = w->interval_s > 0 ? w->interval_s : 300;
        until.tv_sec += (time_t)interval;
        until.tv_nsec += (long)((interval - (double)(time_t)interval) * 1e9);
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&w->wake, &w->lock, &until);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

/* A change another node commits reloads, in the background, the tile
 * snapshots it made stale, so the first tile after it does not wait for
 * them. The change counters every tile request reads stay what guarantees
 * that no tile is stale. */
static void *listener_main(void *arg)
{
    store_watch *w = arg;
    long long *changes = xcalloc(w->reg->n + 1, sizeof *changes);
    store *st = NULL;
    while (!stopping(w)) {
        gisd_error err = {0};
        if (!st && store_open(w->db, STORE_READONLY, w->reg, &st, NULL, &err) != 0) {
            usleep(500000); /* the database is away: try again */
            continue;
        }
        int rc = store_wait_changes(st, 500, &err);
        if (rc < 0 && err.code == GISD_E_INPUT)
            break; /* a store without announcements: the counters alone */
        if (rc < 0) {
            store_close(st);
            st = NULL;
            usleep(500000);
        } else if (rc == 1 && store_layer_changes(st, changes, &err) == 0) {
            tile_source_refresh(w->tiles, changes);
        }
    }
    store_close(st);
    free(changes);
    return NULL;
}

store_watch *store_watch_start(const char *db, const layer_registry *reg, double interval_s, tile_source *tiles)
{
    store_watch *w = xcalloc(1, sizeof *w);
    *w = (store_watch){.db = db, .reg = reg, .interval_s = interval_s, .tiles = tiles};
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    w->checker_started = pthread_create(&w->checker, NULL, checker_main, w) == 0;
    w->listener_started = pthread_create(&w->listener, NULL, listener_main, w) == 0;
    return w;
}

int store_watch_damaged(store_watch *w, char *msg, size_t n)
{
    pthread_mutex_lock(&w->lock);
    int d = w->damaged;
    if (d)
        snprintf(msg, n, "%s", w->damage);
    pthread_mutex_unlock(&w->lock);
    return d;
}

void store_watch_signal_stop(store_watch *w)
{
    pthread_mutex_lock(&w->lock);
    w->stopping = 1;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
}

void store_watch_stop(store_watch *w)
{
    if (!w)
        return;
    store_watch_signal_stop(w);
    if (w->checker_started)
        pthread_join(w->checker, NULL);
    if (w->listener_started)
        pthread_join(w->listener, NULL);
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->lock);
    free(w);
}
