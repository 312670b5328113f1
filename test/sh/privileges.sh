#!/usr/bin/env bash
# privileges: what an application role needs and may do, and row-level
# security by account (DESIGN.md section 6; doc/row_level_security.sql).
#
# Part 1, no row-level security: a role granted only USAGE on the schema,
# INSERT on events and consents and SELECT on what it reads back (events,
# profile_consent) can insert events and consents (the SECURITY DEFINER
# triggers do the rest, no sequence privilege needed), and gets 42501 for
# every other write, every read of the other tables, the admin functions,
# changes to the extension's objects, and for borrowing the extension's
# SECURITY DEFINER trigger functions for a table of its own.
#
# Part 2, doc/row_level_security.sql applied: a role bound to account 5 sees
# only account 5's rows, cannot write a row of account 6 (and the
# extension's triggers never run for such a row), cannot change its binding,
# and a profile_hint naming account 6's profile is ignored in account 5.
# Row-level security makes PostgreSQL refuse COPY FROM (0A000) to the bound
# roles; they load with INSERT ... SELECT, checked here too.
#
# Every check runs; the test fails at the end, listing what failed.
source "$(dirname "$0")/lib/common.sh"
set +e   # checks are collected, not fatal

PROBLEMS=()
problem() { PROBLEMS+=("$*"); printf '  FAILED: %s\n' "$*"; }
passed()  { printf '  ok: %s\n' "$*"; }

SUFFIX="$$_${RANDOM}"
APP="pm_priv_app_$SUFFIX"      # part 1: the application role
NOBODY="pm_priv_none_$SUFFIX"  # part 1: a role granted nothing
T5="pm_priv_t5_$SUFFIX"        # part 2: bound to account 5
T6="pm_priv_t6_$SUFFIX"        # part 2: bound to account 6
TX="pm_priv_tx_$SUFFIX"        # part 2: granted like the others, bound to nothing
ROLES=("$APP" "$NOBODY" "$T5" "$T6" "$TX")

# Roles belong to the cluster: they go once the databases that granted them
# something are dropped (which pm_finish does only when the test passed).
cleanup() {
  local rc=$?
  if [ "$rc" -eq 0 ] && [ "$PM_PASSED" = 1 ]; then
    pm_drop_dbs
    for r in "${ROLES[@]}"; do psql -X -q -d postgres -c "DROP ROLE IF EXISTS \"$r\"" >/dev/null 2>&1; done
  else
    printf 'kept for inspection: roles %s\n' "${ROLES[*]}" >&2
  fi
  pm_finish "$rc"
}
trap cleanup EXIT

# sql <db> <sql>: as the superuser; prints the result (unaligned).
sql() { "${PSQL[@]}" -d "$1" -c "$2"; }

# run_as <role> <db> <sql>: connects as the role (the throwaway cluster
# trusts local connections). stdout to $OUT, stderr to $ERR; returns psql's
# status. VERBOSITY=verbose puts the SQLSTATE on the ERROR line.
OUT=""; ERR=""
run_as() {
  local role=$1 db=$2 stmt=$3 errfile
  errfile=$(mktemp)
  OUT=$(psql -X -q -At -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -U "$role" -d "$db" -c "$stmt" 2>"$errfile")
  local rc=$?
  ERR=$(cat "$errfile"); rm -f "$errfile"
  return $rc
}

# expect_ok <label> <role> <db> <sql> [expected output]
expect_ok() {
  local label=$1 role=$2 db=$3 stmt=$4
  if ! run_as "$role" "$db" "$stmt"; then
    problem "$label: expected success, got: $(printf '%s' "$ERR" | grep -m1 ERROR)"
  elif [ $# -ge 5 ] && [ "$OUT" != "$5" ]; then
    problem "$label: expected '$5', got '$OUT'"
  else
    passed "$label${5:+ -> $5}"
  fi
}

# expect_error <label> <sqlstate> <role> <db> <sql>
expect_error() {
  local label=$1 state=$2 role=$3 db=$4 stmt=$5
  if run_as "$role" "$db" "$stmt"; then
    problem "$label: expected ERROR $state, but it succeeded${OUT:+ (output: $OUT)}"
  elif ! grep -q "^ERROR:  $state:" <<<"$ERR"; then
    problem "$label: expected ERROR $state, got: $(printf '%s' "$ERR" | grep -m1 ERROR)"
  else
    passed "$label -> $(printf '%s' "$ERR" | grep -m1 '^ERROR' | cut -c1-110)"
  fi
}

# expect_eq <label> <expected> <actual>
expect_eq() {
  if [ "$2" = "$3" ]; then passed "$1 -> $3"; else problem "$1: expected '$2', got '$3'"; fi
}

# The columns of the events table, for the borrowed-trigger checks.
EVENTS_LIKE="event_id bigint, account_id bigint, source text, profile_hint bigint, email text, phone text,
             phone_region text, external_id text, sms_consent boolean, email_consent boolean,
             properties jsonb, occurred_at timestamptz, email_normalized text, phone_e164 text,
             profile_id bigint, outcome text, detail jsonb"
CONSENTS_LIKE="consent_id bigint, account_id bigint, channel text, value text, status text, source text,
               method text, recorded_at timestamptz, event_id bigint, profile_id bigint"

##############################################################################
step "part 1: an application role without row-level security"
pm_new_db priv; DB1=$PM_DB
sql "$DB1" "CREATE ROLE \"$APP\" LOGIN;
            CREATE ROLE \"$NOBODY\" LOGIN;
            GRANT USAGE ON SCHEMA profile_merge TO \"$APP\", \"$NOBODY\";
            GRANT INSERT (account_id, source, profile_hint, email, phone, phone_region, external_id,
                          sms_consent, email_consent, properties, occurred_at)
                  ON profile_merge.events TO \"$APP\";
            GRANT INSERT (account_id, channel, value, status, source, method, recorded_at)
                  ON profile_merge.consents TO \"$APP\";
            GRANT SELECT ON profile_merge.events, profile_merge.profile_consent TO \"$APP\";" >/dev/null \
  || fail "could not create the roles"
say "granted $APP (as the README says): USAGE on schema profile_merge; INSERT on the application"
say "columns of events and consents; SELECT on events, profile_consent"
say "(no sequence privilege: event_id and consent_id are identity columns)"

say "what it may do:"
expect_ok "insert an event, no RETURNING" "$APP" "$DB1" \
  "INSERT INTO profile_merge.events (account_id, source, email, phone, sms_consent)
   VALUES (1, 'form', ' Ana@Example.com ', '(415) 555-0132', true)"
expect_ok "insert an event with RETURNING" "$APP" "$DB1" \
  "INSERT INTO profile_merge.events (account_id, source, email) VALUES (1, 'checkout', 'ana@example.com')
   RETURNING outcome" "matched"
expect_ok "identify()" "$APP" "$DB1" \
  "SELECT outcome FROM profile_merge.identify(1, 'sms_keyword', phone => '+1 646 555 0101')" "created"
expect_ok "insert a consent (an SMS STOP reply)" "$APP" "$DB1" \
  "INSERT INTO profile_merge.consents (account_id, channel, value, status, source, method)
   VALUES (1, 'sms', '415.555.0132', 'unsubscribed', 'sms_keyword', 'sms_reply')"
# an application streams rows with COPY ... FROM STDIN
if printf '1\timport\tcopy2@example.com\n' | psql -X -q -v ON_ERROR_STOP=1 -U "$APP" -d "$DB1" \
     -c "COPY profile_merge.events (account_id, source, email) FROM STDIN" 2>/dev/null; then
  passed "COPY events FROM STDIN"
else
  problem "COPY events FROM STDIN failed for $APP"
fi
expect_ok "read profile_consent" "$APP" "$DB1" \
  "SELECT email || ' ' || email_status || ' ' || phone || ' ' || sms_status FROM profile_merge.profile_consent
    WHERE account_id = 1 AND email = 'ana@example.com'" \
  "ana@example.com never_subscribed +14155550132 unsubscribed"
expect_eq "the triggers did the rest (profiles of account 1: email, phone)" \
  "ana@example.com|+14155550132
copy2@example.com|
|+16465550101" \
  "$(sql "$DB1" "SELECT email, phone FROM profile_merge.profiles WHERE account_id = 1 ORDER BY email NULLS LAST")"

say "what it may not do (42501 each):"
for t in sources blocked_values blocked_patterns profiles identifiers merges consents events; do
  expect_error "UPDATE $t" 42501 "$APP" "$DB1" "UPDATE profile_merge.$t SET account_id = account_id"
  expect_error "DELETE FROM $t" 42501 "$APP" "$DB1" "DELETE FROM profile_merge.$t"
  expect_error "TRUNCATE $t" 42501 "$APP" "$DB1" "TRUNCATE profile_merge.$t"
done
# A row that arrives resolved is kept as it is (restores rely on it): the
# column grants keep an application from handing one in.
expect_error "insert an event with outcome set (forged)" 42501 "$APP" "$DB1" \
  "INSERT INTO profile_merge.events (account_id, email, outcome, profile_id) VALUES (1, 'x@example.com', 'matched', 1)"
expect_error "insert an event with detail set (forged)" 42501 "$APP" "$DB1" \
  "INSERT INTO profile_merge.events (account_id, email, detail) VALUES (1, 'x@example.com', '[]')"
expect_error "insert a consent with profile_id set (forged)" 42501 "$APP" "$DB1" \
  "INSERT INTO profile_merge.consents (account_id, channel, value, status, profile_id) VALUES (1, 'sms', '+14155550132', 'subscribed', 1)"
expect_error "insert a consent with event_id set (forged)" 42501 "$APP" "$DB1" \
  "INSERT INTO profile_merge.consents (account_id, channel, value, status, event_id) VALUES (1, 'sms', '+14155550132', 'subscribed', 1)"
expect_error "INSERT INTO sources" 42501 "$APP" "$DB1" \
  "INSERT INTO profile_merge.sources VALUES ('mine', '{email}', true, '{email}', '{email}', 1)"
expect_error "INSERT INTO blocked_values" 42501 "$APP" "$DB1" \
  "INSERT INTO profile_merge.blocked_values (kind, value, account_id) VALUES ('email', 'x@example.com', 1)"
expect_error "INSERT INTO profiles" 42501 "$APP" "$DB1" \
  "INSERT INTO profile_merge.profiles (account_id, email) VALUES (1, 'forged@example.com')"
expect_error "INSERT INTO identifiers" 42501 "$APP" "$DB1" \
  "INSERT INTO profile_merge.identifiers (account_id, kind, value, profile_id) VALUES (1, 'email', 'forged@example.com', 1)"
expect_error "INSERT INTO merges" 42501 "$APP" "$DB1" \
  "INSERT INTO profile_merge.merges (account_id, survivor_id, merged_id, reason, survivor_before, merged_before)
   VALUES (1, 1, 2, 'forged', '{}', '{}')"
for t in sources blocked_values blocked_patterns profiles identifiers merges consents; do
  expect_error "SELECT FROM $t (not granted)" 42501 "$APP" "$DB1" "SELECT count(*) FROM profile_merge.$t"
done
expect_error "find_profile() reads identifiers (not granted)" 42501 "$APP" "$DB1" \
  "SELECT profile_merge.find_profile(1, email => 'ana@example.com')"
expect_error "merge_profiles()" 42501 "$APP" "$DB1" "SELECT profile_merge.merge_profiles(1, 1, 2)"
expect_error "unmerge(account_id, merge_id)" 42501 "$APP" "$DB1" "SELECT profile_merge.unmerge(1, 1)"
expect_error "unmerge(merge_id)" 42501 "$APP" "$DB1" "SELECT profile_merge.unmerge(1)"
expect_error "disable the events trigger" 42501 "$APP" "$DB1" \
  "ALTER TABLE profile_merge.events DISABLE TRIGGER events_resolve"
expect_error "drop the events trigger" 42501 "$APP" "$DB1" "DROP TRIGGER events_resolve ON profile_merge.events"
expect_error "unpin a function's search_path" 42501 "$APP" "$DB1" \
  "ALTER FUNCTION profile_merge.normalize_email(text) RESET search_path"
expect_error "create a table in schema profile_merge" 42501 "$APP" "$DB1" "CREATE TABLE profile_merge.mine (i int)"
expect_error "create a function in schema profile_merge" 42501 "$APP" "$DB1" \
  "CREATE FUNCTION profile_merge.lower(text) RETURNS text LANGUAGE sql AS 'SELECT \$1'"

# The SECURITY DEFINER trigger functions: anyone who may EXECUTE them can
# attach them to a table of their own (CREATE TRIGGER needs nothing more),
# and then writes profiles, identifiers and consents of any account with the
# extension owner's rights; with column types of its choosing it can crash
# the backend. EXECUTE must not be PUBLIC's.
for pair in "events_resolve:$EVENTS_LIKE" "consents_resolve:$CONSENTS_LIKE"; do
  fn=${pair%%:*}; cols=${pair#*:}
  expect_error "borrow $fn() for a table of its own" 42501 "$APP" "$DB1" \
    "CREATE TEMP TABLE borrowed ($cols);
     CREATE TRIGGER borrowed BEFORE INSERT ON borrowed FOR EACH ROW EXECUTE FUNCTION profile_merge.$fn()"
  expect_error "borrow $fn() as a role granted nothing" 42501 "$NOBODY" "$DB1" \
    "CREATE TEMP TABLE borrowed ($cols);
     CREATE TRIGGER borrowed BEFORE INSERT ON borrowed FOR EACH ROW EXECUTE FUNCTION profile_merge.$fn()"
done
# If it could, show what it gets: a profile and a consent in account 99,
# written for a role that may not even insert an event.
if run_as "$NOBODY" "$DB1" \
     "CREATE TEMP TABLE borrowed ($EVENTS_LIKE);
      CREATE TRIGGER borrowed BEFORE INSERT ON borrowed FOR EACH ROW EXECUTE FUNCTION profile_merge.events_resolve();
      INSERT INTO borrowed (account_id, source, email, email_consent) VALUES (99, 'api', 'planted@example.com', true)"; then
  problem "a role granted nothing wrote through a borrowed trigger: account 99 now has profiles [$(sql "$DB1" \
    "SELECT string_agg(email, ',') FROM profile_merge.profiles WHERE account_id = 99")] and consents [$(sql "$DB1" \
    "SELECT string_agg(value || ' ' || status, ',') FROM profile_merge.consents WHERE account_id = 99")]"
fi

say "a role granted nothing:"
expect_error "insert an event" 42501 "$NOBODY" "$DB1" \
  "INSERT INTO profile_merge.events (account_id, email) VALUES (1, 'nobody@example.com')"
expect_error "insert a consent" 42501 "$NOBODY" "$DB1" \
  "INSERT INTO profile_merge.consents (account_id, channel, value, status) VALUES (1, 'email', 'nobody@example.com', 'subscribed')"
expect_error "identify()" 42501 "$NOBODY" "$DB1" "SELECT * FROM profile_merge.identify(1, email => 'nobody@example.com')"
expect_error "read profile_consent" 42501 "$NOBODY" "$DB1" "SELECT * FROM profile_merge.profile_consent"

say "invariants:"
( pm_invariants "$DB1" ) || problem "invariants of part 1"

##############################################################################
step "part 2: row-level security by account (doc/row_level_security.sql)"
pm_new_db rls; DB2=$PM_DB
for round in 1 2; do   # the recipe is idempotent
  psql -X -q -v ON_ERROR_STOP=1 -d "$DB2" -f "$PM_ROOT/doc/row_level_security.sql" >/dev/null \
    || { problem "doc/row_level_security.sql failed (round $round)"; break; }
done
passed "doc/row_level_security.sql applied twice"

sql "$DB2" "CREATE ROLE \"$T5\" LOGIN; CREATE ROLE \"$T6\" LOGIN; CREATE ROLE \"$TX\" LOGIN;
            INSERT INTO profile_merge_rls.role_accounts VALUES ('$T5', 5), ('$T6', 6);
            GRANT USAGE ON SCHEMA profile_merge, profile_merge_rls TO \"$T5\", \"$T6\", \"$TX\";
            GRANT INSERT ON profile_merge.events, profile_merge.consents TO \"$T5\", \"$T6\", \"$TX\";
            GRANT SELECT ON profile_merge.events, profile_merge.consents, profile_merge.profiles,
                            profile_merge.identifiers, profile_merge.merges, profile_merge.profile_consent
               TO \"$T5\", \"$T6\", \"$TX\";" >/dev/null || fail "could not create the roles of part 2"
say "$T5 is bound to account 5, $T6 to account 6, $TX to none; each granted as the recipe says"

# Accounts 5, 6 and 7, written by the superuser: in each, a phone-only and an
# email-only profile merged by a form that connects them.
for a in 5 6 7; do
  sql "$DB2" "INSERT INTO profile_merge.events (account_id, source, phone, sms_consent)
                VALUES ($a, 'sms_keyword', '+1 415 555 01${a}0', true);
              INSERT INTO profile_merge.events (account_id, source, email, email_consent)
                VALUES ($a, 'form', 'person$a@example.com', true);
              INSERT INTO profile_merge.events (account_id, source, email, phone)
                VALUES ($a, 'form', 'person$a@example.com', '+1 415 555 01${a}0');" >/dev/null \
    || fail "could not seed account $a"
done
P6=$(sql "$DB2" "SELECT profile_merge.find_profile(6, email => 'person6@example.com')")
STATE6_SQL="SELECT (SELECT count(*) FROM profile_merge.events WHERE account_id = 6) || ' events, '
                || (SELECT count(*) FROM profile_merge.profiles WHERE account_id = 6) || ' profiles, '
                || (SELECT count(*) FROM profile_merge.identifiers WHERE account_id = 6) || ' identifiers, '
                || (SELECT count(*) FROM profile_merge.consents WHERE account_id = 6) || ' consents, '
                || (SELECT count(*) FROM profile_merge.merges WHERE account_id = 6) || ' merges, updated '
                || (SELECT updated_at FROM profile_merge.profiles WHERE account_id = 6 AND profile_id = $P6)"
STATE6=$(sql "$DB2" "$STATE6_SQL")
# (events and consents draw their own ids before any trigger runs; these
# three are drawn only by the extension's triggers)
SEQS_SQL="SELECT (SELECT last_value FROM profile_merge.profiles_profile_id_seq) || ' '
              || (SELECT last_value FROM profile_merge.identifiers_identifier_id_seq) || ' '
              || (SELECT last_value FROM profile_merge.merges_merge_id_seq)"
say "account 6 before: $STATE6"

say "$T5 reads only account 5:"
for t in events consents profiles identifiers merges profile_consent; do
  run_as "$T5" "$DB2" "SELECT count(*) FILTER (WHERE account_id <> 5) || ' of ' || count(*) FROM profile_merge.$t" \
    || { problem "$T5 cannot read $t: $(printf '%s' "$ERR" | grep -m1 ERROR)"; continue; }
  if [[ "$OUT" == "0 of 0" ]]; then problem "$t: $T5 sees no rows at all"
  elif [[ "$OUT" == "0 of "* ]]; then passed "$t: rows of other accounts seen: $OUT"
  else problem "$t: $T5 sees rows of other accounts: $OUT"; fi
done
expect_ok "its own binding only" "$T5" "$DB2" \
  "SELECT string_agg(role_name || '=' || account_id, ',') FROM profile_merge_rls.role_accounts" "$T5=5"
expect_ok "profile_consent shows its account's consent" "$T5" "$DB2" \
  "SELECT email || ' ' || email_status || ' ' || phone || ' ' || sms_status FROM profile_merge.profile_consent" \
  "person5@example.com subscribed +14155550150 subscribed"

say "$T5 writes to account 5:"
expect_ok "insert an event with sms_consent (the trigger's own consent row passes the guard)" "$T5" "$DB2" \
  "INSERT INTO profile_merge.events (account_id, source, phone, sms_consent)
   VALUES (5, 'sms_keyword', '+1 415 555 0155', true) RETURNING account_id || ' ' || outcome" "5 created"
expect_ok "identify()" "$T5" "$DB2" \
  "SELECT outcome FROM profile_merge.identify(5, 'form', email => 'new5@example.com')" "created"
expect_ok "insert a consent" "$T5" "$DB2" \
  "INSERT INTO profile_merge.consents (account_id, channel, value, status, source, method)
   VALUES (5, 'sms', '+1 415 555 0155', 'unsubscribed', 'sms_keyword', 'sms_reply')
   RETURNING value || ' ' || status" "+14155550155 unsubscribed"
expect_ok "a profile_hint naming account 6's profile stays in account 5 and says 'ignored'" "$T5" "$DB2" \
  "INSERT INTO profile_merge.events (account_id, source, profile_hint, email)
   VALUES (5, 'api', $P6, 'hinted5@example.com')
   RETURNING account_id || ' ' || (profile_id <> $P6) || ' ' || outcome || ' '
          || (SELECT string_agg(e->>'action' || ':' || (e->>'kind'), ',') FROM jsonb_array_elements(detail) e)" \
  "5 true created ignored:profile,attached:email"
expect_ok "the same hint with account 6's own email: still account 5, a new profile there" "$T5" "$DB2" \
  "INSERT INTO profile_merge.events (account_id, source, profile_hint, email)
   VALUES (5, 'api', $P6, 'person6@example.com')
   RETURNING account_id || ' ' || (profile_id <> $P6) || ' ' || outcome || ' '
          || (SELECT string_agg(e->>'action' || ':' || (e->>'kind'), ',') FROM jsonb_array_elements(detail) e)" \
  "5 true created ignored:profile,attached:email"

SEQS=$(sql "$DB2" "$SEQS_SQL")
say "$T5 cannot write to account 6, and the extension's triggers never run for such a row:"
expect_error "insert an event for account 6" 42501 "$T5" "$DB2" \
  "INSERT INTO profile_merge.events (account_id, source, email, phone, sms_consent)
   VALUES (6, 'form', 'intruder@example.com', '+1 415 555 0169', true)"
expect_error "insert an event for account 6 naming its profile" 42501 "$T5" "$DB2" \
  "INSERT INTO profile_merge.events (account_id, source, profile_hint, email, properties)
   VALUES (6, 'api', $P6, 'person6@example.com', '{\"owned\": true}')"
expect_error "identify() in account 6" 42501 "$T5" "$DB2" \
  "SELECT * FROM profile_merge.identify(6, 'form', email => 'person6@example.com', email_consent => false)"
expect_error "unsubscribe account 6's number" 42501 "$T5" "$DB2" \
  "INSERT INTO profile_merge.consents (account_id, channel, value, status, source, method)
   VALUES (6, 'sms', '+1 415 555 0160', 'unsubscribed', 'sms_keyword', 'sms_reply')"
expect_eq "no profile, identifier or merge id was drawn for them" "$SEQS" "$(sql "$DB2" "$SEQS_SQL")"
expect_eq "account 6 is exactly as it was" "$STATE6" "$(sql "$DB2" "$STATE6_SQL")"

say "$T5 loading in bulk:"
# (a row of account 5 first: its own resolution runs, then the guard stops
# the whole statement at the row of account 6)
expect_error "a multi-row insert with one row of account 6" 42501 "$T5" "$DB2" \
  "INSERT INTO profile_merge.events (account_id, email) VALUES (5, 'multi5@example.com'), (6, 'multi6@example.com')"
expect_eq "nothing of it was kept" "0" \
  "$(sql "$DB2" "SELECT count(*) FROM profile_merge.events WHERE email IN ('multi5@example.com', 'multi6@example.com')")"
# PostgreSQL refuses COPY FROM into a table with row-level security to the
# roles it applies to (0A000), whatever the rows: a bound role loads with
# INSERT ... SELECT or multi-row INSERT instead
if printf '5\tform\tcopy5@example.com\n' \
     | psql -X -q -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -U "$T5" -d "$DB2" \
         -c "COPY profile_merge.events (account_id, source, email) FROM STDIN" 2>/tmp/pm_priv_copy_$$; then
  problem "COPY FROM STDIN succeeded for $T5 under row-level security (PostgreSQL 15 refuses it: 0A000)"
elif grep -q '^ERROR:  0A000:' /tmp/pm_priv_copy_$$; then
  passed "COPY FROM STDIN -> $(grep -m1 '^ERROR' /tmp/pm_priv_copy_$$)"
else
  problem "COPY FROM STDIN: expected 0A000, got: $(grep -m1 ERROR /tmp/pm_priv_copy_$$)"
fi
rm -f /tmp/pm_priv_copy_$$
expect_ok "INSERT ... SELECT of 100 events" "$T5" "$DB2" \
  "WITH loaded AS (
     INSERT INTO profile_merge.events (account_id, source, email)
     SELECT 5, 'import', 'bulk' || g || '@example.com' FROM generate_series(1, 100) g
     RETURNING outcome)
   SELECT outcome || ' ' || count(*) FROM loaded GROUP BY outcome" "created 100"
expect_eq "account 6 is still as it was" "$STATE6" "$(sql "$DB2" "$STATE6_SQL")"

say "$T5 cannot look into account 6 through the functions:"
expect_ok "find_profile(6, person6's email) finds nothing" "$T5" "$DB2" \
  "SELECT coalesce(profile_merge.find_profile(6, email => 'person6@example.com')::text, 'nothing')" "nothing"
expect_error "resolve_profile(6, its profile)" 22023 "$T5" "$DB2" "SELECT profile_merge.resolve_profile(6, $P6)"
expect_error "explain_profile(6, its profile)" 22023 "$T5" "$DB2" "SELECT * FROM profile_merge.explain_profile(6, $P6)"
expect_error "profile_graph(6, its profile)" 22023 "$T5" "$DB2" "SELECT profile_merge.profile_graph(6, $P6)"

say "$T5 cannot change what it is bound to, nor switch the policies off:"
expect_error "bind itself to account 6" 42501 "$T5" "$DB2" \
  "INSERT INTO profile_merge_rls.role_accounts VALUES ('$T5', 6)"
expect_error "rebind itself" 42501 "$T5" "$DB2" "UPDATE profile_merge_rls.role_accounts SET account_id = 6"
expect_error "drop its binding" 42501 "$T5" "$DB2" "DELETE FROM profile_merge_rls.role_accounts"
expect_error "become $T6" 42501 "$T5" "$DB2" "SET ROLE \"$T6\""
expect_ok "settings change nothing" "$T5" "$DB2" \
  "SET app.account_id = 6; SET profile_merge_rls.account_id = 6;
   SELECT count(*) FILTER (WHERE account_id <> 5) FROM profile_merge.events" "0"
expect_error "switch row-level security off" 42501 "$T5" "$DB2" \
  "ALTER TABLE profile_merge.events DISABLE ROW LEVEL SECURITY"
expect_error "drop a policy" 42501 "$T5" "$DB2" "DROP POLICY account_read ON profile_merge.events"
expect_error "drop the guard trigger" 42501 "$T5" "$DB2" "DROP TRIGGER aa_account_guard ON profile_merge.events"
expect_error "make profile_consent run as its owner again" 42501 "$T5" "$DB2" \
  "ALTER VIEW profile_merge.profile_consent SET (security_invoker = false)"
expect_error "replace current_account_id()" 42501 "$T5" "$DB2" \
  "CREATE OR REPLACE FUNCTION profile_merge_rls.current_account_id() RETURNS bigint LANGUAGE sql AS 'SELECT 6::bigint'"
expect_error "borrow events_resolve() for a table of its own" 42501 "$T5" "$DB2" \
  "CREATE TEMP TABLE borrowed ($EVENTS_LIKE);
   CREATE TRIGGER borrowed BEFORE INSERT ON borrowed FOR EACH ROW EXECUTE FUNCTION profile_merge.events_resolve()"
expect_eq "account 6 is still exactly as it was" "$STATE6" "$(sql "$DB2" "$STATE6_SQL")"

say "$T6 sees account 6 only, and none of what $T5 wrote:"
expect_ok "events" "$T6" "$DB2" \
  "SELECT count(*) FILTER (WHERE account_id <> 6) || ' ' || count(*) FILTER (WHERE email LIKE '%5@example.com')
     || ' ' || count(*) FROM profile_merge.events" "0 0 3"
expect_ok "its profile" "$T6" "$DB2" \
  "SELECT email || ' ' || phone FROM profile_merge.profiles WHERE merged_into IS NULL" \
  "person6@example.com +14155550160"

say "a role bound to no account sees nothing and writes nothing:"
for t in events profiles profile_consent; do
  expect_ok "$t" "$TX" "$DB2" "SELECT count(*) FROM profile_merge.$t" "0"
done
expect_error "insert an event" 42501 "$TX" "$DB2" \
  "INSERT INTO profile_merge.events (account_id, email) VALUES (5, 'unbound@example.com')"
expect_error "insert a consent" 42501 "$TX" "$DB2" \
  "INSERT INTO profile_merge.consents (account_id, channel, value, status) VALUES (0, 'email', 'unbound@example.com', 'subscribed')"

say "the superuser still sees every account:"
expect_eq "accounts with events" "5 6 7" \
  "$(sql "$DB2" "SELECT string_agg(DISTINCT account_id::text, ' ') FROM profile_merge.events")"
expect_eq "account 5's events (3 seeded, 104 by $T5)" "107" \
  "$(sql "$DB2" "SELECT count(*) FROM profile_merge.events WHERE account_id = 5")"

say "invariants:"
( pm_invariants "$DB2" ) || problem "invariants of part 2"

##############################################################################
echo
if [ "${#PROBLEMS[@]}" -gt 0 ]; then
  printf 'FAIL [%s]: %d check(s) failed:\n' "$PM_TEST_NAME" "${#PROBLEMS[@]}" >&2
  printf '  - %s\n' "${PROBLEMS[@]}" >&2
  exit 1
fi
PM_PASSED=1
say "privileges: all checks passed"
