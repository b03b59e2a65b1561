"""cql2_counts.py FILTERS BASE1 BASE2 COLLECTION: every CQL2 filter of
FILTERS (one a line) selects the same features of COLLECTION from both live
gisd servers, and at least one feature. Prints what differs; exit 1 when
anything does."""
import json
import sys
import urllib.error
import urllib.parse
import urllib.request


def ask(base, coll, pred, limit):
    q = urllib.parse.urlencode({"filter": pred, "limit": limit})
    try:
        return json.load(urllib.request.urlopen(f"{base}/collections/{coll}/items?{q}"))
    except urllib.error.HTTPError as e:
        return {"error": e.code, "body": e.read().decode("utf-8", "replace")[:300]}


wrong = 0
filters, a, b, coll = sys.argv[1:5]
for pred in open(filters, encoding="utf-8").read().splitlines():
    ga, gb = ask(a, coll, pred, 1000), ask(b, coll, pred, 1000)
    ida = sorted(f["id"] for f in ga.get("features", []))
    idb = sorted(f["id"] for f in gb.get("features", []))
    if "error" in ga or "error" in gb or ida != idb or not ida:
        wrong += 1
        print(f"{pred}: {ga.get('numberMatched', ga)} against {gb.get('numberMatched', gb)}")
sys.exit(1 if wrong else 0)
