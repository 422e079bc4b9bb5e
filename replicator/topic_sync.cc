#include "replicator/topic_sync.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <system_error>

#include "kafka/error.h"
#include "checkpoints/mm2_records.h"

namespace kmirror::replicator {

namespace {

/// "set retention.ms=7200000, segment.ms=60000; deleted max.message.bytes"
std::string describe_changes(const std::vector<kafka::ConfigChange>& changes) {
    std::string set;
    std::string deleted;
    for (const auto& c : changes) {
        auto& list = c.value ? set : deleted;
        if (!list.empty()) list += ", ";
        list += c.value ? c.name + "=" + *c.value : c.name;
    }
    if (set.empty()) return "deleted " + deleted;
    if (deleted.empty()) return "set " + set;
    return "set " + set + "; deleted " + deleted;
}

}  // namespace

TopicSync::TopicSync(const config::Flow& flow, kafka::Admin& source, kafka::Admin& target,
                     FlowStats& stats)
    : flow_(flow),
      source_(source),
      target_(target),
      stats_(stats),
      policy_(flow.rename, flow.source),
      filter_(flow.include, flow.exclude) {}

bool TopicSync::selects(const std::string& topic) const {
    // Heartbeats travel whatever the filters say (MM2's
    // heartbeats.replication.enabled): they measure the flow.
    static const std::string kHeartbeats = checkpoints::heartbeats_topic();
    const bool heartbeats =
        topic == kHeartbeats || policy_.upstream_topic(topic).value_or("") == kHeartbeats;
    return (heartbeats || filter_.matches(topic)) && !is_internal_topic(topic) &&
           !policy_.is_cycle(topic, flow_.target);
}

int TopicSync::replication_factor(int target_brokers) const {
    if (flow_.replication_factor > 0) return flow_.replication_factor;
    return std::max(1, std::min(3, target_brokers));
}

Result<std::vector<std::string>> TopicSync::run_discovery() {
    auto src = source_.metadata(admin_timeout_);
    source_answered_ = static_cast<bool>(src);
    if (!src) {
        spdlog::error("flow '{}': cannot list topics of source cluster '{}': {}", flow_.name,
                      flow_.source, src.error().message());
        return src.error();
    }
    auto tgt = target_.metadata(admin_timeout_);
    target_answered_ = static_cast<bool>(tgt);
    if (!tgt) {
        spdlog::error("flow '{}': cannot list topics of target cluster '{}': {}", flow_.name,
                      flow_.target, tgt.error().message());
        return tgt.error();
    }
    std::map<std::string, int> target_partitions;
    for (const auto& t : tgt.value().topics) target_partitions[t.name] = t.partitions;

    std::map<std::string, Mirrored> next;
    for (const auto& t : src.value().topics) {
        // Half a discovery must not replace what the last whole one found.
        if (interrupted_) return std::make_error_code(std::errc::operation_canceled);
        if (t.partitions <= 0 || !selects(t.name)) continue;
        const auto remote = policy_.remote_topic(t.name);
        if (!is_valid_topic_name(remote)) {
            std::lock_guard lock(mu_);
            if (refused_.insert(t.name).second) {
                spdlog::error(
                    "flow '{}': topic '{}' is not mirrored: its target name '{}' is not a valid "
                    "Kafka topic name (at most {} of [a-zA-Z0-9._-])",
                    flow_.name, t.name, remote, kMaxTopicNameLength);
            }
            continue;
        }
        auto it = target_partitions.find(remote);
        if (it == target_partitions.end()) {
            const int rf = replication_factor(tgt.value().brokers);
            // Source configs unreadable (logged): the copy starts with the
            // target's defaults, which config sync corrects when it is on.
            auto configs = desired_configs(t.name, flow_.sync_topic_configs);
            kafka::NewTopic nt{remote, t.partitions, rf,
                               configs ? std::move(configs).value()
                                       : std::map<std::string, std::string>{}};
            auto res = target_.create_topics({nt}, admin_timeout_);
            if (!res.empty() && res[0].error &&
                !kafka::is(res[0].error, RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)) {
                spdlog::error("flow '{}': cannot create topic '{}' on target cluster '{}': {}",
                              flow_.name, remote, flow_.target, res[0].message);
                continue;  // tried again at the next discovery
            }
            spdlog::info("flow '{}': created topic '{}' on '{}' ({} partitions, replication {})",
                         flow_.name, remote, flow_.target, t.partitions, rf);
            warn_if_not_durable(remote, rf);
            next[t.name] = {remote, t.partitions, {}};
            continue;
        }
        int have = it->second;
        if (have < t.partitions) {
            if (auto r = target_.create_partitions(remote, t.partitions, admin_timeout_);
                !r && !kafka::is(r.error(), RD_KAFKA_RESP_ERR_INVALID_PARTITIONS)) {
                spdlog::error("flow '{}': cannot grow topic '{}' on '{}' to {} partitions: {}",
                              flow_.name, remote, flow_.target, t.partitions,
                              r.error().message());
            } else {
                spdlog::info("flow '{}': grew topic '{}' on '{}' from {} to {} partitions",
                             flow_.name, remote, flow_.target, have, t.partitions);
                have = t.partitions;
            }
        }
        next[t.name] = {remote, have, {}};
    }

    std::vector<std::string> topics;
    topics.reserve(next.size());
    for (const auto& [name, m] : next) topics.push_back(name);
    // Topics new to this process: their facts, read before the workers are
    // given them (no admin call on the data path).
    for (auto& [name, m] : next) {
        bool known = false;
        {
            std::lock_guard lock(mu_);
            known = mirrored_.contains(name);
        }
        if (!known) m.facts = read_facts(name, m.target);
    }
    {
        std::lock_guard lock(mu_);
        // Keep what ensure_partition() and config sync learnt meanwhile.
        for (auto& [name, m] : next) {
            auto old = mirrored_.find(name);
            if (old != mirrored_.end()) {
                m.target_partitions = std::max(m.target_partitions, old->second.target_partitions);
                m.facts = old->second.facts;
            }
        }
        mirrored_ = std::move(next);
    }
    stats_.topics_mirrored.store(static_cast<std::int64_t>(topics.size()),
                                 std::memory_order_relaxed);
    return topics;
}

void TopicSync::learn(TopicFacts& facts, const std::vector<kafka::ConfigEntry>& entries,
                      bool source) {
    for (const auto& e : entries) {
        if (source && e.name == "compression.type") facts.source_compression = e.value;
        if (!source && e.name == "max.message.bytes") {
            facts.target_record_limit = std::strtoll(e.value.c_str(), nullptr, 10);
        }
    }
}

TopicSync::TopicFacts TopicSync::read_facts(const std::string& source_topic,
                                            const std::string& target_topic) {
    TopicFacts facts;
    if (auto entries = source_.describe_topic_config(source_topic, admin_timeout_)) {
        learn(facts, entries.value(), true);
    }
    if (auto entries = target_.describe_topic_config(target_topic, admin_timeout_)) {
        learn(facts, entries.value(), false);
    }
    return facts;
}

TopicSync::TopicFacts TopicSync::facts(const std::string& source_topic) const {
    std::lock_guard lock(mu_);
    auto it = mirrored_.find(source_topic);
    return it == mirrored_.end() ? TopicFacts{} : it->second.facts;
}

bool TopicSync::excluded_config(const std::string& name) const {
    // A flow with its own codec: the target topic stores what kmirror sends
    // (the broker would otherwise recompress every batch to the source's codec).
    if (name == "compression.type" && flow_.compression != config::Compression::source) {
        return true;
    }
    return std::find(flow_.config_exclude.begin(), flow_.config_exclude.end(), name) !=
           flow_.config_exclude.end();
}

Result<std::map<std::string, std::string>> TopicSync::desired_configs(
    const std::string& source_topic, bool all_configs) {
    auto entries = source_.describe_topic_config(source_topic, admin_timeout_);
    if (!entries) {
        spdlog::warn("flow '{}': cannot read configs of source topic '{}': {}", flow_.name,
                     source_topic, entries.error().message());
        return entries.error();
    }
    std::map<std::string, std::string> out;
    for (const auto& e : entries.value()) {
        if (e.is_default || e.is_static || e.read_only || e.sensitive) continue;
        if (excluded_config(e.name)) continue;
        // Even without config sync, compaction must follow: a compacted
        // topic's tombstones and keys only mean something when compacted.
        if (!all_configs && e.name != "cleanup.policy") continue;
        out[e.name] = e.value;
    }
    return out;
}

std::vector<kafka::ConfigChange> TopicSync::config_changes(
    const std::map<std::string, std::string>& desired,
    const std::vector<kafka::ConfigEntry>& target) const {
    std::vector<kafka::ConfigChange> out;
    // The target topic's own settings: neither a default nor inherited from
    // its brokers.
    std::map<std::string, std::string> own;
    for (const auto& e : target) {
        if (e.is_default || e.is_static || e.read_only) continue;
        // Target-local (config_exclude): never changed, in either direction.
        if (excluded_config(e.name)) continue;
        own[e.name] = e.value;
        // Source values of sensitive keys are hidden and never copied, so a
        // sensitive key on the target cannot be told apart from a stale one.
        if (!e.sensitive && !desired.contains(e.name)) out.push_back({e.name, std::nullopt});
    }
    // desired holds no excluded key (desired_configs leaves them out).
    for (const auto& [name, value] : desired) {
        auto it = own.find(name);
        // A key the target only inherits is set too, even to the same value:
        // the copy must follow the source's topic, not the target's brokers.
        if (it == own.end() || it->second != value) out.push_back({name, value});
    }
    return out;
}

void TopicSync::run_config_sync() {
    if (!flow_.sync_topic_configs) return;
    std::map<std::string, Mirrored> topics;
    {
        std::lock_guard lock(mu_);
        topics = mirrored_;
    }
    for (const auto& [source_topic, m] : topics) {
        if (interrupted_) return;
        // An unanswered source must not read as "every config was removed".
        auto desired = desired_configs(source_topic, true);
        if (!desired) continue;
        auto current = target_.describe_topic_config(m.target, admin_timeout_);
        if (!current) {
            spdlog::warn("flow '{}': cannot read configs of topic '{}' on '{}': {}", flow_.name,
                         m.target, flow_.target, current.error().message());
            continue;
        }
        {
            // The target's record limit as it is now (before this sync's changes,
            // which the next sync reads back).
            std::lock_guard lock(mu_);
            if (auto it = mirrored_.find(source_topic); it != mirrored_.end()) {
                learn(it->second.facts, current.value(), false);
                auto c = desired.value().find("compression.type");
                it->second.facts.source_compression =
                    c == desired.value().end() ? "producer" : c->second;
            }
        }
        // IncrementalAlterConfigs, not AlterConfigs: AlterConfigs replaces the
        // whole set, so a target-local key set between our describe and our
        // alter would be wiped; incrementally, only the keys that differ change.
        const auto changes = config_changes(desired.value(), current.value());
        if (changes.empty()) continue;
        if (auto r = target_.incremental_alter_topic_config(m.target, changes, admin_timeout_);
            !r) {
            spdlog::error("flow '{}': cannot update configs of topic '{}' on '{}': {}", flow_.name,
                          m.target, flow_.target, r.error().message());
            continue;
        }
        spdlog::info("flow '{}': updated configs of topic '{}' on '{}': {}", flow_.name, m.target,
                     flow_.target, describe_changes(changes));
    }
}

Result<void> TopicSync::ensure_partition(const std::string& source_topic, std::int32_t partition) {
    // mu_ is not held across the admin calls (up to admin_timeout_ each):
    // target_topic() and has_target_partition() are asked on the data path.
    std::string target;
    {
        std::lock_guard lock(mu_);
        auto it = mirrored_.find(source_topic);
        if (it == mirrored_.end()) return kafka::make_error(RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC);
        if (it->second.target_partitions > partition) return outcome::success();
        target = it->second.target;
    }
    auto md = source_.metadata(admin_timeout_, &source_topic);
    if (!md) return md.error();
    int total = partition + 1;
    for (const auto& t : md.value().topics) total = std::max(total, t.partitions);
    // Two callers may race here: the second finds the partitions there
    // (INVALID_PARTITIONS), which is what it wanted.
    if (auto r = target_.create_partitions(target, total, admin_timeout_);
        !r && !kafka::is(r.error(), RD_KAFKA_RESP_ERR_INVALID_PARTITIONS)) {
        spdlog::error("flow '{}': cannot grow topic '{}' on '{}' to {} partitions: {}", flow_.name,
                      target, flow_.target, total, r.error().message());
        return r.error();
    }
    spdlog::info("flow '{}': grew topic '{}' on '{}' to {} partitions", flow_.name, target,
                 flow_.target, total);
    std::lock_guard lock(mu_);
    if (auto it = mirrored_.find(source_topic); it != mirrored_.end()) {
        it->second.target_partitions = std::max(it->second.target_partitions, total);
    }
    return outcome::success();
}

bool TopicSync::has_target_partition(const std::string& source_topic,
                                     std::int32_t partition) const {
    std::lock_guard lock(mu_);
    auto it = mirrored_.find(source_topic);
    return it != mirrored_.end() && it->second.target_partitions > partition;
}

std::string TopicSync::target_topic(const std::string& source_topic) const {
    std::lock_guard lock(mu_);
    auto it = mirrored_.find(source_topic);
    return it == mirrored_.end() ? std::string() : it->second.target;
}

void TopicSync::warn_if_not_durable(const std::string& target_topic, int replication_factor) {
    if (replication_factor <= 1) return;
    auto entries = target_.describe_topic_config(target_topic, admin_timeout_);
    if (!entries) return;
    for (const auto& e : entries.value()) {
        if (e.name == "min.insync.replicas" && e.value == "1") {
            spdlog::warn(
                "flow '{}': topic '{}' on '{}' has replication factor {} but "
                "min.insync.replicas=1: an acks=all write can live on a single replica, which "
                "is not durable; set min.insync.replicas >= 2 on the target",
                flow_.name, target_topic, flow_.target, replication_factor);
        }
    }
}

}  // namespace kmirror::replicator
