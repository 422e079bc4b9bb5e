// A source topic deleted and re-created under kmirror, against two real Kafka
// clusters (started once for this binary): issue #11, fault test 9, defect 6.
//
// Kafka deletes the group's offsets with the topic, so only kmirror knows the
// position it mirrored the old topic to (100 in every partition). Resuming
// there would be wrong for the new topic either way: shorter, the broker
// answers "out of range"; longer, its first records are skipped without an
// error. kmirror marks the partitions of a topic that left the source once it
// released them, and treats them, assigned again, as a new topic: a data loss
// event by on_data_loss (stop: the partitions stop; continue: mirrored from
// their first record), never a resume at the old position. The test creates
// the topic again only once kmirror marked every partition, so each run takes
// that path, which it asserts.
//
//   old topic, mirrored and committed:   [0 ............ 99] 100
//   re-created:                          [0 .. 29] 30, later [0 ......... 129] 130
//
// A second topic is mirrored alongside and must never miss a record.

#include <gtest/gtest.h>
#include <signal.h>

#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>
#include <chrono>
#include <iostream>
#include <regex>
#include <sstream>
#include <string>

#include "kafka/consumer.h"
#include "tests/harness/kafka_cluster.h"
#include "tests/harness/prometheus.h"
#include "tests/harness/wait.h"
#include "tests/integration/mirror_fixture.h"

namespace kmirror::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kPartitions = 3;
constexpr int kOldPerPartition = 100;  // the old topic, mirrored completely
constexpr int kNewPerPartition = 30;   // the re-created topic: ends before 100

std::string source() { return harness::source().bootstrap(); }
std::string target() { return harness::target().bootstrap(); }

/// /status of `k`, the partitions of `topic` it owns: partition -> why it
/// stopped ("" while it mirrors).
std::map<std::int32_t, std::string> stop_reasons(const KmirrorProcess& k,
                                                 const std::string& topic) {
    std::map<std::int32_t, std::string> out;
    const auto r = harness::http_get("127.0.0.1:" + std::to_string(k.http_port()), "/status");
    if (!r.ok()) return out;
    boost::property_tree::ptree tree;
    std::istringstream in(r.body);
    boost::property_tree::read_json(in, tree);
    for (const auto& [unused, flow] : tree.get_child("flows")) {
        for (const auto& [unused2, p] : flow.get_child("partitions")) {
            if (p.get<std::string>("topic") != topic) continue;
            const auto why = p.get<std::string>("stopped", "null");
            out[p.get<std::int32_t>("partition")] = why == "null" ? "" : why;
        }
    }
    return out;
}

/// The committed offsets of `group` for each partition of `topic` (-1: none).
std::vector<std::int64_t> group_offsets(const std::string& group, const std::string& topic) {
    kafka::Consumer consumer(settings_for("test", source()),
                             {{"group.id", group}, {"enable.auto.commit", "false"}});
    std::vector<kafka::TopicPartition> tps;
    for (std::int32_t p = 0; p < kPartitions; ++p) tps.push_back({topic, p});
    std::vector<std::int64_t> out;
    if (auto committed = consumer.committed(tps, 10s)) {
        for (const auto& o : committed.value()) out.push_back(o.offset < 0 ? -1 : o.offset);
    }
    return out;
}

std::string printed(const std::vector<std::int64_t>& v) {
    std::string s;
    for (auto o : v) s += (s.empty() ? "" : ",") + std::to_string(o);
    return "[" + s + "]";
}

/// Partitions of deleted `topic` kmirror logged as marked (released, and
/// taken for a new topic when assigned again) in `log` from `from` on.
int partitions_marked(const std::string& log, const std::string& topic, std::size_t from) {
    const std::regex line("([0-9]+) released partition\\(s\\) of deleted topic '" + topic +
                          "' marked");
    const auto tail = log.substr(std::min(from, log.size()));
    int n = 0;
    for (std::sregex_iterator it(tail.begin(), tail.end(), line), end; it != end; ++it) {
        n += std::stoi((*it)[1]);
    }
    return n;
}

void print_tally(const std::string& what, const Tally& t, std::size_t source_records) {
    std::cout << "[ MEASURE  ] " << what << ": " << source_records << " source records, "
              << t.missing << " missing, " << t.duplicates() << " duplicates, " << t.out_of_order
              << " partitions out of order on the target\n";
}

/// Two source topics mirrored by one flow: `recreated`, which is deleted and
/// created again, and `steady`, which must keep mirroring throughout.
class TopicRecreate : public ::testing::Test {
protected:
    void SetUp() override {
        base_ = unique_name("recreate");
        recreated_ = base_ + "-gone";
        steady_ = base_ + "-steady";
        group_ = "kmirror." + base_;
        create_topic(source(), recreated_, kPartitions);
        create_topic(source(), steady_, kPartitions);
    }

    /// Every record of `steady_` so far; ids from `steady_next_` on.
    void produce_steady(int n) {
        produce(source(), numbered(steady_, kPartitions, steady_next_, n));
        steady_next_ += n;
    }

    /// kmirror mirrors both topics, the old `recreated_` completely: its
    /// group offsets are 100 in every partition.
    void start_and_mirror_the_old_topic(KmirrorProcess& kmirror) {
        produce(source(), numbered(recreated_, kPartitions, 0, kPartitions * kOldPerPartition));
        produce_steady(30);
        kmirror.start();
        ASSERT_TRUE(kmirror.wait_ready(60s)) << "exit " << kmirror.wait_exit(0ms) << "\n"
                                              << kmirror.log();
        const std::vector<std::int64_t> old_end(kPartitions, kOldPerPartition);
        ASSERT_TRUE(harness::wait_until([&] { return group_offsets(group_, recreated_) == old_end; },
                                        60s, "the old topic mirrored and committed at 100"))
            << printed(group_offsets(group_, recreated_)) << kmirror.log();
    }

    /// Deletes `recreated_`, waits until kmirror marked its partitions, and
    /// creates it again with `per_partition` records per partition (ids from 1000).
    void delete_and_recreate(KmirrorProcess& kmirror, int per_partition = kNewPerPartition) {
        const auto mark = kmirror.log().size();
        const auto deleted_at = Clock::now();
        {
            kafka::Admin admin(settings_for("test", source()));
            const auto r = admin.delete_topics({recreated_}, 30s);
            ASSERT_EQ(r.size(), 1u);
            ASSERT_FALSE(r[0].error) << r[0].message;
        }
        produce_steady(30);
        ASSERT_TRUE(harness::wait_until(
            [&] { return partitions_marked(kmirror.log(), recreated_, mark) >= kPartitions; },
            60s, "kmirror releasing and marking the deleted topic's partitions"))
            << kmirror.log().substr(mark);
        std::cout << "[ MEASURE  ] deleted topic's partitions released and marked "
                  << seconds_since(deleted_at) << " s after the deletion (refresh_interval 1 s)\n";
        offsets_after_delete_ = group_offsets(group_, recreated_);
        std::cout << "[ MEASURE  ] group offsets of the deleted topic on the source: "
                  << printed(offsets_after_delete_) << " (-1: none)\n";
        // Created again only once the deletion is complete on the broker.
        ASSERT_TRUE(harness::wait_until(
            [&] {
                kafka::Admin admin(settings_for("test", source()));
                const auto r = admin.create_topics({{recreated_, kPartitions, 1, {}}}, 30s);
                return r.size() == 1 && !r[0].error;
            },
            60s, "the topic created again"));
        recreated_at_ = Clock::now();
        produce(source(), numbered(recreated_, kPartitions, 1000, kPartitions * per_partition));
        produce_steady(30);
    }

    /// The log line of the data loss of each partition of `recreated_`, all present.
    [[nodiscard]] bool data_loss_reported(const std::string& log, const std::string& decision,
                                          std::size_t from = 0) const {
        for (std::int32_t p = 0; p < kPartitions; ++p) {
            const auto line = "DATA LOSS on " + recreated_ + "[" + std::to_string(p) +
                              "]: the topic was deleted and created again on the source; every "
                              "record of the deleted topic was mirrored";
            const auto at = log.find(line, from);
            if (at == std::string::npos ||
                log.substr(at, log.find('\n', at) - at).find(decision) == std::string::npos) {
                return false;
            }
        }
        return true;
    }

    /// Metrics show the re-creation: one per partition.
    void expect_recreation_counted(const KmirrorProcess& kmirror) const {
        const auto recreated = metric_value(
            kmirror, "kmirror_consume_errors_total{flow=\"" + base_ + "\",kind=\"topic_recreated\"}");
        EXPECT_EQ(recreated, static_cast<double>(kPartitions));
    }

    /// Every record of source `topic` (`expected` of them) is on the target,
    /// in order; prints the tally with its duplicates.
    static void expect_complete(const std::string& topic, int expected, const std::string& what) {
        const auto src = read_topic(source(), topic);
        const auto t = tally(src, read_topic(target(), "primary." + topic));
        print_tally(what, t, count(src));
        EXPECT_EQ(count(src), static_cast<std::size_t>(expected));
        EXPECT_EQ(t.missing, 0u);
        EXPECT_EQ(t.out_of_order, 0u);
    }

    /// Starts the stopped `kmirror` again once the new topic holds 130 records
    /// per partition: its group offsets reach 130, with no data loss seen (a
    /// resume at the old position, 100, would skip 30..99, or 0..99, silently),
    /// and every record of the new topic is on the target.
    void restart_and_expect_the_new_topic_complete(KmirrorProcess& kmirror,
                                                   const std::string& what) {
        const auto mark = kmirror.log().size();
        kmirror.start();
        ASSERT_TRUE(kmirror.wait_ready(60s)) << kmirror.log().substr(mark);
        const std::vector<std::int64_t> grown_end(kPartitions, kNewPerPartition + 100);
        ASSERT_TRUE(harness::wait_until(
            [&] { return group_offsets(group_, recreated_) == grown_end; }, 60s,
            "the group offsets at the grown topic's end (130)"))
            << printed(group_offsets(group_, recreated_)) << kmirror.log().substr(mark);
        ASSERT_TRUE(wait_for_commits_at_end(source(), group_, steady_, 60s));
        EXPECT_EQ(kmirror.log().find("DATA LOSS", mark), std::string::npos)
            << kmirror.log().substr(mark);
        kmirror.signal(SIGTERM);
        EXPECT_EQ(kmirror.wait_exit(40s), 0);
        expect_complete(recreated_, kPartitions * (kNewPerPartition + 100), what);
        expect_complete(steady_, steady_next_, "steady topic beside it");
    }

    std::string base_;
    std::string recreated_;
    std::string steady_;
    std::string group_;
    int steady_next_ = 0;
    std::vector<std::int64_t> offsets_after_delete_;
    Clock::time_point recreated_at_;
};

TEST_F(TopicRecreate, UnderContinueEveryRecordOfTheNewTopicArrivesAlsoAfterAKillNine) {
    // given kmirror (on_data_loss: continue) that mirrored the old topic to offset 100
    KmirrorProcess kmirror(flow_config(base_, source(), target(), base_ + "-.*",
                                       "    on_data_loss: continue\n"
                                       "    refresh_interval: 1s\n"),
                           "recreate-continue");
    ASSERT_NO_FATAL_FAILURE(start_and_mirror_the_old_topic(kmirror));

    // when the topic is deleted and created again with 30 records per partition
    ASSERT_NO_FATAL_FAILURE(delete_and_recreate(kmirror));

    // then the loss is reported per partition and mirroring goes on from offset 0
    ASSERT_TRUE(harness::wait_until(
        [&] {
            return data_loss_reported(kmirror.log(), "mirroring the new topic from its first record");
        },
        60s, "DATA LOSS ... deleted and created again ... mirroring the new topic, for every partition"))
        << kmirror.log();
    std::cout << "[ MEASURE  ] data loss reported " << seconds_since(recreated_at_)
              << " s after the topic was created again\n";
    expect_recreation_counted(kmirror);
    // and the group's offsets follow the new topic: exactly its end, not the old 100
    const std::vector<std::int64_t> new_end(kPartitions, kNewPerPartition);
    ASSERT_TRUE(harness::wait_until([&] { return group_offsets(group_, recreated_) == new_end; },
                                    60s, "the group offsets at the new topic's end (30)"))
        << printed(group_offsets(group_, recreated_)) << kmirror.log();
    std::cout << "[ MEASURE  ] new topic mirrored and committed at its end "
              << seconds_since(recreated_at_) << " s after it was created again\n";
    expect_complete(recreated_, kPartitions * kNewPerPartition,
                    "re-created topic (the target also holds the old topic's 300)");
    // Nothing of the old topic was unmirrored, so nothing counts as lost.
    EXPECT_EQ(metric_value(kmirror, "kmirror_records_lost_total{flow=\"" + base_ + "\",topic=\"" +
                                        recreated_ + "\"}"),
              0.0);

    // when kmirror is killed, and the new topic grows past the old position
    // (a restart at offset 100 would skip 30..99 without any error)
    kmirror.signal(SIGKILL);
    ASSERT_EQ(kmirror.wait_exit(10s), 128 + SIGKILL);
    produce(source(), numbered(recreated_, kPartitions, 3000, kPartitions * 100));
    produce_steady(30);

    // then the restart resumes at 30: every record arrives, and no loss is seen
    ASSERT_NO_FATAL_FAILURE(
        restart_and_expect_the_new_topic_complete(kmirror, "re-created topic after kill -9"));
}

TEST_F(TopicRecreate, ANewTopicLongerThanTheOldPositionIsMirroredFromItsFirstRecord) {
    // given kmirror (on_data_loss: continue) that mirrored the old topic to offset 100
    KmirrorProcess kmirror(flow_config(base_, source(), target(), base_ + "-.*",
                                       "    on_data_loss: continue\n"
                                       "    refresh_interval: 1s\n"),
                           "recreate-longer");
    ASSERT_NO_FATAL_FAILURE(start_and_mirror_the_old_topic(kmirror));

    // when the topic is created again with 150 records per partition before
    // kmirror gets it back: resuming at the old position, 100, would find
    // records there and skip 0..99 without any error
    constexpr int kLonger = 150;
    ASSERT_NO_FATAL_FAILURE(delete_and_recreate(kmirror, kLonger));

    // then the re-creation is reported and the new topic arrives whole
    ASSERT_TRUE(harness::wait_until(
        [&] {
            return data_loss_reported(kmirror.log(), "mirroring the new topic from its first record");
        },
        60s, "DATA LOSS ... deleted and created again ... mirroring the new topic, for every partition"))
        << kmirror.log();
    const std::vector<std::int64_t> new_end(kPartitions, kLonger);
    ASSERT_TRUE(harness::wait_until([&] { return group_offsets(group_, recreated_) == new_end; },
                                    60s, "the group offsets at the new topic's end (150)"))
        << printed(group_offsets(group_, recreated_)) << kmirror.log();
    kmirror.signal(SIGTERM);
    EXPECT_EQ(kmirror.wait_exit(40s), 0);
    expect_complete(recreated_, kPartitions * kLonger, "re-created topic longer than the old one");
    expect_complete(steady_, steady_next_, "steady topic beside it");
}

TEST_F(TopicRecreate, UnderStopItsPartitionsStopAreShownAndNoLongerFetchedWhileOthersMirror) {
    // given kmirror (on_data_loss: stop, the default) logging librdkafka's
    // fetches, that mirrored the old topic to offset 100
    auto config = flow_config(base_, source(), target(), base_ + "-.*", "    refresh_interval: 1s\n");
    config = std::regex_replace(config, std::regex(R"re(primary: \{ bootstrap: "([^"]+)" \})re"),
                                R"re(primary: { bootstrap: "$1", properties: { debug: fetch } })re");
    config = std::regex_replace(config, std::regex(R"(log: \{ level: [a-z]+ \})"),
                                "log: { level: debug }");
    KmirrorProcess kmirror(config, "recreate-stop");
    ASSERT_NO_FATAL_FAILURE(start_and_mirror_the_old_topic(kmirror));

    // when the topic is deleted and created again with 30 records per partition
    ASSERT_NO_FATAL_FAILURE(delete_and_recreate(kmirror));

    // then every partition of it stops, with the reason in the log, /status and metrics
    ASSERT_TRUE(harness::wait_until(
        [&] { return data_loss_reported(kmirror.log(), "partition stopped (on_data_loss: stop"); },
        60s, "DATA LOSS ... deleted and created again ... stopped, for every partition"))
        << kmirror.log();
    std::cout << "[ MEASURE  ] data loss reported " << seconds_since(recreated_at_)
              << " s after the topic was created again\n";
    ASSERT_TRUE(harness::wait_until(
        [&] {
            const auto log = kmirror.log();
            for (std::int32_t p = 0; p < kPartitions; ++p) {
                // Stopped as it is assigned, so paused before its first fetch.
                const auto paused =
                    recreated_ + "[" + std::to_string(p) + "] stays stopped until kmirror restarts";
                if (log.find(paused) == std::string::npos) return false;
            }
            return true;
        },
        30s, "kmirror pausing the stopped partitions"))
        << kmirror.log();
    const auto reasons = stop_reasons(kmirror, recreated_);
    ASSERT_EQ(reasons.size(), static_cast<std::size_t>(kPartitions));
    for (const auto& [p, why] : reasons) {
        EXPECT_NE(why.find("data loss: the topic was deleted and created again on the source"),
                  std::string::npos)
            << "partition " << p << ": \"" << why << "\"";
    }
    for (const auto& [p, why] : stop_reasons(kmirror, steady_)) {
        EXPECT_EQ(why, "") << "steady partition " << p;
    }
    EXPECT_EQ(metric_value(kmirror, "kmirror_partitions_stopped{flow=\"" + base_ + "\"}"),
              static_cast<double>(kPartitions));
    expect_recreation_counted(kmirror);

    // and they are no longer fetched: records written to them now never reach
    // the target, kmirror's counters for the topic stay, librdkafka fetches
    // only the steady topic, whose records all arrive
    const auto records_series =
        "kmirror_records_total{flow=\"" + base_ + "\",topic=\"" + recreated_ + "\"}";
    // (the counter as it stands: read, and the old topic's 300 records in it)
    const auto mirrored_before = metric_value(kmirror, records_series);
    ASSERT_TRUE(mirrored_before.has_value()) << records_series << " not in /metrics";
    ASSERT_GE(*mirrored_before, kPartitions * kOldPerPartition) << records_series;
    const auto mark = kmirror.log().size();
    // (100 per partition: the topic grows past the old position, 100)
    produce(source(), numbered(recreated_, kPartitions, 2000, kPartitions * 100));
    produce_steady(60);
    ASSERT_TRUE(wait_for_commits_at_end(source(), group_, steady_, 60s)) << kmirror.log();
    ASSERT_TRUE(harness::wait_until(
        [&] {
            return count(read_topic(target(), "primary." + steady_)) >=
                   static_cast<std::size_t>(steady_next_);
        },
        30s, "the steady topic's records on the target"));
    const auto mirrored_after = metric_value(kmirror, records_series);
    ASSERT_TRUE(mirrored_after.has_value()) << records_series << " not in /metrics";
    EXPECT_EQ(*mirrored_after, *mirrored_before);
    EXPECT_EQ(count(read_topic(target(), "primary." + recreated_)),
              static_cast<std::size_t>(kPartitions * kOldPerPartition))
        << "records of the stopped partitions reached the target";
    const auto fetches = kmirror.log().substr(mark);
    EXPECT_NE(fetches.find("Fetch topic " + steady_ + " [0] at offset"), std::string::npos)
        << "librdkafka's fetch log does not show fetches at all";
    for (std::int32_t p = 0; p < kPartitions; ++p) {
        EXPECT_EQ(fetches.find("Fetch topic " + recreated_ + " [" + std::to_string(p) + "]"),
                  std::string::npos)
            << "stopped partition " << p << " is still fetched";
    }
    // and no commit passes what the target has of the new topic: nothing
    // (before the fix: 100, the old topic's position)
    const auto committed = group_offsets(group_, recreated_);
    std::cout << "[ MEASURE  ] group offsets of the stopped re-created topic: " << printed(committed)
              << "\n";
    // (one answer per partition: an empty one means the request failed)
    EXPECT_EQ(committed, std::vector<std::int64_t>(kPartitions, -1)) << printed(committed);

    // when kmirror restarts (SIGTERM, start)
    kmirror.signal(SIGTERM);
    EXPECT_EQ(kmirror.wait_exit(40s), 0) << kmirror.log().substr(mark);

    // then the group holds no offset of the new topic, so it is mirrored from
    // its first record: nothing of it is skipped
    ASSERT_NO_FATAL_FAILURE(
        restart_and_expect_the_new_topic_complete(kmirror, "re-created topic after the restart"));
}

}  // namespace
}  // namespace kmirror::test
