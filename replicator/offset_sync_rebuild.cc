#include "replicator/offset_sync_rebuild.h"

#include <spdlog/spdlog.h>

#include <map>

#include "checkpoints/mm2_records.h"
#include "kafka/partition_reader.h"
#include "replicator/offset_sync_writer.h"

namespace kmirror::replicator {

std::size_t rebuild_from_offset_syncs(const config::Flow& flow, const kafka::ClientSettings& cluster,
                                      const TopicFilter& topics,
                                      checkpoints::OffsetRangeStore& store,
                                      std::chrono::milliseconds timeout) {
    const std::string topic = OffsetSyncWriter::topic(flow);
    std::map<std::pair<std::string, std::int32_t>, checkpoints::OffsetSync> newest;
    auto read = kafka::read_partition_to_end(
        cluster, topic, 0, "kmirror-" + flow.name + "-rebuild", timeout,
        [&](const kafka::Message& m) {
            const auto key = kafka::as_chars(m.key());
            const auto value = kafka::as_chars(m.value());
            if (!key || !value) return;
            auto sync = checkpoints::decode_offset_sync(*key, *value);
            if (!sync || !topics.matches(sync.value().topic)) return;
            newest[{sync.value().topic, sync.value().partition}] = sync.value();
        });
    if (!read) return 0;  // no topic yet (first start), or the cluster did not answer
    if (!read.value().complete()) {
        spdlog::warn("flow '{}': read '{}' only up to offset {} of {} before the timeout; "
                     "partitions without local history rebuild from what was read",
                     flow.name, topic, read.value().next, read.value().end);
    }
    std::size_t seeded = 0;
    for (const auto& [tp, sync] : newest) {
        if (!store.ranges(flow.name, tp.first, tp.second).empty()) continue;
        store.record(flow.name, tp.first, tp.second, sync.upstream, sync.downstream);
        ++seeded;
    }
    if (seeded > 0) {
        spdlog::info("flow '{}': {} partition(s) without local history start from their newest "
                     "offset sync in '{}'",
                     flow.name, seeded, topic);
    }
    return seeded;
}

}  // namespace kmirror::replicator
