/* The asynchronous jobs of OGC API - Processes (Prefer: respond-async):
 * the server's table of them, each job's life (accepted, running, then
 * successful, failed or dismissed) and the /jobs routes that show it.
 * A job's record belongs to the table; the work that runs it holds a
 * pointer to it until job_run returns, so a record is freed only once its
 * run has returned (ran), whatever its status says: a dismissed job's
 * solver may still be stopping. */
#include "jobs.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "cancel.h"
#include "http.h"
#include "report.h"
#include "routes.h"
#include "xalloc.h"

#define JOBS_KEPT 100

typedef enum { JOB_ACCEPTED, JOB_RUNNING, JOB_SUCCESSFUL, JOB_FAILED, JOB_DISMISSED } job_status;
static const char *const STATUS[] = {"accepted", "running", "successful", "failed", "dismissed"};

typedef struct {
    char id[33]; /* 128 random bits in hex: not to be guessed */
    char owner[128]; /* the token holder who created it ("" without read tokens) */
    char scenario[65]; /* the scenario it runs in, "" for the baseline */
    gisd_server *srv;
    job_table *table;
    const char *process_id; /* static: the catalog's */
    void *work;
    job_work_fn run;
    void (*work_free)(void *);
    job_status status;
    int progress;
    milp_progress solver; /* tells job_progress how the solve goes */
    int ran;    /* job_run has returned: nothing refers to the record any more */
    int cancel; /* read by cancel_requested() in the job's thread */
    time_t created, started, finished;
    char *result;
    gisd_error err;
} job;

struct job_table {
    pthread_mutex_t lock;
    job *jobs[JOBS_KEPT];
    size_t n;
};

static void job_free(job *j)
{
    if (!j)
        return;
    if (j->work)
        j->work_free(j->work);
    free(j->result);
    free(j);
}

job_table *job_table_new(void)
{
    job_table *t = xcalloc(1, sizeof *t);
    pthread_mutex_init(&t->lock, NULL);
    return t;
}

void job_table_free(job_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        job_free(t->jobs[i]);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

/* A solve's state as the job's percentage: 10 once running, then up to 95
 * with the share of the optimality gap closed (CBC's messages and the
 * p-median's rounds tell). */
static void job_progress(void *ud, double incumbent, double bound)
{
    job *j = ud;
    if (isnan(incumbent) || isnan(bound))
        return;
    double gap = fabs(incumbent - bound) / fmax(1, fabs(incumbent));
    int pct = 10 + (int)(85 * (1 - fmin(1, gap)));
    pthread_mutex_lock(&j->table->lock);
    if (j->status == JOB_RUNNING && pct > j->progress)
        j->progress = pct;
    pthread_mutex_unlock(&j->table->lock);
}

static void job_run(void *arg)
{
    job *j = arg;
    pthread_mutex_lock(&j->table->lock);
    if (j->status == JOB_DISMISSED) {
        j->ran = 1;
        pthread_mutex_unlock(&j->table->lock);
        return;
    }
    j->status = JOB_RUNNING;
    j->progress = 10;
    j->started = time(NULL);
    pthread_mutex_unlock(&j->table->lock);
    /* the same deadline as a synchronous call, from the moment it starts */
    cancel_set_deadline(cancel_now() + server_config_of(j->srv)->analysis_timeout_s);
    cancel_set_flag(&j->cancel);
    j->solver = (milp_progress){job_progress, j, 1};
    http_answer a = {0};
    worker *w = server_worker_for(j->srv, j->scenario, &a.err);
    if (w) {
        j->run(j->work, &j->solver, w, &a);
        server_worker_release(j->srv, w);
    }
    server_explain_timeout(j->srv, &a);
    cancel_set_flag(NULL);
    cancel_set_deadline(0);
    pthread_mutex_lock(&j->table->lock);
    if (j->status != JOB_DISMISSED) {
        j->status = a.body ? JOB_SUCCESSFUL : JOB_FAILED;
        j->result = a.body;
        a.body = NULL;
        j->err = a.err;
    }
    j->progress = 100;
    j->finished = time(NULL);
    j->ran = 1;
    pthread_mutex_unlock(&j->table->lock);
    free(a.body);
}

static void iso_time(time_t t, char *buf, size_t n)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The status document of j (its table's lock held). */
static json_t *job_status_doc(http_req *r, const job *j)
{
    char c[32], s[32], f[32];
    iso_time(j->created, c, sizeof c);
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:i, s:s}", "jobID", j->id, "type", "process",
                            "processID", j->process_id, "status", STATUS[j->status],
                            "progress", j->progress, "created", c);
    if (j->started) {
        iso_time(j->started, s, sizeof s);
        json_object_set_new(doc, "started", json_string(s));
    }
    if (j->finished) {
        iso_time(j->finished, f, sizeof f);
        json_object_set_new(doc, "finished", json_string(f));
    }
    if (j->status == JOB_FAILED)
        json_object_set_new(doc, "message", json_string(j->err.message));
    json_t *links = json_array();
    json_array_append_new(links, http_link(r, "self", MEDIA_JSON, "this job", "/jobs/%s", j->id));
    if (j->status == JOB_SUCCESSFUL)
        json_array_append_new(links, http_link(r, "http://www.opengis.net/def/rel/ogc/1.0/results",
                                               MEDIA_JSON, "the results", "/jobs/%s/results", j->id));
    json_object_set_new(doc, "links", links);
    return doc;
}

/* Makes room for one more job: the oldest one whose run has returned goes
 * (t->lock held). */
static int jobs_make_room(job_table *t)
{
    if (t->n < JOBS_KEPT)
        return 0;
    for (size_t i = 0; i < t->n; i++)
        if (t->jobs[i]->ran) {
            job_free(t->jobs[i]);
            memmove(&t->jobs[i], &t->jobs[i + 1], (t->n - i - 1) * sizeof *t->jobs);
            t->n--;
            return 0;
        }
    return -1;
}

enum MHD_Result jobs_submit(http_req *r, const char *process_id, void *work, job_work_fn run,
                            void (*work_free)(void *))
{
    job_table *t = server_job_table(r->srv);
    job *j = xcalloc(1, sizeof *j);
    *j = (job){.srv = r->srv, .table = t, .process_id = process_id, .work = work, .run = run,
               .work_free = work_free, .created = time(NULL)};
    snprintf(j->owner, sizeof j->owner, "%s", r->who);
    memcpy(j->scenario, r->scenario, sizeof j->scenario);
    unsigned char raw[16];
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) {
        job_free(j);
        return http_reply_error(r, 503, "ServiceUnavailable", "the system gave no random bytes for a job id; retry");
    }
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(j->id + 2 * i, 3, "%02x", raw[i]);
    pthread_mutex_lock(&t->lock);
    if (jobs_make_room(t) != 0) {
        pthread_mutex_unlock(&t->lock);
        job_free(j);
        return http_reply_error(r, 503, "ServiceUnavailable", "%d jobs are queued or running; retry shortly",
                                JOBS_KEPT);
    }
    t->jobs[t->n++] = j;
    if (server_submit(r->srv, job_run, j) != 0) {
        t->n--;
        pthread_mutex_unlock(&t->lock);
        job_free(j);
        return http_reply_error(r, 503, "ServiceUnavailable",
                                "the job queue is full (--analysis-queue); retry shortly");
    }
    json_t *doc = job_status_doc(r, j);
    pthread_mutex_unlock(&t->lock);
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    char location[600];
    snprintf(location, sizeof location, "%s/jobs/%s", r->base, j->id);
    const char *hdrs[][2] = {{"Content-Type", MEDIA_JSON}, {"Location", location}, {NULL, NULL}};
    return http_send_owned(r, 201, text, strlen(text), hdrs);
}

/* j may be seen by r: a job made with a token is its holder's (and an
 * admin's); one made without is anyone's who knows its id. */
static int job_visible(const http_req *r, const job *j)
{
    return !j->owner[0] || r->admin || strcmp(j->owner, r->who) == 0;
}

/* The job called id that r may see, or NULL (t->lock held): another
 * holder's job is answered as absent, so ids cannot be probed. */
static job *job_find_locked(job_table *t, const http_req *r, const char *id)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->jobs[i]->id, id) == 0)
            return job_visible(r, t->jobs[i]) ? t->jobs[i] : NULL;
    return NULL;
}

enum MHD_Result http_jobs(http_req *r)
{
    job_table *t = server_job_table(r->srv);
    json_t *list = json_array();
    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < t->n; i++)
        if (job_visible(r, t->jobs[i]))
            json_array_append_new(list, job_status_doc(r, t->jobs[i]));
    pthread_mutex_unlock(&t->lock);
    json_t *links = json_array();
    json_array_append_new(links, http_link(r, "self", MEDIA_JSON, "the jobs", "/jobs"));
    return http_reply_json(r, 200, json_pack("{s:o, s:o}", "jobs", list, "links", links), MEDIA_JSON);
}

enum MHD_Result http_job(http_req *r)
{
    job_table *t = server_job_table(r->srv);
    pthread_mutex_lock(&t->lock);
    job *j = job_find_locked(t, r, r->params[0]);
    json_t *doc = j ? job_status_doc(r, j) : NULL;
    pthread_mutex_unlock(&t->lock);
    if (!doc)
        return http_reply_error(r, 404, "NoSuchJob", "there is no job \"%s\"; see /jobs", r->params[0]);
    return http_reply_json(r, 200, doc, MEDIA_JSON);
}

enum MHD_Result http_job_dismiss(http_req *r)
{
    job_table *t = server_job_table(r->srv);
    pthread_mutex_lock(&t->lock);
    job *j = job_find_locked(t, r, r->params[0]);
    json_t *doc = NULL;
    if (j) {
        /* a queued job never starts; a running one stops at its next check
         * (GEOS, SQLite, the p-median's rounds) or has its CBC process
         * killed, and its answer is dropped */
        __atomic_store_n(&j->cancel, 1, __ATOMIC_RELAXED);
        j->status = JOB_DISMISSED;
        free(j->result);
        j->result = NULL;
        doc = job_status_doc(r, j);
    }
    pthread_mutex_unlock(&t->lock);
    if (!doc)
        return http_reply_error(r, 404, "NoSuchJob", "there is no job \"%s\"; see /jobs", r->params[0]);
    return http_reply_json(r, 200, doc, MEDIA_JSON);
}

enum MHD_Result http_job_results(http_req *r)
{
    job_table *t = server_job_table(r->srv);
    pthread_mutex_lock(&t->lock);
    job *j = job_find_locked(t, r, r->params[0]);
    char *text = j && j->result ? xstrdup(j->result) : NULL;
    int status = j ? (int)j->status : -1;
    gisd_error err = j ? j->err : (gisd_error){0};
    pthread_mutex_unlock(&t->lock);
    if (status < 0)
        return http_reply_error(r, 404, "NoSuchJob", "there is no job \"%s\"; see /jobs", r->params[0]);
    if (status == JOB_FAILED)
        return http_reply_gisd_error(r, &err);
    if (!text)
        return http_reply_error(r, 404, "ResultNotReady", "job %s is %s; its results come when it is successful",
                                r->params[0], STATUS[status]);
    const char *table = http_table_format(r);
    if (table) {
        /* the answer as the table a planner downloads */
        json_error_t jerr;
        json_t *doc = json_loads(text, 0, &jerr);
        free(text);
        if (!doc)
            return http_reply_error(r, 500, "ServerError", "the job's result is not JSON: %s", jerr.text);
        strbuf b = {0};
        const char *media;
        if (report_answer_table(doc, table, "results", &b, &media, &err) != 0) {
            json_decref(doc);
            strbuf_free(&b);
            return http_reply_gisd_error(r, &err);
        }
        json_decref(doc);
        const char *th[][2] = {{"Content-Type", media}, {NULL, NULL}};
        return http_send_owned(r, 200, b.data, b.len, th);
    }
    const char *hdrs[][2] = {{"Content-Type", MEDIA_JSON}, {NULL, NULL}};
    return http_send_owned(r, 200, text, strlen(text), hdrs);
}
