#pragma once
// FlowStats: counters a flow updates on its hot path with relaxed atomics.
// metrics/ is handed a snapshot of them at scrape time; the data path never
// touches a metrics registry.

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace kmirror::replicator {

/// Replication latency (target acknowledgement time minus record timestamp),
/// in fixed buckets: one relaxed increment per record.
class LatencyHistogram {
public:
    static constexpr std::array<double, 15> kBounds{0.001, 0.0025, 0.005, 0.01, 0.025,
                                                    0.05,  0.1,    0.25,  0.5,  1.0,
                                                    2.5,   5.0,    10.0,  30.0, 60.0};
    using Counts = std::array<std::uint64_t, kBounds.size() + 1>;
    void observe_ms(std::int64_t ms) noexcept;
    /// The bucket a latency of `ms` falls in.
    static std::size_t bucket_of(std::int64_t ms) noexcept;
    /// Adds counts gathered by the caller (a batch of records): one atomic
    /// add per bucket used, not per record.
    void add(const Counts& counts, std::uint64_t sum_ms) noexcept;
    /// Non-cumulative counts per bucket; the last one is +Inf.
    [[nodiscard]] std::array<std::uint64_t, kBounds.size() + 1> counts() const noexcept;
    [[nodiscard]] double sum_seconds() const noexcept;

private:
    std::array<std::atomic<std::uint64_t>, kBounds.size() + 1> counts_{};
    std::atomic<std::uint64_t> sum_ms_{0};
};

/// Error counts by librdkafka error name; errors are rare, so a mutex is fine.
class ErrorCounts {
public:
    void add(const std::string& kind);
    [[nodiscard]] std::map<std::string, std::uint64_t> snapshot() const;

private:
    mutable std::mutex mu_;
    std::map<std::string, std::uint64_t> counts_;  // guarded by mu_
};

struct FlowStats {
    std::atomic<std::uint64_t> records{0};          ///< acknowledged by the target
    std::atomic<std::uint64_t> records_skipped{0};  ///< not mirrored: would loop back
    std::atomic<std::uint64_t> records_lost{0};     ///< deleted on the source before copied
    std::atomic<std::uint64_t> rebalances{0};
    std::atomic<std::int64_t> assigned_partitions{0};
    std::atomic<std::int64_t> topics_mirrored{0};
    std::atomic<std::uint64_t> heartbeats_sent{0};
    /// Timestamp (ms) of the newest heartbeat of this flow acknowledged by the target.
    std::atomic<std::int64_t> last_heartbeat_ms{0};
    std::atomic<std::uint64_t> offset_syncs{0};  ///< offset syncs written
    std::atomic<std::uint64_t> checkpoints{0};   ///< checkpoint records written
    /// When (ms) the newest checkpoint was acknowledged by the target; 0 = none yet.
    std::atomic<std::int64_t> last_checkpoint_ms{0};
    /// Translated offsets written into target groups (sync_group_offsets).
    std::atomic<std::uint64_t> group_offsets_synced{0};
    /// Groups whose commits are followed (checkpointed) now.
    std::atomic<std::int64_t> groups_tracked{0};
    LatencyHistogram latency;
    ErrorCounts produce_errors;
    ErrorCounts consume_errors;
};

}  // namespace kmirror::replicator
