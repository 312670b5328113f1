#!/usr/bin/env bash
# bench/ingest: COPY of generated events into profile_merge.events (the C++
# BEFORE INSERT trigger resolves every row) against COPY of the same rows
# into events_plain, a copy of the table without the trigger.
#
#   make && sudo make install
#   bash bench/ingest/run.sh            # 200,000 events, 3 alternating rounds
#
# Scenarios:
#   plain     COPY into public.events_plain (LIKE profile_merge.events
#             INCLUDING ALL: identity, defaults, indexes; no trigger)
#   fresh     COPY into profile_merge.events right after CREATE EXTENSION:
#             what a first bulk load meets (empty, never analyzed tables)
#   primed    the first 10% of the same rows in one COPY, ANALYZE, then the
#             other 90% timed in a second COPY: the same load once the
#             planner has statistics (PM_BENCH_PRIMED=0 skips it)
# Rounds alternate plain and fresh; medians are reported. Each COPY is one
# statement in one transaction, in its own psql session, into a fresh state
# (events_plain re-created; the extension dropped and re-created).
#
# While a COPY runs, a background loop samples the backend
# (pg_backend_pid() of the COPY's session) every 0.5 s: VmRSS, RssAnon and
# VmHWM from /proc/<pid>/status, CPU time from /proc/<pid>/stat, and every
# 5 s the rows done (pg_stat_progress_copy) and the locks it holds.
#
# Knobs (environment): PM_BENCH_EVENTS (200000), PM_BENCH_ROUNDS (3),
# PM_BENCH_SEED, PM_BENCH_COPY_TIMEOUT (240 s: a triggered COPY still
# running then is cancelled and reported as timed out, with the rows it had
# done), PM_BENCH_BUDGET (600 s: no new round once another would overrun
# it), PM_BENCH_PRIMED (1), PM_PORT (54440), PM_BENCH_KEEP=1 keeps the work
# folder. Extra arguments are passed to the server as -c options, e.g.
#   bash bench/ingest/run.sh shared_buffers=512MB
set -euo pipefail
cd "$(dirname "$0")/../.."

EVENTS=${PM_BENCH_EVENTS:-200000}
ROUNDS=${PM_BENCH_ROUNDS:-3}
SEED=${PM_BENCH_SEED:-20240601}
TIMEOUT=${PM_BENCH_COPY_TIMEOUT:-240}
BUDGET=${PM_BENCH_BUDGET:-600}
PRIMED=${PM_BENCH_PRIMED:-1}
COLS="account_id, source, profile_hint, email, phone, phone_region, external_id, sms_consent, email_consent, properties"

source scripts/cluster.sh
PM_PORT=${PM_PORT:-54440} pm_cluster_start "$@"
WORK=$(mktemp -d /tmp/pm_bench_ingest.XXXXXX)
chmod 755 "$WORK"
cleanup() {
  pm_cluster_stop
  if [ "${PM_BENCH_KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

PSQL=(psql -X -q -v ON_ERROR_STOP=1 -At)
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"
HZ=$(getconf CLK_TCK)

echo "== profile_merge ingest benchmark"
echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet -- src 2>/dev/null || echo ' (src has uncommitted changes)'); installed library $(date -r "$("$PG_CONFIG" --pkglibdir)/profile_merge.so" '+%F %T' 2>/dev/null || echo '?')"
echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), PostgreSQL $("${PSQL[@]}" -c 'SHOW server_version'), shared_buffers $("${PSQL[@]}" -c 'SHOW shared_buffers'), fsync off"

t0=$(date +%s.%N)
python3 bench/ingest/gen_events.py --events "$EVENTS" --seed "$SEED" >"$WORK/events.csv"
chmod 644 "$WORK/events.csv"
printf 'generated %d events (%s) in %.1f s\n' "$(wc -l <"$WORK/events.csv")" \
  "$(du -h "$WORK/events.csv" | cut -f1)" "$(echo "$(date +%s.%N) - $t0" | bc)"

fresh_plain() {
  "${PSQL[@]}" <<'SQL'
CREATE EXTENSION IF NOT EXISTS profile_merge;
DROP TABLE IF EXISTS public.events_plain;
CREATE TABLE public.events_plain (LIKE profile_merge.events INCLUDING ALL);
CHECKPOINT;
SQL
}

fresh_triggered() {
  "${PSQL[@]}" <<'SQL'
DROP TABLE IF EXISTS public.events_plain;
DROP EXTENSION IF EXISTS profile_merge CASCADE;
CREATE EXTENSION profile_merge;
CHECKPOINT;
SQL
}

# sampler <dir>: samples the backend whose pid appears in <dir>/pid every
# 0.5 s until <dir>/stop exists, takes a last sample then, writes <dir>/done.
#   <dir>/rss:      epoch VmRSS_kB RssAnon_kB VmHWM_kB cpu_ticks
#   <dir>/progress: epoch locks_held rows_done   (every 5 s)
sampler() {
  local dir=$1 pid i=0 stop cpu
  while [ ! -s "$dir/pid" ]; do
    [ -e "$dir/stop" ] && { touch "$dir/done"; return; }
    sleep 0.02
  done
  pid=$(cat "$dir/pid")
  while :; do
    stop=0
    [ -e "$dir/stop" ] && stop=1
    if [ -r "/proc/$pid/status" ]; then
      cpu=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)
      awk -v t="$(date +%s.%N)" -v c="$cpu" '/^VmRSS:/{r=$2} /^RssAnon:/{a=$2} /^VmHWM:/{h=$2}
                                 END{print t, r, a, h, c}' "/proc/$pid/status" >>"$dir/rss"
    fi
    if [ $((i % 10)) -eq 3 ] && [ "$stop" = 0 ]; then
      psql -X -At -F ' ' -c "SELECT extract(epoch FROM clock_timestamp()),
             (SELECT count(*) FROM pg_locks WHERE pid = $pid),
             coalesce((SELECT tuples_processed FROM pg_stat_progress_copy WHERE pid = $pid), -1)" \
        >>"$dir/progress" 2>/dev/null || true
    fi
    [ "$stop" = 1 ] && break
    i=$((i + 1))
    sleep 0.5
  done
  touch "$dir/done"
}

# run_copy <label> <table> <csv> [timeout_s]: one COPY in its own session.
# Prints: status(ok|timeout) rows seconds cpu_s rss0 rss_peak rss_end
#         anon0 anon_peak anon_end hwm locks_max context_bytes
run_copy() {
  local label=$1 table=$2 csv=$3 timeout=${4:-0} dir="$WORK/$1"
  rm -rf "$dir"; mkdir -p "$dir"; chmod 777 "$dir"
  sampler "$dir" &
  local sampler_pid=$! rc=0
  PM_DIR="$dir" "${PSQL[@]}" >"$dir/out" 2>"$dir/err" <<SQL || rc=$?
\o $dir/pid
SELECT pg_backend_pid();
\o
SELECT pg_sleep(0.6) \g /dev/null
SET statement_timeout = '${timeout}s';
\set ON_ERROR_STOP 0
SELECT extract(epoch FROM clock_timestamp()) AS t0 \gset
\copy $table ($COLS) FROM '$csv' WITH (FORMAT csv)
SELECT extract(epoch FROM clock_timestamp()) - :t0 AS secs \gset
\set ON_ERROR_STOP 1
RESET statement_timeout;
\! touch "\$PM_DIR/stop"; while [ ! -e "\$PM_DIR/done" ]; do sleep 0.05; done
SELECT :secs, (SELECT sum(total_bytes) FROM pg_backend_memory_contexts);
SQL
  touch "$dir/stop"
  wait "$sampler_pid"
  if [ "$rc" -ne 0 ]; then
    echo "COPY into $table failed ($label):" >&2
    cat "$dir/err" >&2
    return 1
  fi
  local status=ok secs ctx rows
  read -r secs ctx < <(grep '|' "$dir/out" | tail -1 | tr '|' ' ')
  rows=$(wc -l <"$csv")
  if grep -q 'statement timeout' "$dir/err"; then
    status=timeout
    rows=$(awk '$3 >= 0 {r=$3} END{print r+0}' "$dir/progress" 2>/dev/null || echo 0)
  elif [ -s "$dir/err" ]; then
    echo "COPY into $table failed ($label):" >&2
    cat "$dir/err" >&2
    return 1
  fi
  local locks=0
  [ -s "$dir/progress" ] && locks=$(awk '{if ($2 > m) m = $2} END{print m+0}' "$dir/progress")
  awk -v st="$status" -v n="$rows" -v s="$secs" -v l="$locks" -v c="$ctx" -v hz="$HZ" '
    NR==1 {r0=$2; a0=$3; c0=$5} {if ($2>rp) rp=$2; if ($3>ap) ap=$3; r1=$2; a1=$3; h=$4; c1=$5}
    END {print st, n, s, (c1-c0)/hz, r0, rp, r1, a0, ap, a1, h, l, c}' "$dir/rss"
}

mb() { awk -v k="$1" 'BEGIN{printf "%.1f", k/1024}'; }

# report <scenario> <round> <fields of run_copy...>
report() {
  local name=$1 round=$2 st=$3 n=$4 s=$5 cpu=$6 r0=$7 rp=$8 r1=$9 a0=${10} ap=${11} a1=${12} h=${13} l=${14} c=${15}
  local what
  if [ "$st" = ok ]; then
    what=$(awk -v n="$n" -v s="$s" -v c="$cpu" 'BEGIN{printf "%7d rows %8.2f s %8.0f ev/s (cpu %7.2f s, %7.0f ev/cpu-s)", n, s, n/s, c, (c > 0 ? n/c : 0)}')
  else
    what=$(awk -v n="$n" -v s="$s" -v c="$cpu" 'BEGIN{printf "TIMED OUT after %.0f s with %d rows done: <= %.0f ev/s (cpu %.2f s)", s, n, n/s, c}')
  fi
  printf '%-7s %s  %s\n' "$name" "${round:+r$round}" "$what"
  printf '          memory: VmRSS %s -> peak %s -> end %s MB, RssAnon %s -> peak %s -> end %s MB, VmHWM %s MB' \
    "$(mb "$r0")" "$(mb "$rp")" "$(mb "$r1")" "$(mb "$a0")" "$(mb "$ap")" "$(mb "$a1")" "$(mb "$h")"
  [ "$name" = plain ] || printf ', locks held <= %s, memory contexts after COPY %s MB' "$l" "$(mb $((c / 1024)))"
  echo
}

# timeline <dir>: rows done and rate per interval, with memory, ~12 lines.
timeline() {
  local dir=$1
  [ -s "$dir/progress" ] || return 0
  echo "          time    rows done   ev/s in interval   VmRSS MB  RssAnon MB  locks"
  awk 'NR==FNR {t[NR]=$1; r[NR]=$2; a[NR]=$3; n=NR; next}
       {pt[++m]=$1; pl[m]=$2; pr[m]=$3}
       END {
         t0 = t[1]; step = m > 12 ? int(m / 12) : 1; lt = t0; lr = 0
         for (i = 1; i <= m; i++) {
           if (pr[i] < 0) continue
           if (i % step && i != m) continue
           # nearest memory sample
           for (j = 1; j < n && t[j] < pt[i]; j++) ;
           printf "        %6.0f s %10d %18.0f %10.1f %11.1f %6d\n", pt[i]-t0, pr[i], (pr[i]-lr)/(pt[i]-lt), r[j]/1024, a[j]/1024, pl[i]
           lt = pt[i]; lr = pr[i]
         }
       }' "$dir/rss" "$dir/progress"
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

plain_s=(); plain_c=(); fresh_s=(); fresh_c=()
fresh_state=""      # "ok" or "timeout" (of the last fresh run)
last_loaded=""      # label of the last triggered load that completed
bench_start=$(date +%s)
rounds_done=0
echo
for round in $(seq 1 "$ROUNDS"); do
  round_start=$(date +%s)
  fresh_plain
  read -r -a f < <(run_copy "plain$round" public.events_plain "$WORK/events.csv")
  report plain "$round" "${f[@]}"
  plain_s+=("${f[2]}"); plain_c+=("${f[3]}")
  if [ "$fresh_state" != timeout ]; then
    fresh_triggered
    read -r -a f < <(run_copy "fresh$round" profile_merge.events "$WORK/events.csv" "$TIMEOUT")
    report fresh "$round" "${f[@]}"
    fresh_state=${f[0]}
    if [ "$fresh_state" = ok ]; then
      fresh_s+=("${f[2]}"); fresh_c+=("${f[3]}"); last_loaded="fresh$round"
    else
      timeline "$WORK/fresh$round"
      fresh_timeout_rows=${f[1]}; fresh_timeout_s=${f[2]}
      echo "          (fresh is not repeated: it would time out again)"
    fi
  fi
  rounds_done=$round
  now=$(date +%s)
  if [ "$round" -lt "$ROUNDS" ] && [ "$fresh_state" = ok ] &&
     [ $((now - bench_start + now - round_start)) -gt "$BUDGET" ]; then
    echo "(stopping after $round round(s): another would overrun PM_BENCH_BUDGET=${BUDGET}s)"
    break
  fi
done
[ "$fresh_state" = ok ] && [ -n "$last_loaded" ] && timeline "$WORK/$last_loaded"

if [ "$PRIMED" = 1 ]; then
  echo
  prime_rows=$((EVENTS / 10))
  head -n "$prime_rows" "$WORK/events.csv" >"$WORK/prime.csv"
  tail -n +"$((prime_rows + 1))" "$WORK/events.csv" >"$WORK/rest.csv"
  chmod 644 "$WORK/prime.csv" "$WORK/rest.csv"
  fresh_triggered
  read -r -a f < <(run_copy prime profile_merge.events "$WORK/prime.csv" "$TIMEOUT")
  report prime "" "${f[@]}"
  if [ "${f[0]}" = ok ]; then
    "${PSQL[@]}" -c "ANALYZE profile_merge.profiles, profile_merge.identifiers, profile_merge.consents, profile_merge.merges, profile_merge.events, profile_merge.sources, profile_merge.blocked_values"
    read -r -a f < <(run_copy primed profile_merge.events "$WORK/rest.csv" "$TIMEOUT")
    report primed "" "${f[@]}"
    timeline "$WORK/primed"
    primed_state=${f[0]}; primed_rows=${f[1]}; primed_s=${f[2]}; primed_c=${f[3]}
    [ "$primed_state" = ok ] && last_loaded=primed
  fi
fi

mp=$(median "${plain_s[@]}"); mpc=$(median "${plain_c[@]}")
echo
echo "== summary: $EVENTS events, $rounds_done round(s), one COPY = one transaction; load average now $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-44s %9s %9s %11s %13s\n' "scenario" "wall s" "cpu s" "events/s" "events/cpu-s"
row() { awk -v name="$1" -v n="$2" -v s="$3" -v c="$4" 'BEGIN{printf "%-44s %9.2f %9.2f %11.0f %13.0f\n", name, s, c, n/s, (c > 0 ? n/c : 0)}'; }
row "plain COPY, no trigger (median)" "$EVENTS" "$mp" "$mpc"
if [ "${#fresh_s[@]}" -gt 0 ]; then
  mt=$(median "${fresh_s[@]}"); mtc=$(median "${fresh_c[@]}")
  row "triggered, fresh extension (median)" "$EVENTS" "$mt" "$mtc"
  awk -v p="$mp" -v t="$mt" -v pc="$mpc" -v tc="$mtc" -v n="$EVENTS" 'BEGIN{
    printf "ratio triggered/plain: %.4f (the trigger makes COPY %.0fx slower); %.0f us of backend CPU per event in the trigger\n", p/t, t/p, (tc-pc)*1e6/n}'
  headline=$(awk -v n="$EVENTS" -v t="$mt" 'BEGIN{printf "%.0f", n/t}')
else
  awk -v n="$fresh_timeout_rows" -v s="$fresh_timeout_s" -v p="$mp" -v e="$EVENTS" 'BEGIN{
    printf "%-44s %9s %9s %11s\n", "triggered, fresh extension", "timeout", "", sprintf("<= %.0f", n/s)
    printf "  (%d of %d rows after %.0f s; ratio triggered/plain <= %.4f)\n", n, e, s, (n/s)/(e/p)}'
  headline=$(awk -v n="$fresh_timeout_rows" -v s="$fresh_timeout_s" 'BEGIN{printf "%.0f", n/s}')
fi
if [ "${primed_state:-}" = ok ]; then
  row "triggered, primed + ANALYZE (last 90%)" "$primed_rows" "$primed_s" "$primed_c"
  awk -v n="$primed_rows" -v s="$primed_s" -v p="$mp" -v e="$EVENTS" 'BEGIN{printf "ratio primed/plain: %.4f\n", (n/s)/(e/p)}'
fi
if [ "$headline" -ge 10000 ]; then echo "target 10,000 events/s (fresh, one session): met ($headline)"
else echo "target 10,000 events/s (fresh, one session): NOT met ($headline)"; fi

if [ -n "$last_loaded" ]; then
  echo
  echo "== state after the last completed triggered load ($last_loaded$([ "$last_loaded" = primed ] && echo ': prime + rest = all events'))"
  "${PSQL[@]}" -P footer=off <<'SQL'
\pset format aligned
\pset tuples_only off
SELECT outcome, count(*), round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS pct
  FROM profile_merge.events GROUP BY 1 ORDER BY 2 DESC;
SELECT d->>'action' AS detail_action, count(*)
  FROM profile_merge.events, jsonb_array_elements(detail) d GROUP BY 1 ORDER BY 2 DESC;
SELECT source,
       count(*) FILTER (WHERE outcome = 'created')  AS created,
       count(*) FILTER (WHERE outcome = 'matched')  AS matched,
       count(*) FILTER (WHERE outcome = 'updated')  AS updated,
       count(*) FILTER (WHERE outcome = 'merged')   AS merged,
       count(*) FILTER (WHERE outcome = 'conflict') AS conflict,
       count(*) FILTER (WHERE outcome = 'rejected') AS rejected
  FROM profile_merge.events GROUP BY 1 ORDER BY 1;
SELECT (SELECT count(*) FROM profile_merge.profiles WHERE merged_into IS NULL) AS active_profiles,
       (SELECT count(*) FROM profile_merge.profiles WHERE merged_into IS NOT NULL) AS tombstones,
       (SELECT count(*) FROM profile_merge.merges) AS merges,
       (SELECT count(*) FROM profile_merge.identifiers WHERE detached_at IS NULL) AS attached,
       (SELECT count(*) FROM profile_merge.identifiers WHERE detached_at IS NOT NULL) AS detached,
       (SELECT count(*) FROM profile_merge.consents) AS consents;
-- sanity: a profile's columns equal its attached identifiers
SELECT count(*) AS profiles_disagreeing_with_identifiers
  FROM profile_merge.profiles p
 WHERE p.merged_into IS NULL AND (
       p.email       IS DISTINCT FROM (SELECT value FROM profile_merge.identifiers i WHERE i.account_id = p.account_id AND i.profile_id = p.profile_id AND i.kind = 'email' AND detached_at IS NULL)
    OR p.phone       IS DISTINCT FROM (SELECT value FROM profile_merge.identifiers i WHERE i.account_id = p.account_id AND i.profile_id = p.profile_id AND i.kind = 'phone' AND detached_at IS NULL)
    OR p.external_id IS DISTINCT FROM (SELECT value FROM profile_merge.identifiers i WHERE i.account_id = p.account_id AND i.profile_id = p.profile_id AND i.kind = 'external_id' AND detached_at IS NULL));
SQL
fi
echo
echo "total $(( $(date +%s) - bench_start )) s"
