#!/usr/bin/env bash
# bench/scenario.sh [N]: a plan scenario of 100 changes spread over five
# layers of the Nx city (default 50; bench/make_city.sh), made with gisd
# import --scenario, then, in one run, each read in the scenario next to the
# same read of the baseline: items?bbox under wrk, tiles with the cache off
# (a scenario's tiles are never cached), and each analysis (best of 3); and
# how much the store grew for the scenario. Target: scenario / baseline
# <= 1.2 each, and less than 1 MB. Every scenario answer is checked to differ
# from the baseline's only where the scenario changed something: the counts
# of each layer are compared with the changes made.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-50}
G=./gisd/gisd
T=build/bench/scenario
rm -rf "$T" && mkdir -p "$T"
DUR=${BENCH_SECONDS:-10}
now() { date +%s.%N; }
$G import --quiet --db "$T/ref.sqlite" --manifest data/reference/manifest.json >/dev/null
bench/make_city.sh "$T/ref.sqlite" "$N" "$T/city" >/dev/null
db="$T/city/gisd.sqlite"
$G import --quiet --db "$db" --manifest "$T/city/manifest.json" >/dev/null
sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
before=$(stat -c %s "$db")
$G scenario create --db "$db" --id bench --title "100 changes over five layers" >/dev/null
# 20 changes a layer: 8 replaced, 6 deleted, 6 added (copies moved 500 m east)
for layer in recycling_points enterprises heat_network hw_facilities zones; do
  $G export --db "$db" --layer "$layer" --format GeoJSON "$T/$layer.geojson" >/dev/null
  python3 - "$T/$layer.geojson" "$layer" <<'PY'
import json, sys
path, layer = sys.argv[1:3]
d = json.load(open(path))
f = d['features']
idf = json.load(open(f'layers/{layer}.layer.json'))['id_field']
def shift(g):
    def walk(c):
        return [walk(x) for x in c] if isinstance(c[0], list) else [c[0] + 0.005, c[1]]
    g = json.loads(json.dumps(g)); g['coordinates'] = walk(g['coordinates']); return g
step = max(1, len(f) // 40)
picked = f[::step][:20]
for i, x in enumerate(picked[:8]):          # replaced: moved
    x['geometry'] = shift(x['geometry'])
gone = {x['properties'][idf] for x in picked[8:14]}
new = []
for x in picked[14:20]:                     # added: a moved copy with a new id
    y = json.loads(json.dumps(x)); y['geometry'] = shift(y['geometry']); y['properties'][idf] = 'BENCH-' + str(x['properties'][idf]); new.append(y)
d['features'] = [x for x in f if x['properties'][idf] not in gone] + new
json.dump(d, open(path, 'w'), ensure_ascii=False)
PY
  $G import --quiet --db "$db" --scenario bench "$T/$layer.geojson" --layer "$layer" | sed 's/^/  /'
done
sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
after=$(stat -c %s "$db")
printf 'store growth for the scenario: %d bytes (target < 1 MB)\n' $((after - before))
# the fixed requests of the serving benchmarks, around the city's enterprises
bench/sample_requests.sh "$T/city" "$T" >/dev/null
$G serve --db "$db" --listen 127.0.0.1:18097 --threads 2 --tile-cache-mb 0 2>/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf http://127.0.0.1:18097/healthz >/dev/null && break; sleep 0.1; done
# every layer's snapshot in memory before the baseline is timed
curl -sf -o /dev/null http://127.0.0.1:18097/tiles/all/10/0/0.mvt || true
for _ in $(seq 600); do
  n=$(curl -s http://127.0.0.1:18097/metrics | awk '$1 == "gisd_tile_snapshots_total" { print $2 }')
  [ "${n:-0}" -ge "$(ls layers/*.layer.json | wc -l)" ] && break
  sleep 0.1
done
for layer in recycling_points enterprises heat_network hw_facilities zones; do
  b=$(curl -s "http://127.0.0.1:18097/collections/$layer/items?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["numberMatched"])')
  s=$(curl -s "http://127.0.0.1:18097/scenarios/bench/collections/$layer/items?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["numberMatched"])')
  [ $((b - s)) -eq 0 ] || { echo "scenario: $layer has $s features, the baseline $b: want the same (6 deleted, 6 added)"; exit 1; }
done
box=$(head -1 "$T/boxes.txt")
rps() { wrk -t2 -c32 -d"${DUR}s" "$@" | awk '/Requests\/sec/ { print $2 }'; }
printf '%-34s %12s %12s %9s\n' "measure (${N}x city)" baseline scenario ratio
b=$(rps "http://127.0.0.1:18097/collections/enterprises/items?bbox=$box&limit=100")
s=$(rps "http://127.0.0.1:18097/scenarios/bench/collections/enterprises/items?bbox=$box&limit=100")
printf '%-34s %12s %12s %9s\n' "items?bbox req/s" "$b" "$s" "$(awk -v a="$b" -v b="$s" 'BEGIN { printf "%.2f", a / b }')"
awk '{ printf "/tiles/all/%s/%s/%s.mvt\n", $1, $2, $3 }' "$T/tiles.txt" > "$T/base.paths"
awk '{ printf "/scenarios/bench/tiles/all/%s/%s/%s.mvt\n", $1, $2, $3 }' "$T/tiles.txt" > "$T/scen.paths"
b=$(PATHS="$T/base.paths" rps -s "$T/random.lua" http://127.0.0.1:18097)
s=$(PATHS="$T/scen.paths" rps -s "$T/random.lua" http://127.0.0.1:18097)
printf '%-34s %12s %12s %9s\n' "tiles req/s (cache off)" "$b" "$s" "$(awk -v a="$b" -v b="$s" 'BEGIN { printf "%.2f", a / b }')"
kill $pid; wait $pid 2>/dev/null || true
for a in heating-coverage hw-proximity recycling-coverage symbiosis; do
  declare -A t=()
  for round in 1 2 3; do
    for who in baseline bench; do
      t0=$(now)
      $G analyze $a --db "$db" --scenario $who > /dev/null
      t[$who]="${t[$who]:-} $(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }')"
    done
  done
  b=$(echo ${t[baseline]} | tr ' ' '\n' | sort -g | head -1); s=$(echo ${t[bench]} | tr ' ' '\n' | sort -g | head -1)
  printf '%-34s %11ss %11ss %9s\n' "$a (best of 3)" "$b" "$s" "$(awk -v a="$s" -v b="$b" 'BEGIN { printf "%.2f", a / b }')"
done
echo "(ratio: the scenario's time over the baseline's; req/s the other way round)"
