# Scripted interleavings of a few sessions (sourced by test/sh/concurrency.sh).
# Each session is a psql in the background with application_name pm_<name>;
# a session parks inside its transaction with pmtest.park('<name>') until the
# controller calls pm_release <name>; the controller waits for lock states
# with pm_wait_for '<SQL condition>'.
#   pm_il_setup <db>                 the pmtest.go table and pmtest.park()
#   pm_session <name> <sql...>       runs the statements in one psql, in the background
#   pm_release <name>                lets a parked session go on
#   pm_wait_for <timeout s> <sql>    polls until the SQL returns true (status 1 on timeout)
#   pm_blocked_by <a> <b>            SQL: session a waits for session b
#   pm_gone <a>                      SQL: session a has finished
#   pm_join                          waits for every session; prints their output

PM_IL_PIDS=()
PM_IL_NAMES=()

pm_il_setup() {
  PM_IL_DB=$1
  PM_IL_DIR=$(mktemp -d /tmp/pm_interleave.XXXXXX)
  "${PSQL[@]}" -d "$PM_IL_DB" <<'SQL'
CREATE SCHEMA IF NOT EXISTS pmtest;
CREATE TABLE pmtest.go (name text PRIMARY KEY);
-- Waits (at most 60 s) until the controller inserts the name; a new snapshot
-- every round (READ COMMITTED), inside the caller's transaction.
CREATE FUNCTION pmtest.park(who text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1 .. 3000 LOOP
        IF EXISTS (SELECT FROM pmtest.go WHERE name = who) THEN RETURN; END IF;
        PERFORM pg_sleep(0.02);
    END LOOP;
    RAISE EXCEPTION 'session % was never released', who;
END $$;
SQL
}

pm_session() {
  local name=$1; shift
  rm -f "$PM_IL_DIR/$name.out"
  printf '%s\n' "$@" | PGAPPNAME="pm_$name" psql -X -At -v ON_ERROR_STOP=1 -d "$PM_IL_DB" \
    >"$PM_IL_DIR/$name.out" 2>&1 &
  PM_IL_PIDS+=($!)
  PM_IL_NAMES+=("$name")
}

pm_release() { "${PSQL[@]}" -d "$PM_IL_DB" -c "INSERT INTO pmtest.go VALUES ('$1')"; }

pm_wait_for() {
  local limit=$1 sql=$2 i
  for ((i = 0; i < limit * 20; i++)); do
    [ "$("${PSQL[@]}" -d "$PM_IL_DB" -c "SELECT ($sql)")" = t ] && return 0
    sleep 0.05
  done
  return 1
}

pm_blocked_by() {
  echo "EXISTS (SELECT FROM pg_stat_activity a, pg_stat_activity b
                 WHERE a.application_name = 'pm_$1' AND b.application_name = 'pm_$2'
                   AND b.pid = ANY (pg_blocking_pids(a.pid)))"
}

pm_parked() {
  echo "EXISTS (SELECT FROM pg_stat_activity WHERE application_name = 'pm_$1' AND query LIKE '%pmtest.park%')"
}

pm_gone() {
  echo "NOT EXISTS (SELECT FROM pg_stat_activity WHERE application_name = 'pm_$1')"
}

pm_join() {
  local i
  for i in "${!PM_IL_PIDS[@]}"; do
    wait "${PM_IL_PIDS[$i]}" || true
  done
  for i in "${!PM_IL_NAMES[@]}"; do
    sed "s/^/    ${PM_IL_NAMES[$i]}: /" "$PM_IL_DIR/${PM_IL_NAMES[$i]}.out"
  done
  PM_IL_PIDS=()
  PM_IL_NAMES=()
}

# pm_session_failed <name>: true when the session printed an error
pm_session_failed() { grep -q 'ERROR' "$PM_IL_DIR/$1.out"; }
pm_session_output() { cat "$PM_IL_DIR/$1.out"; }
