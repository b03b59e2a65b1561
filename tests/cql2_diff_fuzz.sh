#!/usr/bin/env bash
# make fuzz's differential run of CQL2: the reference city on SpatiaLite and
# on a throwaway PostgreSQL + PostGIS cluster, a server on each, and
# GISD_DIFF_FILTERS random filters (tests/cql2_differential.py, a new seed
# each run, printed) that must get the same answer from both. Prints a
# cmocka-style summary line; exits 1 on any disagreement.
set -u
root=${GISD_ROOT:?}
gisd=${GISD_BIN:-$root/gisd/gisd}
n=${GISD_DIFF_FILTERS:-5000}
seed=${GISD_DIFF_SEED:-$(date +%s)}
work="$root/build/tmp/cql2-diff"
rm -rf "$work"; mkdir -p "$work"
export GISD_LAYERS="$root/layers"
cleanup() {
  [ -n "${pa:-}" ] && kill "$pa" 2>/dev/null
  [ -n "${pb:-}" ] && kill "$pb" 2>/dev/null
  wait 2>/dev/null
  "$root/tests/pg_cluster.sh" stop "$work/pg"
}
trap cleanup EXIT
echo "[ RUN      ] cql2 differential: $n filters, seed $seed"
uri=$("$root/tests/pg_cluster.sh" start "$work/pg") || { echo "[  FAILED  ] 1 test(s): no PostgreSQL cluster"; exit 1; }
psql -X -q "$uri" -c "CREATE EXTENSION postgis" > /dev/null
"$gisd" import --db "$work/ref.sqlite" --manifest "$root/data/reference/manifest.json" > /dev/null 2>&1 &&
  "$gisd" import --db "$uri" --manifest "$root/data/reference/manifest.json" > /dev/null 2>&1 ||
  { echo "[  FAILED  ] 1 test(s): the imports failed"; exit 1; }
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
a=$(port); b=$(port)
"$gisd" serve --db "$work/ref.sqlite" --listen "127.0.0.1:$a" > "$work/a.log" 2>&1 & pa=$!
"$gisd" serve --db "$uri" --listen "127.0.0.1:$b" > "$work/b.log" 2>&1 & pb=$!
for i in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$a/healthz" > /dev/null && curl -sf "http://127.0.0.1:$b/healthz" > /dev/null && break
  sleep 0.1
done
if python3 "$root/tests/cql2_differential.py" "http://127.0.0.1:$a" "http://127.0.0.1:$b" "$n" "$seed"; then
  echo "[       OK ] cql2 differential"; echo "[  PASSED  ] 1 test(s)."
else
  echo "[  FAILED  ] 1 test(s), listed below:"; echo "[  FAILED  ] cql2 differential (seed $seed)"; exit 1
fi
