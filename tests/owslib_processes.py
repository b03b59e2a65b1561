"""owslib_processes.py BASE: OWSLib's OGC API - Processes client against gisd.
OWSLib 0.27 (Debian 12) lists and describes processes; it has no execute, so
the execution goes through OWSLib's own HTTP helper (owslib.util.http_post).
Prints "ok" or raises."""
import json
import sys

from owslib.ogcapi.processes import Processes
from owslib.util import http_post

base = sys.argv[1]
p = Processes(base)
ids = sorted(x["id"] for x in p.processes()["processes"])
assert ids == sorted(["heating-coverage", "hw-proximity", "recycling-coverage", "site-check", "symbiosis", "park-scorecard",
                      "route", "service-area", "network-check", "recycling-siting", "sorting-siting", "hw-allocation", "heat-extension"]), ids
d = p.process("sorting-siting")
assert d["inputs"]["p"]["schema"]["type"] == "integer" and d["inputs"]["p"]["minOccurs"] == 1, d["inputs"]["p"]
r = http_post(base + "/processes/sorting-siting/execution", json.dumps({"inputs": {"p": 5}}),
              headers={"Content-Type": "application/json"})
assert r.status_code == 200, r.text
answer = r.json()
assert len(answer["selected"]) == 5 and answer["optimal"] is True, answer
print("ok")
