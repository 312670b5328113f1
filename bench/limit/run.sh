#!/usr/bin/env bash
# bench/limit: how close the two paths come to the physical limit of their
# own output, side by side in one run (issue 17, item 1).
#
#   trigger  COPY of a generated stream into profile_merge.events, through
#            the triggers, into a fresh install
#   ingest   the same stream staged in a table and replayed by
#            profile_merge.ingest() into a fresh install
#   limit    exactly the rows the trigger run wrote (events, profiles,
#            identifiers, consents, merges) COPYed into a fresh install with
#            every index, constraint and foreign key, the extension's own
#            triggers disabled: what writing the result costs, with no
#            engine at all
#
# Each statement runs in its own session after CREATE EXTENSION and a
# CHECKPOINT, timed with clock_timestamp() in that session. Rates are events
# a second (the limit's too: its rows are the events' result); ratios are
# each path's rate over the limit's. PM_BENCH_ROUNDS rounds (2); medians.
#
# Data: bench/ingest/gen_events.py (fixed seed), PM_BENCH_EVENTS (30,000)
# events over PM_BENCH_ACCOUNTS (50) accounts, PM_BENCH_PERSONS persons each
# (default events / accounts / 4, at least 100).
#
#   make && sudo make install
#   bash bench/limit/run.sh
#   PM_BENCH_EVENTS=200000 PM_BENCH_ACCOUNTS=20 bash bench/limit/run.sh
#
# Knobs: PM_BENCH_EVENTS, PM_BENCH_ACCOUNTS, PM_BENCH_PERSONS, PM_BENCH_SEED,
# PM_BENCH_ROUNDS, PM_PORT (54490), PM_BENCH_KEEP=1. Extra arguments are
# server -c options. About 1 minute at the defaults.
set -euo pipefail
cd "$(dirname "$0")/../.."

EVENTS=${PM_BENCH_EVENTS:-30000}
ACCOUNTS=${PM_BENCH_ACCOUNTS:-50}
PERSONS=${PM_BENCH_PERSONS:-$(( EVENTS / ACCOUNTS / 4 > 100 ? EVENTS / ACCOUNTS / 4 : 100 ))}
SEED=${PM_BENCH_SEED:-20261204}
ROUNDS=${PM_BENCH_ROUNDS:-2}
COLS="account_id, source, profile_hint, email, phone, phone_region, external_id, sms_consent, email_consent, properties"
# The result's tables in an order their foreign keys accept.
TABLES=(profiles identifiers merges consents events)

source scripts/cluster.sh
PM_PORT=${PM_PORT:-54490} pm_cluster_start "$@"
WORK=$(mktemp -d /tmp/pm_bench_limit.XXXXXX)
chmod 755 "$WORK"
[ "$(id -u)" -eq 0 ] && chown postgres: "$WORK"  # the server writes the result files
cleanup() {
  pm_cluster_stop
  if [ "${PM_BENCH_KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -At)

echo "== profile_merge: the trigger path and ingest() against the limit of their output, $EVENTS events"
echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'); $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), PostgreSQL $("${PSQL[@]}" -c 'SHOW server_version'), fsync off"

python3 bench/ingest/gen_events.py --events "$EVENTS" --accounts "$ACCOUNTS" --persons "$PERSONS" \
  --seed "$SEED" >"$WORK/events.csv"
chmod 644 "$WORK/events.csv"

# fresh <db>: a new database with the extension, checkpointed.
fresh() {
  dropdb --if-exists "$1" >/dev/null 2>&1
  createdb "$1"
  "${PSQL[@]}" -d "$1" -c "CREATE EXTENSION profile_merge" -c "CHECKPOINT" >/dev/null
}

# timed <db> <sql...>: runs the statements in one session; prints seconds.
timed() {
  local db=$1; shift
  { echo "SET client_min_messages = warning;"
    echo "SELECT extract(epoch FROM clock_timestamp()) AS t0 \\gset"
    printf '%s\n' "$@"
    echo "SELECT round((extract(epoch FROM clock_timestamp()) - :t0)::numeric, 3);"; } |
    "${PSQL[@]}" -d "$db" | tail -1
}

median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

declare -A secs
for round in $(seq 1 "$ROUNDS"); do
  fresh pm_limit_trigger
  t_trigger=$(timed pm_limit_trigger "COPY profile_merge.events ($COLS) FROM '$WORK/events.csv' WITH (FORMAT csv);")
  secs[trigger]+="$t_trigger "

  fresh pm_limit_ingest
  "${PSQL[@]}" -d pm_limit_ingest >/dev/null <<SQL
CREATE TABLE public.staged (seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id bigint, source text, profile_hint bigint, email text, phone text, phone_region text,
  external_id text, sms_consent boolean, email_consent boolean, properties jsonb);
COPY public.staged ($COLS) FROM '$WORK/events.csv' WITH (FORMAT csv);
VACUUM ANALYZE public.staged;
CHECKPOINT;
SQL
  t_ingest=$(timed pm_limit_ingest "SELECT profile_merge.ingest('public.staged', order_by => 'seq');")
  secs[ingest]+="$t_ingest "

  # What the trigger run wrote, row for row.
  rows=0
  for t in "${TABLES[@]}"; do
    "${PSQL[@]}" -d pm_limit_trigger -c "COPY profile_merge.$t TO '$WORK/$t.copy' WITH (FORMAT binary)"
    rows=$((rows + $("${PSQL[@]}" -d pm_limit_trigger -c "SELECT count(*) FROM profile_merge.$t")))
  done
  chmod 644 "$WORK"/*.copy
  fresh pm_limit_rows
  "${PSQL[@]}" -d pm_limit_rows >/dev/null <<'SQL'
ALTER TABLE profile_merge.events DISABLE TRIGGER events_resolve;
ALTER TABLE profile_merge.consents DISABLE TRIGGER consents_resolve;
CHECKPOINT;
SQL
  stmts=()
  for t in "${TABLES[@]}"; do stmts+=("COPY profile_merge.$t FROM '$WORK/$t.copy' WITH (FORMAT binary);"); done
  t_limit=$(timed pm_limit_rows "${stmts[@]}")
  secs[limit]+="$t_limit "
  same=$("${PSQL[@]}" -d pm_limit_rows -c "SELECT (SELECT count(*) FROM profile_merge.profiles) +
      (SELECT count(*) FROM profile_merge.identifiers) + (SELECT count(*) FROM profile_merge.merges) +
      (SELECT count(*) FROM profile_merge.consents) + (SELECT count(*) FROM profile_merge.events)")
  [ "$same" = "$rows" ] || { echo "the limit run holds $same rows, the trigger run $rows"; exit 1; }
  echo "round $round: trigger $t_trigger s, ingest $t_ingest s, limit $t_limit s ($rows rows, $(echo "scale=2; $rows / $EVENTS" | bc) an event)"
done

echo
printf '%-8s %10s %12s %14s\n' path seconds events/s "share of limit"
limit_s=$(tr ' ' '\n' <<<"${secs[limit]}" | grep . | median)
for p in trigger ingest limit; do
  s=$(tr ' ' '\n' <<<"${secs[$p]}" | grep . | median)
  printf '%-8s %10.3f %12.0f %14.2f\n' "$p" "$s" "$(echo "$EVENTS / $s" | bc -l)" "$(echo "$limit_s / $s" | bc -l)"
done
for db in pm_limit_trigger pm_limit_ingest pm_limit_rows; do dropdb --if-exists "$db" >/dev/null 2>&1; done
