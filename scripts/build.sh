#!/usr/bin/env bash
# build.sh [release|asan]: configure and build into build/<kind> (Ninja).
#   release: RelWithDebInfo, warnings as errors
#   asan:    Debug with AddressSanitizer + UndefinedBehaviorSanitizer
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
kind="${1:-release}"
case "$kind" in
    release) flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
    asan) flags=(-DCMAKE_BUILD_TYPE=Debug -DKMIRROR_SANITIZE=address,undefined) ;;
    *) echo "build.sh: unknown build kind '$kind' (release|asan)" >&2; exit 2 ;;
esac
cmake -S "$root" -B "$root/build/$kind" -G Ninja -DKMIRROR_WERROR=ON "${flags[@]}" >/dev/null
ninja -C "$root/build/$kind" -j "${KMIRROR_BUILD_JOBS:-$(nproc)}"
