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
// @thread the flow's checkpoint thread.

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "config/config.h"
#include "kafka/admin.h"
#include "replicator/flow_stats.h"

namespace kmirror::replicator {

class GroupOffsetSync {
public:
    GroupOffsetSync(const config::Flow& flow, kafka::Admin& target, FlowStats& stats);

    /// Offsets by group, in target topic names.
    using Offsets = std::map<std::string, std::vector<kafka::GroupOffset>>;
    /// Writes what may be written of `changed`; returns the groups skipped
    /// because they are active on the target (tried again at their next change).
    std::vector<std::string> sync(const Offsets& changed);

private:
    /// What `group` holds on the target, by (topic, partition).
    std::map<std::pair<std::string, std::int32_t>, std::int64_t> current(const std::string& group);

    const config::Flow& flow_;
    kafka::Admin& target_;
    FlowStats& stats_;
    std::chrono::milliseconds timeout_{10000};
};

/// Whether a group described by the target has active members ("Dead" and
/// "Empty" groups have none).
bool has_active_members(const kafka::GroupDescription& group);

}  // namespace kmirror::replicator
