#!/usr/bin/env bash
# librdkafka.sh: install librdkafka 2.14, rebuilt from Debian's own source package.
#
#   scripts/librdkafka.sh            install it (no-op when the pinned version is installed)
#   scripts/librdkafka.sh --check    exit 1 unless the pinned version is installed
#
# Debian 12 ships librdkafka 2.0.2, which cannot authenticate with SCRAM to
# Kafka 4.x brokers (fixed in 2.6.1); 2.8 frees a topic's metadata twice when
# the topic is re-created (fixed in 2.10) and drops the assignment on a commit
# refused mid-rebalance (librdkafka#4059, fixed in 2.10); the next-generation
# group protocol (KIP-848) is production-ready from 2.12. Forky's source
# package 2.14.2-1 builds on Debian 12 with:
#   - opentelemetry-proto (.proto files for KIP-714 telemetry) from
#     bookworm-backports, the one build dependency Debian 12 itself lacks: a
#     binary line for bookworm-backports is added, which installs nothing
#     unless asked for by name (backports are pinned below the release);
#   - a shim for Debian 12's nanopb 0.4.7, which installs its headers as
#     /usr/include/pb*.h and its generator as nanopb_generator.py where later
#     suites have /usr/include/nanopb/ and nanopb_generator.
# So: add a deb-src line for forky (source only: no binary package of forky
# can be installed through it), fetch the source package (apt checks its
# signature), build the binary packages with dpkg-buildpackage, cache the
# .debs and install them with dpkg.
#
# The .debs are cached in ${KMIRROR_CACHE:-$HOME/.cache/kmirror}/librdkafka-VERSION,
# so the build runs once per machine (about a minute on 2 cores); a later run
# only installs them, and one on a machine where they are installed does nothing.
#
# kmirror links librdkafka statically (see README.md, Development), so the
# installed shared library serves the tools only (kcat), and the kmirror
# binary and its .deb need nothing of this beyond Debian 12's own libraries.
set -euo pipefail

version=2.14.2-1
suite=forky
cache="${KMIRROR_CACHE:-$HOME/.cache/kmirror}/librdkafka-$version"
packages=(librdkafka1 librdkafka-dev librdkafka++1)
sources_file=/etc/apt/sources.list.d/kmirror-$suite-src.sources
backports_file=/etc/apt/sources.list.d/kmirror-bookworm-backports.sources

installed_version() {
    dpkg-query -W -f='${db:Status-Abbrev} ${Version}\n' librdkafka-dev 2>/dev/null |
        awk '$1 == "ii" { print $2 }'
}

if [[ "$(installed_version)" == "$version" ]]; then
    echo "librdkafka.sh: librdkafka $version is installed"
    exit 0
fi
if [[ "${1:-}" == --check ]]; then
    echo "librdkafka.sh: librdkafka $version is not installed (have: $(installed_version || true))"
    exit 1
fi

sudo=()
if ((EUID != 0)); then
    command -v sudo >/dev/null || {
        echo "librdkafka.sh: not root and no sudo; run as root" >&2
        exit 1
    }
    sudo=(sudo)
fi
apt_install() {
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"
}

mkdir -p "$cache"
exec 9>"$cache.lock"
flock 9 # concurrent callers build once

debs() {
    local p
    for p in "${packages[@]}"; do
        ls "$cache/${p}_${version}_"*.deb 2>/dev/null || return 1
    done
}

if ! debs >/dev/null; then
    echo "librdkafka.sh: building librdkafka $version from Debian $suite's source package"
    if [[ ! -f "$sources_file" ]]; then
        printf '%s\n' \
            "# Added by kmirror's scripts/librdkafka.sh: source packages only, to rebuild" \
            "# librdkafka $version (Debian 12's 2.0.2 cannot do SCRAM with Kafka 4.x)." \
            "Types: deb-src" \
            "URIs: http://deb.debian.org/debian" \
            "Suites: $suite" \
            "Components: main" \
            "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" |
            "${sudo[@]}" tee "$sources_file" >/dev/null
    fi
    codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
    if [[ "$codename" == bookworm && ! -f "$backports_file" ]]; then
        printf '%s\n' \
            "# Added by kmirror's scripts/librdkafka.sh: opentelemetry-proto, a build" \
            "# dependency of librdkafka $version that Debian 12 lacks." \
            "Types: deb" \
            "URIs: http://deb.debian.org/debian" \
            "Suites: bookworm-backports" \
            "Components: main" \
            "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" |
            "${sudo[@]}" tee "$backports_file" >/dev/null
    fi
    "${sudo[@]}" apt-get update
    apt_install dpkg-dev fakeroot
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get build-dep -y --no-install-recommends "librdkafka=$version"
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    (
        cd "$work"
        apt-get source --only-source "librdkafka=$version"
        cd librdkafka-*/
        # Debian 12's nanopb (0.4.7) under the names the package's build uses.
        shim="$work/nanopb-shim"
        mkdir -p "$shim/include/nanopb" "$shim/bin"
        if [[ ! -e /usr/include/nanopb/pb.h ]]; then
            ln -s /usr/include/pb.h /usr/include/pb_common.h /usr/include/pb_decode.h \
                /usr/include/pb_encode.h "$shim/include/nanopb/"
        fi
        if ! command -v nanopb_generator >/dev/null; then
            ln -s "$(command -v nanopb_generator.py)" "$shim/bin/nanopb_generator"
        fi
        # nocheck: the package's tests need a broker; kmirror's suite tests the library.
        PATH="$shim/bin:$PATH" DEB_CPPFLAGS_APPEND="-I$shim/include" \
            DEB_BUILD_OPTIONS="nocheck nodoc parallel=$(nproc)" \
            dpkg-buildpackage -b -uc -us >build.log 2>&1 || {
            tail -50 build.log >&2
            exit 1
        }
    )
    cp "$work"/*.deb "$cache/"
fi

mapfile -t files < <(debs)
echo "librdkafka.sh: installing ${files[*]##*/}"
# The runtime libraries the packages depend on are Debian 12's own; kmirror,
# linking librdkafka.a, also needs the static nanopb and cJSON's headers.
apt_install libssl3 libsasl2-2 libzstd1 liblz4-1 zlib1g libcurl4 libcjson1 libcjson-dev libnanopb-dev
"${sudo[@]}" dpkg -i "${files[@]}"
echo "librdkafka.sh: librdkafka $(installed_version) installed"
