# Sourced by the test, demo and bench scripts: a throwaway PostgreSQL
# cluster in a temporary folder, listening only on a Unix socket inside it.
# The server is the one PG_CONFIG names (make exports it, and PM_PGBIN, its
# bindir); without either, Debian's PostgreSQL 15.
#   pm_cluster_start [extra postgres -c options...]   exports PGHOST PGPORT PGUSER PGDATA
#   pm_cluster_stop                                    stops it and removes the folder
# The server refuses to run as root, so as root it runs as the "postgres"
# user that Debian's package creates.

source "$(dirname "${BASH_SOURCE[0]}")/pg_bindir.sh"

pm_as_server_user() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pm_cluster_start() {
  PM_CLUSTER_DIR=$(mktemp -d /tmp/profile_merge_pg.XXXXXX)
  chmod 755 "$PM_CLUSTER_DIR"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$PM_CLUSTER_DIR"
  export PGDATA="$PM_CLUSTER_DIR/data" PGHOST="$PM_CLUSTER_DIR" PGPORT=${PM_PORT:-54329}
  export PGUSER=postgres PGDATABASE=postgres
  pm_as_server_user "$PM_PGBIN/initdb" -D "$PGDATA" -U postgres -A trust --no-sync -E UTF8 \
      --locale=C.UTF-8 >"$PM_CLUSTER_DIR/initdb.log" 2>&1 \
    || { cat "$PM_CLUSTER_DIR/initdb.log"; return 1; }
  local opts="-c listen_addresses='' -c unix_socket_directories='$PM_CLUSTER_DIR' -c port=$PGPORT"
  opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  for o in "$@"; do opts+=" -c $o"; done
  pm_as_server_user "$PM_PGBIN/pg_ctl" -D "$PGDATA" -l "$PM_CLUSTER_DIR/server.log" -o "$opts" -w start >/dev/null \
    || { cat "$PM_CLUSTER_DIR/server.log"; return 1; }
  trap pm_cluster_stop EXIT
}

pm_cluster_stop() {
  [ -n "${PM_CLUSTER_DIR:-}" ] || return 0
  pm_as_server_user "$PM_PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$PM_CLUSTER_DIR"
  PM_CLUSTER_DIR=""
}
