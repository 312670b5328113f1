#!/usr/bin/env bash
# Smoke test of the libFuzzer targets of the core (test/fuzz): builds them
# with clang, replays the inputs of the bugs found so far
# (test/fuzz/regressions/) and fuzzes each target for ~20 seconds from its
# seed corpus. Fails on any crash, sanitizer finding or violated invariant.
# Needs no server. About 1-2 minutes in all (the first build takes ~40 s).
#
#   FUZZ_SMOKE_SECONDS=20    seconds per target
#   PM_FUZZ_KNOWN=a,b        look past the named known issues (test/fuzz/README.md;
#                            none at present)
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

if ! command -v clang++ >/dev/null 2>&1 && ! command -v clang++-14 >/dev/null 2>&1; then
  echo "FAIL: clang++ is not installed: the fuzz targets need clang and libFuzzer." >&2
  echo "      Run 'make deps' (installs clang and libclang-rt-dev)." >&2
  exit 1
fi

bash test/fuzz/run.sh "${FUZZ_SMOKE_SECONDS:-20}" fuzz_email fuzz_phone fuzz_rules
rc=$?
if [ "$rc" -ne 0 ]; then
  echo "FAIL: fuzz smoke test (exit $rc); logs and crash inputs under build/fuzz/" >&2
  exit 1
fi
echo "ok: fuzz smoke test"
