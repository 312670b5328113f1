# Sourced (by cluster.sh and test/sh/lib/common.sh): which server's programs
# the scripts run. `make` exports PG_CONFIG and PM_PGBIN (its bindir); a
# script run by hand derives one from the other, and without either uses
# Debian's PostgreSQL 15 (the Makefile's default). Puts the bindir first on
# PATH, so psql, pg_dump, pgbench and a nested `make` belong to that server.
if [ -z "${PG_CONFIG:-}" ]; then
  if [ -n "${PM_PGBIN:-}" ]; then PG_CONFIG=$PM_PGBIN/pg_config
  else PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config; fi
fi
if [ -z "${PM_PGBIN:-}" ]; then
  PM_PGBIN=$("$PG_CONFIG" --bindir) || { echo "cannot run $PG_CONFIG --bindir" >&2; return 1; }
fi
export PG_CONFIG PM_PGBIN
export PATH="$PM_PGBIN:$PATH"
