# PostgreSQL 15 and Redis for the clustered mode's tests and benchmark, on
# free ports of 127.0.0.1 in a temporary directory; sourced by scripts/test
# and bench/cluster.sh. PostgreSQL refuses to run as root: as root its
# programs run as the `postgres` user, which owns its directory.

PG_BIN=/usr/lib/postgresql/15/bin

# Runs "$@" as the postgres user when this script runs as root.
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# Starts PostgreSQL in DIR/pg on port $2 (user `tandem`, trusted, database
# `postgres`); prints why and returns 1 if it could not.
pg_start() {
  local dir=$1 port=$2
  chmod 755 "$dir"; mkdir -p "$dir/pg"
  [ "$(id -u)" = 0 ] && chown postgres "$dir/pg"
  as_postgres "$PG_BIN/initdb" -D "$dir/pg/data" --auth=trust --username=tandem -E UTF8 --locale=C >"$dir/pg/initdb.log" 2>&1 \
    && as_postgres "$PG_BIN/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/log" -w \
         -o "-p $port -k $dir/pg -c listen_addresses=127.0.0.1" start >/dev/null \
    || { echo "PostgreSQL did not start"; cat "$dir/pg/initdb.log" "$dir/pg/log" 2>/dev/null; return 1; }
}

# Stops the PostgreSQL of DIR at once.
pg_stop() { as_postgres "$PG_BIN/pg_ctl" -D "$1/pg/data" -m immediate stop >/dev/null 2>&1; }

# Starts redis-server on port $1, logging to $2, keeping nothing on disk; sets REDIS_PID.
redis_start() {
  redis-server --port "$1" --bind 127.0.0.1 --save '' --appendonly no >"$2" 2>&1 &
  REDIS_PID=$!
}
