#!/usr/bin/env bash
# expected_width: every line of expected/ is at most 160 characters, so a
# person can read a suite's expected output and its diffs. Suites print wide
# rows expanded (\pset columns 160 and \x auto) and long values one element
# a line. Needs no cluster. PM_EXPECTED_DIR names another folder to check
# (used to see the test fail).
set -uo pipefail
cd "$(dirname "$0")/../.."
DIR=${PM_EXPECTED_DIR:-expected}
MAX=160

ls "$DIR"/*.out >/dev/null 2>&1 || { echo "FAILED: no .out files in $DIR"; exit 1; }
# characters, not bytes (the suites print é, ｅ and the like): perl reads the
# files as UTF-8 (mawk, Debian's awk, would count bytes)
too_long=$(perl -CSD -ne 'chomp; printf "%s:%d: %d characters: %.60s...\n", $ARGV, $., length, $_
                            if length > '"$MAX"'; close ARGV if eof' "$DIR"/*.out)
if [ -n "$too_long" ]; then
  printf '%s\n' "$too_long"
  echo "expected_width: $(printf '%s\n' "$too_long" | wc -l) line(s) longer than $MAX characters"
  exit 1
fi
echo "expected_width: $(ls "$DIR"/*.out | wc -l) files, no line longer than $MAX characters"
