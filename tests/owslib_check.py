"""Pages through a layer and filters by bbox with python3-owslib's OGC API
Features client; prints 'ok' or what disagreed. Usage: owslib_check.py URL DB"""
import sqlite3
import subprocess
import sys

from owslib.ogcapi.features import Features

url, db = sys.argv[1], sys.argv[2]
api = Features(url)
ids = sorted(c["id"] for c in api.collections()["collections"])
assert len(ids) == 11, ids

# page through communities 200 at a time, following offsets as a client does
seen, offset = [], 0
while True:
    page = api.collection_items("communities", limit=200, offset=offset)
    seen += [f["id"] for f in page["features"]]
    if page["numberReturned"] < 200:
        break
    offset += 200
assert page["numberMatched"] == 1487, page["numberMatched"]
assert len(seen) == 1487 and len(set(seen)) == 1487, len(seen)

# a bbox filter, counted independently with SQLite's own R*Tree-free scan
box = [120.55, 27.95, 120.75, 28.05]
got = api.collection_items("recycling_points", bbox=box, limit=1000)
if db.startswith("postgresql://"):
    want = int(subprocess.run(
        ["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", db, "-c",
         "SELECT count(*) FROM recycling_points WHERE ST_X(geom) BETWEEN %r AND %r AND ST_Y(geom) BETWEEN %r AND %r"
         % (box[0], box[2], box[1], box[3])], check=True, capture_output=True, text=True).stdout)
else:
    con = sqlite3.connect(db)
    con.enable_load_extension(True)
    con.load_extension("mod_spatialite")
    want = con.execute(
        "SELECT count(*) FROM recycling_points WHERE X(geom) BETWEEN ? AND ? AND Y(geom) BETWEEN ? AND ?",
        (box[0], box[2], box[1], box[3])).fetchone()[0]
assert want > 0
assert got["numberMatched"] == want, (got["numberMatched"], want)
assert len(got["features"]) == want
print("ok")
