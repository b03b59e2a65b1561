#!/usr/bin/env bash
# bench/pg_import.sh CITY_DIR: importing a city (its manifest and city.gpkg)
# into PostgreSQL + PostGIS, gisd (binary COPY inside one transaction, the
# features checked, repaired and brought to EPSG:4490, the GiST indexes and
# counters) next to ogr2ogr -f PostgreSQL with PG_USE_COPY=YES (GDAL's
# fastest path), each into an empty database of the same cluster. The
# feature counts must agree or the benchmark stops.
set -euo pipefail
cd "$(dirname "$0")/.."
city=${1:-build/bench/city50x}
G=./gisd/gisd
source bench/pg.sh
[ -n "${KEEP_PG:-}" ] || { pg_start; trap pg_stop EXIT; }
for db in gisd_import ogr_import; do
  psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
  psql -q "host=127.0.0.1 port=$PG_PORT user=postgres dbname=$db" -c "CREATE EXTENSION postgis" >/dev/null
done
t0=$(date +%s.%N)
$G import --quiet --db "postgresql://postgres@127.0.0.1:$PG_PORT/gisd_import" --manifest "$city/manifest.json" >/dev/null
t1=$(date +%s.%N)
ogr2ogr -f PostgreSQL PG:"host=127.0.0.1 port=$PG_PORT user=postgres dbname=ogr_import" "$city/city.gpkg" \
  --config PG_USE_COPY YES -lco GEOMETRY_NAME=geom -lco SPATIAL_INDEX=GIST
t2=$(date +%s.%N)
n_gisd=$(psql -t -A "host=127.0.0.1 port=$PG_PORT user=postgres dbname=gisd_import" -c "SELECT sum(feature_count) FROM gisd_layers")
n_ogr=$(for t in $(ogrinfo -ro -q "$city/city.gpkg" | awk -F'[: ]+' '/^[0-9]+:/ { print $2 }'); do
  psql -t -A "host=127.0.0.1 port=$PG_PORT user=postgres dbname=ogr_import" -c "SELECT count(*) FROM $t"; done | awk "{ s += \$1 } END { print s }")
[ "$n_gisd" = "$n_ogr" ] || { echo "gisd imported $n_gisd features, ogr2ogr $n_ogr: they disagree"; exit 1; }
awk -v a="$t0" -v b="$t1" -v c="$t2" -v n="$n_gisd" 'BEGIN {
  printf "import into PostGIS, %d features: gisd %.2f s, ogr2ogr (PG_USE_COPY=YES) %.2f s, ratio %.2f (target <= 1.2)\n",
         n, b - a, c - b, (b - a) / (c - b) }'
