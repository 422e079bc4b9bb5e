#!/usr/bin/env bash
# fetch-kafka.sh [--mm2] [VERSION]
#
# Resolves Apache Kafka's broker + tools jars with Maven (tests/harness/pom.xml)
# into a cache outside the build tree and prints the libs directory as the last
# line of stdout:
#
#     ${KMIRROR_CACHE:-$HOME/.cache/kmirror}/kafka-VERSION/libs
#
# --mm2: instead resolves MirrorMaker 2's own code (connect-mirror and its
# whole dependency tree, one MM2 release; tests/harness/mm2-pom.xml) for
# mm2-client.sh into a directory of its own and prints that one:
#
#     ${KMIRROR_CACHE:-$HOME/.cache/kmirror}/kafka-VERSION/mm2-libs
#
# It is kept apart from libs/ (the brokers' classpath, `-cp libs/*`) because
# connect-mirror may be of another release than the brokers (see mm2-pom.xml).
#
# VERSION defaults to $KAFKA_VERSION, else KMIRROR_DEFAULT_KAFKA_VERSION below.
# A fetch happens once: a marker file (.complete, .mm2-complete) is written
# last, so an interrupted fetch is redone. Concurrent callers serialize on a
# flock.
#
# Env: KMIRROR_CACHE, KAFKA_VERSION, KAFKA_MIRROR_CLIENT_VERSION (pin the
# connect-mirror-client version, and connect-mirror's with --mm2; default: same
# as Kafka, or the newest of the same major line when Maven Central lacks it),
# MVN (default: mvn).
set -euo pipefail

# Newest 4.x verified against the librdkafka kmirror builds with (2.14.2): the
# whole suite, SCRAM-SHA-512 included; see README.md here.
KMIRROR_DEFAULT_KAFKA_VERSION=4.4.0

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mm2=false
if [[ "${1:-}" == --mm2 ]]; then
    mm2=true
    shift
fi
version="${1:-${KAFKA_VERSION:-$KMIRROR_DEFAULT_KAFKA_VERSION}}"
if [[ ! "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
    echo "fetch-kafka.sh: bad Kafka version '$version' (want X.Y.Z)" >&2
    exit 2
fi

cache="${KMIRROR_CACHE:-$HOME/.cache/kmirror}"
dir="$cache/kafka-$version"
mvn_bin="${MVN:-mvn}"

if $mm2; then
    libs="$dir/mm2-libs"
    marker="$dir/.mm2-complete"
else
    libs="$dir/libs"
    marker="$dir/.complete"
fi

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

# resolve POM PROPERTY ARTIFACT WHAT: copy-dependencies of POM into $libs with
# -DPROPERTY=$version; when Central lacks ARTIFACT $version (and the version is
# not pinned), retry with the newest of the same major line. Log: $dir/mvn*.log.
resolve() {
    local pom="$1" prop="$2" artifact="$3" what="$4"
    local log="$dir/mvn.log" want="${KAFKA_MIRROR_CLIENT_VERSION:-$version}"
    $mm2 && log="$dir/mvn-mm2.log"
    run_mvn() {
        rm -rf "$libs"
        "$mvn_bin" -B -q -f "$here/$pom" dependency:copy-dependencies \
            -Dkafka.version="$version" -D"$prop"="$1" \
            -DoutputDirectory="$libs" -Dmdep.overWriteReleases=true >"$log" 2>&1
    }
    echo "fetch-kafka.sh: resolving $what with Maven into $libs" >&2
    run_mvn "$want" && return 0
    if [[ -z "${KAFKA_MIRROR_CLIENT_VERSION:-}" ]] &&
        grep -qE "$artifact:(jar|pom):$version\b" "$log"; then
        # Central sometimes lags a release for the MM2 artifacts: take the newest
        # one of the same major line that is there.
        want="[${version%%.*}.0,$version]"
        echo "fetch-kafka.sh: $artifact $version is not on Maven Central; retrying with $want" >&2
        run_mvn "$want" && return 0
    fi
    cat "$log" >&2
    exit 1
}

if $mm2; then
    resolve mm2-pom.xml mirror.version connect-mirror "MirrorMaker 2 (connect-mirror) for Kafka $version"
    jar_in() { (cd "$libs" && ls "$1"-[0-9]*.jar 2>/dev/null); }
    if [[ -z "$(jar_in connect-mirror)" || -z "$(jar_in kafka-clients)" ]]; then
        echo "fetch-kafka.sh: Maven finished but $libs lacks connect-mirror or kafka-clients" >&2
        exit 1
    fi
    {
        echo "kafka.version=$version"
        echo "connect-mirror=$(jar_in connect-mirror)"
        echo "connect-mirror-client=$(jar_in connect-mirror-client)"
        echo "kafka-clients=$(jar_in kafka-clients)"
        echo "fetched=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    } >"$marker.tmp"
    mv "$marker.tmp" "$marker"
    echo "$libs"
    exit 0
fi

resolve pom.xml mirror.client.version connect-mirror-client "Apache Kafka $version"
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
