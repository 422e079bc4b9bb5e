#!/usr/bin/env bash
# fetch-kafka.sh [VERSION]
#
# Resolves Apache Kafka's broker + tools jars with Maven (tests/harness/pom.xml)
# into a cache outside the build tree and prints the libs directory as the last
# line of stdout:
#
#     ${KMIRROR_CACHE:-$HOME/.cache/kmirror}/kafka-VERSION/libs
#
# VERSION defaults to $KAFKA_VERSION, else KMIRROR_DEFAULT_KAFKA_VERSION below.
# A fetch happens once: a marker file (.complete) is written last, so an
# interrupted fetch is redone. Concurrent callers serialize on a flock.
#
# Env: KMIRROR_CACHE, KAFKA_VERSION, KAFKA_MIRROR_CLIENT_VERSION (pin the
# connect-mirror-client version; default: same as Kafka, or the newest of the
# same major line when Maven Central lacks it), MVN (default: mvn).
set -euo pipefail

# Newest 4.x verified against librdkafka 2.0.2 (kcat -L, produce, consume with
# -G, idempotent + transactional producer, admin calls); see README.md here.
KMIRROR_DEFAULT_KAFKA_VERSION=4.4.0

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
version="${1:-${KAFKA_VERSION:-$KMIRROR_DEFAULT_KAFKA_VERSION}}"
if [[ ! "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
    echo "fetch-kafka.sh: bad Kafka version '$version' (want X.Y.Z)" >&2
    exit 2
fi

cache="${KMIRROR_CACHE:-$HOME/.cache/kmirror}"
dir="$cache/kafka-$version"
libs="$dir/libs"
marker="$dir/.complete"

if [[ -f "$marker" ]]; then
    echo "$libs"
    exit 0
fi

mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9
if [[ -f "$marker" ]]; then # another process finished it while we waited
    echo "$libs"
    exit 0
fi

mvn_bin="${MVN:-mvn}"
run_mvn() { # run_mvn MIRROR_CLIENT_VERSION -> output in $dir/mvn.log
    rm -rf "$libs"
    "$mvn_bin" -B -q -f "$here/pom.xml" dependency:copy-dependencies \
        -Dkafka.version="$version" -Dmirror.client.version="$1" \
        -DoutputDirectory="$libs" -Dmdep.overWriteReleases=true >"$dir/mvn.log" 2>&1
}

echo "fetch-kafka.sh: resolving Apache Kafka $version with Maven into $libs" >&2
mirror_client="${KAFKA_MIRROR_CLIENT_VERSION:-$version}"
if ! run_mvn "$mirror_client"; then
    if [[ -z "${KAFKA_MIRROR_CLIENT_VERSION:-}" ]] &&
        grep -q "connect-mirror-client:jar:$version" "$dir/mvn.log"; then
        # Central sometimes lags a release for this artifact: take the newest
        # one of the same major line that is there (a thin client library).
        mirror_client="[${version%%.*}.0,$version]"
        echo "fetch-kafka.sh: connect-mirror-client $version is not on Maven Central;" \
            "retrying with $mirror_client" >&2
        run_mvn "$mirror_client" || {
            cat "$dir/mvn.log" >&2
            exit 1
        }
    else
        cat "$dir/mvn.log" >&2
        exit 1
    fi
fi

if ! compgen -G "$libs/kafka_2.13-$version.jar" >/dev/null; then
    echo "fetch-kafka.sh: Maven finished but $libs/kafka_2.13-$version.jar is missing" >&2
    exit 1
fi
{
    echo "kafka.version=$version"
    echo "connect-mirror-client=$(cd "$libs" && ls connect-mirror-client-*.jar 2>/dev/null)"
    echo "fetched=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} >"$marker.tmp"
mv "$marker.tmp" "$marker"
echo "$libs"
