#!/usr/bin/env python3
"""Differential test of CQL2 across the two stores: N filters drawn from a
seed over the reference city's enterprises and zones (comparisons, CASEI,
ACCENTI, LIKE with _ % and escapes, arithmetic with % div ^,
BETWEEN, IN, IS NULL, spatial literals, valid and self-overlapping) go to two
servers of the same city, one on SpatiaLite and one on PostgreSQL, and each
must answer the same: the same numberMatched, or both a 400.

usage: cql2_differential.py BASE_A BASE_B N SEED
Prints "ok N filters agree", or each disagreement and exits 1."""
import json
import random
import sys
import urllib.error
import urllib.parse
import urllib.request

A, B, N, SEED = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rnd = random.Random(SEED)

TEXT = {"enterprises": ["ent_id", "name", "park_id", "industry", "boiler_fuel", "hw_codes", "outputs", "inputs"],
        "zones": ["zone_id", "park_id", "land_use", "name"]}
NUM = {"enterprises": ["boiler_tph", "hw_tpy"], "zones": []}
WORDS = ["化工", "有限公司", "M2", "m2", "WZ0", "E00", "Z00", "Straße", "STRASSE", "Café", "CAFE", "é", "ß",
         "鞋业", "粉煤灰", "none", "NONE", "coal", "废", "温州", "Σ", "ς", "İ", "ǅ", "ﬁ"]


def lit(s):
    return "'" + s.replace("'", "''") + "'"


def pattern():
    parts = []
    for _ in range(rnd.randint(1, 4)):
        parts.append(rnd.choice(["%", "_", rnd.choice(WORDS), "\\%", "\\_", "\\\\", "%%"]))
    p = "".join(parts)
    if rnd.random() < 0.1:
        p += "\\"
    return p


def number():
    # no 1e308: an overflow is a 400 where the engine evaluates it, and
    # PostgreSQL may skip a term that another term already decided (the
    # overflow cases are tested alone, in test_cql2)
    return rnd.choice(["0", "1", "2", "7.5", "0.1", "0.3", "10", "-3", "2.5", "1e-3"])


def arith(layer, depth=0):
    if depth > 2 or rnd.random() < 0.4:
        return rnd.choice(NUM[layer]) if NUM[layer] and rnd.random() < 0.6 else number()
    op = rnd.choice(["+", "-", "*", "/", "%", " div ", "^"])
    if op == "^":  # small whole powers: no overflow, no undefined root
        return "(%s^%s)" % (arith(layer, depth + 1), rnd.choice(["2", "3"]))
    return "(%s%s%s)" % (arith(layer, depth + 1), op, arith(layer, depth + 1))


def polygon():
    x, y = rnd.uniform(120.0, 121.0), rnd.uniform(27.4, 28.3)
    w, h = rnd.uniform(0.01, 0.3), rnd.uniform(0.01, 0.3)
    ring = [(x, y), (x + w, y), (x + w, y + h), (x, y + h), (x, y)]
    if rnd.random() < 0.3:  # a bow tie: self-intersecting
        ring = [(x, y), (x + w, y + h), (x + w, y), (x, y + h), (x, y)]
    return "(" + ",".join("%.5f %.5f" % p for p in ring) + ")"


def spatial():
    f = rnd.choice(["S_INTERSECTS", "S_DISJOINT", "S_WITHIN", "S_CONTAINS"])
    if rnd.random() < 0.4:  # two overlapping parts: an invalid multipolygon
        g = "MULTIPOLYGON((%s),(%s))" % (polygon(), polygon())
    else:
        g = "POLYGON(%s)" % polygon()
    return "%s(geometry, %s)" % (f, g)


def condition(layer, depth=0):
    r = rnd.random()
    if depth < 3 and r < 0.25:
        op = rnd.choice([" AND ", " OR "])
        return "(" + op.join(condition(layer, depth + 1) for _ in range(rnd.randint(2, 3))) + ")"
    if depth < 3 and r < 0.3:
        return "NOT (%s)" % condition(layer, depth + 1)
    kind = rnd.choice(["cmp", "casei", "accenti", "like", "in", "null", "spatial"] + (["num", "between"] if NUM[layer] else []))
    field = rnd.choice(TEXT[layer])
    if kind == "cmp":
        return "%s %s %s" % (field, rnd.choice(["=", "<>", "<", ">="]), lit(rnd.choice(WORDS)))
    if kind == "casei":
        return "CASEI(%s) %s CASEI(%s)" % (field, rnd.choice(["=", "LIKE"]), lit(pattern() if rnd.random() < 0.5 else rnd.choice(WORDS)))
    if kind == "accenti":
        return "ACCENTI(%s) = ACCENTI(%s)" % (field, lit(rnd.choice(WORDS)))
    if kind == "like":
        return "%s %sLIKE %s" % (field, rnd.choice(["", "NOT "]), lit(pattern()))
    if kind == "in":
        return "%s IN (%s)" % (field, ", ".join(lit(rnd.choice(WORDS)) for _ in range(rnd.randint(1, 4))))
    if kind == "null":
        return "%s IS %sNULL" % (field, rnd.choice(["", "NOT "]))
    if kind == "spatial":
        return spatial()
    if kind == "between":
        return "%s BETWEEN %s AND %s" % (rnd.choice(NUM[layer]), number(), number())
    return "%s %s %s" % (arith(layer), rnd.choice(["=", "<", ">", "<>"]), arith(layer))


def ask(base, layer, f):
    u = "%s/collections/%s/items?limit=1&filter=%s" % (base, layer, urllib.parse.quote(f))
    try:
        with urllib.request.urlopen(u, timeout=60) as r:
            return r.status, json.load(r).get("numberMatched")
    except urllib.error.HTTPError as e:
        return e.code, None


# found by this test once: 0.3 reached PostgreSQL as 0.2999999999999999
# (SQLite's printf keeps 16 digits), and 2 div 0.19999999999998863 was 9 there
FIXED = [("enterprises", "(boiler_tph div (hw_tpy%0.3)) = 10 AND ent_id = 'E01616'"),
         ("enterprises", "hw_tpy * 0.1 = 29.900000000000002 AND ent_id = 'E01616'")]

bad = 0
for i in range(-len(FIXED), N):
    layer, f = FIXED[i] if i < 0 else (None, None)
    if i >= 0:
        layer = rnd.choice(["enterprises", "zones"])
        f = condition(layer)
    a, b = ask(A, layer, f), ask(B, layer, f)
    if a != b or a[0] >= 500 or (i < 0 and a != (200, 1)):
        bad += 1
        print("differ: %s %s: %s vs %s" % (layer, f, a, b))
if bad:
    sys.exit(1)
print("ok %d filters agree" % N)
