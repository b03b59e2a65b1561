#!/usr/bin/env bash
# Runs one libFuzzer target for GISD_FUZZ_SECONDS on its seeds (fuzz/seeds/NAME)
# and regression files (fuzz/regressions/NAME). A crash is copied into the
# regression directory, so it is replayed on every later run until fixed,
# and the run fails. Prints a cmocka-style summary line.
set -u
bin=$1
name=$(basename "$bin")
root=${GISD_ROOT:?}
seconds=${GISD_FUZZ_SECONDS:-30}
# the CQL2 parser reads any filter anybody sends: it gets at least a minute
if [ "$name" = fuzz_cql2 ] && [ "$seconds" -lt 60 ]; then seconds=60; fi
work="$root/build/fuzz/corpus/$name"
crashes="$root/build/fuzz/crashes/$name"
regress="$root/fuzz/regressions/$name"
mkdir -p "$work" "$crashes" "$regress"
seeds=("$root/fuzz/seeds/$name")
# the importer target's seeds: every broken file of data/bad, behind a format byte
if [ "$name" = fuzz_import ]; then
  mkdir -p "$root/build/fuzz/seeds-import"
  i=0
  for f in "$root"/data/bad/* "$root"/data/reference/*.geojson "$root"/data/reference/*.csv; do
    [ -f "$f" ] || continue
    case "$f" in *.csv) k='\x02';; *.kml) k='\x03';; *) k='\x00';; esac
    { printf "$k"; head -c 200000 "$f"; } > "$root/build/fuzz/seeds-import/$i"
    i=$((i + 1))
  done
  seeds+=("$root/build/fuzz/seeds-import")
fi
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:${ASAN_OPTIONS:-}"
export LSAN_OPTIONS="suppressions=$root/tests/lsan.supp:print_suppressions=0"
export GISD_LAYERS="$root/layers"
echo "[ RUN      ] $name for ${seconds} s"
# the regressions first, each once
if ls "$regress"/* >/dev/null 2>&1; then
  if ! "$bin" -runs=1 "$regress"/* > "$root/build/fuzz/$name.regress.log" 2>&1; then
    tail -40 "$root/build/fuzz/$name.regress.log"
    echo "[  FAILED  ] $name: a regression file crashes again"
    echo "[  FAILED  ] 1 test(s)"
    exit 1
  fi
fi
"$bin" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 -max_len=65536 \
  -artifact_prefix="$crashes/" -print_final_stats=1 "$work" "${seeds[@]}" \
  > "$root/build/fuzz/$name.log" 2>&1
rc=$?
runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$root/build/fuzz/$name.log" | grep -o '[0-9]*$')
if [ $rc -ne 0 ]; then
  tail -60 "$root/build/fuzz/$name.log"
  for c in "$crashes"/*; do [ -f "$c" ] && cp "$c" "$regress/" && echo "regression file: fuzz/regressions/$name/$(basename "$c")"; done
  echo "[  FAILED  ] $name after ${runs:-?} runs"
  echo "[  FAILED  ] 1 test(s)"
  exit 1
fi
echo "[       OK ] $name: ${runs:-?} runs, no crash"
echo "[  PASSED  ] 1 test(s)."
