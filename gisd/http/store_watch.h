/* What the server keeps watching in the store (store_watch.c): a thread
 * running quick_check every interval (behind /healthz), and, on a store that
 * announces changes (PostgreSQL's NOTIFY), a listener that reloads the tile
 * snapshots another node's change made stale. */
#ifndef GISD_STORE_WATCH_H
#define GISD_STORE_WATCH_H

#include <stddef.h>

#include "layers.h"
#include "tiles.h"

typedef struct store_watch store_watch;

/* Starts both threads on the store db (reg and tiles borrowed, alive until
 * store_watch_stop); interval_s <= 0 means 300. Never fails: a thread that
 * cannot start is simply not there. */
store_watch *store_watch_start(const char *db, const layer_registry *reg, double interval_s, tile_source *tiles);
/* The last quick_check's outcome: 0 sound (or not checked yet), 1 damaged
 * with why in msg. */
int store_watch_damaged(store_watch *w, char *msg, size_t n);
/* Tells both threads to stop, without waiting. */
void store_watch_signal_stop(store_watch *w);
/* Stops both threads, waits for them and frees w (NULL: nothing). */
void store_watch_stop(store_watch *w);

#endif
