#!/usr/bin/env bash
# prometheus.sh: a real Prometheus server on loopback for metrics tests.
#
#   prometheus.sh up NAME PORT [--rules FILE]... [--job JOB] [TARGET...]
#                               write prometheus.yml, start, wait until /-/ready answers;
#                               last stdout line: 127.0.0.1:PORT
#   prometheus.sh down NAME     stop (TERM, 20 s, KILL) and delete its directory; idempotent
#   prometheus.sh reload NAME   re-read prometheus.yml and the rule files (POST /-/reload)
#   prometheus.sh status NAME   prints running|stopped|absent; exit 0|1|2
#   prometheus.sh address NAME  prints 127.0.0.1:PORT
#   prometheus.sh dir NAME      prints the server directory (prometheus.log is there)
#   prometheus.sh gc            down every server whose owner process is gone
#
# TARGET is host:port (or [ipv6]:port), scraped at /metrics every second
# (scrape_interval and evaluation_interval 1s) under job JOB (default
# "kmirror", the job the alert rules expect); the word {self} stands for the
# server's own address. --rules FILE (repeatable) loads a rule file, by
# absolute path, so `reload` picks up edits. PORT 0: picked by the OS (and
# retried if a race makes the bind fail). Each server lives in
# $KMIRROR_HARNESS_DIR/NAME (default /tmp/kmirror-harness/NAME), beside the
# Kafka clusters of kafka.sh: prometheus.yml, data/, prometheus.log,
# prometheus.pid, prometheus.env, watchdog.pid.
#
# Environment:
#   KMIRROR_TEST_TIMEOUT_SCALE  multiplies the 60 s readiness and 20 s stop deadlines (default 1)
#   KMIRROR_OWNER_PID           process that owns the server (the test binary); a watchdog downs
#                               the server when it dies, even by SIGKILL, and `up`/`gc` down
#                               leftovers whose owner is gone (the same scheme as kafka.sh)
#   KMIRROR_PROMETHEUS          prometheus binary (default /usr/bin/prometheus, else on PATH)
#   KMIRROR_PROMETHEUS_ARGS     extra server flags, e.g. --query.lookback-delta=30s
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
self="$here/$(basename "${BASH_SOURCE[0]}")"
root="${KMIRROR_HARNESS_DIR:-/tmp/kmirror-harness}"
scale="${KMIRROR_TEST_TIMEOUT_SCALE:-1}"

die() {
    echo "prometheus.sh: $*" >&2
    exit 1
}
log() { echo "prometheus.sh: $*" >&2; }

# The helpers below are the ones of kafka.sh (which cannot be sourced: it runs
# its main on load). Keep them in step.

prometheus_bin() {
    if [[ -n "${KMIRROR_PROMETHEUS:-}" ]]; then
        echo "$KMIRROR_PROMETHEUS"
    elif [[ -x /usr/bin/prometheus ]]; then
        echo /usr/bin/prometheus
    else
        command -v prometheus || die "no prometheus found (apt-get install prometheus, or set KMIRROR_PROMETHEUS)"
    fi
}

scaled_ms() { # scaled_ms SECONDS -> milliseconds * KMIRROR_TEST_TIMEOUT_SCALE
    awk -v s="$1" -v f="$scale" 'BEGIN { f += 0; if (f <= 0) f = 1; printf "%d\n", s * 1000 * f }'
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

check_name() {
    [[ "${1:-}" =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || die "bad server name '${1:-}' (letters, digits, . _ -)"
}

# Start time of a process (field 22 of /proc/PID/stat), to tell a live owner from a reused pid.
proc_start() {
    local stat
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
    stat="${stat##*) }"
    awk '{ print $20 }' <<<"$stat"
}
owner_alive() { # owner_alive PID START
    [[ -n "$1" ]] || return 0 # no owner recorded: never considered dead
    local s
    s="$(proc_start "$1")" || return 1
    [[ -z "$2" || "$s" == "$2" ]]
}
# A zombie (exited, not reaped yet) counts as dead.
alive() {
    local stat
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
    stat="${stat##*) }"
    [[ "${stat:0:1}" != Z ]]
}
# Prints the pid in DIR/FILE only if that process still is ours (its command line names MATCH).
own_pid() { # own_pid DIR FILE MATCH
    local pid
    pid="$(cat "$1/$2" 2>/dev/null)" || return 1
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    alive "$pid" || return 1
    { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -qF -- "$3" || return 1
    echo "$pid"
}
server_pid() { own_pid "$1" prometheus.pid "$1/prometheus.yml"; }
watchdog_pid() { own_pid "$1" watchdog.pid "__watch $(basename "$1")"; }

load_env() { # sets PORT OWNER_PID OWNER_START
    [[ -f "$1/prometheus.env" ]] || return 1
    # shellcheck disable=SC1091
    source "$1/prometheus.env"
}

write_env() { # write_env DIR
    local f="$1/prometheus.env"
    printf 'PORT=%q\nOWNER_PID=%q\nOWNER_START=%q\n' "$PORT" "$OWNER_PID" "$OWNER_START" >"$f.tmp"
    mv "$f.tmp" "$f"
}

term_and_wait() { # term_and_wait PID: SIGTERM, wait up to 20 s (scaled), then SIGKILL
    local pid="$1" deadline
    kill -TERM "$pid" 2>/dev/null || return 0
    deadline=$(($(now_ms) + $(scaled_ms 20)))
    while alive "$pid"; do
        if (($(now_ms) > deadline)); then
            log "pid $pid ignored SIGTERM for 20 s; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
        sleep 0.1
    done
}

kill_and_wait() {
    local pid="$1"
    kill -KILL "$pid" 2>/dev/null || return 0
    while alive "$pid"; do sleep 0.05; done
}

# Close every fd above 2 inherited from the test binary, so the long-lived
# server or watchdog does not keep its sockets and files open.
close_inherited_fds() {
    local fd
    for fd in /proc/"$BASHPID"/fd/*; do
        fd="${fd##*/}"
        if [[ "$fd" =~ ^[0-9]+$ ]] && ((fd > 2)); then
            eval "exec $fd>&-" 2>/dev/null || true
        fi
    done
}

# True when process PID itself holds the listening socket on 127.0.0.1:PORT.
listens_on() { # listens_on PID PORT
    local hexport inode
    printf -v hexport '%04X' "$2"
    for inode in $(awk -v p=":$hexport" '$2 ~ (p "$") && $4 == "0A" { print $10 }' \
        /proc/net/tcp /proc/net/tcp6 2>/dev/null); do
        { ls -l "/proc/$1/fd"; } 2>/dev/null | grep -qF "socket:[$inode]" && return 0
    done
    return 1
}

# ---------------------------------------------------------------------------

write_config() { # write_config DIR JOB RULES_NAME TARGETS_NAME (array names)
    local dir="$1" job="$2" f
    local -n rules_ref="$3" targets_ref="$4"
    {
        echo "# Generated by tests/harness/prometheus.sh."
        echo "global:"
        echo "  scrape_interval: 1s"
        echo "  scrape_timeout: 1s"
        echo "  evaluation_interval: 1s"
        echo "rule_files:"
        [[ ${#rules_ref[@]} -eq 0 ]] && echo "  []"
        for f in "${rules_ref[@]}"; do
            printf "  - '%s'\n" "${f//\'/\'\'}"
        done
        echo "scrape_configs:"
        printf "  - job_name: '%s'\n" "$job"
        echo "    metrics_path: /metrics"
        echo "    static_configs:"
        echo "      - targets:"
        [[ ${#targets_ref[@]} -eq 0 ]] && echo "          []"
        for f in "${targets_ref[@]}"; do
            printf "          - '%s'\n" "${f//\{self\}/127.0.0.1:$PORT}"
        done
    } >"$dir/prometheus.yml.tmp"
    mv "$dir/prometheus.yml.tmp" "$dir/prometheus.yml"
}

launch() { # launch DIR: start the server in its own session, stdio to prometheus.log
    local dir="$1" bin
    bin="$(prometheus_bin)"
    local -a args=("--config.file=$dir/prometheus.yml" "--storage.tsdb.path=$dir/data"
        "--storage.tsdb.retention.time=1d" "--web.listen-address=127.0.0.1:$PORT"
        --web.enable-lifecycle --log.level=info)
    # shellcheck disable=SC2206 # word splitting of user-supplied flags is intended
    [[ -n "${KMIRROR_PROMETHEUS_ARGS:-}" ]] && args+=($KMIRROR_PROMETHEUS_ARGS)
    echo "===== $(date -u +%FT%TZ) prometheus.sh: starting prometheus =====" >>"$dir/prometheus.log"
    (
        cd "$dir"
        close_inherited_fds
        # Not a process-group leader here, so setsid execs in place: $! is prometheus.
        exec setsid "$bin" "${args[@]}" </dev/null >>"$dir/prometheus.log" 2>&1
    ) &
    echo $! >"$dir/prometheus.pid"
    disown
}

probe() { # probe PORT: 0 when /-/ready answers 200
    curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$1/-/ready" 2>/dev/null
}

wait_ready() { # wait_ready DIR: 0 ready, 1 timeout, 2 server exited
    local dir="$1" deadline pid
    pid="$(cat "$dir/prometheus.pid")"
    deadline=$(($(now_ms) + $(scaled_ms 60)))
    while :; do
        alive "$pid" || return 2
        probe "$PORT" && listens_on "$pid" "$PORT" && return 0
        (($(now_ms) > deadline)) && return 1
        sleep 0.1
    done
}

show_log_tail() {
    echo "----- errors in $1/prometheus.log -----" >&2
    grep -m 10 -E 'level=(error|fatal)|err=' "$1/prometheus.log" >&2 2>/dev/null || true
    echo "----- tail of $1/prometheus.log -----" >&2
    tail -n 30 "$1/prometheus.log" >&2 2>/dev/null || true
    echo "----- end of prometheus.log -----" >&2
}

start_watchdog() { # start_watchdog DIR NAME
    local dir="$1" name="$2"
    [[ -n "$OWNER_PID" ]] || return 0
    watchdog_pid "$dir" >/dev/null && return 0
    (
        close_inherited_fds
        exec setsid "$self" __watch "$name" "$OWNER_PID" "$OWNER_START" </dev/null >>"$dir/watchdog.log" 2>&1
    ) &
    echo $! >"$dir/watchdog.pid"
    disown
}

cmd_watch() { # __watch NAME OWNER_PID OWNER_START (internal)
    local name="$1" owner="$2" start="$3" dir="$root/$1"
    tail --pid="$owner" -s 0.5 -f /dev/null
    load_env "$dir" 2>/dev/null || exit 0
    [[ "$OWNER_PID" == "$owner" && "$OWNER_START" == "$start" ]] || exit 0
    echo "$(date -u +%FT%TZ) owner $owner gone; downing $name"
    KMIRROR_IN_WATCHDOG=1 exec "$self" down "$name"
}

# Down every server (a directory with prometheus.env) whose recorded owner is gone.
# Kafka clusters (cluster.env) are kafka.sh's business.
cmd_gc() {
    local d name
    [[ -d "$root" ]] || return 0
    for d in "$root"/*/; do
        [[ -d "$d" ]] || continue
        d="${d%/}"
        name="$(basename "$d")"
        (
            OWNER_PID="" OWNER_START=""
            load_env "$d" 2>/dev/null || exit 0
            owner_alive "$OWNER_PID" "$OWNER_START" && exit 0
            log "cleaning up leftover server '$name' (owner pid $OWNER_PID is gone)"
            KMIRROR_IN_GC=1 "$self" down "$name" || true
        )
    done
}

cmd_up() {
    local name="${1:-}" want_port="${2:-}"
    check_name "$name"
    [[ "$want_port" =~ ^[0-9]+$ ]] || die "usage: prometheus.sh up NAME PORT [--rules FILE]... [--job JOB] [TARGET...]"
    shift 2
    local job=kmirror f
    local -a rules=() targets=()
    while (($# > 0)); do
        case "$1" in
        --rules)
            [[ $# -ge 2 ]] || die "--rules needs a file"
            [[ -f "$2" && -r "$2" ]] || die "rule file '$2' not found"
            f="$(realpath "$2")"
            rules+=("$f")
            shift 2
            ;;
        --job)
            [[ $# -ge 2 && "$2" =~ ^[A-Za-z0-9_.:-]+$ ]] || die "--job needs a name (letters, digits, _ . : -)"
            job="$2"
            shift 2
            ;;
        --*) die "unknown option '$1'" ;;
        *)
            [[ "$1" == "{self}" || "$1" =~ ^[A-Za-z0-9._-]+:[0-9]+$ || "$1" =~ ^\[[0-9A-Fa-f:.]+\]:[0-9]+$ ]] ||
                die "bad target '$1' (host:port, [ipv6]:port or {self})"
            targets+=("$1")
            shift
            ;;
        esac
    done

    local dir="$root/$name"
    cmd_gc
    if [[ -d "$dir" ]]; then
        [[ -f "$dir/cluster.env" ]] && die "'$name' is a Kafka cluster of kafka.sh ($dir)"
        server_pid "$dir" >/dev/null && die "server '$name' is already running ($dir); run: prometheus.sh down $name"
        rm -rf "$dir"
    fi
    mkdir -p "$dir"

    OWNER_PID="${KMIRROR_OWNER_PID:-}"
    OWNER_START=""
    if [[ -n "$OWNER_PID" ]]; then
        OWNER_START="$(proc_start "$OWNER_PID")" || die "KMIRROR_OWNER_PID=$OWNER_PID is not a live process"
    fi
    prometheus_bin >/dev/null
    local t0 attempt=1 max_attempts=1 rc pid
    [[ "$want_port" == 0 ]] && max_attempts=3
    t0=$(now_ms)
    while :; do
        PORT="$want_port"
        [[ "$PORT" == 0 ]] && PORT="$(free_port)"
        write_env "$dir"
        write_config "$dir" "$job" rules targets
        rm -rf "$dir/data"
        launch "$dir"
        rc=0
        wait_ready "$dir" || rc=$?
        ((rc == 0)) && break
        pid="$(cat "$dir/prometheus.pid")"
        kill_and_wait "$pid"
        if ((rc == 2)) && ((attempt < max_attempts)) && [[ "$want_port" == 0 ]] &&
            grep -q "address already in use" "$dir/prometheus.log"; then
            log "port clash for '$name' (another process took port $PORT); retrying"
            attempt=$((attempt + 1))
            continue
        fi
        show_log_tail "$dir"
        ((rc == 2)) && die "prometheus '$name' exited before it became ready"
        die "prometheus '$name' not ready on 127.0.0.1:$PORT within $(($(scaled_ms 60) / 1000)) s"
    done
    start_watchdog "$dir" "$name"
    log "prometheus '$name' up on 127.0.0.1:$PORT in $(($(now_ms) - t0)) ms, scraping ${targets[*]:-nothing} as job $job; dir $dir"
    echo "127.0.0.1:$PORT"
}

cmd_down() {
    local name="${1:-}"
    check_name "$name"
    local dir="$root/$name" pid
    # Finish once begun (see kafka.sh).
    trap '' INT HUP
    if [[ -d "$dir" ]]; then
        [[ -f "$dir/cluster.env" ]] && die "'$name' is a Kafka cluster; use kafka.sh down $name"
        if [[ -z "${KMIRROR_IN_WATCHDOG:-}" ]] && pid="$(watchdog_pid "$dir")"; then
            kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
        fi
        if pid="$(server_pid "$dir")"; then
            term_and_wait "$pid"
        fi
        rm -rf "$dir"
    fi
    [[ -n "${KMIRROR_IN_GC:-}" ]] || cmd_gc
}

cmd_reload() {
    local dir="$root/$1"
    check_name "$1"
    load_env "$dir" 2>/dev/null || die "no server '$1'"
    server_pid "$dir" >/dev/null || die "server '$1' is not running"
    # Answers 500 with the reason when the configuration or a rule file is bad.
    local out
    if ! out="$(curl -sS --max-time 30 -X POST -w '\n%{http_code}' "http://127.0.0.1:$PORT/-/reload" 2>&1)" ||
        [[ "${out##*$'\n'}" != 200 ]]; then
        grep -E 'level=error' "$dir/prometheus.log" 2>/dev/null | tail -n 3 >&2 || true
        die "reload of '$1' failed: ${out%$'\n'*}"
    fi
}

cmd_status() {
    local dir="$root/$1" pid
    check_name "$1"
    if ! load_env "$dir" 2>/dev/null; then
        echo absent
        return 2
    fi
    if pid="$(server_pid "$dir")"; then
        echo "running 127.0.0.1:$PORT pid=$pid"
        return 0
    fi
    echo "stopped 127.0.0.1:$PORT"
    return 1
}

cmd_address() {
    check_name "$1"
    load_env "$root/$1" 2>/dev/null || die "no server '$1'"
    echo "127.0.0.1:$PORT"
}

usage() {
    sed -n '2,12p' "$self" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

main() {
    local cmd="${1:-}"
    shift || true
    case "$cmd" in
    up) [[ $# -ge 2 ]] || usage; cmd_up "$@" ;;
    down) [[ $# -eq 1 ]] || usage; cmd_down "$1" ;;
    reload) [[ $# -eq 1 ]] || usage; cmd_reload "$1" ;;
    status) [[ $# -eq 1 ]] || usage; cmd_status "$1" ;;
    address) [[ $# -eq 1 ]] || usage; cmd_address "$1" ;;
    dir) [[ $# -eq 1 ]] || usage; check_name "$1"; echo "$root/$1" ;;
    gc) cmd_gc ;;
    __watch) cmd_watch "$@" ;;
    *) usage ;;
    esac
}

# One line, so bash has read the whole file before running anything.
main "$@"; exit
