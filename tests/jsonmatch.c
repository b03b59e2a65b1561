/* jsonmatch GOT WANT: compares two JSON answers with the tests' own comparer
 * (tu_json_match: ANALYSES.md's tolerances), for the benchmarks. Exit 0 when
 * they agree; 1, with the first difference, when not; 2 when a file is not JSON. */
#include <stdio.h>

#include "testutil.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: jsonmatch GOT.json WANT.json\n");
        return 2;
    }
    json_error_t e;
    json_t *got = json_load_file(argv[1], 0, &e), *want = got ? json_load_file(argv[2], 0, &e) : NULL;
    if (!got || !want) {
        fprintf(stderr, "jsonmatch: %s: %s\n", got ? argv[2] : argv[1], e.text);
        return 2;
    }
    char why[1024];
    int rc = tu_json_match(got, want, "", why, sizeof why);
    if (rc != 0)
        printf("%s and %s differ: %s\n", argv[1], argv[2], why);
    json_decref(got);
    json_decref(want);
    return rc == 0 ? 0 : 1;
}
