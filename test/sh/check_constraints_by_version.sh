#!/usr/bin/env bash
# check_constraints_by_version: the CHECK constraints the direct writes
# prepare once per backend (src/pg/rows/write_target.cpp) follow what the
# server version's own INSERT does (pg_version_compat.hpp, README
# "PostgreSQL versions").
#
# Every version: an admin's CHECK on profiles refuses an event's new profile
# with 23514, in the same session that has just written profiles under
# another set of constraints (so the per-backend cache is rebuilt); a STORED
# generated column an admin adds is computed, and a CHECK on it holds.
# PostgreSQL 18 and later, in the same session:
#   * a NOT ENFORCED CHECK that every row violates does not refuse anything;
#   * the same CHECK text, enforced (NOT VALID: the rows there violate it),
#     refuses (the cache tells the two apart by more than the text);
#   * a CHECK on a virtual generated column is evaluated on its expression.
# Sessions are psql scripts, so one backend keeps its cache throughout.
source "$(dirname "$0")/lib/common.sh"
trap pm_finish EXIT

version=$("${PSQL[@]}" -d postgres -c "SELECT current_setting('server_version_num')::int")
pm_new_db checks
say "server_version_num $version, database $PM_DB"

# run <script>: one session; prints each SELECT's row and each error's SQLSTATE.
run() {
  psql -X -q -At -v VERBOSITY=sqlstate -d "$PM_DB" 2>&1 <<<"$1" || true   # a lost connection shows in the output
}

step "an enforced CHECK refuses a new profile (every version)"
out=$(run "
INSERT INTO profile_merge.events (account_id, source, email) VALUES (1, 'form', 'warm@example.com');
ALTER TABLE profile_merge.profiles ADD CONSTRAINT test_small CHECK (length(properties::text) < 40);
INSERT INTO profile_merge.events (account_id, source, email, properties)
  VALUES (1, 'form', 'big@example.com', '{\"note\": \"a note far longer than forty characters\"}');
WITH i AS (INSERT INTO profile_merge.events (account_id, source, email, properties)
  VALUES (1, 'form', 'small@example.com', '{\"a\": 1}') RETURNING outcome)
  SELECT 'small: ' || outcome FROM i;
ALTER TABLE profile_merge.profiles DROP CONSTRAINT test_small;
")
printf '%s\n' "$out"
[ "$out" = $'ERROR:  23514\nsmall: created' ] || fail "expected 23514 for the big profile, then created; got the above"

step "a STORED generated column and a CHECK on it (every version)"
# The direct writes once evaluated a generated column's expression as if it
# were a default, without the row: the backend crashed (signal 11).
out=$(run "
ALTER TABLE profile_merge.profiles ADD COLUMN test_stored bigint GENERATED ALWAYS AS (account_id * 10) STORED;
ALTER TABLE profile_merge.profiles ADD CONSTRAINT test_stored_not_ninety CHECK (test_stored <> 90);
INSERT INTO profile_merge.events (account_id, source, email) VALUES (9, 'form', 'nine@example.com');
WITH i AS (INSERT INTO profile_merge.events (account_id, source, email)
  VALUES (8, 'form', 'eight@example.com') RETURNING outcome)
  SELECT 'eight: ' || outcome FROM i;
INSERT INTO profile_merge.events (account_id, source, email, properties)
  VALUES (8, 'form', 'eight@example.com', '{\"plan\": \"pro\"}');
SELECT 'stored: ' || string_agg(DISTINCT test_stored::text, ',' ORDER BY test_stored::text) FROM profile_merge.profiles;
ALTER TABLE profile_merge.profiles DROP COLUMN test_stored;
")
printf '%s\n' "$out"
[ "$out" = $'ERROR:  23514\neight: created\nstored: 10,80' ] \
  || fail "expected 23514 in account 9, then created in account 8 (and updated), test_stored 10,80; got the above"

if [ "$version" -lt 180000 ]; then
  PM_PASSED=1
  say "NOT ENFORCED and virtual generated columns are PostgreSQL 18 features: not checked on $version"
  printf '\nPASS [%s]: enforced CHECK on %s\n' "$PM_TEST_NAME" "$version"
  exit 0
fi

step "NOT ENFORCED refuses nothing; the same CHECK enforced refuses (18+)"
out=$(run "
INSERT INTO profile_merge.events (account_id, source, email) VALUES (2, 'form', 'warm@example.com');
ALTER TABLE profile_merge.profiles ADD CONSTRAINT test_never CHECK (profile_id < 0) NOT ENFORCED;
WITH i AS (INSERT INTO profile_merge.events (account_id, source, email)
  VALUES (2, 'form', 'one@example.com') RETURNING outcome)
  SELECT 'not enforced: ' || outcome FROM i;
ALTER TABLE profile_merge.profiles DROP CONSTRAINT test_never;
ALTER TABLE profile_merge.profiles ADD CONSTRAINT test_never CHECK (profile_id < 0) NOT VALID;
INSERT INTO profile_merge.events (account_id, source, email) VALUES (2, 'form', 'two@example.com');
ALTER TABLE profile_merge.profiles DROP CONSTRAINT test_never;
")
printf '%s\n' "$out"
[ "$out" = $'not enforced: created\nERROR:  23514' ] || fail "expected created under NOT ENFORCED, then 23514; got the above"

step "a CHECK on a virtual generated column (18+)"
out=$(run "
INSERT INTO profile_merge.events (account_id, source, email) VALUES (3, 'form', 'warm@example.com');
ALTER TABLE profile_merge.profiles ADD COLUMN test_tens bigint GENERATED ALWAYS AS (account_id * 10) VIRTUAL;
ALTER TABLE profile_merge.profiles ADD CONSTRAINT test_not_forty CHECK (test_tens <> 40);
INSERT INTO profile_merge.events (account_id, source, email) VALUES (4, 'form', 'four@example.com');
WITH i AS (INSERT INTO profile_merge.events (account_id, source, email)
  VALUES (3, 'form', 'three@example.com') RETURNING outcome)
  SELECT 'three: ' || outcome FROM i;
SELECT 'generated: ' || string_agg(DISTINCT test_tens::text, ',') FROM profile_merge.profiles;
")
printf '%s\n' "$out"
[ "$out" = $'ERROR:  23514\nthree: created\ngenerated: 10,20,30,80' ] \
  || fail "expected 23514 in account 4, then created in account 3, test_tens 10,20,30,80; got the above"

pm_verdict "CHECK constraints of the direct writes as the server's INSERT: enforced, NOT ENFORCED, virtual generated ($version)"
