"""network_verify.py NAME ANSWER.json VERIFY.json EXPECTED.json

Recomputes, independently of gisd, what a distance=network layout achieves
from the reference's own network distances (VERIFY.json: computed with
shapely and networkx), and checks it is what the answer claims and what the
reference optimum reaches. Prints "ok" or the first discrepancy; exits 1 on one."""
import json
import sys

name, got, ver, want = sys.argv[1], *(json.load(open(p)) for p in sys.argv[2:5])


def fail(msg):
    print(msg)
    sys.exit(1)


def close(a, b, rel, what):
    if abs(a - b) > rel * max(1.0, abs(b)):
        fail("%s: %r, want %r" % (what, a, b))


if got.get("distance") != "network" or got.get("snap_max_m") != ver["snap_max_m"]:
    fail("the answer does not say distance network, snap_max_m %s" % ver["snap_max_m"])
if name == "recycling-siting":
    hh = ver["households"]
    covered = set(ver["covered_before"])
    sel = set(got["selected"])
    for s in sel:  # covers: each candidate's communities within radius_m along the walks
        covered.update(ver["covers"].get(s, []))
    after = sum(hh[c] for c in covered)
    close(after, got["households_covered_after"], 1e-9, "households covered by the layout")
    close(after, want["households_covered_after"], 1e-9, "households covered against the reference optimum")
    if want["p"] is None and len(sel) != len(want["selected"]):
        fail("set covering: %d points, the optimum is %d" % (len(sel), len(want["selected"])))
    if want["p"] is not None and len(sel) > want["p"]:
        fail("%d points, p is %d" % (len(sel), want["p"]))
elif name == "sorting-siting":
    d, hh = ver["distance_m"], ver["households"]
    if sorted(got["unreachable"]) != sorted(ver["unreachable"]):
        fail("unreachable communities differ")
    skip = set(ver["unreachable"])
    total = 0.0
    for c in hh:
        if c in skip:
            continue
        reach = [d[s][c] for s in got["selected"] if d[s].get(c) is not None]
        if not reach:
            fail("%s reaches no selected site" % c)
        total += hh[c] * min(reach) / 1000.0
    close(total, got["household_km"], 1e-6, "household-km of the layout")
    close(total, want["household_km"], 1e-6, "household-km against the reference optimum")
elif name == "hw-allocation":
    d, tpy, cap = ver["distance_m"], ver["hw_tpy"], ver["capacity_tpy"]
    sent, taken, tkm = {}, {}, 0.0
    for f in got["flows"]:
        key = f["ent_id"] + "|" + f["facility_id"]
        if key not in d:
            fail("a flow %s the reference does not allow (beyond max_km or codes)" % key)
        close(f["distance_m"], d[key], 0.5 / max(1.0, d[key]), "distance of " + key)
        sent[f["ent_id"]] = sent.get(f["ent_id"], 0) + f["tonnes"]
        taken[f["facility_id"]] = taken.get(f["facility_id"], 0) + f["tonnes"]
        tkm += f["tonnes"] * d[key] / 1000.0
    for e, t in sent.items():
        if t > tpy[e] + 0.01:
            fail("%s sends %s t, produces %s" % (e, t, tpy[e]))
    for f, t in taken.items():
        if t > cap[f] + 0.01:
            fail("%s takes %s t, capacity %s" % (f, t, cap[f]))
    close(sum(sent.values()), want["served_t"], 1e-6, "tonnes served against the reference optimum")
    close(tkm, got["tonne_km"], 1e-5, "tonne-km of the layout")
    close(tkm, want["tonne_km"], 1e-5, "tonne-km against the reference optimum")
else:
    fail("no check for " + name)
print("ok")
