#!/usr/bin/env bash
# tests/pg_cluster.sh start DIR | stop DIR | restart DIR | standby DIR PRIMARY_DIR
# A throwaway PostgreSQL 15 + PostGIS cluster for the tests: initdb into DIR,
# a free loopback port, trust authentication for the user gisd, fsync off
# (nothing here must survive a crash). `start` prints the connection URI of
# its database "gisd". PostgreSQL refuses to run as root, so as root the
# cluster runs as the postgres user Debian's package creates.
set -euo pipefail
cmd=$1 dir=$(realpath -m "$2")
bin=/usr/lib/postgresql/15/bin
as() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "$cmd" in
  start)
    rm -rf "$dir"; mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    echo "$port" > "$dir/port.txt"
    as "$bin/initdb" -D "$dir/data" -U gisd --auth=trust -E UTF8 --locale=C.UTF-8 > "$dir/initdb.log" 2>&1
    as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" start > /dev/null
    as "$bin/createdb" -h 127.0.0.1 -p "$port" -U gisd gisd
    echo "postgresql://gisd@127.0.0.1:$port/gisd"
    ;;
  standby)
    # a streaming replica of the cluster in PRIMARY_DIR (pg_basebackup -R
    # writes standby.signal and the connection back), on a port of its own
    primary=$(realpath -m "$3")
    rm -rf "$dir"; mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    echo "$port" > "$dir/port.txt"
    as "$bin/pg_basebackup" -h 127.0.0.1 -p "$(cat "$primary/port.txt")" -U gisd -D "$dir/data" -R -X stream > "$dir/basebackup.log" 2>&1
    as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" start > /dev/null
    echo "postgresql://gisd@127.0.0.1:$port/gisd"
    ;;
  stop)
    as "$bin/pg_ctl" -D "$dir/data" -m fast -w stop > /dev/null 2>&1 || true
    ;;
  restart)
    port=$(cat "$dir/port.txt")
    as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" start > /dev/null
    ;;
esac
