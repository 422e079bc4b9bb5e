#!/usr/bin/env bash
# runtime_deps_test.sh SOURCE_DIR BINARY: packaging/runtime-packages.txt names
# exactly the Debian packages whose shared libraries BINARY links, as
# dpkg-shlibdeps (what debhelper uses for a package's Depends) finds them.
# That file is the .deb's Depends and the container image's package list, so
# a new library dependency fails here instead of in a user's `dpkg -i` or in
# an image that cannot start. Entries marked `# extra:` are not libraries.
set -euo pipefail
src="$(cd "$1" && pwd)"
binary="$(realpath "$2")"
list="$src/packaging/runtime-packages.txt"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir "$work/debian"
touch "$work/debian/control" # dpkg-shlibdeps wants a source package around it
(cd "$work" && dpkg-shlibdeps -O -e "$binary" 2>"$work/stderr") >"$work/shlibs" || {
    cat "$work/stderr" >&2
    echo "FAIL: dpkg-shlibdeps could not map every library of $binary to a package" >&2
    exit 1
}
# shlibs:Depends=libc6 (>= 2.34), libcurl4 (>= 7.16.2), ...
sed -e 's/^shlibs:Depends=//' -e 's/ *([^)]*)//g' -e 's/, */\n/g' "$work/shlibs" |
    sed -e 's/ *|.*//' | sort -u >"$work/needed"
grep -v '# *extra:' "$list" | sed -e 's/#.*//' -e 's/[[:space:]]//g' | grep -v '^$' |
    sort -u >"$work/listed"

echo "dpkg-shlibdeps $binary:"
sed 's/^shlibs:Depends=/  /' "$work/shlibs"
if ! diff -u "$work/listed" "$work/needed" >"$work/diff"; then
    echo "FAIL: packaging/runtime-packages.txt does not match the binary's libraries" >&2
    echo "  only in the list (remove):   $(comm -23 "$work/listed" "$work/needed" | tr '\n' ' ')" >&2
    echo "  only in the binary (add):    $(comm -13 "$work/listed" "$work/needed" | tr '\n' ' ')" >&2
    exit 1
fi
echo "packaging/runtime-packages.txt: the $(wc -l <"$work/needed") library packages match;" \
    "extra: $(grep '# *extra:' "$list" | sed 's/[[:space:]]*#.*//' | tr '\n' ' ')"
