"""cql2_counts.py: CQL2 filters asked of live gisd servers.

  cql2_counts.py ats EXPECTED.tsv BASE
      every predicate of the abstract test suite's table (class, collection,
      filter, expected count; tab-separated) answered by BASE with the
      expected numberMatched
  cql2_counts.py same FILTERS BASE1 BASE2 COLLECTION
      every filter of FILTERS (one a line) selecting the same features of
      COLLECTION from both servers, and at least one feature

Prints what differs; exit 1 when anything does."""
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


wrong = rows = 0
if sys.argv[1] == "ats":
    for line in open(sys.argv[2], encoding="utf-8"):
        if line.startswith("#") or not line.strip():
            continue
        cls, coll, pred, n = line.rstrip("\n").split("\t")
        rows += 1
        got = ask(sys.argv[3], coll, pred, 1)
        if str(got.get("numberMatched", got)) != n:
            wrong += 1
            print(f"{pred} on {coll}: {got.get('numberMatched', got)}, expected {n}")
    print(f"{rows} predicates, {wrong} differ")
    sys.exit(1 if wrong or rows < 200 else 0)
else:
    filters, a, b, coll = sys.argv[2:6]
    for pred in open(filters, encoding="utf-8").read().splitlines():
        rows += 1
        ga, gb = ask(a, coll, pred, 1000), ask(b, coll, pred, 1000)
        ida = sorted(f["id"] for f in ga.get("features", []))
        idb = sorted(f["id"] for f in gb.get("features", []))
        if "error" in ga or "error" in gb or ida != idb or not ida:
            wrong += 1
            print(f"{pred}: {ga.get('numberMatched', ga)} against {gb.get('numberMatched', gb)}")
    sys.exit(1 if wrong else 0)
