#!/usr/bin/env bash
# The clustered mode's benchmark, in one sitting on this machine: one node on
# SQLite, one node on PostgreSQL, and three nodes on PostgreSQL and Redis
# with the clients spread over them (every document has clients on every
# node). Each setup gets a fresh store and the same scenarios; every run's
# JSON line goes to $OUT (default bench-cluster.jsonl) and its human line
# to stderr.
#
#   cargo build --release -p server --bin tandem && cargo build --release -p tandem-bench
#   bench/cluster.sh            # TANDEM=…/tandem TANDEM_BENCH=…/tandem-bench to use other builds
#   bench/cluster.sh burst ack  # only the scenarios named
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/backends.sh
TANDEM=${TANDEM:-target/release/tandem}
BENCH=${TANDEM_BENCH:-target/release/tandem-bench}
OUT=${OUT:-bench-cluster.jsonl}
# One loopback client opens thousands of connections: the per-address and
# per-document caps and the message rate are raised, as in the README's table.
FLAGS=(--open --max-connections-per-ip 100000 --max-connections-per-doc 100000 --max-connections 100000
       --max-messages-per-sec 100000 --message-burst 100000)
SCENARIOS=(
  "fanout --subscribers 100 --rate 50 --seconds 10"
  "fanout --subscribers 1000 --rate 50 --seconds 10"
  "burst --writers 4 --subscribers 50 --updates 2000"
  "joinstorm --doc-bytes 4194304 --clients 150"
  "ack --writers 4 --rate 50 --seconds 10"
)
ONLY=("$@")
ulimit -n 65536 2>/dev/null || true
for program in "$TANDEM" "$BENCH"; do
  [ -x "$program" ] || { echo "$program is missing: build it first (see the top of $0)"; exit 1; }
done

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# Waits until something listens on 127.0.0.1:$1.
listening() { python3 -c 'import socket,sys,time
for _ in range(300):
    try: socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close(); sys.exit(0)
    except OSError: time.sleep(0.1)
sys.exit(1)' "$1"; }

dir=$(mktemp -d)
pgport=$(free_port); rport=$(free_port)
pg_start "$dir" "$pgport" || exit 1
redis_start "$rport" "$dir/redis.log"
trap 'kill "${PIDS[@]}" "$REDIS_PID" 2>/dev/null; pg_stop "$dir"; rm -rf "$dir"' EXIT
: >"$OUT"

# Starts $2 nodes labelled $1 with the extra flags after them; sets URLS and PIDS.
start_nodes() {
  local label=$1 count=$2 i port
  shift 2
  URLS=""; PIDS=()
  for ((i = 1; i <= count; i++)); do
    port=$(free_port)
    "$TANDEM" "${FLAGS[@]}" --addr "127.0.0.1:$port" --data-dir "$dir/$label-$i" "$@" >"$dir/$label-$i.log" 2>&1 &
    PIDS+=($!)
    listening "$port" || { echo "node $label-$i did not start"; cat "$dir/$label-$i.log"; exit 1; }
    URLS+="ws://127.0.0.1:$port/ws/{doc},"
  done
  URLS=${URLS%,}
}

# Runs every scenario against the nodes started last, labelled $1; the
# server CPU and memory reported are those of the nodes and of the other
# processes named after the label (PostgreSQL, Redis) together.
run_all() {
  local scenario label=$1 watched
  shift
  watched=$(IFS=,; echo "${PIDS[*]}${*:+,}$*" | tr ' ' ,)
  for scenario in "${SCENARIOS[@]}"; do
    [ "${#ONLY[@]}" = 0 ] || [[ " ${ONLY[*]} " == *" ${scenario%% *} "* ]] || continue
    # shellcheck disable=SC2086 # the scenario's words are its arguments
    "$BENCH" --url "$URLS" --label "$label" --server-pid "$watched" $scenario >>"$OUT"
  done
}

stop_nodes() { kill "${PIDS[@]}" 2>/dev/null; wait "${PIDS[@]}" 2>/dev/null; PIDS=(); }

database() { as_postgres "$PG_BIN/createdb" -h 127.0.0.1 -p "$pgport" -U tandem "$1" && echo "postgres://tandem@127.0.0.1:$pgport/$1"; }

start_nodes sqlite 1
run_all "1 node, SQLite"
stop_nodes

postmaster=$(head -1 "$dir/pg/data/postmaster.pid")
start_nodes postgres 1 --database-url "$(database one)"
run_all "1 node, PostgreSQL" "$postmaster"
stop_nodes

url=$(database three)
start_nodes cluster 3 --database-url "$url" --redis-url "redis://127.0.0.1:$rport"
run_all "3 nodes, PostgreSQL + Redis" "$postmaster" "$REDIS_PID"
stop_nodes
echo "wrote $OUT" >&2
