// Scale-out and scale, against two real Kafka clusters (started once for this
// binary): three instances of one flow with one killed -9 and started again,
// and 2,000 partitions mirrored by one process (issue #11, fault tests 5 and 6).

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include "kafka/consumer.h"
#include "tests/harness/kafka_cluster.h"
#include "tests/harness/prometheus.h"
#include "tests/harness/wait.h"
#include "tests/integration/mirror_fixture.h"

namespace kmirror::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Offsets = std::map<kafka::TopicPartition, std::int64_t>;
using TopicRecords = std::map<std::int32_t, std::vector<TestRecord>>;

std::string source() { return harness::source().bootstrap(); }
std::string target() { return harness::target().bootstrap(); }

/// kmirror's consumer session.timeout.ms (replicator/mirror_worker.cc): how
/// long a killed instance's partitions wait for a new owner.
constexpr auto kSessionTimeout = 10s;

/// The committed offsets of `group` on `admin`'s cluster ({} while the group
/// is unknown: librdkafka's OffsetFetch for a group no coordinator has seen can
/// crash, see replicator/group_coordinator.h).
Offsets committed_offsets(kafka::Admin& admin, const std::string& group) {
    Offsets out;
    auto described = admin.describe_groups({group}, 10s);
    if (!described || described.value().empty() || described.value()[0].state == "Dead") {
        return out;
    }
    if (auto offsets = admin.list_group_offsets(group, 10s)) {
        for (const auto& o : offsets.value()) out[{o.topic, o.partition}] = o.offset;
    }
    return out;
}

/// Members of `group` while it is Stable, else 0.
std::size_t stable_members(kafka::Admin& admin, const std::string& group) {
    auto d = admin.describe_groups({group}, 5s);
    if (!d || d.value().size() != 1 || d.value()[0].state != "Stable") return 0;
    return d.value()[0].members.size();
}

/// Every partition of `tps` has a committed offset above the one in `before`
/// (0 where `before` has none).
bool all_advanced(const Offsets& now, const Offsets& before,
                  const std::vector<kafka::TopicPartition>& tps) {
    return std::all_of(tps.begin(), tps.end(), [&](const kafka::TopicPartition& tp) {
        const auto was = before.contains(tp) ? before.at(tp) : 0;
        return now.contains(tp) && now.at(tp) > was;
    });
}

std::vector<kafka::TopicPartition> partitions_of(const std::vector<std::string>& topics,
                                                 int partitions) {
    std::vector<kafka::TopicPartition> out;
    for (const auto& t : topics) {
        for (std::int32_t p = 0; p < partitions; ++p) out.push_back({t, p});
    }
    return out;
}

/// Writes records "id-N" (N = 0, 1, ...; partition N % partitions) to the
/// source, `batch` at a time with `pause` in between, until stop(): a steady
/// stream that spans a test's kills and restarts.
class SteadyProducer {
public:
    SteadyProducer(std::string topic, int partitions, int batch, std::chrono::milliseconds pause)
        : thread_([this, topic = std::move(topic), partitions, batch, pause] {
              while (!stopping_.load()) {
                  std::vector<kafka::Record> records;
                  for (int i = 0; i < batch; ++i, ++written_) {
                      records.push_back({topic, written_ % partitions,
                                         "k" + std::to_string(written_),
                                         "id-" + std::to_string(written_), {}, 0});
                  }
                  produce(source(), records);
                  std::this_thread::sleep_for(pause);
              }
          }) {}
    ~SteadyProducer() { stop(); }
    SteadyProducer(const SteadyProducer&) = delete;
    SteadyProducer& operator=(const SteadyProducer&) = delete;

    /// Stops after the batch in progress; how many records were written.
    int stop() {
        stopping_ = true;
        if (thread_.joinable()) thread_.join();
        return written_;
    }

private:
    std::atomic<bool> stopping_{false};
    int written_ = 0;     // the producer thread's until stop() joined it
    std::thread thread_;  // declared last: starts once the members above exist
};

/// What a consumer that resumes at target offset `at` of a partition meets,
/// given the source offset of each target record (by target offset).
struct Resumed {
    std::size_t skipped = 0;  ///< source records >= committed with no copy at or after `at`
    std::int64_t rereads = 0;  ///< target records at or after `at` from below committed
};

Resumed resume_at(const std::map<std::int64_t, std::int64_t>& source_of_target,
                  std::int64_t committed, std::int64_t source_end, std::int64_t at) {
    Resumed r;
    std::set<std::int64_t> reached;
    for (auto it = source_of_target.lower_bound(at); it != source_of_target.end(); ++it) {
        if (it->second < committed) {
            ++r.rereads;
        } else {
            reached.insert(it->second);
        }
    }
    r.skipped = static_cast<std::size_t>(source_end - committed) - reached.size();
    return r;
}

/// For a failure message: each partition's committed offset against its end
/// on the source, and each instance's /status.
std::string progress_report(kafka::Admin& admin, const std::string& group,
                            const std::vector<kafka::TopicPartition>& tps,
                            const std::vector<std::unique_ptr<KmirrorProcess>>& instances) {
    std::ostringstream out;
    const auto committed = committed_offsets(admin, group);
    for (const auto& tp : tps) {
        const auto marks = admin.watermarks(tp.topic, tp.partition, 10s);
        out << tp.topic << "[" << tp.partition << "] committed "
            << (committed.contains(tp) ? committed.at(tp) : -1) << " of "
            << (marks ? marks.value().second : -1) << "\n";
    }
    for (const auto& k : instances) {
        out << "/status of " << k->config_path() << ": "
            << harness::http_get("127.0.0.1:" + std::to_string(k->http_port()), "/status").body
            << "\n";
    }
    return out.str();
}

// Fault test 5. Three instances share the flow's consumer group on the source
// (two workers each) and keep their own state files. One is killed -9 while a
// producer writes steadily, and started again later.
TEST(Scale, ThreeInstancesOfAFlowLoseNothingWhenOneIsKilledAndStartedAgain) {
    // given three instances of one flow mirroring 12 partitions
    const auto topic = unique_name("trio");
    constexpr int kPartitions = 12;
    create_topic(source(), topic, kPartitions);
    const auto group = "kmirror." + topic;
    const auto tps = partitions_of({topic}, kPartitions);
    // (with the source's heartbeats: one instance at a time consumes them)
    const auto config = flow_config(topic, source(), target(), topic + "|heartbeats");
    std::vector<std::unique_ptr<KmirrorProcess>> instances;
    for (const char* name : {"trio-a", "trio-b", "trio-c"}) {
        instances.push_back(std::make_unique<KmirrorProcess>(config, name));
        instances.back()->start();
    }
    for (auto& k : instances) ASSERT_TRUE(k->wait_ready(60s)) << k->log();
    kafka::Admin admin(settings_for("test", source()));
    ASSERT_TRUE(harness::wait_until([&] { return stable_members(admin, group) == 6; }, 60s,
                                    "six members (3 instances x 2 workers) in a stable group"));

    // and a steady stream that every instance is mirroring
    SteadyProducer producer(topic, kPartitions, 60, 50ms);
    ASSERT_TRUE(harness::wait_until(
        [&] { return all_advanced(committed_offsets(admin, group), {}, tps); }, 60s,
        "commits on every partition"));

    // when one instance is killed -9 mid-stream
    auto& victim = *instances[1];
    const auto killed = Clock::now();
    victim.signal(SIGKILL);
    ASSERT_EQ(victim.wait_exit(30s), 128 + SIGKILL);
    // (taken after its death: the victim's partitions cannot move on by themselves)
    const auto at_kill = committed_offsets(admin, group);
    ASSERT_TRUE(all_advanced(at_kill, {}, tps)) << "committed offsets not read";

    // then the other two take its partitions over within the session timeout
    double members_after = -1;
    ASSERT_TRUE(harness::wait_until(
        [&] {
            if (members_after < 0 && stable_members(admin, group) == 4) {
                members_after = seconds_since(killed);
            }
            return all_advanced(committed_offsets(admin, group), at_kill, tps);
        },
        60s, "every partition committed past its offset at the kill"))
        << instances[0]->log() << instances[2]->log();
    const double moved_after = seconds_since(killed);
    std::cout << "[ MEASURE  ] kill -9 of 1 of 3 instances: group stable with 4 members after "
              << members_after << " s, every partition committing again after " << moved_after
              << " s (session.timeout.ms " << kSessionTimeout.count() << " s)\n";
    const std::chrono::duration<double> move_limit = harness::scaled(kSessionTimeout + 10s);
    EXPECT_LT(moved_after, move_limit.count())
        << "partitions moved later than the session timeout plus a rebalance";

    // when the killed instance starts again, with its state file
    victim.start();
    ASSERT_TRUE(victim.wait_ready(60s)) << victim.log();
    ASSERT_TRUE(harness::wait_until([&] { return stable_members(admin, group) == 6; }, 60s,
                                    "six members again"));
    const auto at_restart = committed_offsets(admin, group);
    ASSERT_TRUE(harness::wait_until(
        [&] { return all_advanced(committed_offsets(admin, group), at_restart, tps); }, 60s,
        "every partition committing after the restart"));

    // and after the partitions moved twice, one instance reports the
    // replication gap (the one consuming the heartbeats), and it is small: an
    // instance the heartbeats partition moved away from must not report an
    // age that only grows (the alert takes the max over instances)
    const auto series = "kmirror_heartbeat_age_seconds{flow=\"" + topic + "\"}";
    std::vector<double> ages;
    // (15 s on an idle machine; the gap grows with the load, like every wait)
    const double small_gap = 15 * harness::timeout_scale();
    const bool one_small_gap = harness::wait_until(
        [&] {
            ages.clear();
            for (auto& k : instances) {
                if (auto age = metric_value(*k, series)) ages.push_back(*age);
            }
            return ages.size() == 1 && ages.front() < small_gap;
        },
        30s, "one instance reporting the heartbeat age, below 15 s x KMIRROR_TEST_TIMEOUT_SCALE");
    EXPECT_TRUE(one_small_gap) << ages.size() << " instances report it";
    std::cout << "[ MEASURE  ] heartbeat age after the moves: reported by " << ages.size()
              << " of 3 instances" << (ages.empty() ? "" : ", " + std::to_string(ages.front()) + " s")
              << "\n";
    const auto written = producer.stop();
    // (EXPECT, not ASSERT: when the group's offsets stay behind, the records
    // are still compared below, which tells a lost record from a stuck commit)
    EXPECT_TRUE(wait_for_commits_at_end(source(), group, topic, 120s))
        << "the flow's committed offsets stay behind the end of the source partitions; "
           "where /status shows the partition's owner with lag 0 and nothing in flight, every "
           "record is on the target and only the commit is stuck\n"
        << progress_report(admin, group, tps, instances);
    for (auto& k : instances) k->signal(SIGTERM);
    for (auto& k : instances) EXPECT_EQ(k->wait_exit(40s), 0) << k->log();

    // then every record is on the target, in order per partition
    const auto src = read_topic(source(), topic);
    const auto tgt = read_topic(target(), "primary." + topic);
    const auto t = tally(src, tgt);
    std::cout << "[ MEASURE  ] 3 instances, 1 killed -9 and restarted: " << count(src)
              << " source records, " << t.missing << " missing, " << t.duplicates()
              << " duplicates, " << t.out_of_order << " partitions out of order\n";
    EXPECT_EQ(count(src), static_cast<std::size_t>(written));
    EXPECT_EQ(t.missing, 0u);
    EXPECT_EQ(t.out_of_order, 0u);

    // when a consumer group committed on the source at three points of each
    // partition (where the survivors resumed the victim's partitions, the
    // middle, the end) is translated with each instance's config, which is
    // all a user has: every host keeps only the ranges of what it mirrored
    std::map<std::string, std::int64_t> source_offset_of;  // by value
    for (const auto& [p, records] : src) {
        for (const auto& r : records) source_offset_of[r.value.value_or("")] = r.offset;
    }
    std::map<std::int32_t, std::map<std::int64_t, std::int64_t>> source_of_target;
    for (const auto& [p, records] : tgt) {
        for (const auto& r : records) {
            source_of_target[p][r.offset] = source_offset_of.at(r.value.value_or(""));
        }
    }
    std::map<std::string, std::map<std::int32_t, std::int64_t>> points;
    for (std::int32_t p = 0; p < kPartitions; ++p) {
        const auto end = static_cast<std::int64_t>(src.at(p).size());
        points["at-kill"][p] = at_kill.at({topic, p});
        points["middle"][p] = end / 2;
        points["end"][p] = end;
    }
    for (const auto& [point, offsets] : points) {
        SCOPED_TRACE("group committed " + point);
        const auto g = unique_name("app-" + point);
        commit_offsets(source(), g, topic, offsets);
        std::vector<std::map<std::int32_t, CliTranslation>> answers;
        for (auto& k : instances) answers.push_back(translate(*k, topic, g));

        // then each instance's answer is never ahead; the best of them (the
        // highest target offset, what a user combining the three gets) is
        // known for every partition, re-reads nothing where it says "exact",
        // and names no more re-reads than there are (the count is exact only
        // where one store saw every copy: printed below where it is not)
        std::vector<int> known(instances.size(), 0);
        int wrongly_exact = 0;
        int exact = 0;
        int conservative = 0;
        std::int64_t rereads_named = 0;
        std::int64_t rereads_actual = 0;
        std::ostringstream short_counts;  // partitions whose re-reads are named short
        for (const auto& [p, committed] : offsets) {
            SCOPED_TRACE("partition " + std::to_string(p));
            const auto end = static_cast<std::int64_t>(src.at(p).size());
            std::optional<CliTranslation> best;
            std::ostringstream each;
            for (std::size_t i = 0; i < answers.size(); ++i) {
                const auto name = static_cast<char>('a' + i);
                if (!answers[i].contains(p) || answers[i].at(p).target_offset < 0) {
                    each << " " << name << ": unknown;";
                    continue;
                }
                const auto& a = answers[i].at(p);
                ++known[i];
                const auto r = resume_at(source_of_target[p], committed, end, a.target_offset);
                each << " " << name << ": " << a.target_offset << " " << a.exactness << " naming "
                     << a.rereads << " (re-reads " << r.rereads << ");";
                EXPECT_EQ(r.skipped, 0u) << "instance " << name << " translates " << committed
                                         << " to " << a.target_offset << ": skips records";
                if (a.exactness == "exact" && r.rereads > 0) ++wrongly_exact;
                if (!best || a.target_offset > best->target_offset) best = a;
            }
            ASSERT_TRUE(best.has_value()) << "no instance knows partition " << p;
            const auto r = resume_at(source_of_target[p], committed, end, best->target_offset);
            rereads_named += best->rereads;
            rereads_actual += r.rereads;
            if (best->exactness == "exact") {
                ++exact;
                EXPECT_EQ(r.rereads, 0) << "'exact' at " << best->target_offset;
            } else {
                ++conservative;
                EXPECT_EQ(best->exactness, "conservative");
                // "rereads": the re-reads the store knows of; records it never
                // saw (another instance's copies) may add more (partition_ranges.h)
                EXPECT_LE(best->rereads, r.rereads);
            }
            if (best->rereads != r.rereads) {
                short_counts << "\n    partition " << p << " committed " << committed << ":"
                             << each.str();
            }
        }
        std::cout << "[ MEASURE  ] translate, group committed " << point << ": best answer "
                  << exact << " exact, " << conservative << " conservative (re-reads named "
                  << rereads_named << ", actual " << rereads_actual
                  << "); partitions known by instance a/b/c: " << known[0] << "/" << known[1]
                  << "/" << known[2] << " of " << kPartitions << "; answers saying exact that "
                  << "re-read: " << wrongly_exact << short_counts.str() << "\n";

        // and translated from the three state files together (--state, what
        // the runbook says to do with several instances), every partition
        // is known, never ahead, and exact or naming its re-reads exactly:
        // together the files know every copy but the killed one's unflushed
        // tail, whose records are all at or above where that copy stops
        std::vector<std::string> files;
        for (auto& k : instances) files.push_back(k->state_path());
        const auto merged = translate(*instances[0], topic, g, files);
        int merged_exact = 0;
        std::int64_t merged_named = 0;
        std::int64_t merged_actual = 0;
        for (const auto& [p, committed] : offsets) {
            SCOPED_TRACE("merged, partition " + std::to_string(p));
            ASSERT_TRUE(merged.contains(p) && merged.at(p).target_offset >= 0)
                << "partition " << p << " unknown to the three files together";
            const auto& a = merged.at(p);
            const auto end = static_cast<std::int64_t>(src.at(p).size());
            const auto r = resume_at(source_of_target[p], committed, end, a.target_offset);
            EXPECT_EQ(r.skipped, 0u) << committed << " -> " << a.target_offset;
            EXPECT_EQ(a.rereads, r.rereads) << committed << " -> " << a.target_offset << " "
                                            << a.exactness;
            if (a.exactness == "exact") ++merged_exact;
            merged_named += a.rereads;
            merged_actual += r.rereads;
        }
        std::cout << "[ MEASURE  ] translate --state a b c, group committed " << point << ": "
                  << merged_exact << " exact of " << kPartitions << " (re-reads named "
                  << merged_named << ", actual " << merged_actual << ")\n";
    }
}

/// Every record of every partition of `topics` on `bootstrap`, by topic, with
/// one consumer assigned to all of them (read_topic takes one per topic).
std::map<std::string, TopicRecords> read_topics(const std::string& bootstrap,
                                                const std::vector<std::string>& topics,
                                                int partitions) {
    const auto tps = partitions_of(topics, partitions);
    kafka::Admin admin(settings_for("test", bootstrap));
    kafka::Consumer consumer(settings_for("test", bootstrap),
                             {{"group.id", unique_name("wide-reader")},
                              {"enable.auto.commit", "false"},
                              {"enable.partition.eof", "false"}});
    Offsets low;
    for (const auto& o : admin.earliest_offsets(tps, 60s)) low[{o.topic, o.partition}] = o.offset;
    Offsets high;
    for (const auto& o : consumer.latest_offsets(tps, 60s)) high[{o.topic, o.partition}] = o.offset;
    std::map<std::string, TopicRecords> out;
    EXPECT_EQ(low.size(), tps.size()) << bootstrap << ": partitions without a low watermark";
    EXPECT_EQ(high.size(), tps.size()) << bootstrap << ": partitions without a high watermark";
    std::vector<kafka::TopicPartitionOffset> assignment;
    for (const auto& tp : tps) {
        out[tp.topic][tp.partition];
        if (!low.contains(tp) || !high.contains(tp) || high.at(tp) <= low.at(tp)) {
            high.erase(tp);
            continue;
        }
        assignment.push_back({tp.topic, tp.partition, low.at(tp)});
    }
    if (assignment.empty()) return out;
    EXPECT_TRUE(consumer.assign(assignment));
    const auto text = [](const std::optional<kafka::Bytes>& b) -> std::optional<std::string> {
        if (!b) return std::nullopt;
        return std::string(kafka::as_chars(*b));
    };
    for (const auto deadline = deadline_in(120s); !high.empty() && Clock::now() < deadline;) {
        auto m = consumer.poll(200ms);
        if (!m) continue;
        if (m.error()) {
            ADD_FAILURE() << "reading " << bootstrap << ": " << m.error_message();
            break;
        }
        const std::string name(m.topic());
        TestRecord r{m.partition(), m.offset(), text(m.key()), text(m.value()), {},
                     m.timestamp().value_or(-1)};
        for (const auto& h : m.headers()) {
            r.headers.emplace_back(std::string(h.name), text(h.value));
        }
        out[name][m.partition()].push_back(std::move(r));
        const kafka::TopicPartition tp{name, m.partition()};
        if (high.contains(tp) && m.offset() + 1 >= high.at(tp)) high.erase(tp);
    }
    EXPECT_TRUE(high.empty()) << high.size() << " partitions not read to the end on " << bootstrap;
    return out;
}

// Fault test 6. 100 topics x 20 partitions, 20 records each, mirrored by one
// process with per-partition lag series on (the default).
TEST(Scale, TwoThousandPartitionsInOneProcessAllCompleteAndAreMeasured) {
    // given 2,000 source partitions, each with 20 records
    constexpr int kTopics = 100;
    constexpr int kPartitions = 20;
    constexpr int kPerPartition = 20;
    const auto base = unique_name("wide");
    std::vector<std::string> topics;
    for (int i = 0; i < kTopics; ++i) {
        char suffix[8];
        std::snprintf(suffix, sizeof suffix, "-%03d", i);
        topics.push_back(base + suffix);
    }
    const auto tps = partitions_of(topics, kPartitions);
    kafka::Admin admin(settings_for("test", source()));
    const auto creating = Clock::now();
    for (std::size_t i = 0; i < topics.size(); i += 25) {
        std::vector<kafka::NewTopic> batch;
        for (std::size_t j = i; j < std::min(topics.size(), i + 25); ++j) {
            batch.push_back({topics[j], kPartitions, 1, {}});
        }
        for (const auto& r : admin.create_topics(batch, harness::scaled(60s))) {
            ASSERT_FALSE(r.error) << "create " << r.topic << ": " << r.message;
        }
    }
    const double created_after = seconds_since(creating);
    std::vector<kafka::Record> records;
    for (const auto& tp : tps) {
        for (int i = 0; i < kPerPartition; ++i) {
            records.push_back({tp.topic, tp.partition, "k" + std::to_string(i),
                               tp.topic + "/" + std::to_string(tp.partition) + "/" +
                                   std::to_string(i),
                               {{"n", std::to_string(i)}},
                               0});
        }
    }
    produce(source(), records);
    std::cout << "[ MEASURE  ] " << tps.size() << " source partitions created in "
              << created_after << " s, " << records.size() << " records written after "
              << seconds_since(creating) << " s\n";

    // when one kmirror mirrors them all
    const auto flow = base;
    const auto group = "kmirror." + flow;
    KmirrorProcess kmirror(flow_config(flow, source(), target(), base + "-.*") +
                               "metrics: { partition_labels: true }\n",
                           "wide");
    const auto started = Clock::now();
    kmirror.start();
    ASSERT_TRUE(kmirror.wait_ready(120s)) << kmirror.log();
    const double ready_after = seconds_since(started);

    // then every partition is mirrored and committed to its end (exactly 20)
    std::size_t done = 0;
    const auto all_done = [&] {
        const auto committed = committed_offsets(admin, group);
        done = static_cast<std::size_t>(std::count_if(tps.begin(), tps.end(), [&](const auto& tp) {
            return committed.contains(tp) && committed.at(tp) == kPerPartition;
        }));
        return done == tps.size();
    };
    const bool complete = harness::wait_until(all_done, 150s, "2,000 partitions committed at 20");
    const double full_pass_after = seconds_since(started);
    ASSERT_TRUE(complete) << done << " of " << tps.size() << " partitions complete\n"
                          << kmirror.log();

    const std::string http = "127.0.0.1:" + std::to_string(kmirror.http_port());
    std::vector<double> render_ms;
    harness::HttpResponse metrics;
    for (int i = 0; i < 5; ++i) {
        const auto asked = Clock::now();
        metrics = harness::http_get(http, "/metrics");
        render_ms.push_back(seconds_since(asked) * 1000);
        ASSERT_TRUE(metrics.ok()) << metrics.status << " " << metrics.error;
    }
    std::sort(render_ms.begin(), render_ms.end());
    std::size_t series = 0;
    std::istringstream lines(metrics.body);
    for (std::string line; std::getline(lines, line);) {
        if (!line.empty() && line[0] != '#') ++series;
    }
    const double rss_mb =
        series_in(metrics.body, "process_resident_memory_bytes").value_or(-1) / 1e6;
    std::cout << "[ MEASURE  ] " << tps.size() << " partitions in one process: ready after "
              << ready_after << " s, first full pass (every partition committed at its end) "
              << full_pass_after << " s after start; RSS " << rss_mb << " MB; /metrics "
              << metrics.body.size() << " bytes, " << series << " series, rendered in "
              << render_ms.front() << "-" << render_ms.back() << " ms (5 requests)\n";
    EXPECT_GT(rss_mb, 0) << "no process_resident_memory_bytes on /metrics";

    const auto stopping = Clock::now();
    kmirror.signal(SIGTERM);
    EXPECT_EQ(kmirror.wait_exit(60s), 0) << kmirror.log();
    std::cout << "[ MEASURE  ] SIGTERM with " << tps.size() << " partitions: exit after "
              << seconds_since(stopping) << " s\n";

    // and the target holds each source partition's records exactly once, in order
    std::vector<std::string> remote;
    for (const auto& t : topics) remote.push_back("primary." + t);
    const auto src = read_topics(source(), topics, kPartitions);
    const auto tgt = read_topics(target(), remote, kPartitions);
    Tally all;
    for (const auto& t : topics) {
        SCOPED_TRACE(t);
        ASSERT_TRUE(tgt.contains("primary." + t));
        const auto& from = src.at(t);
        const auto& to = tgt.at("primary." + t);
        ASSERT_EQ(count(from), static_cast<std::size_t>(kPartitions * kPerPartition));
        const auto one = tally(from, to);
        all.total += one.total;
        all.distinct += one.distinct;
        all.missing += one.missing;
        all.out_of_order += one.out_of_order;
        expect_same_records(from, to);
    }
    std::cout << "[ MEASURE  ] " << tps.size() << " partitions: " << records.size()
              << " source records, " << all.missing << " missing, " << all.duplicates()
              << " duplicates, " << all.out_of_order << " partitions out of order\n";
    EXPECT_EQ(all.missing, 0u);
    EXPECT_EQ(all.out_of_order, 0u);
}

}  // namespace
}  // namespace kmirror::test
