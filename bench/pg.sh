# Sourced by the benchmarks: a throwaway PostgreSQL + PostGIS from Debian's
# packages, on a loopback port, holding the same city gisd serves.
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
PG_DIR=/tmp/gisd-bench-pg
PG_PORT=15432
export PGOPTIONS="-c client_min_messages=warning"
PG_CONN="host=127.0.0.1 port=$PG_PORT user=postgres dbname=bench"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

pg_start() {
  pg_stop
  rm -rf "$PG_DIR" && mkdir -p "$PG_DIR"
  [ "$(id -u)" = 0 ] && chown postgres "$PG_DIR"
  as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust >/dev/null
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c shared_buffers=1GB -c max_parallel_workers_per_gather=0" start >/dev/null
  psql -q -h 127.0.0.1 -p $PG_PORT -U postgres -c "CREATE DATABASE bench" >/dev/null
  psql -q "$PG_CONN" -c "CREATE EXTENSION postgis" >/dev/null
}

pg_stop() {
  [ -d "$PG_DIR/data" ] && as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast stop >/dev/null 2>&1 || true
}

# pg_load GPKG SRID: every layer into PostGIS with g (the analysis CRS) and
# g3857 (Web Mercator) columns, each with a GiST index, as a PostGIS user
# would prepare them.
pg_load() {
  local gpkg=$1 srid=$2
  ogr2ogr -f PostgreSQL PG:"$PG_CONN" "$gpkg" -lco GEOMETRY_NAME=geom -lco FID=fid -overwrite \
    --config PG_USE_COPY YES
  for t in $(ogrinfo -ro -q "$gpkg" | awk -F'[: ]+' '/^[0-9]+:/ { print $2 }'); do
    psql -q "$PG_CONN" <<SQL
ALTER TABLE $t ADD COLUMN g geometry, ADD COLUMN g3857 geometry;
UPDATE $t SET g = ST_Transform(geom, $srid), g3857 = ST_Transform(geom, 3857);
CREATE INDEX ON $t USING gist (g);
CREATE INDEX ON $t USING gist (g3857);
ANALYZE $t;
SQL
  done
}
