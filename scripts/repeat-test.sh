#!/usr/bin/env bash
# repeat-test.sh: run one test binary N times in a row and count how it ended,
# for the issues that ask for a test "N times in a loop" (a hang and a crash
# are counted apart from a plain failure).
#
#   scripts/repeat-test.sh N BINARY [GTEST ARGS...]
#   e.g. scripts/repeat-test.sh 30 build/release/tests/topic_recreate_test
#        scripts/repeat-test.sh 30 build/asan/tests/topic_recreate_test --gtest_filter='TopicRecreate.*'
#
# Each run gets its own log, build/repeat/<binary>-<i>.log, kept when it did
# not pass. A run that outlives REPEAT_RUN_TIMEOUT (default 1800 s) is killed
# and counted as a hang. Exit 0 only when every run passed.
set -euo pipefail
(($# >= 2)) || {
    sed -n '2,12p' "$0" >&2
    exit 2
}
runs="$1"
binary="$2"
shift 2
name="$(basename "$binary")"
logs="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build/repeat"
mkdir -p "$logs"
passed=0 failed=0 crashed=0 hung=0
for ((i = 1; i <= runs; i++)); do
    log="$logs/$name-$i.log"
    started=$SECONDS
    rc=0
    timeout --signal=ABRT --kill-after=30 "${REPEAT_RUN_TIMEOUT:-1800}" \
        "$binary" --gtest_color=no "$@" >"$log" 2>&1 || rc=$?
    took=$((SECONDS - started))
    if ((rc == 0)); then
        passed=$((passed + 1))
        outcome=passed
        rm -f "$log"
    elif ((rc == 124 || rc == 137)); then # timeout(1): timed out (SIGABRT, then SIGKILL)
        hung=$((hung + 1))
        outcome="HUNG (killed after ${REPEAT_RUN_TIMEOUT:-1800} s; log $log)"
    elif ((rc > 128)) || grep -qE 'double free|AddressSanitizer|Segmentation fault|core dumped' "$log"; then
        crashed=$((crashed + 1))
        outcome="CRASHED (exit $rc; log $log)"
    else
        failed=$((failed + 1))
        outcome="failed (exit $rc; $(grep -c '^\[  FAILED  \]' "$log" || true) FAILED lines; log $log)"
    fi
    echo "repeat-test.sh: $name run $i/$runs: $outcome, ${took} s"
done
echo "repeat-test.sh: $name: $passed of $runs passed, $failed failed, $crashed crashed, $hung hung"
((passed == runs))
