#include "daemon/group_translator.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "checkpoints/merged_translation.h"
#include "kafka/partition_reader.h"
#include "replicator/flow.h"

namespace kmirror::daemon {

GroupTranslator::GroupTranslator(const config::Config& config, const config::Flow& flow,
                                 std::vector<const checkpoints::OffsetRangeStore*> stores)
    : config_(config),
      flow_(flow),
      stores_(std::move(stores)),
      policy_(flow.rename, flow.source),
      topics_(flow.include, flow.exclude),
      group_filter_(flow.groups.include, flow.groups.exclude) {
    const auto settings = replicator::client_settings(config.clusters.at(flow.source));
    try {
        source_ = std::make_unique<kafka::Admin>(settings,
                                                 kafka::Overrides{{"client.id", "kmirror-cli"}});
    } catch (const kafka::ConfigError& e) {
        throw TranslateError(e.what());
    }
    auto md = source_->metadata(config.connect_timeout);
    source_reachable_ = static_cast<bool>(md);
    if (!source_reachable_) {
        source_error_ = md.error().message();
        if (auto last = source_->last_error(); !last.empty()) source_error_ += " (" + last + ")";
        load_checkpoints();
    }
}

GroupTranslator::~GroupTranslator() = default;

std::string GroupTranslator::basis() const {
    if (source_reachable_) return "committed offsets from source cluster '" + flow_.source + "'";
    return "source cluster '" + flow_.source + "' unreachable (" + source_error_ +
           "): committed offsets from the checkpoints on target cluster '" + flow_.target + "'";
}

void GroupTranslator::load_checkpoints() {
    const auto settings = replicator::client_settings(config_.clusters.at(flow_.target));
    const auto topic = checkpoints::checkpoints_topic(flow_.source);
    // The newest checkpoint of each (group, topic, partition), as MM2's MirrorClient reads them.
    std::map<std::tuple<std::string, std::string, std::int32_t>, checkpoints::Checkpoint> newest;
    std::optional<Result<kafka::ReadSummary>> read;
    try {
        read.emplace(kafka::read_partition_to_end(
            settings, topic, 0, "kmirror-cli", config_.connect_timeout,
            [&](const kafka::Message& m) {
                const auto key = kafka::as_chars(m.key());
                const auto value = kafka::as_chars(m.value());
                if (!key || !value) return;
                auto cp = checkpoints::decode_checkpoint(*key, *value);
                if (!cp) return;
                auto& c = cp.value();
                newest[{c.group, c.topic, c.partition}] = std::move(c);
            }));
    } catch (const kafka::ConfigError& e) {
        throw TranslateError(e.what());
    }
    if (!*read) {
        throw TranslateError("source cluster '" + flow_.source + "' unreachable (" +
                             source_error_ + ") and the checkpoints topic '" + topic +
                             "' on target cluster '" + flow_.target +
                             "' cannot be read: " + read->error().message());
    }
    if (!read->value().complete()) {
        throw TranslateError("source cluster '" + flow_.source + "' unreachable (" +
                             source_error_ + ") and reading '" + topic + "' on target cluster '" +
                             flow_.target + "' timed out at offset " +
                             std::to_string(read->value().next) + " of " +
                             std::to_string(read->value().end));
    }
    for (auto& [key, cp] : newest) checkpoints_[cp.group].push_back(std::move(cp));
}

std::vector<std::string> GroupTranslator::groups() {
    std::vector<std::string> out;
    if (!source_reachable_) {
        for (const auto& [group, cps] : checkpoints_) {
            if (group_filter_.matches(group)) out.push_back(group);
        }
        return out;
    }
    auto listed = source_->list_groups(config_.connect_timeout);
    if (!listed) {
        throw TranslateError("cannot list consumer groups on source cluster '" + flow_.source +
                             "': " + listed.error().message());
    }
    for (const auto& g : listed.value()) {
        if (group_filter_.matches(g.group_id)) out.push_back(g.group_id);
    }
    std::sort(out.begin(), out.end());
    return out;
}

PartitionTranslation GroupTranslator::translate_one(const std::string& topic,
                                                    std::int32_t partition,
                                                    std::int64_t committed, std::string metadata,
                                                    const checkpoints::Checkpoint* checkpoint) const {
    PartitionTranslation p;
    p.topic = topic;
    p.partition = partition;
    p.source_offset = committed;
    p.target_topic = policy_.remote_topic(topic);
    p.metadata = std::move(metadata);
    const auto tr = checkpoints::translate_merged(stores_, flow_.name, topic, partition,
                                                  SourceOffset(committed));
    if (tr.exactness != checkpoints::Exactness::unknown) {
        p.target_offset = tr.offset.value();
        p.exactness = tr.exactness;
        p.rereads = tr.rereads;
    } else if (checkpoint != nullptr) {
        // Written when the store of whoever mirrored it knew: at or before the truth.
        p.target_offset = checkpoint->downstream.value();
        p.exactness = checkpoints::Exactness::conservative;
        p.from_checkpoint = true;
    }
    return p;
}

GroupTranslation GroupTranslator::translate(const std::string& group) {
    GroupTranslation out{group, {}};
    if (source_reachable_) {
        // Ask for offsets only of a group the source knows: librdkafka's
        // admin OffsetFetch for a group no coordinator has seen can crash,
        // 2.8.0 included (see replicator/group_coordinator.h).
        auto described = source_->describe_groups({group}, config_.connect_timeout);
        if (!described) {
            throw TranslateError("cannot describe group '" + group + "' on source cluster '" +
                                 flow_.source + "': " + described.error().message());
        }
        const bool known = std::any_of(described.value().begin(), described.value().end(),
                                       [](const auto& d) { return d.state != "Dead"; });
        auto offsets = known ? source_->list_group_offsets(group, config_.connect_timeout)
                             : Result<std::vector<kafka::GroupOffset>>(
                                   std::vector<kafka::GroupOffset>{});
        if (!offsets) {
            throw TranslateError("cannot read the offsets of group '" + group +
                                 "' on source cluster '" + flow_.source +
                                 "': " + offsets.error().message());
        }
        for (auto& o : offsets.value()) {
            if (!topics_.matches(o.topic)) continue;
            out.partitions.push_back(
                translate_one(o.topic, o.partition, o.offset, std::move(o.metadata), nullptr));
        }
    } else if (auto it = checkpoints_.find(group); it != checkpoints_.end()) {
        for (const auto& cp : it->second) {
            const auto topic = policy_.upstream_topic(cp.topic).value_or(cp.topic);
            if (!topics_.matches(topic)) continue;
            out.partitions.push_back(
                translate_one(topic, cp.partition, cp.upstream.value(), cp.metadata, &cp));
        }
    }
    if (out.partitions.empty()) {
        throw TranslateError(
            "group '" + group + "' has no committed offsets for topics of flow '" + flow_.name +
            "' " +
            (source_reachable_ ? "on source cluster '" + flow_.source + "'"
                               : "in the checkpoints on target cluster '" + flow_.target + "'"));
    }
    std::sort(out.partitions.begin(), out.partitions.end(),
              [](const auto& a, const auto& b) {
                  return std::tie(a.topic, a.partition) < std::tie(b.topic, b.partition);
              });
    return out;
}

}  // namespace kmirror::daemon
