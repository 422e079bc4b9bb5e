#!/usr/bin/env bash
# install-deps.sh: install what building and testing kmirror needs (Debian 12).
#
#   scripts/install-deps.sh              install missing packages (no-op when all are there)
#   scripts/install-deps.sh --check      only list missing packages; exit 1 if any
#   scripts/install-deps.sh --fetch-kafka  also pre-fetch the test harness's Kafka jars (Maven)
#   scripts/install-deps.sh --build-only   only what building kmirror needs, no test tools
#                                          (the container image's build stage)
#
# Idempotent. Runs apt-get (through sudo when not root), and `apt-get update`
# only when something is missing. librdkafka 2.14 is not among Debian 12's
# packages: scripts/librdkafka.sh rebuilds it from a later Debian suite's
# source package (once; the .debs are cached) and installs it.
set -euo pipefail

build_packages=(
    # build
    build-essential cmake ninja-build pkg-config
    # libraries
    libboost-dev prometheus-cpp-dev libyaml-cpp-dev libsqlite3-dev
    libspdlog-dev libsystemd-dev
    # librdkafka's own runtime libraries, for linking it statically
    libssl-dev libsasl2-dev libzstd-dev liblz4-dev zlib1g-dev libcurl4-openssl-dev
    libcjson-dev libnanopb-dev
)
test_packages=(
    # unit tests
    libgtest-dev libgmock-dev
    # integration tests: kcat, a JDK + Maven for real Kafka brokers
    # (tests/harness/fetch-kafka.sh) and MirrorMaker 2's client
    # (tests/harness/mm2-client.sh compiles it), python3 (free ports), the Prometheus
    # server and promtool (metrics tests; curl probes its readiness) and
    # openssl (certificates for the SASL_SSL cluster)
    kcat openjdk-17-jdk-headless maven python3 prometheus curl openssl
    # packaging tests (tests/package): systemd-analyze, dpkg-shlibdeps
    systemd dpkg-dev
    # bench/run.sh's WAN case: packets delayed through NFQUEUE (the kernel has no netem)
    iptables
)

check_only=false
fetch_kafka=false
build_only=false
for arg in "$@"; do
    case "$arg" in
    --check) check_only=true ;;
    --fetch-kafka) fetch_kafka=true ;;
    --build-only) build_only=true ;;
    -h | --help)
        sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "install-deps.sh: unknown argument '$arg'" >&2
        exit 2
        ;;
    esac
done
packages=("${build_packages[@]}")
$build_only || packages+=("${test_packages[@]}")

# One dpkg-query for all packages: "ii" in the status means installed.
declare -A installed=()
while read -r name status; do
    [[ "$status" == ii* ]] && installed["$name"]=1
done < <(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${packages[@]}" 2>/dev/null || true)

missing=()
for p in "${packages[@]}"; do
    [[ -n "${installed[$p]:-}" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
    echo "install-deps.sh: all ${#packages[@]} packages are installed"
elif $check_only; then
    echo "install-deps.sh: missing: ${missing[*]}"
    exit 1
else
    sudo=()
    if ((EUID != 0)); then
        command -v sudo >/dev/null || {
            echo "install-deps.sh: not root and no sudo; install as root: ${missing[*]}" >&2
            exit 1
        }
        sudo=(sudo)
    fi
    echo "install-deps.sh: installing: ${missing[*]}"
    "${sudo[@]}" apt-get update
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y --no-install-recommends "${missing[@]}"
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if $check_only; then
    "$root/scripts/librdkafka.sh" --check
else
    "$root/scripts/librdkafka.sh"
fi

if $fetch_kafka; then
    "$root/tests/harness/fetch-kafka.sh"
fi
