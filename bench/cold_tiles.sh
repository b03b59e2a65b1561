#!/usr/bin/env bash
# bench/cold_tiles.sh [CITY_DIR]: the truly cold tile on the 50x city: the
# first tile a fresh gisd serves (nothing loaded: no snapshot, no cache), and
# the first tile after an import of the whole 50x city into the store it
# serves. Target: under 0.5 s each. Makes the 50x city when CITY_DIR lacks it.
set -euo pipefail
cd "$(dirname "$0")/.."
G=./gisd/gisd
city=${1:-build/bench/city50x}
if [ ! -f "$city/gisd.sqlite" ]; then
  mkdir -p build/bench
  $G import --quiet --db build/bench/cold-ref.sqlite --manifest data/reference/manifest.json >/dev/null
  bench/make_city.sh build/bench/cold-ref.sqlite 50 "$city"
  $G import --quiet --db "$city/gisd.sqlite" --manifest "$city/manifest.json" >/dev/null
fi
db="$city/cold.sqlite"
cp "$city/gisd.sqlite" "$db"
rm -f "$db-wal" "$db-shm"
# tiles over park WZ01 of the first copy of the city, at z13, z15 and z11
tiles="/tiles/all/13/6844/3436.mvt /tiles/all/15/27377/13747.mvt /tiles/all/11/1711/859.mvt"
$G serve --db "$db" --listen 127.0.0.1:18094 --threads 2 2>/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf http://127.0.0.1:18094/healthz >/dev/null && break; sleep 0.1; done
first() { curl -s -o /dev/null -w '%{time_total} %{http_code} %{size_download}' "http://127.0.0.1:18094$1"; }
snapshots() { curl -s http://127.0.0.1:18094/metrics | awk '$1 == "gisd_tile_snapshots_total" { print $2 }'; }
nlayers=$(ls layers/*.layer.json | wc -l)
t0=$(date +%s.%N)
for t in $tiles; do echo "first tile after start: $t: $(first "$t") (seconds, status, bytes)"; done
# what the first tile waited for before tiles were cut from their own area
until [ "$(snapshots)" -ge "$nlayers" ]; do sleep 0.05; done
echo "every layer's whole snapshot in memory after $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') s"
echo "the same tile, layers in memory: $(first /tiles/all/13/6844/3436.mvt)"
t0=$(date +%s.%N)
$G import --quiet --db "$db" --manifest "$city/manifest.json" >/dev/null
t1=$(date +%s.%N)
echo "import of the whole 50x city into the served store: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
for t in $tiles; do echo "first tile after the import: $t: $(first "$t")"; done
awk '/snapshots_total|area_reads_total/ && !/^#/' <(curl -s http://127.0.0.1:18094/metrics)
