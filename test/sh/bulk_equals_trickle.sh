#!/usr/bin/env bash
# profile_merge.ingest() must leave exactly the state that feeding the same
# events one by one through the triggers leaves (issue: bulk path). Two
# databases get the same generated stream (heavy overlap, all seven sources,
# three accounts, hints, consents, properties, invalid and blocked values):
# one through INSERT ... SELECT (the row trigger, event by event), the other
# through ingest(); every table is then compared, timestamps aside.
# Run by scripts/run-tests.sh with PGHOST/PGPORT/PGUSER of a running cluster.
#
# With KINDS=1 (test/sh/bulk_equals_trickle_kinds.sh) the stream also
# carries events.identifiers (a second and third e-mail, an anonymous id)
# on 30 % of its events, and accounts 2 and 3 keep up to three e-mails and
# two anonymous ids a profile (DESIGN.md 4b): the paths must agree there too.
set -euo pipefail
EVENTS=${EVENTS:-100000}
KINDS=${KINDS:-0}
work=$(mktemp -d)
trap 'rm -rf "$work"; for db in pm_trickle pm_bulk pm_bulk_tight; do dropdb --if-exists $db >/dev/null 2>&1; done' EXIT

generate="
CREATE TABLE staged AS
SELECT g AS seq,
       1 + h[1] % 3 AS account_id,
       (ARRAY['api','form','checkout','import','sms_keyword','click_to_text','sms_subscribe_link'])[1 + h[2] % 7] AS source,
       CASE WHEN h[3] % 12 = 0 THEN 1 + h[4] % greatest(g / 2, 1) END AS profile_hint,
       CASE WHEN h[5] % 10 < 6 THEN
            CASE WHEN h[6] % 40 = 0 THEN 'test@test.com'
                 WHEN h[6] % 40 = 1 THEN 'not-an-address'
                 ELSE (ARRAY['','  ',' '])[1 + h[6] % 3] || 'User' || (h[7] % 900) || '@Example.com' END END AS email,
       CASE WHEN h[8] % 10 < 6 THEN
            CASE WHEN h[9] % 40 = 0 THEN '(234) 567-8900'
                 WHEN h[9] % 40 = 1 THEN '555-12'
                 ELSE (ARRAY['(415) ', '415.', '+1 415 '])[1 + h[9] % 3] || (200 + h[10] % 3) || '-' || (1000 + h[11] % 300) END END AS phone,
       NULL::text AS phone_region,
       CASE WHEN h[12] % 10 < 2 THEN 'C-' || (h[13] % 400) END AS external_id,
       (ARRAY[NULL, true, false])[1 + h[14] % 3] AS sms_consent,
       (ARRAY[NULL, NULL, true, false])[1 + h[15] % 4] AS email_consent,
       CASE WHEN h[16] % 4 = 0 THEN jsonb_build_object('plan', (ARRAY['free','pro','team'])[1 + h[17] % 3], 'n', h[18] % 5)
            WHEN h[16] % 4 = 1 THEN '{}'::jsonb END AS properties,
       CASE WHEN $KINDS = 1 AND h[19] % 10 < 3 THEN
            jsonb_build_object('email', jsonb_build_array('Alt' || (h[20] % 700) || '@Example.com',
                                                          'user' || (h[7] % 900) || '@example.com',
                                                          'alt' || (h[21] % 700) || '@example.com'),
                               'anonymous_id', 'anon-' || (h[22] % 1500)) END AS identifiers
  FROM generate_series(1, $EVENTS) AS g,
       LATERAL (SELECT array_agg(abs(hashint4(g * 97 + k))) AS h FROM generate_series(1, 22) AS k) AS hashes;
"
columns="account_id, source, profile_hint, email, phone, phone_region, external_id, sms_consent, email_consent, properties"
kinds_config="SELECT 1"
if [ "$KINDS" = 1 ]; then
  columns="$columns, identifiers"
  kinds_config="
INSERT INTO profile_merge.identifier_kinds (account_id, kind, normalizer, max_per_profile)
SELECT a, k, n, l FROM (VALUES (2), (3)) AS acc(a),
       (VALUES ('email', 'email', 3), ('anonymous_id', 'text', 2)) AS kinds(k, n, l);
INSERT INTO profile_merge.sources (source, identify_by, merges, may_override, accepts, account_id)
SELECT s.source, s.identify_by || '{anonymous_id}', s.merges,
       CASE WHEN s.source = 'api' THEN s.may_override || '{anonymous_id}' ELSE s.may_override END,
       s.accepts || '{anonymous_id}', acc.a
  FROM profile_merge.sources s, (VALUES (2), (3)) AS acc(a)
 WHERE s.account_id = 0 AND s.source IN ('api', 'form', 'import');"
fi

for db in pm_trickle pm_bulk pm_bulk_tight; do
  dropdb --if-exists "$db" >/dev/null 2>&1
  createdb "$db"
  psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "CREATE EXTENSION profile_merge" -c "$kinds_config" -c "$generate"
done

start=$(date +%s.%N)
psql -X -q -v ON_ERROR_STOP=1 -d pm_trickle \
  -c "INSERT INTO profile_merge.events ($columns) SELECT $columns FROM staged ORDER BY seq"
mid=$(date +%s.%N)
# pm_bulk: the default maintenance_work_mem, within which ingest() keeps
# what it knows across its batches (the slots of identifier rows merges and
# overrides detach taken by later ones); pm_bulk_tight: a budget so small
# that it forgets everything after each batch and reads it back (a NOTICE
# says so the first time, DEBUG1 the others).
ingest="SET client_min_messages = debug1; SELECT profile_merge.ingest('staged', 'seq')"
psql -X -q -v ON_ERROR_STOP=1 -d pm_bulk -c "$ingest" >/dev/null 2>"$work/bulk.log" \
  || { grep -v '^DEBUG' "$work/bulk.log"; exit 1; }
end=$(date +%s.%N)
PGOPTIONS="-c maintenance_work_mem=1MB" psql -X -q -v ON_ERROR_STOP=1 -d pm_bulk_tight -c "$ingest" \
  >/dev/null 2>"$work/bulk_tight.log" || { grep -v '^DEBUG' "$work/bulk_tight.log"; exit 1; }
awk -v n="$EVENTS" -v a="$start" -v b="$mid" -v c="$end" \
  'BEGIN { printf "%d events: triggers %.1f s (%.0f/s), ingest %.1f s (%.0f/s)\n", n, b-a, n/(b-a), c-b, n/(c-b) }'

# Every table, ordered by key, without the columns that hold now().
queries=(
  "profiles|SELECT account_id, profile_id, email, phone, external_id, properties, merged_into FROM profile_merge.profiles ORDER BY 1, 2"
  "identifiers|SELECT account_id, identifier_id, kind, value, profile_id, source, event_id, merge_id, detached_at IS NULL, detach_reason, detached_by_event FROM profile_merge.identifiers ORDER BY 1, 2"
  "events|SELECT event_id, account_id, source, profile_hint, email, phone, phone_region, external_id, sms_consent, email_consent, properties, email_normalized, phone_e164, profile_id, outcome, detail, to_jsonb(e) -> 'identifiers' FROM profile_merge.events e ORDER BY 1"
  "consents|SELECT account_id, consent_id, channel, value, status, source, method, event_id, profile_id FROM profile_merge.consents ORDER BY 1, 2"
  "merges|SELECT account_id, merge_id, survivor_id, merged_id, event_id, reason, survivor_before - 'updated_at', merged_before - 'updated_at', moved_identifiers, added_identifiers FROM profile_merge.merges ORDER BY 1, 2"
  "sequences|SELECT last_value FROM profile_merge.profiles_profile_id_seq UNION ALL SELECT last_value FROM profile_merge.identifiers_identifier_id_seq UNION ALL SELECT last_value FROM profile_merge.events_event_id_seq UNION ALL SELECT last_value FROM profile_merge.consents_consent_id_seq UNION ALL SELECT last_value FROM profile_merge.merges_merge_id_seq"
)
failed=0
expect_log() {  # <log> <what ingest must have said>
  if grep -q "$2" "$work/$1.log"; then echo "ingest said: $(grep -m1 "$2" "$work/$1.log" | sed 's/^DEBUG: *//')"
  else echo "ingest into ${1/bulk/pm_bulk} never said \"$2\""; failed=1; fi
}
expect_log bulk_tight "NOTICE:  ingest: the .* values loaded so far no longer fit into maintenance_work_mem"
expect_log bulk_tight "DEBUG:  ingest: the .* values loaded no longer fit into maintenance_work_mem again"
[ "$(grep -c 'NOTICE:  ingest: the .* no longer fit' "$work/bulk_tight.log")" = 1 ] \
  || { echo "the NOTICE about maintenance_work_mem must come once"; failed=1; }
# the default budget holds the whole stream: the store is carried over
! grep -q "no longer fit" "$work/bulk.log" \
  || { echo "ingest into pm_bulk outgrew the default maintenance_work_mem"; failed=1; }
for q in "${queries[@]}"; do
  name=${q%%|*}; sql=${q#*|}
  psql -X -q -A -t -d pm_trickle -c "$sql" >"$work/$name.trickle"
  rows=$(wc -l <"$work/$name.trickle")
  for db in pm_bulk pm_bulk_tight; do
    psql -X -q -A -t -d $db -c "$sql" >"$work/$name.$db"
    if cmp -s "$work/$name.trickle" "$work/$name.$db"; then
      echo "same    $name ($rows rows) in $db"
    else
      echo "DIFFER  $name in $db ($rows rows through the triggers, $(wc -l <"$work/$name.$db") through ingest)"
      diff "$work/$name.trickle" "$work/$name.$db" | head -20
      failed=1
    fi
  done
done
echo "outcomes through the triggers:"
psql -X -q -A -t -F ' ' -d pm_trickle -c "SELECT outcome, count(*) FROM profile_merge.events GROUP BY 1 ORDER BY 1"
[ "$(psql -X -q -A -t -d pm_trickle -c "SELECT count(DISTINCT outcome) FROM profile_merge.events")" -eq 6 ] \
  || { echo "the stream must produce all six outcomes"; failed=1; }
if [ "$KINDS" = 1 ]; then
  # the stream must reach what it is there for: profiles holding several
  # e-mails, anonymous ids attached, values overridden at a limit above 1
  several=$(psql -X -q -A -t -d pm_trickle -c "
    SELECT (SELECT count(*) FROM (SELECT FROM profile_merge.identifiers WHERE detached_at IS NULL AND kind = 'email'
                                   GROUP BY account_id, profile_id HAVING count(*) > 1) x) || ' '
        || (SELECT count(*) FROM profile_merge.identifiers WHERE kind = 'anonymous_id') || ' '
        || (SELECT count(*) FROM profile_merge.events e, jsonb_array_elements(e.detail) d
             WHERE e.account_id IN (2, 3) AND d ->> 'action' = 'overridden' AND d ->> 'kind' = 'email')")
  read -r multi anon overridden <<<"$several"
  echo "profiles with several e-mails: $multi, anonymous_id rows: $anon, e-mails overridden at limit 3: $overridden"
  [ "$multi" -gt 0 ] && [ "$anon" -gt 0 ] && [ "$overridden" -gt 0 ] \
    || { echo "the stream must give profiles several values, custom kinds and overrides at the limit"; failed=1; }
fi
exit $failed
