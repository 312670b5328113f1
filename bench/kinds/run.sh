#!/usr/bin/env bash
# bench/kinds: several values a kind against one (issue 15, item 7), side by
# side in one run. The same stream (bench/ingest/gen_events.py with
# --identifiers 0.3: 30 % of the events that are not SMS ones carry a
# second e-mail and an anonymous id in events.identifiers) goes into two
# fresh installs whose api, form, checkout and import sources identify by
# anonymous_id too:
#   limit 5   identifier_kinds: email and anonymous_id 5 a profile
#   limit 1   the same kinds at 1 (the second e-mail is overridden or a
#             conflict, as section 4 says)
# Prints for each the trigger path's events a second (COPY into
# profile_merge.events, median of PM_BENCH_ROUNDS rounds), instructions per
# event by callgrind (bench/ingest/callgrind.sh: 5,000 events after
# 20,000), and the ratios limit 5 / limit 1.
#
#   make && sudo make install
#   bash bench/kinds/run.sh
#   PM_BENCH_CALLGRIND=0 bash bench/kinds/run.sh    # rates only
#
# Knobs: PM_BENCH_EVENTS (30,000), PM_BENCH_ACCOUNTS (20), PM_BENCH_ROUNDS
# (2), PM_BENCH_SEED, PM_BENCH_CALLGRIND (1), PM_PORT (54520). About 5
# minutes with callgrind.
set -euo pipefail
cd "$(dirname "$0")/../.."

EVENTS=${PM_BENCH_EVENTS:-30000}
ACCOUNTS=${PM_BENCH_ACCOUNTS:-20}
PERSONS=$(( EVENTS / ACCOUNTS / 4 > 100 ? EVENTS / ACCOUNTS / 4 : 100 ))
ROUNDS=${PM_BENCH_ROUNDS:-2}
SEED=${PM_BENCH_SEED:-20261205}
COLS="account_id, source, profile_hint, email, phone, phone_region, external_id, sms_consent, email_consent, properties, identifiers"

config() {  # <limit>: the SQL that sets the kinds and the sources up
  cat <<SQL
UPDATE profile_merge.identifier_kinds SET max_per_profile = $1 WHERE account_id = 0 AND kind = 'email';
INSERT INTO profile_merge.identifier_kinds VALUES (0, 'anonymous_id', 'text', $1);
UPDATE profile_merge.sources SET identify_by = identify_by || '{anonymous_id}', accepts = accepts || '{anonymous_id}'
 WHERE account_id = 0 AND source IN ('api', 'form', 'checkout', 'import');
SQL
}

source scripts/cluster.sh
PM_PORT=${PM_PORT:-54520} pm_cluster_start
WORK=$(mktemp -d /tmp/pm_bench_kinds.XXXXXX)
chmod 755 "$WORK"
trap 'pm_cluster_stop; rm -rf "$WORK"' EXIT
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -At)

echo "== several values a kind: limit 5 against limit 1, $EVENTS events, 30 % with a second e-mail and an anonymous id"
echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'); $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), PostgreSQL $("${PSQL[@]}" -c 'SHOW server_version'), fsync off"
python3 bench/ingest/gen_events.py --events "$EVENTS" --accounts "$ACCOUNTS" --persons "$PERSONS" \
  --seed "$SEED" --identifiers 0.3 >"$WORK/events.csv"
chmod 644 "$WORK/events.csv"

median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
declare -A secs
for round in $(seq 1 "$ROUNDS"); do
  line="round $round:"
  for limit in 5 1; do
    db=pm_kinds_$limit
    dropdb --if-exists $db >/dev/null 2>&1; createdb $db
    "${PSQL[@]}" -d $db -c "CREATE EXTENSION profile_merge" -c "$(config $limit)" -c "CHECKPOINT" >/dev/null
    t=$({ echo "SELECT extract(epoch FROM clock_timestamp()) AS t0 \\gset"
          echo "COPY profile_merge.events ($COLS) FROM '$WORK/events.csv' WITH (FORMAT csv);"
          echo "SELECT round((extract(epoch FROM clock_timestamp()) - :t0)::numeric, 3);"; } | "${PSQL[@]}" -d $db | tail -1)
    secs[$limit]+="$t "
    line+=" limit $limit $t s"
  done
  echo "$line"
done
for limit in 5 1; do
  db=pm_kinds_$limit
  echo "limit $limit: $("${PSQL[@]}" -d $db -c "
    SELECT (SELECT count(*) FROM (SELECT FROM profile_merge.identifiers WHERE detached_at IS NULL AND kind = 'email'
                                   GROUP BY account_id, profile_id HAVING count(*) > 1) x) || ' profiles with several e-mails, '
        || (SELECT count(*) FROM profile_merge.profiles WHERE merged_into IS NULL) || ' active profiles, outcomes: '
        || (SELECT string_agg(outcome || ' ' || n, ', ' ORDER BY outcome)
              FROM (SELECT outcome, count(*) AS n FROM profile_merge.events GROUP BY 1) o)")"
done
r5=$(echo "${secs[5]}" | tr ' ' '\n' | grep . | median); r1=$(echo "${secs[1]}" | tr ' ' '\n' | grep . | median)
awk -v n="$EVENTS" -v a="$r5" -v b="$r1" 'BEGIN {
  printf "trigger path, median of the rounds: limit 5 %.0f events/s, limit 1 %.0f events/s, limit 5 / limit 1 = %.2f\n",
         n / a, n / b, b / a }'

if [ "${PM_BENCH_CALLGRIND:-1}" = 1 ]; then
  pm_cluster_stop
  for limit in 5 1; do
    i=$(PM_CG_GEN_ARGS="--identifiers 0.3" bash bench/ingest/callgrind.sh "$(config $limit)" |
        sed -n 's/^instructions: .* in all, \([0-9]*\) per event$/\1/p')
    eval "i$limit=$i"
    echo "callgrind, limit $limit: $i instructions per event"
  done
  awk -v a="$i5" -v b="$i1" 'BEGIN { printf "instructions per event, limit 5 / limit 1 = %.3f\n", a / b }'
fi
