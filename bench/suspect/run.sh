#!/usr/bin/env bash
# bench/suspect: how long suspect_values takes on an account with a million
# events (issue 15: under a second).
#
# One account gets PM_BENCH_EVENTS (1,000,000) generated events
# (bench/ingest/gen_events.py, PM_BENCH_PERSONS persons) through ingest(),
# plus two placeholders an application might send by mistake: the
# external_id 'guest' on 300 api events with as many different e-mails,
# and the address orders@shop.example on 300 form events with as many
# different numbers. Then, three times each, in their own sessions:
#   SELECT * FROM profile_merge.suspect_values WHERE account_id = 1
#   the same with LIMIT 10
# and prints the milliseconds (median) and the suspects it found (the two
# placeholders must be among them).
#
#   make && sudo make install
#   bash bench/suspect/run.sh
#   PM_BENCH_EVENTS=200000 bash bench/suspect/run.sh
#
# Knobs: PM_BENCH_EVENTS, PM_BENCH_PERSONS (events / 10), PM_BENCH_SEED,
# PM_PORT (54510). About 2 minutes at the defaults.
set -euo pipefail
cd "$(dirname "$0")/../.."

EVENTS=${PM_BENCH_EVENTS:-1000000}
PERSONS=${PM_BENCH_PERSONS:-$((EVENTS / 10))}
SEED=${PM_BENCH_SEED:-20261205}
COLS="account_id, source, profile_hint, email, phone, phone_region, external_id, sms_consent, email_consent, properties"

source scripts/cluster.sh
PM_PORT=${PM_PORT:-54510} pm_cluster_start
WORK=$(mktemp -d /tmp/pm_bench_suspect.XXXXXX)
chmod 755 "$WORK"
trap 'pm_cluster_stop; rm -rf "$WORK"' EXIT
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -At)

echo "== suspect_values on an account with $EVENTS events"
echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'); $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), PostgreSQL $("${PSQL[@]}" -c 'SHOW server_version')"
python3 bench/ingest/gen_events.py --events "$EVENTS" --accounts 1 --persons "$PERSONS" --seed "$SEED" >"$WORK/events.csv"
chmod 644 "$WORK/events.csv"
"${PSQL[@]}" >/dev/null <<SQL
CREATE EXTENSION profile_merge;
CREATE TABLE public.staged (seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id bigint, source text, profile_hint bigint, email text, phone text, phone_region text,
  external_id text, sms_consent boolean, email_consent boolean, properties jsonb);
COPY public.staged ($COLS) FROM '$WORK/events.csv' WITH (FORMAT csv);
-- the placeholders, spread through the stream
INSERT INTO public.staged (account_id, source, external_id, email)
SELECT 1, 'api', 'guest', 'visitor' || g || '@mail.example' FROM generate_series(1, 300) g;
INSERT INTO public.staged (account_id, source, email, phone)
SELECT 1, 'form', 'orders@shop.example', '+1 415 ' || (200 + g) || ' ' || (1000 + g) FROM generate_series(1, 300) g;
SET client_min_messages = warning;
SELECT profile_merge.ingest('public.staged', order_by => 'seq');
VACUUM ANALYZE;
SQL
echo "loaded: $("${PSQL[@]}" -c "SELECT count(*) || ' events, ' || (SELECT count(*) FROM profile_merge.identifiers) || ' identifier rows, ' || (SELECT count(*) FROM profile_merge.profiles) || ' profiles' FROM profile_merge.events")"

median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
timed() {  # <sql>: milliseconds, in a session of its own
  { echo "SELECT extract(epoch FROM clock_timestamp()) AS t0 \\gset"
    echo "$1 \\g /dev/null"
    echo "SELECT round((extract(epoch FROM clock_timestamp()) - :t0)::numeric * 1000);"; } | "${PSQL[@]}" | tail -1
}
for q in "SELECT * FROM profile_merge.suspect_values WHERE account_id = 1" \
         "SELECT * FROM profile_merge.suspect_values WHERE account_id = 1 LIMIT 10"; do
  ms=$(for i in 1 2 3; do timed "$q"; done | median)
  printf '%8s ms  %s\n' "$ms" "$q"
done
echo "suspects found (the first 10):"
"${PSQL[@]}" -F ' | ' -c "SELECT kind, value, profiles, events FROM profile_merge.suspect_values WHERE account_id = 1 LIMIT 10"
found=$("${PSQL[@]}" -c "SELECT count(*) FROM profile_merge.suspect_values
                          WHERE account_id = 1 AND (kind, value) IN (('external_id', 'guest'), ('email', 'orders@shop.example'))")
[ "$found" = 2 ] || { echo "the two placeholders were not both found ($found)"; exit 1; }
echo "total suspects: $("${PSQL[@]}" -c "SELECT count(*) FROM profile_merge.suspect_values WHERE account_id = 1")"
