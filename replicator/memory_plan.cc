#include "replicator/memory_plan.h"

#include <algorithm>
#include <string>

namespace kmirror::replicator {
namespace {

constexpr std::int64_t kKiB = 1024;
constexpr std::int64_t kMiB = 1024 * kKiB;
// librdkafka's default and the largest produce batch worth having.
constexpr std::int64_t kMaxBatchBytes = 1'000'000;

}  // namespace

MemoryPlan plan_memory(const config::Config& config, const config::Flow& flow,
                       int source_brokers) {
    std::int64_t workers = 0;
    for (const auto& f : config.flows) workers += f.workers;
    MemoryPlan p;
    p.worker_share = config.memory.budget.bytes / std::max<std::int64_t>(1, workers);
    const std::int64_t s = p.worker_share;

    // librdkafka's queued.max.messages.kbytes stops at 2097151 KiB.
    p.consumer_queue_bytes = std::min<std::int64_t>(s * 3 / 8, 2'097'151 * kKiB);
    // librdkafka's range for queued.min.messages.
    p.consumer_queue_records =
        std::clamp<std::int64_t>(p.consumer_queue_bytes / kConsumedRecordCost, 1000, 10'000'000);
    // A broker returns at least one record batch whatever the limit (KIP-74),
    // so records larger than this still flow, one batch per fetch.
    p.fetch_max_bytes =
        std::clamp<std::int64_t>(s / 8 / std::max(1, source_brokers), 64 * kKiB, 64 * kMiB);
    p.partition_fetch_bytes = std::min<std::int64_t>(kMiB, p.fetch_max_bytes);

    const std::int64_t producer = s / 2 * flow.workers;
    p.in_flight_bytes = producer / 2;
    // Above kmirror's own limit, so never the one that binds: librdkafka
    // counts only keys and values, kmirror counts kRecordOverhead more.
    p.producer_queue_bytes = producer;
    p.producer_queue_records = p.in_flight_bytes / kRecordOverhead + 1000;
    p.batch_bytes = std::clamp<std::int64_t>(producer / 16, 64 * kKiB, kMaxBatchBytes);
    return p;
}

kafka::Overrides MemoryPlan::consumer_overrides() const {
    return {
        {"queued.max.messages.kbytes", std::to_string(std::max<std::int64_t>(1, consumer_queue_bytes / kKiB))},
        {"queued.min.messages", std::to_string(consumer_queue_records)},
        {"fetch.max.bytes", std::to_string(fetch_max_bytes)},
        // librdkafka requires fetch.max.bytes >= message.max.bytes (the size
        // of requests the consumer sends, which are small).
        {"message.max.bytes", std::to_string(std::min<std::int64_t>(1'000'000, fetch_max_bytes))},
        {"max.partition.fetch.bytes", std::to_string(partition_fetch_bytes)},
        // When the queue is full librdkafka waits this long before looking
        // again (default 1 s, which stalls small records): the queue drains
        // in milliseconds, so look again soon.
        {"fetch.queue.backoff.ms", "10"},
    };
}

kafka::Overrides MemoryPlan::producer_overrides() const {
    return {
        {"queue.buffering.max.kbytes", std::to_string(std::max<std::int64_t>(1, producer_queue_bytes / kKiB))},
        {"queue.buffering.max.messages", std::to_string(producer_queue_records)},
        {"batch.size", std::to_string(batch_bytes)},
    };
}

}  // namespace kmirror::replicator
