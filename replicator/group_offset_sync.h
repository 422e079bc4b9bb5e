#pragma once
// GroupOffsetSync: writes translated offsets into consumer groups on the
// target cluster (sync_group_offsets), so consumers that fail over resume
// where they stopped on the source with no tool run.
//
// Rules (as MM2's MirrorCheckpointTask, reference/mirrormaker2.md §4c):
//   * only groups with no active member on the target are written: the
//     offsets of a group consuming there belong to its consumers;
//   * a partition is never moved backwards: the offset the group holds on the
//     target is kept when it is at or after the translation (the group may
//     have consumed there itself).
//
// What the groups hold on the target is followed from the target's
// __consumer_offsets (GroupCommitFollower), not asked per group and round:
// cheaper, and safer with librdkafka's admin offset calls (see
// group_coordinator.h). Only where that topic cannot be read does it fall
// back to ListConsumerGroupOffsets, and then only for groups that exist on
// the target. Nothing is written before the target's group coordinator is
// ready and the follower has read what the groups held at start.
//
// @thread the flow's checkpoint thread.

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "config/config.h"
#include "kafka/admin.h"
#include "replicator/flow_stats.h"
#include "replicator/group_commit_follower.h"

namespace kmirror::replicator {

class GroupOffsetSync {
public:
    GroupOffsetSync(const config::Flow& flow, const kafka::ClientSettings& target_settings,
                    kafka::Admin& target, FlowStats& stats);

    /// Offsets by group, in target topic names.
    using Offsets = std::map<std::string, std::vector<kafka::GroupOffset>>;
    /// Writes what may be written of `changed`; returns the groups skipped
    /// because they are active on the target (tried again at their next change).
    std::vector<std::string> sync(const Offsets& changed);
    /// Keeps up with the target's __consumer_offsets; call often.
    void follow_target() { (void)follow(); }

private:
    using Held = std::map<std::pair<std::string, std::int32_t>, std::int64_t>;
    /// Reads what is new on the target's __consumer_offsets. False until it
    /// has read what was there at start (until then nothing is written).
    bool follow();
    /// What `group` holds on the target, by (topic, partition).
    Held current(const kafka::GroupDescription& group);

    const config::Flow& flow_;
    kafka::ClientSettings target_settings_;
    kafka::Admin& target_;
    FlowStats& stats_;
    bool coordinator_ready_ = false;
    std::chrono::steady_clock::time_point next_probe_;
    std::chrono::milliseconds timeout_{10000};
    GroupCommitFollower follower_;
    std::map<std::string, Held> held_;  // by group, from follower_
};

/// Whether a group described by the target has active members ("Dead" and
/// "Empty" groups have none).
bool has_active_members(const kafka::GroupDescription& group);

}  // namespace kmirror::replicator
