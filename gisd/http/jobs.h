/* The asynchronous jobs (jobs.c): one table per server. */
#ifndef GISD_JOBS_H
#define GISD_JOBS_H

#include "milp.h"
#include "server.h"

/* The work of a job: run with w's store into out (as http_job_fn), telling
 * progress how a solve goes. */
typedef void (*job_work_fn)(void *work, const milp_progress *progress, worker *w, http_answer *out);

job_table *job_table_new(void);
/* Frees every job; call once nothing runs them any more (the pool is stopped). */
void job_table_free(job_table *t);
/* Queues work (taken: work_free frees it) as a new job of the process
 * process_id (static text) owned by r's token holder, and answers 201 with
 * its status and Location; 503 when the table or the queue is full. */
enum MHD_Result jobs_submit(http_req *r, const char *process_id, void *work, job_work_fn run,
                            void (*work_free)(void *));

#endif
