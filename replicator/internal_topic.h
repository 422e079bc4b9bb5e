#pragma once
// MM2's internal topics (heartbeats, offset-syncs, checkpoints) are created as
// MM2 does (MirrorUtils#createSinglePartitionCompactedTopic): one partition,
// compacted, replication min(3, brokers).

#include <optional>
#include <string>

#include "kafka/admin.h"

namespace kmirror::replicator {

/// Creates `topic` unless it exists. nullopt on success (or when it already
/// existed); otherwise the broker's reason.
std::optional<std::string> ensure_internal_topic(kafka::Admin& admin, const std::string& topic,
                                                 int brokers);

}  // namespace kmirror::replicator
