/* Concurrency under ThreadSanitizer: a TSan build of the server (GISD_TSAN_BIN)
 * serves tiles, features and analyses to wrk's connections while imports
 * replace a layer under it, which makes every worker reload snapshots, miss
 * the cache and drop the analyses' resident layers while they are read; and
 * a tile cache of 1 MB drops tiles while their reused responses (plain and
 * gzip) are still being sent. ThreadSanitizer must
 * report nothing and every answer must be a success. */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

static void tiles_features_and_analyses_race_nothing(void **state)
{
    (void)state;
    const char *tsan = getenv("GISD_TSAN_BIN");
    if (!tsan || access(tsan, X_OK) != 0)
        fail_msg("GISD_TSAN_BIN must name the ThreadSanitizer build of gisd (make test builds it)");
    const char *dir = tu_tmpdir("races");
    char db[1200], logfile[1200], paths[1200], lua[1200];
    tu_db(db, sizeof db, dir, "ref");
    snprintf(logfile, sizeof logfile, "%s/server.log", dir);
    snprintf(paths, sizeof paths, "%s/paths.txt", dir);
    snprintf(lua, sizeof lua, "%s/random.lua", dir);
    tu_import_reference(db);

    /* tiles at every zoom from 10 to 16 around the city's centre, features, an analysis */
    FILE *f = fopen(paths, "w");
    for (int z = 10; z <= 16; z++) {
        double n = (double)(1u << z), lat = 27.95 * M_PI / 180;
        long x = (long)((120.7 + 180) / 360 * n);
        long y = (long)((1 - log(tan(lat) + 1 / cos(lat)) / M_PI) / 2 * n);
        for (long dx = -1; dx <= 1; dx++)
            for (long dy = -1; dy <= 1; dy++)
                fprintf(f, "/tiles/all/%d/%ld/%ld.mvt\n/tiles/parks,zones/%d/%ld/%ld.mvt\n", z,
                        x + dx, y + dy, z, x + dx, y + dy);
    }
    fputs("/collections/enterprises/items?limit=50&bbox=120.5,27.9,120.8,28.1\n", f);
    fputs("/analysis/hw-proximity\n", f);
    /* the parks it reads are the layer the imports replace: resident sets
     * of the old version are dropped while views of them are still read */
    fputs("/analysis/heating-coverage?radius_m=500\n", f);
    fclose(f);
    f = fopen(lua, "w");
    fputs("local paths = {}\n"
          "for line in io.lines(os.getenv(\"PATHS\")) do paths[#paths + 1] = line end\n"
          "request = function() return wrk.format(\"GET\", paths[math.random(#paths)]) end\n",
          f);
    fclose(f);

    char importer[1200];
    snprintf(importer, sizeof importer, "%s", tu_gisd());
    setenv("GISD_BIN", tsan, 1);
    char supp[1300];
    snprintf(supp, sizeof supp, "suppressions=%s/tests/tsan.supp halt_on_error=0", tu_root());
    setenv("TSAN_OPTIONS", supp, 1);
    int saved = dup(2), fd = open(logfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 2);
    tu_server srv;
    const char *const small_cache[] = {"--tile-cache-mb", "1", NULL};
    tu_server_start_args(&srv, db, small_cache);
    dup2(saved, 2);
    close(fd);
    close(saved);

    char *out;
    int rc = tu_run(&out,
                    "( PATHS='%s' wrk -t1 -c6 -d6s -s '%s' '%s' > '%s/wrk.txt' ) &"
                    "( PATHS='%s' wrk -t1 -c4 -d6s -H 'Accept-Encoding: gzip' -s '%s' '%s' > '%s/wrkgz.txt' ) &"
                    " for i in 1 2 3; do sleep 1; '%s' import --db '%s' '%s' --layer parks"
                    " >/dev/null 2>&1 || exit 1; done; wait; cat '%s/wrk.txt' '%s/wrkgz.txt'",
                    paths, lua, srv.base, dir, paths, lua, srv.base, dir, importer,
                    db, tu_data("reference/parks.shp"), dir, dir);
    char *evicted;
    int mrc = tu_run(&evicted, "curl -sf '%s/metrics' | awk '$1 == \"gisd_tile_cache_evictions_total\" { print $2 }'",
                     srv.base);
    tu_server_stop(&srv);
    assert_int_equal(mrc, 0);
    if (atol(evicted) < 1)
        fail_msg("the 1 MB cache dropped no tile (evictions \"%s\"): the test did not test eviction", evicted);
    free(evicted);
    if (rc != 0)
        fail_msg("wrk or an import failed: %s", out);
    assert_non_null(strstr(out, "Requests/sec"));
    if (strstr(out, "Non-2xx"))
        fail_msg("some answers were not successes:\n%s", out);
    free(out);
    rc = tu_run(&out, "grep -c 'WARNING: ThreadSanitizer' '%s'", logfile);
    if (atoi(out) != 0) {
        free(out);
        tu_run(&out, "grep -A30 'WARNING: ThreadSanitizer' '%s' | head -80", logfile);
        fail_msg("ThreadSanitizer:\n%s", out);
    }
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tiles_features_and_analyses_race_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
