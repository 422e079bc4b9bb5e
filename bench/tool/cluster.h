#pragma once
// Cluster: the untimed admin side of the benchmark (topics, watermarks),
// through kmirror's kafka/ layer. What is timed goes through raw_clients.h.
//
// @thread one thread at a time.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "kafka/admin.h"
#include "kafka/consumer.h"

namespace kmirror::bench {

class Cluster {
public:
    explicit Cluster(const std::string& bootstrap);

    [[nodiscard]] const std::string& bootstrap() const noexcept { return bootstrap_; }
    /// Partition count of `topic`; 0 when it does not exist. Throws when the
    /// cluster does not answer.
    int partitions(const std::string& topic);
    /// Every topic of the cluster.
    std::vector<std::string> topics();
    /// Creates `topic` (replication factor 1) and waits until the metadata
    /// shows all its partitions. An existing topic with that partition count
    /// is left alone. Throws on failure.
    void create_topic(const std::string& topic, int partitions,
                      const std::map<std::string, std::string>& configs = {});
    /// Deletes `topics` and waits until the metadata no longer shows them.
    void delete_topics(const std::vector<std::string>& topics, std::chrono::seconds timeout);
    /// Low and high watermark of partitions 0..partitions-1 of `topic`. Throws on failure.
    std::vector<std::pair<std::int64_t, std::int64_t>> watermarks(const std::string& topic,
                                                                  int partitions);
    /// High watermarks (one ListOffsets request per leader); a partition that
    /// failed (e.g. its topic does not exist yet) is -1.
    std::vector<std::int64_t> high_watermarks(const std::vector<kafka::TopicPartition>& partitions,
                                              std::chrono::milliseconds timeout);

private:
    std::string bootstrap_;
    kafka::Admin admin_;
    kafka::Consumer offsets_;  ///< a handle for ListOffsets; never assigned
};

}  // namespace kmirror::bench
