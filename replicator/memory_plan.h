#pragma once
// MemoryPlan: what one flow may buffer, derived from `memory.budget`
// (DESIGN.md invariant 7). The budget is split evenly across the workers of
// all flows; a worker's share S is spent as:
//
//   3/8 S  its consumer's queue of fetched records (queued.max.messages.kbytes,
//          and queued.min.messages at kConsumedRecordCost a record, which is
//          what bounds small records: librdkafka counts only their bytes)
//   1/8 S  fetch responses on their way, one per source broker (fetch.max.bytes)
//   1/2 S  its part of the flow's producer: records in flight to the target
//          (kmirror's own limit, counted at size + kRecordOverhead), each held
//          up to twice (the record, and its copy in a produce request)
//
// librdkafka's own limits are set above kmirror's, so they are never the
// ones that bind: the in-flight limit is released by delivery reports and
// slows the fetch; nothing is paused, dropped or fetched twice.
// The fixed overhead on top (code, threads, metadata, SQLite, HTTP) is
// measured in docs/operations.md ("Memory").

#include <cstdint>

#include "config/config.h"
#include "kafka/client_settings.h"

namespace kmirror::replicator {

/// What kmirror and librdkafka keep per record beyond key and value, for
/// the in-flight account (librdkafka's message header, allocator slack).
inline constexpr std::int64_t kRecordOverhead = 256;
/// What a consumed record costs in the consumer's queue beyond its bytes.
inline constexpr std::int64_t kConsumedRecordCost = 512;

struct MemoryPlan {
    std::int64_t worker_share = 0;       ///< S
    // Each worker's consumer:
    std::int64_t consumer_queue_bytes = 0;
    std::int64_t consumer_queue_records = 0;
    std::int64_t fetch_max_bytes = 0;
    std::int64_t partition_fetch_bytes = 0;
    // The flow's producer (shared by its workers):
    std::int64_t in_flight_bytes = 0;    ///< kmirror's limit
    std::int64_t producer_queue_bytes = 0;
    std::int64_t producer_queue_records = 0;
    std::int64_t batch_bytes = 0;

    [[nodiscard]] kafka::Overrides consumer_overrides() const;
    [[nodiscard]] kafka::Overrides producer_overrides() const;
};

/// The plan of `flow` within `config`; `source_brokers` answer fetches at once.
MemoryPlan plan_memory(const config::Config& config, const config::Flow& flow,
                       int source_brokers);

}  // namespace kmirror::replicator
