"""mvt_same.py A.mvt B.mvt: whether two vector tiles hold the same map, read
with GDAL's MVT driver: every layer with the same features (the same
attributes), points and lines at the same coordinates, and polygons covering
the same ground: their symmetric difference at most a band one tile unit
wide along their boundary, the tiles' own simplification tolerance (a
polygon dissolved from fewer neighbours starts its rings elsewhere, and
Douglas-Peucker then keeps other vertices). Prints "ok" or the first
difference."""
import sys

from osgeo import ogr

ogr.UseExceptions()


def read(path):
    ds = ogr.Open(path)
    out = {}
    for i in range(ds.GetLayerCount()):
        lyr = ds.GetLayer(i)
        feats = []
        for f in lyr:
            attrs = tuple(sorted((k, str(v)) for k, v in f.items().items() if k != "mvt_id"))
            feats.append((attrs, f.GetGeometryRef().Clone()))
        out[lyr.GetName()] = sorted(feats, key=lambda t: (t[0], t[1].ExportToWkt()))
    return out


a, b = read(sys.argv[1]), read(sys.argv[2])
if sorted(a) != sorted(b):
    sys.exit(print(f"layers {sorted(a)} and {sorted(b)}") or 1)
for name in a:
    fa, fb = a[name], b[name]
    if [t[0] for t in fa] != [t[0] for t in fb]:
        sys.exit(print(f"{name}: {len(fa)} and {len(fb)} features, or other attributes") or 1)
    for (attrs, ga), (_, gb) in zip(fa, fb):
        if ga.GetDimension() == 2:
            diff = ga.SymDifference(gb).GetArea()
            edge = max(ga.Boundary().Length(), gb.Boundary().Length())
            if diff > edge * 1.0:
                sys.exit(print(f"{name} {attrs}: the polygons differ by {diff} square units along {edge} units"
                               " of boundary") or 1)
        elif not ga.Equals(gb):
            sys.exit(print(f"{name} {attrs}: {ga.ExportToWkt()[:200]} and {gb.ExportToWkt()[:200]}") or 1)
print("ok")
