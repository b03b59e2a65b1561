"""optimize_check.py NAME ANSWER.json STORE [radius_m|max_km|budget_km | --candidates FILE]

Recomputes, independently of gisd (the store's own SQL through the sqlite3
command line or psql, and plain arithmetic here), what the layout in ANSWER.json
achieves, and checks that it is the objective the answer claims and that it
respects the problem's constraints. Prints "ok" or the first discrepancy."""
import csv
import io
import json
import math
import subprocess
import sys

name, answer, store = sys.argv[1], json.load(open(sys.argv[2])), sys.argv[3]
cand_file = sys.argv[5] if len(sys.argv) > 5 and sys.argv[4] == "--candidates" else None
param = float(sys.argv[4]) if len(sys.argv) > 4 and not cand_file else None


def sql(query):
    if store.startswith("postgresql://"):
        # the same queries in PostGIS's names, through psql
        for sl, pg in (("X(ST_Transform", "ST_X(ST_Transform"), ("Y(ST_Transform", "ST_Y(ST_Transform"),
                       ("MakePoint(column1, column2, 4490)", "ST_SetSRID(ST_MakePoint(column1, column2), 4490)")):
            query = query.replace(sl, pg)
        cmd = ["psql", "-X", "-q", "-t", "--csv", "-v", "ON_ERROR_STOP=1", store, "-c", query]
    else:
        cmd = ["sqlite3", store, "-cmd", ".load mod_spatialite", "-csv", query]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return list(csv.reader(io.StringIO(out)))


def fail(why):
    print(why)
    sys.exit(1)


def points(layer, idf, extra):
    rows = sql(f"SELECT {idf}, {extra}, X(ST_Transform(geom, 4549)), Y(ST_Transform(geom, 4549)) FROM {layer}")
    return rows


if name == "recycling-siting":
    comms = {r[0]: (float(r[1]), float(r[2]), float(r[3])) for r in points("communities", "community_id", "households")}
    pts = [(float(r[2]), float(r[3])) for r in points("recycling_points", "point_id", "level") if r[1] == "community"]
    sel = [comms[i] for i in answer["selected"]]
    kept = pts if answer["existing"] else []
    covered = 0
    for hh, x, y in comms.values():
        if any(math.hypot(x - a, y - b) <= param for a, b in kept + [(s[1], s[2]) for s in sel]):
            covered += hh
    if covered != answer["households_covered_after"]:
        fail(f"the layout covers {covered} households, the answer says {answer['households_covered_after']}")
    if answer["mode"] == "mclp" and len(sel) > answer["p"]:
        fail("more points than p")
elif name == "sorting-siting":
    comms = [(float(r[1]), float(r[2]), float(r[3])) for r in points("communities", "community_id", "households")]
    if cand_file:
        feats = json.load(open(cand_file))["features"]
        values = ",".join(f"({float(f['geometry']['coordinates'][0])!r}, {float(f['geometry']['coordinates'][1])!r})"
                          for f in feats)
        rows = sql(f"SELECT X(ST_Transform(MakePoint(column1, column2, 4490), 4549)), "
                   f"Y(ST_Transform(MakePoint(column1, column2, 4490), 4549)) FROM (VALUES {values}) AS c")
        cands = {str(f["id"]): (float(r[0]), float(r[1])) for f, r in zip(feats, rows)}
    else:
        cands = {r[0]: (float(r[2]), float(r[3])) for r in points("recycling_points", "point_id", "level")}
    sel = [cands[i] for i in answer["selected"]]
    hkm = sum(hh * min(math.hypot(x - a, y - b) for a, b in sel) / 1000 for hh, x, y in comms)
    if abs(hkm - answer["household_km"]) > 1e-4 * hkm:
        fail(f"the layout gives {hkm:.3f} household-km, the answer says {answer['household_km']}")
elif name == "hw-allocation":
    ents = {r[0]: (float(r[1] or 0), r[2], float(r[3]), float(r[4])) for r in
            sql("SELECT ent_id, hw_tpy, hw_codes, X(ST_Transform(geom, 4549)), Y(ST_Transform(geom, 4549)) FROM enterprises")}
    facs = {r[0]: (float(r[1] or 0), r[2], float(r[3]), float(r[4])) for r in
            sql("SELECT facility_id, capacity_tpy, hw_codes, X(ST_Transform(geom, 4549)), Y(ST_Transform(geom, 4549)) FROM hw_facilities")}
    sent, taken, tkm = {}, {}, 0.0
    for f in answer["flows"]:
        e, fa = ents[f["ent_id"]], facs[f["facility_id"]]
        d = math.hypot(e[2] - fa[2], e[3] - fa[3])
        if d > param * 1000 + 1e-6:
            fail(f"{f['ent_id']} -> {f['facility_id']} is {d:.1f} m, over max_km")
        need = [c.strip() for c in (e[1] or "").split(";") if c.strip()]
        have = [c.strip() for c in (fa[1] or "").split(";") if c.strip()]
        if any(c not in have for c in need):
            fail(f"{f['facility_id']} does not take every code of {f['ent_id']}")
        sent[f["ent_id"]] = sent.get(f["ent_id"], 0) + f["tonnes"]
        taken[f["facility_id"]] = taken.get(f["facility_id"], 0) + f["tonnes"]
        tkm += f["tonnes"] * d / 1000
    for k, t in sent.items():
        if t > ents[k][0] + 0.01:
            fail(f"{k} sends {t} t, more than it produces")
    for k, t in taken.items():
        if t > facs[k][0] + 0.01:
            fail(f"{k} takes {t} t, over its capacity")
    if abs(sum(sent.values()) - answer["served_t"]) > 0.01 * max(1, len(answer["flows"])) * 0.001 + 0.01:
        fail(f"the flows serve {sum(sent.values())} t, the answer says {answer['served_t']}")
    if abs(tkm - answer["tonne_km"]) > 1e-4 * max(1, tkm):
        fail(f"the flows make {tkm:.3f} tonne-km, the answer says {answer['tonne_km']}")
elif name == "heat-extension":
    ids = ",".join("'%s'" % s["ent_id"] for s in answer["selected"]) or "''"
    rows = sql("SELECT e.ent_id, e.boiler_tph, e.boiler_fuel, (SELECT min(ST_Distance(ST_Transform(e.geom, 4549), "
               f"ST_Transform(h.geom, 4549))) FROM heat_network h) FROM enterprises e WHERE e.ent_id IN ({ids})")
    tph = sum(float(r[1]) for r in rows)
    spur = sum(float(r[3]) for r in rows)
    if any(r[2] != "coal" or float(r[3]) <= 1000 for r in rows):
        fail("a selected boiler is not coal or lies within heat-network coverage")
    if spur > param * 1000 + 1e-6:
        fail(f"the spurs are {spur:.1f} m, over the budget")
    if abs(tph - answer["tph_retired"]) > 0.01:
        fail(f"the selection retires {tph} t/h, the answer says {answer['tph_retired']}")
print("ok")
