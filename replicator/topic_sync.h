#pragma once
// TopicSync: keeps the target's topics in step with the source's for one
// flow: finds topics to mirror, creates them on the target with the source's
// partition count and configs, grows partitions, and syncs topic configs.
//
// @thread run_discovery()/run_config_sync(): the flow's timer thread;
// ensure_partition(): worker threads (from a rebalance). Guarded by mu_.

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/config.h"
#include "kafka/admin.h"
#include "replicator/flow_stats.h"
#include "replicator/replication_policy.h"
#include "replicator/topic_filter.h"

namespace kmirror::replicator {

class TopicSync {
public:
    TopicSync(const config::Flow& flow, kafka::Admin& source, kafka::Admin& target,
              FlowStats& stats);

    /// Lists source topics, creates what is missing on the target. Returns the
    /// source topics now mirrored (sorted) or an error when a cluster did not answer.
    Result<std::vector<std::string>> run_discovery();
    /// Brings the topic configs of every mirrored topic on the target in line
    /// with the source's, changing only the keys that differ (keys in
    /// `config_exclude` are never changed).
    void run_config_sync();
    /// Makes sure the target has `partition` of the copy of `source_topic`
    /// (a new source partition reached a worker before discovery saw it).
    Result<void> ensure_partition(const std::string& source_topic, std::int32_t partition);
    /// Whether the target has `partition` of the copy of `source_topic`, as
    /// far as discovery and ensure_partition() know; no admin call.
    [[nodiscard]] bool has_target_partition(const std::string& source_topic,
                                            std::int32_t partition) const;

    /// What the data path needs to know of a mirrored topic's configs.
    struct TopicFacts {
        /// The source topic's `compression.type` ("producer" when it names no codec).
        std::string source_compression = "producer";
        /// The target topic's `max.message.bytes`; 0 when not known.
        std::int64_t target_record_limit = 0;
    };
    /// Learned at the first discovery that saw the topic and at every
    /// config sync; no admin call.
    [[nodiscard]] TopicFacts facts(const std::string& source_topic) const;

    /// The target name of a mirrored topic ("" if it is not mirrored).
    [[nodiscard]] std::string target_topic(const std::string& source_topic) const;
    [[nodiscard]] const ReplicationPolicy& policy() const noexcept { return policy_; }
    /// Stops discovery and config sync between two admin calls (shutdown).
    void interrupt() noexcept { interrupted_ = true; }
    /// Whether the clusters answered the last discovery.
    [[nodiscard]] bool source_answered() const noexcept { return source_answered_; }
    [[nodiscard]] bool target_answered() const noexcept { return target_answered_; }

private:
    struct Mirrored {
        std::string target;
        int target_partitions = 0;
        TopicFacts facts;
    };
    /// Reads a topic's facts from both clusters (two admin calls).
    TopicFacts read_facts(const std::string& source_topic, const std::string& target_topic);
    static void learn(TopicFacts& facts, const std::vector<kafka::ConfigEntry>& entries,
                      bool source);

    bool selects(const std::string& topic) const;
    /// The source topic's own configs that the target should have; an error
    /// when the source did not answer.
    Result<std::map<std::string, std::string>> desired_configs(const std::string& source_topic,
                                                               bool all_configs);
    bool excluded_config(const std::string& name) const;
    /// What turns the target topic's own configs (`target`) into `desired`.
    std::vector<kafka::ConfigChange> config_changes(
        const std::map<std::string, std::string>& desired,
        const std::vector<kafka::ConfigEntry>& target) const;
    int replication_factor(int target_brokers) const;
    void warn_if_not_durable(const std::string& target_topic, int replication_factor);

    const config::Flow& flow_;
    kafka::Admin& source_;
    kafka::Admin& target_;
    FlowStats& stats_;
    ReplicationPolicy policy_;
    TopicFilter filter_;
    std::chrono::milliseconds admin_timeout_{10000};
    std::atomic<bool> interrupted_{false};
    std::atomic<bool> source_answered_{true};
    std::atomic<bool> target_answered_{true};
    mutable std::mutex mu_;
    std::map<std::string, Mirrored> mirrored_;  // guarded by mu_; by source topic
    std::set<std::string> refused_;             // guarded by mu_; reported once
};

}  // namespace kmirror::replicator
