#!/usr/bin/env bash
# bench/sample_requests.sh CITY_DIR OUT_DIR: the fixed requests the serving
# benchmarks replay, drawn around the city's enterprises (seed 7):
# OUT_DIR/tiles.txt, 1,000 tiles at z10-z16 ("z x y"), and OUT_DIR/boxes.txt,
# 200 boxes of 0.02 degrees ("minx,miny,maxx,maxy"); and OUT_DIR/random.lua,
# which has wrk ask a random line of the file named by $PATHS.
set -euo pipefail
city=$1 out=$2
ogr2ogr -f CSV "$out/points.csv" "$city/city.gpkg" enterprises -lco GEOMETRY=AS_XY -select ent_id
/usr/bin/python3 - "$out" <<'PY'
import csv, math, random, sys
w = sys.argv[1]
pts = [(float(r['X']), float(r['Y'])) for r in csv.DictReader(open(w + '/points.csv'))]
random.seed(7)
with open(w + '/tiles.txt', 'w') as out:
    for _ in range(1000):
        lon, lat = random.choice(pts)
        z = random.randint(10, 16)
        n = 2 ** z
        x = int((lon + 180) / 360 * n)
        y = int((1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2 * n)
        out.write(f'{z} {x} {y}\n')
with open(w + '/boxes.txt', 'w') as out:
    for _ in range(200):
        lon, lat = random.choice(pts)
        out.write(f'{lon - 0.01:.4f},{lat - 0.01:.4f},{lon + 0.01:.4f},{lat + 0.01:.4f}\n')
PY
cat > "$out/random.lua" <<'LUA'
local paths = {}
for line in io.lines(os.getenv("PATHS")) do paths[#paths + 1] = line end
math.randomseed(42)
request = function() return wrk.format("GET", paths[math.random(#paths)]) end
LUA
