#!/usr/bin/env bash
# bench/nodes.sh CITY_DIR: the city in CITY_DIR (its manifest; 50x in make
# bench) served three ways, side by side:
#   sqlite   one gisd node on SpatiaLite
#   pg       one gisd node on PostgreSQL + PostGIS
#   pg x2    two gisd nodes on the same PostgreSQL database behind nginx
#            (an upstream with both, keep-alive to the nodes)
# For each: tiles/s (a random tile of 1,000 at z10-z16, the tile cache off so
# that every tile is cut), items?bbox req/s (a random 0.02-degree box of 200,
# limit 100), both under wrk -t2 -c32, and the time of each analysis over
# HTTP. During each wrk run the CPU time of every process involved is read
# from /proc, so each request's cost is split between gisd, PostgreSQL and
# nginx: that split, not the rate on this 2-core machine (where wrk, the
# nodes, nginx and PostgreSQL share two cores), is what sizes a deployment.
# Every node must answer the same items and analyses, or the benchmark stops.
set -euo pipefail
cd "$(dirname "$0")/.."
city=$(cd "$1" && pwd)
G=./gisd/gisd
W=$city/nodes
rm -rf "$W" && mkdir -p "$W"
DUR=${BENCH_SECONDS:-10}
source bench/pg.sh
[ -n "${KEEP_PG:-}" ] || pg_start
# whatever happens: no node, nginx or (unless the caller keeps it) PostgreSQL left behind
cleanup() {
  if [ -f "$W/nginx.pid" ]; then kill "$(cat "$W/nginx.pid")" 2>/dev/null || true; fi
  if [ -f "$W/pids" ]; then kill $(cat "$W/pids") 2>/dev/null || true; fi
  if [ -z "${KEEP_PG:-}" ]; then pg_stop; fi
}
trap cleanup EXIT
PGURI="postgresql://postgres@127.0.0.1:$PG_PORT/gisd_nodes"
psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -c "DROP DATABASE IF EXISTS gisd_nodes" -c "CREATE DATABASE gisd_nodes" >/dev/null
$G import --quiet --db "$PGURI" --manifest "$city/manifest.json" >/dev/null
psql -q "host=127.0.0.1 port=$PG_PORT user=postgres dbname=gisd_nodes" -c "VACUUM ANALYZE" >/dev/null
rm -f "$W/gisd.sqlite"
$G import --quiet --db "$W/gisd.sqlite" --manifest "$city/manifest.json" >/dev/null

# ---- the requests: tiles and boxes around enterprises ----
bench/sample_requests.sh "$city" "$W"
awk '{ printf "/tiles/all/%s/%s/%s.mvt\n", $1, $2, $3 }' "$W/tiles.txt" > "$W/tiles.paths"
awk '{ printf "/collections/enterprises/items?bbox=%s&limit=100\n", $1 }' "$W/boxes.txt" > "$W/items.paths"

# CPU seconds (user + system) of the processes whose pids are given.
cpu() { for p in "$@"; do [ -r "/proc/$p/stat" ] && awk '{ print $14 + $15 }' "/proc/$p/stat"; done |
        awk -v hz="$(getconf CLK_TCK)" '{ s += $1 } END { printf "%.3f", s / hz }'; }
pg_pids() { pgrep -u postgres -f "postgres" | tr '\n' ' '; }
ng_pids() { pgrep nginx | tr '\n' ' ' || true; }

start_node() { # port db [options] -> pid
  local port=$1 db=$2
  shift 2
  $G serve --db "$db" --listen "127.0.0.1:$port" --threads 2 --tile-cache-mb 0 --analysis-timeout-s 600 "$@" \
    >>"$W/serve.log" 2>&1 &
  local pid=$!
  echo "$pid" >> "$W/pids"
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  curl -sf -o /dev/null "http://127.0.0.1:$port/tiles/all/10/0/0.mvt" || true # starts loading the layers
  for _ in $(seq 1200); do
    n=$(curl -s "http://127.0.0.1:$port/metrics" | awk '$1 == "gisd_tile_snapshots_total" { print $2 }')
    [ "${n:-0}" -ge "$(ls layers/*.layer.json | wc -l)" ] && break
    sleep 0.1
  done
  echo "$pid"
}
# The nodes are not this shell's children (start_node runs in $(...)): wait
# until they are gone.
stop_nodes() { kill "$@"; for p in "$@"; do while kill -0 "$p" 2>/dev/null; do sleep 0.1; done; done; }

cat > "$W/nginx.conf" <<NGINX
worker_processes 1;
pid $W/nginx.pid;
error_log $W/nginx.err;
events { worker_connections 1024; }
http {
  access_log off;
  upstream gisd { server 127.0.0.1:18321; server 127.0.0.1:18322; keepalive 64; }
  server {
    listen 127.0.0.1:18320;
    location / { proxy_pass http://gisd; proxy_http_version 1.1; proxy_set_header Connection "";
                 proxy_set_header Host \$http_host; proxy_read_timeout 600s; }
  }
}
NGINX

# run NAME BASE "gisd pids": wrk for tiles and items with the CPU split, then the analyses.
run() {
  local name=$1 base=$2 gpids=$3
  for kind in tiles items; do
    local g0 p0 n0 g1 p1 n1 out
    g0=$(cpu $gpids); p0=$(cpu $(pg_pids)); n0=$(cpu $(ng_pids))
    out=$(PATHS="$W/$kind.paths" wrk -t2 -c32 -d"${DUR}s" --latency -s "$W/random.lua" "$base")
    g1=$(cpu $gpids); p1=$(cpu $(pg_pids)); n1=$(cpu $(ng_pids))
    if echo "$out" | grep -q "Non-2xx\|Socket errors"; then echo "$name $kind: wrk saw errors:"; echo "$out"; exit 1; fi
    local reqs rps p99
    reqs=$(echo "$out" | awk '/requests in/ { print $1 }')
    rps=$(echo "$out" | awk '/Requests\/sec/ { print $2 }')
    p99=$(echo "$out" | awk '$1 == "99%" { print $2 }')
    awk -v n="$name" -v k="$kind" -v r="$rps" -v q="$reqs" -v p="$p99" -v g="$(awk -v a="$g0" -v b="$g1" 'BEGIN { print b - a }')" \
        -v pg="$(awk -v a="$p0" -v b="$p1" 'BEGIN { print b - a }')" -v ng="$(awk -v a="$n0" -v b="$n1" 'BEGIN { print b - a }')" 'BEGIN {
      printf "%-8s %-6s %8.0f req/s  p99 %-8s CPU per request: gisd %.2f ms, PostgreSQL %.2f ms, nginx %.2f ms\n",
             n, k, r, p, 1000 * g / q, 1000 * pg / q, 1000 * ng / q }' | tee -a "$W/results.txt"
  done
  # the same answers everywhere: a page of items and every analysis
  curl -sf "$base/collections/enterprises/items?bbox=120.6,27.9,120.7,28.0&limit=100" |
    /usr/bin/python3 -c "import json,sys; print(sorted(f['id'] for f in json.load(sys.stdin)['features']))" > "$W/items.$name"
  for a in heating-coverage hw-proximity recycling-coverage symbiosis; do
    local t
    t=$(curl -sf -o "$W/$a.$name.json" -w '%{time_total}' "$base/analysis/$a")
    printf '%-8s %-20s %7.2f s\n' "$name" "$a" "$t" | tee -a "$W/results.txt"
  done
}

: > "$W/results.txt"
echo "== one node, SpatiaLite"
s1=$(start_node 18300 "$W/gisd.sqlite"); run sqlite http://127.0.0.1:18300 "$s1"; stop_nodes "$s1"
echo "== one node, PostgreSQL"
p1=$(start_node 18310 "$PGURI"); run pg http://127.0.0.1:18310 "$p1"; stop_nodes "$p1"
echo "== two nodes, PostgreSQL, behind nginx"
# the nodes' links name the balancer, as in a deployment
n1=$(start_node 18321 "$PGURI" --public-url http://127.0.0.1:18320)
n2=$(start_node 18322 "$PGURI" --public-url http://127.0.0.1:18320)
nginx -c "$W/nginx.conf" -p "$W"
for _ in $(seq 50); do curl -sf http://127.0.0.1:18320/healthz >/dev/null && break; sleep 0.1; done
run "pg-x2" http://127.0.0.1:18320 "$n1 $n2"
nginx -c "$W/nginx.conf" -p "$W" -s stop
stop_nodes "$n1" "$n2"

for other in pg pg-x2; do
  cmp -s "$W/items.sqlite" "$W/items.$other" || { echo "items differ between sqlite and $other"; exit 1; }
  for a in heating-coverage hw-proximity recycling-coverage symbiosis; do
    /usr/bin/python3 -c "import json,sys; a, b = (json.load(open(f)) for f in sys.argv[1:]); sys.exit(a != b)" \
      "$W/$a.sqlite.json" "$W/$a.$other.json" || { echo "$a differs between sqlite and $other"; exit 1; }
  done
done
echo "every node gave the same items and analyses"
