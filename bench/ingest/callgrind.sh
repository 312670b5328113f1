#!/usr/bin/env bash
# bench/ingest/callgrind.sh: instructions per event of the trigger path,
# counted by callgrind. Instruction counts do not depend on what else the
# machine is doing, so two builds or two schemas compare exactly where
# wall-clock rates on a shared machine vary by +-20%.
#
#   make && sudo make install
#   bash bench/ingest/callgrind.sh                  # the installed build
#   bash bench/ingest/callgrind.sh "<SQL run after CREATE EXTENSION>"
#   PM_CG_VERSION=0.2.0 bash bench/ingest/callgrind.sh   # an older schema
#   PM_CG_PATH=ingest bash bench/ingest/callgrind.sh     # the bulk path instead
#
# A throwaway cluster loads the first PM_CG_PRELOAD (20,000) events of the
# bench/ingest stream through the trigger (so that lookups meet populated
# indexes), then stops; a single-user backend under callgrind COPYs the
# next PM_CG_EVENTS (5,000), counting only inside DoCopy (with
# PM_CG_PATH=ingest: the same events staged in a table and replayed by
# ingest(), counting only inside pm_ingest). Prints the total,
# instructions per event, and the share of the trigger path's parts.
# Takes about a minute (callgrind runs ~50x slower). Needs valgrind.
set -euo pipefail
cd "$(dirname "$0")/../.."

EXTRA_SQL=${1:-}
PRELOAD=${PM_CG_PRELOAD:-20000}
EVENTS=${PM_CG_EVENTS:-5000}
COLS="account_id, source, profile_hint, email, phone, phone_region, external_id, sms_consent, email_consent, properties"
# PM_CG_GEN_ARGS: more arguments of gen_events.py; with --identifiers the
# stream carries events.identifiers too (bench/kinds).
GEN_ARGS=${PM_CG_GEN_ARGS:-}
[[ "$GEN_ARGS" == *--identifiers* ]] && COLS="$COLS, identifiers"

command -v valgrind >/dev/null || { echo "valgrind is not installed"; exit 1; }
source scripts/cluster.sh
PM_PORT=${PM_PORT:-54450} pm_cluster_start
WORK=$PM_CLUSTER_DIR
python3 bench/ingest/gen_events.py --events $((PRELOAD + EVENTS)) --seed "${PM_BENCH_SEED:-20240601}" $GEN_ARGS >"$WORK/all.csv"
head -n "$PRELOAD" "$WORK/all.csv" >"$WORK/preload.csv"
tail -n "$EVENTS" "$WORK/all.csv" >"$WORK/measured.csv"
chmod 644 "$WORK"/*.csv

psql -X -q -v ON_ERROR_STOP=1 -c "CREATE EXTENSION profile_merge${PM_CG_VERSION:+ VERSION '$PM_CG_VERSION'}" >/dev/null
EXT_VERSION=$(psql -X -At -c "SELECT extversion FROM pg_extension WHERE extname = 'profile_merge'")
[ -n "$EXTRA_SQL" ] && psql -X -q -v ON_ERROR_STOP=1 -c "$EXTRA_SQL" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 \
  -c "\\copy profile_merge.events ($COLS) FROM '$WORK/preload.csv' WITH (FORMAT csv)" \
  -c "ANALYZE" -c "CHECKPOINT"
PATH_MEASURED=${PM_CG_PATH:-trigger}
if [ "$PATH_MEASURED" = ingest ]; then
  psql -X -q -v ON_ERROR_STOP=1 \
    -c "CREATE TABLE public.staged (seq bigserial, account_id bigint, source text, profile_hint bigint,
                                   email text, phone text, phone_region text, external_id text,
                                   sms_consent boolean, email_consent boolean, properties jsonb, identifiers jsonb)" \
    -c "\\copy public.staged ($COLS) FROM '$WORK/measured.csv' WITH (FORMAT csv)" -c "CHECKPOINT"
  echo "SELECT profile_merge.ingest('public.staged', 'seq')" >"$WORK/copy.sql"
  COLLECT=pm_ingest
else
  echo "COPY profile_merge.events ($COLS) FROM '$WORK/measured.csv' WITH (FORMAT csv)" >"$WORK/copy.sql"
  COLLECT=DoCopy
fi
pm_as_server_user "$PM_PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null

chmod 644 "$WORK/copy.sql"
pm_as_server_user valgrind --tool=callgrind --callgrind-out-file="$WORK/callgrind.out" \
    --toggle-collect=$COLLECT "$PM_PGBIN/postgres" --single -D "$PGDATA" -c fsync=off postgres \
    <"$WORK/copy.sql" >"$WORK/single.log" 2>&1 \
  || { cat "$WORK/single.log"; exit 1; }
[ -n "${PM_CG_KEEP:-}" ] && cp "$WORK/callgrind.out" "$PM_CG_KEEP"

total=$(sed -n 's/^summary: //p; s/^totals: //p' "$WORK/callgrind.out" | head -1)
echo "== commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), extension $EXT_VERSION, $PATH_MEASURED path, $EVENTS events after $PRELOAD${EXTRA_SQL:+, after: $EXTRA_SQL}"
printf 'instructions: %d in all, %d per event\n' "$total" $((total / EVENTS))
echo "share of all instructions (inclusive):"
callgrind_annotate --inclusive=yes "$WORK/callgrind.out" 2>/dev/null |
  grep -E '^ *[0-9,]+ \( *[0-9.]+%\)  [^ ]+:' |
  grep -E 'TableStore::|prepare_event|pm_events_resolve_body|trigger_row.cpp:.*set_jsonb|\?\?\?:(ExecConstraints|AfterTriggerEndQuery|stringToNode|ExecutorStart) ' |
  sed -E 's/^ *[0-9,]+ \( *([0-9.]+)%\)  [^:]*:(pm::pg::)?([A-Za-z_:]+).*/\1 \3/' |
  awk '$2 ~ /^[A-Za-z]/ && $2 != "pg_call" && !seen[$2]++ {printf "  %6s%%  %s\n", $1, $2}'
