#!/usr/bin/env bash
# bench/merge_history: does merging a profile with a long history cost more
# than merging a new one? Profiles with 1 past event ("small") against
# profiles with PM_BENCH_HISTORY (10,000) past events ("big"), merged
#   - by an event that connects the two (what applications do), and
#   - by merge_profiles() (what an admin does),
# each merge undone again with unmerge(), which is timed too.
#
# Two kinds of history:
#   props  the big profile's 10,000 events are form events with its e-mail
#          and varying properties (visits, last page, plan): 10,000 event
#          rows, one identifier. The partner (A) is a phone-only profile
#          made by one sms_keyword event; the connecting event is a form
#          with B's e-mail and A's phone (DESIGN.md 4, story 2).
#   churn  the big profile's 10,000 events are form events with its e-mail
#          and a new phone number each (form may override phone): 10,000
#          event rows and 9,999 detached phone identifiers in its history,
#          one attached e-mail and phone. A is an external-id-only profile
#          made by one import event; the connecting event is an api event
#          with A's external id and B's e-mail. (PM_BENCH_CHURN=0 skips it.)
# and two directions:
#   merged away  A is older than B, so B (small or big) is merged into A
#   survives     A is younger than B, so A is merged into B
#
# Every combination (2 kinds x 2 sizes x 2 ways x 2 directions) gets
# PM_BENCH_REPS (200) timed merges, plus 5 untimed warm-up merges each. The
# partner A is a new profile for every merge; a small B too. Big profiles
# are few (PM_BENCH_BIG=10 per kind, 100,000 events each kind to build), so
# each is merged and unmerged again many times (200 x 4 / 10 = 80 times at
# the defaults): every cycle leaves a detached copy of the moved values on
# both sides, so a big profile ends with ~160 more identifier rows than its
# history gave it; a small B is fresh every time. This can only make the big
# profiles look slower.
#
# Timing is server-side: a PL/pgSQL procedure runs every merge and every
# unmerge as its own transaction (COMMIT in between) and takes
# clock_timestamp() around the statement alone (no client round trip, no
# commit). The combinations are interleaved (each iteration runs all of
# them, in an order rotated every iteration), so the machine's noise hits
# all alike. Reported: median and p90 per merge and unmerge, and the ratio
# big/small of the medians (the claim to check: within 2x).
#
#   make && sudo make install
#   bash bench/merge_history/run.sh
#
# Knobs (environment): PM_BENCH_REPS (200), PM_BENCH_HISTORY (10000),
# PM_BENCH_BIG (10), PM_BENCH_CHURN (1), PM_PORT (54482), PM_BENCH_KEEP=1
# (keep the cluster's server log). Extra arguments are server -c options.
# About 1.5-2.5 minutes at the defaults (most of it building the histories).
set -euo pipefail
cd "$(dirname "$0")/../.."

REPS=${PM_BENCH_REPS:-200}
HISTORY=${PM_BENCH_HISTORY:-10000}
BIG=${PM_BENCH_BIG:-10}
CHURN=${PM_BENCH_CHURN:-1}
WARM=5
TOTAL=$((REPS + WARM))
[ "$BIG" -le 20 ] || { echo "PM_BENCH_BIG must be at most 20" >&2; exit 2; }
[ "$HISTORY" -le 100000 ] || { echo "PM_BENCH_HISTORY must be at most 100000" >&2; exit 2; }

source scripts/cluster.sh
PM_PORT=${PM_PORT:-54482} pm_cluster_start "$@"
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -At)
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"
SO=$("$PG_CONFIG" --pkglibdir)/profile_merge.so

echo "== profile_merge merge cost vs history: $HISTORY past events against 1"
echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet -- src 2>/dev/null || echo ' (src has uncommitted changes)'); installed library $(date -r "$SO" '+%F %T' 2>/dev/null || echo '?'), md5 $(md5sum <"$SO" | cut -c1-12)$(cmp -s "$SO" profile_merge.so || echo ', differs from ./profile_merge.so')"
git diff --quiet -- src 2>/dev/null || echo "uncommitted in src: $(git diff --stat -- src | tail -1 | sed 's/^ *//') ($(git diff --name-only -- src | tr '\n' ' ')diff md5 $(git diff -- src | md5sum | cut -c1-12))"
echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), PostgreSQL $("${PSQL[@]}" -c 'SHOW server_version'), fsync off"
start=$(date +%s)

kinds="props"
[ "$CHURN" = 1 ] && kinds="props churn"
kinds_sql=$(printf "'%s'," $kinds); kinds_sql="ARRAY[${kinds_sql%,}]"

# Phone numbers: area code by position (distinct per big profile), 20 valid
# exchanges x 5,000 line numbers = 100,000 numbers per area code.
"${PSQL[@]}" <<SQL
CREATE EXTENSION profile_merge;
CREATE SCHEMA bench;
CREATE FUNCTION bench.phone(area int, j int) RETURNS text LANGUAGE sql IMMUTABLE AS \$\$
  SELECT '+1' || (ARRAY[212,415,646,312,617,305,213,503,206,404,718,917,510,702,713,214,602,303,612,919,
                        347,929,628,773,857,786,323,971,425,470])[area]
              || (ARRAY[234,245,256,267,278,289,342,353,364,375,386,397,432,443,454,465,476,487,492,623])[j % 20 + 1]
              || lpad((j / 20)::text, 4, '0') \$\$;
-- the partners (A) and small B's: area codes 21-30, never a big profile's
CREATE TABLE bench.a (kind text, dir text, seq int, profile_id bigint, phone text, ext text,
                      PRIMARY KEY (kind, dir, seq));
CREATE TABLE bench.b (kind text, size text, seq int, profile_id bigint, email text,
                      PRIMARY KEY (kind, size, seq));
CREATE TABLE bench.result (kind text, size text, way text, dir text, rep int,
                           merge_us numeric, unmerge_us numeric, survivor_ok boolean);
SQL

# make_a <dir> <area offset>: 4 x TOTAL partners per kind (2 sizes x 2 ways).
make_a() {
  local dir=$1 area=$2
  "${PSQL[@]}" <<SQL
WITH g AS (SELECT s FROM generate_series(1, 4 * $TOTAL) s),
     ins AS (INSERT INTO profile_merge.events (account_id, source, phone)
             SELECT 1, 'sms_keyword', bench.phone($area, s) FROM g
             RETURNING profile_id, phone_e164, event_id)
INSERT INTO bench.a SELECT 'props', '$dir', row_number() OVER (ORDER BY event_id), profile_id, phone_e164, NULL FROM ins;
WITH g AS (SELECT s FROM generate_series(1, 4 * $TOTAL) s),
     ins AS (INSERT INTO profile_merge.events (account_id, source, external_id)
             SELECT 1, 'import', 'A-$dir-' || s FROM g WHERE 'churn' = ANY ($kinds_sql)
             RETURNING profile_id, external_id, event_id)
INSERT INTO bench.a SELECT 'churn', '$dir', row_number() OVER (ORDER BY event_id), profile_id, NULL, external_id FROM ins;
SQL
}

t0=$(date +%s.%N)
make_a older 21
sleep 0.01
# Small B's: one form event each (churn: with a phone too, as the big ones
# end with one attached).
"${PSQL[@]}" <<SQL
WITH ins AS (INSERT INTO profile_merge.events (account_id, source, email)
             SELECT 1, 'form', 'small.' || s || '@props.example' FROM generate_series(1, 4 * $TOTAL) s
             RETURNING profile_id, email_normalized, event_id)
INSERT INTO bench.b SELECT 'props', 'small', row_number() OVER (ORDER BY event_id), profile_id, email_normalized FROM ins;
WITH ins AS (INSERT INTO profile_merge.events (account_id, source, email, phone)
             SELECT 1, 'form', 'small.' || s || '@churn.example', bench.phone(22, s)
               FROM generate_series(1, 4 * $TOTAL) s WHERE 'churn' = ANY ($kinds_sql)
             RETURNING profile_id, email_normalized, event_id)
INSERT INTO bench.b SELECT 'churn', 'small', row_number() OVER (ORDER BY event_id), profile_id, email_normalized FROM ins;
SQL
# Big B's: HISTORY events each, in transactions of 1,000 events (one
# statement each: the same profile row updated 10,000 times in one
# transaction would make every look-up walk its HOT chain).
for k in $kinds; do
  for i in $(seq 1 "$BIG"); do
    if [ "$k" = props ]; then
      for c in $(seq 0 1000 $((HISTORY - 1))); do echo "
INSERT INTO profile_merge.events (account_id, source, email, properties)
SELECT 1, 'form', 'big.$i@props.example',
       jsonb_build_object('visits', j, 'last_page', '/product/' || (j * 7919 % 500),
                          'plan', (ARRAY['free','basic','gold','platinum'])[j % 4 + 1])
  FROM generate_series($((c + 1)), $(( c + 1000 < HISTORY ? c + 1000 : HISTORY ))) j ORDER BY j;"; done | "${PSQL[@]}"
      "${PSQL[@]}" <<SQL
INSERT INTO bench.b SELECT 'props', 'big', $i, profile_id, email FROM profile_merge.profiles
 WHERE account_id = 1 AND email = 'big.$i@props.example';
SQL
    else
      for c in $(seq 0 1000 $((HISTORY - 1))); do echo "
INSERT INTO profile_merge.events (account_id, source, email, phone)
SELECT 1, 'form', 'big.$i@churn.example', bench.phone($i, j)
  FROM generate_series($((c + 1)), $(( c + 1000 < HISTORY ? c + 1000 : HISTORY ))) j ORDER BY j;"; done | "${PSQL[@]}"
      "${PSQL[@]}" <<SQL
INSERT INTO bench.b SELECT 'churn', 'big', $i, profile_id, email FROM profile_merge.profiles
 WHERE account_id = 1 AND email = 'big.$i@churn.example';
SQL
    fi
  done
done
sleep 0.01
make_a younger 23
"${PSQL[@]}" -c "VACUUM ANALYZE" >/dev/null
printf 'built in %.0f s (partners, small and big profiles through the trigger, then VACUUM ANALYZE)\n' "$(echo "$(date +%s.%N) - $t0" | bc)"

# Sanity: what the profiles look like.
"${PSQL[@]}" -P footer=off <<'SQL'
\pset format aligned
\pset tuples_only off
SELECT b.kind, b.size, count(*) AS profiles,
       round(avg((SELECT count(*) FROM profile_merge.events e WHERE e.account_id = 1 AND e.profile_id = b.profile_id))) AS events_each,
       round(avg((SELECT count(*) FROM profile_merge.identifiers i WHERE i.account_id = 1 AND i.profile_id = b.profile_id))) AS identifier_rows_each,
       round(avg((SELECT count(*) FROM profile_merge.identifiers i WHERE i.account_id = 1 AND i.profile_id = b.profile_id AND detached_at IS NULL))) AS attached_each,
       max((SELECT pg_column_size(properties) FROM profile_merge.profiles p WHERE p.account_id = 1 AND p.profile_id = b.profile_id)) AS properties_bytes
  FROM bench.b GROUP BY 1, 2 ORDER BY 1, 2 DESC;
SQL
"${PSQL[@]}" -c "SELECT 'account 1 holds ' || (SELECT count(*) FROM profile_merge.events) || ' events, '
                 || (SELECT count(*) FROM profile_merge.profiles) || ' profiles, '
                 || (SELECT count(*) FROM profile_merge.identifiers) || ' identifier rows'"

# The measurement. Every merge and every unmerge is its own transaction.
"${PSQL[@]}" <<SQL
CREATE PROCEDURE bench.run(total int, big int, kinds text[]) LANGUAGE plpgsql AS \$\$
DECLARE
    combos text[] := ARRAY['small,event,older', 'big,event,older', 'small,manual,older', 'big,manual,older',
                           'small,event,younger', 'big,event,younger', 'small,manual,younger', 'big,manual,younger'];
    k text; c text; v_size text; v_way text; v_dir text;
    used int := 0;
    a bench.a; b bench.b;
    t0 timestamptz; t1 timestamptz; t2 timestamptz; t3 timestamptz;
    mid bigint; outc text; det jsonb; surv bigint;
    nc int := array_length(combos, 1);
    slot int;
BEGIN
    FOR i IN 1..total LOOP
        FOREACH k IN ARRAY kinds LOOP
            FOR j IN 0..nc - 1 LOOP
                c := combos[(i + j) % nc + 1];
                v_size := split_part(c, ',', 1); v_way := split_part(c, ',', 2); v_dir := split_part(c, ',', 3);
                -- partner: a new one every time (4 per iteration per direction)
                slot := (i - 1) * 4 + (CASE v_size WHEN 'small' THEN 0 ELSE 2 END) + (CASE v_way WHEN 'event' THEN 1 ELSE 2 END);
                SELECT * INTO STRICT a FROM bench.a x WHERE x.kind = k AND x.dir = v_dir AND x.seq = slot;
                IF v_size = 'small' THEN
                    SELECT * INTO STRICT b FROM bench.b x WHERE x.kind = k AND x.size = 'small'
                       AND x.seq = (i - 1) * 4 + (CASE v_dir WHEN 'older' THEN 0 ELSE 2 END) + (CASE v_way WHEN 'event' THEN 1 ELSE 2 END);
                ELSE
                    SELECT * INTO STRICT b FROM bench.b x WHERE x.kind = k AND x.size = 'big'
                       AND x.seq = (i + j) % big + 1;
                END IF;
                t0 := clock_timestamp();
                IF v_way = 'event' THEN
                    IF k = 'props' THEN
                        INSERT INTO profile_merge.events (account_id, source, email, phone)
                        VALUES (1, 'form', b.email, a.phone) RETURNING outcome, detail INTO outc, det;
                    ELSE
                        INSERT INTO profile_merge.events (account_id, source, email, external_id)
                        VALUES (1, 'api', b.email, a.ext) RETURNING outcome, detail INTO outc, det;
                    END IF;
                    t1 := clock_timestamp();
                    IF outc <> 'merged' THEN
                        RAISE EXCEPTION 'connecting event: outcome % (%), expected merged', outc, det;
                    END IF;
                    SELECT (d->>'merge_id')::bigint INTO STRICT mid FROM jsonb_array_elements(det) d
                     WHERE d->>'action' = 'merged';
                ELSE
                    mid := profile_merge.merge_profiles(1, a.profile_id, b.profile_id);
                    t1 := clock_timestamp();
                END IF;
                COMMIT;
                SELECT survivor_id INTO STRICT surv FROM profile_merge.merges m WHERE m.account_id = 1 AND m.merge_id = mid;
                t2 := clock_timestamp();
                PERFORM profile_merge.unmerge(1, mid);
                t3 := clock_timestamp();
                COMMIT;
                INSERT INTO bench.result VALUES (k, v_size, v_way, v_dir, i,
                    extract(epoch FROM t1 - t0) * 1e6, extract(epoch FROM t3 - t2) * 1e6,
                    surv = CASE v_dir WHEN 'older' THEN a.profile_id ELSE b.profile_id END);
                COMMIT;
            END LOOP;
        END LOOP;
    END LOOP;
END \$\$;
SQL
t0=$(date +%s.%N)
"${PSQL[@]}" -c "CALL bench.run($TOTAL, $BIG, $kinds_sql)"
printf 'measured in %.0f s: %d merges and as many unmerges (%d untimed warm-up iterations)\n' \
  "$(echo "$(date +%s.%N) - $t0" | bc)" "$("${PSQL[@]}" -c 'SELECT count(*) FROM bench.result')" "$WARM"

echo
echo "== results (us per call, server-side; $REPS merges per row; ratio = big median / small median)"
"${PSQL[@]}" -P footer=off <<SQL
\pset format aligned
\pset tuples_only off
WITH r AS (SELECT * FROM bench.result WHERE rep > $WARM),
s AS (
  SELECT kind, way, dir, size, count(*) AS n, bool_and(survivor_ok) AS ok,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY merge_us) AS m50,
         percentile_cont(0.9) WITHIN GROUP (ORDER BY merge_us) AS m90,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY unmerge_us) AS u50,
         percentile_cont(0.9) WITHIN GROUP (ORDER BY unmerge_us) AS u90
    FROM r GROUP BY 1, 2, 3, 4)
SELECT sm.kind, CASE sm.way WHEN 'event' THEN 'connecting event' ELSE 'merge_profiles()' END AS merged_by,
       CASE sm.dir WHEN 'older' THEN 'B merged away' ELSE 'B survives' END AS direction,
       round(sm.m50) AS "merge p50 (1)", round(sm.m90) AS "p90 (1)",
       round(bg.m50) AS "merge p50 ($HISTORY)", round(bg.m90) AS "p90 ($HISTORY)",
       round((bg.m50 / sm.m50)::numeric, 2) AS "merge ratio",
       round(sm.u50) AS "unmerge p50 (1)", round(sm.u90) AS "p90 (1)",
       round(bg.u50) AS "unmerge p50 ($HISTORY)", round(bg.u90) AS "p90 ($HISTORY)",
       round((bg.u50 / sm.u50)::numeric, 2) AS "unmerge ratio",
       sm.ok AND bg.ok AS survivor_ok
  FROM s sm JOIN s bg USING (kind, way, dir)
 WHERE sm.size = 'small' AND bg.size = 'big'
 ORDER BY sm.kind DESC, sm.way, sm.dir;
SQL
echo
echo "== per kind of history, all ways and directions together"
"${PSQL[@]}" -P footer=off <<SQL
\pset format aligned
\pset tuples_only off
WITH r AS (SELECT * FROM bench.result WHERE rep > $WARM),
s AS (SELECT kind, size,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY merge_us) AS m50,
             percentile_cont(0.9) WITHIN GROUP (ORDER BY merge_us) AS m90,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY unmerge_us) AS u50,
             percentile_cont(0.9) WITHIN GROUP (ORDER BY unmerge_us) AS u90
        FROM r GROUP BY 1, 2)
SELECT sm.kind, round(sm.m50) AS "merge p50 (1)", round(bg.m50) AS "merge p50 ($HISTORY)",
       round(sm.m90) AS "merge p90 (1)", round(bg.m90) AS "merge p90 ($HISTORY)",
       round((bg.m50 / sm.m50)::numeric, 2) AS "merge ratio",
       round(sm.u50) AS "unmerge p50 (1)", round(bg.u50) AS "unmerge p50 ($HISTORY)",
       round((bg.u50 / sm.u50)::numeric, 2) AS "unmerge ratio",
       CASE WHEN bg.m50 <= 2 * sm.m50 AND bg.u50 <= 2 * sm.u50 THEN 'yes' ELSE 'NO' END AS "within 2x"
  FROM s sm JOIN s bg USING (kind) WHERE sm.size = 'small' AND bg.size = 'big' ORDER BY sm.kind DESC;
SQL
"${PSQL[@]}" -c "SELECT 'worst ratio of medians over every combination: merge ' || round(max(bg / sm)::numeric, 2) FROM (
    SELECT kind, way, dir,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY merge_us) FILTER (WHERE size = 'big') AS bg,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY merge_us) FILTER (WHERE size = 'small') AS sm
      FROM bench.result WHERE rep > $WARM GROUP BY 1, 2, 3) x" \
   -c "SELECT '                                                  unmerge ' || round(max(bg / sm)::numeric, 2) FROM (
    SELECT kind, way, dir,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY unmerge_us) FILTER (WHERE size = 'big') AS bg,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY unmerge_us) FILTER (WHERE size = 'small') AS sm
      FROM bench.result WHERE rep > $WARM GROUP BY 1, 2, 3) x"
echo
echo "== drift: each big profile is merged and unmerged again $((REPS * 4 / BIG)) times (small ones once):"
echo "   median us in the first and the last quarter of the iterations, all ways and directions"
"${PSQL[@]}" -P footer=off <<SQL
\pset format aligned
\pset tuples_only off
SELECT kind, size,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY merge_us) FILTER (WHERE rep <= $WARM + $REPS / 4)) AS "merge, first quarter",
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY merge_us) FILTER (WHERE rep > $WARM + 3 * $REPS / 4)) AS "merge, last quarter",
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY unmerge_us) FILTER (WHERE rep <= $WARM + $REPS / 4)) AS "unmerge, first quarter",
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY unmerge_us) FILTER (WHERE rep > $WARM + 3 * $REPS / 4)) AS "unmerge, last quarter"
  FROM bench.result WHERE rep > $WARM GROUP BY 1, 2 ORDER BY 1 DESC, 2 DESC;
SQL
echo "load average now $(cut -d' ' -f1-3 /proc/loadavg); total $(( $(date +%s) - start )) s"
