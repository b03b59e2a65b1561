#!/usr/bin/python3
"""Every analysis and optimisation answer downloaded as a planner keeps it:
f=csv read back with Python's csv module and f=xlsx with GDAL's XLSX
driver, each a row an item of the answer's main list (the same count, the
same first cell) under Chinese headers; f=geojson opened by GDAL's GeoJSON
driver; an asynchronous job's results as a table too.

usage: table_check.py BASE_URL WORKDIR
"""
import csv
import io
import json
import sys
import time
import urllib.parse
import urllib.request

from osgeo import gdal, ogr

gdal.UseExceptions()
# the first row is the header row (GDAL guesses so only when the types below it differ)
gdal.SetConfigOption("OGR_XLSX_HEADERS", "FORCE")
base, work = sys.argv[1], sys.argv[2]
failed = []


def fail(msg):
    failed.append(msg)
    print("FAIL: " + msg, file=sys.stderr)


def fetch(path, data=None, headers=None):
    req = urllib.request.Request(base + path, data=data, headers=headers or {})
    with urllib.request.urlopen(req, timeout=300) as r:
        return r.status, r.headers.get("Content-Type", ""), r.read()


def main_list(answer):
    lists = [(len(v), k) for k, v in answer.items() if isinstance(v, list) and v and isinstance(v[0], dict)]
    if lists:
        n, key = max(lists)
        return [k for k in answer if k == key][0], answer[key]
    if answer.get("selected"):
        return "selected", answer["selected"]
    return None, [answer]


def check(name, path, post=None):
    sep = "&" if "?" in path else "?"
    body = json.dumps({"inputs": post}).encode() if post is not None else None
    hdr = {"Content-Type": "application/json"} if post is not None else {}
    _, _, raw = fetch(path, body, hdr)
    answer = json.loads(raw)
    key, items = main_list(answer)
    status, ctype, data = fetch(path + sep + "f=csv", body, hdr)
    if status != 200 or not ctype.startswith("text/csv"):
        fail(f"{name}: f=csv answered {status} {ctype}")
        return
    if not data.startswith(b"\xef\xbb\xbf"):
        fail(f"{name}: the CSV has no byte-order mark (Excel reads its Chinese as mojibake)")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    header, rows = rows[0], rows[1:]
    if len(rows) != len(items):
        fail(f"{name}: {len(rows)} CSV rows for {len(items)} items of {key}")
    if not any(any("\u4e00" <= ch <= "\u9fff" for ch in h) for h in header):
        fail(f"{name}: no Chinese in the headers {header}")
    first = items[0]
    want = first if not isinstance(first, dict) else next(iter(first.values()))
    if rows and str(want) != rows[0][0] and not isinstance(want, (dict, list, float)):
        fail(f"{name}: the first cell is {rows[0][0]!r}, the answer's {want!r}")
    if rows and isinstance(want, float) and abs(float(rows[0][0]) - want) > 1e-6 * max(1, abs(want)):
        fail(f"{name}: the first cell is {rows[0][0]!r}, the answer's {want!r}")
    status, ctype, data = fetch(path + sep + "f=xlsx", body, hdr)
    xlsx = f"{work}/{name}.xlsx"
    open(xlsx, "wb").write(data)
    if "spreadsheetml" not in ctype:
        fail(f"{name}: f=xlsx answered {ctype}")
        return
    ds = gdal.OpenEx(xlsx, gdal.OF_VECTOR)
    layer = ds.GetLayer(0)
    fields = [layer.GetLayerDefn().GetFieldDefn(i).GetName() for i in range(layer.GetLayerDefn().GetFieldCount())]
    if fields != header:
        fail(f"{name}: the workbook's columns {fields[:4]} are not the CSV's {header[:4]}")
    if layer.GetFeatureCount() != len(items):
        fail(f"{name}: {layer.GetFeatureCount()} workbook rows for {len(items)} items")
    print(f"{name}: {len(items)} rows of {key or 'the answer'}, {len(header)} columns")


check("heating-coverage", "/analysis/heating-coverage")
check("hw-proximity", "/analysis/hw-proximity")
check("recycling-coverage", "/analysis/recycling-coverage")
check("symbiosis", "/analysis/symbiosis")
check("park-scorecard", "/analysis/park-scorecard?park_id=WZ01")
check("route", "/analysis/route?from=120.508729,28.052952&to=recycling_points:R00001&mode=walk")
check("recycling-siting", "/processes/recycling-siting/execution", {})
check("hw-allocation", "/processes/hw-allocation/execution", {})

# f=geojson, opened by GDAL
for name in ["heating-coverage", "hw-proximity", "recycling-coverage"]:
    _, _, data = fetch(f"/analysis/{name}?f=geojson")
    path = f"{work}/{name}.geojson"
    open(path, "wb").write(data)
    ds = ogr.Open(path)
    n = sum(ds.GetLayer(i).GetFeatureCount() for i in range(ds.GetLayerCount()))
    if n == 0:
        fail(f"{name}: GDAL reads no features from f=geojson")

# an asynchronous job's results, as a table
req = urllib.request.Request(base + "/processes/hw-allocation/execution", data=b'{"inputs": {}}',
                             headers={"Content-Type": "application/json", "Prefer": "respond-async"})
with urllib.request.urlopen(req, timeout=60) as r:
    job = urllib.parse.urlparse(urllib.parse.urljoin(base, r.headers["Location"])).path
for _ in range(600):
    _, _, raw = fetch(job)
    if json.loads(raw)["status"] in ("successful", "failed"):
        break
    time.sleep(0.2)
_, _, raw = fetch(job + "/results")
flows = json.loads(raw)["flows"]
_, ctype, data = fetch(job + "/results?f=csv")
rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[1:]
if len(rows) != len(flows):
    fail(f"the job's results: {len(rows)} CSV rows for {len(flows)} flows")
sys.exit(1 if failed else 0)
