#include "tests/fault_injection/mock_cluster.h"

#include <gtest/gtest.h>

#include <array>
#include <sstream>
#include <stdexcept>

#include "kafka/producer.h"

namespace kmirror::test {

using namespace std::chrono_literals;

MockCluster::MockCluster(int brokers) {
    std::array<char, 512> err{};
    kafka::ConfPtr conf(rd_kafka_conf_new());
    // Not its notice that the hosting handle has no bootstrap.servers.
    (void)rd_kafka_conf_set(conf.get(), "log_level", "4", err.data(), err.size());
    // The handle only hosts the mock cluster's thread; it never connects.
    rk_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), err.data(), err.size()));
    if (!rk_) throw std::runtime_error(std::string("mock cluster handle: ") + err.data());
    (void)conf.release();  // owned by rk_ now
    mcluster_.reset(rd_kafka_mock_cluster_new(rk_.get(), brokers));
    if (!mcluster_) throw std::runtime_error("rd_kafka_mock_cluster_new failed");
    // A new group is formed after 0.5 s instead of the broker's 3 s default:
    // long enough for a flow's workers, started together, to join its first
    // generation (a later joiner costs another round of rebalancing).
    rd_kafka_mock_group_initial_rebalance_delay_ms(mcluster_.get(), 500);
    std::istringstream all(rd_kafka_mock_cluster_bootstraps(mcluster_.get()));
    for (std::string b; std::getline(all, b, ',');) brokers_.push_back(b);
}

MockCluster::~MockCluster() = default;

std::string MockCluster::bootstrap() const {
    return rd_kafka_mock_cluster_bootstraps(mcluster_.get());
}

std::string MockCluster::bootstrap_of(std::int32_t broker) const {
    return brokers_.at(static_cast<std::size_t>(broker - 1));
}

void MockCluster::create_topic(const std::string& topic, int partitions, std::int32_t leader) {
    ASSERT_EQ(rd_kafka_mock_topic_create(mcluster_.get(), topic.c_str(), partitions, 1),
              RD_KAFKA_RESP_ERR_NO_ERROR);
    for (std::int32_t p = 0; p < partitions; ++p) {
        ASSERT_EQ(rd_kafka_mock_partition_set_leader(mcluster_.get(), topic.c_str(), p, leader),
                  RD_KAFKA_RESP_ERR_NO_ERROR);
    }
}

void MockCluster::set_coordinator(const std::string& group, std::int32_t broker) {
    ASSERT_EQ(rd_kafka_mock_coordinator_set(mcluster_.get(), "group", group.c_str(), broker),
              RD_KAFKA_RESP_ERR_NO_ERROR);
}

void MockCluster::set_rtt(std::int32_t broker, std::chrono::milliseconds rtt) {
    ASSERT_EQ(rd_kafka_mock_broker_set_rtt(mcluster_.get(), broker, static_cast<int>(rtt.count())),
              RD_KAFKA_RESP_ERR_NO_ERROR);
}

void MockCluster::delay_next(std::int32_t broker, std::int16_t api_key,
                             std::chrono::milliseconds delay, rd_kafka_resp_err_t err) {
    ASSERT_EQ(rd_kafka_mock_broker_push_request_error_rtts(mcluster_.get(), broker, api_key, 1,
                                                           err, static_cast<int>(delay.count())),
              RD_KAFKA_RESP_ERR_NO_ERROR);
}

void MockCluster::fail_next(std::int32_t broker, std::int16_t api_key, std::size_t count,
                            rd_kafka_resp_err_t err) {
    for (std::size_t i = 0; i < count; ++i) delay_next(broker, api_key, 0ms, err);
}

std::size_t MockCluster::pending_errors(std::int32_t broker, std::int16_t api_key) const {
    std::size_t count = 0;
    EXPECT_EQ(rd_kafka_mock_broker_error_stack_cnt(mcluster_.get(), broker, api_key, &count),
              RD_KAFKA_RESP_ERR_NO_ERROR);
    return count;
}

void MockCluster::drop_connections(std::int32_t broker) {
    ASSERT_EQ(rd_kafka_mock_broker_set_down(mcluster_.get(), broker), RD_KAFKA_RESP_ERR_NO_ERROR);
    ASSERT_EQ(rd_kafka_mock_broker_set_up(mcluster_.get(), broker), RD_KAFKA_RESP_ERR_NO_ERROR);
}

void MockCluster::set_down(std::int32_t broker) {
    ASSERT_EQ(rd_kafka_mock_broker_set_down(mcluster_.get(), broker), RD_KAFKA_RESP_ERR_NO_ERROR);
}

void MockCluster::set_up(std::int32_t broker) {
    ASSERT_EQ(rd_kafka_mock_broker_set_up(mcluster_.get(), broker), RD_KAFKA_RESP_ERR_NO_ERROR);
}

void MockCluster::track_requests() {
    rd_kafka_mock_clear_requests(mcluster_.get());
    rd_kafka_mock_start_request_tracking(mcluster_.get());
}

std::size_t MockCluster::requests(std::int32_t broker, std::int16_t api_key) const {
    std::size_t count = 0;
    rd_kafka_mock_request_t** requests = rd_kafka_mock_get_requests(mcluster_.get(), &count);
    std::size_t matching = 0;
    for (std::size_t i = 0; i < count; ++i) {
        if (rd_kafka_mock_request_id(requests[i]) == broker &&
            rd_kafka_mock_request_api_key(requests[i]) == api_key) {
            ++matching;
        }
    }
    rd_kafka_mock_request_destroy_array(requests, count);
    return matching;
}

config::Config mock_flow_config(const std::string& source_bootstrap,
                                const std::string& target_bootstrap) {
    config::Config config;
    config.clusters["source"] = {"source", source_bootstrap, {}, std::nullopt};
    config.clusters["target"] = {"target", target_bootstrap, {}, std::nullopt};
    config::Flow flow;
    flow.name = "dr";
    flow.source = "source";
    flow.target = "target";
    flow.include = {"orders"};
    flow.sync_topic_configs = false;
    // Not longer: librdkafka 2.8 keeps metadata for 3 x this (the consumers'
    // topic.metadata.refresh.interval.ms) in µs as an int, which overflows
    // beyond 715 s and expires every entry at once.
    flow.refresh_interval = 5min;
    flow.config_sync_interval = 1h;
    flow.emit_heartbeats = false;
    flow.emit_checkpoints = false;
    config.flows.push_back(flow);
    config.shutdown.timeout = 10s;
    config.connect_timeout = 10s;
    return config;
}

void produce(const std::string& bootstrap, const std::string& topic, int partitions, int n) {
    kafka::Producer producer({"test", bootstrap, {}}, {{"linger.ms", "5"}});
    for (int i = 0; i < n; ++i) {
        ASSERT_TRUE(producer.produce(
            {topic, i % partitions, "k" + std::to_string(i), "v" + std::to_string(i), {}, 0}));
    }
    ASSERT_TRUE(producer.flush(10s)) << "records not acknowledged by the mock cluster";
}

}  // namespace kmirror::test
