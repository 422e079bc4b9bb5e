#pragma once
// MockCluster: librdkafka's in-process mock cluster (rdkafka_mock.h), for
// faults a real broker cannot give on demand (DESIGN.md "Testing"): a request
// answered late, or with an error. Its brokers are numbered 1..N.
//
// The mock implements only some ApiKeys (librdkafka 2.14.2,
// rdkafka_mock_handlers.c): Produce, Fetch, ListOffsets, OffsetFetch,
// OffsetCommit, ApiVersion, Metadata, FindCoordinator, InitProducerId, the
// classic group protocol (JoinGroup, SyncGroup, Heartbeat, LeaveGroup), the
// transaction APIs and ConsumerGroupHeartbeat. No CreateTopics,
// CreatePartitions or DescribeConfigs: topics are made with create_topic().
// Metadata ignores pushed request errors and delays; only a broker-wide
// round-trip time (set_rtt) slows it.

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/c_deleter.h"
#include "config/config.h"
#include "kafka/handles.h"

namespace kmirror::test {

class MockCluster {
public:
    explicit MockCluster(int brokers);
    ~MockCluster();
    MockCluster(const MockCluster&) = delete;
    MockCluster& operator=(const MockCluster&) = delete;

    /// Every broker, for bootstrap.servers.
    [[nodiscard]] std::string bootstrap() const;
    /// One broker only (1..N): clients that bootstrap there keep talking to
    /// it for requests any broker may answer (Metadata), with sparse connections.
    [[nodiscard]] std::string bootstrap_of(std::int32_t broker) const;
    /// A topic with replication factor 1, all partitions led by `leader`.
    void create_topic(const std::string& topic, int partitions, std::int32_t leader = 1);
    /// Makes `broker` the group coordinator of `group`.
    void set_coordinator(const std::string& group, std::int32_t broker);
    /// Every response of `broker`, on every connection, is sent `rtt` late.
    void set_rtt(std::int32_t broker, std::chrono::milliseconds rtt);
    /// The next `api_key` request to `broker` is answered after `delay`
    /// (successfully unless `err`); a delayed response also holds those
    /// after it on the same connection.
    void delay_next(std::int32_t broker, std::int16_t api_key, std::chrono::milliseconds delay,
                    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR);
    /// The next `count` `api_key` requests to `broker` fail with `err`.
    void fail_next(std::int32_t broker, std::int16_t api_key, std::size_t count,
                   rd_kafka_resp_err_t err);
    /// How many errors or delays pushed for `api_key` requests to `broker`
    /// are still to be served.
    [[nodiscard]] std::size_t pending_errors(std::int32_t broker, std::int16_t api_key) const;
    /// Closes every connection to `broker` and lets clients connect again:
    /// requests under way fail (a response still held back is dropped).
    void drop_connections(std::int32_t broker);
    /// Closes every connection to `broker` and refuses new ones until set_up().
    void set_down(std::int32_t broker);
    void set_up(std::int32_t broker);
    /// Starts recording the requests the brokers receive.
    void track_requests();
    /// How many `api_key` requests `broker` received since track_requests().
    [[nodiscard]] std::size_t requests(std::int32_t broker, std::int16_t api_key) const;

private:
    kafka::HandlePtr rk_;  // the mock cluster's owner
    std::unique_ptr<rd_kafka_mock_cluster_t, CDeleter<&rd_kafka_mock_cluster_destroy>>
        mcluster_;  // declared after rk_: destroyed first
    std::vector<std::string> brokers_;
};

/// Kafka protocol ApiKeys the tests delay or fail.
inline constexpr std::int16_t kListOffsets = 2;
inline constexpr std::int16_t kMetadata = 3;
inline constexpr std::int16_t kOffsetCommit = 8;

/// One flow "dr" from cluster "source" to cluster "target" of topic "orders"
/// (prefix policy: orders -> source.orders), whose side loops ask nothing
/// of either cluster during a test: no heartbeats, no checkpoints, topic
/// discovery and config sync only at start (the mock has no DescribeConfigs).
config::Config mock_flow_config(const std::string& source_bootstrap,
                                const std::string& target_bootstrap);
/// Produces records 0..n-1 of `topic`, round robin over `partitions`, and
/// waits for their acknowledgement (fails the test if they are not).
void produce(const std::string& bootstrap, const std::string& topic, int partitions, int n);

}  // namespace kmirror::test
