#!/usr/bin/env bash
# Shell test (run by scripts/run-tests.sh, which exports PGHOST/PGPORT/PGUSER
# of a throwaway cluster with the extension installed):
#   (a) CREATE EXTENSION ... VERSION '0.1.0' + ALTER EXTENSION UPDATE gives
#       exactly the objects a fresh CREATE EXTENSION gives;
#   (b) pg_dump + restore (custom format through pg_restore, plain through
#       psql) of a database with data keeps every row of profiles,
#       identifiers, events, consents, merges, sources, blocked_values,
#       blocked_patterns and identifier_kinds (edits of their default rows
#       included),
#       and the sequences continue after the restore;
#   (c) ALTER EXTENSION UPDATE from 0.2.0 of a database with data (0.3.0
#       turns columns of identifiers, consents and profiles into domains)
#       keeps every row as it was and still refuses what the CHECKs refused
#       (23514).
# Prints what differs; exits non-zero on any failure.
set -uo pipefail
: "${PGHOST:?PGHOST must point at a running cluster (see scripts/cluster.sh)}"
: "${PGPORT:?PGPORT must be set}"
export PGUSER=${PGUSER:-postgres}
unset PGDATABASE

PSQL=(psql -X -q -v ON_ERROR_STOP=1)
KEEP_WORK=${KEEP_WORK:-}
work=$(mktemp -d /tmp/pm_upgrade_dump.XXXXXX)
dbs=(pm_t_upgraded pm_t_fresh pm_t_data pm_t_restored_custom pm_t_restored_plain pm_t_updated_data)
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok:   $*"; }
cleanup() {
  for db in "${dbs[@]}"; do dropdb --if-exists "$db" >/dev/null 2>&1; done
  [ -n "$KEEP_WORK" ] && echo "work files kept in $work" || rm -rf "$work"
}
trap cleanup EXIT
for db in "${dbs[@]}"; do dropdb --if-exists "$db" >/dev/null 2>&1; done

# Runs SQL (stdin) in a database; unaligned, tuples only.
sql() { "${PSQL[@]}" -At -d "$1"; }

# Compares two files; prints the differences when they are not equal.
same() { # label file1 file2
  if diff -q "$2" "$3" >/dev/null; then
    pass "$1"
  else
    fail "$1"
    diff -u "$2" "$3" | head -80
  fi
}

###############################################################################
# (a) upgrade path == fresh install
###############################################################################
echo "== (a) CREATE EXTENSION VERSION '0.1.0' + ALTER EXTENSION UPDATE vs CREATE EXTENSION"

createdb pm_t_upgraded && createdb pm_t_fresh || { echo "createdb failed"; exit 1; }
sql pm_t_upgraded <<'SQL' || fail "install 0.1.0 and update"
CREATE EXTENSION profile_merge VERSION '0.1.0';
ALTER EXTENSION profile_merge UPDATE;
SQL
sql pm_t_fresh <<'SQL' || fail "fresh install"
CREATE EXTENSION profile_merge;
SQL
for db in pm_t_upgraded pm_t_fresh; do
  echo "$db: version $(sql $db <<<"SELECT extversion FROM pg_extension WHERE extname = 'profile_merge'")"
done
default_version=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$(dirname "$0")/../../profile_merge.control")
[ "$(sql pm_t_upgraded <<<"SELECT extversion FROM pg_extension WHERE extname = 'profile_merge'")" = "$default_version" ] \
  && pass "ALTER EXTENSION UPDATE reaches the default version $default_version" \
  || fail "ALTER EXTENSION UPDATE does not reach the default version $default_version"

# Every object of the extension, by name, with its definition.
catalog_sql=$(cat <<'SQL'
\pset recordsep '\n'
\pset fieldsep ' | '
-- the extension, and which tables and sequences pg_dump dumps
SELECT 'extension', extname, extversion, extrelocatable, extnamespace::regnamespace FROM pg_extension
 WHERE extname = 'profile_merge';
SELECT 'config_dump', c::regclass, cond
  FROM pg_extension, unnest(extconfig, extcondition) AS u(c, cond)
 WHERE extname = 'profile_merge' ORDER BY c::regclass::text;
-- membership (pg_depend deptype 'e')
SELECT 'member', pg_describe_object(d.classid, d.objid, d.objsubid)
  FROM pg_depend d JOIN pg_extension e ON d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid
 WHERE e.extname = 'profile_merge' AND d.deptype = 'e' ORDER BY 2;
-- the schema
SELECT 'schema', nspname, nspowner::regrole, nspacl FROM pg_namespace WHERE nspname = 'profile_merge';
-- functions, with their full definition (volatility, strictness, security,
-- parallel safety, SET search_path, body) and privileges
SELECT 'function', p.oid::regprocedure, p.prokind, p.proowner::regrole, p.proacl, pg_get_functiondef(p.oid)
  FROM pg_proc p WHERE p.pronamespace = 'profile_merge'::regnamespace AND p.prokind <> 'a'
 ORDER BY p.oid::regprocedure::text;
-- tables, views, sequences, indexes, types' relations
SELECT 'relation', c.relname, c.relkind, c.relpersistence, c.relowner::regrole, c.relacl, c.reloptions,
       c.relrowsecurity, c.relforcerowsecurity, c.relreplident
  FROM pg_class c WHERE c.relnamespace = 'profile_merge'::regnamespace ORDER BY 2;
SELECT 'column', c.relname, row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum), a.attname,
       format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity, a.attgenerated,
       pg_get_expr(ad.adbin, ad.adrelid), a.attcollation::regcollation, a.attacl
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
  LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
 WHERE c.relnamespace = 'profile_merge'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY 2, 3;
SELECT 'constraint', coalesce(conrelid::regclass::text, contypid::regtype::text), conname, contype,
       pg_get_constraintdef(oid), condeferrable, condeferred, convalidated
  FROM pg_constraint WHERE connamespace = 'profile_merge'::regnamespace ORDER BY 2, 3;
SELECT 'index', i.indrelid::regclass, c.relname, pg_get_indexdef(i.indexrelid), i.indisprimary, i.indisunique
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
 WHERE c.relnamespace = 'profile_merge'::regnamespace ORDER BY i.indrelid::regclass::text, c.relname;
SELECT 'trigger', t.tgrelid::regclass, t.tgname, t.tgenabled, pg_get_triggerdef(t.oid)
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE c.relnamespace = 'profile_merge'::regnamespace AND NOT t.tgisinternal ORDER BY t.tgrelid::regclass::text, t.tgname;
SELECT 'view', c.relname, pg_get_viewdef(c.oid)
  FROM pg_class c WHERE c.relnamespace = 'profile_merge'::regnamespace AND c.relkind IN ('v', 'm') ORDER BY 2;
SELECT 'sequence', s.seqrelid::regclass, s.seqtypid::regtype, s.seqstart, s.seqincrement, s.seqmin, s.seqmax,
       s.seqcache, s.seqcycle,
       (SELECT d.refobjid::regclass || '.' || a.attname || ' ' || d.deptype::text
          FROM pg_depend d JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
         WHERE d.classid = 'pg_class'::regclass AND d.objid = s.seqrelid AND d.refclassid = 'pg_class'::regclass)
  FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid
 WHERE c.relnamespace = 'profile_merge'::regnamespace ORDER BY s.seqrelid::regclass::text;
SELECT 'type', t.typname, t.typtype, t.typowner::regrole, t.typacl, t.typrelid <> 0 AS has_relation
  FROM pg_type t WHERE t.typnamespace = 'profile_merge'::regnamespace ORDER BY 2;
SELECT 'policy', polrelid::regclass, polname, polcmd, polpermissive, polroles::regrole[],
       pg_get_expr(polqual, polrelid), pg_get_expr(polwithcheck, polrelid)
  FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
 WHERE c.relnamespace = 'profile_merge'::regnamespace ORDER BY p.polrelid::regclass::text, p.polname;
-- privileges recorded at CREATE EXTENSION time (what pg_dump compares to)
SELECT 'init_privs', pg_describe_object(ip.classoid, ip.objoid, ip.objsubid), ip.privtype, ip.initprivs
  FROM pg_init_privs ip
 WHERE (ip.classoid, ip.objoid) IN (
        SELECT d.classid, d.objid FROM pg_depend d JOIN pg_extension e
            ON d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid
         WHERE e.extname = 'profile_merge' AND d.deptype = 'e')
 ORDER BY 2, 3;
SELECT 'comment', pg_describe_object(classoid, objoid, objsubid), description
  FROM pg_description
 WHERE (classoid, objoid) IN (
        SELECT d.classid, d.objid FROM pg_depend d JOIN pg_extension e
            ON d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid
         WHERE e.extname = 'profile_merge' AND d.deptype = 'e'
        UNION ALL SELECT 'pg_extension'::regclass, oid FROM pg_extension WHERE extname = 'profile_merge')
 ORDER BY 2;
-- the default configuration rows
SELECT 'sources', s.* FROM profile_merge.sources s ORDER BY account_id, source;
SELECT 'blocked_values', b.* FROM profile_merge.blocked_values b ORDER BY account_id, kind, value;
SELECT 'blocked_patterns', b.* FROM profile_merge.blocked_patterns b ORDER BY account_id, kind, pattern;
SELECT 'identifier_kinds', k.* FROM profile_merge.identifier_kinds k ORDER BY account_id, kind;
SQL
)
for db in pm_t_upgraded pm_t_fresh; do
  sql "$db" <<<"$catalog_sql" >"$work/catalog_$db.txt" 2>&1 || fail "catalog query in $db"
done
echo "catalog: $(wc -l <"$work/catalog_pm_t_fresh.txt") lines, $(grep -c '^member' "$work/catalog_pm_t_fresh.txt") member objects"
same "catalog of the upgraded install equals that of a fresh install" \
  "$work/catalog_pm_t_upgraded.txt" "$work/catalog_pm_t_fresh.txt"

# The same through pg_dump: --binary-upgrade dumps every member object of an
# extension (a plain --schema-only dump shows only CREATE EXTENSION). OIDs,
# relfilenodes and the \restrict key differ by construction: left out.
for db in pm_t_upgraded pm_t_fresh; do
  pg_dump --schema-only --binary-upgrade -d "$db" 2>"$work/dump_$db.err" \
    | grep -v -E '^\\(un)?restrict |binary_upgrade_set_next_|binary_upgrade_create_empty_extension|^SET relfrozenxid = |^WHERE oid = .[0-9]+.;$' \
    | sort >"$work/schema_$db.sql" || fail "pg_dump --binary-upgrade of $db"
  grep -v -E 'circular foreign-key|detail: profiles|hint: ' "$work/dump_$db.err" || true
done
same "pg_dump --schema-only --binary-upgrade (sorted) of the upgraded install equals that of a fresh install" \
  "$work/schema_pm_t_upgraded.sql" "$work/schema_pm_t_fresh.sql"
# binary_upgrade_create_empty_extension lists the config tables by OID: the
# catalog comparison above checks them by name (config_dump lines).

###############################################################################
# (b) dump and restore with data
###############################################################################
echo
echo "== (b) pg_dump and restore of a database with data"
createdb pm_t_data || { echo "createdb failed"; exit 1; }
sql pm_t_data >"$work/data_setup.txt" 2>&1 <<'SQL' || { fail "setting up the data"; cat "$work/data_setup.txt"; }
CREATE EXTENSION profile_merge;
SET search_path = profile_merge, public;
-- configuration an admin changed: an account's own source, an edited
-- default, blocked values (for every account and for one)
INSERT INTO sources VALUES ('pos', '{external_id,phone}', false, '{}', '{external_id,phone}', 9);
UPDATE sources SET may_override = '{phone,email}' WHERE source = 'checkout' AND account_id = 0;
INSERT INTO blocked_values (kind, value) VALUES ('email', 'Nobody@Example.org');
INSERT INTO blocked_values (kind, value, account_id) VALUES ('phone', '+1 415 555 0100', 9);
-- blocked patterns: one of an account, one for all, the default edited
INSERT INTO blocked_patterns (account_id, kind, pattern, reason) VALUES (9, 'email', '^guest', 'guests');
INSERT INTO blocked_patterns (kind, pattern) VALUES ('external_id', '^tmp-');
UPDATE blocked_patterns SET reason = 'a nil UUID' WHERE account_id = 0 AND pattern = '^[0-]+$';
-- kinds: a default edited, an account's own limit, a custom kind its
-- source identifies by, an event that gives a profile several values
UPDATE identifier_kinds SET max_per_profile = 2 WHERE account_id = 0 AND kind = 'external_id';
INSERT INTO identifier_kinds VALUES (9, 'email', 'email', 3), (9, 'anonymous_id', 'text', 2);
INSERT INTO sources VALUES ('web', '{anonymous_id,email}', true, '{}', '{anonymous_id,email}', 9);
INSERT INTO events (account_id, source, email, identifiers)
VALUES (9, 'web', 'kay@example.com', '{"anonymous_id": ["a-1", "a-2"], "email": "kay@work.example"}');
-- events: created, matched, updated, merged, conflict, override, rejected
SELECT * FROM identify(1, 'form', email => 'Ann@Example.com', email_consent => true,
                       properties => '{"plan": "free"}');                                  -- created
SELECT * FROM identify(1, 'sms_keyword', phone => '(415) 555-0132', sms_consent => true);   -- created
SELECT * FROM identify(1, 'form', email => 'ann@example.com', phone => '415 555 0132');     -- merged
SELECT * FROM identify(1, 'form', email => 'ann@example.com');                              -- matched
SELECT * FROM identify(1, 'checkout', email => 'ann@example.com', phone => '415 555 0133'); -- override
SELECT * FROM identify(1, 'click_to_text', phone => '415 555 0134');                        -- created
SELECT * FROM identify(1, 'checkout', email => 'ann@example.com', phone => '415 555 0134',
                       sms_consent => true);                                                -- conflict
SELECT * FROM identify(1, 'checkout', email => 'ann@example.com', external_id => 'A-1');    -- updated
SELECT * FROM identify(1, email => 'nobody@example.org', phone => 'not a number');          -- rejected
SELECT * FROM identify(1, email => 'bo@example.com', phone => '+44 20 7946 0018',
                       properties => '{"city": "London"}');                                 -- created
-- manual merges: one kept, one undone, one forced
SELECT * FROM identify(1, external_id => 'C-1');
SELECT * FROM identify(1, external_id => 'D-1');
SELECT merge_profiles(1, find_profile(1, external_id => 'C-1'), find_profile(1, email => 'bo@example.com'));
SELECT merge_profiles(1, find_profile(1, phone => '415 555 0134'), find_profile(1, external_id => 'D-1'),
                      reason => 'support');
SELECT unmerge(1, max(merge_id)) FROM merges WHERE account_id = 1;
SELECT * FROM identify(1, email => 'eve@example.com', phone => '415 555 0135');
SELECT merge_profiles(1, find_profile(1, email => 'eve@example.com'), find_profile(1, phone => '415 555 0134'),
                      force => true);
-- consents written directly (an SMS STOP, a double opt-in)
INSERT INTO consents (account_id, channel, value, status, source, method)
VALUES (1, 'sms', '415-555-0133', 'unsubscribed', 'sms_keyword', 'STOP reply'),
       (1, 'email', 'BO@example.com', 'subscribed', 'form', 'double opt-in');
-- account 9: its own source and blocked number
SELECT * FROM identify(9, 'pos', phone => '415 555 0140', external_id => 'P-1');
SELECT * FROM identify(9, 'pos', phone => '415 555 0100', external_id => 'P-2');            -- blocked
-- the edited default: checkout may now replace an email
SELECT * FROM identify(1, 'checkout', external_id => 'A-1', email => 'ann.new@example.com');
SQL
summary_sql="SELECT outcome, count(*) FROM profile_merge.events GROUP BY 1 ORDER BY 1"
echo "events by outcome: $(sql pm_t_data <<<"$summary_sql" | tr '\n' ' ')"
echo "merges: $(sql pm_t_data <<<"SELECT count(*) || ' (' || count(unmerged_at) || ' undone)' FROM profile_merge.merges")"

pg_dump -Fc -f "$work/data.dump" -d pm_t_data 2>"$work/dump_fc.err" || { fail "pg_dump -Fc"; cat "$work/dump_fc.err"; }
pg_dump -f "$work/data.sql" -d pm_t_data 2>"$work/dump_plain.err" || { fail "pg_dump (plain)"; cat "$work/dump_plain.err"; }
grep -v -E 'circular foreign-key|detail: profiles|hint: ' "$work/dump_fc.err" || true

createdb pm_t_restored_custom && createdb pm_t_restored_plain || { echo "createdb failed"; exit 1; }
# Restores go on after an error (as pg_restore and psql do by default), so
# that every table is compared below; any error fails the test.
if pg_restore -d pm_t_restored_custom "$work/data.dump" >"$work/restore_custom.txt" 2>&1; then
  pass "pg_restore of the custom dump"
else
  fail "pg_restore of the custom dump"; grep -E -A3 '^pg_restore: (error|warning)' "$work/restore_custom.txt" | head -40
fi
psql -X -q -d pm_t_restored_plain -f "$work/data.sql" >"$work/restore_plain.txt" 2>&1
if ! grep -q 'ERROR:' "$work/restore_plain.txt"; then
  pass "psql restore of the plain dump"
else
  fail "psql restore of the plain dump"; grep -A3 'ERROR:' "$work/restore_plain.txt" | head -40
fi

tables=("profiles:account_id, profile_id" "identifiers:account_id, identifier_id" "events:account_id, event_id"
        "consents:account_id, consent_id" "merges:account_id, merge_id" "sources:account_id, source"
        "blocked_values:account_id, kind, value" "blocked_patterns:account_id, kind, pattern" "identifier_kinds:account_id, kind")
for db in pm_t_data pm_t_restored_custom pm_t_restored_plain; do
  for t in "${tables[@]}"; do
    name=${t%%:*}; order=${t#*:}
    sql "$db" <<<"COPY (SELECT * FROM profile_merge.$name ORDER BY $order) TO STDOUT" \
      >"$work/$db.$name.copy" 2>&1 || echo "(COPY of $name in $db failed)" >>"$work/$db.$name.copy"
  done
done
for db in pm_t_restored_custom pm_t_restored_plain; do
  for t in "${tables[@]}"; do
    name=${t%%:*}
    same "$db: $name equals the original ($(wc -l <"$work/pm_t_data.$name.copy") rows)" \
      "$work/pm_t_data.$name.copy" "$work/$db.$name.copy"
  done
done

# The invariants hold in the restored databases (the check prints 'all hold').
invariants=$(cat "$(dirname "$0")/../sql/check_invariants.sql")
for db in pm_t_data pm_t_restored_custom pm_t_restored_plain; do
  counts=$(sql "$db" <<<"$invariants" 2>&1 | tr '\n' ' ')
  if [[ "$counts" =~ ^\ *all\ hold\ *$ ]]; then pass "$db: invariants hold"; else fail "$db: invariants: $counts"; fi
done

# After a restore the sequences continue: new rows get ids above every
# restored one, without a unique violation, and the data behaves the same.
continue_sql=$(cat <<'SQL'
SET search_path = profile_merge, public;
CREATE TEMP TABLE top AS SELECT
    (SELECT max(profile_id) FROM profiles) AS profile_id, (SELECT max(event_id) FROM events) AS event_id,
    (SELECT max(identifier_id) FROM identifiers) AS identifier_id,
    (SELECT max(consent_id) FROM consents) AS consent_id, (SELECT max(merge_id) FROM merges) AS merge_id;
CREATE TEMP TABLE new_event AS
    SELECT * FROM identify(1, 'form', email => 'new@example.com', email_consent => true);
CREATE TEMP TABLE new_merge AS
    SELECT merge_profiles(1, (SELECT profile_id FROM new_event), find_profile(1, external_id => 'D-1')) AS merge_id;
SELECT 'new event id above the restored ones', e.event_id > t.event_id FROM new_event e, top t;
SELECT 'new profile id above the restored ones', e.profile_id > t.profile_id FROM new_event e, top t;
SELECT 'new identifier id above the restored ones', (SELECT max(identifier_id) FROM identifiers) > t.identifier_id FROM top t;
SELECT 'new consent id above the restored ones', (SELECT max(consent_id) FROM consents) > t.consent_id FROM top t;
SELECT 'new merge id above the restored ones', m.merge_id > t.merge_id FROM new_merge m, top t;
-- the restored state answers as the original
SELECT 'ann', outcome, profile_id = find_profile(1, external_id => 'A-1') FROM identify(1, 'form', email => 'ann.new@example.com');
SELECT 'account 9 source', outcome FROM identify(9, 'pos', phone => '415 555 0141');
SELECT 'account 9 blocked number', outcome FROM identify(9, 'pos', phone => '415 555 0100');
SELECT 'blocked for all', outcome FROM identify(1, email => 'NOBODY@example.org');
SELECT 'checkout may override', may_override FROM sources WHERE account_id = 0 AND source = 'checkout';
SQL
)
sql pm_t_data <<<"BEGIN; $continue_sql ROLLBACK;" >"$work/continue_pm_t_data.txt" 2>&1
for db in pm_t_restored_custom pm_t_restored_plain; do
  if ! sql "$db" <<<"$continue_sql" >"$work/continue_$db.txt" 2>&1; then
    fail "$db: new rows after the restore"; cat "$work/continue_$db.txt"; continue
  fi
  if grep -q '|f$' "$work/continue_$db.txt"; then
    fail "$db: sequences do not continue"; grep '|f$' "$work/continue_$db.txt"
  else
    pass "$db: sequences continue (new ids above the restored ones, no unique violation)"
  fi
  same "$db: new events after the restore behave as in the original" \
    "$work/continue_pm_t_data.txt" "$work/continue_$db.txt"
done

###############################################################################
# (c) update from 0.2.0 with data in the tables
###############################################################################
echo
echo "== (c) ALTER EXTENSION UPDATE from 0.2.0 with data"
createdb pm_t_updated_data || { echo "createdb failed"; exit 1; }
sql pm_t_updated_data >"$work/update_setup.txt" 2>&1 <<'SQL' || { fail "0.2.0 with data"; cat "$work/update_setup.txt"; }
CREATE EXTENSION profile_merge VERSION '0.2.0';
SET search_path = profile_merge, public;
SELECT * FROM identify(1, 'form', email => 'ann@example.com', email_consent => true,
                       properties => '{"plan": "pro", "visits": 3}');
SELECT * FROM identify(1, 'sms_keyword', phone => '415 555 0132', sms_consent => true);
SELECT * FROM identify(1, 'form', email => 'ann@example.com', phone => '415 555 0132');     -- merged
SELECT * FROM identify(1, 'checkout', email => 'ann@example.com', phone => '415 555 0133'); -- override
INSERT INTO consents (account_id, channel, value, status, source, method)
VALUES (1, 'sms', '415-555-0133', 'unsubscribed', 'sms_keyword', 'STOP reply');
SQL
snapshot_sql="SELECT 'identifier', account_id, identifier_id, kind, value, profile_id, detached_at IS NULL, detach_reason
                FROM profile_merge.identifiers ORDER BY 2, 3;
              SELECT 'consent', account_id, consent_id, channel, value, status, profile_id
                FROM profile_merge.consents ORDER BY 2, 3;
              SELECT 'view', * FROM profile_merge.profile_consent ORDER BY 2, 3;
              SELECT 'profile', account_id, profile_id, email, phone, properties, merged_into
                FROM profile_merge.profiles ORDER BY 2, 3;
              SELECT 'view column', attname, format_type(atttypid, atttypmod) FROM pg_attribute
               WHERE attrelid = 'profile_merge.profile_consent'::regclass AND attnum > 0 ORDER BY attnum"
sql pm_t_updated_data <<<"$snapshot_sql" >"$work/before_update.txt"
sql pm_t_updated_data <<<"ALTER EXTENSION profile_merge UPDATE" || fail "ALTER EXTENSION UPDATE with data"
sql pm_t_updated_data <<<"$snapshot_sql" >"$work/after_update.txt"
[ "$(grep -c '^identifier|' "$work/before_update.txt")" -ge 4 ] || fail "too few identifiers to compare"
same "rows of identifiers, consents, profiles and profile_consent unchanged by the update" \
  "$work/before_update.txt" "$work/after_update.txt"
refused=$(for stmt in \
    "INSERT INTO profile_merge.identifiers (account_id, kind, value, profile_id, source)
     SELECT 1, 'Fax', '+14155550132', profile_id, 'api' FROM profile_merge.profiles LIMIT 1" \
    "INSERT INTO profile_merge.consents (account_id, channel, value, status)
     VALUES (1, 'sms', '+14155550132', 'maybe')" \
    "UPDATE profile_merge.profiles SET properties = '[1]' WHERE account_id = 1"; do
  "${PSQL[@]}" -At -d pm_t_updated_data -v VERBOSITY=sqlstate -c "$stmt" 2>&1
done)
[ "$(grep -c '23514' <<<"$refused")" -eq 3 ] \
  && pass "a kind name that breaks the pattern, an unknown status and non-object properties are refused with 23514" \
  || fail "bad kind name/unknown status or non-object properties not refused with 23514: $refused"

echo
if [ "$failures" -eq 0 ]; then echo "upgrade_and_dump: all checks passed"; else echo "upgrade_and_dump: $failures check(s) failed"; fi
[ "$failures" -eq 0 ]
