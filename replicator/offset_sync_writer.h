#pragma once
// OffsetSyncWriter: writes MirrorMaker 2's offset syncs for one flow, so MM2's
// tools (OffsetSyncStore, MirrorCheckpointTask) can translate offsets from
// what kmirror mirrored, and a new owner of a partition can rebuild from them.
//
// A sync (source topic, partition, upstream u, downstream d) says: source
// record u is at target offset d. Written (reference/mirrormaker2.md §4a):
//   * at once at every range boundary: the first record of a partition in this
//     process, a source gap (compaction, transaction markers, aborted records),
//     a target jump (duplicates after a restart, foreign writes);
//   * for the newest pair of every partition that moved, every
//     `offset_sync_interval` (tick()).
// The topic is `mm2-offset-syncs.<target>.internal` on the source cluster, or
// `mm2-offset-syncs.<source>.internal` on the target (offset_syncs_location),
// 1 partition, compacted, as MM2 creates it.
//
// @thread note(): the flow's delivery thread; tick(), ensure_topic(): the
//         flow's admin thread. State is guarded by mu_.

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>

#include "base/strong_int.h"
#include "checkpoints/offset_range_store.h"
#include "config/config.h"
#include "kafka/admin.h"
#include "kafka/producer.h"
#include "replicator/flow_stats.h"

namespace kmirror::replicator {

class PartitionProgress;

class OffsetSyncWriter : public kafka::DeliveryHandler {
public:
    /// `cluster` is where the topic lives (see offset_syncs_location).
    OffsetSyncWriter(const config::Flow& flow, const kafka::ClientSettings& cluster,
                     kafka::Admin& admin, FlowStats& stats);
    ~OffsetSyncWriter() override;

    /// The topic's name for this flow, and the alias of the cluster holding it.
    static std::string topic(const config::Flow& flow);
    static const std::string& cluster_alias(const config::Flow& flow);

    /// Creates the topic if missing. False if it neither exists nor could be made.
    bool ensure_topic(int brokers);
    /// The target acknowledged source record `src` of `partition` at `tgt`.
    void note(const PartitionProgress& partition, SourceOffset src, TargetOffset tgt);
    /// The same for a run of pairs of one partition: one lock for the run.
    void note_run(const PartitionProgress& partition, std::span<const checkpoints::OffsetPair> pairs);
    /// Drops what it keeps of `partition`, which the flow is about to forget.
    void forget(const PartitionProgress& partition);
    /// Writes the newest pair of partitions that moved once the interval has
    /// passed since the last such round; serves delivery reports.
    void tick();
    /// Writes every pending sync and waits for them, up to `timeout` (shutdown).
    void flush(std::chrono::milliseconds timeout);
    void on_delivery(kafka::DeliveryReport& report) noexcept override;

private:
    struct State {
        SourceOffset last_src;
        TargetOffset last_tgt;
        bool pending = false;  // last pair not written yet
    };
    void send(const PartitionProgress& partition, SourceOffset src, TargetOffset tgt);
    void send_pending();

    const config::Flow& flow_;
    const std::string topic_;
    kafka::Admin& admin_;
    FlowStats& stats_;
    std::chrono::steady_clock::time_point next_round_;  // @thread admin
    std::mutex mu_;
    // A partition leaves the flow's progress map only after forget().
    std::unordered_map<const PartitionProgress*, State> states_;  // guarded by mu_
    bool warned_ = false;                                          // guarded by mu_
    std::unique_ptr<kafka::Producer> producer_;
};

}  // namespace kmirror::replicator
