#!/usr/bin/env bash
# ingest() and the triggers agree where profiles hold several values of a
# kind and a custom kind (DESIGN.md 4b): test/sh/bulk_equals_trickle.sh
# over a stream whose events carry events.identifiers too.
set -euo pipefail
KINDS=1 EVENTS=${EVENTS:-40000} exec bash "$(dirname "$0")/bulk_equals_trickle.sh"
