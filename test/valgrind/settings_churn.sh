#!/usr/bin/env bash
# test/valgrind/settings_churn.sh: the settings' check hook under memcheck.
#
# One single-user backend of the server PG_CONFIG names (make exports it)
# runs under valgrind and sets, resets and rolls back
# profile_merge.default_region (lower- and mixed-case values too, which the
# hook replaces with the upper-case spelling: it allocates the new string
# and frees the old one) and profile_merge.phone_accept thousands of times
# in one session, then checks what the settings read back. Any memcheck
# error is a failure; so is an answer other than the one expected.
#
# Why: from PostgreSQL 16 on the server keeps GUC strings in guc_malloc
# memory, and a hook that frees them with free() (right on 15) compiles and
# then corrupts the heap silently. Memcheck reports that free() at once.
#
# Part of `make test` (about 10 s); alone: bash test/valgrind/settings_churn.sh
# (the extension installed into that server first). PM_CHURN_ROUNDS changes
# the number of rounds (default 5000).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/cluster.sh   # PG_CONFIG, PM_PGBIN, pm_as_server_user (no cluster started)

ROUNDS=${PM_CHURN_ROUNDS:-5000}
command -v valgrind >/dev/null || { echo "valgrind is not installed (make deps installs it)"; exit 1; }
WORK=$(mktemp -d /tmp/pm_churn.XXXXXX)
chmod 755 "$WORK"
[ "$(id -u)" -eq 0 ] && chown postgres: "$WORK"
trap 'rm -rf "$WORK"' EXIT

pm_as_server_user "$PM_PGBIN/initdb" -D "$WORK/data" -U postgres -A trust --no-sync -E UTF8 \
    --locale=C.UTF-8 >"$WORK/initdb.log" 2>&1 || { cat "$WORK/initdb.log"; exit 1; }

# Single-user mode runs one statement per line.
{
  echo "CREATE EXTENSION profile_merge"
  # In one transaction: SET (through set_config) and RESET, and SET LOCAL
  # undone by a rolled-back subtransaction (the server frees the stacked
  # value), each followed by a check of what the setting reads.
  cat <<SQL | tr '\n' ' '; echo
DO \$\$
DECLARE
  spellings text[] := ARRAY['gb', 'De', 'fr', 'US', 'jp', 'Br'];
  expect text;
  got text;
BEGIN
  FOR i IN 1..$ROUNDS LOOP
    PERFORM set_config('profile_merge.default_region', spellings[1 + i % 6], false);
    expect := upper(spellings[1 + i % 6]);
    got := current_setting('profile_merge.default_region');
    IF got IS DISTINCT FROM expect THEN RAISE EXCEPTION 'round %: region % after SET %', i, got, expect; END IF;
    PERFORM set_config('profile_merge.phone_accept', CASE WHEN i % 2 = 0 THEN 'possible' ELSE 'valid' END, false);
    BEGIN
      PERFORM set_config('profile_merge.default_region', 'it', true);
      PERFORM set_config('profile_merge.phone_accept', 'valid', true);
      RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'undo';
    EXCEPTION WHEN raise_exception THEN NULL;
    END;
    got := current_setting('profile_merge.default_region');
    IF got IS DISTINCT FROM expect THEN RAISE EXCEPTION 'round %: region % after rollback, not %', i, got, expect; END IF;
    IF i % 10 = 0 THEN
      RESET profile_merge.default_region;
      RESET profile_merge.phone_accept;
      got := current_setting('profile_merge.default_region') || '/' || current_setting('profile_merge.phone_accept');
      IF got IS DISTINCT FROM 'US/valid' THEN RAISE EXCEPTION 'round %: % after RESET', i, got; END IF;
    END IF;
  END LOOP;
END
\$\$
SQL
  # Across transactions: each line is one.
  for ((i = 0; i < ROUNDS / 10; i++)); do
    echo "SET profile_merge.default_region = 'gb'"
    echo "SET profile_merge.phone_accept = 'possible'"
    echo "RESET profile_merge.default_region"
    echo "RESET ALL"
  done
  echo "SET profile_merge.default_region = 'de'"
  echo "SELECT 'final: ' || current_setting('profile_merge.default_region') || ' ' || profile_merge.normalize_phone('030 901820') AS result"
} >"$WORK/churn.sql"
chmod 644 "$WORK/churn.sql"

status=0
pm_as_server_user valgrind --tool=memcheck --suppressions=test/valgrind/postgres.supp --num-callers=30 \
    --error-exitcode=128 --track-origins=no --read-var-info=no --log-file="$WORK/vg.log" \
    "$PM_PGBIN/postgres" --single -D "$WORK/data" -c jit=off -c fsync=off postgres \
    <"$WORK/churn.sql" >"$WORK/single.log" 2>&1 || status=$?

errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$WORK/vg.log" | tail -1)
if [ "$status" -ne 0 ] || [ "${errors:-missing}" != 0 ]; then
  echo "FAIL: memcheck found ${errors:-?} errors (backend exit $status) in $ROUNDS rounds of settings"
  grep -A14 -E '^==[0-9]+== (Invalid|Mismatched|Conditional|Use of|Source and)' "$WORK/vg.log" | head -60
  tail -5 "$WORK/single.log"
  exit 1
fi
if grep -q 'ERROR:' "$WORK/single.log"; then
  echo "FAIL: a statement failed"; grep -B2 -A3 'ERROR:' "$WORK/single.log" | head -20; exit 1
fi
if ! grep -q '"final: DE +4930901820"' "$WORK/single.log"; then
  echo "FAIL: the final read-back is not DE and +4930901820:"; tail -20 "$WORK/single.log"; exit 1
fi
echo "ok: $ROUNDS rounds of SET/RESET/rollback of both settings in one session, no memcheck error ($("$PG_CONFIG" --version))"
