#pragma once
// GroupTranslator: where consumer groups of a flow's source resume on its
// target, for `kmirror translate` and `kmirror failover`.
//
// The committed offsets come from the source cluster (ListConsumerGroupOffsets)
// when it answers within connect_timeout. When it does not (the disaster this
// tool is for), they come from the checkpoints kmirror already wrote to the
// target (`<source>.checkpoints.internal`): the committed source offset of
// each (group, partition) as of the last checkpoint. Either way the local
// offset-range store translates them; a partition the store knows nothing of
// falls back to the checkpoint's own target offset.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "checkpoints/mm2_records.h"
#include "checkpoints/offset_range_store.h"
#include "config/config.h"
#include "kafka/admin.h"
#include "replicator/replication_policy.h"
#include "replicator/topic_filter.h"

namespace kmirror::daemon {

/// A problem the user must fix (unknown group, clusters unreachable, ...).
class TranslateError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct PartitionTranslation {
    std::string topic;  ///< source topic
    std::int32_t partition = 0;
    std::int64_t source_offset = -1;  ///< committed on the source
    std::string target_topic;
    std::int64_t target_offset = -1;  ///< -1 when unknown
    checkpoints::Exactness exactness = checkpoints::Exactness::unknown;
    std::int64_t rereads = 0;
    bool from_checkpoint = false;  ///< the store knew nothing: the checkpoint's offset
    std::string metadata;
};

struct GroupTranslation {
    std::string group;
    std::vector<PartitionTranslation> partitions;
};

class GroupTranslator {
public:
    /// Reaches the source (or, failing that, reads the checkpoints on the
    /// target). Throws TranslateError when neither answers.
    /// `stores`: the state files of the flow's instances (usually one; see
    /// checkpoints/merged_translation.h).
    GroupTranslator(const config::Config& config, const config::Flow& flow,
                    std::vector<const checkpoints::OffsetRangeStore*> stores);
    ~GroupTranslator();

    /// Where committed offsets came from, for people.
    [[nodiscard]] std::string basis() const;
    [[nodiscard]] bool source_reachable() const noexcept { return source_reachable_; }
    /// Groups of the flow (its group filter) with offsets for mirrored topics.
    [[nodiscard]] std::vector<std::string> groups();
    /// Throws TranslateError when the group has no committed offset for any
    /// topic the flow mirrors.
    [[nodiscard]] GroupTranslation translate(const std::string& group);

private:
    void load_checkpoints();
    PartitionTranslation translate_one(const std::string& topic, std::int32_t partition,
                                       std::int64_t committed, std::string metadata,
                                       const checkpoints::Checkpoint* checkpoint) const;

    const config::Config& config_;
    const config::Flow& flow_;
    std::vector<const checkpoints::OffsetRangeStore*> stores_;
    replicator::ReplicationPolicy policy_;
    replicator::TopicFilter topics_;
    replicator::GroupFilter group_filter_;
    std::unique_ptr<kafka::Admin> source_;
    bool source_reachable_ = false;
    std::string source_error_;
    // group -> checkpoints of it (target topic names), when the source is unreachable
    std::map<std::string, std::vector<checkpoints::Checkpoint>> checkpoints_;
};

}  // namespace kmirror::daemon
