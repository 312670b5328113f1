#!/usr/bin/env bash
# The pg_regress suites and a leak check under valgrind (memcheck), with the
# extension as installed (build and install first: make && sudo make install;
# this script does both). See test/valgrind/README.md for what it finds and
# how long it takes (about 10 minutes on 2 cores).
#
#   bash test/valgrind/run.sh            both parts
#   PM_VG_PARTS=suite bash ...           only the pg_regress suites
#   PM_VG_PARTS=leak bash ...            only the leak check
#
# Part 1, suite: a throwaway cluster whose postmaster runs under valgrind
#   (--trace-children=yes; every backend is a fork of it, so it runs under
#   valgrind too, each writing its own log, vg/<pid>.log). `make installcheck`
#   runs every suite in sql/ against it. Then the logs are read: every error
#   valgrind reported, by kind and by whose frames it is in; the part fails
#   on an invalid read/write/free, a use of uninitialised memory or a
#   definite leak with a frame of profile_merge, libphonenumber (and its
#   protobuf/abseil) or ICU in its stack, on a backend that died, or on a
#   failing suite.
# Part 2, leak: the same server binary in single-user mode (postgres
#   --single) under valgrind --leak-check=full, once with
#   N = PM_VG_LEAK_SMALL (1,000) and once with PM_VG_LEAK_LARGE (10,000)
#   events (plus, per 500 events, a failing statement, a batch of direct
#   consent rows and of normalizer calls, and one profile_merge.ingest() of
#   N/10 staged events). "definitely lost" and "indirectly lost" must not
#   grow with N.
#
# Settings: PM_VG_PORT (54491), PM_VG_KEEP=1 keeps the work folder (it is
# kept anyway when something failed), PM_VG_SUITE_TIMEOUT (10800 s).
# Exit status 0 when every part that ran passed.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
source scripts/cluster.sh   # PM_PGBIN, pm_as_server_user (no cluster is started from it)

PARTS=${PM_VG_PARTS:-suite leak}
PORT=${PM_VG_PORT:-54491}
SMALL=${PM_VG_LEAK_SMALL:-1000}
LARGE=${PM_VG_LEAK_LARGE:-10000}
SUITE_TIMEOUT=${PM_VG_SUITE_TIMEOUT:-10800}
SUPP="$ROOT/test/valgrind/postgres.supp"
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"

say() { printf '%s\n' "$*"; }
step() { printf '\n== %s\n' "$*"; }
PROBLEMS=()
problem() { PROBLEMS+=("$*"); say "PROBLEM: $*"; }

if ! command -v valgrind >/dev/null; then
  { $sudo apt-get install -y -qq valgrind || { $sudo apt-get update -qq && $sudo apt-get install -y -qq valgrind; }; } >/dev/null \
    || { say "valgrind is missing and could not be installed"; exit 2; }
fi

step "build and install"
make -s all PG_CONFIG="$PG_CONFIG" >/dev/null && $sudo make -s install PG_CONFIG="$PG_CONFIG" >/dev/null || { say "build or install failed"; exit 2; }

WORK=$(mktemp -d /tmp/pm_valgrind.XXXXXX)
chmod 755 "$WORK"
mkdir -p "$WORK/vg" "$WORK/leak" "$WORK/regress"
chmod 777 "$WORK/vg" "$WORK/leak" "$WORK/regress"
[ "$(id -u)" -eq 0 ] && chown postgres: "$WORK"
export PGDATA="$WORK/data" PGHOST="$WORK" PGPORT="$PORT" PGUSER=postgres
unset PGDATABASE PGOPTIONS
POSTMASTER_PID=""

# Common memcheck options. Error attribution needs full source paths
# (--fullpath-after=) and deep stacks; --gen-suppressions=all prints, after
# each error, the suppression that would silence it (to extend the .supp
# file when an error is understood to be noise).
VG_COMMON=(--tool=memcheck --suppressions="$SUPP" --num-callers=40 --fullpath-after=
           --gen-suppressions=all --track-origins=no --read-var-info=no)

stop_server() {
  [ -n "$POSTMASTER_PID" ] || return 0
  pm_as_server_user "$PM_PGBIN/pg_ctl" -D "$PGDATA" -m fast -t 900 -w stop >/dev/null 2>&1 \
    || kill "$POSTMASTER_PID" 2>/dev/null
  wait "$POSTMASTER_PID" 2>/dev/null
  POSTMASTER_PID=""
}
finish() {
  stop_server
  if [ ${#PROBLEMS[@]} -eq 0 ] && [ -z "${PM_VG_KEEP:-}" ]; then rm -rf "$WORK"
  else say "work folder kept: $WORK"; fi
}
trap finish EXIT

step "initdb ($WORK)"
pm_as_server_user "$PM_PGBIN/initdb" -D "$PGDATA" -U postgres -A trust --no-sync -E UTF8 --locale=C.UTF-8 \
  >"$WORK/initdb.log" 2>&1 || { cat "$WORK/initdb.log"; exit 2; }

SERVER_OPTS=(-c listen_addresses= -c "unix_socket_directories=$WORK" -c "port=$PORT"
             -c fsync=off -c synchronous_commit=off -c full_page_writes=off
             -c jit=off -c autovacuum=off -c max_connections=20
             -c statement_timeout=30min -c log_line_prefix='%m [%p] ')

# start_server <valgrind options...>: the postmaster under valgrind, waits
# until it accepts connections (valgrind makes start-up slow).
start_server() {
  pm_as_server_user valgrind "${VG_COMMON[@]}" "$@" --trace-children=yes \
    --log-file="$WORK/vg/%p.log" \
    "$PM_PGBIN/postgres" -D "$PGDATA" "${SERVER_OPTS[@]}" >>"$WORK/server.log" 2>&1 &
  POSTMASTER_PID=$!
  local i
  for ((i = 0; i < 600; i++)); do
    "$PM_PGBIN/pg_isready" -q -h "$WORK" -p "$PORT" && return 0
    kill -0 "$POSTMASTER_PID" 2>/dev/null || break
    sleep 1
  done
  cat "$WORK/server.log"; POSTMASTER_PID=""; return 1
}

# report_errors <log files...>: one line per error valgrind reported (leak
# records included), tab-separated: pid, kind, owner, first frame, first
# frame of ours. The owner is whose frames are in the stack above the
# allocation/origin part: "profile_merge" (src/pg, src/core), "libphonenumber"
# (with protobuf and abseil), "icu", else "postgres/other".
report_errors() {
  awk '
    function flush() {
      if (title != "" && is_error(title)) {
        owner = "postgres/other"
        if (ours != "") owner = "profile_merge"
        else if (phn != "") owner = "libphonenumber"
        else if (icu != "") owner = "icu"
        printf "%s\t%s\t%s\t%s\t%s\n", pid, kind(title), owner, first, (ours != "" ? ours : (phn != "" ? phn : icu))
      }
      title = ""; first = ""; ours = ""; phn = ""; icu = ""; in_alloc = 0
    }
    function is_error(t) {
      return t ~ /^(Invalid (read|write|free)|Mismatched free|Conditional jump or move depends on uninitialised|Use of uninitialised|Syscall param .* uninitialised|Source and destination overlap|Argument .* of function .* has a fishy)/ \
          || t ~ /are (definitely|indirectly|possibly) lost in loss record/
    }
    function kind(t) {
      if (t ~ /^Invalid read/) return "invalid read"
      if (t ~ /^Invalid write/) return "invalid write"
      if (t ~ /^Invalid free|^Mismatched free/) return "invalid free"
      if (t ~ /uninitialised/) return "uninitialised"
      if (t ~ /definitely lost/) return "definitely lost"
      if (t ~ /indirectly lost/) return "indirectly lost"
      if (t ~ /possibly lost/) return "possibly lost"
      return "other"
    }
    FNR == 1 { flush() }
    /^==[0-9]+== / {
      line = $0; sub(/^==[0-9]+== /, "", line)
      p = $0; sub(/^==/, "", p); sub(/==.*/, "", p)
      if (line ~ /^[ \t]*$/) { flush(); next }
      if (title == "" && line !~ /^ /) { title = line; pid = p; next }
      if (title == "") next
      # the part after "Address ... alloc'\''d" / "Uninitialised value was created" is where the memory came from
      if (line ~ /^ (Address|Block was alloc|Uninitialised value was created)/) in_alloc = 1
      if (line ~ /^ +(at|by) 0x/) {
        fr = line; sub(/^ +(at|by) 0x[0-9A-F]+: /, "", fr)
        if (!in_alloc && first == "" && fr !~ /vgpreload|libc\.so|libstdc\+\+|^(malloc|free|operator|mem|str)/) first = fr
        if (ours == "" && (fr ~ /\/src\/(pg|core)\// || fr ~ /profile_merge\.so/ || fr ~ /^pm::/)) ours = fr
        if (phn == "" && fr ~ /libphonenumber|phonenumbers::|libprotobuf|google::protobuf|libabsl|absl::/) phn = fr
        if (icu == "" && fr ~ /libicu|icu_[0-9]+::|_[0-9][0-9] \(/) icu = fr
      }
    }
    END { flush() }
  ' "$@"
}

# ---------------------------------------------------------------- part 1
suite_part() {
  step "part 1: pg_regress suites, postmaster under valgrind"
  local t0=$SECONDS
  start_server --leak-check=no --error-exitcode=128 || { problem "the server did not start under valgrind"; return; }
  say "server up after $((SECONDS - t0)) s"
  local t1=$SECONDS
  timeout "$SUITE_TIMEOUT" make installcheck PG_CONFIG="$PG_CONFIG" PGHOST="$PGHOST" PGPORT="$PGPORT" PGUSER="$PGUSER" \
    EXTRA_REGRESS_OPTS="--outputdir=$WORK/regress" >"$WORK/regress.log" 2>&1
  local rc=$?
  sed -n '/^test \|^     \|^ok \|^not ok /p' "$WORK/regress.log"
  local ok bad
  ok=$(grep -cE '\.\.\. ok| ok +[0-9]+ ms' "$WORK/regress.log")
  bad=$(grep -cE '\.\.\. FAILED|\.\.\. failed|not ok' "$WORK/regress.log")
  say "installcheck: exit $rc, $ok ok, $bad failed, $((SECONDS - t1)) s"
  if [ "$rc" -ne 0 ] || [ "$bad" -ne 0 ] || [ "$ok" -eq 0 ]; then
    [ -f "$WORK/regress/regression.diffs" ] && head -100 "$WORK/regress/regression.diffs"
    problem "installcheck under valgrind: exit $rc, $bad suite(s) failed"
  fi

  # the database part 2 uses, made while the server is up
  if [[ " $PARTS " == *" leak "* ]]; then
    make_leak_databases || problem "could not prepare the databases of the leak check"
  fi
  stop_server
  say "suite part: $((SECONDS - t0)) s in all"

  if grep -E 'terminated by signal|exited with exit code|was terminated' "$WORK/server.log" | grep -vE 'exited with exit code 1$' >"$WORK/crashes"; then
    problem "a server process died (under valgrind, exit code 128 = valgrind found an error in it):"
    sed 's/^/    /' "$WORK/crashes" | head -20
  fi
  report_errors "$WORK"/vg/*.log >"$WORK/errors.tsv"
  say "valgrind logs: $(ls "$WORK"/vg/*.log | wc -l) processes; errors reported (kind, owner, count):"
  if [ -s "$WORK/errors.tsv" ]; then
    cut -f2,3 "$WORK/errors.tsv" | sort | uniq -c | sed 's/^/    /'
    say "first frame of each distinct error:"
    cut -f2,3,4,5 "$WORK/errors.tsv" | sort | uniq -c | sort -rn | head -40 | sed 's/^/    /'
  else
    say "    none"
  fi
  local ours
  ours=$(awk -F'\t' '$3 != "postgres/other" && $2 != "possibly lost" && $2 != "indirectly lost"' "$WORK/errors.tsv" | wc -l)
  [ "$ours" -eq 0 ] || problem "$ours valgrind error(s) with frames of profile_merge, libphonenumber or ICU (see $WORK/errors.tsv and $WORK/vg)"
  grep -h 'ERROR SUMMARY' "$WORK"/vg/*.log | awk '{s += $4} END {print "    error summary total over all processes:", s + 0}'
}

# ---------------------------------------------------------------- part 2
# leak_script <n>: statements for postgres --single, one per line (each its
# own transaction): n events in INSERTs of 500, and per 500 events a failing
# statement, 100 direct consent rows, 500 normalizer calls; then one ingest()
# of n/10 staged events.
leak_script() {
  local n=$1 lo hi
  echo "SET search_path = profile_merge, public;"
  for ((lo = 1; lo <= n; lo += 500)); do
    hi=$((lo + 499)); [ "$hi" -le "$n" ] || hi=$n
    cat <<SQL | tr '\n' ' '; echo
INSERT INTO events (account_id, source, profile_hint, email, phone, external_id, sms_consent, email_consent, properties)
SELECT 1 + g % 3 + CASE WHEN g % 11 = 0 THEN 100 + g % 1500 ELSE 0 END,
       (ARRAY['api','form','checkout','import','sms_keyword','click_to_text','sms_subscribe_link'])[1 + g % 7],
       CASE WHEN g % 17 = 0 THEN g / 3 END,
       CASE WHEN g % 5 < 3 THEN (ARRAY['',' '])[1 + g % 2] || 'User' || (g * 7 % 700) || '@Example.com'
            WHEN g % 5 = 3 THEN CASE WHEN g % 2 = 0 THEN 'test@test.com' ELSE 'broken@' END END,
       CASE WHEN g % 4 < 3 THEN (ARRAY['(415) ', '212.', '+1 646 '])[1 + g % 3] || (200 + g * 13 % 700) || '-' || lpad((g * 7919 % 10000)::text, 4, '0')
            ELSE (ARRAY['555-12', '(234) 567-8900', 'call me'])[1 + g % 3] END,
       CASE WHEN g % 6 = 0 THEN 'C-' || (g % 300) END,
       (ARRAY[NULL, true, false])[1 + g % 3], (ARRAY[NULL, true, false])[1 + g / 3 % 3],
       CASE WHEN g % 4 = 0 THEN jsonb_build_object('n', g, 'plan', 'pro') WHEN g % 9 = 0 THEN '[1]'::jsonb END
  FROM generate_series($lo, $hi) g;
SQL
    echo "INSERT INTO events (source, email) VALUES ('no_such_source_$lo', 'x@example.com');"
    echo "INSERT INTO consents (account_id, channel, value, status, source) SELECT 1, 'sms', '(415) 300-' || lpad((g % 10000)::text, 4, '0'), CASE WHEN g % 2 = 0 THEN 'subscribed' ELSE 'unsubscribed' END, 'sms_keyword' FROM generate_series($lo, $lo + 99) g;"
    echo "SELECT count(try_normalize_phone('+1 650 ' || (200 + g % 700) || ' ' || lpad(g::text, 4, '0'))), count(try_normalize_email(' Someone' || g || '@Bücher.Example ')), count(try_normalize_phone(g::text, 'GB')) FROM generate_series($lo, $hi) g;"
    echo "SELECT normalize_phone('not a number $lo');"
  done
  echo "CREATE TABLE public.staged AS SELECT g AS seq, 2 AS account_id, (ARRAY['api','form','import'])[1 + g % 3] AS source, 'Staged' || (g % 400) || '@example.org' AS email, '+1 303 ' || (200 + g % 700) || ' ' || lpad((g * 31 % 10000)::text, 4, '0') AS phone, (g % 2 = 0) AS sms_consent FROM generate_series(1, $((n / 10))) g;"
  echo "SELECT profile_merge.ingest('public.staged', 'seq');"
  echo "DROP TABLE public.staged;"
  echo "SELECT count(*) FROM events;"
}

# one database per run, the same fresh state for both
make_leak_databases() {
  local n
  for n in "$SMALL" "$LARGE"; do
    psql -X -q -d postgres -c "CREATE DATABASE pm_leak_$n" \
      && psql -X -q -d "pm_leak_$n" -c "CREATE EXTENSION profile_merge" || return 1
  done
}

leak_part() {
  step "part 2: leaks that grow with the number of events (postgres --single under valgrind --leak-check=full)"
  if [ ! -d "$PGDATA/base" ] || ! [[ " $PARTS " == *" suite "* ]]; then
    # without part 1: a database of our own, made with an ordinary server
    start_server --leak-check=no || { problem "the server did not start"; return; }
    make_leak_databases || { problem "could not prepare the databases of the leak check"; stop_server; return; }
    stop_server
  fi
  local n t0 log
  declare -A lost
  for n in "$SMALL" "$LARGE"; do
    leak_script "$n" >"$WORK/leak/script_$n.sql"
    log="$WORK/leak/valgrind_$n.log"
    t0=$SECONDS
    pm_as_server_user valgrind "${VG_COMMON[@]}" --leak-check=full --show-leak-kinds=definite,indirect \
      --errors-for-leak-kinds=definite --log-file="$log" \
      "$PM_PGBIN/postgres" --single -D "$PGDATA" -c jit=off -c autovacuum=off -c fsync=off "pm_leak_$n" \
      <"$WORK/leak/script_$n.sql" >"$WORK/leak/out_$n.txt" 2>&1
    local rc=$?
    local def ind events errs
    def=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$log" | tr -d , | tail -1)
    ind=$(sed -n 's/.*indirectly lost: \([0-9,]*\) bytes.*/\1/p' "$log" | tr -d , | tail -1)
    if grep -q 'no leaks are possible' "$log"; then def=0 ind=0; fi
    errs=$(sed -n 's/.*ERROR SUMMARY: \([0-9,]*\) errors.*/\1/p' "$log" | tr -d , | tail -1)
    events=$(grep -c 'INSERT INTO events (account_id' "$WORK/leak/script_$n.sql")
    say "N=$n: exit $rc, $((SECONDS - t0)) s, definitely lost ${def:-?} bytes, indirectly lost ${ind:-?} bytes, error summary ${errs:-?} ($events event statements)"
    # still reachable at exit (not a leak; PostgreSQL's caches, plans and
    # lock table): shown to see that it does not scale with N either
    sed -n 's/.*\(in use at exit: .*\)/    \1/p; s/.*\(total heap usage: .*\)/    \1/p' "$log"
    if ! grep -q 'count = ' "$WORK/leak/out_$n.txt"; then
      problem "N=$n: the single-user session did not finish its script (see $WORK/leak/out_$n.txt)"
      tail -20 "$WORK/leak/out_$n.txt"
    fi
    grep -A1 'count = ' "$WORK/leak/out_$n.txt" | tail -2 | sed 's/^/    last result: /'
    lost[$n]=$(( ${def:-0} + ${ind:-0} ))
    [ -n "$def" ] || problem "N=$n: no leak summary in $log"
    report_errors "$log" >"$WORK/leak/errors_$n.tsv"
    if [ -s "$WORK/leak/errors_$n.tsv" ]; then
      say "    errors and loss records (kind, owner, first frame, first frame of ours):"
      cut -f2,3,4,5 "$WORK/leak/errors_$n.tsv" | sort | uniq -c | sort -rn | head -20 | sed 's/^/    /'
    fi
  done
  local grow=$(( ${lost[$LARGE]} - ${lost[$SMALL]} ))
  say "definitely + indirectly lost: N=$SMALL ${lost[$SMALL]} bytes, N=$LARGE ${lost[$LARGE]} bytes (difference $grow)"
  [ "$grow" -le 0 ] || problem "leaked memory grows with the number of events: +$grow bytes from N=$SMALL to N=$LARGE"
  local ours
  ours=$(cat "$WORK/leak/errors_$SMALL.tsv" "$WORK/leak/errors_$LARGE.tsv" \
         | awk -F'\t' '$3 != "postgres/other" && $2 != "possibly lost" && $2 != "indirectly lost"' | wc -l)
  [ "$ours" -eq 0 ] || problem "$ours valgrind error(s) or definite leak(s) with frames of profile_merge, libphonenumber or ICU in part 2"
}

# The long-running part is one function, read whole before it starts, so an
# edit of this file during a run cannot derail it.
main() {
  local start=$SECONDS
  [[ " $PARTS " == *" suite "* ]] && suite_part
  [[ " $PARTS " == *" leak "* ]] && leak_part
  step "summary ($((SECONDS - start)) s)"
  if [ ${#PROBLEMS[@]} -gt 0 ]; then
    printf '%d problem(s):\n' "${#PROBLEMS[@]}"; printf '  - %s\n' "${PROBLEMS[@]}"
    return 1
  fi
  say "valgrind: no error in profile_merge, libphonenumber or ICU frames; no leak growing with events"
}
main "$@"; exit $?
