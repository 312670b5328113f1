#!/usr/bin/env bash
# The Citus suite (issue 14): a coordinator and two workers on 127.0.0.1 in
# throwaway folders (test/citus/cluster.sh), CREATE EXTENSION profile_merge and
# SELECT profile_merge.distribute() on the coordinator, then each check below
# against a plain single node fed the same input. Ends with "N passed, M
# failed" (scripts/run-tests.sh adds them to its totals); the cluster is
# stopped and removed on exit. Run after `make install` into PostgreSQL 15,
# with Citus installed (../shared/vendor/build-citus.sh).
set -uo pipefail
cd "$(dirname "$0")/../.."
source test/citus/cluster.sh
source test/citus/lib.sh
WORK=$(mktemp -d /tmp/profile_merge_citus_work.XXXXXX)
passed=0
failed=0
started=$(date +%s)

cleanup() { citus_stop; rm -rf "$WORK"; }

# run_check <name> <function>: one check; its output goes to a log shown on failure.
run_check() {
  local name=$1 t0=$(date +%s)
  if "$2" >"$WORK/$name.log" 2>&1; then
    printf 'ok      citus/%s (%ss)\n' "$name" $(( $(date +%s) - t0 )); passed=$((passed + 1))
    [ -n "${CITUS_VERBOSE:-}" ] && sed 's/^/        /' "$WORK/$name.log"
  else
    printf 'FAILED  citus/%s (log follows)\n' "$name"; tail -40 "$WORK/$name.log" | sed 's/^/        /'
    failed=$((failed + 1))
  fi
}

C() { cpsql "$CITUS_COORD" "$@"; }
node_of() {  # the port of the worker holding a shard
  C -c "SELECT n.nodeport FROM pg_dist_placement p JOIN pg_dist_node n USING (groupid) WHERE p.shardid = $1"
}

# --- checks ---------------------------------------------------------------

distributes() {
  expect_eq "tables (type, colocated with profiles)" \
    "blocked_patterns:n:1 blocked_values:n:1 consents:h:1 events:h:1 identifier_kinds:n:1 identifiers:h:1 merges:h:1 profiles:h:1 sources:n:1" \
    "$(C -c "SELECT string_agg(c.relname || ':' || p.partmethod::text || ':' ||
                       (p.colocationid = (SELECT colocationid FROM pg_dist_partition
                                           WHERE logicalrelid = 'profile_merge.profiles'::regclass)
                        OR p.partmethod = 'n')::int, ' ' ORDER BY c.relname)
               FROM pg_dist_partition p JOIN pg_class c ON c.oid = p.logicalrelid
              WHERE c.relnamespace = 'profile_merge'::regnamespace")" || return 1
  expect_eq "delegated functions" \
    "explain_profile find_profile identify lineage_of merge_profiles profile_graph resolve_profile unmerge(bigint,bigint)" \
    "$(C -c "SELECT string_agg(CASE WHEN p.proname = 'unmerge' THEN o.objid::regprocedure::text
                                     ELSE p.proname END, ' ' ORDER BY p.proname)
               FROM pg_dist_object o JOIN pg_proc p ON p.oid = o.objid
              WHERE o.classid = 'pg_proc'::regclass AND o.distribution_argument_index = 0
                AND p.pronamespace = 'profile_merge'::regnamespace" | sed 's/profile_merge\.//')" || return 1
  C -c 'SELECT profile_merge.distribute()' || return 1
  echo "distribute() a second time: no error"
  expect_error 55000 "$CITUS_COORD" 'SELECT profile_merge.distribute(shard_count => 4)' || return 1
  expect_error 22023 "$CITUS_COORD" 'SELECT profile_merge.distribute(shard_count => 0)' || return 1
  # each worker draws ids from its own range: (group id << 48) + 1 onwards
  expect_eq "workers' sequences in their node range" "t t" \
    "$(C -c "SELECT string_agg(result, ' ' ORDER BY nodeport) FROM run_command_on_workers(\$\$
               SELECT bool_and(s.min_value = ((SELECT groupid::bigint FROM pg_dist_local_group) << 48) + 1)
                 FROM pg_sequences s WHERE s.schemaname = 'profile_merge' \$\$)")" || return 1
  # the configuration tables' triggers on their placements: a source row
  # that exists is replaced (sources_upsert), a blocked value inserted twice
  # is kept once (blocked_values_zz_skip_duplicate)
  C -c "INSERT INTO profile_merge.sources (source, identify_by, merges, accepts, account_id)
        VALUES ('citus_src', '{email}', false, '{email}', 99), ('citus_src', '{email,phone}', true, '{email,phone}', 99)" \
    -c "INSERT INTO profile_merge.blocked_values (kind, value, account_id) VALUES ('email', ' Junk@Example.COM', 99)" \
    -c "INSERT INTO profile_merge.blocked_values (kind, value, account_id) VALUES ('email', 'junk@example.com', 99)" || return 1
  expect_eq "sources upsert on the placements" "{email,phone}|t|1" \
    "$(C -c "SELECT max(identify_by::text), bool_and(merges), count(*) FROM profile_merge.sources WHERE account_id = 99")" || return 1
  expect_eq "blocked value kept once" "1" \
    "$(C -c "SELECT count(*) FROM profile_merge.blocked_values WHERE account_id = 99")" || return 1
  expect_eq "the new source is used by workers at once" "created|rejected" \
    "$(C -c "SELECT outcome FROM profile_merge.identify(99, 'citus_src', 'x@example.net')" \
         -c "SELECT outcome FROM profile_merge.identify(99, 'citus_src', 'JUNK@example.com')" | tr '\n' '|' | sed 's/|$//')"
}

# The story suites' events (test/citus/story.py) through the coordinator and
# into one node: the rows they return, then the whole state, equal.
STORY_SUITES=${STORY_SUITES:-rules_behaviours rules_merging rules_accounts consent_ledger rules_bad_input kinds_several_values kinds_custom}
# psql's output without what only Citus adds (where an error was raised,
# its notes about pg_temp helpers, the shard a constraint error names) or
# what names the script's line.
story_filter() {
  sed -E 's/^psql:[^:]*:[0-9]+: //; s/(new row for relation "[a-z_]+)_[0-9]+"/\1"/' |
    grep -vE '^(CONTEXT:  )?while executing command on|has dependency on unsupported object|will be created only locally'
}
story() {
  local suite db accounts
  for suite in $STORY_SUITES; do
    db=story_$suite
    python3 test/citus/story.py "sql/$suite.sql" >"$WORK/$db.sql" || return 1
    single_db "$db" || return 1
    # some suites' INSERTs fail on purpose: errors are part of the output
    psql -X -q -At -p "$CITUS_SINGLE" -d "$db" -P footer=off -f "$WORK/$db.sql" 2>&1 | story_filter >"$WORK/$db.single"
    psql -X -q -At -p "$CITUS_COORD" -d postgres -P footer=off -f "$WORK/$db.sql" 2>&1 | story_filter >"$WORK/$db.citus"
    echo "$suite: $(grep -c INSERT "$WORK/$db.sql") INSERTs, $(grep -c . "$WORK/$db.single") lines returned, $(grep -c ERROR "$WORK/$db.single") errors"
    diff "$WORK/$db.single" "$WORK/$db.citus" || return 1
  done
  # the cluster also holds the other checks' accounts: compare the suites' own
  accounts=$(for suite in $STORY_SUITES; do
               cpsql_db "$CITUS_SINGLE" "story_$suite" -c "SELECT DISTINCT account_id FROM profile_merge.events
                                                         UNION SELECT account_id FROM profile_merge.consents"
             done | sort -un | paste -sd, -)
  single_db story || return 1
  for suite in $STORY_SUITES; do  # the union of the suites, as the cluster has it
    psql -X -q -p "$CITUS_SINGLE" -d story -f "$WORK/story_$suite.sql" >/dev/null 2>&1
  done
  mirror_state story_citus || return 1
  for db in story story_citus; do
    for t in events consents merges identifiers profiles; do
      cpsql_db "$CITUS_SINGLE" $db -c "DELETE FROM profile_merge.$t WHERE account_id <> ALL ('{$accounts}')" || return 1
    done
  done
  canon_diff story story_citus || return 1
  invariants_hold story_citus
}

stream() {
  # 20,000 events over 20 accounts; no profile hints (they name ids, which
  # are the node's own on Citus)
  python3 bench/ingest/gen_events.py --events 20000 --accounts 20 --persons 400 --seed 14 \
    | awk -F, 'BEGIN { OFS = "," } { $3 = ""; print }' >"$WORK/stream.csv" || return 1
  local cols='account_id, source, profile_hint, email, phone, phone_region, external_id, sms_consent, email_consent, properties'
  # the accounts of the stream move up by 1000, clear of the other checks'
  awk -F, 'BEGIN { OFS = "," } { $1 = $1 + 1000; print }' "$WORK/stream.csv" >"$WORK/stream1000.csv"
  single_db stream || return 1
  cpsql_db "$CITUS_SINGLE" stream -c "\\copy profile_merge.events ($cols) FROM '$WORK/stream1000.csv' (FORMAT csv)" || return 1
  local t0=$(date +%s.%N)
  C -c "\\copy profile_merge.events ($cols) FROM '$WORK/stream1000.csv' (FORMAT csv)" || return 1
  echo "COPY of 20,000 events through the coordinator: $(echo "$(date +%s.%N) - $t0" | bc) s"
  mirror_state stream_citus || return 1
  cpsql_db "$CITUS_SINGLE" stream_citus -c "DELETE FROM profile_merge.events WHERE account_id NOT BETWEEN 1001 AND 1020" \
    -c "DELETE FROM profile_merge.consents WHERE account_id NOT BETWEEN 1001 AND 1020" \
    -c "DELETE FROM profile_merge.merges WHERE account_id NOT BETWEEN 1001 AND 1020" \
    -c "DELETE FROM profile_merge.identifiers WHERE account_id NOT BETWEEN 1001 AND 1020" \
    -c "DELETE FROM profile_merge.profiles WHERE account_id NOT BETWEEN 1001 AND 1020" \
    -c "DELETE FROM profile_merge.sources WHERE account_id <> 0" \
    -c "DELETE FROM profile_merge.blocked_values WHERE account_id <> 0" >/dev/null || return 1
  echo "outcomes: $(C -c "SELECT string_agg(outcome || ' ' || n, ', ' ORDER BY outcome) FROM (SELECT outcome, count(*) n FROM profile_merge.events WHERE account_id BETWEEN 1001 AND 1020 GROUP BY 1) o")"
  expect_eq "accounts on both workers" 2 \
    "$(C -c "SELECT count(DISTINCT n.nodeport) FROM pg_dist_placement pl JOIN pg_dist_node n USING (groupid)
              WHERE pl.shardid IN (SELECT get_shard_id_for_distribution_column('profile_merge.events', a::bigint)
                                    FROM generate_series(1001, 1020) a)")" || return 1
  canon_diff stream stream_citus || return 1
  invariants_hold stream_citus
}

returning() {
  local sql="INSERT INTO profile_merge.events (account_id, source, email, phone) VALUES
      (301, 'form', 'Dana@Example.com', NULL), (302, 'form', 'eve@example.com', '(415) 555-0190'),
      (301, 'form', 'dana@example.com', '415 555 0191'), (303, 'checkout', 'not-an-email', NULL)
    RETURNING account_id, profile_id IS NOT NULL, outcome"
  expect_eq "multi-account INSERT ... RETURNING through the coordinator" \
    "301|t|created 301|t|updated 302|t|created 303|f|rejected" "$(C -c "$sql" | sort | tr '\n' ' ' | sed 's/ $//')" || return 1
  expect_eq "RETURNING profile_id is the row's" "t" \
    "$(C -c "SELECT bool_and(e.profile_id = p.profile_id) FROM profile_merge.events e
              JOIN profile_merge.profiles p USING (account_id) WHERE e.account_id = 301")" || return 1
  expect_eq "identify() through the coordinator" "matched|t" \
    "$(C -c "SELECT outcome, profile_id = (SELECT profile_id FROM profile_merge.profiles WHERE account_id = 301)
               FROM profile_merge.identify(301, 'form', email => 'DANA@example.com')")" || return 1
  # delegated: the event id is drawn on the worker (its range), not by the coordinator
  expect_eq "identify() ran on the worker" "t" \
    "$(C -c "SELECT event_id > (1::bigint << 48) FROM profile_merge.identify(302, 'api', 'eve@example.com')")" || return 1
  expect_eq "find_profile/resolve_profile" "t|t" \
    "$(C -c "SELECT profile_merge.find_profile(302, phone => '4155550190') IS NOT NULL,
                    profile_merge.resolve_profile(302, profile_merge.find_profile(302, email => 'eve@example.com'))
                      = profile_merge.find_profile(302, email => 'eve@example.com')")" || return 1
  expect_eq "direct consents row through the coordinator" "t" \
    "$(C -c "INSERT INTO profile_merge.consents (account_id, channel, value, status, source)
              VALUES (302, 'sms', '+1 415 555 0190', 'unsubscribed', 'sms_keyword') RETURNING profile_id IS NOT NULL")" || return 1
  expect_error 22023 "$CITUS_COORD" "INSERT INTO profile_merge.consents (account_id, channel, value, status, source)
              VALUES (302, 'sms', 'not a number', 'unsubscribed', 'sms_keyword')" || return 1
  # the latest consent row wins (profile_consent orders by consent_id): a
  # direct row sent through the coordinator after an event's consent
  C -c "SELECT outcome FROM profile_merge.identify(303, 'form', 'gus@example.com', '(415) 555-0193', sms_consent => true)" >/dev/null || return 1
  C -c "INSERT INTO profile_merge.consents (account_id, channel, value, status, source)
        VALUES (303, 'sms', '415 555 0193', 'unsubscribed', 'sms_keyword')" || return 1
  expect_eq "a direct STOP after the event's opt-in" "unsubscribed" \
    "$(C -c "SELECT sms_status FROM profile_merge.profile_consent WHERE account_id = 303 AND phone = '+14155550193'")"
}

concurrent() {
  C -c "SELECT count(*) FROM profile_merge.events" >/dev/null
  pgbench -n -h 127.0.0.1 -p "$CITUS_COORD" -c 8 -j 2 -t 250 -D a0=200 --max-tries=1 \
    -f test/citus/pgbench_event.sql postgres >"$WORK/pgbench.out" 2>&1
  local rc=$?
  grep -E '^(number of (transactions actually processed|failed)|tps)' "$WORK/pgbench.out"
  [ $rc -eq 0 ] || { tail -20 "$WORK/pgbench.out"; return 1; }
  grep -qE 'ERROR|error:|aborted' "$WORK/pgbench.out" && { grep -E 'ERROR|error:' "$WORK/pgbench.out" | head; return 1; }
  expect_eq "events stored and resolved" "2000|0" \
    "$(C -c "SELECT count(*), count(*) FILTER (WHERE outcome IS NULL) FROM profile_merge.events WHERE account_id BETWEEN 201 AND 203")" || return 1
  echo "outcomes: $(C -c "SELECT string_agg(outcome || ' ' || n, ', ' ORDER BY outcome) FROM (SELECT outcome, count(*) n FROM profile_merge.events WHERE account_id BETWEEN 201 AND 203 GROUP BY 1) o")"
  mirror_state conc || return 1
  invariants_hold conc
}

shard_move() {
  # account 201's shard group moves to the other worker while 4 clients send
  # events for accounts 201-203; then new events for it, all resolved
  local shard from to
  shard=$(C -c "SELECT get_shard_id_for_distribution_column('profile_merge.events', 201::bigint)")
  from=$(node_of "$shard")
  to=$([ "$from" = "$CITUS_W1" ] && echo "$CITUS_W2" || echo "$CITUS_W1")
  pgbench -n -h 127.0.0.1 -p "$CITUS_COORD" -c 4 -j 2 -T 12 -D a0=200 --max-tries=1 \
    -f test/citus/pgbench_event.sql postgres >"$WORK/pgbench_move.out" 2>&1 &
  local bench=$!
  sleep 3
  C -c "SELECT citus_move_shard_placement($shard, '127.0.0.1', $from, '127.0.0.1', $to, shard_transfer_mode => 'block_writes')" \
    >/dev/null || { kill $bench; return 1; }
  wait $bench; local rc=$?
  grep -E '^(number of (transactions actually processed|failed)|tps)' "$WORK/pgbench_move.out"
  [ $rc -eq 0 ] || { grep -E 'ERROR|error' "$WORK/pgbench_move.out" | head -5; return 1; }
  expect_eq "account 201 now on" "$to" "$(node_of "$shard")" || return 1
  local before=$(C -c "SELECT count(*) FROM profile_merge.profiles WHERE account_id = 201")
  pgbench -n -h 127.0.0.1 -p "$CITUS_COORD" -c 2 -t 100 -D a0=200 --max-tries=1 \
    -f test/citus/pgbench_event.sql postgres >"$WORK/pgbench_after.out" 2>&1 || { tail "$WORK/pgbench_after.out"; return 1; }
  C -c "SELECT * FROM profile_merge.identify(201, 'form', 'Moved.Person@Example.org', '(415) 555-0199')" >/dev/null || return 1
  expect_eq "every event resolved" "0" \
    "$(C -c "SELECT count(*) FROM profile_merge.events WHERE account_id BETWEEN 201 AND 203 AND outcome IS NULL")" || return 1
  expect_eq "the new profile is in the account, ids from the new node's range" "t|t" \
    "$(C -c "SELECT count(*) = 1, bool_and(profile_id >> 48 = (SELECT groupid FROM pg_dist_node WHERE nodeport = $to))
               FROM profile_merge.profiles WHERE account_id = 201 AND email = 'moved.person@example.org'")" || return 1
  echo "profiles of account 201: $before before the last events, $(C -c "SELECT count(*) FROM profile_merge.profiles WHERE account_id = 201") after"
  # There and back in one session: its pooled connection to each worker
  # keeps one backend, which has the shard group cached when the shard
  # leaves and comes back with the same names and new OIDs (only the
  # relcache invalidation of the drop makes it look again).
  C -c "SELECT count(*) FROM profile_merge.identify(201, 'form', 'round.trip1@example.org')" \
    -c "SELECT citus_move_shard_placement($shard, '127.0.0.1', $to, '127.0.0.1', $from, shard_transfer_mode => 'block_writes')" \
    -c "CALL citus_cleanup_orphaned_resources()" \
    -c "SELECT count(*) FROM profile_merge.identify(201, 'form', 'round.trip2@example.org')" \
    -c "SELECT citus_move_shard_placement($shard, '127.0.0.1', $from, '127.0.0.1', $to, shard_transfer_mode => 'block_writes')" \
    -c "CALL citus_cleanup_orphaned_resources()" \
    -c "SELECT count(*) FROM profile_merge.identify(201, 'form', 'round.trip3@example.org')" \
    -c "INSERT INTO profile_merge.events (account_id, source, email) VALUES (201, 'form', 'round.trip4@example.org')" \
    >/dev/null || return 1
  expect_eq "there and back in one session: all resolved, on" "4|$to" \
    "$(C -c "SELECT count(*) FROM profile_merge.profiles WHERE account_id = 201 AND email LIKE 'round.trip%'")|$(node_of "$shard")" || return 1
  mirror_state moved || return 1
  invariants_hold moved
}

admin() {
  local a b m
  a=$(C -c "SELECT profile_id FROM profile_merge.identify(401, 'form', 'fay@example.com')")
  b=$(C -c "SELECT profile_id FROM profile_merge.identify(401, 'sms_keyword', phone => '(415) 555-0170')")
  m=$(C -c "SELECT profile_merge.merge_profiles(401, $b, $a, 'same person')") || return 1
  expect_eq "merge_profiles: one active profile holding both" "1|fay@example.com|+14155550170" \
    "$(C -c "SELECT count(*), max(email), max(phone) FROM profile_merge.profiles WHERE account_id = 401 AND merged_into IS NULL")" || return 1
  expect_eq "explain_profile shows the merge" "t" \
    "$(C -c "SELECT bool_or(merge_id IS NOT NULL) FROM profile_merge.explain_profile(401, $a)")" || return 1
  C -c "SELECT profile_merge.profile_graph(401, $a)" | grep -q flowchart || { echo "profile_graph: no flowchart"; return 1; }
  expect_eq "unmerge(account, merge) brings the merged profile back" "$b|2" \
    "$(C -c "SELECT profile_merge.unmerge(401, $m)" -c "SELECT count(*) FROM profile_merge.profiles WHERE account_id = 401 AND merged_into IS NULL" | tr '\n' '|' | sed 's/|$//')" || return 1
  expect_error 55000 "$CITUS_COORD" "SELECT profile_merge.unmerge(401, $m)" || return 1
  expect_error 22023 "$CITUS_COORD" "SELECT profile_merge.merge_profiles(401, $a, 123456)" || return 1
  # not delegated inside a transaction block: refused with a hint, never wrong
  expect_error 0A000 "$CITUS_COORD" "BEGIN; SELECT profile_merge.merge_profiles(401, $a, $b); COMMIT" || return 1
}

settings() {
  local p
  for p in "$CITUS_COORD" "$CITUS_W1" "$CITUS_W2"; do
    cpsql "$p" -c "ALTER DATABASE postgres SET profile_merge.default_region = 'GB'" || return 1
  done
  C -c "SELECT pg_sleep(0.1)" >/dev/null  # new sessions on the workers read it
  expect_eq "a national GB number through the coordinator" "+447123456789|created" \
    "$(C -c "INSERT INTO profile_merge.events (account_id, source, phone) VALUES (501, 'sms_keyword', '07123 456789')
              RETURNING phone_e164, outcome")" || return 1
  expect_eq "and through identify() (delegated)" "created" \
    "$(C -c "SELECT outcome FROM profile_merge.identify(502, 'sms_keyword', phone => '07123 456780')")" || return 1
  for p in "$CITUS_COORD" "$CITUS_W1" "$CITUS_W2"; do
    cpsql "$p" -c "ALTER DATABASE postgres RESET profile_merge.default_region" || return 1
  done
}

ingest_refused() {
  C -c "CREATE TABLE public.staged (LIKE profile_merge.events INCLUDING DEFAULTS)" -c "INSERT INTO public.staged (event_id, account_id, source, email) VALUES (1, 601, 'api', 'a@example.com')" || return 1
  expect_error 0A000 "$CITUS_COORD" "SELECT profile_merge.ingest('public.staged')" || return 1
  local out
  out=$(psql -X -q -p "$CITUS_COORD" -d postgres -c "SELECT profile_merge.ingest('public.staged')" 2>&1)
  echo "$out" | grep -q 'HINT:  COPY the rows' || { echo "no HINT naming COPY"; return 1; }
  expect_eq "the documented alternative: INSERT ... SELECT through the coordinator" "created" \
    "$(C -c "INSERT INTO profile_merge.events (account_id, source, email) SELECT account_id, source, email FROM public.staged RETURNING outcome")"
}

with_data() {
  # a database that held data before distribute(): its own Citus metadata
  # (per database) on the same three nodes
  local p
  for p in "$CITUS_COORD" "$CITUS_W1" "$CITUS_W2"; do
    psql -X -q -v ON_ERROR_STOP=1 -p "$p" -d postgres -c "CREATE DATABASE pm_data" &&
      cpsql_db "$p" pm_data -c "CREATE EXTENSION citus" || return 1
  done
  local D=(cpsql_db "$CITUS_COORD" pm_data)
  "${D[@]}" -c "SELECT citus_set_coordinator_host('127.0.0.1', $CITUS_COORD)" \
    -c "SELECT citus_add_node('127.0.0.1', $CITUS_W1)" -c "SELECT citus_add_node('127.0.0.1', $CITUS_W2)" \
    -c "CREATE EXTENSION profile_merge" >/dev/null || return 1
  python3 bench/ingest/gen_events.py --events 2000 --accounts 10 --persons 300 --seed 41 \
    | awk -F, 'BEGIN { OFS = "," } { $3 = ""; print }' >"$WORK/first.csv" || return 1
  chmod 644 "$WORK/first.csv"
  local cols='account_id, source, profile_hint, email, phone, phone_region, external_id, sms_consent, email_consent, properties'
  "${D[@]}" -c "\\copy profile_merge.events ($cols) FROM '$WORK/first.csv' (FORMAT csv)" || return 1
  local before after
  before=$("${D[@]}" -c "SELECT (SELECT count(*) FROM profile_merge.profiles) || ' ' || (SELECT count(*) FROM profile_merge.identifiers)
                              || ' ' || (SELECT count(*) FROM profile_merge.events) || ' ' || (SELECT count(*) FROM profile_merge.merges)
                              || ' ' || (SELECT md5(string_agg(concat_ws('|', account_id, event_id, profile_id, outcome, detail), ',' ORDER BY account_id, event_id)) FROM profile_merge.events)")
  "${D[@]}" -c "SELECT profile_merge.distribute()" || return 1
  after=$("${D[@]}" -c "SELECT (SELECT count(*) FROM profile_merge.profiles) || ' ' || (SELECT count(*) FROM profile_merge.identifiers)
                             || ' ' || (SELECT count(*) FROM profile_merge.events) || ' ' || (SELECT count(*) FROM profile_merge.merges)
                             || ' ' || (SELECT md5(string_agg(concat_ws('|', account_id, event_id, profile_id, outcome, detail), ',' ORDER BY account_id, event_id)) FROM profile_merge.events)")
  expect_eq "profiles identifiers events merges, events unchanged (md5), kept by distribute()" "$before" "$after" || return 1
  expect_eq "distributed" "5" "$("${D[@]}" -c "SELECT count(*) FROM pg_dist_partition WHERE partmethod = 'h'")" || return 1
  # an existing person's e-mail, now resolved on a worker against the moved rows
  local acc email
  IFS='|' read -r acc email < <("${D[@]}" -c "SELECT account_id, value FROM profile_merge.identifiers
                                              WHERE kind = 'email' AND detached_at IS NULL ORDER BY 1, 2 LIMIT 1")
  expect_eq "an existing person's event after distribute()" "matched|t" \
    "$("${D[@]}" -c "SELECT outcome, event_id > (1::bigint << 48) FROM profile_merge.identify($acc, 'form', '$email')")"
}

# --- the run ----------------------------------------------------------------

if ! citus_start >"$WORK/start.log" 2>&1 || ! single_start >>"$WORK/start.log" 2>&1; then
  cat "$WORK/start.log"; echo "FAILED  citus/cluster: the nodes did not start"; echo "0 passed, 1 failed"; cleanup; exit 1
fi
if ! C -c 'CREATE EXTENSION profile_merge' -c 'SELECT profile_merge.distribute()' >"$WORK/setup.log" 2>&1; then
  cat "$WORK/setup.log"; echo "FAILED  citus/setup: CREATE EXTENSION or distribute()"; echo "0 passed, 1 failed"; cleanup; exit 1
fi
trap cleanup EXIT  # after citus_start, whose own trap only stops the nodes
echo "3-node Citus cluster on 127.0.0.1:$CITUS_COORD-$CITUS_W2, single node on $CITUS_SINGLE, distribute() done"
for check in ${CITUS_CHECKS:-distributes story stream returning concurrent shard_move admin settings ingest_refused with_data}; do
  run_check "$check" "$check"
done
echo "Citus suite: $(( $(date +%s) - started )) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
