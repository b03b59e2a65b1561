/* Prometheus metrics: requests by route and status, latency, features served. */
#ifndef GISD_METRICS_H
#define GISD_METRICS_H

#include <stddef.h>

typedef struct metrics metrics;

metrics *metrics_new(void);
void metrics_free(metrics *m);
/* route is a static string (the route's pattern). */
void metrics_record(metrics *m, const char *route, unsigned status, double seconds);
void metrics_add_features(metrics *m, long long n);
/* The Prometheus text exposition; the caller frees it. */
char *metrics_render(metrics *m);

#endif
