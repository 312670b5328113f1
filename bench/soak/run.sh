#!/usr/bin/env bash
# bench/soak: the concurrency test (test/sh/concurrency.sh) for longer, with
# more clients, several rounds, on a throwaway cluster of its own; optionally
# the crash test after every round.
#
#   make && sudo make install
#   bash bench/soak/run.sh                 # 3 rounds, 32 clients x 5,000 transactions
#
# Knobs (environment): PM_SOAK_ROUNDS (3), PM_CONC_CLIENTS (32), PM_CONC_TX
# (5000), PM_CONC_HOT (12: persons of the hot account), PM_SOAK_CRASH=1 (also
# run test/sh/crash_recovery.sh each round), PM_PORT (54462). Extra arguments
# are passed to the server as -c options (e.g. max_connections=200).
# Logs are kept in a folder printed at the end.
set -uo pipefail
cd "$(dirname "$0")/../.."

ROUNDS=${PM_SOAK_ROUNDS:-3}
export PM_CONC_CLIENTS=${PM_CONC_CLIENTS:-32}
export PM_CONC_TX=${PM_CONC_TX:-5000}
export PM_CONC_HOT=${PM_CONC_HOT:-12}

source scripts/cluster.sh
PM_PORT=${PM_PORT:-54462} pm_cluster_start "$@" || exit 1
LOGS=$(mktemp -d /tmp/pm_soak.XXXXXX)

echo "== soak: $ROUNDS rounds of $PM_CONC_CLIENTS clients x $PM_CONC_TX transactions (hot account: $PM_CONC_HOT persons)"
echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet -- src 2>/dev/null || echo ' (src modified)'), $(nproc) cores"
passed=0
failed=0
for round in $(seq 1 "$ROUNDS"); do
  tests=(test/sh/concurrency.sh)
  [ "${PM_SOAK_CRASH:-0}" = 1 ] && tests+=(test/sh/crash_recovery.sh)
  for t in "${tests[@]}"; do
    log="$LOGS/round$round-$(basename "$t" .sh).log"
    t0=$(date +%s)
    if bash "$t" >"$log" 2>&1; then verdict=ok; passed=$((passed + 1)); else verdict=FAILED; failed=$((failed + 1)); fi
    printf 'round %d  %-20s %-6s %4d s  %s\n' "$round" "$(basename "$t" .sh)" "$verdict" "$(($(date +%s) - t0))" \
      "$(grep -m1 -E '^pgbench: [0-9]+ transactions' "$log" || true)"
    grep -E '^  - ' "$log" | sed 's/^/          /' || true
  done
done
echo
echo "$passed passed, $failed failed; logs in $LOGS"
[ "$failed" -eq 0 ]
