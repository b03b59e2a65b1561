#!/usr/bin/python3
"""Checks a /nearest answer (a straight-line one) against the reference
recycling points, measured here with GDAL's osr in the store's analysis CRS
(EPSG:4549, CGCS2000 / 3-degree Gauss-Kruger CM 120E): the same ids in the
same order (ties by id) and every distance_m within 0.5 m.

usage: nearest_check.py ANSWER.json POINTS.geojson LON LAT N [LEVEL|-] [CATEGORY|-]
"""
import json
import math
import sys

from osgeo import osr

answer_path, points_path, lon, lat, n = sys.argv[1:6]
level = sys.argv[6] if len(sys.argv) > 6 and sys.argv[6] != "-" else None
category = sys.argv[7] if len(sys.argv) > 7 and sys.argv[7] != "-" else None
lon, lat, n = float(lon), float(lat), int(n)

src = osr.SpatialReference()
src.ImportFromEPSG(4490)
src.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
dst = osr.SpatialReference()
dst.ImportFromEPSG(4549)
dst.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
ct = osr.CoordinateTransformation(src, dst)
x0, y0, _ = ct.TransformPoint(lon, lat)

rows = []
for f in json.load(open(points_path, encoding="utf-8"))["features"]:
    p = f["properties"]
    if level and p["level"] != level:
        continue
    if category and category not in p["categories"].split(";"):
        continue
    x, y, _ = ct.TransformPoint(*f["geometry"]["coordinates"][:2])
    rows.append((math.hypot(x - x0, y - y0), p["point_id"]))
rows.sort()
want = rows[:n]
got = json.load(open(answer_path, encoding="utf-8"))["features"]
ids = [f["id"] for f in got]
if ids != [w[1] for w in want]:
    sys.exit(f"ids {ids} != {[w[1] for w in want]}")
for f, (d, _) in zip(got, want):
    if abs(f["properties"]["distance_m"] - d) > 0.5:
        sys.exit(f"{f['id']}: distance_m {f['properties']['distance_m']} != {d:.2f}")
print(f"{len(got)} agree")
