"""overview_check.py BASE DB: the city reads at every zoom, checked with GDAL's
MVT driver on the server's tiles: below a layer's minzoom, zones come
dissolved by land use, points clustered with their counts (communities with
their households), and polygons' labels come once each, in one tile."""
import csv
import io
import json
import math
import sqlite3
import subprocess
import sys
import urllib.request

from osgeo import gdal, ogr

gdal.UseExceptions()
base, db = sys.argv[1], sys.argv[2]


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def tile_xy(lon, lat, z):
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def features(z, x, y, layer, layers="all"):
    """The features of one layer of a tile as dicts of their fields."""
    with urllib.request.urlopen(f"{base}/tiles/{layers}/{z}/{x}/{y}.mvt") as r:
        data = r.read()
    if not data:
        return None
    path = f"/vsimem/{z}_{x}_{y}.mvt"
    gdal.FileFromMemBuffer(path, data)
    ds = ogr.Open(path)
    lyr = ds.GetLayerByName(layer) if ds else None
    out = None
    if lyr is not None:
        defn = lyr.GetLayerDefn()
        names = [defn.GetFieldDefn(i).GetName() for i in range(defn.GetFieldCount())]
        out = [{n: f.GetField(n) for n in names if f.IsFieldSet(n)} for f in lyr]
    ds = None
    gdal.Unlink(path)
    return out


def query(q):
    """Rows of q in the store, SpatiaLite's file or PostgreSQL's database."""
    if db.startswith("postgresql://"):
        out = subprocess.run(["psql", "-X", "-q", "-t", "--csv", "-v", "ON_ERROR_STOP=1", db, "-c", q],
                             check=True, capture_output=True, text=True).stdout
        return [tuple(float(v) if v.replace(".", "", 1).isdigit() else v for v in r)
                for r in csv.reader(io.StringIO(out))]
    return sqlite3.connect(db).execute(q).fetchall()


(households, communities), = query("SELECT coalesce(sum(households), 0), count(*) FROM communities")
(enterprises,), = query("SELECT count(*) FROM enterprises")
land_uses = {r[0] for r in query("SELECT DISTINCT land_use FROM zones")}
parks = sorted(r[0] for r in query("SELECT park_id FROM parks"))

# the whole city in one tile: every community and enterprise counted once in the clusters
with urllib.request.urlopen(f"{base}/tiles/all.json") as r:
    ext = json.loads(r.read())["bounds"]
cz = next(z for z in range(6, -1, -1) if tile_xy(ext[0], ext[3], z) == tile_xy(ext[2], ext[1], z))
x0, y0 = tile_xy(ext[0], ext[3], cz)
comm = features(cz, x0, y0, "communities")
if not comm:
    fail(f"no communities at z{cz}")
if any("community_id" in f for f in comm):
    fail("a community cluster carries one community's id")
if sum(f["point_count"] for f in comm) != communities:
    fail(f"communities at z{cz} count {sum(f['point_count'] for f in comm)}, the layer {communities}")
if abs(sum(f["households"] for f in comm) - households) > 0.5:
    fail(f"households at z{cz} {sum(f['households'] for f in comm)}, the layer {households}")
ents = features(cz, x0, y0, "enterprises")
if sum(f["point_count"] for f in ents) != enterprises or not all("boiler_fuel" in f for f in ents):
    fail(f"enterprise clusters at z{cz} do not count every enterprise by fuel")

# zones at z8 (their minzoom is 10): one dissolved feature per land use, nothing else
zx, zy = tile_xy((ext[0] + ext[2]) / 2, (ext[1] + ext[3]) / 2, 8)
seen = {}
for dx in range(-1, 2):
    for dy in range(-1, 2):
        zs = features(8, zx + dx, zy + dy, "zones") or []
        uses = [f.get("land_use") for f in zs]
        if len(uses) != len(set(uses)) or None in uses:
            fail(f"z8 zones are not one feature per land use: {uses}")
        if any("zone_id" in f for f in zs):
            fail("a dissolved zone carries one zone's id")
        seen.update({u: 1 for u in uses})
if not seen or not set(seen) <= land_uses:
    fail(f"z8 zones' land uses {sorted(seen)} are not the layer's {sorted(land_uses)}")
# a layer without an overview stays out below its minzoom
hx, hy = tile_xy((ext[0] + ext[2]) / 2, (ext[1] + ext[3]) / 2, 7)
if features(7, hx, hy, "heat_network", "heat_network") is not None:
    fail("heat_network (minzoom 8, no overview) appears at z7")

# labels: every park's name once over all the z10 tiles, though parks span several tiles
label_count, spans = {}, {}
tx0, ty0 = tile_xy(ext[0], ext[3], 10)
tx1, ty1 = tile_xy(ext[2], ext[1], 10)
for x in range(tx0, tx1 + 1):
    for y in range(ty0, ty1 + 1):
        for f in features(10, x, y, "parks_label", "parks") or []:
            label_count[f["park_id"]] = label_count.get(f["park_id"], 0) + 1
        for f in features(10, x, y, "parks", "parks") or []:
            spans[f["park_id"]] = spans.get(f["park_id"], 0) + 1
if sorted(label_count) != parks or any(n != 1 for n in label_count.values()):
    fail(f"park labels per park over z10: {label_count}")
if max(spans.values()) < 2:
    fail("no park spans two z10 tiles: the label check proves nothing")
print(f"ok: {len(comm)} community clusters, {len(seen)} land uses at z8, {len(parks)} park labels once each")
