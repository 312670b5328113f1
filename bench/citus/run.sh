#!/usr/bin/env bash
# bench/citus (issue 14): one generated stream COPYed into profile_merge.events
# through a 3-node Citus cluster (coordinator + 2 workers, test/citus/cluster.sh)
# and into one plain node, side by side in one run: rounds alternate which goes
# first; each round starts from empty tables. Prints the rates, the medians and
# the ratio Citus time / single-node time (target <= 1.5). All nodes share this
# machine's cores. Run from the repository root after `make && sudo make install`.
#   PM_BENCH_EVENTS (100000)  PM_BENCH_ACCOUNTS (20)  PM_BENCH_ROUNDS (3)
set -euo pipefail
cd "$(dirname "$0")/../.."
source test/citus/cluster.sh
EVENTS=${PM_BENCH_EVENTS:-100000}
ACCOUNTS=${PM_BENCH_ACCOUNTS:-20}
ROUNDS=${PM_BENCH_ROUNDS:-3}
WORK=$(mktemp -d /tmp/profile_merge_bench_citus.XXXXXX)

python3 bench/ingest/gen_events.py --events "$EVENTS" --accounts "$ACCOUNTS" --seed 14 \
  | awk -F, 'BEGIN { OFS = "," } { $3 = ""; print }' >"$WORK/stream.csv"  # no hints: they name node-local ids
chmod 644 "$WORK/stream.csv"
citus_start >/dev/null || { rm -rf "$WORK"; exit 1; }
trap 'citus_stop; rm -rf "$WORK"' EXIT  # after citus_start, whose own trap only stops the nodes
single_start >/dev/null
cpsql "$CITUS_COORD" -c 'CREATE EXTENSION profile_merge' -c 'SELECT profile_merge.distribute()' >/dev/null
cpsql "$CITUS_SINGLE" -c 'CREATE EXTENSION profile_merge' >/dev/null
COLS='account_id, source, profile_hint, email, phone, phone_region, external_id, sms_consent, email_consent, properties'
EMPTY='TRUNCATE profile_merge.profiles, profile_merge.identifiers, profile_merge.events, profile_merge.consents, profile_merge.merges'

load() {  # load <port>: seconds for one COPY of the stream, from empty tables
  cpsql "$1" -c "$EMPTY" >/dev/null
  local t0 t1
  t0=$(date +%s.%N)
  cpsql "$1" -c "\\copy profile_merge.events ($COLS) FROM '$WORK/stream.csv' (FORMAT csv)"
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc
}

echo "commit $(git rev-parse --short HEAD), $(nproc) cores, $EVENTS events over $ACCOUNTS accounts, $ROUNDS rounds"
printf '%-6s %-12s %10s %12s\n' round setup seconds events/s
singles=(); citus=()
for r in $(seq 1 "$ROUNDS"); do
  if [ $((r % 2)) -eq 1 ]; then order="single citus"; else order="citus single"; fi
  for which in $order; do
    if [ "$which" = single ]; then s=$(load "$CITUS_SINGLE"); singles+=("$s"); else s=$(load "$CITUS_COORD"); citus+=("$s"); fi
    printf '%-6s %-12s %10.2f %12.0f\n' "$r" "$which" "$s" "$(echo "$EVENTS / $s" | bc -l)"
  done
done
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
ms=$(median "${singles[@]}"); mc=$(median "${citus[@]}")
same=$(cpsql "$CITUS_COORD" -c "SELECT count(*) FROM profile_merge.events WHERE outcome IS NOT NULL")
printf '\nmedian: single node %.2f s (%.0f events/s), Citus 3 nodes %.2f s (%.0f events/s); Citus/single = %.2fx (target <= 1.5x)\n' \
  "$ms" "$(echo "$EVENTS / $ms" | bc -l)" "$mc" "$(echo "$EVENTS / $mc" | bc -l)" "$(echo "$mc / $ms" | bc -l)"
echo "resolved on the cluster after the last round: $same of $EVENTS"
