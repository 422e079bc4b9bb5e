#!/usr/bin/env bash
# package_test.sh contents|install SOURCE_DIR BUILD_DIR: the .deb and the
# systemd unit as packaged. Both modes start with
#
#   1. cpack builds kmirror_<version>_<arch>.deb from BUILD_DIR (kmirror built).
#
# contents (no root needed, never skipped):
#   2. the files and modes inside it, its conffiles, and the unit inside it:
#      `systemd-analyze security --offline=true` score printed, <= 2.0 required;
#   3. `cmake --install --prefix /usr/local` into a staging directory: the unit
#      names /usr/local/bin/kmirror and /usr/local/etc/kmirror, and a second
#      install keeps an edited kmirror.yaml.
#
# install (root: exit 77, which ctest reports as skipped, without it):
#   4. `dpkg -i` on this machine: `kmirror --version` from /usr/bin, the unit at
#      /lib/systemd/system with ExecStart= naming /usr/bin/kmirror,
#      `systemd-analyze verify` on it, the default configuration passes
#      `kmirror check-config` as the service user;
#   5. `dpkg --purge`: every file `dpkg -L` listed is gone, /var/lib/kmirror
#      (the state the service writes) too; only the system user `kmirror`
#      stays, as Debian packages do.
#
# `install` changes this machine's package database: it refuses to run when a
# kmirror package is already installed rather than purge someone's. ctest runs
# it alone (RESOURCE_LOCK dpkg).
set -euo pipefail

mode="${1:-}"
[[ "$mode" == contents || "$mode" == install ]] ||
    { echo "usage: package_test.sh contents|install SOURCE_DIR BUILD_DIR" >&2; exit 2; }
src="$(cd "$2" && pwd)"
build="$(cd "$3" && pwd)"
max_exposure=2.0

fail() {
    echo "FAIL: $*" >&2
    exit 1
}
started=$SECONDS
step_started=
step() {
    [[ -n "$step_started" ]] && echo "   ($((SECONDS - step_started)) s)"
    step_started=$SECONDS
    echo "== $*"
}

if [[ "$mode" == install ]]; then
    if ((EUID != 0)); then
        echo "package_test install: skipped: dpkg -i needs root" \
            "(the package's contents are checked by package_test contents)"
        exit 77
    fi
    state="$(dpkg-query -W -f='${db:Status-Abbrev}' kmirror 2>/dev/null || true)"
    if [[ -n "$state" && "$state" != "un "* && "$state" != "pn "* ]]; then
        fail "a kmirror package is already on this machine (dpkg status '$state'):" \
            "this test installs and purges its own; remove that one first (dpkg --purge kmirror)"
    fi
fi

work="$(mktemp -d)"
installed=false
cleanup() {
    if $installed; then
        echo "package_test: purging the package it installed"
        dpkg --purge kmirror >/dev/null 2>&1 || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
# ctest's timeout sends SIGTERM: purge on the way out then too.
trap 'exit 1' INT TERM

# dpkg refuses at once when apt or dpkg runs elsewhere: wait for its lock.
dpkg_waiting() {
    local i
    for ((i = 0; i < 60; i++)); do
        if dpkg "$@" >"$work/dpkg.log" 2>&1; then
            cat "$work/dpkg.log"
            return 0
        fi
        grep -q "lock" "$work/dpkg.log" || break
        sleep 2
    done
    cat "$work/dpkg.log" >&2
    return 1
}

# "→ Overall exposure level for kmirror.service: 1.1 OK 🙂" -> 1.1
exposure() {
    local out
    out="$(systemd-analyze security --offline=true "$1" 2>&1)" || {
        echo "$out" >&2
        fail "systemd-analyze security failed on $1"
    }
    sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$out"
}
check_exposure() {
    local score
    score="$(exposure "$1")"
    [[ -n "$score" ]] || fail "no exposure level in systemd-analyze security's output for $1"
    echo "systemd-analyze security --offline=true $2: exposure $score (limit $max_exposure)"
    awk -v s="$score" -v m="$max_exposure" 'BEGIN { exit !(s <= m) }' ||
        fail "$2: exposure $score > $max_exposure; see systemd-analyze security --offline=true $1"
}

step "cpack -G DEB (from $build)"
cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/cpack" >"$work/cpack.log" 2>&1 || {
    cat "$work/cpack.log" >&2
    fail "cpack failed"
}
debs=("$work"/cpack/kmirror_*.deb)
((${#debs[@]} == 1)) && [[ -f "${debs[0]}" ]] || fail "cpack made no single kmirror_*.deb: ${debs[*]}"
deb="${debs[0]}"
echo "${deb##*/}: $(du -h "$deb" | cut -f1)"
dpkg-deb -f "$deb" Package Version Architecture Depends

# 2. what the .deb holds (no root needed)
check_contents() {
    step "the package's contents"
    dpkg-deb -c "$deb" >"$work/contents"
    for want in "-rwxr-xr-x root/root .* ./usr/bin/kmirror$" \
        "-rw-r--r-- root/root .* ./lib/systemd/system/kmirror.service$" \
        "-rw-r--r-- root/root .* ./etc/kmirror/kmirror.yaml$" \
        "-rw-r----- root/root .* ./etc/kmirror/kmirror.env$" \
        "-rw-r--r-- root/root .* ./usr/share/doc/kmirror/docs/deploy-systemd.md$" \
        "-rw-r--r-- root/root .* ./usr/share/doc/kmirror/examples/kmirror.yaml$"; do
        grep -Eq -- "^$want" "$work/contents" || {
            cat "$work/contents" >&2
            fail "not in the package: $want"
        }
    done
    dpkg-deb -e "$deb" "$work/control"
    [[ "$(cat "$work/control/conffiles")" == $'/etc/kmirror/kmirror.yaml\n/etc/kmirror/kmirror.env' ]] ||
        fail "conffiles: $(cat "$work/control/conffiles")"
    dpkg-deb -x "$deb" "$work/root"
    check_exposure "$work/root/lib/systemd/system/kmirror.service" "the packaged kmirror.service"
}

# 4. and 5. (root)
install_and_purge() {
    step "dpkg -i ${deb##*/}"
    installed=true
    dpkg_waiting -i "$deb" || fail "dpkg -i failed (missing dependencies? see above)"
    dpkg-query -W -f='${db:Status-Abbrev}\n' kmirror | grep -q '^ii' || fail "kmirror is not installed after dpkg -i"
    dpkg -L kmirror | sort >"$work/files"

    step "the installed package"
    version="$(dpkg-deb -f "$deb" Version)"
    out="$(/usr/bin/kmirror --version)" || fail "/usr/bin/kmirror --version failed"
    echo "$out"
    [[ "$out" == "kmirror $version "* ]] || fail "kmirror --version says '$out', the package is $version"
    unit=/lib/systemd/system/kmirror.service
    [[ -f "$unit" ]] || fail "$unit is missing"
    grep -qx 'ExecStart=/usr/bin/kmirror run -c /etc/kmirror/kmirror.yaml' "$unit" ||
        fail "$unit: ExecStart does not run /usr/bin/kmirror: $(grep ExecStart= "$unit")"
    if out="$(systemd-analyze verify "$unit" 2>&1)" && [[ -z "$out" ]]; then
        echo "systemd-analyze verify $unit: clean"
    else
        echo "$out" >&2
        fail "systemd-analyze verify $unit"
    fi
    check_exposure "$unit" "$unit"
    getent passwd kmirror >/dev/null || fail "the postinst made no user kmirror"
    [[ "$(stat -c '%a %U:%G' /etc/kmirror/kmirror.env)" == "640 root:root" ]] ||
        fail "/etc/kmirror/kmirror.env: $(stat -c '%a %U:%G' /etc/kmirror/kmirror.env), want 640 root:root"
    # The packaged configuration is valid, read as the service's user.
    setpriv --reuid=kmirror --regid=kmirror --clear-groups \
        /usr/bin/kmirror check-config -c /etc/kmirror/kmirror.yaml >/dev/null ||
        fail "the packaged /etc/kmirror/kmirror.yaml does not pass check-config as user kmirror"
    # The user's home and the service's StateDirectory, where kmirror writes.
    [[ "$(stat -c '%a %U:%G' /var/lib/kmirror)" == "700 kmirror:kmirror" ]] ||
        fail "/var/lib/kmirror: $(stat -c '%a %U:%G' /var/lib/kmirror), want 700 kmirror:kmirror"
    setpriv --reuid=kmirror --regid=kmirror --clear-groups touch /var/lib/kmirror/state.db

    step "dpkg --purge kmirror"
    dpkg_waiting --purge kmirror || fail "dpkg --purge failed"
    installed=false
    dpkg-query -W -f='${db:Status-Abbrev}\n' kmirror 2>/dev/null | grep -qv '^[up]n' &&
        fail "kmirror still known to dpkg after purge: $(dpkg-query -W -f='${db:Status-Abbrev}' kmirror)"
    left=()
    while read -r path; do
        [[ -e "$path" || -L "$path" ]] || continue
        # A directory another package owns too (/usr/bin, /lib/systemd/system) stays.
        [[ -d "$path" ]] && dpkg -S "$path" >/dev/null 2>&1 && continue
        left+=("$path")
    done <"$work/files"
    [[ -e /var/lib/kmirror ]] && left+=(/var/lib/kmirror)
    for f in /var/lib/systemd/deb-systemd-helper-enabled/*kmirror* \
        /var/lib/systemd/deb-systemd-helper-masked/*kmirror*; do
        [[ -e "$f" ]] && left+=("$f")
    done
    ((${#left[@]} == 0)) || fail "left behind after purge: ${left[*]}"
    echo "purge: all $(wc -l <"$work/files") paths dpkg -L listed are gone, /var/lib/kmirror too;" \
        "the system user kmirror stays (Debian practice)"
}

# 3. (no root needed)
check_staged_install() {
    step "cmake --install --prefix /usr/local (staged)"
    stage="$work/stage"
    DESTDIR="$stage" cmake --install "$build" --prefix /usr/local >/dev/null
    local_unit="$stage/usr/local/lib/systemd/system/kmirror.service"
    [[ -x "$stage/usr/local/bin/kmirror" ]] || fail "no $stage/usr/local/bin/kmirror"
    grep -qx 'ExecStart=/usr/local/bin/kmirror run -c /usr/local/etc/kmirror/kmirror.yaml' "$local_unit" ||
        fail "$local_unit: $(grep ExecStart= "$local_unit")"
    grep -q '^ConfigurationDirectory=' "$local_unit" && fail "$local_unit: ConfigurationDirectory= for /etc"
    grep -Eq '(^|[=[:space:]])(/usr/bin/kmirror|/etc/kmirror|/usr/share/doc)' "$local_unit" &&
        fail "$local_unit still names /usr/bin, /etc or /usr/share: $(grep -E '(^|[=[:space:]])(/usr/bin/kmirror|/etc/kmirror|/usr/share/doc)' "$local_unit")"
    [[ "$(stat -c '%a' "$stage/usr/local/etc/kmirror/kmirror.env")" == 640 ]] || fail "kmirror.env is not 0640"
    check_exposure "$local_unit" "the /usr/local unit"
    echo "# edited" >>"$stage/usr/local/etc/kmirror/kmirror.yaml"
    DESTDIR="$stage" cmake --install "$build" --prefix /usr/local >/dev/null
    grep -q '^# edited$' "$stage/usr/local/etc/kmirror/kmirror.yaml" ||
        fail "a second cmake --install overwrote an edited kmirror.yaml"
}

case "$mode" in
    contents)
        check_contents
        check_staged_install
        ;;
    install) install_and_purge ;;
esac

echo "   ($((SECONDS - step_started)) s)"
echo "package_test $mode: passed in $((SECONDS - started)) s"
