// #11 defect 8, first half: a synchronous commit has a deadline. Before
// 486c332, Consumer::commit(..., async=false) was rd_kafka_commit(..., 0),
// which waits for the coordinator's answer without any bound: a coordinator
// that does not answer held the worker (and with it shutdown) for as long as
// it kept quiet. A real broker cannot be told to sit on one OffsetCommit, so
// librdkafka's mock cluster answers it late.

#include <gtest/gtest.h>

#include <chrono>
#include <future>

#include "kafka/consumer.h"
#include "kafka/error.h"
#include "tests/fault_injection/mock_cluster.h"
#include "tests/harness/wait.h"

namespace kmirror::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

kafka::ClientSettings settings(const MockCluster& cluster) {
    return {"source", cluster.bootstrap(), {}};
}

TEST(CommitDeadline, ASynchronousCommitReturnsWithinItsDeadlineWhenTheCoordinatorDoesNotAnswer) {
    // Given a consumer of orders[0] whose commits the coordinator answers.
    MockCluster source(1);
    source.create_topic("orders", 1);
    kafka::Consumer consumer(settings(source),
                             {{"group.id", "kmirror.dr"}, {"enable.auto.commit", "false"}});
    ASSERT_TRUE(consumer.assign({{"orders", 0, kafka::kOffsetBeginning}}));
    ASSERT_TRUE(consumer.commit({{"orders", 0, 1}}, /*async=*/false));

    // When the coordinator sits on the next commit for 30 s, and the worker
    // commits the way MirrorWorker::commit does: synchronously, with the
    // default deadline.
    const auto quiet = 30s;
    source.delay_next(1, kOffsetCommit, quiet);
    const auto started = Clock::now();
    auto commit = std::async(std::launch::async, [&] {
        return consumer.commit({{"orders", 0, 2}}, /*async=*/false);
    });

    // Then it gives up within its 10 s deadline (plus scheduling slack), and
    // says so: the worker can poll, and shutdown proceed, meanwhile.
    const auto deadline = 10s + harness::scaled(2s);
    ASSERT_TRUE(commit.wait_for(deadline) == std::future_status::ready)
        << "the synchronous commit still waits for the coordinator after "
        << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count()
        << " ms (deadline 10000 ms)";
    const auto r = commit.get();
    ASSERT_FALSE(r) << "a commit the coordinator never answered reported success";
    EXPECT_TRUE(kafka::is(r.error(), RD_KAFKA_RESP_ERR__TIMED_OUT)) << r.error().message();
    // Closing the consumer waits for its commits under way: not another 20 s.
    source.drop_connections(1);
}

}  // namespace
}  // namespace kmirror::test
