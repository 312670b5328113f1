# Sourced by test/citus/run.sh and bench/citus/run.sh: a throwaway Citus
# cluster (a coordinator and two workers) on 127.0.0.1, each node in its own
# folder under one temporary directory, removed again by citus_stop.
#   citus_start     starts the three nodes and registers them; exports
#                   CITUS_COORD CITUS_W1 CITUS_W2 (ports), PGHOST=127.0.0.1
#   citus_stop      stops every node it started and removes the folders
#   single_start    one plain node (no Citus) beside it, port CITUS_SINGLE,
#                   for differential tests and the bench
# Citus connects to its nodes over TCP, so they listen on 127.0.0.1 (never
# on other addresses) and are registered as '127.0.0.1'. Ports are outside
# 54329-54460, which the other test clusters use; CITUS_BASE_PORT moves them.

PM_PGBIN=${PM_PGBIN:-/usr/lib/postgresql/15/bin}
export PATH="$PM_PGBIN:$PATH"
CITUS_BASE_PORT=${CITUS_BASE_PORT:-57410}
CITUS_COORD=$CITUS_BASE_PORT
CITUS_W1=$((CITUS_BASE_PORT + 1))
CITUS_W2=$((CITUS_BASE_PORT + 2))
CITUS_SINGLE=$((CITUS_BASE_PORT + 3))
CITUS_DIR=""
CITUS_NODES=()

citus_as_server_user() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# citus_node <port> <preload> : initdb and start one node in $CITUS_DIR/<port>
citus_node() {
  local port=$1 preload=$2 dir="$CITUS_DIR/$1"
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
  citus_as_server_user "$PM_PGBIN/initdb" -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 \
      --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log"; return 1; }
  local opts="-c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir -c port=$port"
  opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  opts+=" -c max_connections=200 -c log_error_verbosity=verbose"
  if [ -n "$preload" ]; then
    opts+=" -c shared_preload_libraries=$preload -c wal_level=logical"
    opts+=" -c max_prepared_transactions=100 -c max_wal_senders=10 -c max_replication_slots=10"
    opts+=" -c citus.log_remote_commands=off"
  fi
  citus_as_server_user "$PM_PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -o "$opts" -w start \
      >/dev/null || { tail -30 "$dir/server.log"; return 1; }
  CITUS_NODES+=("$dir")
}

citus_start() {
  CITUS_DIR=$(mktemp -d /tmp/profile_merge_citus.XXXXXX)
  chmod 755 "$CITUS_DIR"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$CITUS_DIR"
  trap citus_stop EXIT
  export PGHOST=127.0.0.1 PGUSER=postgres
  unset PGDATABASE PGOPTIONS
  local p
  for p in "$CITUS_COORD" "$CITUS_W1" "$CITUS_W2"; do
    citus_node "$p" citus || return 1
    psql -X -q -v ON_ERROR_STOP=1 -p "$p" -d postgres -c 'CREATE EXTENSION citus' || return 1
  done
  psql -X -q -v ON_ERROR_STOP=1 -p "$CITUS_COORD" -d postgres -At \
    -c "SELECT citus_set_coordinator_host('127.0.0.1', $CITUS_COORD)" \
    -c "SELECT citus_add_node('127.0.0.1', $CITUS_W1)" \
    -c "SELECT citus_add_node('127.0.0.1', $CITUS_W2)" >/dev/null || return 1
}

single_start() {
  [ -n "$CITUS_DIR" ] || { echo "single_start: call citus_start first" >&2; return 1; }
  citus_node "$CITUS_SINGLE" ""
}

citus_stop() {
  [ -n "${CITUS_DIR:-}" ] || return 0
  local dir
  for dir in "${CITUS_NODES[@]}"; do
    citus_as_server_user "$PM_PGBIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  done
  if [ -n "${CITUS_KEEP:-}" ]; then echo "kept: $CITUS_DIR"; else rm -rf "$CITUS_DIR"; fi
  CITUS_DIR=""
  CITUS_NODES=()
}

# cpsql <port> [psql args...]: psql against database $CITUS_DB on one node.
cpsql() {
  local port=$1; shift
  psql -X -q -v ON_ERROR_STOP=1 -At -p "$port" -d "${CITUS_DB:-postgres}" "$@"
}
