#!/usr/bin/env bash
# test.sh: install dependencies, build, and run every test.
#   1. unit tests (no broker) under AddressSanitizer + UBSan (Debug build);
#   2. unit, integration and deploy tests (real Kafka clusters from
#      tests/harness; the .deb, the Helm chart, the container image) on the
#      release build; integration binaries run in parallel;
#   3. the benchmark's smoke run (bench/run.sh --smoke), so it never rots.
# Options: --unit-only   skip the integration tests
#
# KMIRROR_TEST_TIMEOUT_SCALE (tests/harness/wait.h) stretches every test wait
# and every limit that load can move; bounds that are real (systemd's stop
# timeout, Kafka's session timeout, a promise such as "within 30 s") are not
# scaled. Set here per build unless the caller sets it:
#   ASan/UBSan: 3. A Debug build with ASan runs the fault-injection timing
#     tests several times slower than release, and ctest runs them -j nproc;
#   release: 2. The integration binaries run ctest -j nproc, each with its own
#     two Kafka brokers (JVMs), kmirror processes and often Prometheus, on a
#     machine with as few as 2 cores: waits take up to twice their idle time.
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
# The container image (tests/image): podman, a local debian:12-slim when there
# is none, and the image, built once up front (minutes: kmirror is compiled
# inside) for the same reason; ctest's image_build then finds it cached.
# Exit 77: not root, and tests/image is skipped.
if ! $unit_only; then
    echo "== container image (scripts/image.sh, log in build/image.log)"
    mkdir -p build
    rc=0
    scripts/image.sh >build/image.log 2>&1 || rc=$?
    if ((rc != 0 && rc != 77)); then
        tail -40 build/image.log
        exit "$rc"
    fi
    grep '^image.sh: ' build/image.log
fi

echo "== unit tests under ASan/UBSan"
scripts/build.sh asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    KMIRROR_TEST_TIMEOUT_SCALE="${KMIRROR_TEST_TIMEOUT_SCALE:-3}" \
    ctest --test-dir build/asan -L unit --output-on-failure -j "$(nproc)"

echo "== release build"
scripts/build.sh release
export KMIRROR_TEST_TIMEOUT_SCALE="${KMIRROR_TEST_TIMEOUT_SCALE:-2}"
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
