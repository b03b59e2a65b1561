#!/usr/bin/env bash
# bench/optimize.sh: each optimisation on the 1x, 10x and 50x cities, gisd
# (one process, CBC through its C interface) next to the same model built in
# Python with PuLP and solved by CBC (bench/pulp_models.py, as PySAL's spopt
# would), in the same run: seconds, peak memory, and the two objectives,
# which must agree (the benchmark stops when they do not).
set -euo pipefail
cd "$(dirname "$0")/.."
G=./gisd/gisd
T=build/bench
PULP_TIMEOUT=${PULP_TIMEOUT:-600}
PULP_MAX_GB=${PULP_MAX_GB:-16}
mkdir -p "$T"
[ -f "$T/ref.sqlite" ] || $G import --quiet --db "$T/ref.sqlite" --manifest data/reference/manifest.json >/dev/null
runs=("recycling-siting radius_m=1000 p=10 households_covered_after"
      "sorting-siting p=5 household_km"
      "hw-allocation max_km=50 tonne_km"
      "heat-extension radius_m=1000 budget_km=20 tph_retired")
printf '%-18s %4s %10s %10s %8s %10s %10s %8s %s\n' optimisation city "gisd s" "gisd MB" optimal "PuLP s" "PuLP MB" ratio "objective (both)"
for n in 1 10 50; do
  city="$T/city${n}x"
  if [ ! -f "$city/gisd.sqlite" ]; then
    bench/make_city.sh "$T/ref.sqlite" "$n" "$city"
    $G import --quiet --db "$city/gisd.sqlite" --manifest "$city/manifest.json" >/dev/null
  fi
  for run in "${runs[@]}"; do
    read -r name rest <<<"$run"
    key=${rest##* }
    kv=${rest% *}
    opts=""
    for p in $kv; do opts="$opts --$(echo "${p%%=*}" | tr _ -) ${p#*=}"; done
    # shellcheck disable=SC2086
    /usr/bin/time -f '%e %M' -o "$T/opt.time" $G optimize "$name" --db "$city/gisd.sqlite" $opts > "$T/opt.json"
    read -r gs gk < "$T/opt.time"
    # PuLP builds every pair in Python: at 50x it can outgrow the machine, so
    # it runs with a clock and a memory ceiling, and a run that hits either is
    # reported as such (gisd's answer is then checked by its own bound only)
    # shellcheck disable=SC2086
    if ( ulimit -v $((PULP_MAX_GB * 1024 * 1024)); /usr/bin/time -f '%e %M' -o "$T/pulp.time" \
         timeout "$PULP_TIMEOUT" /usr/bin/python3 bench/pulp_models.py "$name" "$city/gisd.sqlite" $kv > "$T/pulp.json" 2>"$T/pulp.err" ); then
      read -r ps pk < "$T/pulp.time"
      /usr/bin/python3 - "$T/opt.json" "$T/pulp.json" "$key" <<'PY'
import json, sys
g, p, k = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
a, b = float(g[k]), float(p["objective"])
tol = 0 if k == "households_covered_after" else (0.01 if k == "tph_retired" else 1e-4 * max(1, abs(b)))
if abs(a - b) > tol + 1e-9:
    sys.exit(f"{k}: gisd {a}, PuLP {b}: they disagree")
PY
      pulp_s=$(printf '%9.2fs' "$ps"); pulp_mb=$(printf '%9.0fMB' "$((pk / 1024))")
      ratio=$(awk -v a="$gs" -v b="$ps" 'BEGIN { printf "%.2f", a / b }')
    else
      pulp_s=$(printf '%10s' "gave up"); pulp_mb=$(printf '%11s' "(>${PULP_TIMEOUT}s or >${PULP_MAX_GB}GB)"); ratio="-"
    fi
    printf '%-18s %3sx %9.2fs %9.0fMB %8s %s %s %8s %s (gap %s)\n' "$name" "$n" "$gs" "$((gk / 1024))" \
      "$(/usr/bin/python3 -c "import json; print(json.load(open('$T/opt.json'))['optimal'])")" "$pulp_s" "$pulp_mb" \
      "$ratio" \
      "$(/usr/bin/python3 -c "import json; print(json.load(open('$T/opt.json'))['$key'])")" \
      "$(/usr/bin/python3 -c "import json; print(json.load(open('$T/opt.json'))['gap'])")"
  done
done
echo "(target: gisd <= 0.5x PuLP's time at 10x; at 50x proven optimal, or a gap <= 0.1% within 60 s)"
