#!/usr/bin/env bash
# `make demo`: installs the built extension, starts a throwaway cluster,
# tells the story in psql (demo/story.sql), and stops the cluster again.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/cluster.sh
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo make install PG_CONFIG="$PG_CONFIG" >/dev/null
pm_cluster_start
psql -X -q -v ON_ERROR_STOP=1 -P pager=off -c 'CREATE EXTENSION profile_merge'
psql -X -q -v ON_ERROR_STOP=1 -P pager=off --echo-queries -f demo/story.sql
pm_cluster_stop
echo "demo finished; the cluster is stopped and removed"
