#pragma once
// Rebuilding offset ranges from the offset-syncs topic: a partition that comes
// to this instance with no local history (first start with an empty state
// file, or the state file was lost, or another instance mirrored it before)
// gets the newest sync of it as its first range. Translation from there is
// exact at the sync and conservative just after it (DESIGN.md "Scale-out").
// MM2's syncs count too: a flow taking over from MM2 starts with its history.

#include <chrono>
#include <cstddef>

#include "checkpoints/offset_range_store.h"
#include "config/config.h"
#include "kafka/client_base.h"
#include "replicator/topic_filter.h"

namespace kmirror::replicator {

/// Reads the flow's offset-syncs topic (from `cluster`, where it lives) up to
/// its end and records the newest sync of every partition of a topic passing
/// `topics` that the store knows nothing of. Returns how many partitions got
/// one. Reading stops at `timeout` (an unreachable cluster rebuilds nothing).
std::size_t rebuild_from_offset_syncs(const config::Flow& flow, const kafka::ClientSettings& cluster,
                                      const TopicFilter& topics,
                                      checkpoints::OffsetRangeStore& store,
                                      std::chrono::milliseconds timeout);

}  // namespace kmirror::replicator
