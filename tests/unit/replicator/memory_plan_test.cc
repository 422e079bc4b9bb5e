#include "replicator/memory_plan.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace kmirror::replicator {
namespace {

constexpr std::int64_t kMiB = 1 << 20;

config::Config with_flows(std::int64_t budget, std::vector<int> workers) {
    config::Config c;
    c.memory.budget.bytes = budget;
    for (std::size_t i = 0; i < workers.size(); ++i) {
        config::Flow f;
        f.name = "f" + std::to_string(i);
        f.workers = workers[i];
        c.flows.push_back(f);
    }
    return c;
}

std::map<std::string, std::int64_t> as_numbers(const kafka::Overrides& overrides) {
    std::map<std::string, std::int64_t> out;
    for (const auto& [k, v] : overrides) out[k] = std::stoll(v);
    return out;
}

/// What a flow's plan may hold at most: its workers' consumers (queue plus
/// one fetch per broker) and its producer's records, each up to twice.
std::int64_t flow_bound(const MemoryPlan& p, int workers, int brokers) {
    return workers * (p.consumer_queue_bytes + brokers * p.fetch_max_bytes) +
           2 * p.in_flight_bytes;
}

TEST(MemoryPlan, EveryFlowsBuffersTogetherStayWithinTheBudget) {
    // given three flows with 1, 2 and 4 workers under 256 MiB, 3 source brokers
    const auto config = with_flows(256 * kMiB, {1, 2, 4});
    std::int64_t total = 0;
    for (const auto& flow : config.flows) {
        const auto plan = plan_memory(config, flow, 3);
        // each worker gets a seventh of the budget
        EXPECT_EQ(plan.worker_share, 256 * kMiB / 7);
        total += flow_bound(plan, flow.workers, 3);
    }
    // then everything they may buffer fits in the budget
    EXPECT_LE(total, 256 * kMiB);
    EXPECT_GE(total, 256 * kMiB * 3 / 4);  // and most of it is used
}

TEST(MemoryPlan, LibrdkafkasOwnLimitsAreAboveKmirrorsSoTheyNeverBind) {
    const auto config = with_flows(64 * kMiB, {2});
    const auto plan = plan_memory(config, config.flows[0], 1);
    const auto producer = as_numbers(plan.producer_overrides());
    // librdkafka counts keys and values only, kmirror kRecordOverhead more.
    EXPECT_GE(producer.at("queue.buffering.max.kbytes") * 1024, plan.in_flight_bytes);
    EXPECT_GE(producer.at("queue.buffering.max.messages"), plan.in_flight_bytes / kRecordOverhead);
    EXPECT_LE(producer.at("batch.size"), 1'000'000);
}

TEST(MemoryPlan, ConsumerSettingsAreWithinLibrdkafkasRangesAndFetchContinuously) {
    for (const std::int64_t budget : {16 * kMiB, 256 * kMiB, 64 * 1024 * kMiB}) {
        const auto config = with_flows(budget, {1});
        const auto plan = plan_memory(config, config.flows[0], 5);
        const auto c = as_numbers(plan.consumer_overrides());
        EXPECT_GE(c.at("queued.max.messages.kbytes"), 1);
        EXPECT_LE(c.at("queued.max.messages.kbytes"), 2'097'151);
        EXPECT_GE(c.at("queued.min.messages"), 1);
        EXPECT_LE(c.at("queued.min.messages"), 10'000'000);
        EXPECT_GE(c.at("fetch.max.bytes"), c.at("message.max.bytes"));
        EXPECT_LE(c.at("max.partition.fetch.bytes"), c.at("fetch.max.bytes"));
        EXPECT_GE(c.at("message.max.bytes"), 1000);
        // a full queue is looked at again within 10 ms, not librdkafka's 1 s
        EXPECT_EQ(c.at("fetch.queue.backoff.ms"), 10);
    }
}

TEST(MemoryPlan, SmallRecordsAreBoundedByCountNotOnlyByBytes) {
    // librdkafka's queue bytes count 100 B records as 100 B, but each costs
    // several hundred in memory: the record count bounds them.
    const auto config = with_flows(256 * kMiB, {1});
    const auto plan = plan_memory(config, config.flows[0], 1);
    EXPECT_LE(plan.consumer_queue_records * kConsumedRecordCost, plan.consumer_queue_bytes);
}

}  // namespace
}  // namespace kmirror::replicator
