#pragma once
// CheckpointEmitter: translates the committed offsets of the source's
// consumer groups and writes them as MM2 checkpoints to
// `<source>.checkpoints.internal` on the target; with sync_group_offsets, also
// into the groups on the target (GroupOffsetSync).
//
//   source __consumer_offsets --GroupCommitFollower--> commits (group, topic, partition, offset)
//        (or ListConsumerGroupOffsets every checkpoint_interval where it cannot be read)
//   commit --OffsetRangeStore::translate--> target offset --changed?--> checkpoint record
//
// A commit is translated as soon as it is seen, so a group commit on the source
// shows on the target within a fetch round trip plus a produce. Translations
// that were not exact (the store had not seen the records yet) are tried
// again every second, and all of them every checkpoint_interval; a checkpoint
// is written only when the translation changed. Only partitions this process
// mirrors now are checkpointed: another instance owns the others' ranges.
//
// @thread its own thread (admin calls block while a cluster is down, and
//         must not delay discovery or heartbeats on the flow's admin thread).

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "checkpoints/offset_range_store.h"
#include "kafka/admin.h"
#include "kafka/producer.h"
#include "replicator/group_commit_follower.h"
#include "replicator/group_offset_sync.h"
#include "replicator/topic_filter.h"

namespace kmirror::replicator {

class Flow;

class CheckpointEmitter : public kafka::DeliveryHandler {
public:
    /// Throws kafka::ConfigError when a client cannot be made.
    CheckpointEmitter(Flow& flow, const kafka::ClientSettings& source,
                      const kafka::ClientSettings& target, checkpoints::OffsetRangeStore& store);
    ~CheckpointEmitter() override;

    /// Creates the checkpoints topic on the target if missing (1 partition,
    /// compacted). False if it neither exists nor could be made.
    bool ensure_topic(int target_brokers);
    void start();
    /// Stops the thread and waits for written checkpoints, up to `timeout`.
    void stop(std::chrono::milliseconds timeout);
    void on_delivery(kafka::DeliveryReport& report) noexcept override;

private:
    using Key = std::tuple<std::string, std::string, std::int32_t>;  // group, source topic, partition
    struct Tracked {
        std::int64_t committed = -1;  // -1: the commit was deleted (dropped at the next full round)
        std::string metadata;
        std::optional<std::pair<std::int64_t, std::int64_t>> emitted;  // upstream, downstream
        std::optional<std::int64_t> synced;  // downstream written to the target group
        bool due = false;         // listed in due_
        bool rechecking = false;  // listed in rechecking_
    };
    using Entry = std::map<Key, Tracked>::value_type;

    void run();
    void on_commit(GroupCommit&& commit);
    void poll_with_admin();
    /// Translates what changed, and every second what was not exact
    /// (everything when `all`); writes checkpoints and synced group offsets.
    void emit(bool all);
    /// Translates one entry; true when it should be tried again later.
    bool translate(Entry& entry, GroupOffsetSync::Offsets& changed,
                   std::map<std::string, std::vector<std::pair<Tracked*, std::int64_t>>>& to_sync);
    void wait(std::chrono::milliseconds timeout);

    Flow& flow_;
    checkpoints::OffsetRangeStore& store_;
    const std::string topic_;
    GroupFilter groups_;
    kafka::ClientSettings source_settings_;
    std::unique_ptr<kafka::Admin> source_admin_;
    std::unique_ptr<kafka::Admin> target_admin_;
    std::unique_ptr<kafka::Producer> producer_;
    GroupCommitFollower follower_;
    std::unique_ptr<GroupOffsetSync> group_sync_;
    bool use_admin_ = false;     // @thread checkpoint: __consumer_offsets not readable
    bool warned_ = false;        // @thread checkpoint
    // @thread checkpoint. Map nodes are erased only by a full round, after
    // due_ and rechecking_ were emptied, so the pointers in them stay valid.
    std::map<Key, Tracked> tracked_;
    std::vector<Entry*> due_;         // commits not translated yet
    std::vector<Entry*> rechecking_;  // translations that were not exact
    std::chrono::steady_clock::time_point next_recheck_;
    std::mutex mu_;
    std::condition_variable wake_;
    bool stop_ = false;  // guarded by mu_
    std::thread thread_;
};

}  // namespace kmirror::replicator
