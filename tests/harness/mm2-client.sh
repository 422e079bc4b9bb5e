#!/usr/bin/env bash
# mm2-client.sh: MirrorMaker 2's own Java code against a cluster, for tests
# that compare kmirror with what MM2 computes (tests/harness/mm2-client/Mm2Client.java).
#
#   mm2-client.sh translate --bootstrap HOST:PORT --source-alias ALIAS --group G [--timeout-ms N] [--property K=V]...
#       RemoteClusterUtils.translateOffsets(props, ALIAS, G, timeout); bootstrap = the TARGET
#       cluster (ALIAS.checkpoints.internal is there). stdout, sorted by topic, partition:
#           TOPIC PARTITION OFFSET
#   mm2-client.sh offset-syncs --bootstrap HOST:PORT --topic mm2-offset-syncs.ALIAS.internal [--timeout-ms N] [--property K=V]...
#       partition 0 of the topic, beginning to end offset, each record decoded with MM2's
#       OffsetSync.deserializeRecord. stdout, in topic order, duplicates kept:
#           TOPIC PARTITION UPSTREAM_OFFSET DOWNSTREAM_OFFSET
#
# --timeout-ms defaults to 30000; --property adds a Kafka client setting (repeatable).
# Exit 0 with only the lines above on stdout and nothing on stderr (client
# logging is at WARN, on stderr); 1 on an error, 2 on bad usage, message on stderr.
#
# The jars: `fetch-kafka.sh --mm2` (connect-mirror of the Kafka version, or the
# newest of its major line on Maven Central, with its own kafka-clients), cached
# in ${KMIRROR_CACHE:-~/.cache/kmirror}/kafka-VERSION/mm2-libs. Mm2Client.java is
# compiled once into .../kafka-VERSION/mm2-client/ and again when the .java is
# newer than the class.
#
# Environment: KAFKA_VERSION, KMIRROR_CACHE (as fetch-kafka.sh), KMIRROR_JAVA
# (java binary; default $JAVA_HOME/bin/java, else java on PATH), KMIRROR_JAVAC
# (likewise for javac).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="$here/mm2-client/Mm2Client.java"

die() {
    echo "mm2-client.sh: $*" >&2
    exit 1
}

case "${1:-}" in
translate | offset-syncs) ;;
*)
    sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac

jdk_tool() { # jdk_tool NAME OVERRIDE
    if [[ -n "$2" ]]; then
        echo "$2"
    elif [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/$1" ]]; then
        echo "$JAVA_HOME/bin/$1"
    else
        command -v "$1" || die "no $1 found (install openjdk-17-jdk-headless or set JAVA_HOME)"
    fi
}

# The jars; fetch-kafka.sh talks only when it fetches: show that only if it fails.
fetch_log="$(mktemp)"
if ! libs="$("$here/fetch-kafka.sh" --mm2 2>"$fetch_log" | tail -n 1)" || [[ ! -d "$libs" ]]; then
    cat "$fetch_log" >&2
    rm -f "$fetch_log"
    die "fetching MirrorMaker 2's jars failed"
fi
rm -f "$fetch_log"

# Compile once per jar set (the class files sit beside mm2-libs), under a lock.
out="$(dirname "$libs")/mm2-client"
classes="$out/classes"
if [[ ! -f "$classes/Mm2Client.class" || "$src" -nt "$classes/Mm2Client.class" ]]; then
    mkdir -p "$out"
    exec 8>"$out/.lock"
    flock 8
    if [[ ! -f "$classes/Mm2Client.class" || "$src" -nt "$classes/Mm2Client.class" ]]; then
        tmp="$(mktemp -d "$out/classes.XXXXXX")"
        chmod 755 "$tmp"
        if ! "$(jdk_tool javac "${KMIRROR_JAVAC:-}")" -nowarn -encoding UTF-8 --release 17 \
            -cp "$libs/*" -d "$tmp" "$src" >"$out/javac.log" 2>&1; then
            cat "$out/javac.log" >&2
            rm -rf "$tmp"
            die "compiling $src failed"
        fi
        rm -rf "$classes"
        mv "$tmp" "$classes"
    fi
    exec 8>&-
fi

exec "$(jdk_tool java "${KMIRROR_JAVA:-}")" -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
    -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dorg.slf4j.simpleLogger.logFile=System.err \
    -cp "$classes:$libs/*" Mm2Client "$@"
