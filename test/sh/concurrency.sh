#!/usr/bin/env bash
# Concurrency (DESIGN.md section 6): many sessions inserting events and
# consent rows over the same few hundred identifiers must end in a state some
# serial order could have produced, without a deadlock or a serialization
# error ever reaching a client, and without losing a consent row.
#
#   1. pgbench, 16 clients (PM_CONC_CLIENTS), 2,000 transactions each
#      (PM_CONC_TX): 90 % one event (lib/pgbench_event.sql: all seven
#      sources, accounts 1-3 with account 1 hot and account 3 SMS-only,
#      profile hints, consent flags, invalid and blocked values), 10 % one
#      consent row inserted directly (lib/pgbench_consent.sql). One statement
#      per transaction, no retries (--max-tries=1): every failure counts.
#   2. Asserts: pgbench processed every transaction, none failed or aborted;
#      the server log shows no ERROR (deadlock detected / 40P01 / 40001
#      included); the invariants (test/sql/check_invariants.sql and
#      lib/invariants.sql); every consent the clients sent is in the ledger
#      exactly once (lib/expect_checks.sql).
#   3. Replays the same events serially, ORDER BY event_id (each direct
#      consent placed before the first event that started after it), into a
#      fresh database, and asserts the same invariants and checks there, plus
#      what must agree between any two orders: the number of events, the
#      consent ledger (per event, and the direct rows), the normalizations,
#      which events are rejected, and the identifiers ever attached (a value
#      attached in one run and never in the other may only be one that no
#      event led with). What may differ (outcomes, merges, the values
#      attached at the end, since an override detaches a value that a later
#      event may or may not re-attach) is printed.
#   4. Scripted interleavings (lib/interleave.sh) of single-event
#      transactions that a retry of the resolver makes wait for a lock while
#      holding one from its earlier attempt: they must not deadlock. Then
#      the profile row lock (taken without the executor, as
#      SELECT ... FOR UPDATE would): under READ COMMITTED an event waits for
#      the transaction holding its profile and applies its change on top of
#      that one's; under REPEATABLE READ it fails with 40001 when its profile
#      changed after its snapshot. Then two events claiming the same new
#      value: the loser waits and joins the winner's profile; under
#      REPEATABLE READ a value claimed after the snapshot is 40001.
#
# Knobs: PM_CONC_CLIENTS, PM_CONC_TX, PM_CONC_THREADS (2), PM_CONC_HOT (12,
# the persons of the hot account 1; accounts 2 and 3 have 300);
# PM_CONC_ONLY_INTERLEAVINGS=1 runs step 4 alone.
# bench/soak/run.sh runs this longer.
#
# Run by scripts/run-tests.sh against its cluster (PGHOST/PGPORT/PGUSER).
source "$(dirname "$0")/lib/common.sh"
source "$PM_TEST_LIB/interleave.sh"

CLIENTS=${PM_CONC_CLIENTS:-16}
TX=${PM_CONC_TX:-2000}
THREADS=${PM_CONC_THREADS:-2}
HOT=${PM_CONC_HOT:-12}
DIRECT=pgbench_direct
WORK=$(mktemp -d /tmp/pm_concurrency.XXXXXX)
trap 'rc=$?; rm -rf "$WORK" "${PM_IL_DIR:-}"; pm_finish "$rc"' EXIT

if [ "${PM_CONC_ONLY_INTERLEAVINGS:-0}" != 1 ]; then
step "setup"
pm_new_db conc; DB=$PM_DB
"${PSQL[@]}" -d "$DB" -f "$PM_TEST_LIB/pool.sql" -f "$PM_TEST_LIB/accounts.sql" >/dev/null
say "database $DB: pool of 300 persons (e-mail, phone, external id), 5 invalid and 3 blocked values of each kind"

step "pgbench: $CLIENTS clients x $TX transactions (90 % events, 10 % direct consents; hot account 1: $HOT persons)"
log_from=$(pm_log_offset)
set +e
pgbench -n -c "$CLIENTS" -j "$THREADS" -t "$TX" --max-tries=1 --failures-detailed --verbose-errors \
  -l --log-prefix="$WORK/pglog" -D hot="$HOT" \
  -f "$PM_TEST_LIB/pgbench_event.sql@9" -f "$PM_TEST_LIB/pgbench_consent.sql@1" \
  "$DB" >"$WORK/pgbench.out" 2>&1
pgbench_rc=$?
set -e
server_log=$(pm_log_since "$log_from")

grep -E '^(number of|latency average|tps)' "$WORK/pgbench.out" || true
processed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\)\/.*/\1/p' "$WORK/pgbench.out")
failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$WORK/pgbench.out")
tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$WORK/pgbench.out")
# Per-script counts from the per-transaction logs (pgbench's own per-script
# summary is updated by its threads without a lock and can be off by a few):
# "client_id transaction_no time script_no ...", time "failed" on failure.
pglog() { cat "$WORK"/pglog.* 2>/dev/null | awk "$1" | wc -l || true; }
events_sent=$(pglog '$4 == 0 && $3 != "failed" && $3 != "skipped"')
direct_sent=$(pglog '$4 == 1 && $3 != "failed" && $3 != "skipped"')
logged_failed=$(pglog '$3 == "failed"')

[ "$pgbench_rc" -eq 0 ] || pm_problem "pgbench exited with status $pgbench_rc"
[ "${processed:-0}" = "$((CLIENTS * TX))" ] || pm_problem "pgbench processed ${processed:-?} of $((CLIENTS * TX)) transactions"
[ "${failed:-x}" = 0 ] || pm_problem "pgbench reports ${failed:-?} failed transactions ($(grep -E '^number of (serialization|deadlock) failures' "$WORK/pgbench.out" | sed 's/number of //; s/ (.*//' | tr '\n' ' '))"
[ "$logged_failed" = 0 ] || pm_problem "pgbench logged $logged_failed failed transactions"
[ $((events_sent + direct_sent + logged_failed)) = "$((CLIENTS * TX))" ] \
  || pm_problem "pgbench's transaction logs show $((events_sent + direct_sent + logged_failed)) of $((CLIENTS * TX)) transactions"
ERRPAT='aborted|ERROR|error:|deadlock detected|could not serialize'
if grep -qE "$ERRPAT" "$WORK/pgbench.out"; then
  pm_problem "pgbench printed errors: $(grep -E "$ERRPAT" "$WORK/pgbench.out" | sed 's/client [0-9]*/client N/; s/command [0-9]*/command N/' | sort | uniq -c | sort -rn | head -3 | tr '\n' ';')"
fi
log_errors=$(printf '%s\n' "$server_log" | grep -E 'ERROR|FATAL|PANIC|deadlock detected|40P01|40001|terminated by signal' || true)
if [ -n "$log_errors" ]; then
  pm_problem "the server logged $(printf '%s\n' "$log_errors" | grep -c .) error line(s) during the pgbench run: $(printf '%s\n' "$log_errors" | sed 's/^.*\] //' | sort | uniq -c | sort -rn | head -3 | tr '\n' ';')"
  say "server log around the errors (first 60 lines):"
  printf '%s\n' "$server_log" | grep -E -A12 'ERROR|FATAL|PANIC' | cut -c1-300 | head -60
fi
say "pgbench: $processed transactions ($events_sent events, $direct_sent direct consents, $logged_failed failed) at $tps tps"

step "checks on the concurrent run"
"${PSQL[@]}" -d "$DB" -f "$PM_TEST_LIB/expect.sql" >/dev/null
pm_invariants "$DB" || true
say "against what the clients sent:"
pm_check_named "$DB" "$PM_TEST_LIB/expect_checks.sql" \
  -v events_sent="$events_sent" -v direct_consents_sent="$direct_sent" -v direct_method="$DIRECT" || true

figures() {
  psql -X -q -v ON_ERROR_STOP=1 -P footer=off -d "$1" <<'SQL'
SELECT (SELECT count(*) FROM profile_merge.events) AS events,
       (SELECT count(*) FROM profile_merge.consents) AS consents,
       (SELECT count(*) FROM profile_merge.consents WHERE event_id IS NOT NULL) AS by_events,
       (SELECT count(*) FROM profile_merge.consents WHERE event_id IS NULL) AS direct,
       (SELECT count(*) FROM profile_merge.profiles WHERE merged_into IS NULL) AS active_profiles,
       (SELECT count(*) FROM profile_merge.profiles WHERE merged_into IS NOT NULL) AS tombstones,
       (SELECT count(*) FROM profile_merge.merges) AS merges,
       (SELECT count(*) FROM profile_merge.identifiers WHERE detached_at IS NULL) AS attached,
       (SELECT count(*) FROM profile_merge.identifiers) AS identifier_rows;
SELECT source,
       count(*) FILTER (WHERE outcome = 'created')  AS created,
       count(*) FILTER (WHERE outcome = 'matched')  AS matched,
       count(*) FILTER (WHERE outcome = 'updated')  AS updated,
       count(*) FILTER (WHERE outcome = 'merged')   AS merged,
       count(*) FILTER (WHERE outcome = 'conflict') AS conflict,
       count(*) FILTER (WHERE outcome = 'rejected') AS rejected,
       count(*) AS total
  FROM profile_merge.events GROUP BY ROLLUP (source) ORDER BY source NULLS LAST;
SQL
}
say "figures (concurrent run):"
figures "$DB"

step "serial replay, ORDER BY event_id, into a fresh database"
pm_new_db replay; RDB=$PM_DB
"${PSQL[@]}" -d "$RDB" -f "$PM_TEST_LIB/accounts.sql" >/dev/null
"${PSQL[@]}" -d "$RDB" <<'SQL'
CREATE SCHEMA pmtest;
CREATE TABLE pmtest.replay (
    seq bigint PRIMARY KEY, is_consent boolean NOT NULL,
    event_id bigint, account_id bigint NOT NULL, source text NOT NULL, profile_hint bigint,
    email text, phone text, phone_region text, external_id text,
    sms_consent boolean, email_consent boolean, properties jsonb, at timestamptz,
    channel text, value text, status text, method text);
-- what the concurrent run stored, to compare with
CREATE TABLE pmtest.a_events (event_id bigint, account_id bigint, outcome text,
                              email_normalized text, phone_e164 text);
CREATE TABLE pmtest.a_consents (event_id bigint, account_id bigint, channel text, value text,
                                status text, source text, method text);
CREATE TABLE pmtest.a_identifiers (account_id bigint, kind text, value text, attached boolean);
SQL
# Events in event_id order; each direct consent goes before the first event
# whose transaction started after the consent's (their now() stamps).
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" >"$WORK/replay.csv" <<'SQL'
CREATE TEMP TABLE later AS
SELECT occurred_at, min(event_id) OVER (ORDER BY occurred_at DESC, event_id DESC) AS first_id
  FROM profile_merge.events;
CREATE INDEX ON later (occurred_at);
ANALYZE later;
COPY (
  SELECT row_number() OVER (ORDER BY pos, is_consent DESC, id), is_consent, event_id, account_id,
         source, profile_hint, email, phone, phone_region, external_id, sms_consent, email_consent,
         properties, at, channel, value, status, method
    FROM (SELECT event_id AS pos, false AS is_consent, event_id AS id, event_id, account_id, source,
                 profile_hint, email, phone, phone_region, external_id, sms_consent, email_consent,
                 properties, occurred_at AS at,
                 NULL::text AS channel, NULL::text AS value, NULL::text AS status, NULL::text AS method
            FROM profile_merge.events
          UNION ALL
          SELECT coalesce((SELECT l.first_id FROM later l WHERE l.occurred_at > c.recorded_at
                            ORDER BY l.occurred_at LIMIT 1),
                          (SELECT max(event_id) + 1 FROM profile_merge.events)),
                 true, c.consent_id, NULL, c.account_id, c.source, NULL, NULL, NULL, NULL, NULL,
                 NULL, NULL, NULL, c.recorded_at, c.channel, c.value, c.status, c.method
            FROM profile_merge.consents c WHERE c.event_id IS NULL) s)
  TO STDOUT (FORMAT csv);
SQL
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -c "\copy (SELECT event_id, account_id, outcome, email_normalized, phone_e164 FROM profile_merge.events) TO '$WORK/a_events.csv' (FORMAT csv)" \
  -c "\copy (SELECT event_id, account_id, channel, value, status, source, method FROM profile_merge.consents) TO '$WORK/a_consents.csv' (FORMAT csv)" \
  -c "\copy (SELECT account_id, kind, value, bool_or(detached_at IS NULL) FROM profile_merge.identifiers GROUP BY 1, 2, 3) TO '$WORK/a_identifiers.csv' (FORMAT csv)"
psql -X -q -v ON_ERROR_STOP=1 -d "$RDB" -c "\copy pmtest.replay FROM '$WORK/replay.csv' (FORMAT csv)" \
  -c "\copy pmtest.a_events FROM '$WORK/a_events.csv' (FORMAT csv)" \
  -c "\copy pmtest.a_consents FROM '$WORK/a_consents.csv' (FORMAT csv)" \
  -c "\copy pmtest.a_identifiers FROM '$WORK/a_identifiers.csv' (FORMAT csv)"

t0=$(date +%s.%N)
replay_log_from=$(pm_log_offset)
# One row at a time in stream order, committing every 500 rows so that
# created_at advances as it did in the concurrent run.
"${PSQL[@]}" -d "$RDB" <<'SQL'
DO $$
DECLARE
    r record;
    i int := 0;
BEGIN
    FOR r IN SELECT * FROM pmtest.replay ORDER BY seq LOOP
        IF r.is_consent THEN
            INSERT INTO profile_merge.consents (account_id, channel, value, status, source, method, recorded_at)
            VALUES (r.account_id, r.channel, r.value, r.status, r.source, r.method, r.at);
        ELSE
            INSERT INTO profile_merge.events (event_id, account_id, source, profile_hint, email, phone,
                                              phone_region, external_id, sms_consent, email_consent,
                                              properties, occurred_at)
            VALUES (r.event_id, r.account_id, r.source, r.profile_hint, r.email, r.phone,
                    r.phone_region, r.external_id, r.sms_consent, r.email_consent,
                    r.properties, r.at);
        END IF;
        i := i + 1;
        IF i % 500 = 0 THEN
            COMMIT;
        END IF;
    END LOOP;
END $$;
SQL
replay_secs=$(echo "$(date +%s.%N) - $t0" | bc)
replayed=$("${PSQL[@]}" -d "$RDB" -c 'SELECT count(*) FROM pmtest.replay')
replay_log=$(pm_log_since "$replay_log_from" | grep -E 'ERROR|FATAL|PANIC' || true)
[ -z "$replay_log" ] || { printf '%s\n' "$replay_log" | head -20; pm_problem "the server logged errors during the serial replay"; }
printf 'replayed %s rows serially in %.1f s (%.0f rows/s)\n' "$replayed" "$replay_secs" \
  "$(echo "$replayed / $replay_secs" | bc -l)"

step "checks on the serial replay"
"${PSQL[@]}" -d "$RDB" -f "$PM_TEST_LIB/expect.sql" >/dev/null
pm_invariants "$RDB" || true
say "against what was sent:"
pm_check_named "$RDB" "$PM_TEST_LIB/expect_checks.sql" \
  -v events_sent="$events_sent" -v direct_consents_sent="$direct_sent" -v direct_method="$DIRECT" || true
say "figures (serial replay):"
figures "$RDB"

step "concurrent run vs serial replay"
cat >"$WORK/compare.sql" <<'SQL'
-- what any two orders of the same events must agree on
SELECT abs((SELECT count(*) FROM pmtest.a_events) - (SELECT count(*) FROM profile_merge.events))
       AS events_count_differs;
SELECT abs((SELECT count(*) FROM pmtest.a_consents) - (SELECT count(*) FROM profile_merge.consents))
       AS consents_count_differs;
SELECT count(*) AS event_consents_differ FROM (
    (SELECT event_id, account_id, channel, value, status, source, method FROM pmtest.a_consents WHERE event_id IS NOT NULL
     EXCEPT ALL
     SELECT event_id, account_id, channel, value, status, source, method FROM profile_merge.consents WHERE event_id IS NOT NULL)
    UNION ALL
    (SELECT event_id, account_id, channel, value, status, source, method FROM profile_merge.consents WHERE event_id IS NOT NULL
     EXCEPT ALL
     SELECT event_id, account_id, channel, value, status, source, method FROM pmtest.a_consents WHERE event_id IS NOT NULL)) x;
SELECT count(*) AS direct_consents_differ FROM (
    (SELECT account_id, channel, value, status, source, method FROM pmtest.a_consents WHERE event_id IS NULL
     EXCEPT ALL
     SELECT account_id, channel, value, status, source, method FROM profile_merge.consents WHERE event_id IS NULL)
    UNION ALL
    (SELECT account_id, channel, value, status, source, method FROM profile_merge.consents WHERE event_id IS NULL
     EXCEPT ALL
     SELECT account_id, channel, value, status, source, method FROM pmtest.a_consents WHERE event_id IS NULL)) x;
SELECT count(*) AS normalizations_differ
  FROM pmtest.a_events a FULL JOIN profile_merge.events b USING (account_id, event_id)
 WHERE a.email_normalized IS DISTINCT FROM b.email_normalized
    OR a.phone_e164 IS DISTINCT FROM b.phone_e164 OR a.event_id IS NULL OR b.event_id IS NULL;
SELECT count(*) AS rejections_differ_without_hint
  FROM pmtest.a_events a JOIN profile_merge.events b USING (account_id, event_id)
 WHERE b.profile_hint IS NULL AND (a.outcome = 'rejected') <> (b.outcome = 'rejected');
-- a value attached at some point in one run and never in the other may only
-- be one that no event (without a hint) led with
SELECT count(*) AS ever_attached_differ_on_lead_values FROM (
    (SELECT account_id, kind, value FROM pmtest.a_identifiers
     EXCEPT SELECT account_id, kind, value FROM profile_merge.identifiers)
    UNION ALL
    (SELECT account_id, kind, value FROM profile_merge.identifiers
     EXCEPT SELECT account_id, kind, value FROM pmtest.a_identifiers)) d
 WHERE (account_id, kind, value) IN (SELECT account_id, kind, value FROM pmtest.lead_values);
SQL
pm_check_named "$RDB" "$WORK/compare.sql" || true
say "what may differ with the order (printed, not asserted):"
psql -X -q -v ON_ERROR_STOP=1 -P footer=off -d "$RDB" <<'SQL'
WITH a AS (SELECT account_id, kind, value FROM pmtest.a_identifiers),
     a_now AS (SELECT account_id, kind, value FROM pmtest.a_identifiers WHERE attached),
     b AS (SELECT DISTINCT account_id, kind, value FROM profile_merge.identifiers),
     b_now AS (SELECT account_id, kind, value FROM profile_merge.identifiers WHERE detached_at IS NULL)
SELECT x.account_id,
       (SELECT count(*) FROM a WHERE a.account_id = x.account_id) AS ever_attached_concurrent,
       (SELECT count(*) FROM b WHERE b.account_id = x.account_id) AS ever_attached_serial,
       (SELECT count(*) FROM ((SELECT * FROM a EXCEPT SELECT * FROM b) UNION ALL (SELECT * FROM b EXCEPT SELECT * FROM a)) d
         WHERE d.account_id = x.account_id) AS ever_differ,
       (SELECT count(*) FROM a_now WHERE a_now.account_id = x.account_id) AS attached_now_concurrent,
       (SELECT count(*) FROM b_now WHERE b_now.account_id = x.account_id) AS attached_now_serial,
       (SELECT count(*) FROM ((SELECT * FROM a_now EXCEPT SELECT * FROM b_now) UNION ALL (SELECT * FROM b_now EXCEPT SELECT * FROM a_now)) d
         WHERE d.account_id = x.account_id) AS now_differ
  FROM (SELECT DISTINCT account_id FROM profile_merge.events) x ORDER BY 1;
SELECT outcome, sum(c) FILTER (WHERE run = 'concurrent') AS concurrent,
       sum(c) FILTER (WHERE run = 'serial') AS serial
  FROM (SELECT 'concurrent' AS run, outcome, count(*) AS c FROM pmtest.a_events GROUP BY 2
        UNION ALL SELECT 'serial', outcome, count(*) FROM profile_merge.events GROUP BY 2) u
 GROUP BY 1 ORDER BY 1;
SQL

fi  # PM_CONC_ONLY_INTERLEAVINGS

step "scripted interleavings of single-event transactions (must never deadlock)"
# Two ways a single-event transaction can come to wait for a lock while it
# holds one taken in an earlier attempt of the same event, found by the load
# above (deadlocks at 16 clients on a hot account) and made reproducible here.
pm_new_db interleave; IDB=$PM_DB
pm_il_setup "$IDB"
"${PSQL[@]}" -d "$IDB" -c "ALTER DATABASE \"$IDB\" SET deadlock_timeout = '200ms'"
ev() {  # ev <source> <external_id> <email> <phone>: an INSERT ... RETURNING of one event
  echo "INSERT INTO profile_merge.events (account_id, source, external_id, email, phone)
        VALUES (1, '$1', $2, $3, $4) RETURNING 'event', event_id, profile_id, outcome;"
}
one() { "${PSQL[@]}" -d "$IDB" -c "SELECT profile_id FROM profile_merge.identify(1, '$1', email => $2, phone => $3)"; }

# Interleaving 1, deterministic: a retry keeps the row locks of its first
# attempt. Profiles K < L < X < Y. B (import: external_id W, e-mail of X,
# phone of Y) locks X, then waits for Y, which C holds while merging Y into L.
# C commits: B finds the phone moved to L and retries, still holding X; the
# retry locks K (held by E: W was attached to K by D meanwhile), then L, X.
# A (e-mail of X, phone now on L), started then, locks L and waits for X.
# E commits: B waits for L (A), A for X (B).
K=$(one sms_keyword NULL "'(415) 237-7930'")
L=$(one form "'il.l@example.com'" NULL)
X=$(one form "'il.x@example.com'" NULL)
Y=$(one sms_keyword NULL "'(415) 237-7931'")
say "interleaving 1: profiles K=$K < L=$L < X=$X < Y=$Y"
pm_session C "BEGIN;" "$(ev api NULL "'il.l@example.com'" "'(415) 237-7931'")" "SELECT pmtest.park('C');" "COMMIT;"
pm_wait_for 20 "$(pm_parked C)" || pm_problem "interleaving 1: session C never parked"
pm_session B "$(ev import "'il-w'" "'il.x@example.com'" "'(415) 237-7931'")"
pm_wait_for 20 "$(pm_blocked_by B C)" || pm_problem "interleaving 1: B never waited for C"
"${PSQL[@]}" -d "$IDB" -c "SET statement_timeout = '20s'" -c "$(ev import "'il-w'" NULL "'(415) 237-7930'")" >/dev/null \
  || pm_problem "interleaving 1: D (attaching external_id il-w to K) failed"
pm_session E "BEGIN;" "$(ev sms_keyword NULL NULL "'415.237.7930'")" "SELECT pmtest.park('E');" "COMMIT;"
pm_wait_for 20 "$(pm_parked E)" || pm_problem "interleaving 1: session E never parked"
pm_release C
pm_wait_for 20 "$(pm_blocked_by B E) OR $(pm_gone B)" || pm_problem "interleaving 1: B neither waited for E nor ended"
pm_session A "$(ev form NULL "'il.x@example.com'" "'+1 415 237 7931'")"
if pm_wait_for 10 "$(pm_blocked_by A B) OR $(pm_gone A)"; then
  "${PSQL[@]}" -d "$IDB" -c "SELECT $(pm_blocked_by A B) AND $(pm_blocked_by B E)" | grep -q t \
    && say "  reached: A holds L and waits for B; B holds X (from its first attempt) and waits for E"
fi
pm_release E
pm_join
for sname in A B C E; do
  if pm_session_failed "$sname"; then
    pm_problem "interleaving 1 (retry keeping its first attempt's locks): session $sname failed: $(grep ERROR "$PM_IL_DIR/$sname.out" | head -1)"
  fi
done

# Interleaving 2, deterministic: a claim lost to a concurrent session keeps
# the row it claimed before until commit. Profiles K < P. B (api: external_id
# V, e-mail W, phone Z, all new) creates a profile, claims V, then waits for W,
# which X is attaching to P. D attaches Z to K, E holds K. X commits: B has
# lost W, deletes its V row (its own until it commits) and retries, locking
# K (waits for E), then P. A (external_id V, phone of P), started then, locks
# P and waits for B's V row. E commits: B waits for P (A), A for B.
K2=$(one form "'il.k2@example.com'" NULL)
P=$(one sms_keyword NULL "'(415) 237-7940'")
say "interleaving 2: profiles K=$K2 < P=$P"
pm_session X "BEGIN;" "$(ev form NULL "'il.w2@example.com'" "'(415) 237-7940'")" "SELECT pmtest.park('X');" "COMMIT;"
pm_wait_for 20 "$(pm_parked X)" || pm_problem "interleaving 2: session X never parked"
pm_session B2 "$(ev api "'il-v2'" "'il.w2@example.com'" "'(415) 237-7941'")"
pm_wait_for 20 "$(pm_blocked_by B2 X)" || pm_problem "interleaving 2: B never waited for X"
"${PSQL[@]}" -d "$IDB" -c "SET statement_timeout = '20s'" -c "$(ev form NULL "'il.k2@example.com'" "'(415) 237-7941'")" >/dev/null \
  || pm_problem "interleaving 2: D (attaching phone (415) 237-7941 to K) failed"
pm_session E2 "BEGIN;" "$(ev form NULL "'il.k2@example.com'" NULL)" "SELECT pmtest.park('E2');" "COMMIT;"
pm_wait_for 20 "$(pm_parked E2)" || pm_problem "interleaving 2: session E never parked"
pm_release X
pm_wait_for 20 "$(pm_blocked_by B2 E2) OR $(pm_gone B2)" || pm_problem "interleaving 2: B neither waited for E nor ended"
pm_session A2 "$(ev api "'il-v2'" NULL "'415-237-7940'")"
if pm_wait_for 10 "$(pm_blocked_by A2 B2) OR $(pm_gone A2)"; then
  "${PSQL[@]}" -d "$IDB" -c "SELECT $(pm_blocked_by A2 B2) AND $(pm_blocked_by B2 E2)" | grep -q t \
    && say "  reached: A holds P and waits for B's deleted claim of V; B waits for E"
fi
pm_release E2
pm_join
for sname in A2 B2 X E2; do
  if pm_session_failed "$sname"; then
    pm_problem "interleaving 2 (lost claim keeping its earlier claim): session $sname failed: $(grep ERROR "$PM_IL_DIR/$sname.out" | head -1)"
  fi
done
# rr_fails_after_commit LABEL G R LOCK STATEMENT CHANGE: session R takes
# its REPEATABLE READ snapshot, then waits on advisory lock LOCK that
# session G holds (park() cannot see a release under R's snapshot); CHANGE
# commits meanwhile from another session; then R's STATEMENT must fail with
# a serialization failure (40001).
rr_fails_after_commit() {
  local label=$1 g=$2 r=$3 lock=$4 statement=$5 change=$6
  pm_session "$g" "SELECT pg_advisory_lock($lock);" "SELECT pmtest.park('$g');"
  pm_wait_for 20 "$(pm_parked "$g")" || pm_problem "$label: session $g never parked"
  pm_session "$r" "BEGIN ISOLATION LEVEL REPEATABLE READ;" "SELECT count(*) FROM profile_merge.profiles;" \
    "SELECT pg_advisory_lock_shared($lock);" "$statement" "COMMIT;"
  pm_wait_for 20 "$(pm_blocked_by "$r" "$g")" || pm_problem "$label: $r never waited for $g"
  "${PSQL[@]}" -d "$IDB" -c "$change" >/dev/null || pm_problem "$label: the concurrent change failed"
  pm_release "$g"
  pm_join
  grep -q 'could not serialize access' "$PM_IL_DIR/$r.out" \
    || pm_problem "$label: REPEATABLE READ after a concurrent commit did not fail with 40001: $(cat "$PM_IL_DIR/$r.out")"
}

# Interleaving 3: the profile row lock. H holds profile Q (an event that
# changed it, not committed); W, an event for Q with a property, waits for
# H, then locks Q's newest version: both properties end on Q.
Q=$(one form "'il.q@example.com'" NULL)
say "interleaving 3: profile Q=$Q"
pm_session H "BEGIN;" "SELECT profile_id FROM profile_merge.identify(1, 'form', email => 'il.q@example.com', properties => '{\"h\": 1}');" \
  "SELECT pmtest.park('H');" "COMMIT;"
pm_wait_for 20 "$(pm_parked H)" || pm_problem "interleaving 3: session H never parked"
pm_session W "SELECT 'w', profile_id FROM profile_merge.identify(1, 'form', email => 'il.q@example.com', properties => '{\"w\": 1}');"
pm_wait_for 20 "$(pm_blocked_by W H)" || pm_problem "interleaving 3: W never waited for H's lock on Q"
pm_release H
pm_join
pm_session_failed W && pm_problem "interleaving 3: W failed: $(grep ERROR "$PM_IL_DIR/W.out" | head -1)"
grep -q "^w|$Q$" "$PM_IL_DIR/W.out" || pm_problem "interleaving 3: W did not resolve to Q: $(cat "$PM_IL_DIR/W.out")"
[ "$("${PSQL[@]}" -d "$IDB" -c "SELECT properties @> '{\"h\": 1, \"w\": 1}' FROM profile_merge.profiles WHERE account_id = 1 AND profile_id = $Q")" = t ] \
  || pm_problem "interleaving 3: W's lock did not see H's committed change of Q"
# R's REPEATABLE READ event for Q after Q changed and committed past R's
# snapshot must fail with a serialization failure, not act on the old row.
rr_fails_after_commit "interleaving 3" G R 4242 \
  "SELECT profile_id FROM profile_merge.identify(1, 'form', email => 'il.q@example.com', properties => '{\"r\": 1}');" \
  "SELECT profile_merge.identify(1, 'form', email => 'il.q@example.com', properties => '{\"c\": 1}')"
say "  profile lock: waited and saw the newer row (READ COMMITTED); 40001 under REPEATABLE READ"
# Interleaving 4: two events claim the same new value (the speculative
# insertion into identifiers_attached_value). H's claim is not committed;
# W's waits for it, loses, and W's retry attaches to H's profile. Under
# REPEATABLE READ a value claimed and committed after the snapshot is a
# serialization failure, as INSERT ... ON CONFLICT DO NOTHING gives.
say "interleaving 4: a value claimed by two events"
pm_session CH "BEGIN;" "SELECT 'h', profile_id FROM profile_merge.identify(1, 'form', email => 'il.claim@example.com');" \
  "SELECT pmtest.park('CH');" "COMMIT;"
pm_wait_for 20 "$(pm_parked CH)" || pm_problem "interleaving 4: session H never parked"
pm_session CW "SELECT 'w', profile_id FROM profile_merge.identify(1, 'form', email => 'il.claim@example.com', properties => '{\"w\": 1}');"
pm_wait_for 20 "$(pm_blocked_by CW CH)" || pm_problem "interleaving 4: W never waited for H's claim"
pm_release CH
pm_join
pm_session_failed CW && pm_problem "interleaving 4: W failed: $(grep ERROR "$PM_IL_DIR/CW.out" | head -1)"
HP=$(sed -n 's/^h|//p' "$PM_IL_DIR/CH.out")
[ -n "$HP" ] && grep -q "^w|$HP$" "$PM_IL_DIR/CW.out" \
  || pm_problem "interleaving 4: W did not end on H's profile $HP: $(cat "$PM_IL_DIR/CW.out")"
[ "$("${PSQL[@]}" -d "$IDB" -c "SELECT count(*) FROM profile_merge.identifiers WHERE account_id = 1 AND value = 'il.claim@example.com'")" = 1 ] \
  || pm_problem "interleaving 4: the contested value was stored more than once"
rr_fails_after_commit "interleaving 4" CG CR 4243 \
  "SELECT profile_id FROM profile_merge.identify(1, 'form', email => 'il.claim.rr@example.com');" \
  "SELECT profile_merge.identify(1, 'form', email => 'il.claim.rr@example.com')"
say "  claims: the loser waited and joined the winner's profile (READ COMMITTED); 40001 under REPEATABLE READ"
pm_invariants "$IDB" || true
[ "${PM_CONC_ONLY_INTERLEAVINGS:-0}" = 1 ] && { pm_verdict "no scripted interleaving deadlocks"; exit 0; }
pm_verdict "$events_sent events + $direct_sent direct consents from $CLIENTS clients at $tps tps; invariants hold, every consent is in the ledger, the serial replay agrees, no scripted interleaving deadlocks"
