"""pulp_models.py NAME STORE [PARAMS as key=value]: the same optimisation
gisd optimize NAME solves, built in Python as PySAL's spopt would (NumPy
distance matrices, Shapely for the lines and areas, the model in PuLP) and
solved by CBC. Prints one JSON line: objective, optimal, seconds."""
import csv
import io
import json
import subprocess
import sys
import time

import numpy as np
import pulp
from shapely import wkt
from shapely.strtree import STRtree

t0 = time.time()
name, store = sys.argv[1], sys.argv[2]
params = dict(a.split("=", 1) for a in sys.argv[3:])


def sql(query):
    out = subprocess.run(["sqlite3", store, "-cmd", ".load mod_spatialite", "-csv", query],
                         check=True, capture_output=True, text=True).stdout
    return list(csv.reader(io.StringIO(out)))


def xy(layer, cols, where="1"):
    rows = sql(f"SELECT {cols}, X(ST_Transform(geom, 4549)), Y(ST_Transform(geom, 4549)) FROM {layer} WHERE {where}")
    return rows, np.array([[float(r[-2]), float(r[-1])] for r in rows]).reshape(-1, 2)


def solver():
    # Debian's PuLP leaves out its bundled CBC: the coinor-cbc binary it is
    return pulp.COIN_CMD(path="/usr/bin/cbc", msg=False, timeLimit=float(params.get("time_limit_s", 60)))


if name == "recycling-siting":
    r = float(params.get("radius_m", 1000))
    comms, cxy = xy("communities", "community_id, households")
    hh = np.array([float(c[1]) for c in comms])
    _, pxy = xy("recycling_points", "point_id", "level = 'community'")
    areas = [wkt.loads(a[0]) for a in sql("SELECT AsText(ST_Transform(geom, 4549)) FROM sensitive_areas "
                                          "WHERE kind IN ('water_source', 'ecological_redline', 'basic_farmland')")]
    tree = STRtree(areas)
    from shapely.geometry import Point
    allowed = [j for j in range(len(cxy)) if not any(areas[k].intersects(Point(*cxy[j])) if isinstance(k, (int, np.integer)) else k.intersects(Point(*cxy[j]))
                                                  for k in tree.query(Point(*cxy[j])))]
    d_exist = np.sqrt(((cxy[:, None, :] - pxy[None, :, :]) ** 2).sum(-1)) if len(pxy) else np.zeros((len(cxy), 0))
    kept = (d_exist <= r).any(1)
    cand = cxy[allowed]
    d = np.sqrt(((cxy[:, None, :] - cand[None, :, :]) ** 2).sum(-1))
    cover = d <= r
    prob = pulp.LpProblem("mclp", pulp.LpMaximize)
    x = [pulp.LpVariable(f"x{j}", cat="Binary") for j in range(len(cand))]
    demands = [i for i in range(len(cxy)) if not kept[i] and cover[i].any()]
    y = {i: pulp.LpVariable(f"y{i}", 0, 1) for i in demands}
    prob += pulp.lpSum(hh[i] * y[i] for i in demands)
    for i in demands:
        prob += y[i] <= pulp.lpSum(x[j] for j in np.nonzero(cover[i])[0])
    prob += pulp.lpSum(x) <= int(params["p"])
    status = prob.solve(solver())
    objective = pulp.value(prob.objective) + hh[kept].sum()
elif name == "sorting-siting":
    comms, cxy = xy("communities", "community_id, households")
    hh = np.array([float(c[1]) for c in comms])
    _, sxy = xy("recycling_points", "point_id", "level IN ('transit', 'sorting')")
    d = np.sqrt(((cxy[:, None, :] - sxy[None, :, :]) ** 2).sum(-1))
    prob = pulp.LpProblem("pmedian", pulp.LpMinimize)
    y = [pulp.LpVariable(f"y{j}", cat="Binary") for j in range(len(sxy))]
    x = [[pulp.LpVariable(f"x{i}_{j}", 0, 1) for j in range(len(sxy))] for i in range(len(cxy))]
    prob += pulp.lpSum(hh[i] * d[i, j] / 1000 * x[i][j] for i in range(len(cxy)) for j in range(len(sxy)))
    for i in range(len(cxy)):
        prob += pulp.lpSum(x[i]) == 1
        for j in range(len(sxy)):
            prob += x[i][j] <= y[j]
    prob += pulp.lpSum(y) == int(params["p"])
    status = prob.solve(solver())
    objective = pulp.value(prob.objective)
elif name == "hw-allocation":
    max_m = float(params.get("max_km", 50)) * 1000
    ents, exy = xy("enterprises", "ent_id, hw_tpy, hw_codes", "hw_tpy > 0")
    facs, fxy = xy("hw_facilities", "facility_id, capacity_tpy, hw_codes")
    d = np.sqrt(((exy[:, None, :] - fxy[None, :, :]) ** 2).sum(-1))
    codes = lambda s: {c.strip() for c in (s or "").split(";") if c.strip()}
    arcs = [(e, f) for e in range(len(ents)) for f in range(len(facs))
            if d[e, f] <= max_m and codes(ents[e][2]) <= codes(facs[f][2])]
    def model(sense):
        prob = pulp.LpProblem("hw", sense)
        fl = {a: pulp.LpVariable(f"f{a[0]}_{a[1]}", 0) for a in arcs}
        for e in range(len(ents)):
            prob += pulp.lpSum(fl[a] for a in arcs if a[0] == e) <= float(ents[e][1])
        for f in range(len(facs)):
            prob += pulp.lpSum(fl[a] for a in arcs if a[1] == f) <= float(facs[f][1] or 0)
        return prob, fl
    prob, fl = model(pulp.LpMaximize)
    prob += pulp.lpSum(fl.values())
    prob.solve(solver())
    served = pulp.value(prob.objective)
    prob, fl = model(pulp.LpMinimize)
    prob += pulp.lpSum(fl[a] * d[a] / 1000 for a in arcs)
    prob += pulp.lpSum(fl.values()) >= served - 1e-4
    status = prob.solve(solver())
    objective = pulp.value(prob.objective)
elif name == "heat-extension":
    r = float(params.get("radius_m", 1000))
    pipes = [wkt.loads(p[0]) for p in sql("SELECT AsText(ST_Transform(geom, 4549)) FROM heat_network")]
    tree = STRtree(pipes)
    boilers = sql("SELECT ent_id, boiler_tph, AsText(ST_Transform(geom, 4549)) FROM enterprises "
                  "WHERE boiler_fuel = 'coal' AND boiler_tph > 0")
    items = []
    for b in boilers:
        pt = wkt.loads(b[2])
        k = tree.nearest(pt)
        near = pipes[k] if isinstance(k, (int, np.integer)) else k
        dist = near.distance(pt)
        if dist > r:
            items.append((float(b[1]), dist))
    prob = pulp.LpProblem("knapsack", pulp.LpMaximize)
    x = [pulp.LpVariable(f"x{i}", cat="Binary") for i in range(len(items))]
    prob += pulp.lpSum(t * x[i] for i, (t, _) in enumerate(items))
    prob += pulp.lpSum(s * x[i] for i, (_, s) in enumerate(items)) <= float(params["budget_km"]) * 1000
    status = prob.solve(solver())
    objective = pulp.value(prob.objective)
print(json.dumps({"objective": objective, "optimal": pulp.LpStatus[status] == "Optimal",
                  "seconds": round(time.time() - t0, 3)}))
