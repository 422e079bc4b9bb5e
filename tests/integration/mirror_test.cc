// Mirroring against two real Kafka clusters (started once for this binary).
// Each test mirrors its own topics with its own flow, so tests do not mix.

#include <gtest/gtest.h>

#include <random>
#include <sstream>

#include "checkpoints/offset_range_store.h"
#include "tests/harness/kafka_cluster.h"
#include "tests/harness/wait.h"
#include "tests/integration/mirror_fixture.h"

namespace kmirror::test {
namespace {

using namespace std::chrono_literals;

std::string source() { return harness::source().bootstrap(); }
std::string target() { return harness::target().bootstrap(); }

// A topic's own config overrides: not defaults, not inherited from its brokers.
std::map<std::string, std::string> topic_overrides(kafka::Admin& admin, const std::string& topic) {
    std::map<std::string, std::string> out;
    if (auto entries = admin.describe_topic_config(topic, 10s)) {
        for (const auto& e : entries.value()) {
            if (!e.is_default && !e.is_static && !e.read_only) out[e.name] = e.value;
        }
    }
    return out;
}

void alter_configs(kafka::Admin& admin, const std::string& topic,
                   const std::vector<kafka::ConfigChange>& changes) {
    auto r = admin.incremental_alter_topic_config(topic, changes, 10s);
    ASSERT_TRUE(r) << topic << ": " << r.error().message();
}

TEST(Mirror, CopiesEveryRecordWithKeyNullValueHeadersTimestampAndPartition) {
    // Given three topics of three partitions and 100,000 records in all, with
    // keys, some null values, headers and explicit timestamps,
    const auto base = unique_name("exact");
    const std::vector<std::string> topics{base + "-a", base + "-b", base + "-c"};
    for (const auto& t : topics) create_topic(source(), t, 3);
    std::vector<kafka::Record> records;
    constexpr int kRecords = 100'000;
    // Recent timestamps: records older than the topic's retention would be
    // deleted by the broker before the comparison.
    const std::int64_t t0 = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count() -
                            3'600'000;
    for (int i = 0; i < kRecords; ++i) {
        kafka::Record r;
        r.topic = topics[static_cast<std::size_t>(i % 3)];
        r.partition = (i / 3) % 3;
        r.key = "key-" + std::to_string(i);
        if (i % 10 != 0) r.value = "value-" + std::to_string(i) + std::string(static_cast<std::size_t>(i % 50), 'x');
        if (i % 4 == 0) r.headers = {{"trace", "t-" + std::to_string(i)}, {"empty", std::nullopt}};
        r.timestamp = t0 + i;
        records.push_back(std::move(r));
    }
    produce(source(), records);

    // when kmirror mirrors them,
    KmirrorProcess kmirror(flow_config(base, source(), target(), base + "-.*"), "exact");
    kmirror.start();
    ASSERT_TRUE(kmirror.wait_ready(60s)) << kmirror.log();
    // (every partition of every topic acknowledged and committed up to its
    // end: an exact condition, which no sum over short partitions can fake)
    for (const auto& t : topics) {
        ASSERT_TRUE(wait_for_commits_at_end(source(), "kmirror." + base, t, 120s))
            << t << "\n" << kmirror.log();
    }
    kmirror.signal(SIGTERM);
    EXPECT_EQ(kmirror.wait_exit(60s), 0) << kmirror.log();

    // then the target holds exactly the same records, partitions and order,
    for (const auto& t : topics) {
        SCOPED_TRACE(t);
        expect_same_records(read_topic(source(), t), read_topic(target(), "primary." + t));
    }
    // and the offset-range store translates every source position exactly.
    auto store = checkpoints::OffsetRangeStore::open(kmirror.state_path());
    ASSERT_TRUE(store) << store.error().message();
    for (const auto& t : topics) {
        for (std::int32_t p = 0; p < 3; ++p) {
            const auto target_records = read_topic(target(), "primary." + t).at(p);
            ASSERT_FALSE(target_records.empty());
            for (std::size_t i = 0; i <= target_records.size(); i += 997) {
                const auto tr =
                    store.value()->translate(base, t, p, SourceOffset(static_cast<std::int64_t>(i)));
                EXPECT_EQ(tr.exactness, checkpoints::Exactness::exact) << t << "[" << p << "] " << i;
                EXPECT_EQ(tr.offset, TargetOffset(static_cast<std::int64_t>(i)));
            }
        }
    }
}

TEST(Mirror, TopicCreatedWhileRunningIsMirroredFromItsFirstRecord) {
    const auto base = unique_name("late");
    create_topic(source(), base + "-first", 1);
    KmirrorProcess kmirror(flow_config(base, source(), target(), base + "-.*"), "late");
    kmirror.start();
    ASSERT_TRUE(kmirror.wait_ready(60s)) << kmirror.log();

    // A topic created after start, written to at once.
    const auto topic = base + "-new";
    const auto created = std::chrono::steady_clock::now();
    create_topic(source(), topic, 2);
    std::vector<kafka::Record> records;
    for (int i = 0; i < 500; ++i) {
        records.push_back({topic, i % 2, "k" + std::to_string(i), "v" + std::to_string(i), {}, 0});
    }
    produce(source(), records);

    ASSERT_TRUE(wait_for_records_per_partition(target(), "primary." + topic,
                                               records_per_partition(records), 60s))
        << kmirror.log();
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - created);
    std::cout << "[ MEASURE  ] new topic to all records on the target: " << took.count()
              << " ms (refresh_interval 5s)\n";
    RecordProperty("new_topic_mirrored_ms", static_cast<int>(took.count()));
    expect_same_records(read_topic(source(), topic), read_topic(target(), "primary." + topic));
    kmirror.signal(SIGTERM);
    EXPECT_EQ(kmirror.wait_exit(60s), 0) << kmirror.log();
}

TEST(Mirror, PartitionsAddedOnTheSourceAreAddedAndMirroredOnTheTarget) {
    const auto topic = unique_name("grow");
    create_topic(source(), topic, 1);
    produce(source(), {{topic, 0, "a", "1", {}, 0}});
    KmirrorProcess kmirror(flow_config(topic, source(), target(), topic), "grow");
    kmirror.start();
    ASSERT_TRUE(kmirror.wait_ready(60s)) << kmirror.log();
    ASSERT_TRUE(wait_for_records(target(), "primary." + topic, 1, 60s)) << kmirror.log();

    {
        kafka::Admin admin(settings_for("test", source()));
        ASSERT_TRUE(admin.create_partitions(topic, 3, 30s));
    }
    std::vector<kafka::Record> records;
    for (int i = 0; i < 300; ++i) {
        records.push_back({topic, i % 3, "k" + std::to_string(i), "v" + std::to_string(i), {}, 0});
    }
    produce(source(), records);

    auto expected = records_per_partition(records);
    ++expected[0];  // and the first record
    ASSERT_TRUE(wait_for_records_per_partition(target(), "primary." + topic, expected, 90s))
        << kmirror.log();
    EXPECT_EQ(partition_count(target(), "primary." + topic), 3);
    expect_same_records(read_topic(source(), topic), read_topic(target(), "primary." + topic));
    kmirror.signal(SIGTERM);
    EXPECT_EQ(kmirror.wait_exit(60s), 0) << kmirror.log();
}

TEST(Mirror, CompactedTopicStaysCompactedAndTombstonesStayTombstones) {
    const auto topic = unique_name("compact");
    create_topic(source(), topic, 2,
                 {{"cleanup.policy", "compact"}, {"min.compaction.lag.ms", "60000"}});
    std::vector<kafka::Record> records;
    for (int i = 0; i < 200; ++i) {
        kafka::Record r{topic, i % 2, "key-" + std::to_string(i % 20), std::nullopt, {}, 0};
        if (i % 7 != 0) r.value = "v" + std::to_string(i);  // every 7th: a tombstone
        records.push_back(std::move(r));
    }
    produce(source(), records);

    KmirrorProcess kmirror(flow_config(topic, source(), target(), topic), "compact");
    kmirror.start();
    ASSERT_TRUE(kmirror.wait_ready(60s)) << kmirror.log();
    ASSERT_TRUE(wait_for_records_per_partition(target(), "primary." + topic,
                                               records_per_partition(records), 60s))
        << kmirror.log();

    const auto configs = topic_configs(target(), "primary." + topic);
    EXPECT_EQ(configs.at("cleanup.policy"), "compact");
    EXPECT_EQ(configs.at("min.compaction.lag.ms"), "60000");
    const auto copy = read_topic(target(), "primary." + topic);
    std::size_t tombstones = 0;
    for (const auto& [p, recs] : copy) {
        for (const auto& r : recs) tombstones += r.value ? 0 : 1;
    }
    EXPECT_EQ(tombstones, 29u);  // i = 0, 7, ..., 196
    expect_same_records(read_topic(source(), topic), copy);
    kmirror.signal(SIGTERM);
    EXPECT_EQ(kmirror.wait_exit(60s), 0) << kmirror.log();
}

TEST(Mirror, ConfigSyncSetsChangedKeysDeletesRemovedOnesAndLeavesTargetLocalOnesAlone) {
    // Given a source topic with two overrides and one key that is target-local
    // by default (message.timestamp.type is in config_exclude),
    const auto topic = unique_name("configs");
    const auto copy = "primary." + topic;
    create_topic(source(), topic, 1,
                 {{"retention.ms", "3600000"},
                  {"max.message.bytes", "2000000"},
                  {"message.timestamp.type", "CreateTime"}});
    kafka::Admin source_admin(settings_for("test", source()));
    kafka::Admin target_admin(settings_for("test", target()));
    KmirrorProcess kmirror(
        flow_config(topic, source(), target(), topic, "    config_sync_interval: 500ms\n"),
        "configs");
    kmirror.start();
    ASSERT_TRUE(kmirror.wait_ready(60s)) << kmirror.log();
    // Waits until the copy's own overrides are exactly `overrides`.
    const auto copy_gets = [&](const std::map<std::string, std::string>& overrides,
                               const std::string& what) {
        if (harness::wait_until([&] { return topic_overrides(target_admin, copy) == overrides; },
                                60s, what)) {
            return true;
        }
        ADD_FAILURE() << copy << " has "
                      << ::testing::PrintToString(topic_overrides(target_admin, copy)) << "\n"
                      << kmirror.log();
        return false;
    };
    ASSERT_TRUE(copy_gets({{"max.message.bytes", "2000000"}, {"retention.ms", "3600000"}},
                          "the copy created with the source's configs, minus the excluded key"));

    // when the target topic gets a setting of its own, and the source changes
    // one key and drops another (back to the broker default),
    ASSERT_NO_FATAL_FAILURE(
        alter_configs(target_admin, copy, {{"message.timestamp.type", "LogAppendTime"}}));
    ASSERT_NO_FATAL_FAILURE(alter_configs(
        source_admin, topic, {{"retention.ms", "7200000"}, {"max.message.bytes", std::nullopt}}));

    // then config sync sets the changed key, deletes the dropped one and
    // leaves the target-local one as the target has it.
    ASSERT_TRUE(copy_gets({{"message.timestamp.type", "LogAppendTime"},
                           {"retention.ms", "7200000"}},
                          "the copy in step with the source's new configs"));
    // (logged once the alter call returned: the copy can show the new
    // configs a moment before the line is in the log)
    const auto updated = "updated configs of topic '" + copy +
                         "' on 'dr': set retention.ms=7200000; deleted max.message.bytes";
    EXPECT_TRUE(harness::wait_until(
        [&] { return kmirror.log().find(updated) != std::string::npos; }, 10s, updated))
        << kmirror.log();
    const auto log = kmirror.log();
    std::istringstream lines(log);
    for (std::string line; std::getline(lines, line);) {
        if (line.find("updated configs") == std::string::npos) continue;
        EXPECT_EQ(line.find("message.timestamp.type"), std::string::npos) << line;
    }
    kmirror.signal(SIGTERM);
    EXPECT_EQ(kmirror.wait_exit(60s), 0) << kmirror.log();
}

}  // namespace
}  // namespace kmirror::test
