#!/usr/bin/env python3
"""tests/scenario_apply.py BASE TOKEN PLAN.json: makes the scenario of a plan
file (data/reference/scenarios/plan-*.json) on a running gisd: POST
/scenarios, then each change in order as a Part 4 request under
/scenarios/{id}/collections/{layer}/items (POST; PUT and DELETE with the
If-Match of a GET just before). Exits 1 naming the first request that fails."""
import json, sys, urllib.request, urllib.error

base, token, path = sys.argv[1:4]
plan = json.load(open(path))

def call(method, url, body=None, etag=None, ctype="application/json"):
    req = urllib.request.Request(base + url, method=method, data=None if body is None else json.dumps(body).encode())
    req.add_header("Authorization", "Bearer " + token)
    if body is not None:
        req.add_header("Content-Type", ctype)
    if etag:
        req.add_header("If-Match", etag)
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()

st, _, text = call("POST", "/scenarios", {"id": plan["id"], "title": plan["title"],
                                          "description": plan.get("description"), "base": plan.get("base", "baseline")})
if st != 201:
    sys.exit(f"POST /scenarios: {st} {text[:300]}")
items = f"/scenarios/{plan['id']}/collections/%s/items"
for c in plan["changes"]:
    url = items % c["layer"]
    if c["op"] == "add":
        st, _, text = call("POST", url, c["feature"], ctype="application/geo+json")
        want = 201
    else:
        st, h, text = call("GET", f"{url}/{c['id']}")
        if st != 200:
            sys.exit(f"GET {url}/{c['id']}: {st} {text[:300]}")
        etag = h["ETag"]
        if c["op"] == "replace":
            st, _, text = call("PUT", f"{url}/{c['id']}", c["feature"], etag, ctype="application/geo+json")
            want = 200
        else:
            st, _, text = call("DELETE", f"{url}/{c['id']}", None, etag)
            want = 204
    if st != want:
        sys.exit(f"{c['op']} {c['layer']} {c['id']}: {st}, want {want}: {text[:300]}")
print(f"{plan['id']}: {len(plan['changes'])} changes")
