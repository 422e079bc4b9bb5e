#!/usr/bin/env bash
# image.sh: build kmirror's container image (Containerfile) with podman, on Debian 12.
#
#   scripts/image.sh                 build localhost/kmirror:VERSION (a cached no-op when nothing changed)
#   scripts/image.sh --tag NAME      tag it NAME too (the tests use their own tag)
#   scripts/image.sh --local-base    build on a debian:12-slim made here with debootstrap,
#                                    even where one was pulled from a registry
#   scripts/image.sh --new-base      make that local base again (today's packages), then build
#
# Installs podman, runc and debootstrap (Debian 12's packages) when missing.
# The Containerfile starts FROM debian:12 and debian:12-slim. Where a registry
# is reachable, `podman build` or `docker build -f Containerfile .` pulls the
# real ones and this script is not needed. When no image of those names is
# here, it makes one without any registry: `debootstrap --variant=minbase
# bookworm` from this machine's Debian mirror, trimmed as the registry's slim
# image is (no manuals, no docs but copyright files, no locales), cached as a
# tarball in ${KMIRROR_CACHE:-$HOME/.cache/kmirror}/image/ and imported under
# both names.
#
# The build reuses what this machine has: podman's layer cache (the build
# dependencies layer is redone only when install-deps.sh or librdkafka.sh
# change), and the librdkafka .debs scripts/librdkafka.sh cached here, mounted
# into the build stage as its KMIRROR_CACHE (so it installs them instead of
# rebuilding librdkafka). KMIRROR_BUILD_JOBS limits the compiler's parallelism.
#
# Runs podman as root (exit 77 otherwise: ctest's "skipped"). Two quirks of
# some sandboxed machines are handled on every machine alike: crun cannot
# manage their cgroups ("hybrid mode not supported"), so runc runs the
# containers; raising the open-files limit is refused, so the build's RUN
# steps get lowered limits. The build uses the host's network (apt inside
# reaches the same mirror).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${KMIRROR_CACHE:-$HOME/.cache/kmirror}"
base_tar="$cache/image/debian-12-minbase-slim.tar"
bases=(docker.io/library/debian:12-slim docker.io/library/debian:12)
tools=(podman runc debootstrap)
podman=(podman --runtime runc)
limits=(--ulimit nofile=4096:4096 --ulimit nproc=4096:4096)

version="$(sed -n 's/^project(kmirror VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")"
tags=("localhost/kmirror:$version")
local_base=false
new_base=false
while (($#)); do
    case "$1" in
    --tag)
        tags+=("${2:?--tag needs a name}")
        shift
        ;;
    --local-base) local_base=true ;;
    --new-base) local_base=true new_base=true ;;
    -h | --help)
        sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "image.sh: unknown argument '$1'" >&2
        exit 2
        ;;
    esac
    shift
done

if ((EUID != 0)); then
    echo "image.sh: skipped: builds with rootful podman, run it as root" >&2
    exit 77
fi

missing=()
for t in "${tools[@]}"; do
    dpkg-query -W -f='${db:Status-Abbrev}' "$t" 2>/dev/null | grep -q '^ii' || missing+=("$t")
done
if ((${#missing[@]})); then
    echo "image.sh: installing ${missing[*]}"
    apt-get update
    # Wait for another apt (install-deps.sh, say) rather than fail on its lock.
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y \
        --no-install-recommends "${missing[@]}"
fi

mkdir -p "$cache/image"
exec 9>"$cache/image.lock"
flock 9 # concurrent callers build once, the others find the cache

# The mirror this machine's apt uses (deb822 or one-line format).
debian_mirror() {
    local m=""
    if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
        m="$(awk 'BEGIN { RS = "" }
            /(^|\n)Types:[^\n]*[ \t]deb([ \t\n]|$)/ && /(^|\n)Suites:[^\n]*[ \t]bookworm([ \t\n]|$)/ {
                if (match($0, /URIs:[ \t]*[^ \t\n]+/)) {
                    split(substr($0, RSTART, RLENGTH), w, /[ \t]+/); print w[2]; exit
                }
            }' /etc/apt/sources.list.d/debian.sources)"
    fi
    if [[ -z "$m" && -f /etc/apt/sources.list ]]; then
        m="$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' /etc/apt/sources.list)"
    fi
    echo "${m:-http://deb.debian.org/debian}"
}

rootfs=""
trap '[[ -z "$rootfs" ]] || rm -rf "$rootfs" "$rootfs.log"' EXIT
make_base_tarball() {
    local dir mirror started=$SECONDS
    mirror="$(debian_mirror)"
    rootfs="$(mktemp -d "$cache/image/rootfs.XXXXXX")"
    dir="$rootfs"
    echo "image.sh: debootstrap --variant=minbase bookworm from $mirror"
    debootstrap --variant=minbase bookworm "$dir" "$mirror" >"$dir.log" 2>&1 || {
        tail -30 "$dir.log" >&2
        exit 1
    }
    rm -f "$dir.log"
    # Slim, as the registry's debian:12-slim: these paths are not installed,
    # now or by later packages (the runtime stage's libraries).
    cat >"$dir/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
# The "slim" variant of the Debian base image (kmirror's scripts/image.sh):
# files normally unnecessary in containers are excluded, and stay so.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/overrides/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/man/*
EOF
    find "$dir/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
    find "$dir/usr/share/doc" -mindepth 1 -type d -empty -delete
    rm -rf "$dir"/usr/share/{groff,info,linda,lintian/overrides,locale,man}/*
    # apt inside builds reaches the mirrors this machine uses, security updates included.
    if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
        cp /etc/apt/sources.list.d/debian.sources "$dir/etc/apt/sources.list.d/"
        rm -f "$dir/etc/apt/sources.list"
    fi
    # No package lists, caches or logs of this machine in the image.
    rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin "$dir"/var/cache/apt/archives/*.deb
    rm -f "$dir"/var/log/*.log "$dir/etc/hostname" "$dir/etc/resolv.conf"
    tar -C "$dir" --numeric-owner -cf "$base_tar.tmp" .
    mv "$base_tar.tmp" "$base_tar"
    rm -rf "$dir"
    echo "image.sh: base tarball $base_tar ($(du -m "$base_tar" | cut -f1) MB) in $((SECONDS - started)) s"
}

import_base() {
    local id
    [[ -f "$base_tar" ]] && ! $new_base || make_base_tarball
    id="$("${podman[@]}" import --change 'CMD ["bash"]' \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        "$base_tar" "${bases[0]}" 2>/dev/null | tail -1)"
    id="${id#sha256:}"
    "${podman[@]}" tag "$id" "${bases[@]:1}"
    echo "image.sh: ${bases[*]} = ${id:0:12}, made here with debootstrap"
}

have_bases=true
for b in "${bases[@]}"; do
    "${podman[@]}" image exists "$b" || have_bases=false
done
if $local_base || ! $have_bases; then
    import_base
fi

build_args=()
[[ -n "${KMIRROR_BUILD_JOBS:-}" ]] && build_args+=(--build-arg "KMIRROR_BUILD_JOBS=$KMIRROR_BUILD_JOBS")
tag_args=()
for t in "${tags[@]}"; do tag_args+=(--tag "$t"); done

echo "image.sh: building ${tags[*]} from $root/Containerfile"
started=$SECONDS
# The build stage's install-deps.sh finds librdkafka's .debs in its
# KMIRROR_CACHE: this machine's cache, mounted (and filled, if empty).
"${podman[@]}" build --network host "${limits[@]}" --layers \
    --volume "$cache:/var/cache/kmirror" "${build_args[@]}" "${tag_args[@]}" \
    -f "$root/Containerfile" "$root"

size() { "${podman[@]}" image inspect --format '{{.Size}}' "$1"; }
image_size="$(size "${tags[0]}")"
base_size="$(size "${bases[0]}")"
awk -v t="${tags[0]}" -v s="$image_size" -v b="$base_size" -v took=$((SECONDS - started)) 'BEGIN {
    printf "image.sh: %s built in %d s: %.1f MB, %.1f MB over its base debian:12-slim (%.1f MB)\n",
        t, took, s / 1e6, (s - b) / 1e6, b / 1e6 }'
