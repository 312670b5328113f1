#!/usr/bin/env bash
# bench/bulk: profile_merge.ingest(staging, order_by) against a plain COPY of
# the same rows into a copy of events without the trigger, side by side.
#
# Data: bench/ingest/gen_events.py (fixed seed): PM_BENCH_EVENTS events
# (1,000,000) over PM_BENCH_ACCOUNTS accounts (20) with PM_BENCH_PERSONS
# persons each (default: events / accounts / 10, i.e. ~10 events a person:
# a backfill of a real customer base), all seven sources, the generator's
# overlap, ~5 % invalid and ~1 % blocked values.
#
# Not timed, but reported: generating the CSV, and loading it into the
# staging table
#   staged (seq bigint identity PRIMARY KEY, <the application columns>)
# with a server-side COPY. Then PM_BENCH_ROUNDS rounds (2; no new round
# once PM_BENCH_BUDGET seconds would be overrun), each:
#   plain   COPY public.events_plain (...) FROM '<csv>' (server-side), where
#           events_plain is (LIKE profile_merge.events INCLUDING ALL):
#           identity, defaults, primary key and index, no trigger
#   ingest  SELECT profile_merge.ingest('staged', order_by => 'seq') right
#           after CREATE EXTENSION (dropped and re-created, CHECKPOINT):
#           what a first backfill meets. Cancelled by statement_timeout
#           after PM_BENCH_INGEST_TIMEOUT s (300); then the events done so
#           far (last NOTICE) are reported and it is not repeated.
#   custom  diagnostic (PM_BENCH_CUSTOM=1; off by default since ingest()
#           plans only its profile look-up and merge-log writes): the same ingest with
#           SET plan_cache_mode = force_custom_plan in its session, i.e.
#           every batch statement planned for its actual arrays (the
#           plan cache otherwise switches to a generic plan after five
#           batches); timeout PM_BENCH_CUSTOM_TIMEOUT (the same by default).
# each one statement in its own session, timed with clock_timestamp() in
# that session. Medians of the rounds; ratio = ingest rate / plain rate.
# The ingest's NOTICE progress lines are printed as they come.
#
# During each statement a loop samples the backend every 0.5 s (VmRSS,
# RssAnon, VmHWM from /proc/<pid>/status, CPU from /proc/<pid>/stat).
#
# PM_BENCH_PERF=1: at the end, one more ingest on a fresh extension (with
# force_custom_plan unless PM_BENCH_PERF_MODE=fresh) under
#   perf record -F 499 -g -p <backend pid>
# for PM_BENCH_PERF_SECONDS (60), and the top of
# `perf report --no-children --sort symbol` (and by dso).
#
#   make && sudo make install
#   bash bench/bulk/run.sh                          # 1,000,000 events
#   PM_BENCH_EVENTS=5000000 PM_BENCH_ROUNDS=1 bash bench/bulk/run.sh
#
# Knobs (environment): PM_BENCH_EVENTS, PM_BENCH_ROUNDS, PM_BENCH_ACCOUNTS,
# PM_BENCH_PERSONS, PM_BENCH_SEED, PM_BENCH_INGEST_TIMEOUT (300),
# PM_BENCH_CUSTOM (0), PM_BENCH_CUSTOM_TIMEOUT, PM_BENCH_BUDGET (420 s), PM_BENCH_PERF (0),
# PM_BENCH_PERF_MODE (custom), PM_BENCH_PERF_SECONDS (60), PM_PORT (54484),
# PM_BENCH_KEEP=1. Extra arguments are server -c options. About 8-10
# minutes at the defaults with the current build (the fresh ingest runs
# into its timeout); 5,000,000 events need ~1 GB of disk for the CSV and the
# staging table and several GB for the loaded tables.
set -euo pipefail
cd "$(dirname "$0")/../.."

EVENTS=${PM_BENCH_EVENTS:-1000000}
ROUNDS=${PM_BENCH_ROUNDS:-2}
ACCOUNTS=${PM_BENCH_ACCOUNTS:-20}
PERSONS=${PM_BENCH_PERSONS:-$(( EVENTS / ACCOUNTS / 10 > 1000 ? EVENTS / ACCOUNTS / 10 : 1000 ))}
SEED=${PM_BENCH_SEED:-20240621}
BUDGET=${PM_BENCH_BUDGET:-420}
PERF=${PM_BENCH_PERF:-0}
PERF_SECONDS=${PM_BENCH_PERF_SECONDS:-60}
PERF_MODE=${PM_BENCH_PERF_MODE:-custom}
TIMEOUT=${PM_BENCH_INGEST_TIMEOUT:-300}
CUSTOM_TIMEOUT=${PM_BENCH_CUSTOM_TIMEOUT:-$TIMEOUT}
CUSTOM=${PM_BENCH_CUSTOM:-0}
COLS="account_id, source, profile_hint, email, phone, phone_region, external_id, sms_consent, email_consent, properties"

source scripts/cluster.sh
PM_PORT=${PM_PORT:-54484} pm_cluster_start "$@"
WORK=$(mktemp -d /tmp/pm_bench_bulk.XXXXXX)
chmod 755 "$WORK"
cleanup() {
  pm_cluster_stop
  if [ "${PM_BENCH_KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -At)
HZ=$(getconf CLK_TCK)
SO=$("$PG_CONFIG" --pkglibdir)/profile_merge.so

echo "== profile_merge bulk path: ingest() against a plain COPY, $EVENTS events"
echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'); installed library $(date -r "$SO" '+%F %T' 2>/dev/null || echo '?'), md5 $(md5sum <"$SO" | cut -c1-12)$(cmp -s "$SO" profile_merge.so || echo ', differs from ./profile_merge.so')"
git diff --quiet -- src 2>/dev/null || echo "uncommitted in src: $(git diff --stat -- src | tail -1 | sed 's/^ *//') ($(git diff --name-only -- src | tr '\n' ' ')diff md5 $(git diff -- src | md5sum | cut -c1-12))"
echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), PostgreSQL $("${PSQL[@]}" -c 'SHOW server_version'), shared_buffers $("${PSQL[@]}" -c 'SHOW shared_buffers'), work_mem $("${PSQL[@]}" -c 'SHOW work_mem'), fsync off"
bench_start=$(date +%s)

t0=$(date +%s.%N)
python3 bench/ingest/gen_events.py --events "$EVENTS" --accounts "$ACCOUNTS" --persons "$PERSONS" \
  --seed "$SEED" >"$WORK/events.csv"
chmod 644 "$WORK/events.csv"
printf 'generated %d events (%d accounts x %d persons; CSV %s) in %.1f s (not timed)\n' "$EVENTS" "$ACCOUNTS" "$PERSONS" \
  "$(du -h "$WORK/events.csv" | cut -f1)" "$(echo "$(date +%s.%N) - $t0" | bc)"

"${PSQL[@]}" <<SQL
CREATE TABLE public.staged (seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id bigint, source text, profile_hint bigint, email text, phone text, phone_region text,
  external_id text, sms_consent boolean, email_consent boolean, properties jsonb);
SQL
secs=$("${PSQL[@]}" <<SQL
SELECT extract(epoch FROM clock_timestamp()) AS t0 \gset
COPY public.staged ($COLS) FROM '$WORK/events.csv' WITH (FORMAT csv);
VACUUM ANALYZE public.staged;
SELECT round((extract(epoch FROM clock_timestamp()) - :t0)::numeric, 1);
SQL
)
echo "staging table loaded (COPY + VACUUM ANALYZE) in $secs s, $("${PSQL[@]}" -c "SELECT pg_size_pretty(pg_total_relation_size('public.staged'))") (not timed)"

fresh() {
  "${PSQL[@]}" <<'SQL'
SET client_min_messages = warning;
DROP TABLE IF EXISTS public.events_plain;
DROP EXTENSION IF EXISTS profile_merge CASCADE;
CREATE EXTENSION profile_merge;
CREATE TABLE public.events_plain (LIKE profile_merge.events INCLUDING ALL);
CHECKPOINT;
SQL
}

# sampler <dir>: every 0.5 s until <dir>/stop: epoch VmRSS RssAnon VmHWM cpu_ticks
sampler() {
  local dir=$1 pid
  while [ ! -s "$dir/pid" ]; do
    [ -e "$dir/stop" ] && { touch "$dir/done"; return; }
    sleep 0.02
  done
  pid=$(cat "$dir/pid")
  while :; do
    local stop=0 cpu
    [ -e "$dir/stop" ] && stop=1
    if [ -r "/proc/$pid/status" ]; then
      cpu=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)
      awk -v t="$(date +%s.%N)" -v c="$cpu" '/^VmRSS:/{r=$2} /^RssAnon:/{a=$2} /^VmHWM:/{h=$2}
          END{print t, r, a, h, c}' "/proc/$pid/status" >>"$dir/mem" 2>/dev/null || true
    fi
    [ "$stop" = 1 ] && break
    sleep 0.5
  done
  touch "$dir/done"
}

# run_stmt <label> <sql> [timeout_s] [settings sql]: runs <sql> in a session
# of its own, NOTICEs shown live (indented) and kept in <dir>/msgs; prints:
#   status(ok|timeout) seconds cpu_s rss0 rss_peak anon0 anon_peak hwm done
# where done is the number of events of the last ingest NOTICE.
run_stmt() {
  local label=$1 sql=$2 timeout=${3:-0} settings=${4:-} dir="$WORK/$1"
  rm -rf "$dir"; mkdir -p "$dir"; chmod 777 "$dir"
  sampler "$dir" &
  local sp=$! rc=0
  "${PSQL[@]}" 2>&1 >"$dir/out" <<SQL | tee "$dir/msgs" | sed -u 's/^/           /' >&2 || rc=$?
\o $dir/pid
SELECT pg_backend_pid();
\o
$settings
SELECT pg_sleep(0.6) \g /dev/null
SET statement_timeout = '${timeout}s';
\set ON_ERROR_STOP 0
SELECT extract(epoch FROM clock_timestamp()) AS t0 \gset
$sql
SELECT extract(epoch FROM clock_timestamp()) - :t0 AS secs \gset
\set ON_ERROR_STOP 1
\! touch "$dir/stop"; while [ ! -e "$dir/done" ]; do sleep 0.05; done
SELECT :secs;
SQL
  touch "$dir/stop"
  wait "$sp"
  local status=ok
  if grep -q 'statement timeout' "$dir/msgs"; then status=timeout
  elif [ "$rc" -ne 0 ] || grep -q 'ERROR' "$dir/msgs"; then echo "$label failed" >&2; return 1; fi
  local secs done_
  secs=$(tail -1 "$dir/out")
  done_=$(sed -n 's/.*ingest: \([0-9]*\) of .*/\1/p' "$dir/msgs" | tail -1)
  awk -v st="$status" -v s="$secs" -v hz="$HZ" -v d="${done_:-0}" 'NR==1{r0=$2; a0=$3; c0=$5} {if ($2>rp) rp=$2; if ($3>ap) ap=$3; h=$4; c1=$5}
      END{print st, s, (c1-c0)/hz, r0, rp, a0, ap, h, d}' "$dir/mem"
}

mb() { awk -v k="$1" 'BEGIN{printf "%.1f", k/1024}'; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
report() {  # <label> <fields of run_stmt>
  local label=$1 st=$2 secs=$3 cpu=$4 done_=${10}
  if [ "$st" = ok ]; then
    awk -v l="$label" -v n="$EVENTS" -v s="$secs" -v c="$cpu" 'BEGIN{printf "%-10s %9.1f s %9.0f events/s   backend CPU %7.1f s (%6.1f us/event)\n", l, s, n/s, c, c*1e6/n}'
  else
    awk -v l="$label" -v n="$done_" -v s="$secs" -v c="$cpu" 'BEGIN{printf "%-10s TIMED OUT after %.0f s with %d events done (last NOTICE): <= %.0f events/s, backend CPU %.1f s\n", l, s, n, n/s, c}'
  fi
  printf '           memory: VmRSS %s -> peak %s MB, RssAnon %s -> peak %s MB, VmHWM %s MB\n' \
    "$(mb "$5")" "$(mb "$6")" "$(mb "$7")" "$(mb "$8")" "$(mb "$9")"
}

INGEST="SELECT profile_merge.ingest('public.staged', order_by => 'seq') \\g /dev/null"
CUSTOM_SET="SET plan_cache_mode = force_custom_plan;"
plain_s=(); plain_c=(); ingest_s=(); ingest_c=(); custom_s=(); custom_c=(); peak_anon=0; peak_hwm=0
ingest_state=""; custom_state=""; rounds_done=0; last=""
for r in $(seq 1 "$ROUNDS"); do
  round_start=$(date +%s)
  echo
  echo "-- round $r (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  fresh
  read -r -a f < <(run_stmt "plain$r" "COPY public.events_plain ($COLS) FROM '$WORK/events.csv' WITH (FORMAT csv);")
  report "plain r$r" "${f[@]}"
  plain_s+=("${f[1]}"); plain_c+=("${f[2]}")
  if [ "$ingest_state" != timeout ]; then
    fresh
    echo "           ingest NOTICEs:"
    read -r -a f < <(run_stmt "ingest$r" "$INGEST" "$TIMEOUT")
    report "ingest r$r" "${f[@]}"
    ingest_state=${f[0]}
    [ "${f[6]}" -gt "$peak_anon" ] && peak_anon=${f[6]}; [ "${f[7]}" -gt "$peak_hwm" ] && peak_hwm=${f[7]}
    if [ "$ingest_state" = ok ]; then ingest_s+=("${f[1]}"); ingest_c+=("${f[2]}"); last="ingest$r"
    else ingest_to=("${f[@]}"); echo "           (not repeated: it would time out again)"; fi
  fi
  if [ "$CUSTOM" = 1 ] && [ "$custom_state" != timeout ]; then
    fresh
    echo "           ingest NOTICEs (plan_cache_mode = force_custom_plan):"
    read -r -a f < <(run_stmt "custom$r" "$INGEST" "$CUSTOM_TIMEOUT" "$CUSTOM_SET")
    report "custom r$r" "${f[@]}"
    custom_state=${f[0]}
    [ "${f[6]}" -gt "$peak_anon" ] && peak_anon=${f[6]}; [ "${f[7]}" -gt "$peak_hwm" ] && peak_hwm=${f[7]}
    if [ "$custom_state" = ok ]; then custom_s+=("${f[1]}"); custom_c+=("${f[2]}"); last="custom$r"
    else custom_to=("${f[@]}"); fi
  fi
  rounds_done=$r
  now=$(date +%s)
  if [ "$r" -lt "$ROUNDS" ] && [ $((now - bench_start + now - round_start)) -gt "$BUDGET" ]; then
    echo "(stopping after $r round(s): another would overrun PM_BENCH_BUDGET=${BUDGET}s)"
    break
  fi
done

if [ -n "$last" ]; then
echo
echo "== state after the last completed ingest ($last)"
"${PSQL[@]}" -P footer=off <<'SQL'
\pset format aligned
\pset tuples_only off
SELECT outcome, count(*), round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS pct
  FROM profile_merge.events GROUP BY 1 ORDER BY 2 DESC;
SELECT (SELECT count(*) FROM profile_merge.profiles WHERE merged_into IS NULL) AS active_profiles,
       (SELECT count(*) FROM profile_merge.profiles WHERE merged_into IS NOT NULL) AS tombstones,
       (SELECT count(*) FROM profile_merge.identifiers WHERE detached_at IS NULL) AS attached,
       (SELECT count(*) FROM profile_merge.identifiers WHERE detached_at IS NOT NULL) AS detached,
       (SELECT count(*) FROM profile_merge.consents) AS consents,
       pg_size_pretty(pg_database_size(current_database())) AS database_size;
SQL
fi

mp=$(median "${plain_s[@]}"); mpc=$(median "${plain_c[@]}")
echo
echo "== summary: $EVENTS events, $rounds_done round(s), medians; load average now $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-52s %9s %11s %9s %13s\n' "" "wall s" "events/s" "cpu s" "events/cpu-s"
row() { awk -v name="$1" -v n="$EVENTS" -v s="$2" -v c="$3" 'BEGIN{printf "%-52s %9.1f %11.0f %9.1f %13.0f\n", name, s, n/s, c, (c > 0 ? n/c : 0)}'; }
row "plain COPY into events_plain" "$mp" "$mpc"
headline=""
if [ "${#ingest_s[@]}" -gt 0 ]; then
  mi=$(median "${ingest_s[@]}"); mic=$(median "${ingest_c[@]}")
  row "profile_merge.ingest(), fresh extension" "$mi" "$mic"
  awk -v p="$mp" -v i="$mi" -v pc="$mpc" -v ic="$mic" 'BEGIN{printf "ratio ingest/plain: %.3f by wall time, %.3f by backend CPU\n", p/i, pc/ic}'
  headline=$mi
elif [ -n "${ingest_to[*]:-}" ]; then
  awk -v s="${ingest_to[1]}" -v d="${ingest_to[8]}" -v p="$mp" -v n="$EVENTS" 'BEGIN{
    printf "%-52s %9s %11s\n", "profile_merge.ingest(), fresh extension", "timeout", sprintf("<= %.0f", d/s)
    printf "  (%d of %d events after %.0f s; ratio ingest/plain <= %.4f)\n", d, n, s, (d/s)/(n/p)}'
fi
if [ "${#custom_s[@]}" -gt 0 ]; then
  mc=$(median "${custom_s[@]}"); mcc=$(median "${custom_c[@]}")
  row "ingest() with force_custom_plan (diagnostic)" "$mc" "$mcc"
  awk -v p="$mp" -v i="$mc" -v pc="$mpc" -v ic="$mcc" 'BEGIN{printf "ratio custom-plan ingest/plain: %.3f by wall time, %.3f by backend CPU\n", p/i, pc/ic}'
elif [ -n "${custom_to[*]:-}" ]; then
  awk -v s="${custom_to[1]}" -v d="${custom_to[8]}" -v p="$mp" -v n="$EVENTS" 'BEGIN{
    printf "%-52s %9s %11s\n", "ingest() with force_custom_plan (diagnostic)", "timeout", sprintf("<= %.0f", d/s)
    printf "  (%d of %d events after %.0f s; ratio <= %.4f)\n", d, n, s, (d/s)/(n/p)}'
fi
echo "ingest peak memory (any ingest above): RssAnon $(mb "$peak_anon") MB, VmHWM $(mb "$peak_hwm") MB"
if [ -n "$headline" ]; then
  awk -v n="$EVENTS" -v i="$headline" -v p="$mp" 'BEGIN{
    rate = n / i; t5 = 5000000 / rate
    printf "target 5,000,000 events in under 120 s (>= 41,667 events/s): %s (%.0f events/s: 5,000,000 in ~%.0f s at this rate)\n", (t5 < 120 ? "met" : "NOT met"), rate, t5
    printf "target ingest >= 60%% of a plain COPY: %s (%.1f%%)\n", (p / i >= 0.6 ? "met" : "NOT met"), 100 * p / i }'
else
  echo "target 5,000,000 events in under 120 s: NOT met (the fresh ingest of $EVENTS timed out)"
  echo "target ingest >= 60% of a plain COPY: NOT met"
fi

if [ "$PERF" = 1 ]; then
  echo
  echo "== perf: one more ingest on a fresh extension ($PERF_MODE), recorded for up to ${PERF_SECONDS} s"
  fresh
  perf_set=""; [ "$PERF_MODE" = custom ] && perf_set=$CUSTOM_SET
  dir="$WORK/perf"; mkdir -p "$dir"; chmod 777 "$dir"
  "${PSQL[@]}" >"$dir/out" 2>&1 <<SQL &
\o $dir/pid
SELECT pg_backend_pid();
\o
$perf_set
SET statement_timeout = '${PERF_SECONDS}s';
SELECT pg_sleep(1) \g /dev/null
SELECT profile_merge.ingest('public.staged', order_by => 'seq') \g /dev/null
SQL
  ppid=$!
  while [ ! -s "$dir/pid" ]; do sleep 0.05; done
  perf record -F 499 -g -o "$dir/perf.data" -p "$(cat "$dir/pid")" -- sleep "$PERF_SECONDS" >/dev/null 2>"$dir/perf.err" || cat "$dir/perf.err"
  wait "$ppid" || true
  perf report -i "$dir/perf.data" --no-children --sort dso --stdio --call-graph=none 2>/dev/null | grep -v '^$' | grep -v '^#' | sed 's/ *$//' | head -12
  echo
  perf report -i "$dir/perf.data" --no-children --sort symbol --stdio --call-graph=none --percent-limit 0.7 2>/dev/null \
    | grep -v '^$' | grep -v '^#' | sed 's/  *- *- *$//; s/ *$//' | cut -c1-150 | head -45
  if [ "${PM_BENCH_KEEP:-0}" = 1 ]; then echo "perf data: $dir/perf.data"; fi
fi
echo
echo "total $(( $(date +%s) - bench_start )) s"
