#!/usr/bin/env bash
# bench/latency: what a web application sees. One event = one transaction =
# one single-row
#   INSERT INTO profile_merge.events (...) ... RETURNING profile_id, outcome
# sent by pgbench (-M prepared), from
#   (c) one client, and
#   (d) 8 concurrent clients,
# run alternately (c, d, c, d: PM_BENCH_ROUNDS rounds) so that the machine's
# noise hits both alike; medians are reported, and the ratio (d)/(c) of each
# round.
#
# The events: bench/ingest/gen_events.py (fixed seed) with many accounts
# (PM_BENCH_ACCOUNTS=20 x PM_BENCH_PERSONS=2000 persons), all seven sources,
# heavy identifier overlap (others' phones/e-mails, skewed persons, hints),
# ~5 % invalid and ~1 % blocked values, loaded into a table
# bench_stream(n, ...). The first PM_BENCH_WARMUP events (100,000) are loaded
# through profile_merge.ingest() and ANALYZEd first, so the timed events meet
# an existing customer base (mostly matches and updates, some creations,
# merges and conflicts), not an empty database. Each timed transaction
# then takes the next event of the stream from a shared sequence:
#   INSERT INTO profile_merge.events (...)
#   SELECT ... FROM bench_stream WHERE n = (SELECT <next of bench_cursor>)
#   RETURNING profile_id, outcome;
# (wrapping round to the first timed event if the stream runs out), so the
# 8 clients of (d) work through the same stream in order, touching the same
# profiles as they would in production.
#
# Baseline, once per round before (c): the same script with one client into
# public.events_plain (LIKE profile_merge.events INCLUDING ALL, no trigger):
# the latency of the round trip, the INSERT and its indexes alone.
#
# Figures: events/s (pgbench's tps without connection time), latency
# percentiles from pgbench --log (every transaction's latency), failed
# transactions (pgbench --max-tries=1: a deadlock or serialization failure
# is counted, any other error aborts the client and is reported), ERROR lines
# in the server log, the backend CPU time per event (from /proc/<pid>/stat:
# less sensitive to the machine's load than wall time), and for (c) the
# backend's memory (VmRSS, RssAnon, VmHWM from /proc/<pid>/status) right after
# it connected and at the end. During every run one more session samples
# pg_stat_activity every 0.1 s: what the benchmark's backends wait on (CPU,
# locks, the client), reported per run at the end.
#
# Diagnostic at the end (PM_BENCH_DIAG events, 5,000): the next events of the
# stream replayed by a PL/pgSQL procedure, one transaction each, timed with
# clock_timestamp() around each INSERT: server-side latency by outcome, no
# client or round trip involved.
#
#   make && sudo make install
#   bash bench/latency/run.sh
#
# Knobs (environment): PM_BENCH_SECONDS (30, per run), PM_BENCH_ROUNDS (2),
# PM_BENCH_CLIENTS (8), PM_BENCH_STREAM (800000 events generated: enough
# for 4 runs of 30 s on an idle machine; a run that gets to the end wraps),
# PM_BENCH_WARMUP (100000), PM_BENCH_ACCOUNTS (20), PM_BENCH_PERSONS (2000),
# PM_BENCH_SEED, PM_BENCH_PLAIN=0 (skip the baseline), PM_BENCH_DIAG (5000),
# PM_BENCH_SESSION_SETTINGS (server settings for the pgbench sessions only,
# e.g. "plan_cache_mode=force_generic_plan"), PM_PORT (54480),
# PM_BENCH_KEEP=1 (keep the work folder). Extra arguments are server -c
# options. About 3.5-4 minutes at the defaults.
set -euo pipefail
cd "$(dirname "$0")/../.."

SECONDS_PER_RUN=${PM_BENCH_SECONDS:-30}
ROUNDS=${PM_BENCH_ROUNDS:-2}
CLIENTS=${PM_BENCH_CLIENTS:-8}
STREAM=${PM_BENCH_STREAM:-800000}
WARMUP=${PM_BENCH_WARMUP:-100000}
ACCOUNTS=${PM_BENCH_ACCOUNTS:-20}
PERSONS=${PM_BENCH_PERSONS:-2000}
SEED=${PM_BENCH_SEED:-20240611}
PLAIN=${PM_BENCH_PLAIN:-1}
# settings for the benchmark's sessions only (pgbench's), e.g.
# PM_BENCH_SESSION_SETTINGS="plan_cache_mode=force_generic_plan"
BENCH_PGOPTIONS=""
for o in ${PM_BENCH_SESSION_SETTINGS:-}; do BENCH_PGOPTIONS+=" -c $o"; done
COLS="account_id, source, profile_hint, email, phone, phone_region, external_id, sms_consent, email_consent, properties"

source scripts/cluster.sh
PM_PORT=${PM_PORT:-54480} pm_cluster_start "$@"
WORK=$(mktemp -d /tmp/pm_bench_latency.XXXXXX)
chmod 755 "$WORK"
cleanup() {
  pm_cluster_stop
  if [ "${PM_BENCH_KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -At)
HZ=$(getconf CLK_TCK)
POSTMASTER=$(head -1 "$PGDATA/postmaster.pid")

echo "== profile_merge latency benchmark: single-row INSERT ... RETURNING, one transaction per event"
SO=$("$PG_CONFIG" --pkglibdir)/profile_merge.so
echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet -- src 2>/dev/null || echo ' (src has uncommitted changes)'); installed library $(date -r "$SO" '+%F %T' 2>/dev/null || echo '?'), md5 $(md5sum <"$SO" | cut -c1-12)$(cmp -s "$SO" profile_merge.so || echo ', differs from ./profile_merge.so')"
git diff --quiet -- src 2>/dev/null || echo "uncommitted in src: $(git diff --stat -- src | tail -1 | sed 's/^ *//') ($(git diff --name-only -- src | tr '\n' ' ')diff md5 $(git diff -- src | md5sum | cut -c1-12))"
[ -n "$BENCH_PGOPTIONS" ] && echo "pgbench sessions run with:$BENCH_PGOPTIONS"
echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), PostgreSQL $("${PSQL[@]}" -c 'SHOW server_version'), shared_buffers $("${PSQL[@]}" -c 'SHOW shared_buffers'), fsync off, synchronous_commit off"

t0=$(date +%s.%N)
python3 bench/ingest/gen_events.py --events "$STREAM" --accounts "$ACCOUNTS" --persons "$PERSONS" \
  --seed "$SEED" >"$WORK/stream.csv"
chmod 644 "$WORK/stream.csv"
"${PSQL[@]}" <<SQL
CREATE EXTENSION profile_merge;
CREATE TABLE bench_stream (n bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id bigint, source text, profile_hint bigint, email text, phone text, phone_region text,
  external_id text, sms_consent boolean, email_consent boolean, properties jsonb);
COPY bench_stream ($COLS) FROM '$WORK/stream.csv' WITH (FORMAT csv);
CREATE SEQUENCE bench_cursor;
CREATE SEQUENCE bench_cursor_plain;
CREATE TABLE public.events_plain (LIKE profile_merge.events INCLUDING ALL);
CREATE VIEW bench_warm AS SELECT * FROM bench_stream WHERE n <= $WARMUP;
CREATE TABLE bench_waits (label text, wait text);
CREATE PROCEDURE bench_sample_waits(l text, k int) LANGUAGE plpgsql AS \$\$
BEGIN
    FOR i IN 1..k LOOP
        PERFORM pg_stat_clear_snapshot();
        INSERT INTO bench_waits
        SELECT l, coalesce(wait_event_type || ':' || wait_event, 'CPU (no wait event)')
          FROM pg_stat_activity
         WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND state <> 'idle'
           AND application_name = 'pgbench';
        COMMIT;
        PERFORM pg_sleep(0.1);
    END LOOP;
END \$\$;
SQL
printf 'stream: %d events (%d accounts x %d persons) generated and loaded in %.1f s\n' "$STREAM" "$ACCOUNTS" "$PERSONS" \
  "$(echo "$(date +%s.%N) - $t0" | bc)"
t0=$(date +%s.%N)
"${PSQL[@]}" -c "SET client_min_messages = warning" -c "SELECT profile_merge.ingest('bench_warm', order_by => 'n')" >/dev/null
"${PSQL[@]}" -c "VACUUM ANALYZE" >/dev/null
printf 'warm-up: first %d events through profile_merge.ingest(), then VACUUM ANALYZE: %.1f s\n' "$WARMUP" \
  "$(echo "$(date +%s.%N) - $t0" | bc)"
"${PSQL[@]}" -c "SELECT 'base: ' || (SELECT count(*) FROM profile_merge.profiles WHERE merged_into IS NULL) || ' active profiles, '
                       || (SELECT count(*) FROM profile_merge.identifiers WHERE detached_at IS NULL) || ' attached identifiers, '
                       || (SELECT count(*) FROM profile_merge.consents) || ' consent rows'"

# The transaction: the next event of the stream (shared by all clients).
make_script() {  # <table> <sequence>
  cat <<SQL
INSERT INTO $1 ($COLS)
SELECT $COLS FROM bench_stream
 WHERE n = (SELECT $WARMUP + 1 + (nextval('$2') - 1) % ($STREAM - $WARMUP))
RETURNING profile_id, outcome;
SQL
}
make_script profile_merge.events bench_cursor >"$WORK/event.sql"
make_script public.events_plain bench_cursor_plain >"$WORK/plain.sql"

# sampler <dir>: every 0.2 s, for each client backend of this cluster (a
# child of the postmaster serving a Unix-socket connection): epoch pid VmRSS
# RssAnon VmHWM cpu_ticks. Polls every 5 ms until the first one appears.
sampler() {
  local dir=$1 first=1
  while [ ! -e "$dir/stop" ]; do
    local found=0
    for pid in $(pgrep -P "$POSTMASTER" 2>/dev/null); do
      [ "$pid" = "$(cat "$dir/waitpid" 2>/dev/null)" ] && continue
      grep -q '\[local\]' "/proc/$pid/cmdline" 2>/dev/null || continue
      found=1
      local cpu
      cpu=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null) || continue
      awk -v t="$(date +%s.%N)" -v p="$pid" -v c="$cpu" '/^VmRSS:/{r=$2} /^RssAnon:/{a=$2} /^VmHWM:/{h=$2}
          END{if (r) print t, p, r, a, h, c}' "/proc/$pid/status" 2>/dev/null >>"$dir/mem" || true
    done
    if [ "$first" = 1 ] && [ "$found" = 0 ]; then sleep 0.005; else first=0; sleep 0.2; fi
  done
  touch "$dir/done"
}

# run_bench <label> <script> <clients>: prints one line:
#   tps n_ok failed aborted server_errors p50_ms p90_ms p99_ms max_ms mean_ms cpu_us_per_event
#   rss0 rss1 anon0 anon1 hwm1 (kB, first/last sample of the first backend)
#   outcome mix
run_bench() {
  local label=$1 script=$2 clients=$3 dir="$WORK/$1"
  mkdir -p "$dir"
  local errs0
  errs0=$(grep -c 'ERROR' "$PM_CLUSTER_DIR/server.log" || true)
  local ev0
  ev0=$("${PSQL[@]}" -c "SELECT coalesce(max(event_id), 0) FROM profile_merge.events")
  # what the client backends wait on, every 0.1 s (one more session, asleep
  # most of the time); kept in bench_waits under this run's label. Its
  # backend is left out of the memory and CPU figures.
  "${PSQL[@]}" >/dev/null 2>&1 <<SQL &
\o $dir/waitpid
SELECT pg_backend_pid();
\o
CALL bench_sample_waits('$label', $((SECONDS_PER_RUN * 10)));
SQL
  local wp=$!
  while [ ! -s "$dir/waitpid" ]; do sleep 0.01; done
  sampler "$dir" &
  local sp=$! rc=0
  local threads=$(( clients < $(nproc) ? clients : $(nproc) ))
  (cd "$dir" && PGOPTIONS="${PGOPTIONS:-}$BENCH_PGOPTIONS" pgbench -n -M prepared -c "$clients" -j "$threads" -T "$SECONDS_PER_RUN" \
      --max-tries=1 --failures-detailed -l --log-prefix=tx -f "$script" >"$dir/out" 2>"$dir/err") || rc=$?
  touch "$dir/stop"
  wait "$sp"
  wait "$wp" || true
  local errs1
  errs1=$(grep -c 'ERROR' "$PM_CLUSTER_DIR/server.log" || true)
  local tps failed aborted
  tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' "$dir/out")
  failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$dir/out")
  aborted=$(grep -c 'aborted' "$dir/err" || true)
  [ "$rc" -ne 0 ] && [ "$aborted" = 0 ] && aborted="rc$rc"
  # latencies (us) of the committed transactions, from every thread's log
  cat "$dir"/tx.* | awk '$3 ~ /^[0-9]+$/ {print $3}' | sort -n >"$dir/lat"
  local lat
  lat=$(awk '{a[NR]=$1; s+=$1}
    END{ n=NR; if (!n) {print 0, "nan nan nan nan nan"; exit}
         i50=int(0.50*n+0.5); i90=int(0.90*n+0.5); i99=int(0.99*n+0.5); if (i50<1) i50=1; if (i90<1) i90=1; if (i99<1) i99=1
         printf "%d %.3f %.3f %.3f %.3f %.3f\n", n, a[i50]/1000, a[i90]/1000, a[i99]/1000, a[n]/1000, s/n/1000 }' "$dir/lat")
  local n_ok
  n_ok=${lat%% *}
  # backend CPU per event: last minus first sample of every backend
  local cpu_us
  cpu_us=$(awk -v hz="$HZ" -v n="$n_ok" '{ if (!($2 in c0)) c0[$2]=$6; c1[$2]=$6 }
      END{ for (p in c0) t += c1[p]-c0[p]; printf "%.0f", (n > 0 ? t/hz*1e6/n : 0) }' "$dir/mem" 2>/dev/null || echo 0)
  local mem
  mem=$(awk 'NR==1{p=$2; r0=$3; a0=$4} $2==p{r1=$3; a1=$4; h=$5} END{print r0+0, r1+0, a0+0, a1+0, h+0}' "$dir/mem" 2>/dev/null || echo "0 0 0 0 0")
  local mix
  mix=$("${PSQL[@]}" -c "SELECT string_agg(outcome || ' ' || round(100.0 * c / t, 1) || '%', ', ' ORDER BY c DESC)
                           FROM (SELECT outcome, count(*) c, sum(count(*)) OVER () t
                                   FROM profile_merge.events WHERE event_id > $ev0 GROUP BY 1) s" 2>/dev/null || echo "")
  echo "$tps $n_ok ${failed:-?} $aborted $((errs1 - errs0)) ${lat#* } $cpu_us $mem | $mix"
  if [ "$aborted" != 0 ] || [ "$((errs1 - errs0))" != 0 ]; then
    { echo "--- $label: pgbench stderr"; head -20 "$dir/err"; echo "--- server log ERRORs";
      grep -A2 'ERROR' "$PM_CLUSTER_DIR/server.log" | tail -20; } >&2
  fi
}

mb() { awk -v k="$1" 'BEGIN{printf "%.1f", k/1024}'; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

declare -a c_tps c_p50 c_p99 c_cpu d_tps d_p50 d_p99 d_cpu ratios p_tps p_p50 p_p99
d_failed_total=0; d_errors_total=0; c_errors_total=0
echo
printf '%-9s %9s %8s %6s %7s %6s %7s %7s %7s %7s %9s %5s  %s\n' run events/s events failed aborted errors p50_ms p90_ms p99_ms max_ms cpu_us/ev cores "outcomes"
line() {  # <label> <fields of run_bench...>
  local label=$1; shift
  local a=("$@")
  printf '%-9s %9.0f %8d %6s %7s %6s %7.3f %7.3f %7.3f %7.2f %9s %5.2f  %s\n' "$label" "${a[0]}" "${a[1]}" "${a[2]}" \
    "${a[3]}" "${a[4]}" "${a[5]}" "${a[6]}" "${a[7]}" "${a[8]}" "${a[10]}" "$(awk -v t="${a[0]}" -v c="${a[10]}" 'BEGIN{print t*c/1e6}')" "${a[*]:17}"
}
for r in $(seq 1 "$ROUNDS"); do
  if [ "$PLAIN" = 1 ]; then
    read -r -a f < <(run_bench "plain$r" "$WORK/plain.sql" 1)
    line "plain r$r" "${f[@]}"
    p_tps+=("${f[0]}"); p_p50+=("${f[5]}"); p_p99+=("${f[7]}")
  fi
  la_c=$(cut -d' ' -f1 /proc/loadavg)
  read -r -a f < <(run_bench "c$r" "$WORK/event.sql" 1)
  line "(c) r$r" "${f[@]}"
  c_tps+=("${f[0]}"); c_p50+=("${f[5]}"); c_p99+=("${f[7]}"); c_cpu+=("${f[10]}")
  c_errors_total=$((c_errors_total + ${f[2]:-0} + ${f[4]}))
  [ "${f[3]}" != 0 ] && c_errors_total=$((c_errors_total + 1))
  printf '          backend memory (c) r%d: VmRSS %s -> %s MB, RssAnon %s -> %s MB, VmHWM %s MB (first sample right after connecting, last at the end)\n' \
    "$r" "$(mb "${f[11]}")" "$(mb "${f[12]}")" "$(mb "${f[13]}")" "$(mb "${f[14]}")" "$(mb "${f[15]}")"
  read -r -a f < <(run_bench "d$r" "$WORK/event.sql" "$CLIENTS")
  line "(d) r$r" "${f[@]}"
  d_tps+=("${f[0]}"); d_p50+=("${f[5]}"); d_p99+=("${f[7]}"); d_cpu+=("${f[10]}")
  d_failed_total=$((d_failed_total + ${f[2]:-0}))
  d_errors_total=$((d_errors_total + ${f[4]}))
  [ "${f[3]}" != 0 ] && d_errors_total=$((d_errors_total + 1))
  ratios+=("$(awk -v d="${f[0]}" -v c="${c_tps[-1]}" 'BEGIN{printf "%.3f", d/c}')")
  echo "          load average $(cut -d' ' -f1-3 /proc/loadavg); ratio (d)/(c) this round: ${ratios[-1]}"
done

echo
echo "== summary: medians of $ROUNDS round(s) of ${SECONDS_PER_RUN} s each; load average now $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-34s %10s %9s %9s %12s\n' "" "events/s" "p50 ms" "p99 ms" "CPU us/event"
[ "$PLAIN" = 1 ] && printf '%-34s %10.0f %9.3f %9.3f\n' "plain INSERT, 1 client (baseline)" "$(median "${p_tps[@]}")" "$(median "${p_p50[@]}")" "$(median "${p_p99[@]}")"
printf '%-34s %10.0f %9.3f %9.3f %12.0f\n' "(c) 1 client" "$(median "${c_tps[@]}")" "$(median "${c_p50[@]}")" "$(median "${c_p99[@]}")" "$(median "${c_cpu[@]}")"
printf '%-34s %10.0f %9.3f %9.3f %12.0f\n' "(d) $CLIENTS clients" "$(median "${d_tps[@]}")" "$(median "${d_p50[@]}")" "$(median "${d_p99[@]}")" "$(median "${d_cpu[@]}")"
rm_=$(median "${ratios[@]}")
echo "ratio (d)/(c): per round ${ratios[*]}; median $rm_"
echo "errors: (c) $c_errors_total, (d) $d_failed_total failed transactions + $d_errors_total other errors/aborts"
p99c=$(median "${c_p99[@]}")
awk -v p="$p99c" 'BEGIN{ if (p < 1) print "target (c) p99 < 1 ms: met (" p " ms)"; else print "target (c) p99 < 1 ms: NOT met (" p " ms)" }'
awk -v r="$rm_" -v e="$((d_failed_total + d_errors_total))" 'BEGIN{
  if (r >= 1.5 && e == 0) print "target (d) >= 1.5x (c) with no errors: met (" r "x)";
  else print "target (d) >= 1.5x (c) with no errors: NOT met (" r "x, " e " errors)" }'

echo
echo "== what the benchmark's backends were doing (pg_stat_activity every 0.1 s; share of samples of non-idle backends)"
"${PSQL[@]}" -P footer=off <<'SQL'
\pset format aligned
\pset tuples_only off
SELECT w.wait,
       string_agg(l || ' ' || round(100.0 * c / t, 1) || '%', ', ' ORDER BY l) AS "share per run"
  FROM (SELECT label AS l, wait, count(*) c, sum(count(*)) OVER (PARTITION BY label) t
          FROM bench_waits GROUP BY 1, 2) w
 JOIN (SELECT wait, count(*) n FROM bench_waits GROUP BY 1) o USING (wait)
 WHERE c * 100.0 / t >= 1
 GROUP BY w.wait, o.n ORDER BY o.n DESC;
SQL

# Diagnostic: where the tail comes from. The next PM_BENCH_DIAG events
# (5,000) of the stream, one transaction each, from a PL/pgSQL procedure
# that takes clock_timestamp() around each INSERT (no client, no round trip,
# no commit): latency by outcome.
DIAG=${PM_BENCH_DIAG:-5000}
if [ "$DIAG" -gt 0 ]; then
  echo
  echo "== diagnostic: server-side latency by outcome, next $DIAG events of the stream, one transaction each (one session)"
  "${PSQL[@]}" <<SQL
CREATE TABLE bench_lat (outcome text, us numeric);
CREATE PROCEDURE bench_replay(k int) LANGUAGE plpgsql AS \$\$
DECLARE t0 timestamptz; o text;
BEGIN
    FOR i IN 1..k LOOP
        t0 := clock_timestamp();
        INSERT INTO profile_merge.events ($COLS)
        SELECT $COLS FROM bench_stream
         WHERE n = (SELECT $WARMUP + 1 + (nextval('bench_cursor') - 1) % ($STREAM - $WARMUP))
        RETURNING outcome INTO o;
        INSERT INTO bench_lat VALUES (o, extract(epoch FROM clock_timestamp() - t0) * 1e6);
        COMMIT;
    END LOOP;
END \$\$;
CALL bench_replay($DIAG);
SQL
  "${PSQL[@]}" -P footer=off <<'SQL'
\pset format aligned
\pset tuples_only off
SELECT coalesce(outcome, 'all') AS outcome, count(*) AS events,
       round(100.0 * count(*) / (SELECT count(*) FROM bench_lat), 1) AS pct,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY us)) AS p50_us,
       round(percentile_cont(0.9) WITHIN GROUP (ORDER BY us)) AS p90_us,
       round(percentile_cont(0.99) WITHIN GROUP (ORDER BY us)) AS p99_us,
       round(avg(us)) AS mean_us,
       round(100.0 * sum(us) / (SELECT sum(us) FROM bench_lat), 1) AS pct_of_time
  FROM bench_lat GROUP BY ROLLUP (outcome) ORDER BY outcome IS NULL, sum(us) DESC;
SQL
fi

