#pragma once
// read_partition_to_end: reads one partition from its beginning up to the end
// it had when reading started, with a throwaway assigned consumer (no group
// joined, nothing committed). For the small compacted internal topics
// (offset-syncs, checkpoints) that tools and start-up read whole.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "base/result.h"
#include "kafka/client_base.h"
#include "kafka/message.h"

namespace kmirror::kafka {

struct ReadSummary {
    std::int64_t end = 0;   ///< the high watermark when reading started
    std::int64_t next = 0;  ///< one past the last record read
    [[nodiscard]] bool complete() const noexcept { return next >= end; }
};

/// Calls `on_record` for every record of `topic`[`partition`] below the high
/// watermark taken at the start. Stops at `timeout` (see complete()). Fails
/// when the topic does not exist or its watermarks cannot be read in time.
Result<ReadSummary> read_partition_to_end(const ClientSettings& cluster, const std::string& topic,
                                          std::int32_t partition, const std::string& client_id,
                                          std::chrono::milliseconds timeout,
                                          const std::function<void(const Message&)>& on_record);

}  // namespace kmirror::kafka
