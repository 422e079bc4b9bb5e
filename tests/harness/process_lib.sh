# process_lib.sh: process helpers shared by kafka.sh and prometheus.sh
# (sourced, never run): deadlines, pid liveness with start times, the
# owner watchdog. The sourcing script defines $scale, $self, $OWNER_PID,
# $OWNER_START and watchdog_pid().

scaled_ms() { # scaled_ms SECONDS -> milliseconds * KMIRROR_TEST_TIMEOUT_SCALE
    awk -v s="$1" -v f="$scale" 'BEGIN { f += 0; if (f <= 0) f = 1; printf "%d\n", s * 1000 * f }'
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
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

# Prints the pid in DIR/FILE only if that process still is ours (its command line names DIR).
own_pid() { # own_pid DIR FILE MATCH
    local pid
    pid="$(cat "$1/$2" 2>/dev/null)" || return 1
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    alive "$pid" || return 1
    { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -qF -- "$3" || return 1
    echo "$pid"
}

# A process that exited but is not reaped yet (zombie; brokers are reparented to
# init or a subreaper) counts as dead.
alive() {
    local stat
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
    stat="${stat##*) }"
    [[ "${stat:0:1}" != Z ]]
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

# Close every fd above 2 that this process inherited (sockets and files of the
# test binary that ran us), so a long-lived broker or watchdog does not keep
# them open. Call in a subshell right before exec.
close_inherited_fds() {
    local fd
    for fd in /proc/"$BASHPID"/fd/*; do
        fd="${fd##*/}"
        if [[ "$fd" =~ ^[0-9]+$ ]] && ((fd > 2)); then
            eval "exec $fd>&-" 2>/dev/null || true
        fi
    done
}

# True when process PID itself holds the listening socket on 127.0.0.1:PORT, so a
# probe that succeeds is answered by this broker and not by another process that
# took the port first.
listens_on() { # listens_on PID PORT
    local hexport inode
    printf -v hexport '%04X' "$2"
    for inode in $(awk -v p=":$hexport" '$2 ~ (p "$") && $4 == "0A" { print $10 }' \
        /proc/net/tcp /proc/net/tcp6 2>/dev/null); do
        { ls -l "/proc/$1/fd"; } 2>/dev/null | grep -qF "socket:[$inode]" && return 0
    done
    return 1
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
