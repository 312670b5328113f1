#!/usr/bin/env bash
# Every suite: GoogleTest unit tests of the core, the pg_regress suites in
# sql/ against a throwaway cluster, and the shell tests in test/sh/ (each
# gets the same cluster). Ends with "N passed, M failed"; non-zero exit on
# any failure. Called by `make test` after the build, against the server
# PG_CONFIG names (make exports it; Debian's 15 when unset).
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/cluster.sh   # PG_CONFIG, PM_PGBIN
mkdir -p build
passed=0
failed=0

section() { printf '\n== %s\n' "$*"; }

section "against $("$PG_CONFIG" --version) ($PG_CONFIG)"

section "unit tests (GoogleTest)"
mkdir -p build/cmake
rm -f build/unit.xml
bash scripts/unit-tests.sh
if [ -f build/unit.xml ]; then
  total=$(sed -n 's/.*<testsuites tests="\([0-9]*\)".*/\1/p' build/unit.xml | head -1)
  fails=$(sed -n 's/.*<testsuites tests="[0-9]*" failures="\([0-9]*\)".*/\1/p' build/unit.xml | head -1)
  passed=$((passed + total - fails)); failed=$((failed + fails))
else
  echo "unit tests did not build or run"; failed=$((failed + 1))
fi

section "install"
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
# PG_CONFIG is passed on the command line: sudo does not keep the environment.
$sudo make install PG_CONFIG="$PG_CONFIG" >build/install.log 2>&1 || { cat build/install.log; echo "0 passed, 1 failed"; exit 1; }

section "pg_regress"
pm_cluster_start || { echo "$passed passed, $((failed + 1)) failed"; exit 1; }
make installcheck PG_CONFIG="$PG_CONFIG" PGHOST="$PGHOST" PGPORT="$PGPORT" PGUSER="$PGUSER" >build/regress.log 2>&1
sed -n '/^test \|^     \|^ok \|^not ok /p' build/regress.log
# pg_regress 15 prints "test name ... ok"; 16 and later print TAP ("ok 1 - name").
ok=$(grep -cE '\.\.\. ok|^ok [0-9]' build/regress.log)
bad=$(grep -cE '\.\.\. FAILED|\.\.\. failed|^not ok [0-9]' build/regress.log)
passed=$((passed + ok)); failed=$((failed + bad))
if [ "$bad" -gt 0 ] && [ -f regression.diffs ]; then head -200 regression.diffs; fi
if [ "$ok" -eq 0 ] && [ "$bad" -eq 0 ]; then cat build/regress.log; failed=$((failed + 1)); fi

section "shell tests (test/sh)"
for t in test/sh/*.sh; do
  [ -e "$t" ] || continue
  if bash "$t" >"build/$(basename "$t" .sh).log" 2>&1; then
    echo "ok      $t"; passed=$((passed + 1))
  else
    echo "FAILED  $t (log follows)"; tail -40 "build/$(basename "$t" .sh).log"; failed=$((failed + 1))
  fi
done

pm_cluster_stop

# A single-user backend of its own under memcheck (about 10 s): the
# settings' check hook keeps its strings the way the server version wants.
section "valgrind: settings churn (test/valgrind/settings_churn.sh)"
if bash test/valgrind/settings_churn.sh >build/settings_churn.log 2>&1; then
  tail -1 build/settings_churn.log; passed=$((passed + 1))
else
  echo "FAILED  test/valgrind/settings_churn.sh (log follows)"; tail -40 build/settings_churn.log; failed=$((failed + 1))
fi

# Citus (issue 14): its own three nodes on 127.0.0.1 (test/citus/run.sh),
# run where Citus is installed for the PostgreSQL under test, which is 15
# only (Citus 13 and Debian's server); otherwise one line says why not.
section "Citus (test/citus)"
citus_pg_config=${PG_CONFIG:-$PM_PGBIN/pg_config}
citus_major=$("$citus_pg_config" --version 2>/dev/null | sed -n 's/^PostgreSQL \([0-9]*\).*/\1/p')
if [ "$citus_major" != 15 ]; then
  echo "Citus suite skipped: it runs on PostgreSQL 15 only, this is ${citus_major:-unknown}"
elif [ ! -f "$("$citus_pg_config" --sharedir)/extension/citus.control" ]; then
  echo "Citus suite skipped: Citus is not installed for PostgreSQL 15 (../shared/vendor/build-citus.sh builds it)"
else
  bash test/citus/run.sh >build/citus.log 2>&1
  grep -E '^(ok|FAILED) |^        ' build/citus.log | grep -vE '^        (NOTICE|DETAIL)' | head -200
  grep -E '^Citus suite: ' build/citus.log || true
  counts=$(tail -1 build/citus.log)
  if [[ "$counts" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
    passed=$((passed + BASH_REMATCH[1])); failed=$((failed + BASH_REMATCH[2]))
  else
    tail -30 build/citus.log; echo "the Citus suite did not finish"; failed=$((failed + 1))
  fi
fi

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
