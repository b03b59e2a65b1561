"""Writes a heat network whose 50 km coverage takes GEOS seconds to compute:
N long zigzag pipes of many vertices across the reference city (lon/lat,
CGCS2000), as GeoJSON on stdout. Deterministic (fixed seed)."""
import json
import random
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 400
random.seed(7)
features = []
for i in range(n):
    lon, lat = 120.4 + random.random() * 0.6, 27.8 + random.random() * 0.4
    coords = []
    for k in range(120):
        coords.append([round(lon, 6), round(lat, 6)])
        lon += (random.random() - 0.5) * 0.004
        lat += (random.random() - 0.5) * 0.004
    features.append({"type": "Feature",
                     "properties": {"pipe_id": "HP%05d" % i, "source_id": "HS01",
                                    "diameter_mm": 300, "medium": "steam"},
                     "geometry": {"type": "LineString", "coordinates": coords}})
json.dump({"type": "FeatureCollection", "features": features}, sys.stdout)
