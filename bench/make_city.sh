#!/usr/bin/env bash
# bench/make_city.sh STORE N OUT_DIR: the city in STORE (a gisd store holding
# the reference city) repeated N times as shifted copies, 5 copies a row,
# written to OUT_DIR/city.gpkg with the manifest that imports it. Ids (and the
# ids other layers refer to) get the copy's number, so every copy is whole.
set -euo pipefail
store=$1; n=$2; out=$3
mkdir -p "$out"
rm -f "$out/city.gpkg"
layers_dir="$(dirname "$0")/../layers"
copies="WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < $n - 1)"
suffix() { echo "CASE WHEN $1 IS NULL THEN NULL ELSE $1 || '_' || k.i END AS $1"; }
manifest="$out/manifest.json"
printf '{"name": "city%sx", "analysis_crs": "EPSG:4549", "layers": [\n' "$n" > "$manifest"
first=1
for def in "$layers_dir"/*.layer.json; do
  layer=$(basename "$def" .layer.json)
  # a layer the store never imported (the roads, in a city without them) is left out
  [ -n "$(sqlite3 "$store" "SELECT 1 FROM sqlite_master WHERE name = '$layer'")" ] || continue
  id=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['id_field'])" "$def")
  cols=""
  fields_json=""
  for f in $(python3 -c "import json,sys; print(' '.join(x['name'] for x in json.load(open(sys.argv[1]))['fields']))" "$def"); do
    case "$layer:$f" in
      *:"$id"|zones:park_id|enterprises:park_id|heat_network:source_id|districts:name) cols="$cols, $(suffix "$f")" ;;
      *) cols="$cols, $f" ;;
    esac
    fields_json="$fields_json${fields_json:+, }\"$f\": \"$f\""
  done
  ogr2ogr -f GPKG -update -append "$out/city.gpkg" "$store" -nln "$layer" -a_srs EPSG:4490 \
    -dialect SQLite -sql "$copies SELECT ShiftCoords(geom, (k.i % 5) * 1.7, (k.i / 5) * 1.6) AS geom$cols FROM \"$layer\", k" 2>/dev/null \
    || ogr2ogr -f GPKG "$out/city.gpkg" "$store" -nln "$layer" -a_srs EPSG:4490 \
    -dialect SQLite -sql "$copies SELECT ShiftCoords(geom, (k.i % 5) * 1.7, (k.i / 5) * 1.6) AS geom$cols FROM \"$layer\", k"
  [ $first = 1 ] || printf ',\n' >> "$manifest"
  first=0
  printf '  {"layer": "%s", "file": "city.gpkg", "fields": {%s}}' "$layer" "$fields_json" >> "$manifest"
done
printf '\n]}\n' >> "$manifest"
