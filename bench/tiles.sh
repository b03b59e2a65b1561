#!/usr/bin/env bash
# bench/tiles.sh CITY_DIR: tiles per second on the city in CITY_DIR (gisd.sqlite
# and city.gpkg, already loaded into the PostGIS of bench/pg.sh) under wrk
# (2 threads, 32 connections, a random tile of a fixed list of z10-z16 tiles):
# gisd with the tile cache off (the layers' snapshots in memory: every tile
# is cut anew) and warm (cached), MapServer (MVT through FastCGI behind
# nginx, PostGIS source), PostGIS ST_AsMVT under pgbench (2 clients), and
# nginx serving a static file of the median tile's size (and of 20 KB).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/pg.sh
city=$(cd "$1" && pwd)
W=$city/tiles
rm -rf "$W" && mkdir -p "$W"
DUR=${BENCH_SECONDS:-10}
G=./gisd/gisd
# the layers the city has (a city imported without roads has no roads table)
present() { [ -n "$(psql -At "$PG_CONN" -c "SELECT to_regclass('$1')")" ]; }

# ---- the fixed list: 1,000 tiles at z10-z16 around features of the city ----
bench/sample_requests.sh "$city" "$W"
awk '{ printf "/tiles/all/%s/%s/%s.mvt\n", $1, $2, $3 }' "$W/tiles.txt" > "$W/gisd.paths"
awk '{ printf "/mapserv?mode=tile&tilemode=gmap&tile=%s+%s+%s&layers=all&map.imagetype=mvt\n", $2, $3, $1 }' "$W/tiles.txt" > "$W/mapserver.paths"
rps() { PATHS=$2 wrk -t2 -c32 -d"${DUR}s" -s "$W/random.lua" "$1" | awk '/Requests\/sec/ { print $2 }'; }

# ---- gisd ----
serve() {
  $G serve --db "$city/gisd.sqlite" --listen 127.0.0.1:18091 --threads 2 --tile-cache-mb "$1" 2>/dev/null &
  gpid=$!
  for _ in $(seq 100); do curl -sf http://127.0.0.1:18091/healthz >/dev/null && break; sleep 0.1; done
  curl -sf -o /dev/null http://127.0.0.1:18091/tiles/all/10/0/0.mvt || true # starts loading the layers
  # until every layer's snapshot is in memory
  for _ in $(seq 600); do
    n=$(curl -s http://127.0.0.1:18091/metrics | awk '$1 == "gisd_tile_snapshots_total" { print $2 }')
    [ "${n:-0}" -ge "$(ls layers/*.layer.json | wc -l)" ] && break
    sleep 0.1
  done
}
serve 0
gisd_cold=$(rps http://127.0.0.1:18091 "$W/gisd.paths")
sizes=$(while read -r p; do curl -s -o /dev/null -w '%{size_download}\n' "http://127.0.0.1:18091$p"; done < "$W/gisd.paths" | sort -n)
median=$(echo "$sizes" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
largest=$(echo "$sizes" | tail -1)
# and every tile of zooms 0-9 over the whole city, where the most data meets
lowzoom=$(curl -s http://127.0.0.1:18091/tiles/all.json | /usr/bin/python3 -c "
import json, math, sys
b = json.load(sys.stdin)['bounds']
def tile(lon, lat, z):
    n = 2 ** z
    return int((lon + 180) / 360 * n), int((1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2 * n)
for z in range(10):
    (x0, y1), (x1, y0) = tile(b[0], b[1], z), tile(b[2], b[3], z)
    for x in range(x0, x1 + 1):
        for y in range(y0, y1 + 1):
            print(f'/tiles/all/{z}/{x}/{y}.mvt')
" | while read -r p; do curl -s -o /dev/null -w '%{size_download}\n' "http://127.0.0.1:18091$p"; done | sort -n | tail -1)
kill $gpid; wait $gpid 2>/dev/null || true
serve 512
while read -r p; do curl -s -o /dev/null "http://127.0.0.1:18091$p"; done < "$W/gisd.paths"
gisd_warm=$(rps http://127.0.0.1:18091 "$W/gisd.paths")
kill $gpid; wait $gpid 2>/dev/null || true

# ---- PostGIS ST_AsMVT: every layer in its zoom range, one tile per call ----

fn="CREATE OR REPLACE FUNCTION gisd_tile(z int, x int, y int) RETURNS bytea LANGUAGE sql STABLE AS \$\$
WITH b AS (SELECT ST_TileEnvelope(z, x, y) AS env, ST_TileEnvelope(z, x, y, margin => 64.0 / 4096) AS q)
SELECT coalesce(string_agg(t, ''::bytea), ''::bytea) FROM ("
first=1
for def in layers/*.layer.json; do
  present "$(basename "$def" .layer.json)" || continue
  read -r layer minz maxz fields < <(/usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(d['id'], d['minzoom'], d['maxzoom'], ','.join(f['name'] for f in d['fields']))" "$def")
  [ $first = 1 ] || fn="$fn UNION ALL"
  first=0
  fn="$fn SELECT ST_AsMVT(m, '$layer') AS t FROM (SELECT $fields, ST_AsMVTGeom(g3857, b.env, 4096, 64) AS geom
       FROM $layer, b WHERE g3857 && b.q AND z BETWEEN $minz AND $maxz) m"
done
fn="$fn) s \$\$;"
psql -q "$PG_CONN" -c "$fn"
psql -q "$PG_CONN" -c "DROP TABLE IF EXISTS bench_tiles; CREATE TABLE bench_tiles (id serial PRIMARY KEY, z int, x int, y int)"
awk '{ print $1 "," $2 "," $3 }' "$W/tiles.txt" | psql -q "$PG_CONN" -c "COPY bench_tiles (z, x, y) FROM STDIN WITH CSV"
cat > "$W/pgbench.sql" <<'SQL'
\set i random(1, 1000)
SELECT length(gisd_tile(z, x, y)) FROM bench_tiles WHERE id = :i;
SQL
postgis=$(pgbench -n -c 2 -j 2 -T "$DUR" -f "$W/pgbench.sql" "$PG_CONN" 2>/dev/null | awk '/^tps/ { print $3 }')

# ---- MapServer: mapserv under spawn-fcgi behind nginx ----
{
  echo 'MAP'
  echo '  NAME "gisd_bench"'
  echo '  EXTENT -20037508.34 -20037508.34 20037508.34 20037508.34'
  echo '  SIZE 256 256'
  echo '  PROJECTION "init=epsg:3857" END'
  echo '  OUTPUTFORMAT NAME "mvt" DRIVER MVT FORMATOPTION "EDGE_BUFFER=64" FORMATOPTION "EXTENT=4096" END'
  echo '  WEB METADATA "wms_enable_request" "*" "wms_srs" "EPSG:3857" END END'
  for def in layers/*.layer.json; do
    present "$(basename "$def" .layer.json)" || continue
    read -r layer minz maxz kind < <(/usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); g=d['geometry']; print(d['id'], d['minzoom'], d['maxzoom'], 'POINT' if 'Point' in g else 'LINE' if 'Line' in g else 'POLYGON')" "$def")
    awk -v n="$layer" -v k="$kind" -v a="$minz" -v b="$maxz" -v c="$PG_CONN" 'BEGIN {
      s = 559082264.0287178
      printf "  LAYER NAME \"%s\" TYPE %s STATUS ON CONNECTIONTYPE POSTGIS CONNECTION \"%s\"\n", n, k, c
      printf "    DATA \"g3857 from %s using unique fid using srid=3857\"\n", n
      printf "    PROJECTION \"init=epsg:3857\" END\n"
      printf "    PROCESSING \"CLOSE_CONNECTION=DEFER\"\n"
      printf "    MAXSCALEDENOM %.4f MINSCALEDENOM %.4f\n", s / 2 ^ (a - 0.5), s / 2 ^ (b + 0.5)
      printf "    METADATA \"gml_include_items\" \"all\" \"wms_title\" \"%s\" END\n", n
      printf "  END\n" }'
  done
  echo 'END'
} > "$W/city.map"
cat > "$W/mapserver.conf" <<CONF
CONFIG
  ENV
    MS_MAPFILE "$W/city.map"
  END
END
CONF
mkdir -p "$W/nginx/logs" "$W/static"
head -c "$median" /dev/urandom > "$W/static/tile.bin"
head -c 20480 /dev/urandom > "$W/static/tile20k.bin"
cat > "$W/nginx/nginx.conf" <<CONF
worker_processes 2;
pid $W/nginx/nginx.pid;
error_log $W/nginx/logs/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $W/nginx/body; fastcgi_temp_path $W/nginx/fcgi;
  proxy_temp_path $W/nginx/proxy; uwsgi_temp_path $W/nginx/uwsgi; scgi_temp_path $W/nginx/scgi;
  server {
    listen 127.0.0.1:18092;
    location /mapserv { fastcgi_pass unix:$W/mapserv.sock; include /etc/nginx/fastcgi_params; }
    location /static/ { root $W; }
  }
}
CONF
MAPSERVER_CONFIG_FILE="$W/mapserver.conf" spawn-fcgi -s "$W/mapserv.sock" -F 4 -P "$W/spawn.pid" -- /usr/bin/mapserv >/dev/null
[ "$(id -u)" = 0 ] && chmod 666 "$W/mapserv.sock" 2>/dev/null || true
nginx -c "$W/nginx/nginx.conf" -p "$W/nginx"
cleanup() {
  nginx -c "$W/nginx/nginx.conf" -p "$W/nginx" -s stop 2>/dev/null || true
  pkill -f "$W/mapserv.sock" 2>/dev/null || pkill -x mapserv 2>/dev/null || true
}
trap cleanup EXIT
sleep 1
probe=$(head -1 "$W/mapserver.paths")
mscode=$(curl -s -o "$W/probe.mvt" -w '%{http_code}' "http://127.0.0.1:18092$probe")
mapserver=$(rps http://127.0.0.1:18092 "$W/mapserver.paths")
echo "/static/tile.bin" > "$W/static.paths"
static=$(rps http://127.0.0.1:18092 "$W/static.paths")
echo "/static/tile20k.bin" > "$W/static20k.paths"
static20k=$(rps http://127.0.0.1:18092 "$W/static20k.paths")
cleanup
trap - EXIT

r() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
echo "tiles: $(wc -l < "$W/tiles.txt") tiles z10-z16, median $median bytes, largest $largest bytes;"
echo "  largest tile of zooms 0-9: $lowzoom bytes (limit 512000); MapServer's first tile: HTTP $mscode, $(stat -c %s "$W/probe.mvt") bytes"
printf '  %-34s %10s tiles/s\n' "gisd, cache off, layers in memory" "$gisd_cold" "gisd, warm (cache)" "$gisd_warm" \
  "MapServer 8 (FastCGI, nginx)" "$mapserver" "PostGIS ST_AsMVT (pgbench -c2)" "$postgis" \
  "nginx, static $median-byte file" "$static" "nginx, static 20 KB file" "$static20k"
echo "  cache-off gisd / MapServer       $(r "$gisd_cold" "$mapserver")   (target >= 20)"
echo "  cache-off gisd / PostGIS ST_AsMVT $(r "$gisd_cold" "$postgis")   (target >= 5)"
echo "  (truly cold, nothing loaded: bench/cold_tiles.sh)"
echo "  warm gisd / nginx static     $(r "$gisd_warm" "$static")   (target >= 1; the same size)"
echo "  warm gisd / nginx 20 KB      $(r "$gisd_warm" "$static20k")"
