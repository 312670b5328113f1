# Helpers of test/citus/run.sh (sourced after cluster.sh).

TABLES="sources blocked_values blocked_patterns identifier_kinds profiles identifiers events consents merges"

# mirror_state <db>: a fresh database <db> on the single node holding a copy of
# the cluster's tables as they are (triggers off while copying), so that the
# invariants and canon.sql run on plain PostgreSQL.
mirror_state() {
  local db=$1 t
  psql -X -q -p "$CITUS_SINGLE" -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" || return 1
  cpsql_db "$CITUS_SINGLE" "$db" -c 'CREATE EXTENSION profile_merge' \
    -c "TRUNCATE $(printf 'profile_merge.%s,' $TABLES | sed 's/,$//')" || return 1
  for t in $TABLES; do
    cpsql "$CITUS_COORD" -c "\\copy (SELECT * FROM profile_merge.$t) TO STDOUT" \
      | cpsql_db "$CITUS_SINGLE" "$db" -c 'SET session_replication_role = replica' \
          -c "\\copy profile_merge.$t FROM STDIN" || return 1
  done
}

cpsql_db() {
  local port=$1 db=$2; shift 2
  psql -X -q -v ON_ERROR_STOP=1 -At -p "$port" -d "$db" "$@"
}

# invariants_hold <db on the single node>: test/sql/check_invariants.sql and
# test/sh/lib/invariants.sql, every count 0.
invariants_hold() {
  local db=$1 out
  out=$(cpsql_db "$CITUS_SINGLE" "$db" -f test/sql/check_invariants.sql 2>&1) || { echo "$out"; return 1; }
  [ "$(echo "$out" | tail -1)" = "all hold" ] || { echo "invariants: $out"; return 1; }
  out=$(cpsql_db "$CITUS_SINGLE" "$db" -f test/sh/lib/invariants.sql 2>&1) || { echo "$out"; return 1; }
  if echo "$out" | grep -qv '^0$'; then echo "invariants.sql: $(echo "$out" | tr '\n' ' ')"; return 1; fi
}

# canon_diff <single db> <mirror db>: canon.sql on both; diff, empty when equal.
canon_diff() {
  cpsql_db "$CITUS_SINGLE" "$1" -f test/citus/canon.sql >"$WORK/canon.$1" 2>&1 || { cat "$WORK/canon.$1"; return 1; }
  cpsql_db "$CITUS_SINGLE" "$2" -f test/citus/canon.sql >"$WORK/canon.$2" 2>&1 || { cat "$WORK/canon.$2"; return 1; }
  echo "canon: $(wc -l <"$WORK/canon.$1") lines"
  diff "$WORK/canon.$1" "$WORK/canon.$2" | head -20
  cmp -s "$WORK/canon.$1" "$WORK/canon.$2"
}

# single_db <db>: a fresh database with the extension on the single node.
single_db() {
  psql -X -q -p "$CITUS_SINGLE" -d postgres -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" &&
    cpsql_db "$CITUS_SINGLE" "$1" -c 'CREATE EXTENSION profile_merge'
}

expect_eq() {  # expect_eq <what> <expected> <actual>
  if [ "$2" != "$3" ]; then echo "$1: expected [$2], got [$3]"; return 1; fi
  echo "$1: $3"
}

# expect_error <sqlstate> <port> <sql>: the statement fails with that SQLSTATE;
# prints the message and hint.
expect_error() {
  local state=$1 port=$2 sql=$3 out
  out=$(psql -X -q -At -p "$port" -d postgres -v VERBOSITY=verbose -c "$sql" 2>&1) && { echo "no error from: $sql"; return 1; }
  echo "$out" | head -3
  echo "$out" | grep -q "ERROR:  $state:" || { echo "expected SQLSTATE $state"; return 1; }
}
