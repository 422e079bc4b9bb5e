// #11 defect 8, second half: an offset reset whose watermarks cannot be read
// is retried. A partition whose committed position is gone (deleted by
// retention, or the topic re-created) comes back from librdkafka as
// ERR__AUTO_OFFSET_RESET and fetches nothing until MirrorWorker repositions
// it, which needs the source's watermarks. Before 486c332, a failed
// watermarks call was logged once and the partition was left fetching
// nothing for as long as this process owned it. librdkafka's mock cluster
// fails the ListOffsets requests of that first call.

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "kafka/consumer.h"
#include "replicator/flow.h"
#include "tests/fault_injection/mock_cluster.h"
#include "tests/harness/wait.h"

namespace kmirror::test {
namespace {

using namespace std::chrono_literals;

TEST(OffsetResetRetry, APartitionWhoseWatermarksWereUnknownAtItsResetIsMirroredOnceTheyAreKnown) {
    // Given orders[0] with 10 records, and the flow's group committed at 1000
    // (beyond the partition's end: the topic was re-created).
    MockCluster source(1);
    MockCluster target(1);
    source.create_topic("orders", 1);
    target.create_topic("source.orders", 1);
    produce(source.bootstrap(), "orders", 1, 10);
    {
        kafka::Consumer group({"source", source.bootstrap(), {}},
                              {{"group.id", "kmirror.dr"}, {"enable.auto.commit", "false"}});
        ASSERT_TRUE(group.commit({{"orders", 0, 1000}}, /*async=*/false));
    }
    auto config = mock_flow_config(source.bootstrap(), target.bootstrap());
    config.flows[0].on_data_loss = config::OnDataLoss::continue_;
    config.flows[0].commit_interval = 200ms;

    // When the flow starts and the source refuses the two ListOffsets
    // requests with which the worker first asks for the partition's
    // watermarks (the position reset),
    source.fail_next(1, kListOffsets, 2, RD_KAFKA_RESP_ERR_UNKNOWN);
    replicator::Flow flow(config, config.flows[0], [](const std::string&) {});
    flow.start();

    // Then the partition is mirrored from its first record once they are
    // known (on_data_loss: continue), not left fetching nothing.
    EXPECT_TRUE(harness::wait_until([&] { return flow.stats().records.load() >= 10; }, 10s,
                                    "the 10 records of orders[0] mirrored"));
    EXPECT_EQ(source.pending_errors(1, kListOffsets), 0u)
        << "the worker never asked for the watermarks: the fault was not injected";
    flow.stop(std::chrono::steady_clock::now() + 10s);
}

}  // namespace
}  // namespace kmirror::test
