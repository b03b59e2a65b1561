#include "metrics.h"
#include "xalloc.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SERIES 256
static const double BUCKETS[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define NBUCKETS (sizeof BUCKETS / sizeof *BUCKETS)

typedef struct {
    const char *route;
    unsigned status;
    unsigned long long count;
} series;

struct metrics {
    pthread_mutex_t lock;
    series s[MAX_SERIES];
    size_t n;
    unsigned long long bucket[NBUCKETS + 1];
    double sum;
    unsigned long long observations;
    long long features;
};

metrics *metrics_new(void)
{
    metrics *m = xcalloc(1, sizeof *m);
    if (m)
        pthread_mutex_init(&m->lock, NULL);
    return m;
}

void metrics_free(metrics *m)
{
    if (!m)
        return;
    pthread_mutex_destroy(&m->lock);
    free(m);
}

void metrics_record(metrics *m, const char *route, unsigned status, double seconds)
{
    pthread_mutex_lock(&m->lock);
    size_t i;
    for (i = 0; i < m->n; i++)
        if (m->s[i].route == route && m->s[i].status == status)
            break;
    if (i == m->n && m->n < MAX_SERIES)
        m->s[m->n++] = (series){route, status, 0};
    if (i < m->n)
        m->s[i].count++;
    size_t b = 0;
    while (b < NBUCKETS && seconds > BUCKETS[b])
        b++;
    m->bucket[b]++;
    m->sum += seconds;
    m->observations++;
    pthread_mutex_unlock(&m->lock);
}

void metrics_add_features(metrics *m, long long n)
{
    pthread_mutex_lock(&m->lock);
    m->features += n;
    pthread_mutex_unlock(&m->lock);
}

char *metrics_render(metrics *m)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    pthread_mutex_lock(&m->lock);
    fputs("# HELP gisd_http_requests_total HTTP requests by route and status.\n"
          "# TYPE gisd_http_requests_total counter\n", f);
    for (size_t i = 0; i < m->n; i++)
        fprintf(f, "gisd_http_requests_total{route=\"%s\",status=\"%u\"} %llu\n", m->s[i].route,
                m->s[i].status, m->s[i].count);
    fputs("# HELP gisd_http_request_duration_seconds Time to answer a request.\n"
          "# TYPE gisd_http_request_duration_seconds histogram\n", f);
    unsigned long long cum = 0;
    for (size_t b = 0; b < NBUCKETS; b++) {
        cum += m->bucket[b];
        fprintf(f, "gisd_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n", BUCKETS[b], cum);
    }
    cum += m->bucket[NBUCKETS];
    fprintf(f, "gisd_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n", cum);
    fprintf(f, "gisd_http_request_duration_seconds_sum %.6f\n", m->sum);
    fprintf(f, "gisd_http_request_duration_seconds_count %llu\n", m->observations);
    fprintf(f, "# HELP gisd_features_served_total Features sent in responses.\n"
               "# TYPE gisd_features_served_total counter\n"
               "gisd_features_served_total %lld\n", m->features);
    pthread_mutex_unlock(&m->lock);
    fclose(f);
    return buf;
}
