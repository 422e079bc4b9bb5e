#pragma once
// Plain values handed to metrics/ at scrape time. metrics/ does not reach
// into flows (DESIGN.md "Layout"): the daemon fills these from them.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kmirror::metrics {

struct PartitionSample {
    std::string topic;  ///< source topic
    std::int32_t partition = 0;
    std::int64_t lag_records = 0;  ///< source high watermark - next offset to copy
    double lag_seconds = 0;        ///< age of the oldest unacknowledged record; 0 if none
};

struct TopicSample {
    std::string topic;  ///< source topic
    std::uint64_t records = 0;
    std::uint64_t bytes = 0;
    std::uint64_t lost = 0;
};

struct HistogramSample {
    std::vector<double> bounds;         ///< upper bounds in seconds, ascending
    std::vector<std::uint64_t> counts;  ///< per bucket, not cumulative; last = +Inf
    double sum = 0;
};

struct FlowSample {
    std::string flow;
    bool ready = false;
    std::uint64_t records_skipped = 0;
    std::uint64_t rebalances = 0;
    std::uint64_t heartbeats_sent = 0;
    std::optional<double> heartbeat_age_seconds;  ///< none before the first heartbeat
    std::uint64_t checkpoints = 0;                 ///< checkpoint records written
    std::optional<double> checkpoint_age_seconds;  ///< none before the first round
    std::uint64_t offset_syncs = 0;
    std::uint64_t group_offsets_synced = 0;
    std::int64_t groups_tracked = 0;
    std::int64_t assigned_partitions = 0;
    std::int64_t topics_mirrored = 0;
    std::int64_t partitions_stopped = 0;
    std::int64_t in_flight_bytes = 0;        ///< records between consumer and target ack
    std::int64_t in_flight_limit_bytes = 0;  ///< the flow's share of memory.budget for them
    std::int64_t max_bytes_per_second = 0;   ///< 0: no cap
    double throttled_seconds = 0;            ///< waited for max_bytes_per_second
    std::vector<TopicSample> topics;
    std::vector<PartitionSample> partitions;
    HistogramSample latency;
    std::map<std::string, std::uint64_t> produce_errors;  ///< by librdkafka error name
    std::map<std::string, std::uint64_t> consume_errors;
};

/// The offset-range store's file (state.path). Failed writes are retried
/// every second; meanwhile nothing is lost from memory.
struct StateSample {
    std::uint64_t write_errors = 0;  ///< failed writes since start
    bool write_failing = false;      ///< the last write failed
};

struct BuildInfo {
    std::string version;
    std::string librdkafka_version;
};

}  // namespace kmirror::metrics
