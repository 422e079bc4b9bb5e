// Checkpoint freshness: how long after a consumer group commits on the source
// its translated offsets are visible on the target, in the checkpoints topic
// and (sync_group_offsets) in the same group there, under the load of many
// groups committing all the time. Also times `kmirror failover --all-groups`.
//
//   build/release/tests/checkpoint_freshness_bench [--groups N] [--partitions N] [--seconds N]
//                                                  [--rate GROUP_COMMITS_PER_SECOND]
//                                                  [--sync-group-offsets 0|1]
//
// Starts its own two Kafka clusters (tests/harness) and a kmirror. Load: N
// groups, each committing new offsets for every partition of one topic, round
// robin at --rate group commits per second (the default 1000 x 100 at 100/s
// is 10,000 partition commits per second; each group commits every 10 s).
// Prints latency percentiles. Not a test: nothing is asserted beyond sanity.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <thread>
#include <tuple>
#include <vector>

#include "checkpoints/mm2_records.h"
#include "kafka/admin.h"
#include "kafka/consumer.h"
#include "tests/harness/command.h"
#include "tests/harness/kafka_cluster.h"
#include "tests/integration/mirror_fixture.h"

namespace kmirror::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

int g_groups = 1000;
int g_partitions = 100;
int g_seconds = 60;
int g_rate = 100;
bool g_sync = true;
bool g_precreate = false;

std::string group_name(int i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "bench-%04d", i);
    return buf;
}

void print_percentiles(const char* what, std::vector<double> ms) {
    if (ms.empty()) {
        std::printf("%s: no samples\n", what);
        return;
    }
    std::sort(ms.begin(), ms.end());
    const auto at = [&](double q) {
        return ms[std::min(ms.size() - 1, static_cast<std::size_t>(q * static_cast<double>(ms.size())))];
    };
    std::printf("%s: %zu samples, p50 %.0f ms, p90 %.0f ms, p99 %.0f ms, max %.0f ms\n", what,
                ms.size(), at(0.50), at(0.90), at(0.99), ms.back());
}

TEST(Bench, CheckpointFreshness) {
    const std::string source = harness::source().bootstrap();
    const std::string target = harness::target().bootstrap();
    const std::string topic = "bench-topic";
    create_topic(source, topic, g_partitions);
    std::vector<kafka::Record> records;
    for (int i = 0; i < g_partitions * 20; ++i) {
        records.push_back({topic, i % g_partitions, {}, "v" + std::to_string(i), {}, 0});
    }
    produce(source, records);
    const std::int64_t end_offset = 20;  // per partition

    if (g_precreate) {
        kafka::Consumer c(settings_for("bench", target), {{"group.id", "bench-precreate"}});
        (void)c.committed({{"x", 0}}, 30s);
        c.close(5s);
    }
    KmirrorProcess kmirror(flow_config("bench", source, target, topic,
                                       std::string("    sync_group_offsets: ") +
                                           (g_sync ? "true" : "false") + "\n"
                                       "    groups: { include: [\"bench-.*\"] }\n"),
                           "bench");
    kmirror.start();
    ASSERT_TRUE(kmirror.wait_ready(60s)) << kmirror.log();
    ASSERT_TRUE(wait_for_commits_at_end(source, "kmirror.bench", topic, 120s)) << kmirror.log();

    kafka::Admin source_admin(settings_for("bench", source));
    kafka::Admin target_admin(settings_for("bench", target));
    // Offsets cycle through 1..end_offset so every commit changes them.
    std::vector<std::int64_t> next(static_cast<std::size_t>(g_groups), 1);
    const auto commit = [&](int g, std::int64_t offset) {
        std::vector<kafka::GroupOffset> offsets;
        for (int p = 0; p < g_partitions; ++p) offsets.push_back({topic, p, offset, ""});
        return static_cast<bool>(source_admin.alter_group_offsets(group_name(g), offsets, 30s));
    };
    std::printf("seeding %d groups x %d partitions...\n", g_groups, g_partitions);
    for (int g = 0; g < g_groups; ++g) ASSERT_TRUE(commit(g, 1));

    // Checkpoint arrivals, matched against commit times by (group, partition, upstream).
    std::mutex mu;
    std::map<std::tuple<std::string, std::int32_t, std::int64_t>, Clock::time_point> sent;
    std::vector<double> checkpoint_ms;
    std::atomic<bool> stop{false};
    std::thread reader([&] {
        kafka::Consumer consumer(settings_for("bench", target),
                                 {{"group.id", "bench-reader-x"}, {"enable.auto.commit", "false"},
                                  {"fetch.wait.max.ms", "10"}});
        EXPECT_TRUE(consumer.assign(
            {{checkpoints::checkpoints_topic("primary"), 0, kafka::kOffsetEnd}}));
        while (!stop) {
            auto m = consumer.poll(100ms);
            if (!m || m.error()) continue;
            const auto now = Clock::now();
            auto cp = checkpoints::decode_checkpoint(*kafka::as_chars(m.key()),
                                                     *kafka::as_chars(m.value()));
            if (!cp) continue;
            std::lock_guard lock(mu);
            auto it = sent.find({cp.value().group, cp.value().partition, cp.value().upstream.value()});
            if (it == sent.end()) continue;
            checkpoint_ms.push_back(
                std::chrono::duration<double, std::milli>(now - it->second).count());
            sent.erase(it);
        }
        consumer.close(5s);
    });
    // Let the seeding settle before measuring.
    ASSERT_TRUE(wait_for_records(target, "primary." + topic, static_cast<std::size_t>(g_partitions) * 20, 60s));
    std::this_thread::sleep_for(15s);
    {
        std::lock_guard lock(mu);
        sent.clear();
        checkpoint_ms.clear();
    }

    // Target-group visibility, sampled on one group in ten.
    std::vector<double> group_ms;
    std::atomic<int> probe_group{-1};
    std::atomic<std::int64_t> probe_offset{0};
    std::atomic<std::int64_t> probe_sent_ns{0};
    std::thread prober([&] {
        while (!stop) {
            const int g = probe_group.exchange(-1);
            if (g < 0) {
                std::this_thread::sleep_for(5ms);
                continue;
            }
            const auto wanted = probe_offset.load();
            const auto t0 = Clock::time_point(Clock::duration(probe_sent_ns.load()));
            while (!stop && Clock::now() - t0 < 30s) {
                auto offsets = target_admin.list_group_offsets(group_name(g), 10s);
                int matched = 0;
                if (offsets) {
                    for (const auto& o : offsets.value()) matched += o.offset == wanted ? 1 : 0;
                }
                if (matched == g_partitions) {
                    group_ms.push_back(
                        std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
                    break;
                }
                std::this_thread::sleep_for(10ms);
            }
        }
    });

    std::printf("load: %d group commits/s of %d partitions for %d s...\n", g_rate, g_partitions,
                g_seconds);
    const auto start = Clock::now();
    std::int64_t commits = 0;
    for (int i = 0; Clock::now() - start < std::chrono::seconds(g_seconds); ++i) {
        const int g = i % g_groups;
        const auto due = start + std::chrono::microseconds(1'000'000LL * i / g_rate);
        std::this_thread::sleep_until(due);
        auto& n = next[static_cast<std::size_t>(g)];
        n = n % end_offset + 1;
        const auto t = Clock::now();
        {
            std::lock_guard lock(mu);
            for (int p = 0; p < g_partitions; ++p) sent[{group_name(g), p, n}] = t;
        }
        ASSERT_TRUE(commit(g, n));
        ++commits;
        if (g % 10 == 0 && probe_group.load() < 0) {
            probe_offset = n;
            probe_sent_ns = t.time_since_epoch().count();
            probe_group = g;
        }
    }
    const double achieved =
        static_cast<double>(commits) / std::chrono::duration<double>(Clock::now() - start).count();
    std::this_thread::sleep_for(5s);  // let the last checkpoints arrive
    stop = true;
    reader.join();
    prober.join();
    std::size_t missing = 0;
    {
        std::lock_guard lock(mu);
        missing = sent.size();
    }
    std::printf("achieved %.1f group commits/s (%.0f partition commits/s), %d groups x %d "
                "partitions\n",
                achieved, achieved * g_partitions, g_groups, g_partitions);
    print_percentiles("source commit -> checkpoint on target", checkpoint_ms);
    print_percentiles("source commit -> target group offsets (sync_group_offsets)", group_ms);
    std::printf("checkpoints not seen within 5 s after the load: %zu\n", missing);

    // failover --all-groups for 100 groups (a config whose filter selects 100 of them)
    kmirror.signal(SIGTERM);
    EXPECT_EQ(kmirror.wait_exit(60s), 0) << kmirror.log();
    KmirrorProcess hundred(flow_config("bench", source, target, topic,
                                       "    groups: { include: [\"bench-00[0-9][0-9]\"] }\n") +
                               "state: { path: \"" + kmirror.state_path() + "\" }\n",
                           "bench100");
    const auto t0 = Clock::now();
    auto r = harness::run_command(harness::shell_join({KMIRROR_BINARY, "failover", "-c",
                                                       hundred.config_path(), "--flow", "bench",
                                                       "--all-groups", "--execute",
                                                       "--format", "json"}) +
                                      " > /dev/null",
                                  {.timeout = 120s});
    const auto took = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    EXPECT_EQ(r.exit_code, 0) << r.output;
    std::printf("kmirror failover --all-groups --execute, 100 groups x %d partitions: %.0f ms\n",
                g_partitions, took);
}

}  // namespace
}  // namespace kmirror::test

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        const int v = std::atoi(argv[i + 1]);
        if (a == "--groups") kmirror::test::g_groups = v;
        if (a == "--partitions") kmirror::test::g_partitions = v;
        if (a == "--seconds") kmirror::test::g_seconds = v;
        if (a == "--rate") kmirror::test::g_rate = v;
        if (a == "--sync-group-offsets") kmirror::test::g_sync = v != 0;
        if (a == "--precreate") kmirror::test::g_precreate = v != 0;
    }
    ::testing::AddGlobalTestEnvironment(new kmirror::harness::TwoClusterEnvironment());
    return RUN_ALL_TESTS();
}
