#!/usr/bin/env bash
# make bench: gisd against its peers, side by side, from one run.
#  1. import of the reference manifest and of 200,000 points: gisd vs ogr2ogr into SpatiaLite
#  2. /collections/enterprises/items?bbox=...&limit=100 under wrk (2 threads, 32 connections)
#  3. the analyses on 1x, 10x and 50x cities, and PostGIS on the same (bench/analyses.sh)
#  4. vector tiles of the 50x city: gisd with the cache off and warm, MapServer,
#     PostGIS ST_AsMVT, nginx static (bench/tiles.sh); the truly cold first tile
#     after start and after an import (bench/cold_tiles.sh)
#  5. a soak: wrk -c64 for 5 minutes with an import every 5 s (bench/soak.sh)
#  6. the optimisations on 1x, 10x and 50x cities, gisd and PuLP + CBC (bench/optimize.sh)
#  7. importing the 50x city into PostGIS, gisd and ogr2ogr (bench/pg_import.sh)
#  8. tiles/s, items?bbox req/s and the analyses on one SpatiaLite node, one
#     PostGIS node and two PostGIS nodes behind nginx, with each request's CPU
#     split between gisd, PostgreSQL and nginx (bench/nodes.sh)
#  9. a scenario of 100 changes on the 50x city next to the baseline (bench/scenario.sh)
# 10. the road network next to pgRouting 3 on the same edges (bench/network.sh)
# make bench HOT_PATHS=1 runs only the rows of the hot paths, in one run:
# steps 1-4 (imports, items, the analyses with the server's warm ones, tiles)
# and the cold tiles of 5.
set -euo pipefail
cd "$(dirname "$0")/.."
hot=${HOT_PATHS:-0}
G=./gisd/gisd
T=build/bench
rm -rf "$T" && mkdir -p "$T"
now() { date +%s.%N; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

echo "== import: the reference manifest (10 layers, 5,485 features)"
t0=$(now); $G import --quiet --db "$T/gisd.sqlite" --manifest data/reference/manifest.json >/dev/null; t1=$(now)
gisd_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
R=data/reference
t0=$(now)
ogr2ogr -f SQLite -dsco SPATIALITE=YES "$T/ogr.sqlite" $R/parks.shp -nln parks -t_srs EPSG:4490 -nlt PROMOTE_TO_MULTI
ogr2ogr -update -f SQLite "$T/ogr.sqlite" $R/zones.gpkg -nln zones -t_srs EPSG:4490
ogr2ogr -update -f SQLite "$T/ogr.sqlite" $R/heat_network.geojson -nln heat_network -t_srs EPSG:4490 -nlt PROMOTE_TO_MULTI
ogr2ogr -update -f SQLite "$T/ogr.sqlite" $R/heat_sources.csv -nln heat_sources -oo X_POSSIBLE_NAMES=lon -oo Y_POSSIBLE_NAMES=lat -s_srs EPSG:4326 -t_srs EPSG:4490
ogr2ogr -update -f SQLite "$T/ogr.sqlite" $R/enterprises.csv -nln enterprises -oo X_POSSIBLE_NAMES=X坐标 -oo Y_POSSIBLE_NAMES=Y坐标 -s_srs EPSG:4549 -t_srs EPSG:4490
ogr2ogr -update -f SQLite "$T/ogr.sqlite" $R/recycling_points.geojson -nln recycling_points -t_srs EPSG:4490
ogr2ogr -update -f SQLite "$T/ogr.sqlite" $R/hw_facilities.geojson -nln hw_facilities -t_srs EPSG:4490
ogr2ogr -update -f SQLite "$T/ogr.sqlite" $R/sensitive_areas.shp -nln sensitive_areas -t_srs EPSG:4490 -nlt PROMOTE_TO_MULTI -makevalid
ogr2ogr -update -f SQLite "$T/ogr.sqlite" $R/communities.gpkg -nln communities -t_srs EPSG:4490
ogr2ogr -update -f SQLite "$T/ogr.sqlite" $R/districts.geojson -nln districts -t_srs EPSG:4490 -nlt PROMOTE_TO_MULTI -makevalid
t1=$(now)
ogr_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
printf '%-34s gisd %6.2f s   ogr2ogr %6.2f s   gisd/ogr2ogr %s (target <= 1.5)\n' "reference manifest" "$gisd_s" "$ogr_s" "$(ratio "$gisd_s" "$ogr_s")"

echo "== import: 200,000 points (CSV, Gauss-Kruger metres)"
awk 'BEGIN { srand(42); print "ent_id,name,X,Y";
  for (i = 1; i <= 200000; i++) printf "B%06d,企业%d,%.3f,%.3f\n", i, i, 520000 + rand() * 90000, 3040000 + rand() * 95000 }' > "$T/points.csv"
t0=$(now); $G import --quiet --db "$T/gisd.sqlite" "$T/points.csv" --layer enterprises --srs EPSG:4549 --x X --y Y >/dev/null 2>&1; t1=$(now)
gisd_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
t0=$(now)
ogr2ogr -f SQLite -dsco SPATIALITE=YES "$T/ogr200k.sqlite" "$T/points.csv" -nln enterprises -oo X_POSSIBLE_NAMES=X -oo Y_POSSIBLE_NAMES=Y -s_srs EPSG:4549 -t_srs EPSG:4490
t1=$(now)
ogr_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
printf '%-34s gisd %6.2f s   ogr2ogr %6.2f s   gisd/ogr2ogr %s (target <= 1)\n' "200,000 points" "$gisd_s" "$ogr_s" "$(ratio "$gisd_s" "$ogr_s")"

echo "== serve: /collections/enterprises/items?bbox=...&limit=100 under wrk -t2 -c32 -d10s (target: p99 < 20 ms)"
$G import --quiet --db "$T/gisd.sqlite" --manifest data/reference/manifest.json >/dev/null
$G serve --db "$T/gisd.sqlite" --listen 127.0.0.1:18090 --threads 2 2>/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf http://127.0.0.1:18090/healthz >/dev/null && break; sleep 0.1; done
items=http://127.0.0.1:18090/collections/enterprises/items
echo "one box, asked again and again (its numberMatched counted once, then reused as for the pages after a first):"
wrk -t2 -c32 -d10s --latency "$items?bbox=120.5,27.9,120.8,28.1&limit=100" \
  | awk '/Requests\/sec/ { print "  requests/s: " $2 } / 99% / { print "  p99 latency: " $2 }'
# a box never asked before on every request: each one is counted
cat > "$T/newbox.lua" <<'LUA'
local threads = 0
function setup(thread) threads = threads + 1; thread:set("id", threads) end
function init(args) i = id * 10000000 end
request = function()
  i = i + 1
  local x = 120.5 + (i % 997) * 0.0002 + math.floor(i / 997) * 0.0000001
  return wrk.format("GET", string.format("/collections/enterprises/items?bbox=%.7f,27.9,%.7f,28.1&limit=100", x, x + 0.3))
end
LUA
echo "a new box on every request (each counted):"
wrk -t2 -c32 -d10s --latency -s "$T/newbox.lua" "$items" \
  | awk '/Requests\/sec/ { print "  requests/s: " $2 } / 99% / { print "  p99 latency: " $2 }'
kill $pid; wait $pid 2>/dev/null || true

echo "== analyses: the reference city and its 10x and 50x copies, gisd and PostGIS"
source bench/pg.sh
trap 'kill $pid 2>/dev/null || true; pg_stop' EXIT
KEEP_PG=1 bench/analyses.sh
if [ "$hot" != 1 ]; then
  echo "== import into PostgreSQL + PostGIS: gisd next to ogr2ogr (PG_USE_COPY=YES), the 50x city"
  KEEP_PG=1 bench/pg_import.sh build/bench/city50x
  echo "== nodes: the 50x city on one SpatiaLite node, one PostGIS node, two PostGIS nodes behind nginx"
  KEEP_PG=1 bench/nodes.sh build/bench/city50x
fi
echo "== tiles: the 50x city under wrk -t2 -c32"
bench/tiles.sh build/bench/city50x
echo "== tiles: the first tile, nothing loaded, after start and after an import of the 50x city"
bench/cold_tiles.sh build/bench/city50x
[ "$hot" = 1 ] && exit 0
echo "== soak: wrk -c64 for 5 minutes, an import every 5 s"
bench/soak.sh 300
echo "== optimisations: gisd next to PuLP + CBC on the 1x, 10x and 50x cities"
bench/optimize.sh
echo "== scenarios: a scenario of 100 changes over five layers of the 50x city, next to the baseline"
bench/scenario.sh 50
echo "== the road network: gisd next to pgRouting on the 10x city (build times to 50x)"
bench/network.sh 10
