/* Installing and running gisd as an operator does: make install into a
 * DESTDIR and the installed binary serving the reference city from another
 * directory (the viewer in Chromium, nothing 404); a binary without its
 * assets refusing to start; the configuration file and the flags; the unit
 * through systemd-analyze and sd_notify's readiness, reload and watchdog;
 * SIGHUP rotating the log and reloading the rules under load; a backup taken
 * under load and its restore; the Debian package installed and removed
 * (as root). */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

/* tu_tmpdir as an absolute path (the installed binary runs elsewhere and
 * make runs in the tree), in one of four rotating static buffers. */
static const char *abs_tmpdir(const char *name)
{
    static char bufs[4][PATH_MAX];
    static int k;
    char *buf = bufs[k++ % 4];
    const char *rel = tu_tmpdir(name);
    if (!realpath(rel, buf))
        fail_msg("realpath %s: %s", rel, strerror(errno));
    return buf;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* make TARGET ARGS in the tree; fails the test with make's output when it fails. */
static void make(const char *args)
{
    char *out;
    int rc = tu_run(&out, "cd '%s' && make -s %s 2>&1", tu_root(), args);
    if (rc != 0)
        fail_msg("make %s: %s", args, out);
    free(out);
}

/* A free port, found the way the suites' servers find theirs: bind to 0. */
static int port_free(void)
{
    char *out;
    assert_int_equal(tu_run(&out, "python3 -c \"import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); "
                                  "print(s.getsockname()[1])\""),
                     0);
    int p = atoi(out);
    free(out);
    return p;
}

/* Starts bin serve ARGS... in dir with no GISD_* variable (nothing points at
 * the tree) and waits for /healthz. */
static void start_in(tu_server *s, const char *bin, const char *dir, const char *const *args)
{
    s->port = port_free();
    snprintf(s->base, sizeof s->base, "http://127.0.0.1:%d", s->port);
    char listen[64];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", s->port);
    s->pid = fork();
    assert_true(s->pid >= 0);
    if (s->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (chdir(dir) != 0)
            _exit(126);
        unsetenv("GISD_LAYERS");
        unsetenv("GISD_STYLES");
        unsetenv("GISD_VENDOR");
        const char *argv[40] = {bin, "serve", "--listen", listen, "--threads", "2"};
        size_t n = 6;
        for (size_t i = 0; args[i] && n < 39; i++)
            argv[n++] = args[i];
        argv[n] = NULL;
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    for (int i = 0; i < 200; i++) {
        char *out = NULL;
        tu_run(&out, "curl -s -o /dev/null -w '%%{http_code}' '%s/healthz'", s->base);
        int status = out ? atoi(out) : 0;
        free(out);
        if (status == 200)
            return;
        usleep(50000);
    }
    fail_msg("%s serve did not answer /healthz at %s", bin, s->base);
}

static int status_of(const tu_server *s, const char *path)
{
    char *body;
    int st = tu_http(s, "GET", path, NULL, &body, NULL);
    free(body);
    return st;
}

/* The files make install puts under root (a DESTDIR with PREFIX=/usr). */
static const char *const INSTALLED[] = {
    "usr/bin/gisd",
    "usr/share/gisd/layers/parks.layer.json",
    "usr/share/gisd/layers/site-rules.json",
    "usr/share/gisd/styles/planning.json",
    "usr/share/gisd/styles/recycling.json",
    "usr/share/gisd/styles/qgis/planning.xml",
    "usr/share/gisd/styles/viewer/index.html",
    "usr/share/gisd/vendor/maplibre-gl/dist/maplibre-gl.js",
    "usr/share/gisd/vendor/maplibre-gl/dist/maplibre-gl.css",
    "usr/share/gisd/vendor/maplibre-gl/LICENSE.txt",
    "usr/share/gisd/vendor/terra-draw/dist/terra-draw.umd.js",
    "usr/share/gisd/vendor/terra-draw-maplibre-gl-adapter/dist/terra-draw-maplibre-gl-adapter.umd.js",
    "usr/share/gisd/docs/README.md",
    "usr/share/gisd/docs/ANALYSES.md",
    "usr/share/man/man1/gisd.1.gz",
    "etc/gisd/gisd.conf",
    "etc/logrotate.d/gisd",
    "usr/lib/systemd/system/gisd.service",
    NULL};

static char dest[1024];

/* make install DESTDIR=dest PREFIX=/usr, once for the suite. */
static void install_once(void)
{
    if (*dest)
        return;
    snprintf(dest, sizeof dest, "%s/dest", abs_tmpdir("install"));
    char args[1200];
    snprintf(args, sizeof args, "install DESTDIR='%s' PREFIX=/usr", dest);
    make(args);
}

static void install_puts_everything_in_place(void **state)
{
    (void)state;
    install_once();
    char path[1400];
    for (size_t i = 0; INSTALLED[i]; i++) {
        snprintf(path, sizeof path, "%s/%s", dest, INSTALLED[i]);
        if (!exists(path))
            fail_msg("make install left out %s", INSTALLED[i]);
    }
    /* the package ships MapLibre without its source maps and dev builds */
    char *out;
    assert_int_equal(tu_run(&out, "find '%s/usr/share/gisd/vendor' -name '*.map' -o -name '*-dev.js' | wc -l", dest), 0);
    assert_int_equal(atoi(out), 0);
    free(out);
    /* the unit names the installed binary and configuration file */
    assert_int_equal(tu_run(&out, "cat '%s/usr/lib/systemd/system/gisd.service'", dest), 0);
    assert_non_null(strstr(out, "ExecStart=/usr/bin/gisd serve --config /etc/gisd/gisd.conf"));
    assert_null(strstr(out, "@"));
    free(out);
    /* the manual page comes from the option table: every option of gisd help serve is in it */
    char *help;
    assert_int_equal(tu_run(&help, "'%s/usr/bin/gisd' help serve", dest), 0);
    char *man;
    int rc = tu_run(&man, "MANWIDTH=200 man -l '%s/usr/share/man/man1/gisd.1.gz' 2>&1 | col -b", dest);
    if (rc != 0)
        fail_msg("man -l: %s", man);
    assert_non_null(strstr(man, "SERVE OPTIONS"));
    assert_non_null(strstr(man, "CONFIGURATION FILE"));
    assert_non_null(strstr(man, "gisd backup"));
    int options = 0;
    for (char *p = strstr(help, "  --"); p; p = strstr(p + 1, "  --")) {
        char name[64];
        if (sscanf(p + 2, "%63s", name) != 1)
            continue;
        options++;
        if (!strstr(man, name))
            fail_msg("the manual page lacks %s", name);
    }
    assert_true(options >= 28);
    free(help);
    free(man);
    /* gisd --version names the commit and the libraries */
    assert_int_equal(tu_run(&out, "'%s/usr/bin/gisd' --version", dest), 0);
    assert_non_null(strstr(out, "gisd 0."));
    assert_non_null(strstr(out, "commit "));
    assert_non_null(strstr(out, "GEOS 3."));
    assert_non_null(strstr(out, "PROJ "));
    assert_non_null(strstr(out, "SpatiaLite "));
    assert_non_null(strstr(out, "CBC 2."));
    free(out);
    /* gisd help COMMAND and gisd COMMAND --help are the same text */
    char *a, *b;
    assert_int_equal(tu_run(&a, "'%s/usr/bin/gisd' help backup", dest), 0);
    assert_int_equal(tu_run(&b, "'%s/usr/bin/gisd' backup --help", dest), 0);
    assert_string_equal(a, b);
    assert_non_null(strstr(a, "gisd backup --db F OUT.sqlite"));
    free(a);
    free(b);
    assert_int_equal(tu_run(&out, "'%s/usr/bin/gisd' help nosuch 2>&1", dest), 2);
    free(out);
    /* make uninstall takes away all but the operator's configuration file */
    char other[1200];
    snprintf(other, sizeof other, "%s/dest2", abs_tmpdir("install-un"));
    char args[1400];
    snprintf(args, sizeof args, "install DESTDIR='%s' PREFIX=/usr", other);
    make(args);
    snprintf(args, sizeof args, "uninstall DESTDIR='%s' PREFIX=/usr", other);
    make(args);
    assert_int_equal(tu_run(&out, "cd '%s' && find . -type f | sort", other), 0);
    assert_string_equal(out, "./etc/gisd/gisd.conf\n");
    free(out);
}

static void installed_gisd_serves_the_city_from_anywhere(void **state)
{
    (void)state;
    install_once();
    const char *dir = abs_tmpdir("install-run");
    char *out;
    /* the reference city's files away from the tree, and a working directory with nothing in it */
    assert_int_equal(tu_run(&out, "cp -R '%s' '%s/city' && mkdir -p '%s/elsewhere'", tu_data("reference/"), dir, dir), 0);
    free(out);
    char bin[1200], cwd[1200], db[1300], log[1300];
    snprintf(bin, sizeof bin, "%s/usr/bin/gisd", dest);
    snprintf(cwd, sizeof cwd, "%s/elsewhere", dir);
    snprintf(db, sizeof db, "%s/city.sqlite", dir);
    snprintf(log, sizeof log, "%s/access.log", dir);
    int rc = tu_run(&out, "cd '%s' && env -u GISD_LAYERS -u GISD_STYLES -u GISD_VENDOR '%s' import --quiet --db '%s' "
                          "--manifest '%s/city/manifest-network.json' 2>&1",
                    cwd, bin, db, dir);
    if (rc != 0)
        fail_msg("the installed gisd import: %s", out);
    free(out);
    /* it reads the installed configuration file (DESTDIR/etc/gisd/gisd.conf) by default */
    rc = tu_run(&out, "cd '%s' && env -u GISD_LAYERS -u GISD_STYLES -u GISD_VENDOR '%s' config check --db '%s' 2>&1",
                cwd, bin, db);
    if (rc != 0)
        fail_msg("config check: %s", out);
    char want[1400];
    snprintf(want, sizeof want, "# configuration file: %s/etc/gisd/gisd.conf", dest);
    assert_non_null(strstr(out, want));
    snprintf(want, sizeof want, "styles = %s/usr/share/gisd/styles  # default", dest);
    assert_non_null(strstr(out, want));
    assert_non_null(strstr(out, "access-log = /var/log/gisd/access.log  # file"));
    free(out);
    tu_server s;
    /* the file's access log lies in /var/log/gisd, which only the package makes */
    const char *args[] = {"--db", db, "--access-log", log, NULL};
    start_in(&s, bin, cwd, args);
    assert_int_equal(status_of(&s, "/vendor/maplibre-gl.js"), 200);
    assert_int_equal(status_of(&s, "/vendor/terra-draw/terra-draw.umd.js"), 200);
    assert_int_equal(status_of(&s, "/collections/parks/items?limit=1"), 200);
    rc = tu_run(&out, "cd '%s' && timeout 120 node tests/install_view.mjs '%s' '%s/installed-viewer.png' 2>&1", tu_root(),
                s.base, abs_tmpdir("install-shots"));
    if (rc != 0)
        fail_msg("the installed viewer in Chromium: %s", out);
    free(out);
    tu_server_stop(&s);
    /* the binary copied alone, with no share/gisd and no tree beside it, refuses to start and says what is missing */
    assert_int_equal(tu_run(&out, "mkdir -p '%s/lonely/bin' && cp '%s' '%s/lonely/bin/gisd'", dir, bin, dir), 0);
    free(out);
    rc = tu_run(&out, "cd '%s' && env -u GISD_LAYERS -u GISD_STYLES -u GISD_VENDOR timeout 20 '%s/lonely/bin/gisd' serve "
                      "--db '%s' --listen 127.0.0.1:0 2>&1",
                cwd, dir, db);
    assert_int_equal(rc, 1);
    snprintf(want, sizeof want, "%s/lonely/node_modules/maplibre-gl/dist/maplibre-gl.js", dir);
    assert_non_null(strstr(out, want));
    assert_non_null(strstr(out, "viewer/index.html"));
    free(out);
}

static void config_file_and_flags_combine(void **state)
{
    (void)state;
    const char *dir = abs_tmpdir("install-config");
    char db[1200], conf[1200];
    tu_db(db, sizeof db, dir, "conf");
    tu_import_reference(db);
    int port = port_free();
    snprintf(conf, sizeof conf, "%s/gisd.conf", dir);
    char text[2600];
    snprintf(text, sizeof text,
             "# a comment line\n"
             "db = %s\n"
             "listen = 127.0.0.1:%d   # after a value too\n"
             "\n"
             "threads = 3\n"
             "analysis-timeout-s = 7.5\n"
             "require-token-for-reads = true\n",
             db, port);
    write_text(conf, text);
    char *out;
    int rc = tu_run(&out, "'%s' config check --config '%s' --threads 5 --grace-s 2 2>&1", tu_gisd(), conf);
    if (rc != 0)
        fail_msg("config check: %s", out);
    assert_non_null(strstr(out, "threads = 5  # command line"));
    assert_non_null(strstr(out, "grace-s = 2  # command line"));
    assert_non_null(strstr(out, "analysis-timeout-s = 7.5  # file"));
    assert_non_null(strstr(out, "require-token-for-reads = true  # file"));
    assert_non_null(strstr(out, "max-connections = 1024  # default"));
    free(out);
    /* the server runs with the file's values: its port, and reads need a token */
    tu_server s = {.port = port};
    snprintf(s.base, sizeof s.base, "http://127.0.0.1:%d", port);
    s.pid = fork();
    assert_true(s.pid >= 0);
    if (s.pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        execl(tu_gisd(), tu_gisd(), "serve", "--config", conf, "--threads", "2", (char *)NULL);
        _exit(127);
    }
    int healthy = 0;
    for (int i = 0; i < 200 && !healthy; i++) {
        healthy = status_of(&s, "/healthz") == 200;
        if (!healthy)
            usleep(50000);
    }
    assert_true(healthy);
    assert_int_equal(status_of(&s, "/collections"), 401);
    tu_server_stop(&s);
    /* each bad file is refused naming its line, and nothing starts */
    static const struct {
        const char *text, *says;
    } BAD[] = {{"threads = 2\nlisten-on = 127.0.0.1:1\n", ":2: unknown key \"listen-on\""},
               {"threads = 2\nthreads = 3\n", ":2: \"threads\" is set twice (first on line 1)"},
               {"\n\nthreads = many\n", ":3: threads must be a whole number from 1 to 256"},
               {"require-token-for-reads = yes\n", ":1: require-token-for-reads must be true or false"},
               {"db\n", ":1: write key = value"},
               {"config = other.conf\n", ":1: unknown key \"config\""}};
    for (size_t i = 0; i < sizeof BAD / sizeof *BAD; i++) {
        write_text(conf, BAD[i].text);
        rc = tu_run(&out, "timeout 20 '%s' serve --config '%s' --db '%s' --listen 127.0.0.1:0 2>&1", tu_gisd(), conf, db);
        assert_int_equal(rc, 1);
        char want[1400];
        snprintf(want, sizeof want, "%s%s", conf, BAD[i].says);
        if (!strstr(out, want))
            fail_msg("%s: wanted \"%s\", got %s", BAD[i].text, want, out);
        free(out);
        assert_int_equal(tu_run(&out, "'%s' config check --config '%s' 2>&1", tu_gisd(), conf), 1);
        free(out);
    }
    /* a missing file, and a bad flag (a usage error: 2) */
    assert_int_equal(tu_run(&out, "'%s' config check --config '%s/none.conf' 2>&1", tu_gisd(), dir), 1);
    assert_non_null(strstr(out, "none.conf: No such file"));
    free(out);
    assert_int_equal(tu_run(&out, "'%s' config check --threads 0 2>&1", tu_gisd()), 2);
    assert_non_null(strstr(out, "--threads must be a whole number from 1 to 256"));
    free(out);
}

/* The unit as installed under a real prefix (its ExecStart exists) passes
 * systemd-analyze verify, and it is the safe one the issue asks for. */
static void the_unit_passes_systemd_analyze(void **state)
{
    (void)state;
    char prefix[1200], args[1400];
    snprintf(prefix, sizeof prefix, "%s/prefix", abs_tmpdir("install-unit"));
    snprintf(args, sizeof args, "install PREFIX='%s'", prefix);
    make(args);
    char *out;
    /* Documentation=man:gisd(1) is checked with man, which finds this prefix's page through MANPATH */
    int rc = tu_run(&out, "MANPATH='%s/share/man:' systemd-analyze verify '%s/lib/systemd/system/gisd.service' 2>&1",
                    prefix, prefix);
    if (rc != 0 || *out)
        fail_msg("systemd-analyze verify (exit %d): %s", rc, out);
    free(out);
    assert_int_equal(tu_run(&out, "cat '%s/lib/systemd/system/gisd.service'", prefix), 0);
    static const char *const SAFE[] = {"Type=notify", "User=gisd", "ProtectSystem=strict",
                                       "ReadWritePaths=/var/lib/gisd /var/log/gisd", "NoNewPrivileges=yes",
                                       "PrivateTmp=yes", "WatchdogSec=", "ExecReload=/bin/kill -HUP $MAINPID", NULL};
    for (size_t i = 0; SAFE[i]; i++)
        if (!strstr(out, SAFE[i]))
            fail_msg("the unit lacks %s", SAFE[i]);
    free(out);
    /* the installed gisd under a prefix other than /usr reads PREFIX/etc/gisd/gisd.conf */
    rc = tu_run(&out, "cd / && env -u GISD_LAYERS -u GISD_STYLES -u GISD_VENDOR '%s/bin/gisd' config check 2>&1", prefix);
    if (rc != 0)
        fail_msg("config check: %s", out);
    char want[1400];
    snprintf(want, sizeof want, "# configuration file: %s/etc/gisd/gisd.conf", prefix);
    assert_non_null(strstr(out, want));
    free(out);
}

/* The next datagram on fd within ms, into buf; 0 when none came. */
static int notify_read(int fd, char *buf, size_t n, int ms)
{
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssize_t got = recv(fd, buf, n - 1, 0);
    if (got <= 0)
        return 0;
    buf[got] = '\0';
    return 1;
}

/* Waits up to ms for a datagram containing what. */
static int notify_wait(int fd, const char *what, int ms)
{
    char buf[512];
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        int left = ms - (int)((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
        if (left <= 0 || !notify_read(fd, buf, sizeof buf, left))
            return 0;
        if (strstr(buf, what))
            return 1;
    }
}

static void sd_notify_readiness_reload_and_watchdog(void **state)
{
    (void)state;
    const char *dir = abs_tmpdir("install-notify");
    char db[1200];
    tu_db(db, sizeof db, dir, "notify");
    tu_import_reference(db);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof addr.sun_path, "/tmp/gisd-notify-%d.sock", (int)getpid());
    unlink(addr.sun_path);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    /* as systemd starts a Type=notify unit with WatchdogSec=0.4 */
    setenv("NOTIFY_SOCKET", addr.sun_path, 1);
    setenv("WATCHDOG_USEC", "400000", 1);
    tu_server s;
    tu_server_start(&s, db);
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    assert_true(notify_wait(fd, "READY=1", 10000));
    /* a keep-alive every half period: three within a second */
    for (int i = 0; i < 3; i++)
        assert_true(notify_wait(fd, "WATCHDOG=1", 1000));
    kill(s.pid, SIGHUP);
    assert_true(notify_wait(fd, "RELOADING=1", 3000));
    assert_true(notify_wait(fd, "READY=1", 3000));
    assert_int_equal(status_of(&s, "/healthz"), 200);
    kill(s.pid, SIGTERM);
    assert_true(notify_wait(fd, "STOPPING=1", 5000));
    int st = 0;
    assert_int_equal(waitpid(s.pid, &st, 0), s.pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    close(fd);
    unlink(addr.sun_path);
}

/* wrk's report has no failed request: no socket errors, no non-2xx/3xx. */
static void assert_wrk_clean(const char *report)
{
    if (strstr(report, "Socket errors") || strstr(report, "Non-2xx"))
        fail_msg("wrk saw errors: %s", report);
    if (!strstr(report, "Requests/sec"))
        fail_msg("wrk did not run: %s", report);
}

static long lines_of(const char *path)
{
    char *out;
    assert_int_equal(tu_run(&out, "wc -l < '%s'", path), 0);
    long n = atol(out);
    free(out);
    return n;
}

static void sighup_rotates_the_log_and_reloads_the_rules_under_load(void **state)
{
    (void)state;
    const char *dir = abs_tmpdir("install-hup");
    char db[1200], log[1300], rules[1300];
    tu_db(db, sizeof db, dir, "hup");
    tu_import_reference(db);
    snprintf(log, sizeof log, "%s/access.log", dir);
    snprintf(rules, sizeof rules, "%s/site-rules.json", dir);
    char *out;
    assert_int_equal(tu_run(&out, "cp '%s/layers/site-rules.json' '%s'", tu_root(), rules), 0);
    free(out);
    tu_server s;
    const char *extra[] = {"--access-log", log, "--rules", rules, NULL};
    tu_server_start_args(&s, db, extra);
    char *before;
    assert_int_equal(tu_http(&s, "GET", "/site-rules", NULL, &before, NULL), 200);
    assert_null(strstr(before, "reloaded at SIGHUP"));
    /* during 6 s of load: the log moved away as logrotate does, a new class title, SIGHUP */
    int rc = tu_run(&out,
                    "( wrk -t2 -c8 -d6s '%s/collections/parks/items?limit=5' > '%s/wrk.txt' 2>&1 ) & w=$!; sleep 2; "
                    "mv '%s' '%s.1' && python3 -c \"import json,sys; p=sys.argv[1]; r=json.load(open(p)); "
                    "c=r['classes']; k=next(iter(c)); c[k]['title']='reloaded at SIGHUP'; json.dump(r, open(p,'w'), ensure_ascii=False)\" '%s' "
                    "&& kill -HUP %d; rc=$?; wait $w; cat '%s/wrk.txt'; exit $rc",
                    s.base, dir, log, log, rules, (int)s.pid, dir);
    if (rc != 0)
        fail_msg("the rotation under load: %s", out);
    assert_wrk_clean(out);
    free(out);
    char old[1400];
    snprintf(old, sizeof old, "%s.1", log);
    long a = lines_of(old), b = lines_of(log);
    /* both files got requests: the old one until SIGHUP, the new one after */
    assert_true(a > 100);
    assert_true(b > 100);
    assert_int_equal(tu_run(&out, "python3 -c \"import json,sys; [json.loads(l) for f in sys.argv[1:] for l in open(f)]\" "
                                  "'%s' '%s' 2>&1",
                            old, log),
                     0);
    free(out);
    char *after;
    assert_int_equal(tu_http(&s, "GET", "/site-rules", NULL, &after, NULL), 200);
    assert_non_null(strstr(after, "reloaded at SIGHUP"));
    /* a rules file broken since: SIGHUP keeps the rules in force, and the server serves on */
    write_text(rules, "{ not json");
    kill(s.pid, SIGHUP);
    usleep(500000);
    char *kept;
    assert_int_equal(tu_http(&s, "GET", "/site-rules", NULL, &kept, NULL), 200);
    assert_string_equal(kept, after);
    free(before);
    free(after);
    free(kept);
    tu_server_stop(&s);
}

static void backup_under_load_is_the_store_at_that_moment(void **state)
{
    (void)state;
    const char *dir = abs_tmpdir("install-backup");
    char db[1200], copy[1300], again[1300];
    snprintf(db, sizeof db, "%s/live.sqlite", dir);
    snprintf(copy, sizeof copy, "%s/backup.sqlite", dir);
    snprintf(again, sizeof again, "%s/restored.sqlite", dir);
    tu_import_reference(db);
    tu_server s;
    tu_server_start(&s, db);
    /* 20 s of reads and, meanwhile, the digest, the backup, then a write the backup must not have */
    char *out;
    int rc = tu_run(&out,
                    "( wrk -t2 -c8 -d20s '%s/collections/enterprises/items?limit=50' > '%s/wrk.txt' 2>&1 ) & w=$!; "
                    "sleep 5; sqlite3 '%s' .dump | sha256sum | cut -c1-64 > '%s/at-backup.txt' && "
                    "'%s' backup --db '%s' '%s' && '%s' token add --db '%s' --name after-backup --scope admin > /dev/null; "
                    "rc=$?; wait $w; cat '%s/wrk.txt'; exit $rc",
                    s.base, dir, db, dir, tu_gisd(), db, copy, tu_gisd(), db, dir);
    if (rc != 0)
        fail_msg("backup under load: %s", out);
    assert_wrk_clean(out);
    free(out);
    tu_server_stop(&s);
    char at_backup[65], of_copy[65], now[65];
    assert_int_equal(tu_run(&out, "cat '%s/at-backup.txt'", dir), 0);
    snprintf(at_backup, sizeof at_backup, "%.64s", out);
    free(out);
    tu_store_digest(copy, of_copy);
    tu_store_digest(db, now);
    assert_string_equal(of_copy, at_backup);
    assert_string_not_equal(now, at_backup);
    /* a store of its own: one file, sound, and served */
    char wal[1400];
    snprintf(wal, sizeof wal, "%s-wal", copy);
    assert_false(exists(wal));
    assert_int_equal(tu_run(&out, "sqlite3 '%s' 'PRAGMA integrity_check; PRAGMA journal_mode'", copy), 0);
    assert_string_equal(out, "ok\ndelete\n");
    free(out);
    tu_server_start(&s, copy);
    assert_int_equal(status_of(&s, "/collections/enterprises/items?limit=1"), 200);
    tu_server_stop(&s);
    /* an existing file is never overwritten */
    assert_int_equal(tu_run(&out, "'%s' backup --db '%s' '%s' 2>&1", tu_gisd(), db, copy), 1);
    assert_non_null(strstr(out, "exists"));
    free(out);
    tu_store_digest(copy, now);
    assert_string_equal(now, of_copy);
    /* restore into a new file, then over the live store, which is kept */
    assert_int_equal(tu_run(&out, "'%s' restore --db '%s' '%s' 2>&1", tu_gisd(), again, copy), 0);
    free(out);
    tu_store_digest(again, now);
    assert_string_equal(now, of_copy);
    char live_before[65];
    tu_store_digest(db, live_before);
    assert_int_equal(tu_run(&out, "'%s' restore --db '%s' '%s' 2>&1", tu_gisd(), db, copy), 0);
    free(out);
    tu_store_digest(db, now);
    assert_string_equal(now, of_copy);
    char kept[1400];
    snprintf(kept, sizeof kept, "%s.pre-restore", db);
    tu_store_digest(kept, now);
    assert_string_equal(now, live_before);
    /* a file that is no gisd store is refused, and the store is as it was */
    char junk[1300];
    snprintf(junk, sizeof junk, "%s/junk.sqlite", dir);
    write_text(junk, "not a database at all, but long enough to be read as one...........................");
    assert_int_equal(tu_run(&out, "'%s' restore --db '%s' '%s' 2>&1", tu_gisd(), again, junk), 1);
    free(out);
    assert_int_equal(tu_run(&out, "rm -f '%s' && sqlite3 '%s' 'CREATE TABLE t(x)' && '%s' restore --db '%s' '%s' 2>&1", junk, junk,
                            tu_gisd(), again, junk),
                     1);
    assert_non_null(strstr(out, "no gisd store"));
    free(out);
    tu_store_digest(again, now);
    assert_string_equal(now, of_copy);
    /* PostgreSQL: gisd says which command backs it up and does nothing */
    assert_int_equal(tu_run(&out, "'%s' backup --db 'postgresql://gisd@localhost/city' '%s/city.dump' 2>&1", tu_gisd(), dir),
                     1);
    assert_non_null(strstr(out, "pg_dump -Fc -f"));
    free(out);
    /* gisd migrate keeps no copy once it has succeeded */
    assert_int_equal(tu_run(&out, "'%s' migrate --db '%s' 2>&1", tu_gisd(), again), 0);
    free(out);
    snprintf(kept, sizeof kept, "%s.pre-migrate", again);
    assert_false(exists(kept));
    tu_store_digest(again, now);
    assert_string_equal(now, of_copy);
}

/* The package as an operator installs it: dpkg -i, the service disabled, a
 * gisd user, its store migrated; an upgrade keeps the data; dpkg -r and
 * dpkg -P leave nothing of gisd's but its store. Only as root, and never on
 * a machine where a gisd package is installed already. */
static void the_package_installs_and_removes(void **state)
{
    (void)state;
    if (getuid() != 0) {
        print_message("skipped: dpkg -i needs root (the tests run as uid %d)\n", (int)getuid());
        skip();
    }
    char *out;
    if (tu_run(&out, "dpkg-query -W -f='${Status}' gisd 2>/dev/null | grep -q 'install ok installed'") == 0) {
        free(out);
        print_message("skipped: a gisd package is installed on this machine already; it is not ours to remove\n");
        skip();
    }
    free(out);
    int had_store = exists("/var/lib/gisd");
    make("deb");
    char deb[1200];
    assert_int_equal(tu_run(&out, "ls '%s'/build/deb/gisd_*_$(dpkg --print-architecture).deb", tu_root()), 0);
    snprintf(deb, sizeof deb, "%s", out);
    deb[strcspn(deb, "\n")] = '\0';
    free(out);
    assert_int_equal(tu_run(&out, "dpkg-deb -c '%s'", deb), 0);
    for (size_t i = 0; INSTALLED[i]; i++) {
        char want[256];
        /* Debian's units live in /lib/systemd/system */
        snprintf(want, sizeof want, "./%s", strcmp(INSTALLED[i], "usr/lib/systemd/system/gisd.service") == 0
                                                ? "lib/systemd/system/gisd.service"
                                                : INSTALLED[i]);
        if (!strstr(out, want))
            fail_msg("the package lacks %s", want);
    }
    free(out);
    assert_int_equal(tu_run(&out, "dpkg-deb -f '%s' Depends", deb), 0);
    assert_non_null(strstr(out, "libgdal"));
    assert_non_null(strstr(out, "fonts-wqy-zenhei"));
    assert_null(strstr(out, "-dev"));
    free(out);
    int rc = tu_run(&out, "DEBIAN_FRONTEND=noninteractive dpkg -i '%s' 2>&1", deb);
    if (rc != 0)
        fail_msg("dpkg -i: %s", out);
    free(out);
    assert_int_equal(tu_run(&out, "systemctl is-enabled gisd.service 2>&1"), 1);
    assert_string_equal(out, "disabled\n");
    free(out);
    assert_int_equal(tu_run(&out, "id -u gisd && stat -c '%%U %%a' /var/lib/gisd /var/log/gisd"), 0);
    assert_non_null(strstr(out, "gisd 750\n"));
    free(out);
    assert_true(exists("/var/lib/gisd/gisd.sqlite"));
    /* the service's own view: its user, its configuration, its store */
    rc = tu_run(&out, "cd / && env -u GISD_LAYERS -u GISD_STYLES -u GISD_VENDOR runuser -u gisd -- gisd config check 2>&1");
    if (rc != 0)
        fail_msg("config check as gisd: %s", out);
    assert_non_null(strstr(out, "# configuration file: /etc/gisd/gisd.conf"));
    assert_non_null(strstr(out, "styles = /usr/share/gisd/styles  # default"));
    free(out);
    assert_int_equal(tu_run(&out, "man -w gisd"), 0);
    free(out);
    /* data put in, then the package installed again (an upgrade): postinst migrates and keeps it */
    rc = tu_run(&out, "runuser -u gisd -- gisd import --quiet --db /var/lib/gisd/gisd.sqlite '%s' --layer parks 2>&1",
                tu_data("reference/parks.shp"));
    if (rc != 0)
        fail_msg("import into the service's store: %s", out);
    free(out);
    char d1[65], d2[65];
    tu_store_digest("/var/lib/gisd/gisd.sqlite", d1);
    rc = tu_run(&out, "DEBIAN_FRONTEND=noninteractive dpkg -i '%s' 2>&1", deb);
    if (rc != 0)
        fail_msg("dpkg -i again: %s", out);
    free(out);
    tu_store_digest("/var/lib/gisd/gisd.sqlite", d2);
    assert_string_equal(d1, d2);
    assert_false(exists("/var/lib/gisd/gisd.sqlite.pre-migrate"));
    rc = tu_run(&out, "dpkg -r gisd 2>&1");
    if (rc != 0)
        fail_msg("dpkg -r: %s", out);
    free(out);
    assert_false(exists("/usr/bin/gisd"));
    assert_false(exists("/usr/share/gisd"));
    assert_true(exists("/etc/gisd/gisd.conf")); /* a conffile stays until purge */
    rc = tu_run(&out, "dpkg -P gisd 2>&1");
    if (rc != 0)
        fail_msg("dpkg -P: %s", out);
    free(out);
    assert_false(exists("/etc/gisd"));
    assert_false(exists("/var/log/gisd"));
    assert_true(exists("/var/lib/gisd/gisd.sqlite")); /* the city's data is never removed by the package */
    if (!had_store) {
        assert_int_equal(tu_run(&out, "rm -rf /var/lib/gisd"), 0);
        free(out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(install_puts_everything_in_place),
        cmocka_unit_test(installed_gisd_serves_the_city_from_anywhere),
        cmocka_unit_test(config_file_and_flags_combine),
        cmocka_unit_test(the_unit_passes_systemd_analyze),
        cmocka_unit_test(sd_notify_readiness_reload_and_watchdog),
        cmocka_unit_test(sighup_rotates_the_log_and_reloads_the_rules_under_load),
        cmocka_unit_test(backup_under_load_is_the_store_at_that_moment),
        cmocka_unit_test(the_package_installs_and_removes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
