#pragma once
// FlowStats: counters a flow updates on its hot path with relaxed atomics.
// metrics/ reads them at scrape time; the data path never touches a registry.

#include <atomic>
#include <cstdint>

namespace kmirror::replicator {

struct FlowStats {
    std::atomic<std::uint64_t> records{0};          ///< acknowledged by the target
    std::atomic<std::uint64_t> bytes{0};            ///< key + value bytes acknowledged
    std::atomic<std::uint64_t> records_skipped{0};  ///< not mirrored: would loop back
    std::atomic<std::uint64_t> records_lost{0};     ///< deleted on the source before copied
    std::atomic<std::uint64_t> produce_errors{0};   ///< refused by the target for good
    std::atomic<std::uint64_t> consume_errors{0};
    std::atomic<std::uint64_t> rebalances{0};
    std::atomic<std::int64_t> assigned_partitions{0};
    std::atomic<std::int64_t> topics_mirrored{0};
};

}  // namespace kmirror::replicator
