#pragma once
// What the three files of MirrorWorker share (replicator/ internal).

#include <algorithm>
#include <chrono>
#include <string>

#include "config/config.h"
#include "kafka/message.h"

namespace kmirror::replicator::detail {

using namespace std::chrono_literals;

/// Admin-like calls a worker still makes itself (committed offsets in a
/// rebalance, watermarks after a lost position): bounded by this.
inline constexpr auto kAdminTimeout = 10s;

inline kafka::TopicPartition tp_of(const kafka::Message& m) {
    return {std::string(m.topic()), m.partition()};
}

/// How long a rebalance callback waits for in-flight records, for all its
/// partitions together: long enough for a healthy target, far below
/// max.poll.interval.ms when the target is down.
inline std::chrono::steady_clock::time_point drain_deadline(const config::Flow& flow) {
    return std::chrono::steady_clock::now() +
           std::min<std::chrono::milliseconds>(flow.commit_interval * 10, std::chrono::seconds(10));
}

}  // namespace kmirror::replicator::detail
