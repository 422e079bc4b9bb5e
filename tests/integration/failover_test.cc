// Offset translation end to end, against two real Kafka clusters: a consumer
// group reads part of a topic on the source and commits; kmirror mirrors the
// topic; `kmirror failover --execute` writes the group's translated offsets
// into the target; a consumer of the same group on the target must then get
// exactly the records it had not read on the source: none twice, none lost.

#include <librdkafka/rdkafka.h>

#include <gtest/gtest.h>

// boost::property_tree includes boost/bind.hpp, which wants this said.
#define BOOST_BIND_GLOBAL_PLACEHOLDERS
#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "checkpoints/mm2_records.h"
#include "checkpoints/offset_range_store.h"
#include "kafka/consumer.h"
#include "kafka/error.h"
#include "kafka/producer.h"
#include "tests/harness/command.h"
#include "tests/harness/kafka_cluster.h"
#include "tests/harness/wait.h"
#include "tests/integration/mirror_fixture.h"

namespace kmirror::test {
namespace {

using namespace std::chrono_literals;

std::string source() { return harness::source().bootstrap(); }
std::string target() { return harness::target().bootstrap(); }

/// Writes records "v<from>".."v<to - 1>" to `topic`, round robin over its partitions.
void produce_numbered(const std::string& topic, int partitions, int from, int to) {
    std::vector<kafka::Record> records;
    for (int i = from; i < to; ++i) {
        records.push_back({topic, i % partitions, {}, "v" + std::to_string(i), {}, 0});
    }
    produce(source(), records);
}

/// A config for one flow, with fast commits and checkpoints, and a short
/// connect timeout so a stopped source is noticed quickly.
std::string failover_config(const std::string& flow, const std::string& include,
                            const std::string& extra = "") {
    return flow_config(flow, source(), target(), include,
                       "    commit_interval: 200ms\n"
                       "    checkpoint_interval: 1s\n"
                       "    offset_sync_interval: 500ms\n" +
                           extra) +
           "connect_timeout: 5s\n";
}

/// What a consumer read: values by partition, in order.
using Values = std::map<std::int32_t, std::vector<std::string>>;

std::string value_of(const kafka::Message& m) {
    const auto v = kafka::as_chars(m.value());
    return v ? std::string(*v) : std::string("<null>");
}

/// Reads `topic` in group `group` from `start` offsets (kOffsetInvalid: the
/// group's committed offset) to the end of every partition (read_committed).
Values read_in_group(const std::string& bootstrap, const std::string& group,
                     const std::string& topic, const std::map<std::int32_t, std::int64_t>& start) {
    kafka::Consumer consumer(settings_for("test", bootstrap),
                             {{"group.id", group},
                              {"enable.auto.commit", "false"},
                              {"enable.partition.eof", "true"},
                              {"auto.offset.reset", "error"},
                              {"isolation.level", "read_committed"}});
    std::vector<kafka::TopicPartitionOffset> assignment;
    for (const auto& [p, offset] : start) assignment.push_back({topic, p, offset});
    EXPECT_TRUE(consumer.assign(assignment));
    Values out;
    std::set<std::int32_t> done;
    const auto deadline = deadline_in(60s);
    while (done.size() < start.size() && std::chrono::steady_clock::now() < deadline) {
        auto m = consumer.poll(200ms);
        if (!m) continue;
        if (m.error()) {
            if (kafka::is(m.error(), RD_KAFKA_RESP_ERR__PARTITION_EOF)) {
                done.insert(m.partition());
                continue;
            }
            ADD_FAILURE() << "reading " << topic << " in group " << group << ": "
                          << m.error_message();
            break;
        }
        out[m.partition()].push_back(value_of(m));
    }
    EXPECT_EQ(done.size(), start.size()) << "did not reach the end of " << topic;
    consumer.close(5s);
    return out;
}

/// A group on the source reads the first `counts[p]` records of partition p
/// (from the beginning) and commits its position, as an application would.
Values consume_and_commit(const std::string& group, const std::string& topic,
                          const std::map<std::int32_t, int>& counts) {
    kafka::Consumer consumer(settings_for("test", source()),
                             {{"group.id", group},
                              {"enable.auto.commit", "false"},
                              {"enable.partition.eof", "true"},
                              {"isolation.level", "read_committed"}});
    std::vector<kafka::TopicPartitionOffset> assignment;
    for (const auto& [p, n] : counts) assignment.push_back({topic, p, kafka::kOffsetBeginning});
    EXPECT_TRUE(consumer.assign(assignment));
    Values read;
    std::map<std::int32_t, std::int64_t> position;
    std::set<std::int32_t> done;
    for (const auto& [p, n] : counts) {
        if (n > 0) continue;
        done.insert(p);
        position[p] = 0;  // assigned, read nothing: commits its start
    }
    const auto deadline = deadline_in(60s);
    while (done.size() < counts.size() && std::chrono::steady_clock::now() < deadline) {
        auto m = consumer.poll(200ms);
        if (!m || m.error() || done.contains(m.partition())) continue;
        read[m.partition()].push_back(value_of(m));
        position[m.partition()] = m.offset() + 1;
        if (static_cast<int>(read[m.partition()].size()) == counts.at(m.partition())) {
            done.insert(m.partition());
        }
    }
    EXPECT_EQ(done.size(), counts.size()) << "could not read the requested records";
    std::vector<kafka::TopicPartitionOffset> commit;
    for (const auto& [p, offset] : position) commit.push_back({topic, p, offset});
    EXPECT_TRUE(consumer.commit(commit, false));
    consumer.close(5s);
    return read;
}

/// Every value of `topic` on the source (read_committed).
Values all_values(const std::string& topic, int partitions) {
    std::map<std::int32_t, std::int64_t> start;
    for (int p = 0; p < partitions; ++p) start[p] = kafka::kOffsetBeginning;
    return read_in_group(source(), unique_name("all"), topic, start);
}

/// Asserts that `before` (read on the source) followed by `after` (read on
/// the target after failover) is exactly `all`, partition by partition.
void expect_exactly_the_rest(const Values& all, const Values& before, const Values& after) {
    for (const auto& [p, values] : all) {
        const auto& b = before.contains(p) ? before.at(p) : std::vector<std::string>{};
        const auto& a = after.contains(p) ? after.at(p) : std::vector<std::string>{};
        std::vector<std::string> joined = b;
        joined.insert(joined.end(), a.begin(), a.end());
        ASSERT_EQ(joined.size(), values.size())
            << "partition " << p << ": read " << b.size() << " on the source and " << a.size()
            << " on the target, of " << values.size()
            << (joined.size() > values.size() ? " (duplicates)" : " (records missing)");
        EXPECT_EQ(joined, values) << "partition " << p;
    }
}

/// Runs `kmirror failover --execute` for one group and expects success.
void fail_over(const KmirrorProcess& kmirror, const std::string& flow, const std::string& group) {
    auto [code, output] = run_kmirror({"failover", "-c", kmirror.config_path(), "--flow", flow,
                                       "--group", group, "--execute"});
    ASSERT_EQ(code, 0) << output;
    std::cout << output;
}

std::map<std::int32_t, std::int64_t> from_committed(int partitions) {
    std::map<std::int32_t, std::int64_t> start;
    for (int p = 0; p < partitions; ++p) start[p] = kafka::kOffsetInvalid;
    return start;
}

/// Mirrors until everything written so far is on the target and committed.
void mirror_all(KmirrorProcess& kmirror, const std::string& flow, const std::string& topic) {
    kmirror.start();
    ASSERT_TRUE(kmirror.wait_ready(60s)) << kmirror.log();
    ASSERT_TRUE(wait_for_commits_at_end(source(), "kmirror." + flow, topic, 120s))
        << kmirror.log();
}

void stop(KmirrorProcess& kmirror) {
    kmirror.signal(SIGTERM);
    EXPECT_EQ(kmirror.wait_exit(60s), 0) << kmirror.log();
}

TEST(Failover, PlainTopicResumesOnTheTargetExactlyWhereTheGroupStopped) {
    // given 3 partitions of 200 records, and a group that read 0, 57 and 200 of them
    const auto topic = unique_name("plain");
    create_topic(source(), topic, 3);
    std::vector<kafka::Record> records;
    for (int i = 0; i < 600; ++i) {
        records.push_back({topic, i % 3, "k" + std::to_string(i), "v" + std::to_string(i), {}, 0});
    }
    produce(source(), records);
    const auto group = unique_name("app");
    const auto before = consume_and_commit(group, topic, {{0, 0}, {1, 57}, {2, 200}});

    // when kmirror mirrors the topic and the group fails over
    KmirrorProcess kmirror(failover_config(topic, topic), "plain");
    mirror_all(kmirror, topic, topic);
    stop(kmirror);
    fail_over(kmirror, topic, group);

    // then the group on the target reads exactly what it had not read
    const auto after = read_in_group(target(), group, "primary." + topic, from_committed(3));
    expect_exactly_the_rest(all_values(topic, 3), before, after);
    // and --all-groups (dry run) finds the group among the flow's groups
    {
        auto [code, output] = run_kmirror({"failover", "-c", kmirror.config_path(), "--flow",
                                           topic, "--all-groups", "--format", "json"});
        EXPECT_EQ(code, 0) << output;
        EXPECT_NE(output.find("\"group\":\"" + group + "\""), std::string::npos) << output;
        EXPECT_NE(output.find("\"executed\":false"), std::string::npos) << output;
    }
    // and a group that never committed is a clear error, not an empty answer
    for (const char* command : {"translate", "failover"}) {
        auto [code, output] = run_kmirror({command, "-c", kmirror.config_path(), "--flow", topic,
                                           "--group", "no-such-group"});
        EXPECT_EQ(code, 1) << output;
        EXPECT_NE(output.find("group 'no-such-group' has no committed offsets"), std::string::npos)
            << output;
    }
}

TEST(Failover, CompactedTopicWithGapsResumesExactly) {
    // given a compacted topic whose first records were compacted away on the
    // source, so its offsets have gaps (each key written twice, then unique keys)
    const auto topic = unique_name("compacted");
    create_topic(source(), topic, 2,
                 {{"cleanup.policy", "compact"},
                  {"segment.ms", "100"},
                  {"min.cleanable.dirty.ratio", "0.01"},
                  {"delete.retention.ms", "100"}});
    auto write_round = [&](const std::string& round, bool unique_keys) {
        std::vector<kafka::Record> records;
        for (int i = 0; i < 100; ++i) {
            const auto key = unique_keys ? round + "-" + std::to_string(i) : "k" + std::to_string(i);
            records.push_back({topic, i % 2, key, round + "-" + std::to_string(i), {}, 0});
        }
        produce(source(), records);
    };
    write_round("a", false);
    write_round("b", false);
    ASSERT_TRUE(harness::wait_until(
        [&] {
            // Each round rolls the segment before it (segment.ms), so the
            // cleaner may compact round a (its keys were written again in b).
            write_round(unique_name("c"), true);
            const auto all = read_topic(source(), topic);
            return !all.empty() && all.at(0).size() > 0 && all.at(0).front().offset > 0;
        },
        90s, "the source cleaner compacting the first round away"));

    const auto group = unique_name("app");
    const auto before = consume_and_commit(group, topic, {{0, 37}, {1, 81}});
    KmirrorProcess kmirror(failover_config(topic, topic), "compacted");
    mirror_all(kmirror, topic, topic);
    stop(kmirror);
    fail_over(kmirror, topic, group);

    const auto after = read_in_group(target(), group, "primary." + topic, from_committed(2));
    expect_exactly_the_rest(all_values(topic, 2), before, after);
}

/// Writes `batches` transactions of `per_batch` records to partition p of
/// `topic`, aborting every third one, with a transactional librdkafka producer.
void produce_transactions(const std::string& topic, int partitions, int batches, int per_batch) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    ASSERT_EQ(rd_kafka_conf_set(conf, "bootstrap.servers", source().c_str(), err, sizeof err),
              RD_KAFKA_CONF_OK);
    ASSERT_EQ(rd_kafka_conf_set(conf, "transactional.id", unique_name("txn").c_str(), err,
                                sizeof err),
              RD_KAFKA_CONF_OK);
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    ASSERT_NE(rk, nullptr) << err;
    auto check = [&](rd_kafka_error_t* e, const char* what) {
        if (!e) return true;
        ADD_FAILURE() << what << ": " << rd_kafka_error_string(e);
        rd_kafka_error_destroy(e);
        return false;
    };
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
    bool ok = check(rd_kafka_init_transactions(rk, 30000), "init_transactions");
    for (int b = 0; ok && b < batches; ++b) {
        const bool abort = b % 3 == 1;
        ok = check(rd_kafka_begin_transaction(rk), "begin_transaction");
        for (int i = 0; ok && i < per_batch; ++i) {
            const std::string value =
                (abort ? "aborted-" : "committed-") + std::to_string(b) + "-" + std::to_string(i);
            ok = rd_kafka_produce(rkt, i % partitions, RD_KAFKA_MSG_F_COPY,
                                  const_cast<char*>(value.data()), value.size(), nullptr, 0,
                                  nullptr) == 0;
        }
        if (!ok) break;
        // Aborted records must reach the log (they are the gaps under test):
        // without a flush, abort would just drop them from the queue.
        if (abort) ok = rd_kafka_flush(rk, 30000) == RD_KAFKA_RESP_ERR_NO_ERROR;
        if (!ok) break;
        ok = abort ? check(rd_kafka_abort_transaction(rk, 30000), "abort_transaction")
                   : check(rd_kafka_commit_transaction(rk, 30000), "commit_transaction");
    }
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
}

TEST(Failover, TransactionalTopicWithAbortedTransactionsResumesExactly) {
    // given a topic written in transactions, every third one aborted: its
    // committed records have gaps (aborted records and transaction markers)
    const auto topic = unique_name("txn");
    create_topic(source(), topic, 2);
    produce_transactions(topic, 2, 12, 20);
    const auto all = all_values(topic, 2);
    for (const auto& [p, values] : all) {
        for (const auto& v : values) ASSERT_EQ(v.find("aborted"), std::string::npos) << v;
    }
    // and a group (read_committed) that read some of each partition
    const auto group = unique_name("app");
    const auto before = consume_and_commit(group, topic, {{0, 23}, {1, 40}});

    KmirrorProcess kmirror(failover_config(topic, topic), "txn");
    kmirror.start();
    ASSERT_TRUE(kmirror.wait_ready(60s)) << kmirror.log();
    // (the end of a transactional partition is a marker, never committed past
    // by a reader: wait for the records instead)
    std::map<std::int32_t, std::size_t> committed_per_partition;
    for (const auto& [p, values] : all) committed_per_partition[p] = values.size();
    ASSERT_TRUE(wait_for_records_per_partition(target(), "primary." + topic,
                                               committed_per_partition, 120s))
        << kmirror.log();
    stop(kmirror);
    fail_over(kmirror, topic, group);

    const auto after = read_in_group(target(), group, "primary." + topic, from_committed(2));
    expect_exactly_the_rest(all, before, after);
}

TEST(Failover, AfterKillNineTranslationIsNeverAheadAndSaysConservative) {
    // given a partition of 2000 records "v<source offset>", mirrored by a
    // kmirror that commits its progress rarely and is then killed with -9
    const auto topic = unique_name("kill9");
    create_topic(source(), topic, 1);
    produce_numbered(topic, 1, 0, 2000);
    KmirrorProcess kmirror(flow_config(topic, source(), target(), topic,
                                       "    commit_interval: 10m\n"
                                       "    checkpoint_interval: 1s\n"),
                           "kill9");
    kmirror.start();
    ASSERT_TRUE(kmirror.wait_ready(60s)) << kmirror.log();
    ASSERT_TRUE(wait_for_records(target(), "primary." + topic, 2000, 120s)) << kmirror.log();
    // (the store is flushed every second: wait until it knows every record)
    ASSERT_TRUE(harness::wait_until(
        [&] {
            commit_offsets(source(), "probe-" + topic, topic, {{0, 2000}});
            auto t = translate(kmirror, topic, "probe-" + topic);
            return t.contains(0) && t[0].exactness == "exact" && t[0].target_offset == 2000;
        },
        30s, "the store to hold every acknowledged record"));
    kmirror.signal(SIGKILL);
    kmirror.wait_exit(30s);

    // when it restarts and copies the uncommitted records again (duplicates)
    kmirror.start();
    ASSERT_TRUE(kmirror.wait_ready(60s)) << kmirror.log();
    // (nothing was committed before the kill: the copy ends with a second pass)
    ASSERT_TRUE(harness::wait_until(
        [&] {
            const auto now = read_topic(target(), "primary." + topic);
            return now.contains(0) && now.at(0).size() > 2000 &&
                   now.at(0).back().value == "v1999";
        },
        120s, "the records copied again after the restart"))
        << kmirror.log();
    stop(kmirror);
    const auto copies = read_topic(target(), "primary." + topic).at(0);
    ASSERT_GT(copies.size(), 2000u) << "no duplicates: the test proves nothing";
    std::vector<std::int64_t> source_of;  // by target offset
    for (const auto& r : copies) source_of.push_back(std::stoll(r.value->substr(1)));

    // then for committed offsets all along the partition, the translation
    // never skips a record at or after the committed offset, and it is only
    // "exact" where no record before it is read again
    int conservative = 0;
    for (const std::int64_t committed : {0, 1, 500, 1234, 1999, 2000}) {
        SCOPED_TRACE("committed " + std::to_string(committed));
        const auto group = unique_name("g");
        commit_offsets(source(), group, topic, {{0, committed}});
        auto t = translate(kmirror, topic, group);
        ASSERT_TRUE(t.contains(0));
        const auto tr = t[0];
        ASSERT_GE(tr.target_offset, 0);
        std::set<std::int64_t> reached;
        std::int64_t rereads = 0;
        for (std::size_t at = static_cast<std::size_t>(tr.target_offset); at < source_of.size(); ++at) {
            if (source_of[at] >= committed) reached.insert(source_of[at]);
            if (source_of[at] < committed) ++rereads;
        }
        EXPECT_EQ(reached.size(), static_cast<std::size_t>(2000 - committed))
            << "translation to " << tr.target_offset << " skips records";
        if (rereads > 0) {
            EXPECT_EQ(tr.exactness, "conservative");
            EXPECT_EQ(tr.rereads, rereads);
            ++conservative;
        } else {
            EXPECT_EQ(tr.exactness, "exact");
        }
    }
    EXPECT_GT(conservative, 0);
}

/// The newest checkpoint of `group` per partition in the target's checkpoints topic.
std::map<std::int32_t, checkpoints::Checkpoint> checkpoints_of(const std::string& group) {
    return read_checkpoints(target(), "primary", group);
}

/// Waits until the checkpoints of `group` carry exactly `committed`.
bool checkpoints_reach(const std::string& group, const std::map<std::int32_t, std::int64_t>& committed) {
    return harness::poll_until(
        [&] {
            const auto cps = checkpoints_of(group);
            for (const auto& [p, offset] : committed) {
                auto it = cps.find(p);
                if (it == cps.end() || it->second.upstream.value() != offset) return false;
            }
            return true;
        },
        60s);
}

/// MM2's RemoteClusterUtils.translateOffsets on the target's checkpoints, by partition.
std::map<std::int32_t, std::int64_t> mm2_translation(const std::string& group,
                                                     const std::string& target_topic) {
    const auto mm2 = harness::run_command(
        harness::shell_join({std::string(KMIRROR_SOURCE_DIR) + "/tests/harness/mm2-client.sh",
                             "translate", "--bootstrap", target(), "--source-alias", "primary",
                             "--group", group}) + " 2>/dev/null",
        {.timeout = 120s});
    EXPECT_EQ(mm2.exit_code, 0) << mm2.output;
    std::map<std::int32_t, std::int64_t> out;
    std::istringstream lines(mm2.output);
    for (std::string t; std::getline(lines, t);) {
        std::istringstream words(t);
        std::string name;
        std::int32_t p = 0;
        std::int64_t offset = 0;
        if (words >> name >> p >> offset && name == target_topic) out[p] = offset;
    }
    return out;
}

TEST(Failover, MirrorMakerClientReadsTheSameTranslationFromCheckpointsAndOffsetSyncs) {
    // given a mirrored topic and a group that committed on the source
    const auto topic = unique_name("mm2client");
    create_topic(source(), topic, 2);
    produce_numbered(topic, 2, 0, 400);
    const auto group = unique_name("app");
    consume_and_commit(group, topic, {{0, 33}, {1, 150}});
    KmirrorProcess kmirror(failover_config(topic, topic), "mm2client");
    mirror_all(kmirror, topic, topic);
    // (the group's offsets as committed by consume_and_commit)
    ASSERT_TRUE(checkpoints_reach(group, {{0, 33}, {1, 150}})) << kmirror.log();
    stop(kmirror);
    const auto ours = translate(kmirror, topic, group);

    // when MM2's RemoteClusterUtils.translateOffsets reads the checkpoints
    const auto theirs = mm2_translation(group, "primary." + topic);
    // then it finds kmirror's translation for every partition
    ASSERT_EQ(theirs.size(), 2u);
    // (the topic was copied once, so each source offset is the same target
    // offset: the group resumes at 33 and 150, whatever either tool says)
    const std::map<std::int32_t, std::int64_t> committed{{0, 33}, {1, 150}};
    for (const auto& [p, offset] : theirs) {
        EXPECT_EQ(offset, committed.at(p)) << "MM2's translation of partition " << p;
        ASSERT_TRUE(ours.contains(p)) << "kmirror translate has no partition " << p;
        EXPECT_EQ(offset, ours.at(p).target_offset) << p;
    }

    // and every offset sync MM2's OffsetSync decoder reads matches kmirror's store exactly
    const auto syncs = harness::run_command(
        harness::shell_join({std::string(KMIRROR_SOURCE_DIR) + "/tests/harness/mm2-client.sh",
                             "offset-syncs", "--bootstrap", source(), "--topic",
                             checkpoints::offset_syncs_topic("dr")}) + " 2>/dev/null",
        {.timeout = 120s});
    ASSERT_EQ(syncs.exit_code, 0) << syncs.output;
    auto store = checkpoints::OffsetRangeStore::open(kmirror.state_path());
    ASSERT_TRUE(store) << store.error().message();
    int checked = 0;
    std::istringstream sync_lines(syncs.output);
    for (std::string t; std::getline(sync_lines, t);) {
        std::istringstream words(t);
        std::string name;
        std::int32_t p = 0;
        std::int64_t upstream = 0;
        std::int64_t downstream = 0;
        if (!(words >> name >> p >> upstream >> downstream) || name != topic) continue;
        // (copied once: every sync pairs an offset with itself)
        EXPECT_EQ(downstream, upstream) << t;
        const auto tr = store.value()->translate(topic, topic, p, SourceOffset(upstream));
        EXPECT_EQ(tr.exactness, checkpoints::Exactness::exact) << t;
        EXPECT_EQ(tr.offset.value(), downstream) << t;
        ++checked;
    }
    EXPECT_GE(checked, 2) << syncs.output;
}

TEST(Failover, SyncedGroupOffsetsFollowSourceCommitsButNeverAnActiveOrNewerTargetGroup) {
    const auto topic = unique_name("gsync");
    create_topic(source(), topic, 1);
    produce_numbered(topic, 1, 0, 300);
    KmirrorProcess kmirror(failover_config(topic, topic, "    sync_group_offsets: true\n"),
                           "gsync");
    mirror_all(kmirror, topic, topic);
    kafka::Admin target_admin(settings_for("test", target()));
    // -1: the group has no offset for the partition; -2: the request failed
    // (a test of "not overwritten" must tell these apart: see `active` below).
    auto target_offset = [&](const std::string& group) -> std::int64_t {
        auto offsets = target_admin.list_group_offsets(group, 10s);
        if (!offsets) return -2;
        for (const auto& o : offsets.value()) {
            if (o.topic == "primary." + topic && o.partition == 0) return o.offset;
        }
        return -1;
    };

    // a commit on the source shows, translated, in the same group on the target
    const auto group = unique_name("app");
    const auto committed_at = std::chrono::steady_clock::now();
    commit_offsets(source(), group, topic, {{0, 120}});
    ASSERT_TRUE(harness::wait_until([&] { return target_offset(group) == 120; }, 30s,
                                    "the commit synced to the target group"))
        << kmirror.log();
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - committed_at);
    std::cout << "[ MEASURE  ] source commit to target group offset: " << took.count() << " ms\n";
    RecordProperty("group_sync_ms", static_cast<int>(took.count()));

    // a group that committed further on the target itself is not moved back
    // (a control group committed after it is synced: so was this commit)
    commit_offsets(target(), group, "primary." + topic, {{0, 250}});
    commit_offsets(source(), group, topic, {{0, 130}});
    const auto control = unique_name("control");
    commit_offsets(source(), control, topic, {{0, 131}});
    ASSERT_TRUE(checkpoints_reach(group, {{0, 130}}));
    ASSERT_TRUE(harness::wait_until([&] { return target_offset(control) == 131; }, 30s,
                                    "the control group synced"));
    EXPECT_EQ(target_offset(group), 250);

    // and a group with an active consumer on the target is left alone
    const auto active = unique_name("active");
    kafka::Consumer member(settings_for("test", target()),
                           {{"group.id", active}, {"enable.auto.commit", "false"}});
    ASSERT_TRUE(member.subscribe({"primary." + topic}));
    ASSERT_TRUE(harness::wait_until(
        [&] {
            (void)member.poll(100ms);
            auto d = target_admin.describe_groups({active}, 5s);
            return d && !d.value().empty() && !d.value()[0].members.empty();
        },
        30s, "the consumer to join its group on the target"));
    commit_offsets(source(), active, topic, {{0, 140}});
    const auto control2 = unique_name("control");
    commit_offsets(source(), control2, topic, {{0, 141}});
    ASSERT_TRUE(checkpoints_reach(active, {{0, 140}}));
    ASSERT_TRUE(harness::wait_until(
        [&] {
            (void)member.poll(100ms);
            return target_offset(control2) == 141;
        },
        30s, "the control group synced"));
    // (it never committed on the target, nor on the source before 140)
    EXPECT_EQ(target_offset(active), -1) << "an active group's offsets were overwritten "
                                            "(-2: the offsets could not be listed)";
    // kmirror failover refuses it too, and says why
    {
        auto [code, output] = run_kmirror({"failover", "-c", kmirror.config_path(), "--flow",
                                           topic, "--group", active, "--execute"});
        EXPECT_EQ(code, 1) << output;
        EXPECT_NE(output.find("active member"), std::string::npos) << output;
        (void)member.poll(100ms);
    }
    member.close(5s);
    stop(kmirror);
}

TEST(Failover, AnInstanceWithoutLocalHistoryRebuildsFromTheOffsetSyncs) {
    // given a partition mirrored by one kmirror, whose offset syncs are on the source
    const auto topic = unique_name("rebuild");
    create_topic(source(), topic, 1);
    produce_numbered(topic, 1, 0, 300);
    KmirrorProcess first(failover_config(topic, topic), "rebuild-a");
    mirror_all(first, topic, topic);
    stop(first);
    const auto group = unique_name("app");
    commit_offsets(source(), group, topic, {{0, 299}});
    {
        // (the first instance translates 299 exactly from its own ranges)
        const auto t = translate(first, topic, group);
        ASSERT_TRUE(t.contains(0));
        ASSERT_EQ(t.at(0).exactness, "exact");
    }

    // when the flow moves to an instance with an empty state file
    KmirrorProcess second(failover_config(topic, topic), "rebuild-b");
    ASSERT_NE(second.state_path(), first.state_path());
    produce_numbered(topic, 1, 300, 400);
    mirror_all(second, topic, topic);
    stop(second);
    EXPECT_NE(second.log().find("start from their newest offset sync"), std::string::npos)
        << second.log();

    // then it translates from the newest sync on: exactly at it and after it
    for (const std::int64_t committed : {299, 300, 350}) {
        SCOPED_TRACE(committed);
        const auto g = unique_name("app");
        commit_offsets(source(), g, topic, {{0, committed}});
        const auto t = translate(second, topic, g);
        ASSERT_TRUE(t.contains(0));
        EXPECT_EQ(t.at(0).exactness, "exact");
        EXPECT_EQ(t.at(0).target_offset, committed);
    }
    // and says "unknown" before it, rather than guessing
    commit_offsets(source(), group, topic, {{0, 100}});
    const auto before = translate(second, topic, group);
    ASSERT_TRUE(before.contains(0));
    EXPECT_EQ(before.at(0).exactness, "unknown");
}

TEST(Failover, RangesOfRecordsDeletedOnTheTargetArePruned) {
    // given a partition whose copy has two ranges: an aborted transaction
    // leaves a source gap between them
    //   source  0..19 | marker, 20 aborted, marker | 42..61 (+ marker)
    //   target  0..19                              | 20..39
    const auto topic = unique_name("prune");
    create_topic(source(), topic, 1);
    produce_transactions(topic, 1, 3, 20);
    KmirrorProcess kmirror(
        failover_config(topic, topic, "    config_sync_interval: 500ms\n"), "prune");
    kmirror.start();
    ASSERT_TRUE(kmirror.wait_ready(60s)) << kmirror.log();
    ASSERT_TRUE(wait_for_records_per_partition(target(), "primary." + topic, {{0, 40}}, 60s))
        << kmirror.log();

    const auto row_count = [&] {
        auto store = checkpoints::OffsetRangeStore::open(kmirror.state_path());
        return store ? store.value()->ranges(topic, topic, 0).size() : 0;
    };
    ASSERT_TRUE(harness::wait_until([&] { return row_count() == 2; }, 30s,
                                    "two ranges in the store"));

    // when the target deletes the records of the first range
    const auto json = std::filesystem::temp_directory_path() / (topic + ".json");
    std::ofstream(json) << R"({"partitions":[{"topic":"primary.)" << topic
                        << R"(","partition":0,"offset":20}],"version":1})";
    const auto deleted = harness::target().tool({"org.apache.kafka.tools.DeleteRecordsCommand",
                                                 "--bootstrap-server", "{bootstrap}",
                                                 "--offset-json-file", json.string()});
    ASSERT_TRUE(deleted.ok()) << deleted.output;

    // then kmirror drops that range from its store, and still translates the rest exactly
    EXPECT_TRUE(harness::wait_until([&] { return row_count() == 1; }, 30s,
                                    "the first range pruned from the store"));
    stop(kmirror);
    const auto group = unique_name("app");
    commit_offsets(source(), group, topic, {{0, 50}});
    const auto t = translate(kmirror, topic, group);
    ASSERT_TRUE(t.contains(0));
    EXPECT_EQ(t.at(0).exactness, "exact");
    EXPECT_EQ(t.at(0).target_offset, 28);
}

/// A source cluster with SASL/PLAIN and an authorizer, where kmirror's user
/// may do everything except read __consumer_offsets (a common setup); with
/// `may_describe` it may still see the topic's metadata.
void expect_checkpoints_without_consumer_offsets(bool may_describe) {
    const std::string jaas =
        "org.apache.kafka.common.security.plain.PlainLoginModule required "
        "username=\"admin\" password=\"admin-secret\" user_admin=\"admin-secret\" "
        "user_kmirror=\"kmirror-secret\";";
    auto secured = harness::KafkaCluster::start(
        {.name = unique_name("acl"),
         .broker_properties =
             {// the listener named PLAINTEXT speaks SASL_PLAINTEXT (kafka.sh picks its port)
              "listener.security.protocol.map=PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT",
              "sasl.enabled.mechanisms=PLAIN", "sasl.mechanism.inter.broker.protocol=PLAIN",
              "listener.name.plaintext.plain.sasl.jaas.config=" + jaas,
              "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
              // admin: the broker itself; ANONYMOUS: the controller listener
              "super.users=User:admin;User:ANONYMOUS", "allow.everyone.if.no.acl.found=true"},
         .script_env = {{"KMIRROR_KCAT_ARGS",
                         "-X security.protocol=SASL_PLAINTEXT -X sasl.mechanisms=PLAIN "
                         "-X sasl.username=admin -X sasl.password=admin-secret"}}});
    const auto dir = std::filesystem::temp_directory_path() / unique_name("acl-client");
    std::filesystem::create_directories(dir);
    const auto admin_properties = (dir / "admin.properties").string();
    std::ofstream(admin_properties) << "security.protocol=SASL_PLAINTEXT\n"
                                       "sasl.mechanism=PLAIN\n"
                                       "sasl.jaas.config=" << jaas.substr(0, jaas.find(" user_admin"))
                                    << ";\n";
    const auto acl = secured->acls({"--command-config", admin_properties, "--add",
                                    "--deny-principal", "User:kmirror", "--operation", "Read",
                                    "--topic", "__consumer_offsets"});
    ASSERT_TRUE(acl.ok()) << acl.output;
    if (may_describe) {
        const auto describe = secured->acls(
            {"--command-config", admin_properties, "--add", "--allow-principal", "User:kmirror",
             "--operation", "Describe", "--topic", "__consumer_offsets"});
        ASSERT_TRUE(describe.ok()) << describe.output;
    }

    kafka::ClientSettings as_kmirror{"primary", secured->bootstrap(),
                                     {{"security.protocol", "SASL_PLAINTEXT", "test"},
                                      {"sasl.mechanism", "PLAIN", "test"},
                                      {"sasl.username", "kmirror", "test"},
                                      {"sasl.password", "kmirror-secret", "test"}}};
    const auto topic = unique_name("acl");
    {
        kafka::Admin admin(as_kmirror);
        const auto created = admin.create_topics({{topic, 1, 1, {}}}, 30s);
        ASSERT_TRUE(!created.empty() && !created[0].error) << created[0].message;
    }
    {
        kafka::Producer producer(as_kmirror, {});
        for (int i = 0; i < 100; ++i) {
            ASSERT_TRUE(producer.produce({topic, 0, {}, "v" + std::to_string(i), {}, 0}));
        }
        ASSERT_TRUE(producer.flush(30s));
    }
    const auto group = unique_name("app");
    {
        kafka::Consumer committer(as_kmirror, {{"group.id", group}, {"enable.auto.commit", "false"}});
        ASSERT_TRUE(committer.commit({{topic, 0, 42}}, false));
        committer.close(5s);
    }

    // when kmirror mirrors it as that user
    std::ostringstream yaml;
    yaml << "clusters:\n"
         << "  primary:\n"
         << "    bootstrap: \"" << secured->bootstrap() << "\"\n"
         << "    properties:\n"
         << "      security.protocol: SASL_PLAINTEXT\n"
         << "      sasl.mechanism: PLAIN\n"
         << "      sasl.username: kmirror\n"
         << "      sasl.password: kmirror-secret\n"
         << "  dr: { bootstrap: \"" << target() << "\" }\n"
         << "flows:\n"
         << "  - name: " << topic << "\n"
         << "    source: primary\n"
         << "    target: dr\n"
         << "    topics: { include: [\"" << topic << "\"] }\n"
         << "    checkpoint_interval: 1s\n"
         << "http: { listen: \"127.0.0.1:0\" }\n";
    KmirrorProcess kmirror(yaml.str(), "acl");
    kmirror.start();
    ASSERT_TRUE(kmirror.wait_ready(60s)) << kmirror.log();

    // then it says it cannot follow the commits, lists group offsets instead,
    // and the group's checkpoint still reaches the target
    EXPECT_TRUE(harness::wait_until(
        [&] {
            const auto cps = checkpoints_of(group);
            return cps.contains(0) && cps.at(0).upstream.value() == 42 &&
                   cps.at(0).downstream.value() == 42;
        },
        60s, "the group's checkpoint on the target"))
        << kmirror.log();
    EXPECT_NE(kmirror.log().find("cannot read __consumer_offsets"), std::string::npos)
        << kmirror.log();
    stop(kmirror);
    std::filesystem::remove_all(dir);
}

TEST(Failover, CheckpointsFallBackToListingGroupsWhereConsumerOffsetsMayNotBeDescribed) {
    expect_checkpoints_without_consumer_offsets(false);
}

TEST(Failover, CheckpointsFallBackToListingGroupsWhereConsumerOffsetsMayNotBeRead) {
    expect_checkpoints_without_consumer_offsets(true);
}

TEST(Failover, WorksFromWhatTheTargetHoldsWhenTheSourceClusterIsDown) {
    // given a mirrored topic, a group that read part of it, and its checkpoints on the target
    const auto topic = unique_name("srcdown");
    create_topic(source(), topic, 2);
    produce_numbered(topic, 2, 0, 400);
    const auto group = unique_name("app");
    const auto before = consume_and_commit(group, topic, {{0, 71}, {1, 130}});
    const auto all = all_values(topic, 2);
    KmirrorProcess kmirror(failover_config(topic, topic), "srcdown");
    mirror_all(kmirror, topic, topic);
    ASSERT_TRUE(checkpoints_reach(group, {{0, 71}, {1, 130}})) << kmirror.log();
    stop(kmirror);

    // when the source cluster is lost and the group fails over
    harness::source().stop();
    struct Restart {
        ~Restart() { harness::source().start_again(); }
    } restart_source_after;
    auto [code, output] = run_kmirror({"failover", "-c", kmirror.config_path(), "--flow", topic,
                                       "--group", group, "--execute"});
    ASSERT_EQ(code, 0) << output;
    EXPECT_NE(output.find("unreachable"), std::string::npos) << output;

    // then it resumes on the target exactly where it stopped on the source
    const auto after = read_in_group(target(), group, "primary." + topic, from_committed(2));
    expect_exactly_the_rest(all, before, after);
}

// --- issue 21: offsets with nothing to translate --------------------------

/// The offsets `group` has on the target for `target_topic`, by partition.
std::map<std::int32_t, std::int64_t> target_group_offsets(const std::string& group,
                                                          const std::string& target_topic) {
    kafka::Admin admin(settings_for("test", target()));
    std::map<std::int32_t, std::int64_t> out;
    auto offsets = admin.list_group_offsets(group, 10s);
    if (!offsets) return out;
    for (const auto& o : offsets.value()) {
        if (o.topic == target_topic) out[o.partition] = o.offset;
    }
    return out;
}

/// Waits until `kmirror translate` says partition 0 of `group` is exactly at `offset`.
bool translates_exactly_to(const KmirrorProcess& kmirror, const std::string& topic,
                           const std::string& group, std::int64_t offset) {
    return harness::wait_until(
        [&] {
            const auto t = translate(kmirror, topic, group);
            return t.contains(0) && t.at(0).exactness == "exact" &&
                   t.at(0).target_offset == offset;
        },
        30s, "partition 0 translated exactly to " + std::to_string(offset));
}

TEST(Failover, AnEmptyPartitionsOffsetZeroIsTranslatedToZeroEverywhere) {
    // given partitions 0 and 1 with 100 records each, partition 2 empty, and
    // a group that committed 100, 100 and 0 (MM2's testReplicationWithEmptyPartition)
    const auto topic = unique_name("empty");
    const auto mirrored = "primary." + topic;
    create_topic(source(), topic, 3);
    produce_numbered(topic, 2, 0, 200);
    const auto group = unique_name("app");
    const std::map<std::int32_t, std::int64_t> committed{{0, 100}, {1, 100}, {2, 0}};
    commit_offsets(source(), group, topic, committed);
    KmirrorProcess kmirror(failover_config(topic, topic, "    sync_group_offsets: true\n"),
                           "empty");
    mirror_all(kmirror, topic, topic);

    // then the checkpoints and the synced group offsets carry all three partitions
    ASSERT_TRUE(checkpoints_reach(group, committed)) << kmirror.log();
    EXPECT_EQ(checkpoints_of(group).at(2).downstream.value(), 0);
    ASSERT_TRUE(harness::wait_until(
        [&] { return target_group_offsets(group, mirrored) == committed; }, 30s,
        "the group's offsets synced to the target, partition 2 at 0"))
        << kmirror.log();
    const auto t = translate(kmirror, topic, group);
    ASSERT_TRUE(t.contains(2));
    EXPECT_EQ(t.at(2).exactness, "exact");
    EXPECT_EQ(t.at(2).target_offset, 0);
    stop(kmirror);

    // and MM2's client finds partition 2 at 0 in the checkpoints
    const auto theirs = mm2_translation(group, mirrored);
    EXPECT_EQ(theirs, committed);

    // and failover --execute writes it for a group that was never synced
    const auto later = unique_name("app");
    commit_offsets(source(), later, topic, committed);
    fail_over(kmirror, topic, later);
    EXPECT_EQ(target_group_offsets(later, mirrored), committed);
}

TEST(Failover, APartitionEmptiedByRetentionBeforeTheFirstRunIsExactAtTheTargetsEnd) {
    // given a partition whose 50 records were all deleted before kmirror
    // first ran, and a group at its end
    const auto topic = unique_name("retained");
    create_topic(source(), topic, 1);
    produce_numbered(topic, 1, 0, 50);
    const auto json = std::filesystem::temp_directory_path() / (topic + ".json");
    std::ofstream(json) << R"({"partitions":[{"topic":")" << topic
                        << R"(","partition":0,"offset":50}],"version":1})";
    const auto deleted = harness::source().tool({"org.apache.kafka.tools.DeleteRecordsCommand",
                                                 "--bootstrap-server", "{bootstrap}",
                                                 "--offset-json-file", json.string()});
    ASSERT_TRUE(deleted.ok()) << deleted.output;
    ASSERT_EQ(low_watermark(source(), topic, 0), 50);
    const auto group = unique_name("app");
    commit_offsets(source(), group, topic, {{0, 50}});

    // when kmirror mirrors it (nothing to copy)
    KmirrorProcess kmirror(failover_config(topic, topic), "retained");
    kmirror.start();
    ASSERT_TRUE(kmirror.wait_ready(60s)) << kmirror.log();

    // then the group resumes exactly at the target's end, 0
    ASSERT_TRUE(translates_exactly_to(kmirror, topic, group, 0)) << kmirror.log();
    // (and below the partition's start, where records were never mirrored, nothing is said)
    const auto older = unique_name("app");
    commit_offsets(source(), older, topic, {{0, 20}});
    const auto t = translate(kmirror, topic, older);
    ASSERT_TRUE(t.contains(0));
    EXPECT_EQ(t.at(0).exactness, "unknown");
    stop(kmirror);
}

TEST(Failover, AKillNineRightAfterAssignmentStillTranslatesAnEmptyPartitionExactly) {
    // given an empty partition and a group that committed 0
    const auto topic = unique_name("killempty");
    create_topic(source(), topic, 1);
    const auto group = unique_name("app");
    commit_offsets(source(), group, topic, {{0, 0}});
    KmirrorProcess kmirror(failover_config(topic, topic), "killempty");

    // when kmirror is killed with -9 as soon as it is assigned the partition
    kmirror.start();
    ASSERT_TRUE(harness::wait_until(
        [&] { return kmirror.log().find("assigned 1 partition(s)") != std::string::npos; },
        60s, "the partition assigned"))
        << kmirror.log();
    kmirror.signal(SIGKILL);
    kmirror.wait_exit(30s);
    // and restarts
    kmirror.start();
    ASSERT_TRUE(kmirror.wait_ready(60s)) << kmirror.log();

    // then 0 translates to 0, exactly
    ASSERT_TRUE(translates_exactly_to(kmirror, topic, group, 0)) << kmirror.log();
    stop(kmirror);
    // and still so from the state file alone, after the process is gone
    EXPECT_TRUE(translates_exactly_to(kmirror, topic, group, 0));
}

TEST(Failover, UnmirroredRecordsBeforeTheGroupsOffsetAreNeverTranslatedExactly) {
    // given a target that refuses records over 64 KiB, partition 0 whose
    // record 0 is 100 KB and partition 1 whose record 10 is: kmirror stops
    // partition 0 before anything and partition 1 after 10 records
    const auto topic = unique_name("unmirrored");
    const auto mirrored = "primary." + topic;
    create_topic(source(), topic, 2);
    create_topic(target(), mirrored, 2, {{"max.message.bytes", "65536"}});
    std::vector<kafka::Record> records;
    for (int p = 0; p < 2; ++p) {
        for (int i = 0; i < 30; ++i) {
            const bool large = i == (p == 0 ? 0 : 10);
            records.push_back({topic, p, {}, std::string(large ? 100'000 : 200, 'x'), {}, 0});
        }
    }
    produce(source(), records);
    KmirrorProcess kmirror(
        failover_config(topic, topic, "    sync_topic_configs: false\n"), "unmirrored");
    kmirror.start();
    ASSERT_TRUE(harness::wait_until(
        [&] {
            return metric_value(kmirror, "kmirror_partitions_stopped{flow=\"" + topic + "\"}") ==
                   2.0;
        },
        60s, "both partitions stopped at their large record"))
        << kmirror.log();

    // when a group has read past the records kmirror could not copy
    for (const std::int64_t committed : {20, 30}) {
        SCOPED_TRACE(committed);
        const auto group = unique_name("app");
        commit_offsets(source(), group, topic, {{0, committed}, {1, committed}});
        const auto t = translate(kmirror, topic, group);
        // then its translation is never exact, and never past the gap
        ASSERT_TRUE(t.contains(0) && t.contains(1));
        EXPECT_NE(t.at(0).exactness, "exact");
        EXPECT_LE(t.at(0).target_offset, 0);
        EXPECT_NE(t.at(1).exactness, "exact");
        EXPECT_LE(t.at(1).target_offset, 10);
    }
    stop(kmirror);
}

}  // namespace
}  // namespace kmirror::test
