#!/usr/bin/env bash
# bench/network.sh [N]: gisd's road network next to pgRouting 3 (Debian's
# postgresql-15-pgrouting) on the same edges of the Nx city (default 10;
# bench/make_city.sh), in one run:
#  1. building the three networks of the 1x, Nx and 50x cities (gisd network
#     check: reading the roads, the networks, and joining every point layer
#     to each mode), with gisd's peak memory;
#  2. every hazardous-waste producer to its nearest facility by the hazmat
#     roads: gisd hw-proximity --distance network against pgr_withPointsCost
#     (producers to facilities, then the nearest), the distances compared;
#  3. the communities x candidates drive matrix of sorting-siting (p 5N): gisd's whole
#     optimisation (matrix and p-median) against pgr_withPointsCost from each
#     candidate over the reversed graph (the matrix alone); gisd's layout's
#     household-km recomputed from pgRouting's matrix;
#  4. 1,000 walking service areas of 1 km: gisd's /analysis/service-area,
#     one request after another, against pgr_withPointsDD per start (each
#     with its own budget, 1 km less its access leg); the communities reached
#     compared;
#  5. the network p-median of the 50x city (p 250: the copies' roads do not
#     join, so each copy needs its own centres), proven optimal or not.
# The edges, junctions and joins given to pgRouting are made in PostGIS from
# the same roads (ST_Dump parts in EPSG:4549, junctions by equal endpoints,
# points joined by <-> and ST_LineLocatePoint within 500 m).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/pg.sh
N=${1:-10}
BIG=${BIG:-50} # the city the build time and the p-median are measured on
G=./gisd/gisd
T=build/bench/network
rm -rf "$T" && mkdir -p "$T"
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
# timed VAR COMMAND...: runs it, its wall seconds into VAR
timed() { local v=$1 a; shift; a=$(now); "$@"; printf -v "$v" '%s' "$(secs "$a" "$(now)")"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }

$G import --quiet --db "$T/ref.sqlite" --manifest data/reference/manifest-network.json >/dev/null 2>&1
for n in 1 "$N" "$BIG"; do
  [ -f "$T/c$n/gisd.sqlite" ] && continue
  bench/make_city.sh "$T/ref.sqlite" "$n" "$T/c$n" >/dev/null
  $G import --quiet --db "$T/c$n/gisd.sqlite" --manifest "$T/c$n/manifest.json" >/dev/null 2>&1
done
db="$T/c$N/gisd.sqlite"

echo "== 1. building the networks (three modes) and joining every point layer"
for n in 1 "$N" "$BIG"; do
  /usr/bin/time -f "%e %M" -o "$T/time.txt" $G network check --db "$T/c$n/gisd.sqlite" > "$T/check$n.json"
  read -r s kb < "$T/time.txt"
  python3 - "$T/check$n.json" "$n" "$s" "$kb" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
print("%sx: %d roads, %d edges, %d junctions: %s s, peak %.0f MB" % (sys.argv[2], c["roads"], c["edges"], c["junctions"],
                                                                 sys.argv[3], int(sys.argv[4]) / 1024))
PY
done

echo "== pgRouting: the same edges in PostGIS"
pg_start
psql -q "$PG_CONN" -c "CREATE EXTENSION pgrouting" >/dev/null
pg_load "$T/c$N/city.gpkg" 4549 >/dev/null
psql -q -v ON_ERROR_STOP=1 "$PG_CONN" <<'SQL' >/dev/null
CREATE TABLE parts AS
  SELECT row_number() OVER (ORDER BY road_id, (d).path) AS id, road_id, class, oneway, hazmat, walk, (d).geom AS g
  FROM (SELECT road_id, class, oneway, hazmat, walk, ST_Dump(g) AS d FROM roads) r;
CREATE TABLE junctions AS
  SELECT row_number() OVER () AS id, e FROM (SELECT DISTINCT ST_AsBinary(p) AS e FROM
    (SELECT ST_StartPoint(g) AS p FROM parts UNION ALL SELECT ST_EndPoint(g) FROM parts) x) y;
CREATE UNIQUE INDEX ON junctions (e);
ALTER TABLE parts ADD COLUMN source bigint, ADD COLUMN target bigint, ADD COLUMN len float8;
UPDATE parts SET source = (SELECT id FROM junctions WHERE e = ST_AsBinary(ST_StartPoint(g))),
                 target = (SELECT id FROM junctions WHERE e = ST_AsBinary(ST_EndPoint(g))), len = ST_Length(g);
CREATE VIEW hazmat_edges AS SELECT id, source, target, len AS cost,
  CASE WHEN oneway = 1 THEN -1 ELSE len END AS reverse_cost, g FROM parts WHERE class <> 'path' AND hazmat = 1;
CREATE VIEW drive_edges AS SELECT id, source, target, len AS cost,
  CASE WHEN oneway = 1 THEN -1 ELSE len END AS reverse_cost, g FROM parts WHERE class <> 'path';
CREATE VIEW walk_edges AS SELECT id, source, target, len AS cost, len AS reverse_cost, g FROM parts WHERE walk = 1;
CREATE TABLE hazmat_e AS SELECT * FROM hazmat_edges; CREATE INDEX ON hazmat_e USING gist (g);
CREATE TABLE drive_e AS SELECT * FROM drive_edges; CREATE INDEX ON drive_e USING gist (g);
CREATE TABLE walk_e AS SELECT * FROM walk_edges; CREATE INDEX ON walk_e USING gist (g);
-- each point joined to a mode: its nearest edge, the fraction along it, the
-- access leg, and the vertex pgRouting knows it by: the junction when it
-- lies at an end of its edge (pgRouting leaves such points out), else -pid
CREATE FUNCTION join_points(mode text, layer text, idcol text, first bigint) RETURNS TABLE (pid bigint, id text,
  edge_id bigint, fraction float8, access float8, vid bigint) LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY EXECUTE format(
    'SELECT q.pid, q.id, q.eid, q.f, q.a, CASE WHEN q.f = 0 THEN q.source WHEN q.f = 1 THEN q.target ELSE -q.pid END
     FROM (SELECT %4$s + row_number() OVER (ORDER BY p.%2$I) AS pid, p.%2$I::text AS id, e.id AS eid,
                  ST_LineLocatePoint(e.g, p.g) AS f, ST_Distance(e.g, p.g) AS a, e.source, e.target
           FROM %1$I p CROSS JOIN LATERAL (SELECT id, g, source, target FROM %3$I ORDER BY g <-> p.g LIMIT 1) e
           WHERE ST_Distance(e.g, p.g) <= 500) q', layer, idcol, mode || '_e', first);
END $$;
SQL

# join_table TABLE MODE LAYER1 ID1 KIND1 LAYER2 ID2 KIND2: two layers' points
# joined to a mode, numbered apart (the second from 1,000,000)
join_table() {
  psql -q -v ON_ERROR_STOP=1 "$PG_CONN" -c "CREATE TABLE $1 AS
    SELECT *, '$5'::text AS kind FROM join_points('$2', '$3', '$4', 0)
    UNION ALL SELECT *, '$8' FROM join_points('$2', '$6', '$7', 1000000)" >/dev/null
}

echo "== 2. every hazardous-waste producer to its nearest facility (hazmat roads, ${N}x)"
timed gisd_hw $G analyze hw-proximity --distance network --db "$db" > "$T/hw_gisd.json"
psql -q "$PG_CONN" -c "CREATE VIEW producers AS SELECT * FROM enterprises WHERE hw_tpy > 0" >/dev/null
join_table hw_pts hazmat producers ent_id e hw_facilities facility_id f
t0=$(now)
psql -q -A -t -F ' ' -v ON_ERROR_STOP=1 "$PG_CONN" > "$T/hw_pgr.txt" <<'SQL'
SELECT DISTINCT ON (e.id) e.id, f.id, e.access + c.agg_cost + f.access
FROM pgr_withPointsCost('SELECT id, source, target, cost, reverse_cost FROM hazmat_e',
                        'SELECT pid, edge_id, fraction, ''b''::char AS side FROM hw_pts WHERE vid < 0',
                        (SELECT array_agg(DISTINCT vid) FROM hw_pts WHERE kind = 'e'),
                        (SELECT array_agg(DISTINCT vid) FROM hw_pts WHERE kind = 'f'), true) c
JOIN hw_pts e ON e.kind = 'e' AND e.vid = c.start_pid JOIN hw_pts f ON f.kind = 'f' AND f.vid = c.end_pid
ORDER BY e.id, e.access + c.agg_cost + f.access;
SQL
t1=$(now)
pgr_hw=$(secs "$t0" "$t1")
hw_agree=$(python3 - "$T/hw_gisd.json" "$T/hw_pgr.txt" <<'PY'
import json, sys
g = {r["ent_id"]: r for r in json.load(open(sys.argv[1]))["enterprises"]}
p = {}
for line in open(sys.argv[2]):
    if line.strip():
        e, f, d = line.split()
        p[e] = (f, float(d))
same = sum(1 for e, r in g.items() if (r["facility_id"] is None and e not in p) or
           (e in p and r["facility_id"] == p[e][0] and abs(r["distance_m"] - p[e][1]) <= 0.5))
print("%d of %d producers agree (facility and distance within 0.5 m)" % (same, len(g)))
PY
)
echo "gisd ${gisd_hw} s (whole command: load, network, searches), pgRouting ${pgr_hw} s (the query): $(ratio "$pgr_hw" "$gisd_hw")x; $hw_agree"

echo "== 3. the sorting-siting matrix (drive, communities x candidates, ${N}x)"
timed gisd_sort $G optimize sorting-siting --p $((5 * N)) --distance network --unreachable ignore --db "$db" > "$T/sort_gisd.json"
psql -q "$PG_CONN" -c "CREATE VIEW candidates AS SELECT * FROM recycling_points WHERE level IN ('transit', 'sorting')" >/dev/null
join_table sort_pts drive communities community_id c candidates point_id s
t0=$(now)
# from each candidate over the reversed graph: community -> candidate distances
psql -q -A -t -F ' ' -v ON_ERROR_STOP=1 "$PG_CONN" > "$T/sort_pgr.txt" <<'SQL'
SELECT s.id, c.id, c.access + m.agg_cost + s.access
FROM pgr_withPointsCost('SELECT id, source, target, reverse_cost AS cost, cost AS reverse_cost FROM drive_e',
                        'SELECT pid, edge_id, fraction, ''b''::char AS side FROM sort_pts WHERE vid < 0',
                        (SELECT array_agg(DISTINCT vid) FROM sort_pts WHERE kind = 's'),
                        (SELECT array_agg(DISTINCT vid) FROM sort_pts WHERE kind = 'c'), true) m
JOIN sort_pts s ON s.kind = 's' AND s.vid = m.start_pid JOIN sort_pts c ON c.kind = 'c' AND c.vid = m.end_pid;
SQL
t1=$(now)
pgr_sort=$(secs "$t0" "$t1")
sqlite3 -csv "$db" "SELECT community_id, households FROM communities" > "$T/households.csv"
sort_agree=$(python3 - "$T/sort_gisd.json" "$T/sort_pgr.txt" "$T/households.csv" <<'PY'
import csv, json, sys
a = json.load(open(sys.argv[1]))
d = {}
for line in open(sys.argv[2]):
    if line.strip():
        s, c, x = line.split()
        d.setdefault(c, {})[s] = float(x)
hh = {c: float(h) for c, h in csv.reader(open(sys.argv[3]))}
skip = set(a["unreachable"])
hkm = sum(hh[c] * min(d[c][s] for s in a["selected"] if s in d.get(c, {})) / 1000 for c in hh if c not in skip)
print("gisd's layout is %.3f household-km by pgRouting's matrix, %.3f by gisd's (%.2e apart); %d unreachable in both: %s"
      % (hkm, a["household_km"], abs(hkm - a["household_km"]) / a["household_km"], len(skip),
         sorted(skip) == sorted(c for c in hh if c not in d)))
PY
)
echo "gisd ${gisd_sort} s (matrix and p-median, whole command), pgRouting ${pgr_sort} s (the matrix alone): $(ratio "$pgr_sort" "$gisd_sort")x; $sort_agree"

echo "== 4. 1,000 walking service areas of 1 km (${N}x)"
join_table walk_pts walk communities community_id c recycling_points point_id r
psql -q "$PG_CONN" -c "CREATE TABLE starts AS SELECT * FROM walk_pts WHERE kind = 'r' ORDER BY id LIMIT 1000" >/dev/null
psql -q -A -t "$PG_CONN" -c "SELECT id FROM starts ORDER BY id" > "$T/starts.txt"
port=18931
$G serve --db "$db" --listen 127.0.0.1:$port --analysis-timeout-s 600 > "$T/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; pg_stop' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$port/analysis/service-area?from=recycling_points:$(head -1 "$T/starts.txt")" >/dev/null # the network built once
t0=$(now)
python3 - "$port" "$T/starts.txt" > "$T/sa_gisd.txt" <<'PY'
import json, sys, urllib.request
for pid in open(sys.argv[2]).read().split():
    a = json.load(urllib.request.urlopen("http://127.0.0.1:%s/analysis/service-area?from=recycling_points:%s&max_m=1000" % (sys.argv[1], pid)))
    print(pid, a["communities"])
PY
t1=$(now)
gisd_sa=$(secs "$t0" "$t1")
t0=$(now)
psql -q -A -t -F ' ' -v ON_ERROR_STOP=1 "$PG_CONN" > "$T/sa_pgr.txt" <<'SQL'
SELECT s.id, count(c.id)
FROM starts s CROSS JOIN LATERAL pgr_withPointsDD(
  'SELECT id, source, target, cost, reverse_cost FROM walk_e',
  'SELECT pid, edge_id, fraction, ''b''::char AS side FROM walk_pts WHERE vid < 0', s.vid, 1000 - s.access, false, 'b', true) d
LEFT JOIN walk_pts c ON c.vid = d.node AND c.kind = 'c' AND d.agg_cost + c.access + s.access <= 1000
GROUP BY s.id ORDER BY s.id;
SQL
t1=$(now)
pgr_sa=$(secs "$t0" "$t1")
sa_agree=$(python3 - "$T/sa_gisd.txt" "$T/sa_pgr.txt" <<'PY'
import sys
g = dict(l.split() for l in open(sys.argv[1]) if l.strip())
p = dict(l.split() for l in open(sys.argv[2]) if l.strip())
print("%d of %d service areas reach the same communities' count" % (sum(1 for k in g if p.get(k, "0") == g[k]), len(g)))
PY
)
echo "gisd ${gisd_sa} s (1,000 HTTP requests), pgRouting ${pgr_sa} s (1,000 pgr_withPointsDD): $(ratio "$pgr_sa" "$gisd_sa")x; $sa_agree"

echo "== 5. the network p-median of the ${BIG}x city (p $((5 * BIG)): five centres a copy, whose roads do not join)"
t0=$(now)
$G optimize sorting-siting --p $((5 * BIG)) --distance network --unreachable ignore --db "$T/c$BIG/gisd.sqlite" > "$T/sort50.json"
t1=$(now)
python3 -c "import json,sys; a=json.load(open(sys.argv[1])); print('%s s: optimal %s, gap %s, %d communities, %d candidates' % (sys.argv[2], a['optimal'], a['gap'], sum(s['communities'] for s in a['sites']), a['candidates']))" \
  "$T/sort50.json" "$(secs "$t0" "$t1")"
