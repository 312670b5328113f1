#!/usr/bin/env bash
# Builds the libFuzzer targets of the core into build/fuzz/ and runs each for
# N seconds (default 60) from its seed corpus, then prints executions,
# coverage and crashes per target. Exits non-zero when a target crashed (a
# sanitizer finding, an uncaught exception or a violated invariant) or did
# not build.
#
#   test/fuzz/run.sh [SECONDS] [TARGET...]     targets: fuzz_email fuzz_phone fuzz_rules
#                                              (and fuzz_rules_dupkinds on request)
#
# Before fuzzing, every input under test/fuzz/regressions/<target>/ is run
# once: these are the inputs of bugs found so far (each failed until its bug
# was fixed, and guards it afterwards).
#
# Environment:
#   PM_FUZZ_KNOWN=name,...   look past the named known issues (README.md; none
#                            at present)
#   FUZZ_FLAGS="..."         extra libFuzzer flags (e.g. -seed=1 -jobs=2)
#
# New corpus entries accumulate in build/fuzz/corpus/<target>/ (delete it to
# start over); crash inputs land in build/fuzz/artifacts/<target>/, logs in
# build/fuzz/logs/<target>.log.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2

secs=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_email fuzz_phone fuzz_rules)
case "$secs" in '' | *[!0-9]*) echo "usage: $0 [SECONDS] [TARGET...]" >&2; exit 2 ;; esac

cxx=$(command -v clang++ || command -v clang++-14 || true)
if [ -z "$cxx" ]; then
  echo "FATAL: clang++ not found. The fuzz targets need clang with libFuzzer:" >&2
  echo "       run 'make deps' (installs clang and libclang-rt-dev) or apt-get install clang libclang-rt-dev" >&2
  exit 2
fi

out=build/fuzz
mkdir -p "$out/logs"
echo "== building ${targets[*]} with $cxx"
if ! make -s -f test/fuzz/Makefile CXX="$cxx" -j"$(nproc 2>/dev/null || echo 2)" "${targets[@]}" \
    >"$out/logs/build.log" 2>&1; then
  cat "$out/logs/build.log" >&2
  if grep -q "libclang_rt.fuzzer\|fsanitize=fuzzer" "$out/logs/build.log"; then
    echo "FATAL: the libFuzzer runtime is missing: apt-get install libclang-rt-dev (or libclang-rt-14-dev)" >&2
  fi
  echo "FATAL: fuzz targets did not build" >&2
  exit 2
fi

export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

max_len() {
  case "$1" in fuzz_email) echo 1100 ;; fuzz_phone) echo 300 ;; *) echo 128 ;; esac
}
seeds_of() {
  case "$1" in fuzz_rules_dupkinds) echo fuzz_rules ;; *) echo "$1" ;; esac
}

failed=0
summary=()
for t in "${targets[@]}"; do
  bin="$out/$t"
  seeds=test/fuzz/corpus/$(seeds_of "$t")
  corpus="$out/corpus/$t"
  artifacts="$out/artifacts/$t"
  log="$out/logs/$t.log"
  mkdir -p "$corpus" "$artifacts"
  dict=()
  case "$t" in
    fuzz_email) dict=(-dict=test/fuzz/email.dict) ;;
    fuzz_phone) dict=(-dict=test/fuzz/phone.dict) ;;
  esac

  # 1. Regression inputs, once each.
  regressions=0
  reg_failed=0
  for input in test/fuzz/regressions/"$t"/*; do
    [ -f "$input" ] || continue
    regressions=$((regressions + 1))
    if ! "$bin" -runs=1 "$input" >"$out/logs/$t.regression.log" 2>&1; then
      reg_failed=$((reg_failed + 1))
      echo "FAILED  $t regression input $input:"
      grep -A3 "INVARIANT VIOLATED\|ERROR: AddressSanitizer\|runtime error\|ERROR: LeakSanitizer" \
        "$out/logs/$t.regression.log" | head -8 | sed 's/^/    /'
    fi
  done

  # 2. Fuzzing.
  echo "== $t: fuzzing for ${secs}s (log: $log)"
  # shellcheck disable=SC2086
  timeout $((secs * 2 + 120)) "$bin" "$corpus" "$seeds" \
    -max_total_time="$secs" -max_len="$(max_len "$t")" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "${dict[@]}" ${FUZZ_FLAGS:-} \
    >"$log" 2>&1
  rc=$?

  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  [ -n "$execs" ] || execs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
  corp=$(grep -o 'corp: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
  crashes=0
  if [ "$rc" -ne 0 ]; then
    crashes=1
    artifact=$(sed -n "s/.*Test unit written to //p" "$log" | tail -1)
    echo "CRASH   $t (exit $rc): $(grep -m1 -h 'INVARIANT VIOLATED\|ERROR: AddressSanitizer\|runtime error\|ERROR: LeakSanitizer\|ERROR: libFuzzer' "$log")"
    grep -A2 "INVARIANT VIOLATED" "$log" | sed -n 2,3p | sed 's/^/    /'
    if [ -n "$artifact" ] && [ -f "$artifact" ]; then
      echo "    input: $artifact"
      echo "    hex:   $(od -An -v -tx1 "$artifact" | tr -d ' \n' | head -c 600)"
      echo "    rerun: $bin $artifact"
    fi
  fi
  [ $((crashes + reg_failed)) -eq 0 ] || failed=1
  line=$(printf '%-20s execs %-9s cov %-5s ft %-5s corpus %-5s crashes %s  regressions %s/%s failed' \
    "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$crashes" "$reg_failed" "$regressions")
  echo "$line"
  summary+=("$line")
done

echo
echo "== summary (${secs}s per target)"
printf '%s\n' "${summary[@]}"
exit "$failed"
