#!/usr/bin/env bash
# kafka.sh: single-node KRaft Apache Kafka clusters on loopback for tests.
#
#   kafka.sh up NAME [PORT [CONTROLLER_PORT]]   format + start + wait ready; last stdout line: 127.0.0.1:PORT
#   kafka.sh down NAME                          stop (TERM, 20 s, KILL) and delete its directory; idempotent
#   kafka.sh stop NAME                          SIGTERM (KILL after 20 s), keep data
#   kafka.sh start NAME                         restart on the same ports and data, wait ready
#   kafka.sh kill NAME                          SIGKILL, keep data
#   kafka.sh status NAME                        prints running|stopped|absent; exit 0|1|2
#   kafka.sh bootstrap NAME                     prints 127.0.0.1:PORT
#   kafka.sh dir NAME                           prints the cluster directory (broker.log is there)
#   kafka.sh topics NAME ARGS...                kafka-topics (TopicCommand) against NAME
#   kafka.sh acls NAME ARGS...                  kafka-acls (AclCommand: kafka.admin in 3.x,
#                                               org.apache.kafka.tools in 4.x) against NAME
#   kafka.sh tool NAME CLASS ARGS...            any Kafka tool class on NAME's classpath;
#                                               the string {bootstrap} in ARGS becomes 127.0.0.1:PORT
#   kafka.sh gc                                 down every cluster whose owner process is gone
#
# PORT/CONTROLLER_PORT 0 or absent: picked by the OS (and retried if a race
# makes the bind fail). Each cluster lives in $KMIRROR_HARNESS_DIR/NAME
# (default /tmp/kmirror-harness/NAME): server.properties, log4j2.properties,
# data/, broker.log, broker.pid, cluster.env, watchdog.pid.
#
# Environment:
#   KAFKA_VERSION                 Kafka release (default: fetch-kafka.sh's default); jars come from
#                                 fetch-kafka.sh's cache (KMIRROR_CACHE)
#   KMIRROR_TEST_TIMEOUT_SCALE    multiplies the 60 s readiness and 20 s stop deadlines (default 1)
#   KMIRROR_BROKER_EXTRA          extra server.properties lines, "k=v\nk=v" (literal \n or newlines);
#                                 appended last, so they override the defaults (last key wins)
#   KMIRROR_FORMAT_EXTRA          extra arguments for `kafka-storage format`, one per line, e.g.
#                                 --add-scram and SCRAM-SHA-512=[name=u,password=p] (users made at format time)
#   KMIRROR_BROKER_JVM_OPTS       extra JVM options for the broker (e.g. -Djava.security.auth.login.config=...)
#   KMIRROR_KCAT_ARGS             extra kcat arguments for the readiness probe (e.g. -X security.protocol=...)
#   KMIRROR_OWNER_PID             process that owns the cluster (the test binary). A watchdog downs the
#                                 cluster when that process dies, even by SIGKILL; `up` and `gc` also
#                                 down leftovers whose owner is gone. Unset (shell use): no watchdog.
#   KMIRROR_JAVA                  java binary (default: $JAVA_HOME/bin/java, else java on PATH)
#
# How brokers die with their test process (defence in depth):
#   1. the C++ harness (tests/harness/kafka_cluster.cc) runs `kafka.sh down` from destructors, from
#      ::testing::Environment::TearDown, from std::atexit and from a SIGINT/SIGTERM/SIGHUP handler;
#   2. every cluster started with KMIRROR_OWNER_PID gets a watchdog (`tail --pid=OWNER`, own session)
#      that runs `kafka.sh down NAME` within ~1 s of the owner's death, whatever killed it;
#   3. `kafka.sh up` and `kafka.sh gc` down any cluster whose recorded owner no longer exists.
#   Brokers run in their own session (setsid), so a Ctrl-C aimed at the test does not half-kill them;
#   the paths above tear them down cleanly instead.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
self="$here/$(basename "${BASH_SOURCE[0]}")"
# shellcheck source=tests/harness/process_lib.sh
source "$here/process_lib.sh"
root="${KMIRROR_HARNESS_DIR:-/tmp/kmirror-harness}"
scale="${KMIRROR_TEST_TIMEOUT_SCALE:-1}"

die() {
    echo "kafka.sh: $*" >&2
    exit 1
}
log() { echo "kafka.sh: $*" >&2; }

java_bin() {
    if [[ -n "${KMIRROR_JAVA:-}" ]]; then
        echo "$KMIRROR_JAVA"
    elif [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
        echo "$JAVA_HOME/bin/java"
    else
        command -v java || die "no java found (install openjdk-17-jre-headless or set KMIRROR_JAVA)"
    fi
}

check_name() {
    [[ "${1:-}" =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || die "bad cluster name '${1:-}' (letters, digits, . _ -)"
}

broker_pid() { own_pid "$1" broker.pid "$1/server.properties"; }
watchdog_pid() { own_pid "$1" watchdog.pid "__watch $(basename "$1")"; }

load_env() { # sets PORT CONTROLLER_PORT LIBS KAFKA_VER OWNER_PID OWNER_START KCAT_ARGS JVM_OPTS
    [[ -f "$1/cluster.env" ]] || return 1
    # shellcheck disable=SC1091
    source "$1/cluster.env"
}

write_configs() { # write_configs DIR PORT CONTROLLER_PORT KAFKA_VERSION
    local dir="$1" port="$2" cport="$3" ver="$4"
    cat >"$dir/server.properties" <<EOF
# Generated by tests/harness/kafka.sh: single-node KRaft cluster for tests.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL
log.dirs=$dir/data
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=5
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=5
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
log.retention.check.interval.ms=1000
log.segment.delete.delay.ms=0
log.initial.task.delay.ms=100
# Compaction tests wait for the cleaner: check for work every second, not 15 s.
log.cleaner.backoff.ms=1000
# After a SIGKILL the restarted node must wait out its own old broker session
# (DUPLICATE_BROKER_REGISTRATION) before it serves: 9 s by default, 4 s here.
broker.session.timeout.ms=4000
broker.heartbeat.interval.ms=1000
EOF
    if [[ "${ver%%.*}" -ge 4 ]]; then
        cat >>"$dir/server.properties" <<EOF
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
EOF
    fi
    if [[ -n "${KMIRROR_BROKER_EXTRA:-}" ]]; then
        printf '# KMIRROR_BROKER_EXTRA\n%s\n' "${KMIRROR_BROKER_EXTRA//\\n/$'\n'}" >>"$dir/server.properties"
    fi
    # One log4j2 file for Kafka 3.9 and 4.x (see pom.xml). stdout goes to broker.log.
    cat >"$dir/log4j2.properties" <<'EOF'
status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = OUT
logger.request.name = kafka.request.logger
logger.request.level = WARN
EOF
    cat >"$dir/tools-log4j2.properties" <<'EOF'
status = warn
appender.err.type = Console
appender.err.name = ERR
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.err.ref = ERR
EOF
}

write_env() { # write_env DIR
    local f="$1/cluster.env"
    {
        printf 'PORT=%q\nCONTROLLER_PORT=%q\nLIBS=%q\nKAFKA_VER=%q\n' "$PORT" "$CONTROLLER_PORT" "$LIBS" "$KAFKA_VER"
        printf 'OWNER_PID=%q\nOWNER_START=%q\n' "$OWNER_PID" "$OWNER_START"
        printf 'KCAT_ARGS=%q\nJVM_OPTS=%q\n' "$KCAT_ARGS" "$JVM_OPTS"
    } >"$f.tmp"
    mv "$f.tmp" "$f"
}

launch() { # launch DIR: start the broker in its own session, stdio to broker.log
    local dir="$1" java
    java="$(java_bin)"
    # C1 only (TieredStopAtLevel=1): a broker then needs ~40% less CPU to start
    # (about 2.5 s instead of 4 s on this 2-core box), which matters when two
    # clusters and a build share the machine. Benchmarks want full JIT: pass
    # KMIRROR_BROKER_JVM_OPTS=-XX:TieredStopAtLevel=4 (later flags win).
    local -a jvm=(-Xmx512m -Xms128m -XX:TieredStopAtLevel=1 -XX:+ExitOnOutOfMemoryError
        -Djava.awt.headless=true "-Dlog4j2.configurationFile=$dir/log4j2.properties")
    # shellcheck disable=SC2206 # word splitting of user-supplied JVM options is intended
    [[ -n "$JVM_OPTS" ]] && jvm+=($JVM_OPTS)
    echo "===== $(date -u +%FT%TZ) kafka.sh: starting broker =====" >>"$dir/broker.log"
    (
        cd "$dir"
        close_inherited_fds
        # Not a process-group leader here, so setsid execs java in place: $! is the JVM.
        exec setsid "$java" "${jvm[@]}" -cp "$LIBS/*" kafka.Kafka "$dir/server.properties" \
            </dev/null >>"$dir/broker.log" 2>&1
    ) &
    echo $! >"$dir/broker.pid"
    disown # no "Killed" job notices from this shell later
}

probe() { # probe PORT: 0 when the broker answers metadata and lists itself
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null || return 1
    # shellcheck disable=SC2086
    timeout 10 kcat -L -b "127.0.0.1:$1" -m 3 $KCAT_ARGS 2>/dev/null | grep -q "broker 1 at"
}

wait_ready() { # wait_ready DIR: 0 ready, 1 timeout, 2 broker exited
    local dir="$1" deadline pid
    pid="$(cat "$dir/broker.pid")"
    deadline=$(($(now_ms) + $(scaled_ms 60)))
    while :; do
        alive "$pid" || return 2
        probe "$PORT" && listens_on "$pid" "$PORT" && return 0
        (($(now_ms) > deadline)) && return 1
        sleep 0.2
    done
}

show_log_tail() {
    echo "----- first errors in $1/broker.log -----" >&2
    grep -m 10 -E '^\[[^]]*\] (ERROR|FATAL) |Exception: ' "$1/broker.log" >&2 2>/dev/null || true
    echo "----- tail of $1/broker.log -----" >&2
    tail -n 40 "$1/broker.log" >&2 2>/dev/null || true
    echo "----- end of broker.log -----" >&2
}

cmd_watch() { # __watch NAME OWNER_PID OWNER_START (internal)
    local name="$1" owner="$2" start="$3" dir="$root/$1"
    # Blocks until the owner exits (polls every 0.5 s), however it exits.
    tail --pid="$owner" -s 0.5 -f /dev/null
    # Only act if the cluster still belongs to that owner (it may have been re-created).
    load_env "$dir" 2>/dev/null || exit 0
    [[ "$OWNER_PID" == "$owner" && "$OWNER_START" == "$start" ]] || exit 0
    echo "$(date -u +%FT%TZ) owner $owner gone; downing $name"
    KMIRROR_IN_WATCHDOG=1 exec "$self" down "$name"
}

# Down every cluster whose recorded owner no longer exists.
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
            log "cleaning up leftover cluster '$name' (owner pid $OWNER_PID is gone)"
            KMIRROR_IN_GC=1 "$self" down "$name" || true
        )
    done
}

cmd_up() {
    local name="${1:-}" want_port="${2:-0}" want_cport="${3:-0}"
    check_name "$name"
    [[ "$want_port" =~ ^[0-9]+$ && "$want_cport" =~ ^[0-9]+$ ]] || die "ports must be numbers"
    local dir="$root/$name"
    cmd_gc
    if [[ -d "$dir" ]]; then
        broker_pid "$dir" >/dev/null && die "cluster '$name' is already running ($dir); run: kafka.sh down $name"
        rm -rf "$dir"
    fi
    mkdir -p "$dir"

    LIBS="$(KAFKA_VERSION="${KAFKA_VERSION:-}" "$here/fetch-kafka.sh" | tail -n 1)"
    KAFKA_VER="$(sed -n 's/^kafka.version=//p' "$LIBS/../.complete")"
    OWNER_PID="${KMIRROR_OWNER_PID:-}"
    OWNER_START=""
    if [[ -n "$OWNER_PID" ]]; then
        OWNER_START="$(proc_start "$OWNER_PID")" || die "KMIRROR_OWNER_PID=$OWNER_PID is not a live process"
    fi
    KCAT_ARGS="${KMIRROR_KCAT_ARGS:-}"
    JVM_OPTS="${KMIRROR_BROKER_JVM_OPTS:-}"
    local java t0 attempt=1 max_attempts=1 rc
    java="$(java_bin)"
    [[ "$want_port" == 0 || "$want_cport" == 0 ]] && max_attempts=3
    t0=$(now_ms)
    while :; do
        PORT="$want_port"
        CONTROLLER_PORT="$want_cport"
        [[ "$PORT" == 0 ]] && PORT="$(free_port)"
        while [[ "$CONTROLLER_PORT" == 0 || "$CONTROLLER_PORT" == "$PORT" ]]; do CONTROLLER_PORT="$(free_port)"; done
        write_env "$dir"
        write_configs "$dir" "$PORT" "$CONTROLLER_PORT" "$KAFKA_VER"
        rm -rf "$dir/data"
        local cluster_id
        local -a format_extra=()
        [[ -n "${KMIRROR_FORMAT_EXTRA:-}" ]] && mapfile -t format_extra < <(printf '%s\n' "${KMIRROR_FORMAT_EXTRA//\\n/$'\n'}" | sed '/^$/d')
        cluster_id="$(python3 -c 'import base64, uuid
while True:
    s = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    if not s.startswith("-"):  # Kafka avoids these too: they look like CLI flags
        print(s); break')"
        # Static voters (controller.quorum.voters): plain `format` works on 3.9 and 4.x alike;
        # --standalone would need controller.quorum.bootstrap.servers instead.
        if ! "$java" -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
            "-Dlog4j2.configurationFile=$dir/tools-log4j2.properties" -cp "$LIBS/*" kafka.tools.StorageTool format -t "$cluster_id" -c "$dir/server.properties" "${format_extra[@]}" \
            >"$dir/format.log" 2>&1; then
            cat "$dir/format.log" >&2
            die "formatting storage for '$name' failed"
        fi
        launch "$dir"
        rc=0
        wait_ready "$dir" || rc=$?
        ((rc == 0)) && break
        local pid
        pid="$(cat "$dir/broker.pid")"
        kill_and_wait "$pid"
        # Retry only when the port that clashed was one we picked ourselves.
        local clashed=""
        grep -q "failed to bind to 127.0.0.1:$PORT\b" "$dir/broker.log" && [[ "$want_port" == 0 ]] && clashed=1
        grep -q "failed to bind to 127.0.0.1:$CONTROLLER_PORT\b" "$dir/broker.log" &&
            [[ "$want_cport" == 0 ]] && clashed=1
        if ((rc == 2)) && ((attempt < max_attempts)) && [[ -n "$clashed" ]]; then
            log "port clash for '$name' (another process took a picked port); retrying"
            attempt=$((attempt + 1))
            continue
        fi
        show_log_tail "$dir"
        if ((rc == 2)); then
            if grep -q "Address already in use" "$dir/broker.log"; then
                die "broker '$name' exited: Address already in use (port $PORT or controller port $CONTROLLER_PORT)"
            fi
            die "broker '$name' exited before it became ready"
        fi
        die "broker '$name' not ready on 127.0.0.1:$PORT within $(($(scaled_ms 60) / 1000)) s"
    done
    start_watchdog "$dir" "$name"
    log "cluster '$name' (Kafka $KAFKA_VER) up on 127.0.0.1:$PORT, controller $CONTROLLER_PORT, in $(($(now_ms) - t0)) ms; dir $dir"
    echo "127.0.0.1:$PORT"
}

cmd_down() {
    local name="${1:-}"
    check_name "$name"
    local dir="$root/$name" pid
    # Finish once begun: a Ctrl-C meant for the test must not leave a broker
    # running whose watchdog was already stopped.
    trap '' INT HUP
    if [[ -d "$dir" ]]; then
        if [[ -z "${KMIRROR_IN_WATCHDOG:-}" ]] && pid="$(watchdog_pid "$dir")"; then
            # The watchdog leads its own process group (setsid): take its `tail` along.
            kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
        fi
        if pid="$(broker_pid "$dir")"; then
            term_and_wait "$pid"
        fi
        rm -rf "$dir"
    fi
    # Also reap leftovers of dead owners, as a side effect of every down.
    [[ -n "${KMIRROR_IN_GC:-}" ]] || cmd_gc
}

cmd_stop() {
    local dir="$root/$1" pid
    check_name "$1"
    [[ -d "$dir" ]] || die "no cluster '$1'"
    if pid="$(broker_pid "$dir")"; then
        term_and_wait "$pid"
    fi
}

cmd_kill() {
    local dir="$root/$1" pid
    check_name "$1"
    [[ -d "$dir" ]] || die "no cluster '$1'"
    if pid="$(broker_pid "$dir")"; then
        kill_and_wait "$pid"
    fi
}

cmd_start() {
    local name="$1" dir="$root/$1" rc=0 t0
    check_name "$name"
    load_env "$dir" || die "no cluster '$name' (run: kafka.sh up $name)"
    if ! broker_pid "$dir" >/dev/null; then
        t0=$(now_ms)
        launch "$dir"
        wait_ready "$dir" || rc=$?
        if ((rc != 0)); then
            kill_and_wait "$(cat "$dir/broker.pid")"
            show_log_tail "$dir"
            die "broker '$name' did not come back on 127.0.0.1:$PORT (rc $rc)"
        fi
        log "cluster '$name' restarted on 127.0.0.1:$PORT in $(($(now_ms) - t0)) ms"
    fi
    start_watchdog "$dir" "$name"
    echo "127.0.0.1:$PORT"
}

cmd_status() {
    local dir="$root/$1" pid
    check_name "$1"
    if ! load_env "$dir" 2>/dev/null; then
        echo absent
        return 2
    fi
    if pid="$(broker_pid "$dir")"; then
        echo "running 127.0.0.1:$PORT pid=$pid kafka=$KAFKA_VER"
        return 0
    fi
    echo "stopped 127.0.0.1:$PORT kafka=$KAFKA_VER"
    return 1
}

cmd_bootstrap() {
    check_name "$1"
    load_env "$root/$1" 2>/dev/null || die "no cluster '$1'"
    echo "127.0.0.1:$PORT"
}

cmd_tool() { # tool NAME CLASS ARGS...
    local name="$1" cls="$2"
    shift 2
    check_name "$name"
    local dir="$root/$name"
    load_env "$dir" 2>/dev/null || die "no cluster '$name'"
    local -a args=("$@")
    args=("${args[@]//\{bootstrap\}/127.0.0.1:$PORT}")
    exec "$(java_bin)" -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
        "-Dlog4j2.configurationFile=$dir/tools-log4j2.properties" \
        -cp "$LIBS/*" "$cls" "${args[@]}"
}

usage() {
    sed -n '2,16p' "$self" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

main() {
    local cmd="${1:-}" n
    shift || true
    case "$cmd" in
    up) cmd_up "$@" ;;
    down) [[ $# -eq 1 ]] || usage; cmd_down "$1" ;;
    stop) [[ $# -eq 1 ]] || usage; cmd_stop "$1" ;;
    start) [[ $# -eq 1 ]] || usage; cmd_start "$1" ;;
    kill) [[ $# -eq 1 ]] || usage; cmd_kill "$1" ;;
    status) [[ $# -eq 1 ]] || usage; cmd_status "$1" ;;
    bootstrap) [[ $# -eq 1 ]] || usage; cmd_bootstrap "$1" ;;
    dir) [[ $# -eq 1 ]] || usage; check_name "$1"; echo "$root/$1" ;;
    topics)
        [[ $# -ge 1 ]] || usage
        n="$1"
        shift
        cmd_tool "$n" org.apache.kafka.tools.TopicCommand --bootstrap-server '{bootstrap}' "$@"
        ;;
    acls)
        [[ $# -ge 1 ]] || usage
        n="$1"
        shift
        check_name "$n"
        load_env "$root/$n" 2>/dev/null || die "no cluster '$n'"
        local cls=kafka.admin.AclCommand
        [[ "${KAFKA_VER%%.*}" -ge 4 ]] && cls=org.apache.kafka.tools.AclCommand
        cmd_tool "$n" "$cls" --bootstrap-server '{bootstrap}' "$@"
        ;;
    tool) [[ $# -ge 2 ]] || usage; cmd_tool "$@" ;;
    gc) cmd_gc ;;
    __watch) cmd_watch "$@" ;;
    *) usage ;;
    esac
}

# One line, so bash has read the whole file before running anything: editing
# kafka.sh cannot disturb a running `up` or watchdog.
main "$@"; exit
