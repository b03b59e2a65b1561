/* A bounded pool of threads for long work (analyses, optimisations,
 * exports), apart from the HTTP threads so that slow work never holds up a
 * tile or a health check. Its threads run at a lower CPU priority. */
#ifndef GISD_JOBPOOL_H
#define GISD_JOBPOOL_H

typedef struct jobpool jobpool;

/* threads workers and room for queue_max jobs waiting; never NULL. */
jobpool *jobpool_new(unsigned threads, unsigned queue_max);
/* Queues run(arg); 0, or -1 (run not called) when queue_max jobs already wait
 * or the pool is stopping. */
int jobpool_submit(jobpool *p, void (*run)(void *arg), void *arg);
/* Jobs queued or running now. */
unsigned jobpool_load(jobpool *p);
/* Runs what is queued, waits for every job to end, then frees the pool. */
void jobpool_free(jobpool *p);

#endif
