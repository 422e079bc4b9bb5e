#include "replicator/group_offset_sync.h"

#include <spdlog/spdlog.h>

namespace kmirror::replicator {

bool has_active_members(const kafka::GroupDescription& group) { return !group.members.empty(); }

GroupOffsetSync::GroupOffsetSync(const config::Flow& flow, kafka::Admin& target, FlowStats& stats)
    : flow_(flow), target_(target), stats_(stats) {}

std::map<std::pair<std::string, std::int32_t>, std::int64_t> GroupOffsetSync::current(
    const std::string& group) {
    std::map<std::pair<std::string, std::int32_t>, std::int64_t> out;
    auto offsets = target_.list_group_offsets(group, timeout_);
    if (!offsets) return out;
    for (const auto& o : offsets.value()) out[{o.topic, o.partition}] = o.offset;
    return out;
}

std::vector<std::string> GroupOffsetSync::sync(const Offsets& changed) {
    std::vector<std::string> active;
    if (changed.empty()) return active;
    std::vector<std::string> groups;
    groups.reserve(changed.size());
    for (const auto& [group, offsets] : changed) groups.push_back(group);
    auto described = target_.describe_groups(groups, timeout_);
    if (!described) {
        spdlog::warn("flow '{}': cannot describe groups on target cluster '{}': {}; group offsets "
                     "not synced this round",
                     flow_.name, flow_.target, described.error().message());
        return groups;
    }
    for (const auto& d : described.value()) {
        auto it = changed.find(d.group_id);
        if (it == changed.end()) continue;
        if (has_active_members(d)) {
            active.push_back(d.group_id);
            continue;
        }
        const auto held = current(d.group_id);
        std::vector<kafka::GroupOffset> forward;
        for (const auto& o : it->second) {
            auto h = held.find({o.topic, o.partition});
            if (h != held.end() && h->second >= o.offset) continue;  // never backwards
            forward.push_back(o);
        }
        if (forward.empty()) continue;
        if (auto r = target_.alter_group_offsets(d.group_id, forward, timeout_); !r) {
            // A consumer may have joined since the describe: its offsets win.
            spdlog::info("flow '{}': group '{}' not synced on target cluster '{}': {}", flow_.name,
                         d.group_id, flow_.target, r.error().message());
            active.push_back(d.group_id);
            continue;
        }
        stats_.group_offsets_synced.fetch_add(forward.size(), std::memory_order_relaxed);
    }
    return active;
}

}  // namespace kmirror::replicator
