/* OGC API - Processes on the real server: the eight processes described from
 * their parameter table, executed synchronously with the same answers as the
 * command line (layouts recomputed independently), the asynchronous job
 * lifecycle (progress, results, dismiss of a running job), bad executions,
 * and OWSLib's client. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

static char refdb[1200], heavydb[1200];
static tu_server srv;

static int setup(void **state)
{
    (void)state;
    tu_serve_reference("processes", refdb, sizeof refdb, &srv);
    tu_make_heavy("processes-heavy", heavydb, sizeof heavydb);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_server_stop(&srv);
    return 0;
}

/* POSTs body to path of s (extra curl options in opts); the status, the body in *out. */
static int post(const tu_server *s, const char *path, const char *body, const char *opts, char **out)
{
    FILE *f = fopen("build/tmp/exec.json", "w");
    assert_non_null(f);
    fputs(body, f);
    fclose(f);
    char *o;
    assert_int_equal(tu_run(&o, "curl -s -o build/tmp/exec.out -D build/tmp/exec.head -w '%%{http_code}' %s "
                                "-H 'Content-Type: application/json' --data-binary @build/tmp/exec.json '%s%s'",
                            opts, s->base, path), 0);
    int status = atoi(o);
    free(o);
    assert_int_equal(tu_run(out, "cat build/tmp/exec.out"), 0);
    return status;
}

static json_t *get(const tu_server *s, const char *path, int want)
{
    char *body = NULL;
    int status = tu_http(s, "GET", path, NULL, &body, NULL);
    if (status != want)
        fail_msg("GET %s: %d, want %d: %.300s", path, status, want, body);
    json_t *j = tu_json_text(body);
    free(body);
    return j;
}

static void processes_are_listed_and_described(void **state)
{
    (void)state;
    json_t *j = get(&srv, "/processes", 200);
    assert_int_equal(json_array_size(json_object_get(j, "processes")), 13);
    json_decref(j);
    j = get(&srv, "/processes/recycling-siting", 200);
    json_t *in = json_object_get(j, "inputs");
    json_t *radius = json_object_get(json_object_get(in, "radius_m"), "schema");
    assert_true(json_number_value(json_object_get(radius, "maximum")) == 50000);
    assert_non_null(json_object_get(in, "candidates"));
    assert_non_null(json_object_get(json_object_get(j, "outputs"), "result"));
    json_decref(j);
    j = get(&srv, "/conformance", 200);
    char *text = json_dumps(j, 0);
    assert_non_null(strstr(text, "ogcapi-processes-1/1.0/conf/core"));
    assert_non_null(strstr(text, "ogcapi-processes-1/1.0/conf/dismiss"));
    free(text);
    json_decref(j);
    j = get(&srv, "/processes/nothing", 404);
    json_decref(j);
}

static void sync_execution_gives_the_command_line_answer(void **state)
{
    (void)state;
    static const char *const runs[][4] = {
        {"recycling-siting", "{\"inputs\":{\"radius_m\":1000,\"p\":10}}", "1000", "households_covered_after"},
        {"sorting-siting", "{\"inputs\":{\"p\":5}}", "", "household_km"},
        {"hw-allocation", "{\"inputs\":{\"max_km\":50}}", "50", "tonne_km"},
        {"heat-extension", "{\"inputs\":{\"budget_km\":20}}", "20", "tph_retired"}};
    for (size_t i = 0; i < 4; i++) {
        char path[128], *out;
        snprintf(path, sizeof path, "/processes/%s/execution", runs[i][0]);
        int status = post(&srv, path, runs[i][1], "", &out);
        if (status != 200)
            fail_msg("%s: %d %s", runs[i][0], status, out);
        json_t *http = tu_json_text(out);
        free(out);
        /* the layout achieves what it claims, recomputed apart from gisd */
        assert_int_equal(tu_run(&out, "cp build/tmp/exec.out build/tmp/opt.json && python3 '%s/tests/optimize_check.py' "
                                      "%s build/tmp/opt.json '%s' %s", tu_root(), runs[i][0], refdb, runs[i][2]), 0);
        assert_string_equal(out, "ok\n");
        free(out);
        json_t *want = tu_json_file(tu_data(i == 0   ? "reference/expected/optimize-recycling-siting_mclp_r1000_p10.json"
                                            : i == 1 ? "reference/expected/optimize-sorting-siting_p5.json"
                                            : i == 2 ? "reference/expected/optimize-hw-allocation_50km.json"
                                                     : "reference/expected/optimize-heat-extension_r1000_b20.json"));
        double g = json_number_value(json_object_get(http, runs[i][3])),
               w = json_number_value(json_object_get(want, runs[i][3]));
        if (!(g >= w - 1e-4 * w - 0.01 && g <= w + 1e-4 * w + 0.01))
            fail_msg("%s: %s %f, want %f", runs[i][0], runs[i][3], g, w);
        json_decref(want);
        json_decref(http);
    }
    /* an analysis as a process, with its GeoJSON input */
    char *out;
    int status = post(&srv, "/processes/site-check/execution",
                      "{\"inputs\":{\"site\":{\"type\":\"Feature\",\"properties\":{\"project_class\":\"M2\"},"
                      "\"geometry\":{\"type\":\"Point\",\"coordinates\":[120.78,27.81]}}}}", "", &out);
    assert_int_equal(status, 200);
    assert_non_null(strstr(out, "\"rules\""));
    free(out);
    /* symbiosis and a park's scorecard as processes: the command line's answers */
    static const char *const analyses[][3] = {
        {"symbiosis", "{\"inputs\":{\"max_km\":3}}", "symbiosis --max-km 3"},
        {"park-scorecard", "{\"inputs\":{\"park_id\":\"WZ03\"}}", "park-scorecard --park-id WZ03"}};
    for (size_t i = 0; i < 2; i++) {
        char path[128], *cli;
        snprintf(path, sizeof path, "/processes/%s/execution", analyses[i][0]);
        status = post(&srv, path, analyses[i][1], "", &out);
        if (status != 200)
            fail_msg("%s: %d %s", analyses[i][0], status, out);
        assert_int_equal(tu_run(&cli, "'%s' analyze %s --db '%s' 2>/dev/null", tu_gisd(), analyses[i][2], refdb), 0);
        json_t *a = tu_json_text(out), *b = tu_json_text(cli);
        assert_true(json_equal(a, b));
        json_decref(a);
        json_decref(b);
        free(out);
        free(cli);
    }
}

static void bad_executions_are_refused(void **state)
{
    (void)state;
    static const char *const cases[][3] = {
        {"/processes/sorting-siting/execution", "{\"inputs\":{}}", "needs p"},
        {"/processes/recycling-siting/execution", "{\"inputs\":{\"p\":0}}", "out of range"},
        {"/processes/recycling-siting/execution", "{\"inputs\":{\"speed\":3}}", "no input \\\"speed\\\""},
        {"/processes/site-check/execution", "{\"inputs\":{}}", "needs the input site"},
        {"/processes/hw-allocation/execution", "not json", "not JSON"},
        {"/processes/recycling-siting/execution", "{\"inputs\":{\"candidates\":{\"type\":\"FeatureCollection\","
                                                  "\"features\":[{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\","
                                                  "\"coordinates\":[120.7,27.9]}}]},\"p\":1}}", "has no id"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *out;
        int status = post(&srv, cases[i][0], cases[i][1], "", &out);
        if (status != 400 || !strstr(out, cases[i][2]))
            fail_msg("%s %s: %d %s, want 400 saying %s", cases[i][0], cases[i][1], status, out, cases[i][2]);
        free(out);
    }
}

static const char *job_status(const tu_server *s, const char *id, int *progress)
{
    char path[256];
    snprintf(path, sizeof path, "/jobs/%s", id);
    json_t *j = get(s, path, 200);
    static char st[32];
    snprintf(st, sizeof st, "%s", json_string_value(json_object_get(j, "status")));
    if (progress)
        *progress = (int)json_integer_value(json_object_get(j, "progress"));
    json_decref(j);
    return st;
}

static void async_jobs_run_report_and_dismiss(void **state)
{
    (void)state;
    char *out;
    int status = post(&srv, "/processes/recycling-siting/execution", "{\"inputs\":{\"radius_m\":1000}}",
                      "-H 'Prefer: respond-async'", &out);
    assert_int_equal(status, 201);
    json_t *j = tu_json_text(out);
    free(out);
    char id[64];
    snprintf(id, sizeof id, "%s", json_string_value(json_object_get(j, "jobID")));
    json_decref(j);
    assert_int_equal(tu_run(&out, "grep -i '^Location: %s/jobs/%s' build/tmp/exec.head", srv.base, id), 0);
    free(out);
    int progress = 0;
    for (int i = 0; i < 200 && strcmp(job_status(&srv, id, &progress), "successful") != 0; i++)
        usleep(50000);
    assert_string_equal(job_status(&srv, id, &progress), "successful");
    assert_int_equal(progress, 100);
    char path[256];
    snprintf(path, sizeof path, "/jobs/%s/results", id);
    j = get(&srv, path, 200);
    assert_string_equal(json_string_value(json_object_get(j, "mode")), "lscp");
    json_decref(j);
    j = get(&srv, "/jobs", 200);
    assert_true(json_array_size(json_object_get(j, "jobs")) >= 1);
    json_decref(j);
    /* dismissing a finished job drops its results */
    char *body = NULL;
    snprintf(path, sizeof path, "/jobs/%s", id);
    assert_int_equal(tu_http(&srv, "DELETE", path, NULL, &body, NULL), 200);
    assert_non_null(strstr(body, "dismissed"));
    free(body);
    snprintf(path, sizeof path, "/jobs/%s/results", id);
    j = get(&srv, path, 404);
    json_decref(j);
    j = get(&srv, "/jobs/nothing", 404);
    json_decref(j);
}

/* A job stuck in GEOS for minutes is stopped by DELETE. */
static void dismiss_stops_a_running_job(void **state)
{
    (void)state;
    tu_server s;
    const char *args[] = {"--analysis-timeout-s", "600", NULL};
    tu_server_start_args(&s, heavydb, args);
    char *out;
    int status = post(&s, "/processes/heating-coverage/execution", "{\"inputs\":{\"radius_m\":50000}}",
                      "-H 'Prefer: respond-async'", &out);
    assert_int_equal(status, 201);
    json_t *j = tu_json_text(out);
    free(out);
    char id[64], path[256];
    snprintf(id, sizeof id, "%s", json_string_value(json_object_get(j, "jobID")));
    json_decref(j);
    int progress = 0;
    for (int i = 0; i < 100 && strcmp(job_status(&s, id, &progress), "running") != 0; i++)
        usleep(50000);
    assert_string_equal(job_status(&s, id, &progress), "running");
    assert_int_equal(progress, 10);
    char *body = NULL;
    snprintf(path, sizeof path, "/jobs/%s", id);
    assert_int_equal(tu_http(&s, "DELETE", path, NULL, &body, NULL), 200);
    free(body);
    /* the solve stops within moments (GEOS is interrupted), not after minutes */
    int finished = 0;
    for (int i = 0; i < 100 && !finished; i++) {
        j = get(&s, path, 200);
        finished = json_object_get(j, "finished") != NULL;
        json_decref(j);
        if (!finished)
            usleep(50000);
    }
    assert_true(finished);
    assert_string_equal(job_status(&s, id, NULL), "dismissed");
    tu_server_stop(&s);
}


/* Posts n asynchronous site checks to s in batches the queue takes, waiting
 * for each batch; fails unless every one was accepted (201). */
static void post_site_jobs(const tu_server *s, int n, const char *auth)
{
    char *out;
    int rc = tu_run(&out,
                    "python3 -c \"import json; fc=json.load(open('%s')); "
                    "json.dump({'inputs':{'site':fc['features'][0]}},open('build/tmp/site-job.json','w'))\" && "
                    "for b in $(seq 1 %d); do for i in $(seq 1 10); do "
                    "curl -s -o /dev/null -w '%%{http_code}\\n' -X POST -H 'Prefer: respond-async' %s "
                    "-H 'Content-Type: application/json' --data-binary @build/tmp/site-job.json "
                    "'%s/processes/site-check/execution'; done; sleep 0.5; done | sort | uniq -c",
                    tu_data("reference/sites.geojson"), n / 10, auth, s->base);
    if (rc != 0)
        fail_msg("posting site-check jobs: %s", out);
    char want[64];
    snprintf(want, sizeof want, "%d 201\n", n / 10 * 10);
    if (strstr(out, want) == NULL || strchr(strstr(out, want) + strlen(want), '\n'))
        fail_msg("posting %d site-check jobs answered:\n%s", n, out);
    free(out);
}

static int post_async(const tu_server *s, const char *process, const char *body, char id[64], const char *auth)
{
    char path[128], opts[256], *out;
    snprintf(path, sizeof path, "/processes/%s/execution", process);
    snprintf(opts, sizeof opts, "-H 'Prefer: respond-async' %s", auth);
    int status = post(s, path, body, opts, &out);
    id[0] = 0;
    if (status == 201) {
        json_t *j = tu_json_text(out);
        snprintf(id, 64, "%s", json_string_value(json_object_get(j, "jobID")));
        json_decref(j);
    }
    free(out);
    return status;
}

/* A full job table makes room with jobs whose run has returned, never with a
 * dismissed job that is still stopping (it used to free that one under its
 * solver: a use-after-free that ASan aborts the server on). */
static void a_full_job_table_never_frees_a_running_job(void **state)
{
    (void)state;
    tu_server s;
    const char *args[] = {"--analysis-timeout-s", "600", NULL};
    tu_server_start_args(&s, heavydb, args);
    char id[64], path[256];
    assert_int_equal(post_async(&s, "heating-coverage", "{\"inputs\":{\"radius_m\":50000}}", id, ""), 201);
    /* 128 random bits, not the clock and a serial */
    assert_int_equal(strlen(id), 32);
    assert_int_equal(strspn(id, "0123456789abcdef"), 32);
    for (int i = 0; i < 100 && strcmp(job_status(&s, id, NULL), "running") != 0; i++)
        usleep(50000);
    assert_string_equal(job_status(&s, id, NULL), "running");
    post_site_jobs(&s, 100, ""); /* the table is full: the long job and 99 finished ones */
    char *body = NULL;
    snprintf(path, sizeof path, "/jobs/%s", id);
    assert_int_equal(tu_http(&s, "DELETE", path, NULL, &body, NULL), 200);
    free(body);
    post_site_jobs(&s, 20, ""); /* each makes room while the dismissed job stops */
    /* the dismissed job is listed until its run returns, then may make room */
    int gone = 0;
    for (int i = 0; i < 100 && !gone; i++) {
        body = NULL;
        int status = tu_http(&s, "GET", path, NULL, &body, NULL);
        gone = status == 404 || (status == 200 && strstr(body, "\"finished\""));
        free(body);
        if (!gone)
            usleep(50000);
    }
    assert_true(gone);
    json_t *j = get(&s, "/healthz", 200);
    json_decref(j);
    tu_server_stop(&s); /* exits cleanly: no sanitizer report */
}

/* Every job has the request deadline: an async job does not outlive
 * --analysis-timeout-s, whatever its time_limit_s. */
static void async_jobs_keep_the_deadline(void **state)
{
    (void)state;
    tu_server s;
    const char *args[] = {"--analysis-timeout-s", "3", NULL};
    tu_server_start_args(&s, heavydb, args);
    char id[64];
    assert_int_equal(post_async(&s, "heating-coverage", "{\"inputs\":{\"radius_m\":50000}}", id, ""), 201);
    int i = 0;
    for (; i < 200 && strcmp(job_status(&s, id, NULL), "failed") != 0; i++)
        usleep(50000);
    assert_string_equal(job_status(&s, id, NULL), "failed");
    if (i * 0.05 > 3 + 3)
        fail_msg("the job ran %.1f s past a 3 s deadline", i * 0.05);
    char path[256];
    snprintf(path, sizeof path, "/jobs/%s", id);
    json_t *j = get(&s, path, 200);
    assert_non_null(strstr(json_string_value(json_object_get(j, "message")), "--analysis-timeout-s 3"));
    json_decref(j);
    tu_server_stop(&s);
}

static void new_token(const char *db, const char *name, const char *scope, char out[80])
{
    char *o;
    if (tu_run(&o, "'%s' token add --db '%s' --name %s --scope '%s' 2>/dev/null", tu_gisd(), db, name, scope) != 0)
        fail_msg("token add: %s", o);
    o[strcspn(o, "\n")] = 0;
    snprintf(out, 80, "%s", o);
    free(o);
}

/* With --require-token-for-reads every route that reads or runs needs a
 * token (POSTed analyses and processes, and job dismissal, used not to), and
 * a job is seen and dismissed only by the token that made it, or an admin. */
static void read_tokens_cover_runs_and_jobs(void **state)
{
    (void)state;
    char db[1200], a[80], b[80], admin[80];
    tu_db(db, sizeof db, tu_tmpdir("processes-auth"), "auth");
    tu_import_reference(db);
    new_token(db, "alice", "write:zones", a);
    new_token(db, "bob", "write:parks", b);
    new_token(db, "root", "admin", admin);
    tu_server s;
    const char *args[] = {"--require-token-for-reads", NULL};
    tu_server_start_args(&s, db, args);
    char *out;
    const char *site = "{\"inputs\":{\"site\":{\"type\":\"Feature\",\"properties\":{\"project_class\":\"M1\"},"
                       "\"geometry\":{\"type\":\"Point\",\"coordinates\":[120.7,28.0]}}}}";
    assert_int_equal(post(&s, "/processes/site-check/execution", site, "", &out), 401);
    free(out);
    assert_int_equal(post(&s, "/processes/site-check/execution", site, "-H 'Prefer: respond-async'", &out), 401);
    free(out);
    assert_int_equal(post(&s, "/analysis/site-check", "{\"type\":\"Feature\",\"properties\":{\"project_class\":"
                                                       "\"M1\"},\"geometry\":{\"type\":\"Point\","
                                                       "\"coordinates\":[120.7,28.0]}}", "", &out), 401);
    free(out);
    char *body = NULL;
    assert_int_equal(tu_http(&s, "DELETE", "/jobs/0123456789abcdef0123456789abcdef", NULL, &body, NULL), 401);
    free(body);
    assert_int_equal(tu_http(&s, "GET", "/healthz", NULL, &body, NULL), 200);
    free(body);
    char ha[128], hb[128], hadmin[128], id[64];
    snprintf(ha, sizeof ha, "-H 'Authorization: Bearer %s'", a);
    snprintf(hb, sizeof hb, "-H 'Authorization: Bearer %s'", b);
    snprintf(hadmin, sizeof hadmin, "-H 'Authorization: Bearer %s'", admin);
    assert_int_equal(post(&s, "/processes/site-check/execution", site, ha, &out), 200);
    free(out);
    assert_int_equal(post_async(&s, "site-check", site, id, ha), 201);
    /* bob neither sees nor dismisses alice's job; alice and an admin do */
    char *o;
    const char *checks[][3] = {{hb, "GET", "404"}, {hb, "DELETE", "404"}, {ha, "GET", "200"}, {hadmin, "GET", "200"}};
    for (size_t i = 0; i < sizeof checks / sizeof *checks; i++) {
        assert_int_equal(tu_run(&o, "curl -s -o /dev/null -w '%%{http_code}' -X %s %s '%s/jobs/%s'", checks[i][1],
                                checks[i][0], s.base, id), 0);
        if (strcmp(o, checks[i][2]) != 0)
            fail_msg("%s /jobs/%s as %.30s: %s, want %s", checks[i][1], id, checks[i][0], o, checks[i][2]);
        free(o);
    }
    assert_int_equal(tu_run(&o, "curl -s %s '%s/jobs'", hb, s.base), 0);
    if (strstr(o, id))
        fail_msg("bob's job list shows alice's job: %s", o);
    free(o);
    assert_int_equal(tu_run(&o, "curl -s -o /dev/null -w '%%{http_code}' -X DELETE %s '%s/jobs/%s'", ha, s.base, id), 0);
    assert_string_equal(o, "200");
    free(o);
    tu_server_stop(&s);
}

static void owslib_lists_describes_and_executes(void **state)
{
    (void)state;
    char *out;
    int rc = tu_run(&out, "/usr/bin/python3 '%s/tests/owslib_processes.py' '%s'", tu_root(), srv.base);
    if (rc != 0 || strcmp(out, "ok\n") != 0)
        fail_msg("owslib: %s", out);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(processes_are_listed_and_described),
        cmocka_unit_test(sync_execution_gives_the_command_line_answer),
        cmocka_unit_test(bad_executions_are_refused),
        cmocka_unit_test(async_jobs_run_report_and_dismiss),
        cmocka_unit_test(dismiss_stops_a_running_job),
        cmocka_unit_test(a_full_job_table_never_frees_a_running_job),
        cmocka_unit_test(async_jobs_keep_the_deadline),
        cmocka_unit_test(read_tokens_cover_runs_and_jobs),
        cmocka_unit_test(owslib_lists_describes_and_executes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
