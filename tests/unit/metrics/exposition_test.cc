#include "metrics/exposition.h"

#include <gtest/gtest.h>

namespace kmirror::metrics {
namespace {

FlowSample flow_with_two_partitions() {
    FlowSample f;
    f.flow = "primary-to-dr";
    f.ready = true;
    f.heartbeat_age_seconds = 1.5;
    f.topics = {{"orders", 10, 100, 2}};
    f.partitions = {{"orders", 0, 5, 0.25}, {"orders", 1, 7, 3.0}};
    f.latency = {{0.1, 1.0}, {3, 1, 2}, 12.5};
    f.produce_errors = {{"MSG_SIZE_TOO_LARGE", 1}};
    return f;
}

bool has_line(const std::string& text, const std::string& line) {
    return text.find("\n" + line + "\n") != std::string::npos;
}

TEST(Exposition, ExportsCountersGaugesAndLagPerPartition) {
    const auto text = render({flow_with_two_partitions()}, {"1.2.3", "2.0.2"}, {true});
    EXPECT_TRUE(has_line(text, R"(kmirror_records_total{flow="primary-to-dr",topic="orders"} 10)"))
        << text;
    EXPECT_TRUE(has_line(text, R"(kmirror_records_lost_total{flow="primary-to-dr",topic="orders"} 2)"));
    EXPECT_TRUE(has_line(
        text, R"(kmirror_lag_records{flow="primary-to-dr",topic="orders",partition="1"} 7)"));
    EXPECT_TRUE(has_line(
        text, R"(kmirror_lag_seconds{flow="primary-to-dr",topic="orders",partition="0"} 0.25)"));
    EXPECT_TRUE(has_line(text, R"(kmirror_flow_ready{flow="primary-to-dr"} 1)"));
    EXPECT_TRUE(has_line(text, R"(kmirror_heartbeat_age_seconds{flow="primary-to-dr"} 1.5)"));
    EXPECT_TRUE(has_line(
        text,
        R"(kmirror_produce_errors_total{flow="primary-to-dr",kind="MSG_SIZE_TOO_LARGE"} 1)"));
    EXPECT_TRUE(has_line(text, R"(kmirror_build_info{version="1.2.3",librdkafka_version="2.0.2"} 1)"));
    EXPECT_NE(text.find("# TYPE kmirror_records_total counter"), std::string::npos);
}

TEST(Exposition, HistogramBucketsAreCumulative) {
    const auto text = render({flow_with_two_partitions()}, {"1", "2"}, {true});
    EXPECT_TRUE(has_line(
        text, R"(kmirror_replication_latency_seconds_bucket{flow="primary-to-dr",le="0.1"} 3)"))
        << text;
    EXPECT_TRUE(has_line(
        text, R"(kmirror_replication_latency_seconds_bucket{flow="primary-to-dr",le="1"} 4)"));
    EXPECT_TRUE(has_line(
        text, R"(kmirror_replication_latency_seconds_bucket{flow="primary-to-dr",le="+Inf"} 6)"));
    EXPECT_TRUE(has_line(text, R"(kmirror_replication_latency_seconds_count{flow="primary-to-dr"} 6)"));
    EXPECT_TRUE(has_line(text, R"(kmirror_replication_latency_seconds_sum{flow="primary-to-dr"} 12.5)"));
}

TEST(Exposition, WithoutPartitionLabelsLagIsPerTopicSummedAndMaxed) {
    const auto text = render({flow_with_two_partitions()}, {"1", "2"}, {false});
    EXPECT_EQ(text.find("partition=\""), std::string::npos) << text;
    EXPECT_TRUE(has_line(text, R"(kmirror_lag_records{flow="primary-to-dr",topic="orders"} 12)"));
    EXPECT_TRUE(has_line(text, R"(kmirror_lag_seconds{flow="primary-to-dr",topic="orders"} 3)"));
}

TEST(Exposition, HeartbeatAgeIsAbsentBeforeTheFirstHeartbeat) {
    auto f = flow_with_two_partitions();
    f.heartbeat_age_seconds.reset();
    const auto text = render({f}, {"1", "2"}, {true});
    EXPECT_EQ(text.find("kmirror_heartbeat_age_seconds{"), std::string::npos);
}

TEST(Exposition, PerPartitionSeriesStayWithinBudget) {
    // At most 5 series per partition (issue: scraping must stay cheap).
    FlowSample f = flow_with_two_partitions();
    f.partitions.clear();
    for (int p = 0; p < 100; ++p) f.partitions.push_back({"orders", p, 1, 0});
    const auto text = render({f}, {"1", "2"}, {true});
    std::size_t with_partition = 0;
    for (std::size_t pos = text.find("partition=\""); pos != std::string::npos;
         pos = text.find("partition=\"", pos + 1)) {
        ++with_partition;
    }
    EXPECT_LE(with_partition, 5u * 100u);
}

}  // namespace
}  // namespace kmirror::metrics
