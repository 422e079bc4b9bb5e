#!/usr/bin/env python3
"""containerfile_test.py SOURCE_DIR: static checks of the Containerfile.

The image itself is built and run by tests/image (image_build, image_test;
root and podman). These checks need neither, and say what is wrong in the
instructions themselves:

* two stages: `FROM debian:12 AS build` installs the build dependencies with
  scripts/install-deps.sh and builds kmirror; the runtime stage is
  `FROM debian:12-slim`;
* the runtime stage installs packaging/runtime-packages.txt and no other
  package (the list the .deb depends on, checked against the binary by
  runtime_deps_test.sh), and every name in it is a package apt knows;
* it runs as a numeric non-root USER without relying on that UID: the state
  directory /var/lib/kmirror belongs to group 0 and group 0 may write it
  (OpenShift's arbitrary UIDs run in group 0), and it is a VOLUME;
* ENTRYPOINT is /usr/bin/kmirror (exec form);
* the version label's default (ARG KMIRROR_VERSION) is CMakeLists.txt's
  project version: scripts/image.sh does not pass it, so it must be right;
* .containerignore and .dockerignore keep build trees out of the context.
"""

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

failures = []


def check(ok, message):
    print(("ok:   " if ok else "FAIL: ") + message)
    if not ok:
        failures.append(message)


def instructions(text):
    """(KEYWORD, arguments) pairs, continuation lines joined, comments dropped."""
    result = []
    current = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if current and stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        keyword, _, args = current.partition(" ")
        result.append((keyword.upper(), args.strip()))
        current = ""
    return result


def stages(instrs):
    """[(FROM arguments, [instructions of that stage])]."""
    result = []
    for keyword, args in instrs:
        if keyword == "FROM":
            result.append((args, []))
        elif result:
            result[-1][1].append((keyword, args))
    return result


def main():
    src = Path(sys.argv[1])
    containerfile = src / "Containerfile"
    instrs = instructions(containerfile.read_text())
    all_stages = stages(instrs)

    check(len(all_stages) == 2, f"two stages (build, runtime): {len(all_stages)}")
    if len(all_stages) < 2:
        return
    (build_from, build), (run_from, run) = all_stages[0], all_stages[-1]

    check(re.fullmatch(r"debian:12(@sha256:[0-9a-f]{64})? +AS +build", build_from, re.I)
          is not None, f"build stage FROM debian:12 AS build: '{build_from}'")
    build_runs = [a for k, a in build if k == "RUN"]
    check(any("scripts/install-deps.sh" in a for a in build_runs),
          "build stage installs its dependencies with scripts/install-deps.sh")
    check(any(re.search(r"ninja .*\bkmirror\b", a) and "cmake --install" in a
              for a in build_runs),
          "build stage builds kmirror and installs it (cmake --install)")

    check(re.fullmatch(r"debian:12-slim(@sha256:[0-9a-f]{64})?", run_from) is not None,
          f"runtime stage FROM debian:12-slim: '{run_from}'")
    run_runs = [a for k, a in run if k == "RUN"]
    copies = [a for k, a in run if k in ("COPY", "ADD")]
    installs = [a for a in run_runs if "apt-get install" in a or "apt install" in a]
    check(len(installs) == 1, f"runtime stage installs packages in one RUN: {len(installs)}")
    list_path = "packaging/runtime-packages.txt"
    check(any(a.split()[0] == list_path for a in copies),
          f"runtime stage copies {list_path} into the image")
    for a in installs:
        check(re.search(r"xargs +apt-get install", a) is not None and "runtime-packages.txt" in a,
              "its apt-get install takes the names from runtime-packages.txt (xargs)")
        # Nothing named besides the list: only options after `apt-get install`.
        tail = a.split("apt-get install", 1)[1].split("&&", 1)[0]
        extra = [w for w in shlex.split(tail) if not w.startswith("-")]
        check(not extra, f"and names no package itself: {extra}")

    # Every entry of the list is a package apt knows (what `apt-get install`
    # in the image would need), read the way the Containerfile reads it.
    names = []
    for line in (src / list_path).read_text().splitlines():
        names += re.sub(r"#.*", "", line).split()
    def known(*packages):
        return subprocess.run(["apt-cache", "show", "--no-all-versions", *packages],
                              capture_output=True).returncode == 0
    unknown = [] if known(*names) else [n for n in names if not known(n)]
    check(not unknown, f"apt knows all {len(names)} packages of {list_path}; unknown: {unknown}")

    check(any(a.startswith("--from=build ") and "/usr/bin/kmirror" in a for a in copies),
          "runtime stage copies /usr/bin/kmirror from the build stage")

    users = [a for k, a in run if k == "USER"]
    check(len(users) >= 1, "runtime stage sets USER")
    if users:
        user = users[-1]
        uid, _, gid = user.partition(":")
        check(uid.isdigit() and int(uid) != 0 and gid in ("", "0"),
              f"USER is a numeric non-root UID (group 0 or none): '{user}'")
    check(not any(re.search(r"\b(useradd|adduser)\b|chown +\d", a) for a in run_runs),
          "no user created and nothing chowned to a fixed UID")

    state = "/var/lib/kmirror"
    check(any(re.search(rf"chgrp +(-R +)?0 +{state}\b", a) for a in run_runs),
          f"{state} belongs to group 0")
    check(any(re.search(rf"chmod +(-R +)?(g=u|g\+rwX?|[0-7]?77[0-7]) +{state}\b", a)
              for a in run_runs), f"group 0 may write {state}")
    volumes = [a for k, a in run if k == "VOLUME"]
    check(any(state in a for a in volumes), f"{state} is a VOLUME: {volumes}")

    entrypoints = [a for k, a in run if k == "ENTRYPOINT"]
    entry = None
    if entrypoints:
        try:
            entry = json.loads(entrypoints[-1])
        except json.JSONDecodeError:
            pass
    check(isinstance(entry, list) and entry[:1] == ["/usr/bin/kmirror"],
          f"ENTRYPOINT [\"/usr/bin/kmirror\"] in exec form: {entrypoints}")

    project = re.search(r"project\(kmirror VERSION ([0-9.]+)", (src / "CMakeLists.txt").read_text())
    args = [a for k, a in run if k == "ARG" and a.startswith("KMIRROR_VERSION=")]
    check(project is not None and args == [f"KMIRROR_VERSION={project.group(1)}"],
          f"runtime stage ARG KMIRROR_VERSION is the project version "
          f"{project.group(1) if project else '?'}: {args}")
    labels = " ".join(a for k, a in run if k == "LABEL")
    check('org.opencontainers.image.version="${KMIRROR_VERSION}"' in labels,
          "the version label is ARG KMIRROR_VERSION")

    for name in (".containerignore", ".dockerignore"):
        path = src / name
        lines = path.read_text().splitlines() if path.exists() else []
        check("build/" in lines, f"{name} keeps build/ out of the build context")

    print("note: the image itself is built and run by tests/image (ctest image_build, image_test)")


if __name__ == "__main__":
    main()
    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        sys.exit(1)
