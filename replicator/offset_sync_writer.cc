#include "replicator/offset_sync_writer.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "checkpoints/mm2_records.h"
#include "replicator/internal_topic.h"
#include "replicator/partition_progress.h"

namespace kmirror::replicator {
namespace {

using namespace std::chrono_literals;

bool on_source(const config::Flow& flow) {
    return flow.offset_syncs_location == config::OffsetSyncsLocation::source;
}

}  // namespace

std::string OffsetSyncWriter::topic(const config::Flow& flow) {
    // MM2 names the topic after the OTHER cluster (MirrorSourceConfig#offsetSyncsTopic).
    return checkpoints::offset_syncs_topic(on_source(flow) ? flow.target : flow.source);
}

const std::string& OffsetSyncWriter::cluster_alias(const config::Flow& flow) {
    return on_source(flow) ? flow.source : flow.target;
}

OffsetSyncWriter::OffsetSyncWriter(const config::Flow& flow, const kafka::ClientSettings& cluster,
                                   kafka::Admin& admin, FlowStats& stats)
    : flow_(flow),
      topic_(topic(flow)),
      admin_(admin),
      stats_(stats),
      next_round_(std::chrono::steady_clock::now() + flow.offset_sync_interval) {
    producer_ = std::make_unique<kafka::Producer>(
        cluster,
        kafka::Overrides{{"acks", "all"},
                         {"enable.idempotence", "true"},
                         {"client.id", "kmirror-" + flow.name + "-offset-syncs"},
                         // Syncs only ever refine translation: after a long outage
                         // the newer ones matter, so give up on old ones.
                         {"message.timeout.ms", "300000"},
                         {"linger.ms", "5"}},
        this);
}

OffsetSyncWriter::~OffsetSyncWriter() = default;

bool OffsetSyncWriter::ensure_topic(int brokers) {
    const auto error = ensure_internal_topic(admin_, topic_, brokers);
    if (!error) return true;
    spdlog::error("flow '{}': cannot create topic '{}' on cluster '{}': {}; offset syncs are "
                  "not written (kmirror's own translation is not affected)",
                  flow_.name, topic_, cluster_alias(flow_), *error);
    return false;
}

void OffsetSyncWriter::note(const PartitionProgress& partition, SourceOffset src,
                            TargetOffset tgt) {
    const checkpoints::OffsetPair pair{src, tgt};
    note_run(partition, std::span(&pair, 1));
}

void OffsetSyncWriter::note_run(const PartitionProgress& partition,
                                std::span<const checkpoints::OffsetPair> pairs) {
    if (pairs.empty()) return;
    std::lock_guard lock(mu_);
    auto [it, first] = states_.try_emplace(&partition);
    State& s = it->second;
    for (const auto& [src, tgt] : pairs) {
        const bool boundary = first || src.value() != s.last_src.value() + 1 ||
                              tgt.value() != s.last_tgt.value() + 1;
        first = false;
        s.last_src = src;
        s.last_tgt = tgt;
        s.pending = !boundary;
        if (boundary) send(partition, src, tgt);
    }
}

void OffsetSyncWriter::forget(const PartitionProgress& partition) {
    std::lock_guard lock(mu_);
    states_.erase(&partition);
}

void OffsetSyncWriter::send(const PartitionProgress& partition, SourceOffset src,
                            TargetOffset tgt) {
    const checkpoints::OffsetSync sync{partition.source_topic(), partition.partition(), src, tgt};
    auto encoded = checkpoints::encode(sync);
    if (!encoded) return;  // a topic name is at most 249 bytes
    // MM2 writes partition 0 with the producer's timestamp and no headers.
    kafka::Record record{topic_, 0, std::move(encoded.value().key),
                         std::move(encoded.value().value), {}, 0};
    if (auto r = producer_->produce(record); !r && !warned_) {
        warned_ = true;
        spdlog::warn("flow '{}': offset sync not written to '{}' on '{}': {}", flow_.name, topic_,
                     cluster_alias(flow_), r.error().message());
    }
}

void OffsetSyncWriter::send_pending() {
    std::lock_guard lock(mu_);
    for (auto& [partition, s] : states_) {
        if (!s.pending) continue;
        s.pending = false;
        send(*partition, s.last_src, s.last_tgt);
    }
}

void OffsetSyncWriter::tick() {
    const auto now = std::chrono::steady_clock::now();
    if (now >= next_round_) {
        next_round_ = now + flow_.offset_sync_interval;
        send_pending();
    }
    producer_->poll(0ms);
}

void OffsetSyncWriter::flush(std::chrono::milliseconds timeout) {
    send_pending();
    if (auto r = producer_->flush(timeout); !r) {
        spdlog::warn("flow '{}': {} offset sync(s) not written to '{}' at shutdown: {}",
                     flow_.name, producer_->in_flight(), topic_, r.error().message());
    }
}

void OffsetSyncWriter::on_delivery(kafka::DeliveryReport& report) noexcept {
    std::lock_guard lock(mu_);
    if (!report.error) {
        stats_.offset_syncs.fetch_add(1, std::memory_order_relaxed);
        warned_ = false;
        return;
    }
    if (!warned_) {
        warned_ = true;
        spdlog::warn("flow '{}': offset sync to '{}' on '{}' failed: {}", flow_.name, topic_,
                     cluster_alias(flow_), report.error_message);
    }
}

}  // namespace kmirror::replicator
