#!/usr/bin/env bash
# bench/soak.sh [SECONDS]: gisd under wrk -c64 (features by bbox, tiles,
# /healthz) for SECONDS (default 300) while the recycling points are
# re-imported every 5 s. Passes when wrk saw no error (socket errors or
# non-2xx/3xx answers) and the server's RSS at the end is within 10% of its
# RSS after the first minute (no leak, no unbounded cache).
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-300}
T=build/bench/soak
G=./gisd/gisd
rm -rf "$T" && mkdir -p "$T"
$G import --quiet --db "$T/soak.sqlite" --manifest data/reference/manifest.json >/dev/null
$G serve --db "$T/soak.sqlite" --listen 127.0.0.1:18093 --threads 2 2>"$T/serve.log" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf http://127.0.0.1:18093/healthz >/dev/null && break; sleep 0.1; done
cat > "$T/mix.lua" <<'LUA'
local paths = {
  "/collections/enterprises/items?bbox=120.5,27.9,120.8,28.1&limit=100",
  "/collections/recycling_points/items?limit=50",
  "/tiles/all/12/3420/1715.mvt", "/tiles/all/10/855/429.mvt", "/tiles/all/14/13683/6862.mvt",
  "/healthz"}
local i = 0
request = function() i = i + 1; return wrk.format("GET", paths[i % #paths + 1]) end
LUA
wrk -t2 -c64 -d"${SECS}s" --timeout 10s -s "$T/mix.lua" http://127.0.0.1:18093 > "$T/wrk.txt" &
wpid=$!
start=$(date +%s); rss1=0; imports=0
while kill -0 $wpid 2>/dev/null; do
  sleep 5
  $G import --quiet --db "$T/soak.sqlite" data/reference/recycling_points.geojson --layer recycling_points >/dev/null 2>&1 \
    && imports=$((imports + 1))
  if [ "$rss1" = 0 ] && [ $(( $(date +%s) - start )) -ge $((SECS / 5)) ]; then
    rss1=$(awk '/VmRSS/ { print $2 }' /proc/$pid/status)
  fi
done
wait $wpid
rss2=$(awk '/VmRSS/ { print $2 }' /proc/$pid/status)
reqs=$(awk '/requests in/ { print $1 }' "$T/wrk.txt")
errors=$(awk '/Socket errors/ { s = 0; for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) s += $i; print s } /Non-2xx/ { print $NF }' "$T/wrk.txt" | awk '{ s += $1 } END { print s + 0 }')
growth=$(awk -v a="$rss1" -v b="$rss2" 'BEGIN { printf "%.1f", (b - a) * 100 / a }')
echo "soak: ${SECS} s, $reqs requests, $imports imports, $errors errors; RSS $((rss1 / 1024)) MB after $((SECS / 5)) s, $((rss2 / 1024)) MB at the end ($growth%)"
[ "$errors" = 0 ] || { echo "soak: FAILED: $errors errors"; cat "$T/wrk.txt"; exit 1; }
awk -v g="$growth" 'BEGIN { exit !(g <= 10) }' || { echo "soak: FAILED: RSS grew $growth%"; exit 1; }
