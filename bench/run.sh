#!/usr/bin/env bash
# bench/run.sh: kmirror against MirrorMaker 2 and against the ceiling, end to
# end, on two local Kafka clusters (issue 16, item 7). docs/benchmarks.md has
# the figures, the machine and what each workload means.
#
#   bench/run.sh                          every workload of the table below, 2 rounds
#   bench/run.sh --workload 1k,latency    only these
#   bench/run.sh --smoke                  tiny workloads, kmirror and the ceiling, checked (CI)
#   bench/run.sh --list                   print the workload table
#
# Options:
#   --workload NAME[,NAME...]   workloads to run (default: all)
#   --rounds N                  rounds per system (default 2; --smoke: 1)
#   --systems LIST              kmirror,mm2,ceiling (default all three; --smoke: kmirror,ceiling)
#   --kmirror PATH              the kmirror binary (default build/release/kmirror)
#   --kmirror-config-extra FILE YAML appended to every generated kmirror config (top-level keys)
#   --mm2-config-extra FILE     lines appended to every generated mm2.properties (later keys win)
#   --verify                    also compare every mirrored record with the source (smoke: on)
#   --out DIR                   results, configs and logs (default build/bench-results/DATE)
#   --timeout-s N               longest wait for one drain (default 900; smoke 120)
#   --scale F                   multiply every workload's record count by F (e.g. 0.1 for a
#                               quick look; the table's sizes are meant for the figures)
#
# Per run it prints drain time (mirror start to the last record on the target),
# MB/s and records/s of record values, the mirror's CPU seconds (utime+stime
# from /proc at that moment), peak RSS (VmRSS sampled every 100 ms) and VmHWM,
# then the ratios per workload (means over rounds). results.tsv in the output
# directory holds every row. Exit status: 0 when every kmirror and ceiling run
# finished (and, with --verify, copied every record exactly); 1 otherwise;
# 2 for a bad command line.
#
# Needs: a release build (scripts/build.sh release: kmirror and
# bench/mirror_bench_tool), Java 17, the harness's Kafka jars and, for mm2,
# MirrorMaker 2's (tests/harness/fetch-kafka.sh --mm2). The wan workload
# needs root, `ip netns` and iptables (see docs/benchmarks.md).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
harness="$root/tests/harness"
kafka_sh="$harness/kafka.sh"

# The workloads. kind: drain (pre-loaded backlog, then the mirror starts),
# quota (drain with every target producer throttled to 10 MB/s), fanin (three
# source clusters into one target, three flows in one process; records per
# source), latency (records = records/s), wan (drain at 0 ms and 50 ms RTT).
# Sizes are meant to keep the full table at about 35 minutes on a quiet 2-core
# machine (an estimate: the shared development machine could not time it).
# name           kind       records     size  parts  description
workloads_full='
100b             drain      2000000      100     12  100 B records, 12 partitions, backlog drain
1k               drain       500000     1024     12  1 KiB records, 12 partitions, backlog drain
slow-target      quota       600000     1024     48  1 KiB, 48 partitions, target producers throttled to 10 MB/s
2000p            drain       200000     1024   2000  2,000 partitions with a backlog
1m               drain          300  1048576      3  1 MiB records
three-flows      fanin       200000     1024     12  three flows in one process (3 sources, 1 target)
latency          latency      20000     1024     12  20k records/s, p50/p99/p99.9 after a warm-up
wan              wan         200000     1024     12  1 KiB throughput at 0 ms and 50 ms RTT
'
workloads_smoke='
smoke            drain        20000      100      3  100 B records, backlog drain
smoke-latency    latency       2000      100      3  2k records/s, after a 2 s warm-up
'
latency_warmup_s=10
latency_seconds=30
wan_delay_ms=25 # each way: 50 ms round trip
quota_bytes=10485760
mm2_tasks=2

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//' >&2
    exit 2
}
die() {
    echo "run.sh: $*" >&2
    exit 1
}
log() { echo "[$(date +%T)] $*" >&2; }

smoke=false
only=""
rounds=""
systems=""
kmirror_bin="$root/build/release/kmirror"
kmirror_extra=""
mm2_extra=""
verify=false
out=""
timeout_s=""
list=false
scale=1
while (($#)); do
    case "$1" in
    --smoke) smoke=true ;;
    --list) list=true ;;
    --verify) verify=true ;;
    --workload | --rounds | --systems | --kmirror | --kmirror-config-extra | --mm2-config-extra | --out | --timeout-s | --scale)
        (($# >= 2)) || usage
        case "$1" in
        --workload) only="$2" ;;
        --rounds) rounds="$2" ;;
        --systems) systems="$2" ;;
        --kmirror) kmirror_bin="$2" ;;
        --kmirror-config-extra) kmirror_extra="$(realpath "$2")" ;;
        --mm2-config-extra) mm2_extra="$(realpath "$2")" ;;
        --out) out="$2" ;;
        --timeout-s) timeout_s="$2" ;;
        --scale) scale="$2" ;;
        esac
        shift
        ;;
    -h | --help) usage ;;
    *) echo "run.sh: unknown argument '$1'" >&2 && usage ;;
    esac
    shift
done

table="$workloads_full"
if $smoke; then
    table="$workloads_smoke"
    rounds="${rounds:-1}"
    systems="${systems:-kmirror,ceiling}"
    timeout_s="${timeout_s:-120}"
    verify=true
    latency_warmup_s=2
    latency_seconds=3
fi
rounds="${rounds:-2}"
systems="${systems:-kmirror,mm2,ceiling}"
timeout_s="${timeout_s:-900}"
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || die "--rounds: a positive number"
[[ "$timeout_s" =~ ^[1-9][0-9]*$ ]] || die "--timeout-s: a positive number"
[[ "$scale" =~ ^[0-9]*\.?[0-9]+$ ]] || die "--scale: a positive number"
for s in ${systems//,/ }; do
    [[ "$s" =~ ^(kmirror|mm2|ceiling)$ ]] || die "--systems: unknown system '$s' (kmirror, mm2, ceiling)"
done
if $list; then
    echo "# name kind records size partitions description"
    sed '/^$/d' <<<"$table"
    exit 0
fi
selected="$(sed '/^$/d' <<<"$table")"
if [[ -n "$only" ]]; then
    selected=""
    for name in ${only//,/ }; do
        line="$(awk -v n="$name" '$1 == n' <<<"$table")"
        [[ -n "$line" ]] || die "--workload: no workload '$name' (bench/run.sh --list)"
        selected+="$line"$'\n'
    done
fi

tool="$root/build/release/bench/mirror_bench_tool"
[[ -x "$tool" ]] || die "$tool is missing: run scripts/build.sh release"
has_system() { [[ ",$systems," == *",$1,"* ]]; }
if has_system kmirror; then
    [[ -x "$kmirror_bin" ]] || die "kmirror binary $kmirror_bin is missing (--kmirror PATH)"
    kmirror_bin="$(realpath "$kmirror_bin")"
fi
java="$(command -v java)" || die "no java on PATH (openjdk-17-jre-headless)"
mm2_libs=""
if has_system mm2; then
    mm2_libs="$("$harness/fetch-kafka.sh" --mm2 | tail -n 1)" || die "fetching MirrorMaker 2's jars failed"
fi
out="${out:-$root/build/bench-results/$(date +%Y%m%d-%H%M%S)}"
rm -rf "$out/runs" # ours: a previous run's markers (rss.stop) must not leak in
mkdir -p "$out/runs"
out="$(realpath "$out")"
results="$out/results.tsv"
summary="$out/summary.txt"
printf 'workload\tsystem\tround\tphase\trecords\tbytes\tdrain_s\tfrom_first_s\tMB_s\trec_s\tcpu_s\trss_peak_MiB\thwm_MiB\tp50_ms\tp99_ms\tp999_ms\tstatus\n' >"$results"
: >"$summary"
say() { echo "$*" | tee -a "$summary"; }

# ---------------------------------------------------------------- clean-up
# Everything this script starts is listed here and stopped on exit.
clusters=()      # kafka.sh cluster names
pids=()          # mirrors, samplers, the delayer
netns=""         # the WAN case's network namespace
failed=0
cleanup() {
    local pid name
    trap - EXIT INT TERM
    for pid in "${pids[@]}"; do stop_pid "$pid" 10 2>/dev/null || true; done
    for name in "${clusters[@]}"; do "$kafka_sh" down "$name" >/dev/null 2>&1 || true; done
    [[ -n "$netns" ]] && ip netns del "$netns" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# stop_pid PID SECONDS: SIGTERM, then SIGKILL after SECONDS. Only our own children.
stop_pid() {
    local pid="$1" limit=$(($2 * 10))
    kill -TERM "$pid" 2>/dev/null || return 0
    while kill -0 "$pid" 2>/dev/null && ((limit-- > 0)); do sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
        log "pid $pid still running after ${2}s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}
forget_pid() {
    local keep=() p
    for p in "${pids[@]}"; do [[ "$p" == "$1" ]] || keep+=("$p"); done
    pids=("${keep[@]}")
}

# ---------------------------------------------------------------- clusters
# Brokers with full JIT (the harness defaults to C1 only, for tests) and room
# for the 1 MiB records (message.max.bytes; clients are set up per workload).
broker_extra='message.max.bytes=4194304'
# cluster_start NAME [NETNS PORT CONTROLLER_PORT EXTRA]: starts a cluster
# (also in the background) and writes its bootstrap to runs/NAME.bootstrap;
# the caller lists NAME in $clusters first, so that the exit trap downs it.
cluster_start() {
    local name="$1" ns="${2:-}"
    local -a cmd=(env KMIRROR_OWNER_PID=$$ KMIRROR_BROKER_JVM_OPTS="-XX:TieredStopAtLevel=4 -Xmx1g"
        KMIRROR_BROKER_EXTRA="$broker_extra${5:+\\n$5}" "$kafka_sh" up "$name" "${3:-0}" "${4:-0}")
    [[ -n "$ns" ]] && cmd=(ip netns exec "$ns" "${cmd[@]}")
    if ! "${cmd[@]}" 2>"$out/runs/$name.up.log" | tail -n 1 >"$out/runs/$name.bootstrap" ||
        [[ ! -s "$out/runs/$name.bootstrap" ]]; then
        echo "run.sh: starting cluster $name failed:" >&2
        tail -n 5 "$out/runs/$name.up.log" >&2
        return 1
    fi
}
# clusters_up NAME...: starts clusters in parallel; sets bootstrap[NAME].
declare -A bootstrap=()
clusters_up() {
    local name ok=true
    local -a starting=()
    for name in "$@"; do
        clusters+=("$name")
        cluster_start "$name" "${up_netns:-}" "${up_ports[$name]:-0}" "${up_cports[$name]:-0}" \
            "${up_extra[$name]:-}" &
        starting+=($!)
    done
    for name in "${starting[@]}"; do wait "$name" || ok=false; done
    $ok || die "starting clusters $* failed"
    for name in "$@"; do bootstrap[$name]="$(cat "$out/runs/$name.bootstrap")"; done
}
declare -A up_ports=() up_cports=() up_extra=()
cluster_down() {
    "$kafka_sh" down "$1" >/dev/null 2>&1 || true
    local keep=() c
    for c in "${clusters[@]}"; do [[ "$c" == "$1" ]] || keep+=("$c"); done
    clusters=("${keep[@]}")
}

# ---------------------------------------------------------------- measuring
clk_tck="$(getconf CLK_TCK)"
cpu_seconds() { # utime + stime of a live process
    local stat
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || { echo NA; return; }
    stat="${stat##*) }"
    awk -v hz="$clk_tck" '{ printf "%.2f\n", ($12 + $13) / hz }' <<<"$stat"
}
hwm_mib() {
    awk '/^VmHWM:/ { printf "%.0f\n", $2 / 1024; found = 1 } END { if (!found) print "NA" }' \
        "/proc/$1/status" 2>/dev/null || echo NA
}
# sample_rss PID FILE: the largest VmRSS (kB) seen every 100 ms, kept in FILE,
# until PID exits or FILE.stop appears.
sample_rss() {
    local pid="$1" file="$2" max=0 k v _
    while [[ ! -e "$file.stop" ]] && [[ -r "/proc/$pid/status" ]]; do
        while read -r k v _; do
            if [[ "$k" == VmRSS: ]]; then
                if ((v > max)); then
                    max=$v
                    echo "$max" >"$file"
                fi
                break
            fi
        done <"/proc/$pid/status" 2>/dev/null || break
        sleep 0.1
    done
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }
kv() { # kv "k=v k2=v2" KEY
    tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p" | head -n 1
}
record() { # record WORKLOAD SYSTEM ROUND PHASE RECORDS BYTES DRAIN FIRST CPU RSS HWM P50 P99 P999 STATUS
    local mbs=NA recs=NA
    if [[ "$7" != NA ]]; then
        mbs="$(awk -v b="$6" -v s="$7" 'BEGIN { printf "%.1f", b / 1e6 / s }')"
        recs="$(awk -v r="$5" -v s="$7" 'BEGIN { printf "%.0f", r / s }')"
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
        "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "$mbs" "$recs" "$9" "${10}" "${11}" "${12}" \
        "${13}" "${14}" "${15}" >>"$results"
    if [[ "${12}" != - ]]; then
        printf '  %-8s %-5s %-6s p50 %7s ms  p99 %7s ms  p99.9 %7s ms  cpu %7s s  rss %6s MiB  hwm %6s MiB  %s\n' \
            "$2" "$3" "$4" "${12}" "${13}" "${14}" "$9" "${10}" "${11}" "${15}" | tee -a "$summary"
    else
        printf '  %-8s %-5s %-6s %8s s  (from first %7s s)  %8s MB/s  %9s rec/s  cpu %7s s  rss %6s MiB  hwm %6s MiB  %s\n' \
            "$2" "$3" "$4" "$7" "$8" "$mbs" "$recs" "$9" "${10}" "${11}" "${15}" | tee -a "$summary"
    fi
    if [[ "${15}" != ok* && "$2" != mm2 ]]; then failed=1; fi
}

# ---------------------------------------------------------------- configs
# kmirror_config FILE FLOWS...: one flow per "ALIAS=BOOTSTRAP" source, all
# into "tgt" ($target_bootstrap), mirroring topics bench-*; defaults otherwise.
kmirror_config() {
    local file="$1" run="$2" spec alias
    shift 2
    {
        echo "# Generated by bench/run.sh"
        echo "clusters:"
        echo "  tgt: { bootstrap: \"$target_bootstrap\" }"
        for spec in "$@"; do echo "  ${spec%%=*}: { bootstrap: \"${spec#*=}\" }"; done
        echo "flows:"
        for spec in "$@"; do
            alias="${spec%%=*}"
            echo "  - name: $run-$alias"
            echo "    source: $alias"
            echo "    target: tgt"
            echo "    topics: { include: [\"bench-.*\"] }"
        done
        echo "state: { path: \"$(dirname "$file")/state.db\" }"
        echo "http: { listen: \"127.0.0.1:0\" }"
        if [[ -n "$kmirror_extra" ]]; then
            echo "# --kmirror-config-extra $kmirror_extra"
            cat "$kmirror_extra"
        fi
    } >"$file"
}
# mm2_config FILE SOURCES...: MirrorMaker 2, dedicated mode, the settings
# docs/benchmarks.md lists: a fair DR setup (heartbeats, checkpoints and offset
# syncs on, like kmirror's defaults), replication factor 1 on these one-broker
# clusters, tasks.max 2 (the docs recommend at least 2; this is a 2-core box).
mm2_config() {
    local file="$1" spec alias aliases="tgt"
    shift
    for spec in "$@"; do aliases="${spec%%=*}, $aliases"; done
    {
        echo "# Generated by bench/run.sh"
        echo "clusters = $aliases"
        echo "tgt.bootstrap.servers = $target_bootstrap"
        for spec in "$@"; do
            alias="${spec%%=*}"
            echo "$alias.bootstrap.servers = ${spec#*=}"
            echo "$alias->tgt.enabled = true"
            echo "$alias->tgt.topics = bench-.*"
        done
        cat <<EOF
tasks.max = $mm2_tasks
replication.factor = 1
checkpoints.topic.replication.factor = 1
heartbeats.topic.replication.factor = 1
offset-syncs.topic.replication.factor = 1
offset.storage.replication.factor = 1
status.storage.replication.factor = 1
config.storage.replication.factor = 1
emit.heartbeats.enabled = true
emit.checkpoints.enabled = true
sync.group.offsets.enabled = false
sync.topic.acls.enabled = false
# MM2's own advice in its log ("All plugins have ServiceLoader manifests,
# consider reconfiguring plugin.discovery=service_load"): without it, start-up
# scans the classpath by reflection (10-25 s here) before anything is copied.
plugin.discovery = service_load
tgt.plugin.discovery = service_load
EOF
        [[ -n "$client_props_mm2" ]] && echo "$client_props_mm2"
        if [[ -n "$mm2_extra" ]]; then
            echo "# --mm2-config-extra $mm2_extra"
            cat "$mm2_extra"
        fi
    } >"$file"
}

# ---------------------------------------------------------------- one run
# The clusters of the workload at hand: mirrors and the ceiling use
# *_bootstrap, the benchmark's own admin calls target_admin and source_admins
# (the same addresses except in the WAN case). flows: "ALIAS=BOOTSTRAP" per source.
source_bootstrap="" target_bootstrap="" target_admin="" target_name=""
source_admins=() flows=() client_props_mm2=""
in_ns=() # prefix for commands that run inside the WAN namespace
bt() { "${in_ns[@]}" "$tool" "$@"; }
# bt_wait ARGS...: bt for the long waits, in the background: bash runs a trap
# only between commands, so a SIGINT or SIGTERM now stops the run at once,
# and the exit trap stops the tool too.
bt_wait() {
    (exec "${in_ns[@]}" "$tool" "$@") &
    local pid=$! rc=0
    pids+=("$pid")
    wait "$pid" || rc=$?
    forget_pid "$pid"
    return "$rc"
}

# clean_clusters: target back to empty; sources keep only the workload topics.
clean_clusters() {
    local b
    bt delete-topics --bootstrap "$target_admin" --match '.*' >/dev/null
    for b in "${source_admins[@]}"; do
        bt delete-topics --bootstrap "$b" --match '(?!bench-).*' >/dev/null
    done
}

# start_mirror SYSTEM DIR: starts kmirror or MM2 on $flows; sets mirror_pid.
start_mirror() {
    local system="$1" dir="$2"
    case "$system" in
    kmirror)
        kmirror_config "$dir/kmirror.yaml" "$(basename "$dir")" "${flows[@]}"
        (cd "$dir" && exec "${in_ns[@]}" "$kmirror_bin" run -c "$dir/kmirror.yaml") >"$dir/kmirror.log" 2>&1 &
        ;;
    mm2)
        mm2_config "$dir/mm2.properties" "${flows[@]}"
        # What bin/connect-mirror-maker.sh runs: its heap (-Xms256M -Xmx2G) and
        # kafka-run-class.sh's JVM options.
        (cd "$dir" && exec "${in_ns[@]}" "$java" -Xms256M -Xmx2G -server -XX:+UseG1GC \
            -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
            -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
            -Dorg.slf4j.simpleLogger.showDateTime=true \
            -Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS \
            -cp "$mm2_libs/*" org.apache.kafka.connect.mirror.MirrorMaker \
            "$dir/mm2.properties" --clusters tgt) >"$dir/mm2.log" 2>&1 &
        ;;
    esac
    mirror_pid=$!
    pids+=("$mirror_pid")
    mirror_dir="$dir"
    sample_rss "$mirror_pid" "$dir/rss" &
    sampler_pid=$!
    pids+=("$sampler_pid")
}
# stop_mirror: reads the mirror's CPU seconds and peak RSS into cpu, hwm and
# rss (NA when it is gone), then stops it.
stop_mirror() {
    cpu="$(cpu_seconds "$mirror_pid")"
    hwm="$(hwm_mib "$mirror_pid")"
    touch "$mirror_dir/rss.stop"
    wait "$sampler_pid" 2>/dev/null || true
    forget_pid "$sampler_pid"
    rss="$(awk '{ printf "%.0f", $1 / 1024 }' "$mirror_dir/rss" 2>/dev/null || echo NA)"
    stop_pid "$mirror_pid" 60
    forget_pid "$mirror_pid"
}

run_dir() { # run_dir WORKLOAD PHASE SYSTEM ROUND: where one run keeps its config and logs
    local tag="$1"
    [[ "$2" != - ]] && tag+="-$2"
    echo "$out/runs/$tag-$3-$4"
}

# run_drain WORKLOAD SYSTEM ROUND PHASE RECORDS SIZE: one backlog drain.
run_drain() {
    local w="$1" system="$2" round="$3" phase="$4" records="$5" size="$6"
    local dir bytes=$(($5 * $6)) status=ok
    dir="$(run_dir "$w" "$phase" "$system" "$round")"
    mkdir -p "$dir"
    clean_clusters
    if [[ "$system" == ceiling ]]; then
        run_ceiling "$@"
        return
    fi
    local -a expect=()
    local spec
    for spec in "${flows[@]}"; do expect+=(--expect "${spec#*=},bench-$w,${spec%%=*}.bench-$w"); done
    local t0 line first_ms done_ms rc=0
    t0="$(now_ms)"
    start_mirror "$system" "$dir"
    bt_wait drain-wait --target "$target_admin" "${expect[@]}" --timeout-s "$timeout_s" \
        --pid "$mirror_pid" >"$dir/drain.txt" 2>"$dir/drain-wait.log" || rc=$?
    line="$(cat "$dir/drain.txt")"
    stop_mirror
    first_ms="$(kv "$line" first_ms)"
    done_ms="$(kv "$line" done_ms)"
    local drain=NA from_first=NA
    if ((rc == 0)); then
        drain="$(awk -v a="$t0" -v b="$done_ms" 'BEGIN { printf "%.2f", (b - a) / 1000 }')"
        from_first="$(awk -v a="$first_ms" -v b="$done_ms" 'BEGIN { printf "%.2f", (b - a) / 1000 }')"
        local dups
        dups="$(kv "$line" duplicates)"
        [[ "$dups" == 0 ]] || status="ok,$dups-duplicates"
    elif ((rc == 3)); then
        status="timeout($(kv "$line" copied)/$records)"
    elif ((rc == 4)); then
        status="exited($(kv "$line" copied)/$records)"
    else
        status="failed"
    fi
    if $verify && [[ "$system" == kmirror && "$status" == ok ]]; then
        for spec in "${flows[@]}"; do
            bt verify --source "${spec#*=}" --target "$target_admin" --topic "bench-$w" \
                --target-topic "${spec%%=*}.bench-$w" >>"$dir/verify.txt" 2>&1 || status="verify-failed"
        done
        [[ "$status" == ok ]] && status="ok,verified"
    fi
    record "$w" "$system" "$round" "$phase" "$records" "$bytes" "$drain" "$from_first" "$cpu" "$rss" \
        "$hwm" - - - "$status"
}

# run_ceiling: plain librdkafka clients, one consumer+producer pair per flow,
# all at once; drain time is the slowest pair's.
run_ceiling() {
    local w="$1" round="$3" phase="$4" records="$5" size="$6" dir
    dir="$(run_dir "$w" "$phase" ceiling "$round")"
    local -a ceiling_pids=()
    local i=0 spec status=ok drain=0 cpu=0 rss=0 line
    for spec in "${flows[@]}"; do
        (exec "${in_ns[@]}" "$tool" ceiling --source "${spec#*=}" --target "$target_bootstrap" \
            --topic "bench-$w" --target-topic "ceiling.${spec%%=*}.bench-$w" --size "$size" \
            --timeout-s "$timeout_s") >"$dir/ceiling-$i.txt" 2>&1 &
        ceiling_pids+=($!)
        pids+=($!)
        i=$((i + 1))
    done
    for i in "${!ceiling_pids[@]}"; do
        wait "${ceiling_pids[$i]}" || status=failed
        forget_pid "${ceiling_pids[$i]}"
        line="$(grep '^result ' "$dir/ceiling-$i.txt" || true)"
        [[ -n "$line" ]] || { status=failed; continue; }
        drain="$(awk -v a="$drain" -v b="$(kv "$line" elapsed_s)" 'BEGIN { printf "%.2f", (b > a ? b : a) }')"
        cpu="$(awk -v a="$cpu" -v b="$(kv "$line" cpu_s)" 'BEGIN { print a + b }')"
        rss="$(awk -v a="$rss" -v b="$(kv "$line" maxrss_kb)" 'BEGIN { printf "%.0f", a + b / 1024 }')"
    done
    [[ "$status" == ok ]] || { drain=NA; cpu=NA; rss=NA; }
    record "$w" ceiling "$round" "$phase" "$records" "$((records * size))" "$drain" NA "$cpu" "$rss" \
        "$rss" - - - "$status"
}

# run_latency WORKLOAD SYSTEM ROUND RATE SIZE PARTITIONS
# run_latency WORKLOAD SYSTEM ROUND RATE SIZE PARTITIONS. For "ceiling" no
# mirror runs: the probe reads the topic it writes, which is its own floor
# (producer, broker, consumer) on this machine at that moment.
run_latency() {
    local w="$1" system="$2" round="$3" rate="$4" size="$5" parts="$6"
    local dir status=ok rc=0 line
    cpu=NA hwm=NA rss=NA
    local target="$target_bootstrap" target_topic="src.bench-$w"
    dir="$(run_dir "$w" - "$system" "$round")"
    mkdir -p "$dir"
    # A fresh, empty source topic each time: no backlog in front of the probe.
    bt delete-topics --bootstrap "$source_bootstrap" --match ".*" >/dev/null
    clean_clusters
    bt create-topic --bootstrap "$source_bootstrap" --topic "bench-$w" --partitions "$parts"
    if [[ "$system" == ceiling ]]; then
        target="$source_bootstrap"
        target_topic="bench-$w"
    else
        start_mirror "$system" "$dir"
    fi
    bt_wait latency --source "$source_bootstrap" --target "$target" --topic "bench-$w" \
        --target-topic "$target_topic" --partitions "$parts" --rate "$rate" --size "$size" \
        --warmup-s "$latency_warmup_s" --seconds "$latency_seconds" --timeout-s 180 \
        >"$dir/latency.txt" 2>&1 || rc=$?
    [[ "$system" == ceiling ]] || stop_mirror
    line="$(grep '^result ' "$dir/latency.txt" || true)"
    if ((rc != 0)) || [[ -z "$line" ]]; then
        status="failed($(grep -m1 -E 'latency:' "$dir/latency.txt" | cut -c1-60 || true))"
        [[ -n "$line" ]] && status="$(kv "$line" missing)-missing"
    fi
    local records=$((rate * (latency_warmup_s + latency_seconds)))
    local p50 p99 p999
    p50="$(kv "$line" p50_ms)"
    p99="$(kv "$line" p99_ms)"
    p999="$(kv "$line" p999_ms)"
    record "$w" "$system" "$round" - "$records" "$((records * size))" NA NA "$cpu" "$rss" "$hwm" \
        "${p50:-NA}" "${p99:-NA}" "${p999:-NA}" "$status"
}

# ---------------------------------------------------------------- summaries
# ratios WORKLOAD PHASE: means over the rounds that finished.
ratios() {
    awk -F'\t' -v w="$1" -v ph="$2" '
        $1 == w && $4 == ph && $7 != "NA" && $17 ~ /^ok/ {
            n[$2]++; s[$2] += $7; f[$2] += $8; b[$2] = $6; c[$2] += $11; r[$2] += $12
        }
        function mean(x, k) { return x[k] / n[k] }
        END {
            if (n["kmirror"] && n["mm2"]) {
                tk = b["kmirror"] / mean(s, "kmirror"); tm = b["mm2"] / mean(s, "mm2")
                printf "  kmirror/mm2 throughput        %6.2fx", tk / tm
                if (f["kmirror"] > 0 && f["mm2"] > 0)
                    printf "  (first to last record: %.2fx)", mean(f, "mm2") / mean(f, "kmirror")
                printf "\n"
                if (c["kmirror"] > 0 && c["mm2"] > 0)
                    printf "  kmirror/mm2 MB per CPU-second %6.2fx\n", (b["kmirror"] / mean(c, "kmirror")) / (b["mm2"] / mean(c, "mm2"))
                if (r["mm2"] > 0)
                    printf "  kmirror/mm2 peak RSS          %6.2fx\n", mean(r, "kmirror") / mean(r, "mm2")
            }
            if (n["kmirror"] && n["ceiling"])
                printf "  kmirror/ceiling throughput    %6.2f\n", mean(s, "ceiling") / mean(s, "kmirror")
            if (n["mm2"] && n["ceiling"])
                printf "  mm2/ceiling throughput        %6.2f\n", mean(s, "ceiling") / mean(s, "mm2")
        }' "$results" | tee -a "$summary"
}
latency_ratio() {
    awk -F'\t' -v w="$1" '
        $1 == w && $17 == "ok" { n[$2]++; p[$2] += $15 }
        END {
            if (n["kmirror"] && n["mm2"] && p["mm2"] > 0)
                printf "  kmirror/mm2 p99               %6.2fx\n", (p["kmirror"] / n["kmirror"]) / (p["mm2"] / n["mm2"])
        }' "$results" | tee -a "$summary"
}
wan_ratios() {
    awk -F'\t' -v w="$1" '
        $1 == w && $7 != "NA" && $17 ~ /^ok/ { n[$2 "/" $4]++; s[$2 "/" $4] += $7 }
        END {
            split("kmirror mm2 ceiling", sys, " ")
            for (i = 1; i <= 3; i++) {
                a = sys[i] "/0ms"; z = sys[i] "/50ms"
                if (n[a] && n[z])
                    printf "  %-8s 50 ms RTT / 0 ms throughput %5.2f\n", sys[i], (s[a] / n[a]) / (s[z] / n[z])
            }
        }' "$results" | tee -a "$summary"
}

# systems_for ROUND: the systems in order, reversed on even rounds (ABBA), so
# neither goes first on a warmer machine every time.
systems_for() {
    local list=(${systems//,/ }) i
    if (($1 % 2 == 0)); then
        for ((i = ${#list[@]} - 1; i >= 0; i--)); do echo "${list[$i]}"; done
    else
        printf '%s\n' "${list[@]}"
    fi
}

# ---------------------------------------------------------------- workloads
load_sources() { # load_sources WORKLOAD RECORDS SIZE PARTITIONS
    local spec
    for spec in "${flows[@]}"; do
        bt load --bootstrap "${spec#*=}" --topic "bench-$1" --records "$2" --size "$3" \
            --partitions "$4" | tee -a "$summary" >&2
    done
}
# each_run FN WORKLOAD ARGS...: FN WORKLOAD SYSTEM ROUND ARGS... for every
# round and system.
each_run() {
    local fn="$1" w="$2" round system
    shift 2
    for ((round = 1; round <= rounds; round++)); do
        for system in $(systems_for "$round"); do "$fn" "$w" "$system" "$round" "$@"; done
    done
}
drop_sources() {
    local b
    for b in "${source_admins[@]}"; do bt delete-topics --bootstrap "$b" --match ".*" >/dev/null; done
}
set_client_props() { # set_client_props SIZE: what 1 MiB records need from MM2's producer
    client_props_mm2=""
    if (($1 > 900000)); then
        # The Java producer refuses records over max.request.size (1 MiB);
        # kmirror sets librdkafka's message.max.bytes to 100 MB itself.
        client_props_mm2="tgt.producer.max.request.size = 4194304"
    fi
}

workload() { # workload NAME KIND RECORDS SIZE PARTITIONS DESCRIPTION...
    local w="$1" kind="$2" records size="$4" parts="$5"
    records="$3"
    if [[ "$kind" != latency ]]; then # there it is a rate
        records="$(awk -v n="$3" -v f="$scale" -v p="$5" 'BEGIN { n = int(n * f); print (n < p ? p : n) }')"
    fi
    shift 5
    say ""
    say "== $w: $* ($kind: $records x $size B, $parts partitions)"
    set_client_props "$size"
    flows=("src=$source_bootstrap")
    source_admins=("$source_bootstrap")
    case "$kind" in
    drain)
        load_sources "$w" "$records" "$size" "$parts"
        each_run run_drain "$w" - "$records" "$size"
        ratios "$w" -
        ;;
    quota)
        load_sources "$w" "$records" "$size" "$parts"
        "$kafka_sh" tool "$target_name" org.apache.kafka.tools.ConfigCommand --bootstrap-server '{bootstrap}' \
            --alter --add-config "producer_byte_rate=$quota_bytes" --entity-type clients --entity-default \
            >>"$out/runs/quota.log" 2>&1
        each_run run_drain "$w" - "$records" "$size"
        "$kafka_sh" tool "$target_name" org.apache.kafka.tools.ConfigCommand --bootstrap-server '{bootstrap}' \
            --alter --delete-config producer_byte_rate --entity-type clients --entity-default \
            >>"$out/runs/quota.log" 2>&1
        ratios "$w" -
        ;;
    fanin)
        local n
        clusters_up "bench-$$-src2" "bench-$$-src3"
        for n in 2 3; do
            flows+=("src$n=${bootstrap[bench-$$-src$n]}")
            source_admins+=("${bootstrap[bench-$$-src$n]}")
        done
        load_sources "$w" "$records" "$size" "$parts"
        each_run run_drain "$w" - "$((records * 3))" "$size"
        ratios "$w" -
        for n in 2 3; do cluster_down "bench-$$-src$n"; done
        flows=("src=$source_bootstrap")
        source_admins=("$source_bootstrap")
        ;;
    latency)
        each_run run_latency "$w" "$records" "$size" "$parts"
        latency_ratio "$w"
        ;;
    wan) run_wan "$w" "$records" "$size" "$parts" ;;
    esac
    [[ "$kind" == wan ]] || drop_sources
}

# The WAN case. The kernel has no netem (CONFIG_NET_SCH_NETEM is off), so the
# delay is made by `mirror_bench_tool wan-delay` on an NFQUEUE. Everything
# runs in a network namespace of its own, on its loopback: two clusters, each
# with a second listener (WAN, ports 19094 and 29094) whose packets iptables
# sends through the delay queue, both ways. The mirrors and the ceiling reach
# the clusters only through the WAN listeners; the loader and drain-wait use
# the plain ones, undelayed.
run_wan() {
    local w="$1" records="$2" size="$3" parts="$4"
    if [[ $EUID -ne 0 ]] || ! command -v iptables >/dev/null || ! command -v ip >/dev/null; then
        say "  skipped: needs root, ip and iptables (apt-get install iptables)"
        return 0
    fi
    netns="kmbench-$$"
    ip netns add "$netns"
    ip -n "$netns" link set lo up
    ip netns exec "$netns" iptables -t raw -A PREROUTING -i lo -p tcp -m multiport \
        --ports 19094,29094 -j NFQUEUE --queue-num 0
    in_ns=(ip netns exec "$netns")
    start_delayer 0
    # Fixed ports: nothing else lives in this namespace.
    local src="bench-$$-wan-src" tgt="bench-$$-wan-tgt" name
    # Brokers size their sockets' buffers from the OS (-1) rather than
    # Kafka's fixed 100 KiB (socket.send/receive.buffer.bytes), which would cap
    # every connection at 100 KiB per round trip (2 MB/s at 50 ms) whatever a
    # client sets: a broker serving a WAN link is set up so.
    local map='listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,WAN:PLAINTEXT'
    map+='\nsocket.send.buffer.bytes=-1\nsocket.receive.buffer.bytes=-1'
    up_netns="$netns"
    up_ports=(["$src"]=19092 ["$tgt"]=29092)
    up_cports=(["$src"]=19093 ["$tgt"]=29093)
    for name in "$src" "$tgt"; do
        local p="${up_ports[$name]}"
        up_extra[$name]="$map\\nlisteners=PLAINTEXT://127.0.0.1:$p,CONTROLLER://127.0.0.1:$((p + 1)),WAN://127.0.0.1:$((p + 2))\\nadvertised.listeners=PLAINTEXT://127.0.0.1:$p,WAN://127.0.0.1:$((p + 2))"
    done
    clusters_up "$src" "$tgt"
    up_netns=""
    local saved=("$source_bootstrap" "$target_bootstrap" "$target_admin" "$target_name")
    # The mirrors and the ceiling use the WAN listeners; drain-wait polls the
    # target's plain one, and the loader writes to the source's.
    source_bootstrap="127.0.0.1:19094"
    target_bootstrap="127.0.0.1:29094"
    target_admin="${bootstrap[$tgt]}"
    target_name="$tgt"
    flows=("src=$source_bootstrap")
    source_admins=("${bootstrap[$src]}")
    bt load --bootstrap "${bootstrap[$src]}" --topic "bench-$w" --records "$records" \
        --size "$size" --partitions "$parts" | tee -a "$summary" >&2
    local delay phase
    for delay in 0 "$wan_delay_ms"; do
        phase="$((delay * 2))ms"
        if ((delay > 0)); then
            stop_delayer
            start_delayer "$delay"
        fi
        say "  -- round trip $phase"
        each_run run_drain "$w" "$phase" "$records" "$size"
    done
    wan_ratios "$w"
    drop_sources
    stop_delayer
    in_ns=()
    cluster_down "$src"
    cluster_down "$tgt"
    ip netns del "$netns"
    netns=""
    source_bootstrap="${saved[0]}"
    target_bootstrap="${saved[1]}"
    target_admin="${saved[2]}"
    target_name="${saved[3]}"
    source_admins=("$source_bootstrap")
}
start_delayer() { # start_delayer MS: the NFQUEUE delay, in the namespace
    "${in_ns[@]}" "$tool" wan-delay --queue 0 --delay-ms "$1" >>"$out/runs/wan-delay.log" 2>&1 &
    delayer=$!
    pids+=("$delayer")
    sleep 0.5
    kill -0 "$delayer" 2>/dev/null || die "wan-delay did not start: $(tail -n 3 "$out/runs/wan-delay.log")"
}
stop_delayer() {
    stop_pid "$delayer" 10
    forget_pid "$delayer"
}

# ---------------------------------------------------------------- main
machine() {
    say "kmirror mirror benchmark, $(date -u +%FT%TZ)"
    say "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr); load average $(cut -d' ' -f1-3 /proc/loadavg)"
    if has_system kmirror; then
        say "kmirror: $kmirror_bin ($("$kmirror_bin" version 2>/dev/null | head -n 1 || echo unknown))"
    fi
    say "source tree: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$root" diff --quiet 2>/dev/null || echo ' (modified)')"
    has_system mm2 && say "MirrorMaker 2: $(basename "$(ls "$mm2_libs"/connect-mirror-[0-9]*.jar)" .jar), dedicated mode, tasks.max=$mm2_tasks"
    say "systems: $systems; rounds: $rounds; scale: $scale; output: $out"
}

main() {
    machine
    local need_clusters=false line
    while read -r line; do
        [[ -z "$line" ]] && continue
        [[ "$(awk '{ print $2 }' <<<"$line")" != wan ]] && need_clusters=true
    done <<<"$selected"
    if $need_clusters; then
        log "starting clusters bench-$$-src and bench-$$-tgt"
        target_name="bench-$$-tgt"
        clusters_up "bench-$$-src" "$target_name"
        source_bootstrap="${bootstrap[bench-$$-src]}"
        target_bootstrap="${bootstrap[$target_name]}"
        target_admin="$target_bootstrap"
        say "kafka: $(sed -n 's/^kafka.version=//p' "$("$harness/fetch-kafka.sh" | tail -n 1)/../.complete"), source $source_bootstrap, target $target_bootstrap"
    fi
    while read -r line; do
        [[ -z "$line" ]] && continue
        # shellcheck disable=SC2086 # the table's columns, description last
        workload $line
    done <<<"$selected"
    say ""
    say "results: $results"
    return "$failed"
}

# One line, so bash has read the whole file before running anything: editing
# run.sh cannot disturb a run in progress.
main; exit
