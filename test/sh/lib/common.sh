# Shared helpers of the shell tests in test/sh (sourced, not run).
# The runner (scripts/run-tests.sh) exports PGHOST/PGPORT/PGUSER for a running
# throwaway cluster where the extension is installed; every test makes its own
# databases and drops them when it passes (a failed test keeps them, and says
# so, for inspection).
set -euo pipefail

PM_TEST_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PM_ROOT=$(cd "$PM_TEST_LIB/../../.." && pwd)
source "$PM_ROOT/scripts/pg_bindir.sh"   # PM_PGBIN and PATH for the server under test
: "${PGHOST:?PGHOST must point at the running test cluster (see scripts/cluster.sh)}"
: "${PGPORT:?PGPORT must be set}"
export PGUSER=${PGUSER:-postgres}
unset PGDATABASE PGOPTIONS

PSQL=(psql -X -q -v ON_ERROR_STOP=1 -At)
PM_TEST_NAME=$(basename "$0" .sh)
PM_DATABASES=()
PM_PASSED=0

say()  { printf '%s\n' "$*"; }
step() { printf '\n-- %s\n' "$*"; }
fail() {
  printf '\nFAIL [%s]: %s\n' "$PM_TEST_NAME" "$*" >&2
  exit 1
}

# pm_new_db <prefix>: creates a database with a unique name, installs the
# extension in it (log_error_verbosity = verbose, so the server log shows
# SQLSTATEs) and sets PM_DB to its name.
pm_new_db() {
  local name
  name="pm_${1}_$(date +%s)_$$_${RANDOM}"
  createdb "$name" || fail "createdb $name failed"
  "${PSQL[@]}" -d "$name" -c 'CREATE EXTENSION profile_merge' \
    -c "ALTER DATABASE \"$name\" SET log_error_verbosity = verbose" >/dev/null \
    || fail "CREATE EXTENSION profile_merge failed in $name"
  PM_DATABASES+=("$name")
  PM_DB=$name
}

pm_drop_dbs() {
  local db
  for db in "${PM_DATABASES[@]}"; do
    dropdb --if-exists "$db" >/dev/null 2>&1 || true
  done
}

# Called by the tests' EXIT trap.
# pm_finish [status]
pm_finish() {
  local rc=${1:-$?}
  if [ "$rc" -eq 0 ] && [ "$PM_PASSED" = 1 ]; then
    pm_drop_dbs
  elif [ "${#PM_DATABASES[@]}" -gt 0 ]; then
    printf 'kept for inspection: database(s) %s\n' "${PM_DATABASES[*]}" >&2
  fi
  exit "$rc"
}

# The server log of the cluster scripts/cluster.sh started (server.log next
# to the data directory), or nothing when it cannot be found.
pm_server_log() {
  local c
  for c in "${PM_CLUSTER_DIR:-}/server.log" "$PGHOST/server.log" "${PGDATA:+$(dirname "$PGDATA")/server.log}"; do
    if [ -n "$c" ] && [ -r "$c" ] && [ "$c" != "/server.log" ]; then printf '%s\n' "$c"; return 0; fi
  done
  return 0
}

pm_log_offset() {
  local log
  log=$(pm_server_log)
  if [ -n "$log" ]; then stat -c %s "$log"; else echo 0; fi
}

# pm_log_since <offset>: what the server logged since the offset.
pm_log_since() {
  local log
  log=$(pm_server_log)
  [ -n "$log" ] && tail -c +"$(($1 + 1))" "$log"
  return 0
}

# Failures noted with pm_problem are reported together by pm_verdict, so
# that one failing check does not hide the figures of the others.
PM_PROBLEMS=()
pm_problem() { PM_PROBLEMS+=("$*"); printf 'PROBLEM: %s\n' "$*"; }

# pm_verdict <what passed>: fails listing the problems noted, or passes.
pm_verdict() {
  if [ ${#PM_PROBLEMS[@]} -gt 0 ]; then
    printf '\n%d problem(s):\n' "${#PM_PROBLEMS[@]}" >&2
    printf '  - %s\n' "${PM_PROBLEMS[@]}" >&2
    fail "${#PM_PROBLEMS[@]} problem(s), listed above"
  fi
  PM_PASSED=1
  printf '\nPASS [%s]: %s\n' "$PM_TEST_NAME" "$*"
}

# pm_check_named <db> <sql file> [psql -v assignments...]: runs a file of
# queries that each return one column, named after the check, holding the
# number of violations. Prints "name  n" for each; unless all are 0, notes a
# problem (pm_problem) and returns 1 (callers under set -e that want to go on
# write `pm_check_named ... || true`). Fails at once if the file cannot run.
pm_check_named() {
  local db=$1 file=$2; shift 2
  local out
  out=$(psql -X -q -v ON_ERROR_STOP=1 -A -F '|' -P footer=off "$@" -d "$db" -f "$file" 2>&1) \
    || { printf '%s\n' "$out" >&2; fail "checks in $(basename "$file") could not run on $db"; }
  local figures violations
  figures=$(printf '%s\n' "$out" | awk 'NR % 2 == 1 { name = $0; next } { printf "  %-44s %s\n", name, $0 }')
  violations=$(printf '%s\n' "$out" | awk 'NR % 2 == 0 && $0 != "0" { n++ } END { print n + 0 }')
  printf '%s\n' "$figures"
  if [ "$violations" -ne 0 ]; then
    pm_problem "$violations check(s) of $(basename "$file") are not 0 on $db: $(printf '%s\n' "$figures" | awk '$NF != "0" {printf "%s=%s ", $1, $NF}')"
    return 1
  fi
  return 0
}

# pm_invariants <db>: test/sql/check_invariants.sql (one line, "all hold"
# or the violated invariants with their counts; an older version printed one
# count per check, all 0 when they hold) and lib/invariants.sql. Like
# pm_check_named: notes problems and returns 1 when an invariant is violated.
pm_invariants() {
  local out rc=0
  say "invariants on $1:"
  out=$(psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -f "$PM_ROOT/test/sql/check_invariants.sql" 2>&1) \
    || { printf '%s\n' "$out" >&2; fail "test/sql/check_invariants.sql could not run on $1"; }
  out=$(printf '%s\n' "$out" | grep -v '^\\set' | grep . || true)
  if [ "$out" = "all hold" ] || ! printf '%s\n' "$out" | grep -qv '^0$'; then
    printf '  %-44s %s\n' "test/sql/check_invariants.sql" "all hold"
  else
    printf '  %-44s %s\n' "test/sql/check_invariants.sql" "$out"
    pm_problem "test/sql/check_invariants.sql on $1: $out"
    rc=1
  fi
  pm_check_named "$1" "$PM_TEST_LIB/invariants.sql" || rc=1
  return "$rc"
}

# pm_wait_ready [seconds]: waits until the server accepts connections.
pm_wait_ready() {
  local limit=${1:-90} i
  for ((i = 0; i < limit * 4; i++)); do
    if psql -X -At -d postgres -c 'SELECT 1' >/dev/null 2>&1; then return 0; fi
    sleep 0.25
  done
  return 1
}
