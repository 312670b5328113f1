#!/usr/bin/env bash
# Crash recovery (DESIGN.md section 6: a failing event never corrupts state).
# Two runs on one database (three when the extension has ingest()), each:
#   - commits a batch of 5,000 generated events (accounts 1 and 2; run 1 also
#     makes two manual merges and undoes one), durably (synchronous_commit
#     on for that session: the test cluster runs with synchronous_commit=off,
#     whose last commits may legitimately be lost in a crash), and takes a
#     fingerprint of accounts 1 and 2 (lib/snapshot.sql: every row of
#     profiles, identifiers, events, consents, merges);
#   - starts one COPY of 200,000 generated events into profile_merge.events
#     (one transaction, the same persons, so it updates and merges the
#     committed profiles), and beside it a trickle of single-event
#     transactions in account 9 that records every event id whose commit was
#     acknowledged (synchronous_commit on);
#   - once the COPY has processed 10,000 rows, crashes the server: run 1 kills
#     the COPY's backend with SIGKILL (the postmaster then resets every
#     session and recovers), run 2 stops the cluster with
#     `pg_ctl stop -m immediate` and starts it again with the options it was
#     started with (pg_ctl restart reads them from postmaster.opts); run 3
#     (when the extension has profile_merge.ingest()) loads the same rows
#     twice through ingest() instead and SIGKILLs it after its first
#     progress report (a batch written, uncommitted);
#   - asserts: the server went through crash recovery; the COPY failed and
#     left nothing (no event, and no profile property, of it); accounts 1 and
#     2 are exactly as fingerprinted; every acknowledged trickle event is
#     there; the invariants hold (nothing half-merged: every merge in place
#     names a tombstone merged into its survivor); every stored event has
#     exactly its consent rows; amcheck finds every index of the extension's
#     tables consistent with its heap; a new event still resolves to the
#     profile holding its value.
# The cluster is running again at the end, whatever happened (later tests
# share it).
source "$(dirname "$0")/lib/common.sh"

ROWS=${PM_CRASH_COPY_ROWS:-200000}
KILL_AT=${PM_CRASH_KILL_AT:-10000}
BATCH=${PM_CRASH_BATCH:-5000}
COLS="account_id, source, profile_hint, email, phone, phone_region, external_id, sms_consent, email_consent, properties"
WORK=$(mktemp -d /tmp/pm_crash.XXXXXX)
BG_PIDS=()

[ -n "${PGDATA:-}" ] && [ -d "$PGDATA" ] \
  || fail "PGDATA must name the test cluster's data directory (scripts/cluster.sh exports it)"
LOG=$(pm_server_log)
[ -n "$LOG" ] || fail "cannot find the server log (expected server.log next to the data directory)"
OWNER=$(stat -c %U "$PGDATA")

# pg_ctl as the owner of the data directory
server_ctl() {
  if [ "$(id -u)" -eq 0 ] && [ "$OWNER" != root ]; then
    runuser -u "$OWNER" -- "$PM_PGBIN/pg_ctl" -D "$PGDATA" "$@"
  else
    "$PM_PGBIN/pg_ctl" -D "$PGDATA" "$@"
  fi
}

# Starts the cluster again with the options it was started with (pg_ctl
# restart takes them from postmaster.opts even when the server is down).
server_restart() {
  server_ctl restart -l "$LOG" -w -t 180 >>"$WORK/pg_ctl.out" 2>&1
}

ensure_running() {
  pm_wait_ready 30 && return 0
  say "the server is not accepting connections: starting it again"
  server_restart || true
  pm_wait_ready 120 || say "WARNING: the server could not be started again; see $LOG"
}

cleanup() {
  local rc=$1 p
  for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  ensure_running
  rm -rf "$WORK"
  pm_finish "$rc"
}
trap 'cleanup $?' EXIT

q() { "${PSQL[@]}" -d "$DB" "$@"; }
# statements whose commit must survive a crash
q_durable() { PGOPTIONS='-c synchronous_commit=on' "${PSQL[@]}" -d "$DB" "$@"; }

step "setup"
pm_new_db crash; DB=$PM_DB
q -f "$PM_TEST_LIB/pool.sql" -f "$PM_TEST_LIB/gen.sql" >/dev/null
q -c "CREATE EXTENSION IF NOT EXISTS amcheck" >/dev/null
t0=$(date +%s)
q -c "\copy (SELECT * FROM pmtest.gen_events(1, $ROWS, '{1,2}', 99, 'copy')) TO '$WORK/copy.csv' (FORMAT csv)"
for salt in 1 2 3; do
  # one event per transaction, 3 ms apart, printing its id once committed
  q -c "SELECT format('WITH e AS (INSERT INTO profile_merge.events ($COLS) VALUES (%s, %L, %L, %L, %L, %L, %L, %L, %L, %L) RETURNING event_id) SELECT event_id FROM e, pg_sleep(0.003);',
                      account_id, source, profile_hint, email, phone, phone_region, external_id,
                      sms_consent, email_consent, properties)
          FROM pmtest.gen_events(1, 10000, '{9}', 100 + $salt, 'trickle')" >"$WORK/trickle$salt.sql"
done
say "database $DB; generated $(wc -l <"$WORK/copy.csv") rows to COPY and 3 x 10,000 trickle events in $(($(date +%s) - t0)) s; server log $LOG"

# run_crash <run> <sigkill|immediate> [copy|ingest]
run_crash() {
  local run=$1 how=$2 load=${3:-copy} started
  started=$(date +%s)
  if [ "$load" = copy ]; then
    step "run $run: COPY of $ROWS events, crashed by $how after $KILL_AT rows"
  else
    step "run $run: profile_merge.ingest() of $((2 * ROWS)) staged events, crashed by $how after its first progress report"
    # staged before the batch, whose durable commit makes this durable too
    q -c "CREATE TABLE pmtest.staged (seq bigint GENERATED ALWAYS AS IDENTITY, account_id bigint,
            source text, profile_hint bigint, email text, phone text, phone_region text,
            external_id text, sms_consent boolean, email_consent boolean, properties jsonb)" \
      -c "\copy pmtest.staged ($COLS) FROM '$WORK/copy.csv' (FORMAT csv)" \
      -c "\copy pmtest.staged ($COLS) FROM '$WORK/copy.csv' (FORMAT csv)" >/dev/null
  fi

  # 1. a committed batch, fingerprinted
  q_durable -c "INSERT INTO profile_merge.events ($COLS)
                SELECT * FROM pmtest.gen_events(1, $BATCH, '{1,2}', $run, 'batch$run')"
  if [ "$run" = 1 ]; then
    # two manual merges of active profiles (forced: they may clash), the first undone
    local pairs m1
    pairs=$(q -c "SELECT string_agg(profile_id::text, ' ' ORDER BY profile_id) FROM (
                    SELECT profile_id FROM profile_merge.profiles
                     WHERE account_id = 1 AND merged_into IS NULL ORDER BY profile_id LIMIT 4) p")
    read -r a b c d <<<"$pairs"
    m1=$(q_durable -c "SELECT profile_merge.merge_profiles(1, $a, $b, 'crash test', force => true)")
    q_durable -c "SELECT profile_merge.merge_profiles(1, $c, $d, 'crash test', force => true)" >/dev/null
    q_durable -c "SELECT profile_merge.unmerge(1, $m1)" >/dev/null
    say "manual merges: $a+$b (merge $m1, undone), $c+$d"
  fi
  q -F ' ' -v accounts=1,2 -f "$PM_TEST_LIB/snapshot.sql" >"$WORK/before$run.txt"
  say "committed before the $load ($(($(date +%s) - started)) s into the run; accounts 1 and 2):"
  awk '{printf "  %-22s %8s rows\n", $1, $2}' "$WORK/before$run.txt"

  # 2. the trickle and the COPY
  : >"$WORK/trickle$run.out"
  PGAPPNAME=pm_trickle PGOPTIONS='-c synchronous_commit=on' \
    psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" -f "$WORK/trickle$run.sql" \
    >"$WORK/trickle$run.out" 2>"$WORK/trickle$run.err" &
  local trickle_pid=$!
  BG_PIDS+=("$trickle_pid")
  local load_sql="\copy profile_merge.events ($COLS) FROM '$WORK/copy.csv' (FORMAT csv)"
  [ "$load" = ingest ] && load_sql="SELECT profile_merge.ingest('pmtest.staged', order_by => 'seq')"
  PGAPPNAME=pm_copy psql -X -v ON_ERROR_STOP=1 -d "$DB" -c "$load_sql" >"$WORK/copy$run.out" 2>&1 &
  local copy_pid=$!
  BG_PIDS+=("$copy_pid")

  # 3. wait for the load to be well under way: the COPY has processed
  # KILL_AT rows, or ingest() has reported progress (it does every 5 s)
  local pid="" done_rows=0 i
  for ((i = 0; i < 1800; i++)); do
    if [ "$load" = copy ]; then
      read -r pid done_rows < <(q -F ' ' -c "SELECT a.pid, p.tuples_processed FROM pg_stat_progress_copy p
                                              JOIN pg_stat_activity a USING (pid)
                                             WHERE a.application_name = 'pm_copy'" || true) || true
      [ -n "${pid:-}" ] && [ "${done_rows:-0}" -ge "$KILL_AT" ] && break
    else
      pid=$(q -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'pm_copy' AND state = 'active'" || true)
      done_rows=$(sed -n 's/.*ingest: \([0-9]*\) of.*/\1/p' "$WORK/copy$run.out" | tail -1)
      [ -n "${pid:-}" ] && [ -n "$done_rows" ] && break
    fi
    kill -0 "$copy_pid" 2>/dev/null || break
    sleep 0.1
  done
  if ! kill -0 "$copy_pid" 2>/dev/null; then
    cat "$WORK/copy$run.out"
    fail "run $run: the $load ended before it could be interrupted (raise PM_CRASH_COPY_ROWS)"
  fi
  [ -n "${pid:-}" ] && [ -n "${done_rows:-}" ] && [ "${done_rows:-0}" -ge "$([ "$load" = copy ] && echo "$KILL_AT" || echo 1)" ] \
    || fail "run $run: the $load did not get far enough in 180 s (at ${done_rows:-0} rows)"
  local acked_before_crash
  acked_before_crash=$(grep -c . "$WORK/trickle$run.out" || true)
  say "$load backend $pid has processed $done_rows rows; the trickle has $acked_before_crash acknowledged events"

  # 4. the crash
  local log_from crashed_at
  log_from=$(pm_log_offset)
  crashed_at=$(date +%s)
  if [ "$how" = sigkill ]; then
    kill -KILL "$pid"
  else
    server_ctl stop -m immediate -w >>"$WORK/pg_ctl.out" 2>&1 || fail "run $run: pg_ctl stop -m immediate failed: $(tail -3 "$WORK/pg_ctl.out")"
  fi
  local copy_rc=0
  wait "$copy_pid" || copy_rc=$?
  wait "$trickle_pid" || true
  BG_PIDS=()
  if [ "$how" = immediate ]; then
    server_restart || { tail -5 "$WORK/pg_ctl.out"; fail "run $run: the cluster did not start again"; }
  fi
  pm_wait_ready 180 || fail "run $run: the server did not accept connections again within 180 s"
  say "crashed $((crashed_at - started)) s into the run; accepting connections again after $(($(date +%s) - crashed_at)) s"
  local recovery_log
  recovery_log=$(pm_log_since "$log_from")
  say "server log after the crash:"
  printf '%s\n' "$recovery_log" | grep -E 'terminated by signal|immediate shutdown|reinitializing|not properly shut down|interrupted|redo (starts|done)|ready to accept' \
    | sed 's/^[^]]*\] /  /' | head -12
  if [ "$how" = sigkill ]; then
    printf '%s\n' "$recovery_log" | grep -q 'was terminated by signal 9' \
      || pm_problem "run $run: the server log does not show the COPY backend killed by signal 9"
  fi
  printf '%s\n' "$recovery_log" | grep -qE 'automatic recovery in progress|redo done' \
    || pm_problem "run $run: the server log shows no crash recovery"
  # (a WARNING about a database directory already gone, while redoing the
  # DROP DATABASE of an earlier test, is harmless)
  local bad='PANIC|invalid page|corrupt|could not (read|write|fsync|open file)|checksum'
  if printf '%s\n' "$recovery_log" | grep -qE "$bad"; then
    pm_problem "run $run: the server logged during recovery: $(printf '%s\n' "$recovery_log" | grep -E "$bad" | head -3 | tr '\n' ';')"
  fi

  # 5. what must hold after recovery
  [ "$copy_rc" -ne 0 ] || pm_problem "run $run: the $load reported success although it was interrupted: $(cat "$WORK/copy$run.out")"
  q -F ' ' -v accounts=1,2 -f "$PM_TEST_LIB/snapshot.sql" >"$WORK/after$run.txt"
  say "after recovery (accounts 1 and 2):"
  awk 'NR == FNR {n[$1] = $2; h[$1] = $3; next}
       {printf "  %-22s %8s -> %8s rows  %s\n", $1, n[$1], $2,
               (n[$1] == $2 && h[$1] == $3) ? "same" : "DIFFERENT"}' "$WORK/before$run.txt" "$WORK/after$run.txt"
  if ! diff -q "$WORK/before$run.txt" "$WORK/after$run.txt" >/dev/null; then
    pm_problem "run $run: accounts 1 and 2 differ from what was committed before the $load: $(diff "$WORK/before$run.txt" "$WORK/after$run.txt" | grep '^>' | cut -d' ' -f2 | tr '\n' ' ')"
  fi
  local copy_events copy_profiles
  copy_events=$(q -c "SELECT count(*) FROM profile_merge.events WHERE properties->>'tag' = 'copy'")
  copy_profiles=$(q -c "SELECT count(*) FROM profile_merge.profiles WHERE properties->>'tag' = 'copy'")
  [ "$copy_events" = 0 ] && [ "$copy_profiles" = 0 ] \
    || pm_problem "run $run: the interrupted $load left $copy_events events and $copy_profiles profiles carrying its tag"

  # every acknowledged trickle event is there, resolved
  q -c "CREATE TEMP TABLE acked (event_id bigint)" -c "\copy acked FROM '$WORK/trickle$run.out'" \
    -c "SELECT count(*), count(*) FILTER (WHERE e.event_id IS NULL), count(*) FILTER (WHERE e.outcome IS NULL)
          FROM acked a LEFT JOIN profile_merge.events e ON e.account_id = 9 AND e.event_id = a.event_id" \
    >"$WORK/acked$run.txt"
  local acked missing unresolved
  IFS='|' read -r acked missing unresolved <"$WORK/acked$run.txt"
  say "trickle: $acked single-event commits acknowledged before the crash, $missing missing after it"
  [ "$acked" -gt 0 ] || pm_problem "run $run: the trickle had no acknowledged commit"
  [ "$missing" = 0 ] && [ "$unresolved" = 0 ] \
    || pm_problem "run $run: $missing acknowledged trickle events are missing ($unresolved unresolved) after recovery"

  pm_invariants "$DB" || true
  q -f "$PM_TEST_LIB/expect.sql" >/dev/null
  say "every stored event has exactly its consent rows:"
  pm_check_named "$DB" "$PM_TEST_LIB/expect_checks.sql" \
    -v events_sent="$(q -c 'SELECT count(*) FROM profile_merge.events')" \
    -v direct_consents_sent=0 -v direct_method=none || true

  # indexes consistent with their tables (amcheck, with heapallindexed)
  local amcheck
  amcheck=$(q -c "SELECT count(*) FROM (
                    SELECT bt_index_check(c.oid, true)
                      FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                      JOIN pg_am am ON am.oid = c.relam
                     WHERE c.relnamespace = 'profile_merge'::regnamespace AND am.amname = 'btree') x" 2>&1) \
    || pm_problem "run $run: amcheck reports: $amcheck"
  say "amcheck: $amcheck btree indexes of profile_merge verified against their heaps"

  # and the extension works on the recovered state
  local owner got
  owner=$(q -c "SELECT profile_id FROM profile_merge.identifiers
                 WHERE account_id = 1 AND kind = 'email' AND detached_at IS NULL ORDER BY identifier_id LIMIT 1")
  got=$(q -c "SELECT profile_id FROM profile_merge.identify(1, 'form',
                      email => (SELECT upper(value) FROM profile_merge.identifiers
                                 WHERE account_id = 1 AND kind = 'email' AND detached_at IS NULL
                                 ORDER BY identifier_id LIMIT 1))")
  [ "$got" = "$owner" ] || pm_problem "run $run: a new event for an e-mail of profile $owner resolved to $got"
  say "a new form event for an e-mail of profile $owner resolved to profile $got"
  say "run $run took $(($(date +%s) - started)) s"
}

run_crash 1 sigkill
run_crash 2 immediate
what="two crashes during a $ROWS-row COPY (SIGKILL of its backend, pg_ctl stop -m immediate)"
if [ "$(q -c "SELECT to_regprocedure('profile_merge.ingest(regclass,text)') IS NOT NULL")" = t ]; then
  run_crash 3 sigkill ingest
  what+=" and one during profile_merge.ingest() (SIGKILL)"
fi

pm_verdict "$what: committed state intact, the load left nothing, acknowledged commits kept, invariants and indexes sound"
