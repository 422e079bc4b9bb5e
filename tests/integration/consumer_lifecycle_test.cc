// How kafka::Consumer joins, leaves and dies, against a real cluster: the
// behaviours librdkafka 2.0.2 got wrong, for which kafka/consumer.cc once had
// workarounds. Each test is what a scaled-out or restarted kmirror relies on.

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <iostream>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "kafka/admin.h"
#include "kafka/consumer.h"
#include "tests/harness/kafka_cluster.h"
#include "tests/harness/wait.h"
#include "tests/integration/mirror_fixture.h"

namespace kmirror::test {
namespace {

using namespace std::chrono_literals;

std::string source() { return harness::source().bootstrap(); }

// Tracks what a member owns, as its rebalance callbacks report it.
class Ownership : public kafka::RebalanceListener {
public:
    void on_assigned(std::vector<kafka::TopicPartitionOffset>& partitions) override {
        std::lock_guard lock(mu_);
        for (const auto& p : partitions) owned_.insert(p.partition);
    }
    void on_revoked(const std::vector<kafka::TopicPartition>& partitions, bool) override {
        std::lock_guard lock(mu_);
        for (const auto& p : partitions) owned_.erase(p.partition);
    }
    std::size_t count() const {
        std::lock_guard lock(mu_);
        return owned_.size();
    }

private:
    mutable std::mutex mu_;
    std::set<std::int32_t> owned_;
};

// kmirror's group settings: cooperative-sticky, Kafka's default 45 s session.
constexpr auto kSessionTimeout = std::chrono::seconds(45);
// Well before the session timeout, whatever KMIRROR_TEST_TIMEOUT_SCALE says:
// a member that vanished instead of leaving is evicted only after
// kSessionTimeout, so a handover slower than this was not a leave. The waits
// are scaled (they may outlast kSessionTimeout under load); this bound is not.
constexpr auto kWellBeforeTheSessionTimeout = std::chrono::seconds(30);

kafka::Overrides member(const std::string& group) {
    return {{"group.id", group},
            {"enable.auto.commit", "false"},
            {"partition.assignment.strategy", "cooperative-sticky"},
            {"session.timeout.ms",
             std::to_string(std::chrono::milliseconds(kSessionTimeout).count())},
            {"auto.offset.reset", "earliest"}};
}

// Runs `consumer`'s poll loop on a thread until stopped.
class Poller {
public:
    explicit Poller(kafka::Consumer& consumer)
        : thread_([this, &consumer] {
              while (!stop_) (void)consumer.poll(50ms);
          }) {}
    ~Poller() { stop(); }
    Poller(const Poller&) = delete;
    Poller& operator=(const Poller&) = delete;
    void stop() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
    }

private:
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

TEST(ConsumerLifecycle, ACooperativeMemberThatClosesHandsItsPartitionsOverWithoutASessionTimeout) {
    // given two members of a cooperative group, the first owning all four partitions
    const auto topic = unique_name("leave");
    create_topic(source(), topic, 4);
    const auto group = unique_name("leave-group");
    Ownership first_owns;
    Ownership second_owns;
    auto first = std::make_unique<kafka::Consumer>(settings_for("test", source()), member(group),
                                                   &first_owns);
    ASSERT_TRUE(first->subscribe({topic}));
    ASSERT_TRUE(harness::wait_until(
        [&] {
            (void)first->poll(100ms);
            return first_owns.count() == 4;
        },
        30s, "the first member to own all partitions"));
    kafka::Consumer second(settings_for("test", source()), member(group), &second_owns);
    ASSERT_TRUE(second.subscribe({topic}));
    Poller second_polls(second);

    // when the first one closes (kmirror stopping or scaling in)
    const auto closed_at = std::chrono::steady_clock::now();
    first->close(10s);
    first.reset();

    // then the second owns everything well before the 45 s session timeout:
    // the first left the group instead of vanishing
    ASSERT_TRUE(harness::wait_until([&] { return second_owns.count() == 4; }, 20s,
                                    "the second member to own all four partitions"));
    std::cout << "[ MEASURE  ] partitions handed over "
              << std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - closed_at)
                     .count()
              << " ms after close\n";
    expect_within(closed_at, kWellBeforeTheSessionTimeout,
                  "the partitions handed over (the session timeout is 45 s)");
    second_polls.stop();
    second.close(10s);
}

TEST(ConsumerLifecycle, AMemberClosedBeforeItsFirstAssignmentShutsDownCleanly) {
    // given a cooperative member that subscribed but has not joined yet
    const auto topic = unique_name("early");
    create_topic(source(), topic, 2);
    const auto started = std::chrono::steady_clock::now();
    {
        Ownership owns;
        kafka::Consumer c(settings_for("test", source()), member(unique_name("early-group")),
                          &owns);
        ASSERT_TRUE(c.subscribe({topic}));
        (void)c.poll(1ms);
        // when it is closed and destroyed at once (kmirror stopped during start-up),
        c.close(10s);
    }
    // then the process is still here (2.0.2 asserted in the sticky assignor),
    // and it took no session timeout
    expect_within(started, kWellBeforeTheSessionTimeout,
                  "the early member closed (the session timeout is 45 s)");
}

TEST(ConsumerLifecycle, AMemberWhoseTopicWasDeletedShutsDownWithinSeconds) {
    // given a member owning a topic's partitions
    const auto topic = unique_name("deleted");
    create_topic(source(), topic, 2);
    Ownership owns;
    auto c = std::make_unique<kafka::Consumer>(settings_for("test", source()),
                                               member(unique_name("deleted-group")), &owns);
    ASSERT_TRUE(c->subscribe({topic}));
    ASSERT_TRUE(harness::wait_until(
        [&] {
            (void)c->poll(100ms);
            return owns.count() == 2;
        },
        30s, "the member to own both partitions"));

    // when the topic is deleted under it, and it goes on polling for a while
    {
        kafka::Admin admin(settings_for("test", source()));
        const auto deleted = admin.delete_topics({topic}, 30s);
        ASSERT_EQ(deleted.size(), 1u);
        ASSERT_FALSE(deleted[0].error) << deleted[0].message;
    }
    const auto polled_until = std::chrono::steady_clock::now() + 3s;
    while (std::chrono::steady_clock::now() < polled_until) (void)c->poll(100ms);

    // then closing and destroying it ends within seconds (2.0.2 could wait
    // forever in rd_kafka_destroy for the deleted partitions' references)
    auto gone = std::async(std::launch::async, [&c] {
        c->close(10s);
        c.reset();
    });
    ASSERT_EQ(gone.wait_for(harness::scaled(30s)), std::future_status::ready)
        << "the consumer did not shut down";
}

}  // namespace
}  // namespace kmirror::test
