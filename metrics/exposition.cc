#include "metrics/exposition.h"

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <deque>
#include <iterator>
#include <limits>
#include <map>

#include "metrics/process_stats.h"

namespace kmirror::metrics {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<ClientMetric::Label>;

// Builds one family at a time; every helper appends one series.
class Families {
public:
    MetricFamily& family(const char* name, const char* help, MetricType type) {
        families_.push_back({name, help, type, {}});
        return families_.back();
    }
    static void counter(MetricFamily& f, Labels labels, double v) {
        ClientMetric m;
        m.label = std::move(labels);
        m.counter.value = v;
        f.metric.push_back(std::move(m));
    }
    static void gauge(MetricFamily& f, Labels labels, double v) {
        ClientMetric m;
        m.label = std::move(labels);
        m.gauge.value = v;
        f.metric.push_back(std::move(m));
    }
    std::vector<MetricFamily> take() {
        return {std::make_move_iterator(families_.begin()),
                std::make_move_iterator(families_.end())};
    }

private:
    std::deque<MetricFamily> families_;  // a deque: family() references stay valid
};

void topic_families(Families& out, const std::vector<FlowSample>& flows) {
    auto& records = out.family("kmirror_records_total",
                               "Records acknowledged by the target cluster.", MetricType::Counter);
    auto& bytes = out.family("kmirror_bytes_total",
                             "Key and value bytes of records acknowledged by the target.",
                             MetricType::Counter);
    auto& lost = out.family("kmirror_records_lost_total",
                            "Records deleted on the source before they were mirrored.",
                            MetricType::Counter);
    for (const auto& f : flows) {
        for (const auto& t : f.topics) {
            Labels l{{"flow", f.flow}, {"topic", t.topic}};
            Families::counter(records, l, static_cast<double>(t.records));
            Families::counter(bytes, l, static_cast<double>(t.bytes));
            Families::counter(lost, l, static_cast<double>(t.lost));
        }
    }
}

void lag_families(Families& out, const std::vector<FlowSample>& flows, bool per_partition) {
    auto& records = out.family(
        "kmirror_lag_records",
        "Source high watermark minus the next offset to mirror (acknowledged prefix).",
        MetricType::Gauge);
    auto& seconds = out.family(
        "kmirror_lag_seconds",
        "Age of the oldest consumed record not yet acknowledged by the target; 0 if none.",
        MetricType::Gauge);
    for (const auto& f : flows) {
        if (per_partition) {
            for (const auto& p : f.partitions) {
                Labels l{{"flow", f.flow}, {"topic", p.topic},
                         {"partition", std::to_string(p.partition)}};
                Families::gauge(records, l, static_cast<double>(p.lag_records));
                Families::gauge(seconds, l, p.lag_seconds);
            }
            continue;
        }
        std::map<std::string, std::pair<std::int64_t, double>> by_topic;
        for (const auto& p : f.partitions) {
            auto& [r, s] = by_topic[p.topic];
            r += p.lag_records;
            s = std::max(s, p.lag_seconds);
        }
        for (const auto& [topic, v] : by_topic) {
            Labels l{{"flow", f.flow}, {"topic", topic}};
            Families::gauge(records, l, static_cast<double>(v.first));
            Families::gauge(seconds, l, v.second);
        }
    }
}

void error_family(Families& out, const char* name, const char* help,
                  const std::vector<FlowSample>& flows,
                  std::map<std::string, std::uint64_t> FlowSample::*errors) {
    auto& fam = out.family(name, help, MetricType::Counter);
    for (const auto& f : flows) {
        for (const auto& [kind, n] : f.*errors) {
            Families::counter(fam, {{"flow", f.flow}, {"kind", kind}}, static_cast<double>(n));
        }
    }
}

void flow_families(Families& out, const std::vector<FlowSample>& flows) {
    struct Scalar {
        const char* name;
        const char* help;
        MetricType type;
        double (*value)(const FlowSample&);
    };
    static constexpr Scalar kScalars[] = {
        {"kmirror_records_skipped_total", "Records not mirrored because they would loop back.",
         MetricType::Counter,
         [](const FlowSample& f) { return static_cast<double>(f.records_skipped); }},
        {"kmirror_rebalances_total", "Consumer group rebalances seen by this process.",
         MetricType::Counter, [](const FlowSample& f) { return static_cast<double>(f.rebalances); }},
        {"kmirror_heartbeats_sent_total", "Heartbeats written to the source cluster.",
         MetricType::Counter,
         [](const FlowSample& f) { return static_cast<double>(f.heartbeats_sent); }},
        {"kmirror_checkpoints_total",
         "Checkpoint records (translated group offsets) written to the target.",
         MetricType::Counter,
         [](const FlowSample& f) { return static_cast<double>(f.checkpoints); }},
        {"kmirror_offset_syncs_total", "Offset syncs written (MM2's offset-syncs topic).",
         MetricType::Counter,
         [](const FlowSample& f) { return static_cast<double>(f.offset_syncs); }},
        {"kmirror_group_offsets_synced_total",
         "Partition offsets written into consumer groups on the target (sync_group_offsets).",
         MetricType::Counter,
         [](const FlowSample& f) { return static_cast<double>(f.group_offsets_synced); }},
        {"kmirror_groups_tracked", "Source consumer groups whose offsets the flow translates.",
         MetricType::Gauge,
         [](const FlowSample& f) { return static_cast<double>(f.groups_tracked); }},
        {"kmirror_assigned_partitions", "Source partitions this process mirrors now.",
         MetricType::Gauge,
         [](const FlowSample& f) { return static_cast<double>(f.assigned_partitions); }},
        {"kmirror_topics_mirrored", "Source topics the flow mirrors.", MetricType::Gauge,
         [](const FlowSample& f) { return static_cast<double>(f.topics_mirrored); }},
        {"kmirror_partitions_stopped", "Partitions halted by data loss or a refused record.",
         MetricType::Gauge,
         [](const FlowSample& f) { return static_cast<double>(f.partitions_stopped); }},
        {"kmirror_flow_ready", "1 when the flow reaches both clusters and mirrors partitions.",
         MetricType::Gauge, [](const FlowSample& f) { return f.ready ? 1.0 : 0.0; }},
        {"kmirror_in_flight_bytes",
         "Bytes of records consumed and not yet acknowledged by the target (keys, values and "
         "a per-record overhead).",
         MetricType::Gauge,
         [](const FlowSample& f) { return static_cast<double>(f.in_flight_bytes); }},
        {"kmirror_in_flight_limit_bytes",
         "The flow's limit for kmirror_in_flight_bytes, from memory.budget: at it, the flow "
         "stops consuming until the target acknowledges.",
         MetricType::Gauge,
         [](const FlowSample& f) { return static_cast<double>(f.in_flight_limit_bytes); }},
        {"kmirror_max_bytes_per_second", "The flow's max_bytes_per_second; 0: no cap.",
         MetricType::Gauge,
         [](const FlowSample& f) { return static_cast<double>(f.max_bytes_per_second); }},
        {"kmirror_throttled_seconds_total",
         "Time the flow's workers waited to stay within max_bytes_per_second.",
         MetricType::Counter, [](const FlowSample& f) { return f.throttled_seconds; }},
    };
    for (const auto& s : kScalars) {
        auto& fam = out.family(s.name, s.help, s.type);
        for (const auto& f : flows) {
            Labels l{{"flow", f.flow}};
            if (s.type == MetricType::Counter) {
                Families::counter(fam, l, s.value(f));
            } else {
                Families::gauge(fam, l, s.value(f));
            }
        }
    }
    auto& age = out.family("kmirror_heartbeat_age_seconds",
                           "Now minus the timestamp of the newest heartbeat of the flow that "
                           "reached the target: the end-to-end replication gap.",
                           MetricType::Gauge);
    for (const auto& f : flows) {
        if (f.heartbeat_age_seconds) Families::gauge(age, {{"flow", f.flow}}, *f.heartbeat_age_seconds);
    }
    auto& checkpoint_age = out.family(
        "kmirror_checkpoint_age_seconds",
        "Now minus the last time every tracked group's translation was checked and written "
        "to the target.",
        MetricType::Gauge);
    for (const auto& f : flows) {
        if (f.checkpoint_age_seconds) {
            Families::gauge(checkpoint_age, {{"flow", f.flow}}, *f.checkpoint_age_seconds);
        }
    }
    auto& latency = out.family(
        "kmirror_replication_latency_seconds",
        "Target acknowledgement time minus record timestamp.", MetricType::Histogram);
    for (const auto& f : flows) {
        ClientMetric m;
        m.label = {{"flow", f.flow}};
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i < f.latency.counts.size(); ++i) {
            cumulative += f.latency.counts[i];
            const double bound = i < f.latency.bounds.size()
                                     ? f.latency.bounds[i]
                                     : std::numeric_limits<double>::infinity();
            m.histogram.bucket.push_back({cumulative, bound});
        }
        m.histogram.sample_count = cumulative;
        m.histogram.sample_sum = f.latency.sum;
        latency.metric.push_back(std::move(m));
    }
    error_family(out, "kmirror_produce_errors_total",
                 "Records the target refused, by librdkafka error name.", flows,
                 &FlowSample::produce_errors);
    error_family(out, "kmirror_consume_errors_total",
                 "Consumer errors on the source, by librdkafka error name.", flows,
                 &FlowSample::consume_errors);
}

void process_families(Families& out, const BuildInfo& build) {
    if (auto p = read_process_stats()) {
        Families::counter(out.family("process_cpu_seconds_total",
                                     "Total user and system CPU time spent in seconds.",
                                     MetricType::Counter),
                          {}, p->cpu_seconds);
        Families::gauge(out.family("process_resident_memory_bytes",
                                   "Resident memory size in bytes.", MetricType::Gauge),
                        {}, p->resident_memory_bytes);
        Families::gauge(out.family("process_open_fds", "Number of open file descriptors.",
                                   MetricType::Gauge),
                        {}, p->open_fds);
        Families::gauge(out.family("process_start_time_seconds",
                                   "Start time of the process since unix epoch in seconds.",
                                   MetricType::Gauge),
                        {}, p->start_time_seconds);
    }
    Families::gauge(out.family("kmirror_build_info", "kmirror and librdkafka versions.",
                               MetricType::Gauge),
                    {{"version", build.version}, {"librdkafka_version", build.librdkafka_version}},
                    1);
}

}  // namespace

void state_families(Families& out, const StateSample& state) {
    Families::counter(out.family("kmirror_state_write_errors_total",
                                 "Failed writes of the offset-range store (state.path), e.g. a "
                                 "full disk; retried every second, nothing is lost from memory.",
                                 MetricType::Counter),
                      {}, static_cast<double>(state.write_errors));
    Families::gauge(out.family("kmirror_state_write_failing",
                               "1 while writing the offset-range store fails: a restart or "
                               "`kmirror translate` would answer conservatively since.",
                               MetricType::Gauge),
                    {}, state.write_failing ? 1 : 0);
}

std::string render(const std::vector<FlowSample>& flows, const BuildInfo& build,
                   const ExpositionOptions& options, const StateSample& state) {
    Families out;
    topic_families(out, flows);
    lag_families(out, flows, options.partition_labels);
    flow_families(out, flows);
    state_families(out, state);
    process_families(out, build);
    return prometheus::TextSerializer().Serialize(out.take());
}

}  // namespace kmirror::metrics
