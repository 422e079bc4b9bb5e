// #11 defect 5: one admin call must not stall the whole flow. Before e983726,
// TopicSync::ensure_partition (run by a worker whose send found a target
// partition missing) held TopicSync::mu_ across its admin calls, a source
// Metadata request and a target CreatePartitions of up to 10 s each; and
// Flow::track, run when a worker is assigned a partition, waited for that lock
// while holding progress_mu_ exclusively, which every send and every delivery
// report needs: nothing was mirrored until the admin call returned.
//
// The source's broker does not answer the admin call: librdkafka's mock
// cluster answers it 30 s late, so it ends at TopicSync's 10 s admin timeout
// (a real broker cannot be slow for one client while serving the others).

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "kafka/admin.h"
#include "replicator/flow.h"
#include "replicator/flow_stats.h"
#include "replicator/topic_sync.h"
#include "tests/fault_injection/mock_cluster.h"
#include "tests/harness/wait.h"

namespace kmirror::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kSilence = 30s;  // beyond TopicSync's admin timeout (10 s)

template <typename T>
bool done(const std::future<T>& f) {
    return f.wait_for(0s) == std::future_status::ready;
}

// Waits for `pred` at most `limit`, unscaled: these windows must fit inside
// TopicSync's own fixed 10 s admin timeout, whatever the machine.
template <typename Pred>
bool within(Pred&& pred, std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
        if (std::chrono::steady_clock::now() >= end) return pred();
        std::this_thread::sleep_for(10ms);
    }
    return true;
}

// Whether `answered()` became true while `admin_call` was still under way.
// No fixed limit: waits until either ends (the admin call ends at TopicSync's
// own timeout), then checks which came first, so a slow machine (ASan,
// KMIRROR_TEST_TIMEOUT_SCALE) can neither fail nor pass it by timing alone.
// The order of the two reads matters: `answered` true and then the call still
// running means the answer came first.
template <typename Answered, typename T>
std::pair<bool, bool> answered_during(Answered&& answered, const std::future<T>& admin_call) {
    (void)harness::poll_until([&] { return answered() || done(admin_call); }, 2 * kSilence);
    const bool in_time = answered();
    return {in_time, !done(admin_call)};
}

TEST(AdminStall, TopicSyncAnswersTheDataPathWhileEnsurePartitionWaitsForTheSource) {
    // Given a TopicSync that mirrors orders (4 partitions) to source.orders.
    MockCluster source(1);
    MockCluster target(1);
    source.create_topic("orders", 4);
    target.create_topic("source.orders", 4);
    const auto config = mock_flow_config(source.bootstrap(), target.bootstrap());
    kafka::Admin source_admin({"source", source.bootstrap(), {}});
    kafka::Admin target_admin({"target", target.bootstrap(), {}});
    replicator::FlowStats stats;
    replicator::TopicSync topics(config.flows[0], source_admin, target_admin, stats);
    ASSERT_TRUE(topics.run_discovery());

    // When a worker grows the target for orders[4] and the source does not
    // answer its Metadata request,
    source.track_requests();
    source.set_rtt(1, kSilence);
    auto grow = std::async(std::launch::async, [&] { return topics.ensure_partition("orders", 4); });
    ASSERT_TRUE(harness::wait_until([&] { return source.requests(1, kMetadata) > 0; }, 5s,
                                    "ensure_partition()'s Metadata request at the source"));

    // Then what the data path asks of TopicSync is answered meanwhile.
    auto ask = std::async(std::launch::async, [&] {
        return std::pair{topics.target_topic("orders"), topics.has_target_partition("orders", 3)};
    });
    const auto [answered, admin_call_under_way] =
        answered_during([&] { return done(ask); }, grow);
    EXPECT_TRUE(answered && admin_call_under_way)
        << "target_topic() and has_target_partition() waited for ensure_partition()'s admin "
           "call (answered: "
        << answered << "; the admin call still under way then: " << admin_call_under_way << ")";
    EXPECT_EQ(ask.get(), std::pair(std::string("source.orders"), true));
    EXPECT_FALSE(grow.get()) << "the source answered a Metadata request it was told to sit on";
}

TEST(AdminStall, AFlowKeepsMirroringWhileEnsurePartitionWaitsForTheSource) {
    // Given a flow with two workers mirroring orders (4 partitions). The
    // source has two brokers: 1 leads every partition and coordinates the
    // group; 2 is the flow's bootstrap broker.
    MockCluster source(2);
    MockCluster target(1);
    source.create_topic("orders", 4, /*leader=*/1);
    source.set_coordinator("kmirror.dr", 1);
    target.create_topic("source.orders", 4);
    auto config = mock_flow_config(source.bootstrap_of(2), target.bootstrap());
    config.flows[0].workers = 2;
    replicator::Flow flow(config, config.flows[0], [](const std::string&) {});
    flow.start();
    // Settled: each worker was assigned partitions once (a worker that joined
    // late costs a revocation, and a third rebalance callback).
    ASSERT_TRUE(harness::wait_until(
        [&] {
            return flow.stats().rebalances.load() >= 2 &&
                   flow.stats().assigned_partitions.load() == 4;
        },
        30s, "both workers assigned partitions of orders"));
    produce(source.bootstrap_of(1), "orders", 4, 40);
    ASSERT_TRUE(harness::wait_until([&] { return flow.stats().records.load() >= 40; }, 10s,
                                    "the first 40 records mirrored"));

    // When a worker grows the target for orders[4] and broker 2 does not
    // answer its Metadata request; meanwhile a worker is assigned orders[4]
    // (Flow::track, as MirrorWorker::on_assigned calls it once past
    // has_target_partition()); and 40 more records arrive,
    source.track_requests();
    source.set_rtt(2, kSilence);
    // Since librdkafka 2.10 a client drops its bootstrap connection once it
    // knows the brokers, and the admin client (sparse connections) then asks
    // whichever learned broker it is connected to, or connects to: not always
    // broker 2. With broker 1 refusing connections for a moment it mostly is;
    // an attempt whose call a live broker answered anyway (the mock has no
    // CreatePartitions, so nothing changed) is made again.
    std::future<Result<void>> grow;
    bool held = false;
    for (int attempt = 1; attempt <= 4 && !held; ++attempt) {
        const auto asked_before = source.requests(2, kMetadata);
        source.set_down(1);
        grow = std::async(std::launch::async,
                          [&] { return flow.topics().ensure_partition("orders", 4); });
        (void)within([&] { return source.requests(2, kMetadata) > asked_before || done(grow); },
                     1s);
        // (The first one may be a consumer's: broker 1 stays down a moment more.)
        (void)within([&] { return done(grow); }, 300ms);
        source.set_up(1);
        // A broker that is up answers in milliseconds: still waiting 2 s after
        // broker 1 came back, the call is the one broker 2 sits on.
        (void)within([&] { return done(grow); }, 2s);
        held = source.requests(2, kMetadata) > asked_before && !done(grow);
        if (!held) {
            std::cout << "[ MEASURE  ] attempt " << attempt << " (Metadata at broker 2: "
                      << source.requests(2, kMetadata) - asked_before
                      << ", call done: " << done(grow)
                      << "): the admin call was not the one broker 2 sits on; again\n";
            grow.wait();
        }
    }
    if (!held) {
        // Not a pass: ctest shows it as skipped (SKIP_REGULAR_EXPRESSION).
        source.set_rtt(2, 0ms);
        flow.stop(std::chrono::steady_clock::now() + 10s);
        GTEST_SKIP() << "in 4 attempts the flow's admin client never asked broker 2 (librdkafka "
                        "chooses the broker); the flow was not tested while the call waits";
    }
    auto assign = std::async(std::launch::async, [&] {
        return flow.track("orders", 4, std::nullopt, false) != nullptr;
    });
    produce(source.bootstrap_of(1), "orders", 4, 40);

    // Then the flow mirrors them, the target acknowledging each, while the
    // admin call is still under way.
    const auto [mirrored, admin_call_under_way] =
        answered_during([&] { return flow.stats().records.load() >= 80; }, grow);
    EXPECT_TRUE(mirrored && admin_call_under_way)
        << "the flow stopped mirroring for the length of one admin call (mirrored: "
        << flow.stats().records.load() << " of 80; the admin call still under way then: "
        << admin_call_under_way << ")";
    EXPECT_TRUE(done(assign)) << "Flow::track() waited for ensure_partition()'s admin call";

    EXPECT_FALSE(grow.get()) << "broker 2 answered a Metadata request it was told to sit on";
    EXPECT_TRUE(assign.get());
    source.set_rtt(2, 0ms);
    flow.stop(std::chrono::steady_clock::now() + 10s);
}

}  // namespace
}  // namespace kmirror::test
