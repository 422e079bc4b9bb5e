#pragma once
// Admin: metadata, topic and consumer-group administration on one cluster
// (librdkafka's Admin API on a producer handle that never produces).
//
// @thread any; calls block up to their timeout.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "kafka/client_base.h"
#include "kafka/message.h"
#include "kafka/group_types.h"

namespace kmirror::kafka {

struct TopicMetadata {
    std::string name;
    int partitions = 0;
    int replication_factor = 0;  ///< replicas of partition 0
};

struct ClusterMetadata {
    int brokers = 0;
    std::vector<TopicMetadata> topics;
    /// Topics the broker answered with an error (not authorized, unknown, ...).
    std::map<std::string, std::error_code> topic_errors;
};

struct NewTopic {
    std::string name;
    int partitions = 1;
    int replication_factor = -1;  ///< -1: broker default
    std::map<std::string, std::string> configs;
};

struct ConfigEntry {
    std::string name;
    std::string value;
    bool is_default = false;
    bool read_only = false;
    bool sensitive = false;
    bool is_static = false;  ///< set in the broker's static config file
};

/// One key of an incremental config change: SET to `value`, or DELETE (back
/// to the broker's default) when there is none.
struct ConfigChange {
    std::string name;
    std::optional<std::string> value;
    bool operator==(const ConfigChange&) const = default;
};

/// Outcome of one topic in a batch call.
struct TopicResult {
    std::string topic;
    std::error_code error;
    std::string message;
};

class Admin : public ClientBase {
public:
    Admin(const ClientSettings& settings, const Overrides& overrides = {});
    ~Admin() override;

    /// All topics (or just `topic`, if given) and the broker count.
    Result<ClusterMetadata> metadata(std::chrono::milliseconds timeout,
                                     const std::string* topic = nullptr);
    std::vector<TopicResult> create_topics(const std::vector<NewTopic>& topics,
                                           std::chrono::milliseconds timeout);
    std::vector<TopicResult> delete_topics(const std::vector<std::string>& topics,
                                           std::chrono::milliseconds timeout);
    /// Grows `topic` to `total` partitions.
    Result<void> create_partitions(const std::string& topic, int total,
                                   std::chrono::milliseconds timeout);
    Result<std::vector<ConfigEntry>> describe_topic_config(const std::string& topic,
                                                           std::chrono::milliseconds timeout);
    /// Changes only the given keys of a topic (IncrementalAlterConfigs, Kafka
    /// >= 2.3); every other key keeps its value. The broker applies all
    /// changes or none. The error's message is the broker's reason (e.g. an
    /// invalid value, naming the key). No changes: success, no request.
    DetailedResult incremental_alter_topic_config(const std::string& topic,
                                                  const std::vector<ConfigChange>& changes,
                                                  std::chrono::milliseconds timeout);
    /// Low and high watermark of a partition.
    Result<std::pair<std::int64_t, std::int64_t>> watermarks(const std::string& topic,
                                                             std::int32_t partition,
                                                             std::chrono::milliseconds timeout);

    /// Every consumer group of the cluster (ListConsumerGroups asks each
    /// broker). Brokers that failed to answer are left out; the call fails
    /// only when none answered.
    /// The earliest offset (low watermark) of each partition, in one request
    /// per leader. Partitions that failed are left out.
    std::vector<TopicPartitionOffset> earliest_offsets(const std::vector<TopicPartition>& partitions,
                                                       std::chrono::milliseconds timeout);
    /// The latest offset (high watermark) of each partition, likewise.
    std::vector<TopicPartitionOffset> latest_offsets(const std::vector<TopicPartition>& partitions,
                                                     std::chrono::milliseconds timeout);
    Result<std::vector<GroupListing>> list_groups(std::chrono::milliseconds timeout);
    /// One description per distinct group asked for, including groups that do
    /// not exist ("Dead", no members). A group that could not be described
    /// carries its own error; the call fails only when the request did.
    Result<std::vector<GroupDescription>> describe_groups(const std::vector<std::string>& groups,
                                                          std::chrono::milliseconds timeout);
    /// Every committed offset of `group` (offsets < 0 left out); empty for a
    /// group without commits or that does not exist.
    Result<std::vector<GroupOffset>> list_group_offsets(const std::string& group,
                                                        std::chrono::milliseconds timeout);
    /// Commits `offsets` (with their metadata) for `group`. Kafka refuses this
    /// while the group has active members. Fails on a group-level error or on
    /// the first partition that failed; the error's message names the group,
    /// that partition and the broker's error. No offsets: success, no request.
    DetailedResult alter_group_offsets(const std::string& group,
                                       const std::vector<GroupOffset>& offsets,
                                       std::chrono::milliseconds timeout);

private:
    /// Waits on queue_ for the result event of one admin request.
    EventPtr wait_result(rd_kafka_event_type_t type, std::chrono::milliseconds timeout);
    AdminOptionsPtr options(rd_kafka_admin_op_t op, std::chrono::milliseconds timeout);
    /// Serves the handle's main queue (error events) without waiting.
    void serve_errors();
    /// How often a long wait for a result serves errors in between.
    static constexpr std::chrono::milliseconds kServeStep{500};

    HandlePtr rk_;
    QueuePtr queue_;  // declared after rk_: destroyed first
};

}  // namespace kmirror::kafka
