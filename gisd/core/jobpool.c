#include "jobpool.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "xalloc.h"

typedef struct {
    void (*run)(void *);
    void *arg;
} job;

struct jobpool {
    pthread_mutex_t lock;
    pthread_cond_t more;
    job *queue; /* a ring of queue_max */
    unsigned queue_max, head, count, running, nthreads;
    int stopping;
    pthread_t *threads;
};

static void *worker_main(void *arg)
{
    jobpool *p = arg;
    /* Linux gives each thread its own nice value: analyses yield the CPU to
     * the HTTP threads. Failing to lower it only costs latency. */
    (void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (p->count == 0 && !p->stopping)
            pthread_cond_wait(&p->more, &p->lock);
        if (p->count == 0)
            break;
        job j = p->queue[p->head];
        p->head = (p->head + 1) % p->queue_max;
        p->count--;
        p->running++;
        pthread_mutex_unlock(&p->lock);
        j.run(j.arg);
        pthread_mutex_lock(&p->lock);
        p->running--;
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

jobpool *jobpool_new(unsigned threads, unsigned queue_max)
{
    jobpool *p = xcalloc(1, sizeof *p);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->more, NULL);
    p->queue_max = queue_max ? queue_max : 1;
    p->queue = xcalloc(p->queue_max, sizeof *p->queue);
    p->threads = xcalloc(threads ? threads : 1, sizeof *p->threads);
    for (unsigned i = 0; i < (threads ? threads : 1); i++)
        if (pthread_create(&p->threads[p->nthreads], NULL, worker_main, p) == 0)
            p->nthreads++;
    if (p->nthreads == 0) {
        /* like memory: without a thread to run them, no job can ever end */
        fprintf(stderr, "gisd: cannot start a worker thread\n");
        abort();
    }
    return p;
}

int jobpool_submit(jobpool *p, void (*run)(void *), void *arg)
{
    pthread_mutex_lock(&p->lock);
    if (p->stopping || p->count == p->queue_max) {
        pthread_mutex_unlock(&p->lock);
        return -1;
    }
    p->queue[(p->head + p->count) % p->queue_max] = (job){run, arg};
    p->count++;
    pthread_cond_signal(&p->more);
    pthread_mutex_unlock(&p->lock);
    return 0;
}

unsigned jobpool_load(jobpool *p)
{
    pthread_mutex_lock(&p->lock);
    unsigned n = p->count + p->running;
    pthread_mutex_unlock(&p->lock);
    return n;
}

void jobpool_free(jobpool *p)
{
    pthread_mutex_lock(&p->lock);
    p->stopping = 1;
    pthread_cond_broadcast(&p->more);
    pthread_mutex_unlock(&p->lock);
    for (unsigned i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->more);
    pthread_mutex_destroy(&p->lock);
    free(p->threads);
    free(p->queue);
    free(p);
}
