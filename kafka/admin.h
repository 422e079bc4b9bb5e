#pragma once
// Admin: metadata and topic administration on one cluster (librdkafka's
// Admin API on a producer handle that never produces).
//
// @thread any; calls block up to their timeout.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/result.h"
#include "kafka/client_base.h"

namespace kmirror::kafka {

struct TopicMetadata {
    std::string name;
    int partitions = 0;
    int replication_factor = 0;  ///< replicas of partition 0
};

struct ClusterMetadata {
    int brokers = 0;
    std::vector<TopicMetadata> topics;
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
    /// Replaces the dynamic configs of a topic with `configs` (AlterConfigs:
    /// keys not given return to their defaults).
    Result<void> alter_topic_config(const std::string& topic,
                                    const std::map<std::string, std::string>& configs,
                                    std::chrono::milliseconds timeout);
    /// Low and high watermark of a partition.
    Result<std::pair<std::int64_t, std::int64_t>> watermarks(const std::string& topic,
                                                             std::int32_t partition,
                                                             std::chrono::milliseconds timeout);

private:
    /// Waits on queue_ for the result event of one admin request.
    EventPtr wait_result(rd_kafka_event_type_t type, std::chrono::milliseconds timeout);
    AdminOptionsPtr options(rd_kafka_admin_op_t op, std::chrono::milliseconds timeout);

    HandlePtr rk_;
    QueuePtr queue_;  // declared after rk_: destroyed first
};

}  // namespace kmirror::kafka
