#!/usr/bin/env bash
# test.sh: install dependencies, build, and run every test.
#   1. unit tests (no broker) under AddressSanitizer + UBSan (Debug build);
#   2. unit and integration tests (real Kafka clusters from tests/harness)
#      on the release build; integration binaries run in parallel;
#   3. the benchmark's smoke run (bench/run.sh --smoke), so it never rots.
# Options: --unit-only   skip the integration tests
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
unit_only=false
[[ "${1:-}" == "--unit-only" ]] && unit_only=true

scripts/install-deps.sh
# Fetch the Kafka jars once up front, so test binaries do not race for it.
$unit_only || tests/harness/fetch-kafka.sh >/dev/null
# security_test also runs Kafka 3.9.1 (SCRAM on the last 3.x line).
$unit_only || tests/harness/fetch-kafka.sh 3.9.1 >/dev/null
# MirrorMaker 2's own client jars, for the compatibility test (failover_test).
$unit_only || tests/harness/fetch-kafka.sh --mm2 >/dev/null
# helm (built with Go) and kubernetes-validate for the chart's tests (tests/chart):
# built once up front, not inside a ctest entry racing the Kafka tests for CPU.
$unit_only || scripts/helm.sh >/dev/null

echo "== unit tests under ASan/UBSan"
scripts/build.sh asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build/asan -L unit --output-on-failure -j "$(nproc)"

echo "== release build"
scripts/build.sh release
if $unit_only; then
    ctest --test-dir build/release -L unit --output-on-failure -j "$(nproc)"
else
    echo "== unit and integration tests (real Kafka ${KAFKA_VERSION:-default version})"
    ctest --test-dir build/release --output-on-failure -j "$(nproc)"
    # After the tests, alone on the machine: about a minute, and it fails
    # unless kmirror copied every record exactly (docs/benchmarks.md).
    echo "== benchmark smoke (bench/run.sh --smoke)"
    bench/run.sh --smoke
fi
