#!/usr/bin/env bash
# bench/normalize: normalize_phone and normalize_email against their limits
# and naive alternatives, measured side by side in one run.
#
#   make && sudo make install      # the extension being measured
#   bash bench/normalize/run.sh [REPS]
#
# REPS (default 3) is how many times each measurement runs; the rounds are
# interleaved (every measurement once, then again) and the table reports
# the median. See bench/README.md for what is measured and the figures.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPS=${1:-3}
B=bench/normalize
OUT=$B/build
mkdir -p "$OUT"
export LC_ALL=C

say() { printf '%s  %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# ---------------------------------------------------------------- build + data
say "building the generator and the raw libphonenumber loop"
g++ -O2 -std=c++17 -Wall -Wextra -o "$OUT/gen_data" "$B/gen_data.cpp" -lphonenumber
g++ -O2 -std=c++17 -Wall -Wextra -o "$OUT/raw_libphonenumber" "$B/raw_libphonenumber.cpp" -lphonenumber
# Replays the repeated stream through the extension's own memo template;
# informative only, so a change of its interface does not stop the run.
g++ -O2 -std=c++17 -Isrc -DPM_BUILDING_CORE -o "$OUT/memo_hits" "$B/memo_hits.cpp" 2>"$OUT/memo_hits.log" \
  || { say "memo_hits did not build (see $OUT/memo_hits.log); no hit rate in the report"; rm -f "$OUT/memo_hits"; }

data_ok=yes
for f in phones_distinct.tsv phones_repeat.tsv phones_warm.tsv emails.txt; do
  [ -s "$OUT/$f" ] && [ "$OUT/$f" -nt "$B/gen_data.cpp" ] || data_ok=no
done
if [ $data_ok = no ]; then
  say "generating 1,000,000 phone numbers (x2) and 1,000,000 addresses (fixed seed)"
  "$OUT/gen_data" "$OUT"
fi

source scripts/pg_bindir.sh   # PG_CONFIG: the server measured (cluster.sh, below, uses it too)
installed="$("$PG_CONFIG" --pkglibdir)/profile_merge.so"
if [ -f profile_merge.so ] && ! cmp -s profile_merge.so "$installed"; then
  say "WARNING: the installed $installed differs from ./profile_merge.so (run make install?)"
fi
so_before=$(md5sum <"$installed")

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -n "$(git status --porcelain -- src Makefile 2>/dev/null)" ] && commit+=" (with uncommitted changes in src/)"

# ---------------------------------------------------------------- cluster
# No parallel workers (the raw loop is one thread; so is each SQL run), no
# JIT (it cannot inline C functions and only adds compile time), and
# shared_buffers large enough that the three 1M-row tables stay cached
# (a seq scan of a table above shared_buffers/4 uses a small ring buffer).
# The library is preloaded: every backend forks with the build installed now,
# even if a `make install` replaces the file during the run.
source scripts/cluster.sh
PM_PORT=${PM_PORT:-54430} pm_cluster_start jit=off max_parallel_workers_per_gather=0 shared_buffers=1GB \
  shared_preload_libraries=profile_merge

psql_q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

say "loading the data (COPY)"
psql_q <<SQL
CREATE EXTENSION profile_merge;
CREATE TABLE phones_distinct (raw text NOT NULL, region text NOT NULL);
CREATE TABLE phones_repeat   (raw text NOT NULL, region text NOT NULL);
CREATE TABLE phones_warm     (raw text NOT NULL, region text NOT NULL);
CREATE TABLE emails          (raw text NOT NULL);
\copy phones_distinct FROM '$OUT/phones_distinct.tsv'
\copy phones_repeat   FROM '$OUT/phones_repeat.tsv'
\copy phones_warm     FROM '$OUT/phones_warm.tsv'
\copy emails          FROM '$OUT/emails.txt'
VACUUM (FREEZE, ANALYZE) phones_distinct, phones_repeat, phones_warm, emails;

-- Diagnostic, not part of the extension: the same C entry point as
-- profile_merge.normalize_email, declared without the function's
-- "SET search_path" clause (see bench/README.md).
CREATE FUNCTION bench_normalize_email_noset(text) RETURNS text
    AS '\$libdir/profile_merge', 'pm_normalize_email' LANGUAGE C IMMUTABLE STRICT;

-- Times one query that returns one bigint, inside the server: wall-clock
-- time, and the backend's own CPU time (the first field of
-- /proc/self/schedstat: nanoseconds spent on a CPU), which leaves out the
-- time spent waiting for a core on a busy machine.
CREATE FUNCTION bench_cpu_ns() RETURNS bigint LANGUAGE sql AS
  \$\$ SELECT split_part(pg_read_file('/proc/self/schedstat'), ' ', 1)::bigint \$\$;
CREATE FUNCTION bench_time(q text, OUT n bigint, OUT secs float8, OUT cpu_secs float8)
LANGUAGE plpgsql AS \$\$
DECLARE t0 timestamptz; c0 bigint;
BEGIN
  c0 := bench_cpu_ns();
  t0 := clock_timestamp();
  EXECUTE q INTO n;
  secs := extract(epoch FROM clock_timestamp() - t0);
  cpu_secs := (bench_cpu_ns() - c0) / 1e9;
END \$\$;
SQL
# Read every table once into shared buffers.
psql_q -At -c "SELECT count(*) FROM phones_distinct" -c "SELECT count(*) FROM phones_repeat" \
  -c "SELECT count(*) FROM emails" >/dev/null

# ---------------------------------------------------------------- measurements
RESULTS="$OUT/results.tsv"
: >"$RESULTS"

# Each SQL measurement runs in a new session (a new backend: an empty phone
# memo), which first warms up on rows that the timed query does not contain.
WARM_PHONE="SELECT count(profile_merge.try_normalize_phone(raw, region)) FROM phones_warm"
WARM_EMAIL_PM="SELECT count(profile_merge.normalize_email(raw)) FROM (SELECT raw FROM emails LIMIT 10000) s"
WARM_EMAIL_PLAIN="SELECT count(lower(btrim(raw))) FROM (SELECT raw FROM emails LIMIT 10000) s"

# results.tsv: name, round, rows, wall seconds, CPU seconds
record() {  # name rep rows secs cpu_secs
  printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >>"$RESULTS"
  say "  $(printf '%-26s' "$1") round $2: $3 rows in $(printf '%7.3f' "$4") s wall, $(printf '%7.3f' "$5") s CPU" \
      "= $(awk -v n="$3" -v s="$4" -v c="$5" 'BEGIN { printf "%.0f rows/s wall, %.0f rows/s CPU", n / s, n / c }')"
}

sql_measure() {  # name rep warm-query query
  local out n secs cpu
  out=$(psql_q -At -c "$3" -c "SELECT concat_ws(' ', n, secs, cpu_secs) FROM bench_time(\$q\$$4\$q\$)" | tail -1)
  read -r n secs cpu <<<"$out"
  [ "$n" = 1000000 ] || { echo "$1: expected 1000000 rows, got '$out'" >&2; exit 1; }
  record "$1" "$2" "$n" "$secs" "$cpu"
}

raw_measure() {  # name rep mode file
  local out n ok secs cpu
  out=$("$OUT/raw_libphonenumber" "$3" "$4" "$OUT/phones_warm.tsv")
  n=$(sed -n 's/.*rows=\([0-9]*\) .*/\1/p' <<<"$out")
  ok=$(sed -n 's/.* ok=\([0-9]*\) .*/\1/p' <<<"$out")
  secs=$(sed -n 's/.* secs=\([0-9.]*\) .*/\1/p' <<<"$out")
  cpu=$(sed -n 's/.* cpu_secs=\([0-9.]*\) .*/\1/p' <<<"$out")
  [ "$ok" = 1000000 ] || { echo "$1: expected 1000000 numbers accepted: $out" >&2; exit 1; }
  record "$1" "$2" "$n" "$secs" "$cpu"
}

NP="profile_merge.normalize_phone(raw, region)"
for rep in $(seq 1 "$REPS"); do
  say "round $rep of $REPS"
  raw_measure phone_raw_full          "$rep" full         "$OUT/phones_distinct.tsv"
  sql_measure phone_pm_distinct       "$rep" "$WARM_PHONE" "SELECT count($NP) FROM phones_distinct"
  raw_measure phone_raw_parse_format  "$rep" parse-format "$OUT/phones_distinct.tsv"
  sql_measure phone_regexp            "$rep" "$WARM_PHONE" \
    "SELECT count(regexp_replace(raw, '[^0-9+]', '', 'g')) FROM phones_distinct"
  sql_measure phone_scan_only         "$rep" "$WARM_PHONE" "SELECT count(raw) FROM phones_distinct"
  sql_measure phone_pm_repeat         "$rep" "$WARM_PHONE" "SELECT count($NP) FROM phones_repeat"
  sql_measure email_lower_btrim       "$rep" "$WARM_EMAIL_PLAIN" "SELECT count(lower(btrim(raw))) FROM emails"
  sql_measure email_pm                "$rep" "$WARM_EMAIL_PM" \
    "SELECT count(profile_merge.normalize_email(raw)) FROM emails"
  sql_measure email_pm_noset          "$rep" "$WARM_EMAIL_PM" \
    "SELECT count(bench_normalize_email_noset(raw)) FROM emails"
  sql_measure email_scan_only         "$rep" "$WARM_EMAIL_PLAIN" "SELECT count(raw) FROM emails"
done

so_note=""
[ "$(md5sum <"$installed")" = "$so_before" ] \
  || { so_note="note: $installed was replaced during the run; the figures are of the build preloaded at the start"; say "$so_note"; }

# The memo's hit rate on each phone stream, at the capacity the source gives it.
memo_note="memo hit rate: not measured"
if [ -x "$OUT/memo_hits" ]; then
  cap=$(sed -n 's/.*kPhoneMemoCapacity = \([0-9]*\).*/\1/p' src/pg/resolve/phone_memo.cpp | head -1)
  cap=${cap:-50000}
  hits=$(cd "$OUT" && WARM=phones_warm.tsv ./memo_hits "$cap" phones_distinct.tsv phones_repeat.tsv \
           | sed -n 's/^phones_\([a-z]*\).tsv .*hit_rate=\(.*\)$/\1 \2/p' | paste -sd, | sed 's/,/, /g')
  memo_note="memo hit rate (src/core/memo.hpp at $cap entries a generation, replayed outside Postgres): $hits"
fi

# ---------------------------------------------------------------- report
cpu=$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)
versions="PostgreSQL $(psql_q -At -c 'SHOW server_version' | cut -d' ' -f1), libphonenumber $(dpkg-query -W -f='${Version}' libphonenumber8 2>/dev/null || echo '?'), extension $(psql_q -At -c "SELECT extversion FROM pg_extension WHERE extname = 'profile_merge'") (profile_merge.so md5 ${so_before:0:12})"

awk -F'\t' -v reps="$REPS" -v commit="$commit" -v cpu="$cpu" -v cores="$(nproc)" \
    -v versions="$versions" -v load="$(cut -d' ' -f1-3 /proc/loadavg)" \
    -v memo_note="$memo_note" -v so_note="$so_note" \
    -f "$B/report.awk" "$RESULTS" | tee "$OUT/report.md"
