#!/usr/bin/python3
"""Every form an office sends a site in gives the verdict of the GeoJSON site.

usage: site_forms.py GISD DB BASE_URL SITES_GEOJSON WORKDIR

From one polygon site (site03) and one point site (site04) of the reference
sites, writes the site as GeoJSON in EPSG:4549 (crs member, and without it
given by --srs / Content-Crs), shapefile, zipped shapefile, DXF, KML,
GeoPackage, boundary-point TXT (with the zone prefixed, without it and with
--srs, with 带号= in the header) and in GCJ-02 and BD-09 (converted here by
the published forward formulas); checks each on the command line and over
HTTP against the answer for the GeoJSON Feature, then the bad inputs.
Prints "ok", or what differs and exits 1.
"""
import json
import math
import os
import subprocess
import sys
import urllib.error
import urllib.request
import zipfile

from osgeo import gdal, ogr, osr

gdal.UseExceptions()
GISD, DB, BASE, SITES, WORK = sys.argv[1:6]
os.makedirs(WORK, exist_ok=True)
failures = []


def fail(msg):
    failures.append(msg)


def cli(*args, expect=0):
    p = subprocess.run([GISD, "analyze", "site-check", "--db", DB, *args], capture_output=True, text=True)
    if p.returncode != expect:
        fail(f"gisd analyze site-check {' '.join(args)}: exit {p.returncode}, wanted {expect}: {p.stderr.strip()}")
        return None, p.stderr
    return (json.loads(p.stdout) if expect == 0 else None), p.stderr


def http(body, query="", headers=None):
    req = urllib.request.Request(BASE + "/analysis/site-check" + query, data=body, method="POST",
                                 headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def same(got, want, what, tol=0.05):
    """The verdict and each rule's pass and evidence; distances within tol metres."""
    def walk(g, w, path):
        if isinstance(w, dict):
            if not isinstance(g, dict) or set(g) != set(w):
                return f"{path}: members {sorted(g) if isinstance(g, dict) else g} vs {sorted(w)}"
            for k in w:
                r = walk(g[k], w[k], f"{path}.{k}")
                if r:
                    return r
        elif isinstance(w, list):
            if not isinstance(g, list) or len(g) != len(w):
                return f"{path}: {g} vs {w}"
            for i, (a, b) in enumerate(zip(g, w)):
                r = walk(a, b, f"{path}[{i}]")
                if r:
                    return r
        elif isinstance(w, float) or isinstance(g, float):
            if abs(g - w) > tol:
                return f"{path}: {g} vs {w}"
        elif g != w:
            return f"{path}: {g} vs {w}"
        return None
    if got is None:
        return
    r = walk(got, want, "")
    if r:
        fail(f"{what}: {r}")


sites = {f["id"]: f for f in json.load(open(SITES))["features"]}
poly, point = sites["site03"], sites["site04"]


def write(name, text, mode="w"):
    path = os.path.join(WORK, name)
    with open(path, mode) as f:
        f.write(text)
    return path


def reference(site):
    path = write(site["id"] + ".geojson", json.dumps(site))
    ans, _ = cli("--site", path)
    return ans


def project(site, epsg):
    """The site's geometry in EPSG:epsg, as an OGR geometry."""
    g = ogr.CreateGeometryFromJson(json.dumps(site["geometry"]))
    src, dst = osr.SpatialReference(), osr.SpatialReference()
    src.ImportFromEPSG(4490)
    dst.ImportFromEPSG(epsg)
    for s in (src, dst):
        s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    g.Transform(osr.CoordinateTransformation(src, dst))
    return g


def ogr_file(site, driver, name, epsg, with_props=True, srs=True):
    path = os.path.join(WORK, name)
    drv = ogr.GetDriverByName(driver)
    if os.path.exists(path):
        drv.DeleteDataSource(path)
    ds = drv.CreateDataSource(path)
    sr = osr.SpatialReference()
    sr.ImportFromEPSG(epsg)
    sr.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    g = project(site, epsg)
    layer = ds.CreateLayer("site", sr if srs else None, g.GetGeometryType())
    if with_props:
        for k, t in (("id", ogr.OFTString), ("project_class", ogr.OFTString), ("coal_boiler_tph", ogr.OFTReal)):
            layer.CreateField(ogr.FieldDefn(k, t))
    f = ogr.Feature(layer.GetLayerDefn())
    if with_props:
        for i, k in enumerate(("id", "project_class", "coal_boiler_tph")):
            f.SetField(i, site["properties"][k])  # by place: a shapefile cuts the names
    f.SetGeometry(g)
    layer.CreateFeature(f)
    ds = None
    return path


# ---- the web maps' offsets, forward, as published ----
def _shift(x, y):
    lat = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    lon = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    d = (20 * math.sin(6 * x * math.pi) + 20 * math.sin(2 * x * math.pi)) * 2 / 3
    lat += d + (20 * math.sin(y * math.pi) + 40 * math.sin(y / 3 * math.pi)) * 2 / 3
    lat += (160 * math.sin(y / 12 * math.pi) + 320 * math.sin(y * math.pi / 30)) * 2 / 3
    lon += d + (20 * math.sin(x * math.pi) + 40 * math.sin(x / 3 * math.pi)) * 2 / 3
    lon += (150 * math.sin(x / 12 * math.pi) + 300 * math.sin(x / 30 * math.pi)) * 2 / 3
    return lon, lat


def gcj(lon, lat):
    a, ee = 6378245.0, 0.00669342162296594323
    dlon, dlat = _shift(lon - 105, lat - 35)
    rad = lat / 180 * math.pi
    m = 1 - ee * math.sin(rad) ** 2
    dlat = dlat * 180 / ((a * (1 - ee)) / (m * math.sqrt(m)) * math.pi)
    dlon = dlon * 180 / (a / math.sqrt(m) * math.cos(rad) * math.pi)
    return lon + dlon, lat + dlat


def bd(lon, lat):
    x, y = gcj(lon, lat)
    xp = math.pi * 3000 / 180
    z = math.sqrt(x * x + y * y) + 0.00002 * math.sin(y * xp)
    t = math.atan2(y, x) + 0.000003 * math.cos(x * xp)
    return z * math.cos(t) + 0.0065, z * math.sin(t) + 0.006


def offset(site, fn):
    def conv(c):
        if isinstance(c[0], (int, float)):
            return list(fn(c[0], c[1]))
        return [conv(x) for x in c]
    s = json.loads(json.dumps(site))
    s["geometry"]["coordinates"] = conv(s["geometry"]["coordinates"])
    return s


def txt(site, prefix, header=""):
    """The polygon as a 部标 boundary-point TXT: point, ring, X (north), Y (east)."""
    g = project(site, 4528 if prefix else 4549)
    ring = json.loads(g.ExportToJson())["coordinates"][0]
    lines = ["[属性描述]", "坐标系=2000国家大地坐标系", "几度分带=3", "投影类型=高斯克吕格", "计量单位=米"]
    if header:
        lines.append(header)
    lines += ["[地块坐标]", f"{len(ring)},0.5,{site['id']},拟建项目,面,,工业用地,,@"]
    for i, (e, n) in enumerate(ring):
        lines.append(f"J{i + 1 if i < len(ring) - 1 else 1},1,{n:.3f},{e:.3f}")
    return "\r\n".join(lines) + "\r\n"


ref_poly, ref_point = reference(poly), reference(point)
if ref_poly is None or ref_point is None:
    print("\n".join(failures))
    sys.exit(1)
cls = ["--project-class", "M3", "--coal-boiler-tph", "10"]
q_cls = "?project_class=M3&coal_boiler_tph=10"

# GeoJSON in a projected CRS: the crs member; --srs / Content-Crs without it
for site, ref in ((poly, ref_poly), (point, ref_point)):
    g = project(site, 4549)
    f = {"type": "Feature", "id": site["id"], "properties": site["properties"], "geometry": json.loads(g.ExportToJson())}
    with_crs = dict(f, crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4549"}})
    p = write(site["id"] + "-4549.geojson", json.dumps(with_crs))
    same(cli("--site", p)[0], ref, f"{site['id']} GeoJSON with crs EPSG:4549 (CLI)")
    st, ans = http(json.dumps(with_crs).encode())
    same(ans if st == 200 else {"status": st, **ans}, ref, f"{site['id']} GeoJSON with crs (HTTP)")
    p = write(site["id"] + "-bare4549.geojson", json.dumps(f))
    same(cli("--site", p, "--srs", "EPSG:4549")[0], ref, f"{site['id']} GeoJSON --srs EPSG:4549")
    st, ans = http(json.dumps(f).encode(), headers={"Content-Crs": "<http://www.opengis.net/def/crs/EPSG/0/4549>"})
    same(ans if st == 200 else {"status": st, **ans}, ref, f"{site['id']} GeoJSON Content-Crs (HTTP)")
    # the web maps' offsets
    for name, fn in (("GCJ02", gcj), ("BD09", bd)):
        o = offset(site, fn)
        p = write(f"{site['id']}-{name}.geojson", json.dumps(o))
        same(cli("--site", p, "--srs", name)[0], ref, f"{site['id']} {name} (CLI)", tol=0.5)
        st, ans = http(json.dumps(o).encode(), headers={"Content-Crs": name})
        same(ans if st == 200 else {"status": st, **ans}, ref, f"{site['id']} {name} (HTTP)", tol=0.5)
    # the process takes the crs member too
    req = urllib.request.Request(BASE + "/processes/site-check/execution", method="POST",
                                 data=json.dumps({"inputs": {"site": with_crs}}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        same(json.loads(r.read()), ref, f"{site['id']} process with crs member")

# OGR files, with the site's fields and without (then the class on the command line)
shp = ogr_file(poly, "ESRI Shapefile", "site03.shp", 4549)
same(cli("--site", shp)[0], ref_poly, "shapefile")
zpath = os.path.join(WORK, "site03.zip")
with zipfile.ZipFile(zpath, "w") as z:
    for ext in ("shp", "shx", "dbf", "prj"):
        z.write(os.path.join(WORK, "site03." + ext), "site03." + ext)
same(cli("--site", zpath)[0], ref_poly, "zipped shapefile (CLI)")
st, ans = http(open(zpath, "rb").read(), headers={"Content-Type": "application/zip"})
same(ans if st == 200 else {"status": st, **ans}, ref_poly, "zipped shapefile (HTTP)")
gpkg = ogr_file(poly, "GPKG", "site03.gpkg", 4549)
same(cli("--site", gpkg)[0], ref_poly, "GeoPackage")
kml = ogr_file(poly, "KML", "site03.kml", 4326, with_props=False)  # a placemark names no class
same(cli("--site", kml, *cls)[0], ref_poly, "KML")
dxf = ogr_file(poly, "DXF", "site03.dxf", 4549, with_props=False, srs=False)
same(cli("--site", dxf, "--srs", "EPSG:4549", *cls)[0], ref_poly, "DXF with --srs and --project-class")
st, ans = http(open(dxf, "rb").read(), q_cls + "&srs=EPSG:4549")
same(ans if st == 200 else {"status": st, **ans}, ref_poly, "DXF (HTTP, srs and project_class in the query)")

# boundary-point TXT: zone prefix; no prefix with --srs; 带号= in the header
t1 = write("site03-prefix.txt", txt(poly, True))
same(cli("--site", t1, *cls)[0], ref_poly, "TXT with the zone prefix")
st, ans = http(open(t1, "rb").read(), q_cls)
same(ans if st == 200 else {"status": st, **ans}, ref_poly, "TXT with the zone prefix (HTTP)")
t2 = write("site03-bare.txt", txt(poly, False))
same(cli("--site", t2, "--srs", "EPSG:4549", *cls)[0], ref_poly, "TXT without prefix, --srs")
t3 = write("site03-zone.txt", txt(poly, False, "带号=40"))
same(cli("--site", t3, *cls)[0], ref_poly, "TXT without prefix, 带号=40")

# many sites at once equal the single answers
both = {"type": "FeatureCollection", "features": [point, poly]}
st, ans = http(json.dumps(both).encode())
if st != 200 or ans.get("total") != 2 or [s["id"] for s in ans["sites"]] != ["site03", "site04"]:
    fail(f"a collection of two: {st} {json.dumps(ans)[:300]}")
else:
    same({"compliant": ans["sites"][0]["compliant"], "rules": ans["sites"][0]["rules"]}, ref_poly, "batch site03")
    same({"compliant": ans["sites"][1]["compliant"], "rules": ans["sites"][1]["rules"]}, ref_point, "batch site04")
    if ans["compliant"] != ref_poly["compliant"] + ref_point["compliant"]:
        fail(f"batch compliant count {ans['compliant']}")

# ---- bad input: 400 / exit 1 naming the line or the file ----
lines = txt(poly, True).split("\r\n")
open_ring = "\r\n".join(lines[:-2] + [""])  # the closing point dropped
p = write("open.txt", open_ring)
_, msg = cli("--site", p, *cls, expect=1)
if "does not close" not in msg or "line" not in msg:
    fail(f"an open ring: {msg.strip()}")
st, ans = http(open_ring.encode(), q_cls)
if st != 400 or "does not close" not in ans.get("description", ""):
    fail(f"an open ring over HTTP: {st} {ans}")
bad_zone = txt(poly, True).replace(",40", ",40999", 1)
p = write("outside.txt", "\r\n".join(l if not l.startswith("J2,") else "J2,1,3100000.000,40999999.000"
                                      for l in txt(poly, True).split("\r\n")))
_, msg = cli("--site", p, *cls, expect=1)
if "line 9" not in msg or "outside the Gauss-Kruger zone" not in msg:
    fail(f"a point outside its zone: {msg.strip()}")
ds = ogr.GetDriverByName("DXF").CreateDataSource(os.path.join(WORK, "open.dxf"))
lyr = ds.CreateLayer("entities")
f = ogr.Feature(lyr.GetLayerDefn())
f.SetGeometry(ogr.CreateGeometryFromWkt("LINESTRING (500000 3100000, 500100 3100000, 500100 3100100)"))
lyr.CreateFeature(f)
ds = None
_, msg = cli("--site", os.path.join(WORK, "open.dxf"), "--srs", "EPSG:4549", *cls, expect=1)
if "open.dxf" not in msg or "closed polyline" not in msg:
    fail(f"a DXF with no closed polyline: {msg.strip()}")
paris = {"type": "Feature", "properties": {"project_class": "M1"}, "geometry": {"type": "Point", "coordinates": [2.35, 48.85]}}
st, ans = http(json.dumps(paris).encode(), headers={"Content-Crs": "GCJ02"})
if st != 400 or "outside China" not in ans.get("description", ""):
    fail(f"a GCJ-02 point outside China: {st} {ans}")
st, ans = http(json.dumps(point).encode(), "?srs=EPSG:999999")
if st != 400 or "GCJ02" not in ans.get("description", ""):
    fail(f"an unknown srs: {st} {ans}")
p = write("nonsense.txt", "hello, world\r\n")
_, msg = cli("--site", p, *cls, expect=1)
if "line 1" not in msg:
    fail(f"a TXT that is no boundary point list: {msg.strip()}")

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("ok")
