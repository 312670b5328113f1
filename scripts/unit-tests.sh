#!/usr/bin/env bash
# Builds the Postgres-free core with CMake and runs its GoogleTest suite.
# Writes build/unit.xml (read by run-tests.sh for the totals).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build/cmake -DCMAKE_BUILD_TYPE=RelWithDebInfo >build/cmake.log 2>&1 \
  || { mkdir -p build; cmake -S . -B build/cmake; exit 1; }
cmake --build build/cmake -j"$(nproc)" -- --no-print-directory >>build/cmake.log 2>&1 \
  || { cat build/cmake.log; exit 1; }
build/cmake/unit_tests --gtest_brief=1 --gtest_output=xml:build/unit.xml
