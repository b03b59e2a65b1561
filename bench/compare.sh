#!/usr/bin/env bash
# bench/compare.sh BASE_BIN NEW_BIN: two builds of gisd side by side in one
# run on this machine, for a change that must not cost speed (a refactor):
# items?bbox under wrk, tiles of the 10x city with the cache off (every tile
# cut anew), and each analysis on the 10x city (best of 3). The two servers
# take turns, on the same store, so the machine's drift falls on both. Each
# answer of NEW is compared with BASE's (the same bytes, or the same JSON);
# a difference fails the comparison. Prints a table with NEW/BASE.
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=$(realpath "$1"); NEW=$(realpath "$2")
T=build/bench/compare
rm -rf "$T" && mkdir -p "$T"
DUR=${BENCH_SECONDS:-10}
now() { date +%s.%N; }
"$NEW" import --quiet --db "$T/ref.sqlite" --manifest data/reference/manifest.json >/dev/null
bench/make_city.sh "$T/ref.sqlite" 10 "$T/city10x" >/dev/null
"$NEW" import --quiet --db "$T/city10x/gisd.sqlite" --manifest "$T/city10x/manifest.json" >/dev/null
bench/sample_requests.sh "$T/city10x" "$T" >/dev/null
awk '{ printf "/tiles/all/%s/%s/%s.mvt\n", $1, $2, $3 }' "$T/tiles.txt" > "$T/tiles.paths" # random.lua is sample_requests.sh's
pid=""
trap '[ -n "$pid" ] && kill $pid 2>/dev/null || true' EXIT
serve() { # BIN PORT
  "$1" serve --db "$T/city10x/gisd.sqlite" --listen "127.0.0.1:$2" --threads 2 --tile-cache-mb 0 2>/dev/null &
  pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$2/healthz" >/dev/null && break; sleep 0.1; done
  curl -sf -o /dev/null "http://127.0.0.1:$2/tiles/all/10/0/0.mvt" || true
  for _ in $(seq 600); do
    n=$(curl -s "http://127.0.0.1:$2/metrics" | awk '$1 == "gisd_tile_snapshots_total" { print $2 }')
    [ "${n:-0}" -ge "$(ls layers/*.layer.json | wc -l)" ] && break
    sleep 0.1
  done
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""; }
items='/collections/enterprises/items?bbox=120.5,27.9,120.8,28.1&limit=100'
declare -A items_rps tiles_rps
for round in 1 2; do
  for who in BASE NEW; do
    bin=$BASE; [ $who = NEW ] && bin=$NEW
    serve "$bin" 18095
    curl -s "http://127.0.0.1:18095$items" > "$T/items.$who"
    head -50 "$T/tiles.paths" | while read -r p; do curl -s "http://127.0.0.1:18095$p" | md5sum; done > "$T/tiles.$who"
    r=$(wrk -t2 -c32 -d"${DUR}s" "http://127.0.0.1:18095$items" | awk '/Requests\/sec/ { print $2 }')
    items_rps[$who]="${items_rps[$who]:-} $r"
    r=$(PATHS="$T/tiles.paths" wrk -t2 -c32 -d"${DUR}s" -s "$T/random.lua" http://127.0.0.1:18095 | awk '/Requests\/sec/ { print $2 }')
    tiles_rps[$who]="${tiles_rps[$who]:-} $r"
    stop
  done
done
python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); a.pop("timeStamp",None); b.pop("timeStamp",None); sys.exit(a != b)' "$T/items.BASE" "$T/items.NEW" \
  || { echo "compare: items answers differ"; exit 1; }
cmp -s "$T/tiles.BASE" "$T/tiles.NEW" || { echo "compare: tiles differ"; exit 1; }
best() { echo "$@" | tr ' ' '\n' | awk 'NF' | sort -g | tail -1; }
least() { echo "$@" | tr ' ' '\n' | awk 'NF' | sort -g | head -1; }
printf '%-30s %12s %12s %9s\n' "measure (10x city)" BASE NEW NEW/BASE
b=$(best ${items_rps[BASE]}); n=$(best ${items_rps[NEW]})
printf '%-30s %12s %12s %9s\n' "items?bbox req/s" "$b" "$n" "$(awk -v a="$n" -v b="$b" 'BEGIN { printf "%.3f", a / b }')"
b=$(best ${tiles_rps[BASE]}); n=$(best ${tiles_rps[NEW]})
printf '%-30s %12s %12s %9s\n' "tiles req/s (cache off)" "$b" "$n" "$(awk -v a="$n" -v b="$b" 'BEGIN { printf "%.3f", a / b }')"
for a in "heating-coverage" "hw-proximity" "recycling-coverage" "symbiosis" "park-scorecard --park-id WZ01_0"; do
  declare -A secs=()
  for round in 1 2 3; do
    for who in BASE NEW; do
      bin=$BASE; [ $who = NEW ] && bin=$NEW
      t0=$(now)
      "$bin" analyze $a --db "$T/city10x/gisd.sqlite" > "$T/answer.$who"
      secs[$who]="${secs[$who]:-} $(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }')"
    done
    cmp -s "$T/answer.BASE" "$T/answer.NEW" || { echo "compare: $a answers differ"; exit 1; }
  done
  b=$(least ${secs[BASE]}); n=$(least ${secs[NEW]})
  printf '%-30s %11ss %11ss %9s\n' "${a%% *} (best of 3)" "$b" "$n" "$(awk -v a="$n" -v b="$b" 'BEGIN { printf "%.3f", a / b }')"
done
echo "every answer of NEW equals BASE's"
