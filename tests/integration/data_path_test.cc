// The data path under load, against two real Kafka clusters (started once for
// this binary), issue #16: memory stays within memory.budget draining a
// backlog into a slow target; max_bytes_per_second holds the rate; a record
// the target refuses leaves nothing after the gap; records of a revoked
// partition never land after the new owner's.

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <thread>

#include "kafka/consumer.h"
#include "tests/harness/kafka_cluster.h"
#include "tests/harness/prometheus.h"
#include "tests/harness/wait.h"
#include "tests/integration/mirror_fixture.h"

namespace kmirror::test {
namespace {

using namespace std::chrono_literals;

std::string source() { return harness::source().bootstrap(); }
std::string target() { return harness::target().bootstrap(); }

constexpr std::int64_t kMiB = 1024 * 1024;

/// A client quota on the target for kmirror's producer of flow `flow`
/// (`bytes_per_second` 0: removed): a slow DR link.
void throttle_target(const std::string& flow, std::int64_t bytes_per_second) {
    std::vector<std::string> args{"--entity-type", "clients", "--entity-name",
                                  "kmirror-" + flow + "-producer", "--alter"};
    if (bytes_per_second > 0) {
        args.insert(args.end(),
                    {"--add-config", "producer_byte_rate=" + std::to_string(bytes_per_second)});
    } else {
        args.insert(args.end(), {"--delete-config", "producer_byte_rate"});
    }
    const auto r = harness::target().configs(args);
    ASSERT_EQ(r.exit_code, 0) << "ConfigCommand failed: " << r.output;
}

/// Resident memory of a process now, from /proc (bytes; 0 when gone).
std::int64_t rss_bytes(pid_t pid, const char* field = "VmRSS:") {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(field, 0) == 0) return std::stoll(line.substr(std::strlen(field))) * 1024;
    }
    return 0;
}

/// Samples a process's RSS every 100 ms on a thread of its own; peak() is the
/// largest sample so far.
class RssSampler {
public:
    explicit RssSampler(pid_t pid)
        : thread_([this, pid] {
              while (!stop_.load()) {
                  peak_.store(std::max(peak_.load(), rss_bytes(pid)));
                  std::this_thread::sleep_for(100ms);
              }
          }) {}
    ~RssSampler() {
        stop_.store(true);
        thread_.join();
    }
    RssSampler(const RssSampler&) = delete;
    RssSampler& operator=(const RssSampler&) = delete;
    [[nodiscard]] std::int64_t peak() const { return peak_.load(); }

private:
    std::atomic<bool> stop_{false};
    std::atomic<std::int64_t> peak_{0};
    std::thread thread_;
};

/// Records of `size` bytes of value and a fixed 8-byte key, ids from..from+n-1
/// spread over `partitions`: every record counts key + value = size + 8 bytes.
std::vector<kafka::Record> sized(const std::string& topic, int partitions, int from, int n,
                                 std::size_t size) {
    std::vector<kafka::Record> out;
    out.reserve(static_cast<std::size_t>(n));
    for (int id = from; id < from + n; ++id) {
        char key[16];
        std::snprintf(key, sizeof key, "k%07d", id);
        std::string value = "id-" + std::to_string(id) + "-";
        value.resize(size, 'x');
        out.push_back({topic, id % partitions, std::string(key), std::move(value), {}, 0});
    }
    return out;
}

/// Records on the target now: the sum of its partitions' end offsets.
std::int64_t records_on(const std::string& bootstrap, const std::string& topic, int partitions) {
    kafka::Admin admin(settings_for("count", bootstrap));
    std::vector<kafka::TopicPartition> tps;
    for (int p = 0; p < partitions; ++p) tps.push_back({topic, p});
    std::int64_t n = 0;
    for (const auto& o : admin.latest_offsets(tps, 10s)) n += o.offset;
    return n;
}

/// How often, partition by partition, the source ids on the target do not
/// follow each other (id i followed by anything but the partition's next id):
/// one writer per partition at a time gives one such break per hand-over at
/// most; two writers interleaving give many.
std::map<std::int32_t, int> breaks(const std::map<std::int32_t, std::vector<TestRecord>>& records,
                                   int partitions) {
    std::map<std::int32_t, int> out;
    for (const auto& [p, list] : records) {
        long previous = -1;
        for (const auto& r : list) {
            const auto& v = r.value.value_or("");
            const long id = std::stol(v.substr(3, v.find('-', 3) - 3));
            if (previous >= 0 && id != previous + partitions) ++out[p];
            previous = id;
        }
    }
    return out;
}

// Test 1 of #16: draining a backlog into a target throttled to a fraction of
// the source's speed (a slow DR link after an outage), kmirror's RSS stays
// within its memory budget plus the fixed overhead docs/operations.md gives.
// Before the budget, records held their whole fetch responses until the
// target acknowledged them, and the producer queued up to 1 GiB: RSS grew
// with the backlog.
TEST(DataPath, ASlowTargetKeepsMemoryWithinTheBudget) {
    // given a backlog of 120 MB in 12 partitions and a target taking 8 MB/s
    const auto topic = unique_name("membudget");
    constexpr int kPartitions = 12;
    constexpr int kRecords = 120'000;
    create_topic(source(), topic, kPartitions);
    for (int from = 0; from < kRecords; from += 20'000) {
        produce(source(), sized(topic, kPartitions, from, 20'000, 1000));
    }
    throttle_target(topic, 8 * 1000 * 1000);
    // and kmirror with a 48 MiB budget (two workers: 24 MiB each)
    constexpr std::int64_t kBudget = 48 * kMiB;
    // docs/operations.md, "Memory": the fixed overhead (code, librdkafka's
    // threads and buffers, SQLite, HTTP) for a flow of this size.
    constexpr std::int64_t kOverhead = 64 * kMiB;
    KmirrorProcess kmirror(flow_config(topic, source(), target(), topic) +
                               "memory: { budget: 48MiB }\n",
                           "membudget");
    const auto start = std::chrono::steady_clock::now();
    kmirror.start();
    RssSampler rss(kmirror.pid());

    // when it drains the backlog
    ASSERT_TRUE(wait_for_commits_at_end(source(), "kmirror." + topic, topic, 600s))
        << kmirror.log();
    const double drained = seconds_since(start);
    const auto peak = rss.peak();
    const auto hwm = rss_bytes(kmirror.pid(), "VmHWM:");
    kmirror.signal(SIGTERM);
    EXPECT_EQ(kmirror.wait_exit(40s), 0) << kmirror.log();
    throttle_target(topic, 0);

    // then every record is on the target, in order, and RSS never passed
    // budget + overhead
    const auto t = tally(read_topic(source(), topic), read_topic(target(), "primary." + topic));
    EXPECT_EQ(t.missing, 0u);
    EXPECT_EQ(t.out_of_order, 0u);
    std::cout << "[ MEASURE  ] 120 MB into a target at 8 MB/s: drained in " << drained
              << " s, peak RSS " << peak / kMiB << " MiB sampled every 100 ms (VmHWM "
              << hwm / kMiB << " MiB), budget " << kBudget / kMiB << " MiB + overhead "
              << kOverhead / kMiB << " MiB, " << t.duplicates() << " duplicates\n";
    EXPECT_GT(peak, 0);
    EXPECT_LE(peak, kBudget + kOverhead);
    // The quota bit: at 8 MB/s, 120 MB take 15 s, less what Kafka lets
    // through before the quota bites (it throttles on the rate over its
    // window, quota.window.num 11 x 1 s: 13.6 s seen on librdkafka 2.14);
    // unthrottled, the drain takes 2-3 s.
    EXPECT_GE(drained, 10.0) << "the quota did not slow the target down: the test proves nothing";
}

// Test 2 of #16: max_bytes_per_second holds over 30 s within 10 %.
TEST(DataPath, MaxBytesPerSecondHoldsTheRateWithinTenPercent) {
    // given a backlog far larger than 35 s at the cap
    const auto topic = unique_name("throttle");
    constexpr int kPartitions = 6;
    constexpr std::size_t kValue = 992;  // + 8 bytes of key: 1000 bytes a record
    constexpr std::int64_t kCap = 2 * kMiB;
    create_topic(source(), topic, kPartitions);
    for (int from = 0; from < 120'000; from += 20'000) {
        produce(source(), sized(topic, kPartitions, from, 20'000, kValue));
    }
    KmirrorProcess kmirror(
        flow_config(topic, source(), target(), topic, "    max_bytes_per_second: 2MiB\n"),
        "throttle");
    kmirror.start();
    const auto mirrored = "primary." + topic;
    // when it has mirrored for a few seconds (past the first burst)
    ASSERT_TRUE(wait_for_records(target(), mirrored, 5000, 60s)) << kmirror.log();
    std::this_thread::sleep_for(3s);
    const auto n0 = records_on(target(), mirrored, kPartitions);
    const auto t0 = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(30s);
    const auto n1 = records_on(target(), mirrored, kPartitions);
    const double elapsed = seconds_since(t0);

    // then the target received the cap's rate, within 10 %
    const double rate = static_cast<double>((n1 - n0) * 1000) / elapsed;
    std::cout << "[ MEASURE  ] max_bytes_per_second 2MiB: " << rate / kMiB << " MiB/s over "
              << elapsed << " s (" << rate / static_cast<double>(kCap) << " of the cap)\n";
    EXPECT_NEAR(rate / static_cast<double>(kCap), 1.0, 0.10);
    // and the time throttled shows in metrics and /status
    const auto throttled =
        metric_value(kmirror, "kmirror_throttled_seconds_total{flow=\"" + topic + "\"}");
    ASSERT_TRUE(throttled.has_value());
    EXPECT_GT(*throttled, 10.0);
    const auto status = harness::http_get("127.0.0.1:" + std::to_string(kmirror.http_port()),
                                          "/status");
    ASSERT_TRUE(status.ok()) << status.body;
    EXPECT_NE(status.body.find("\"max_bytes_per_second\":" + std::to_string(kCap)),
              std::string::npos)
        << status.body;
    kmirror.signal(SIGTERM);
    EXPECT_EQ(kmirror.wait_exit(40s), 0) << kmirror.log();
}

// Defect 1 of #16, item 6: a record the target refuses left a gap, and the
// records produced after it landed after the gap. Now the partition stops at
// that record and nothing after it reaches the target.
TEST(DataPath, ARecordTooLargeForTheTargetStopsItsPartitionWithNothingAfterTheGap) {
    // given a target topic that takes record batches of at most 64 KiB, and a
    // source partition whose record 50 is 100 KB. (The limit applies to the
    // producer's whole batch, which librdkafka does not split as Java's
    // producer does: the other partitions' 100 records of 200 B fit in one.)
    const auto topic = unique_name("toolarge");
    const auto mirrored = "primary." + topic;
    constexpr int kPartitions = 3;
    create_topic(source(), topic, kPartitions);
    create_topic(target(), mirrored, kPartitions, {{"max.message.bytes", "65536"}});
    std::vector<kafka::Record> records;
    for (int i = 0; i < 100 * kPartitions; ++i) {
        const bool large = i / kPartitions == 50 && i % kPartitions == 0;
        records.push_back({topic, i % kPartitions, "k" + std::to_string(i),
                           "id-" + std::to_string(i) + "-" + std::string(large ? 100'000 : 200, 'x'),
                           {},
                           0});
    }
    produce(source(), records);
    // (the target's limit stays: configs are not synced from the source)
    KmirrorProcess kmirror(
        flow_config(topic, source(), target(), topic, "    sync_topic_configs: false\n"),
        "toolarge");
    kmirror.start();

    // when kmirror has mirrored everything it can and stopped partition 0
    ASSERT_TRUE(harness::wait_until(
        [&] {
            auto on_target = read_topic(target(), mirrored);
            return on_target[1].size() >= 100 && on_target[2].size() >= 100 &&
                   metric_value(kmirror, "kmirror_partitions_stopped{flow=\"" + topic + "\"}") ==
                       1.0;
        },
        60s, "partitions 1 and 2 mirrored, partition 0 stopped"))
        << kmirror.log();
    // its commit reaches the refused record: everything before it is acknowledged
    ASSERT_TRUE(harness::wait_until(
        [&] {
            kafka::Consumer c(settings_for("committed", source()),
                              {{"group.id", "kmirror." + topic}});
            auto got = c.committed({{topic, 0}}, 10s);
            return got && got.value()[0].offset == 50;
        },
        30s, "partition 0 committed up to the refused record"))
        << kmirror.log();
    kmirror.signal(SIGTERM);
    EXPECT_EQ(kmirror.wait_exit(40s), 0) << kmirror.log();

    // then partition 0 on the target holds records 0..49 in order, and
    // nothing after them
    auto on_target = read_topic(target(), mirrored);
    ASSERT_EQ(on_target[0].size(), 50u) << kmirror.log();
    for (std::size_t i = 0; i < 50; ++i) {
        EXPECT_EQ(on_target[0][i].value.value_or("").rfind(
                      "id-" + std::to_string(i * kPartitions) + "-", 0),
                  0u);
    }
    EXPECT_NE(kmirror.log().find("max.message.bytes=65536"), std::string::npos) << kmirror.log();
}

// Defect 2 of #16, item 6: with a slow target, records still queued for a
// partition the group took away kept going to the target after on_revoked
// gave up waiting (10 s), while the new owner wrote the same partition: two
// writers interleaved on one target partition. Now they are purged first.
TEST(DataPath, RecordsOfARevokedPartitionNeverLandAfterTheNewOwnersCopies) {
    // given a backlog, a target throttled hard, and a first instance with
    // far more queued for the target than it can deliver before a rebalance
    const auto topic = unique_name("revoke");
    const auto mirrored = "primary." + topic;
    constexpr int kPartitions = 4;
    constexpr int kRecords = 20'000;
    create_topic(source(), topic, kPartitions);
    produce(source(), sized(topic, kPartitions, 0, kRecords, 500));
    throttle_target(topic, 100'000);
    const auto config = flow_config(topic, source(), target(), topic);
    const auto one_worker = std::regex_replace(config, std::regex("workers: 2"), "workers: 1");
    KmirrorProcess first(one_worker, "revoke-first");
    first.start();
    ASSERT_TRUE(harness::wait_until(
        [&] {
            const auto in_flight =
                metric_value(first, "kmirror_in_flight_bytes{flow=\"" + topic + "\"}");
            return in_flight && *in_flight > 2.0 * kMiB;
        },
        60s, "records queued for the slow target"))
        << first.log();

    // when a second instance joins and takes half of the partitions, while
    // the target stays slow for 15 s more (past the first's 10 s drain)
    KmirrorProcess second(one_worker, "revoke-second");
    second.start();
    ASSERT_TRUE(harness::wait_until(
        [&] { return second.log().find("assigned 2 partition(s)") != std::string::npos; }, 60s,
        "the second instance owns two partitions"))
        << second.log();
    std::this_thread::sleep_for(15s);
    throttle_target(topic, 0);
    ASSERT_TRUE(wait_for_commits_at_end(source(), "kmirror." + topic, topic, 300s))
        << first.log() << second.log();
    first.signal(SIGTERM);
    second.signal(SIGTERM);
    EXPECT_EQ(first.wait_exit(40s), 0) << first.log();
    EXPECT_EQ(second.wait_exit(40s), 0) << second.log();

    // then nothing is missing, and each target partition is a copy written
    // by one instance at a time: a break in the sequence of source records
    // only where a partition changed hands or was rewound (at most two)
    const auto on_target = read_topic(target(), mirrored);
    const auto t = tally(read_topic(source(), topic), on_target);
    EXPECT_EQ(t.missing, 0u);
    const auto b = breaks(on_target, kPartitions);
    int total = 0;
    for (const auto& [p, n] : b) total += n;
    std::cout << "[ MEASURE  ] revoked with records queued: " << t.duplicates()
              << " duplicates, " << total << " breaks in source order over " << kPartitions
              << " partitions\n";
    for (int p = 0; p < kPartitions; ++p) {
        EXPECT_LE(b.contains(p) ? b.at(p) : 0, 2) << "partition " << p << " interleaves writers";
    }
}

}  // namespace
}  // namespace kmirror::test
