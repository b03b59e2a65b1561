#!/usr/bin/env bash
# bench/analyses.sh: the four analyses on the reference city and on 10x and
# 50x copies of it (bench/make_city.sh), gisd against PostGIS doing the same
# analyses (bench/postgis/*.sql, each emitting the ANALYSES.md document) on the
# same data in the same run. Every answer of PostGIS, site-check's twenty
# included, is compared in full with gisd's by build/bench/jsonmatch (the
# tests' comparer, with ANALYSES.md's tolerances); a disagreement fails the
# benchmark. At 50x the analyses also run in a server, the second call of
# each reading its layers from memory (compared with PostGIS too). Leaves build/bench/city50x (and, with KEEP_PG=1, PostGIS holding
# it) for bench/tiles.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/pg.sh
T=build/bench
G=./gisd/gisd
M=$T/jsonmatch
mkdir -p "$T"
make -s "$M"
rm -f "$T/ref.sqlite"
$G import --quiet --db "$T/ref.sqlite" --manifest data/reference/manifest.json >/dev/null
mkdir -p "$T/sites"
/usr/bin/python3 - "$T/sites" <<'PY'
import json, sys
fc = json.load(open('data/reference/sites.geojson'))
for f in fc['features']:
    json.dump(f, open(f"{sys.argv[1]}/{f['id']}.geojson", 'w'), ensure_ascii=False)
PY
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
pg_start
[ "${KEEP_PG:-0}" = 1 ] || trap pg_stop EXIT
declare -A gt pt
for n in 1 10 50; do
  city="$T/city${n}x"
  rm -rf "$city"
  bench/make_city.sh "$T/ref.sqlite" "$n" "$city"
  $G import --quiet --db "$city/gisd.sqlite" --manifest "$city/manifest.json" >/dev/null
  psql -q "$PG_CONN" -c "DROP TABLE IF EXISTS bench_sites"
  pg_load "$city/city.gpkg" 4549 >/dev/null
  ogr2ogr -f PostgreSQL PG:"$PG_CONN" data/reference/sites.geojson -nln bench_sites -overwrite -lco GEOMETRY_NAME=geom >/dev/null
  psql -q "$PG_CONN" -c "ALTER TABLE bench_sites ADD COLUMN g geometry; UPDATE bench_sites SET g = ST_Transform(geom, 4549)"
  # the rules of the same file gisd reads
  /usr/bin/python3 - <<'PY' | psql -q "$PG_CONN"
import json
r = json.load(open('layers/site-rules.json'))
print("DROP TABLE IF EXISTS bench_rules; CREATE TABLE bench_rules (class text, allowed text[], setback_m float8);")
for name, c in r['classes'].items():
    allowed = ','.join('"%s"' % u for u in c['allowed_land_uses'])
    print("INSERT INTO bench_rules VALUES ('%s', '{%s}', %s);" % (name, allowed, c['setback_m']))
PY
  for a in heating-coverage hw-proximity recycling-coverage; do
    t0=$(now); $G analyze "$a" --db "$city/gisd.sqlite" > "$city/$a.gisd.json"; gt[$a,$n]=$(since "$t0")
    t0=$(now); psql -At -v ON_ERROR_STOP=1 "$PG_CONN" -f "bench/postgis/$a.sql" > "$city/$a.pg.json"; pt[$a,$n]=$(since "$t0")
    $M "$city/$a.gisd.json" "$city/$a.pg.json"
  done
  t0=$(now)
  for s in "$T"/sites/*.geojson; do $G analyze site-check --db "$city/gisd.sqlite" --site "$s" > "$city/site-$(basename "$s" .geojson).json"; done
  gt[site-check,$n]=$(since "$t0")
  t0=$(now)
  for s in "$T"/sites/*.geojson; do
    id=$(basename "$s" .geojson)
    psql -At -v ON_ERROR_STOP=1 -v id="$id" "$PG_CONN" -f bench/postgis/site-check.sql > "$city/site-$id.pg.json"
  done
  pt[site-check,$n]=$(since "$t0")
  for s in "$T"/sites/*.geojson; do
    id=$(basename "$s" .geojson)
    $M "$city/site-$id.json" "$city/site-$id.pg.json"
  done
done
# the same analyses in a running server on the 50x city: the first call loads
# the layers it reads into memory, the second reads them from there (warm);
# each answer is compared with PostGIS's like the command line's
city="$T/city50x"
$G serve --db "$city/gisd.sqlite" --listen 127.0.0.1:18097 --analysis-timeout-s 600 2>/dev/null &
spid=$!
for _ in $(seq 100); do curl -sf http://127.0.0.1:18097/healthz >/dev/null && break; sleep 0.1; done
declare -A wt
for a in heating-coverage hw-proximity recycling-coverage; do
  curl -sf -o "$city/$a.cold.json" "http://127.0.0.1:18097/analysis/$a"
  t0=$(now); curl -sf -o "$city/$a.warm.json" "http://127.0.0.1:18097/analysis/$a"; wt[$a]=$(since "$t0")
  $M "$city/$a.warm.json" "$city/$a.pg.json"
done
kill $spid; wait $spid 2>/dev/null || true
printf '%-20s %9s %9s %9s %8s %12s %14s\n' analysis "gisd 1x" "10x" "50x" "50x/1x" "PostGIS 50x" "gisd/PostGIS"
for a in heating-coverage hw-proximity recycling-coverage site-check; do
  printf '%-20s %8.2fs %8.2fs %8.2fs %7.1fx %11.2fs %14s\n' "$a" "${gt[$a,1]}" "${gt[$a,10]}" "${gt[$a,50]}" \
    "$(awk -v a="${gt[$a,50]}" -v b="${gt[$a,1]}" 'BEGIN { print a / b }')" "${pt[$a,50]}" \
    "$(awk -v a="${gt[$a,50]}" -v b="${pt[$a,50]}" 'BEGIN { printf "%.2f", a / b }')"
done
printf '\n%-20s %14s %12s %22s\n' "50x, in a server" "gisd (warm)" "PostGIS" "gisd/PostGIS (<= 0.5)"
for a in heating-coverage hw-proximity recycling-coverage; do
  printf '%-20s %13.2fs %11.2fs %22s\n' "$a" "${wt[$a]}" "${pt[$a,50]}" \
    "$(awk -v a="${wt[$a]}" -v b="${pt[$a,50]}" 'BEGIN { printf "%.2f", a / b }')"
done
echo "(site-check: the 20 reference sites, one process each. Every answer of PostGIS was compared in full"
echo " with gisd's, at 1x, 10x and 50x, by the tests' comparer: they agree. Growth must stay under 80x.)"
