#!/usr/bin/env bash
# Runs every test binary (and each fuzz target through run_fuzz.sh); prints
# each cmocka summary and a closing total. Binaries after "--pg" run again on
# PostgreSQL.
set -u
passed=0; failed=0; bad_bins=()
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:${ASAN_OPTIONS:-}"
export LSAN_OPTIONS="suppressions=${GISD_ROOT}/tests/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export GISD_LAYERS="${GISD_ROOT}/layers"
export GISD_STYLES="${GISD_ROOT}/styles"
export GISD_VENDOR="${GISD_ROOT}/node_modules/maplibre-gl/dist"
# "--pg" starts a throwaway PostgreSQL 15 + PostGIS cluster (tests/pg_cluster.sh)
# and runs the binaries after it on PostgreSQL: each suite makes its stores
# as databases there (tests/testutil.c: tu_db); gisd_template holds the
# extensions, so a fresh database is a copy of it and not a CREATE EXTENSION.
pg_dir="${GISD_ROOT}/build/tmp/pg-harness"
stop_pg() { "$(dirname "$0")/pg_cluster.sh" stop "$pg_dir"; }
backend=""
for t in "$@"; do
  if [ "$t" = --pg ]; then
    if ! uri=$("$(dirname "$0")/pg_cluster.sh" start "$pg_dir" 2>&1) ||
       ! psql -X -q -v ON_ERROR_STOP=1 "$uri" -c "CREATE DATABASE gisd_template" > /dev/null ||
       ! psql -X -q -v ON_ERROR_STOP=1 "${uri%/*}/gisd_template" \
            -c "CREATE EXTENSION postgis" > /dev/null; then
      echo "error: the PostgreSQL cluster for the second pass did not start: $uri"
      failed=$((failed + 1)); stop_pg; break
    fi
    trap stop_pg EXIT
    export GISD_TEST_PG="$uri"
    backend=" on PostgreSQL"
    continue
  fi
  echo "=== $(basename "$t")$backend"
  case "$(basename "$t")" in
    fuzz_*) out=$("$(dirname "$0")/run_fuzz.sh" "$t" 2>&1); rc=$? ;;
    *) out=$("$t" 2>&1); rc=$? ;;
  esac
  echo "$out"
  p=$(echo "$out" | awk '/^\[  PASSED  \] [0-9]+ test/ {s += $4} END {print s + 0}')
  f=$(echo "$out" | awk '/^\[  FAILED  \] [0-9]+ test/ {s += $4} END {print s + 0}')
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
  if [ $rc -ne 0 ] && [ "${f:-0}" = 0 ]; then failed=$((failed + 1)); bad_bins+=("$(basename "$t")$backend exited $rc"); fi
done
for b in "${bad_bins[@]}"; do echo "error: $b"; done
echo "${passed} passed, ${failed} failed"
[ "$failed" = 0 ]
