// Broker outages under a steady stream, and active/active in one process,
// against two real Kafka clusters (started once for this binary): issue #11,
// fault tests 1, 2 and 7. Each compares source and target record by record
// (0 missing, order kept per partition) and prints what it measured as
// `[ MEASURE  ]` lines.

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "kafka/consumer.h"
#include "kafka/producer.h"
#include "tests/harness/kafka_cluster.h"
#include "tests/harness/prometheus.h"
#include "tests/harness/wait.h"
#include "tests/integration/mirror_fixture.h"

namespace kmirror::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string source() { return harness::source().bootstrap(); }
std::string target() { return harness::target().bootstrap(); }

std::string http_address(const KmirrorProcess& k) {
    return "127.0.0.1:" + std::to_string(k.http_port());
}

/// The sum of the series of metric `name` on kmirror's /metrics whose labels
/// contain `label` (e.g. `topic="orders"`, or "" for any); nullopt when there
/// is no such series or no answer.
std::optional<double> metric_sum(const std::string& address, const std::string& name,
                                 const std::string& label) {
    const auto r = harness::http_get(address, "/metrics");
    if (!r.ok()) return std::nullopt;
    std::optional<double> sum;
    std::istringstream lines(r.body);
    for (std::string line; std::getline(lines, line);) {
        const bool labelled = line.rfind(name + "{", 0) == 0;
        if (!labelled && line.rfind(name + " ", 0) != 0) continue;
        if (!label.empty() && line.find(label) == std::string::npos) continue;
        sum = sum.value_or(0) + std::stod(line.substr(line.rfind(' ') + 1));
    }
    return sum;
}

/// The end offset (high watermark) of every partition, empty if one is unknown.
std::vector<std::int64_t> end_offsets(const std::string& bootstrap, const std::string& topic,
                                      int partitions) {
    kafka::Admin admin(settings_for("test", bootstrap));
    std::vector<std::int64_t> out;
    for (std::int32_t p = 0; p < partitions; ++p) {
        auto m = admin.watermarks(topic, p, 10s);
        if (!m) return {};
        out.push_back(m.value().second);
    }
    return out;
}

std::int64_t sum(const std::vector<std::int64_t>& v) {
    std::int64_t n = 0;
    for (auto x : v) n += x;
    return n;
}

/// True when group `group` on `bootstrap` committed at least `offsets[p]` for
/// every partition p of `topic`: everything before was mirrored and acknowledged.
class CommitWatch {
public:
    CommitWatch(const std::string& bootstrap, const std::string& group, const std::string& topic,
                int partitions)
        : consumer_(settings_for("test", bootstrap),
                    {{"group.id", group}, {"enable.auto.commit", "false"}}) {
        for (std::int32_t p = 0; p < partitions; ++p) partitions_.push_back({topic, p});
    }
    bool reached(const std::vector<std::int64_t>& offsets) {
        auto committed = consumer_.committed(partitions_, 5s);
        if (!committed || committed.value().size() != offsets.size()) return false;
        for (std::size_t p = 0; p < offsets.size(); ++p) {
            if (committed.value()[p].offset < offsets[p]) return false;
        }
        return true;
    }

private:
    kafka::Consumer consumer_;
    std::vector<kafka::TopicPartition> partitions_;
};

/// Writes numbered records ("<topic>-<n>", partition n % partitions) at a
/// steady rate from a background thread, through one idempotent producer that
/// waits out broker outages (message.timeout.ms 0) instead of failing records.
class SteadyProducer {
public:
    SteadyProducer(const std::string& bootstrap, std::string topic, int partitions, int per_second)
        : topic_(std::move(topic)),
          partitions_(static_cast<std::size_t>(partitions)),
          per_second_(per_second),
          producer_(settings_for("test", bootstrap),
                    {{"enable.idempotence", "true"}, {"linger.ms", "5"}, {"message.timeout.ms", "0"}},
                    &handler_),
          thread_([this] { run(); }) {}
    ~SteadyProducer() { (void)stop(0ms); }
    SteadyProducer(const SteadyProducer&) = delete;
    SteadyProducer& operator=(const SteadyProducer&) = delete;

    /// Stops writing; true when every record written was acknowledged within
    /// `timeout` (scaled) and none failed.
    bool stop(std::chrono::milliseconds timeout) {
        if (thread_.joinable()) {
            done_ = true;
            thread_.join();
        }
        return producer_.flush(harness::scaled(timeout)) && handler_.failed.load() == 0;
    }
    [[nodiscard]] std::size_t written() const { return written_.load(); }
    [[nodiscard]] std::size_t acknowledged() const { return handler_.ok.load(); }

private:
    class Counter : public kafka::DeliveryHandler {
    public:
        void on_delivery(kafka::DeliveryReport& r) noexcept override {
            (r.error ? failed : ok).fetch_add(1);
        }
        std::atomic<std::size_t> ok{0};
        std::atomic<std::size_t> failed{0};
    };

    void run() {
        const auto start = Clock::now();
        const std::string padding(100, 'x');
        while (!done_.load()) {
            const auto due = static_cast<std::size_t>(seconds_since(start) * per_second_);
            for (auto n = written_.load(); n < due; n = written_.load()) {
                const auto id = std::to_string(n);
                const kafka::Record record{topic_, static_cast<std::int32_t>(n % partitions_),
                                           "k" + id, topic_ + "-" + id + "-" + padding, {}, 0};
                if (!producer_.produce(record)) break;  // queue full: try again next round
                written_.fetch_add(1);
            }
            producer_.poll(10ms);
        }
    }

    std::string topic_;
    std::size_t partitions_;
    int per_second_;
    Counter handler_;
    kafka::Producer producer_;
    std::atomic<std::size_t> written_{0};
    std::atomic<bool> done_{false};
    std::thread thread_;  // declared last: starts once everything above exists
};

/// Starts a harness cluster again at scope exit if a failing test left it
/// down: the next test of this binary needs it.
class RunningAgainAtExit {
public:
    explicit RunningAgainAtExit(harness::KafkaCluster& cluster) : cluster_(cluster) {}
    ~RunningAgainAtExit() {
        try {
            if (!cluster_.running()) cluster_.start_again();
        } catch (const std::exception& e) {
            ADD_FAILURE() << cluster_.name() << " did not start again: " << e.what();
        }
    }
    RunningAgainAtExit(const RunningAgainAtExit&) = delete;
    RunningAgainAtExit& operator=(const RunningAgainAtExit&) = delete;

private:
    harness::KafkaCluster& cluster_;
};

/// Records acknowledged per second by kmirror (kmirror_records_total of
/// `topic`) over an observation window of `window`.
double acknowledged_rate(const std::string& address, const std::string& topic,
                         std::chrono::seconds window) {
    const auto label = "topic=\"" + topic + "\"";
    const auto start = Clock::now();
    const auto first = metric_sum(address, "kmirror_records_total", label).value_or(0);
    std::this_thread::sleep_for(window);  // the observation window itself
    const auto last = metric_sum(address, "kmirror_records_total", label).value_or(0);
    return (last - first) / seconds_since(start);
}

void print_tally(const std::string& what, const Tally& t, std::size_t source_records) {
    std::cout << "[ MEASURE  ] " << what << ": " << source_records << " source records, "
              << t.missing << " missing, " << t.duplicates() << " duplicates, "
              << t.out_of_order << " partitions out of order on the target\n";
}

/// One source topic fed by a SteadyProducer and mirrored by one kmirror
/// (commits every 200 ms, so its committed offsets follow acknowledgements closely).
class Outages : public ::testing::Test {
protected:
    void start_mirror(const std::string& base, int partitions) {
        topic_ = unique_name(base);
        partitions_ = partitions;
        create_topic(source(), topic_, partitions);
        kmirror_ = std::make_unique<KmirrorProcess>(
            flow_config(topic_, source(), target(), topic_, "    commit_interval: 200ms\n"), base);
        kmirror_->start();
        ASSERT_TRUE(kmirror_->wait_ready(60s)) << kmirror_->log();
        address_ = http_address(*kmirror_);
    }
    /// Starts the stream and returns once kmirror keeps pace with it: two
    /// seconds of it mirrored, and then everything written by that moment.
    void start_stream(int per_second) {
        producer_ = std::make_unique<SteadyProducer>(source(), topic_, partitions_, per_second);
        ASSERT_TRUE(harness::wait_until([&] { return mirrored() >= 2 * per_second; }, 60s,
                                        "two seconds of the stream mirrored"))
            << kmirror_->log();
        ASSERT_TRUE(mirrored_up_to_now("the stream's start")) << kmirror_->log();
    }
    /// Waits until kmirror committed, on every partition, the source end
    /// offset of now (a test failure naming `what` if not).
    bool mirrored_up_to_now(const std::string& what) {
        const auto ends = source_end_offsets();
        CommitWatch commits(source(), "kmirror." + topic_, topic_, partitions_);
        return harness::wait_until([&] { return commits.reached(ends); }, 120s,
                                   "everything written by " + what + " mirrored");
    }
    /// Records of the topic kmirror acknowledged so far.
    double mirrored() const {
        return metric_sum(address_, "kmirror_records_total", "topic=\"" + topic_ + "\"").value_or(0);
    }
    std::vector<std::int64_t> source_end_offsets() const {
        return end_offsets(source(), topic_, partitions_);
    }
    /// Stops the stream, waits until kmirror committed its end, stops kmirror
    /// (SIGTERM) and compares the topic on both clusters record by record.
    void expect_everything_mirrored(const std::string& what) {
        ASSERT_TRUE(producer_->stop(60s)) << "the test's producer could not write everything";
        ASSERT_TRUE(wait_for_commits_at_end(source(), "kmirror." + topic_, topic_, 60s))
            << kmirror_->log();
        kmirror_->signal(SIGTERM);
        EXPECT_EQ(kmirror_->wait_exit(40s), 0) << kmirror_->log();
        const auto src = read_topic(source(), topic_);
        const auto t = tally(src, read_topic(target(), "primary." + topic_));
        print_tally(what, t, count(src));
        RecordProperty("duplicates", static_cast<int>(t.duplicates()));
        EXPECT_EQ(count(src), producer_->acknowledged());
        EXPECT_EQ(t.missing, 0u);
        EXPECT_EQ(t.out_of_order, 0u);
    }

    std::string topic_;
    int partitions_ = 0;
    std::unique_ptr<KmirrorProcess> kmirror_;
    std::string address_;
    std::unique_ptr<SteadyProducer> producer_;
};

// Fault test 1. "Back to the pre-outage rate within 10 s of the broker
// answering" is measured as: from the moment the restarted target answers
// metadata (start_again() returns), (a) the backlog is cleared: kmirror's
// group committed, on every partition, at least the source end offset of that
// moment, within 10 s (x KMIRROR_TEST_TIMEOUT_SCALE); then (b) it keeps pace:
// over the next 10 s it acknowledges at least 80% of the pre-outage rate
// (records/s of kmirror_records_total over 10 s before the outage) and its
// lag is at most one second of writes at the end of that window.
TEST_F(Outages, TargetDownTwoMinutesUnderSteadyLoadLosesNothingAndCatchesUpWithinTenSeconds) {
    // given kmirror mirroring 24 partitions that a producer feeds at 300 records/s
    constexpr int kPerSecond = 300;
    ASSERT_NO_FATAL_FAILURE(start_mirror("outage", 24));
    ASSERT_NO_FATAL_FAILURE(start_stream(kPerSecond));
    const auto of_topic = "topic=\"" + topic_ + "\"";
    const auto of_flow = "flow=\"" + topic_ + "\"";
    const double rate_before = acknowledged_rate(address_, topic_, 10s);

    // when the target broker is stopped for 2 minutes (the outage, not scaled)
    const auto stopping_at = Clock::now();
    harness::target().stop();
    RunningAgainAtExit restart(harness::target());
    const auto stopped_at = Clock::now();
    double lag_peak = 0;
    double heartbeat_age_peak = 0;
    int ready_status = 0;
    int not_ready_samples = 0;
    int samples = 0;
    while (Clock::now() - stopped_at < 120s) {
        std::this_thread::sleep_for(1s);  // the outage itself, sampled once a second
        ++samples;
        lag_peak = std::max(lag_peak,
                            metric_sum(address_, "kmirror_lag_records", of_topic).value_or(0));
        heartbeat_age_peak = std::max(
            heartbeat_age_peak,
            metric_sum(address_, "kmirror_heartbeat_age_seconds", of_flow).value_or(0));
        ready_status = harness::http_get(address_, "/readyz").status;
        if (ready_status == 503) ++not_ready_samples;
    }
    std::cout << "[ MEASURE  ] target stopped in " << seconds_since(stopping_at) - 120
              << " s, then down 120 s: lag peak " << lag_peak
              << " records, heartbeat age peak " << heartbeat_age_peak << " s, /readyz 503 in "
              << not_ready_samples << " of " << samples << " samples\n";
    EXPECT_EQ(ready_status, 503) << "/readyz at the end of the outage";
    EXPECT_GT(lag_peak, kPerSecond * 60) << "lag did not rise during the outage";
    EXPECT_GT(heartbeat_age_peak, 60) << "heartbeat age did not rise during the outage";

    // then, once the target answers again, the backlog is mirrored within 10 s ...
    harness::target().start_again();
    const auto answering = Clock::now();
    const auto mirrored_at_restart = mirrored();
    const auto backlog = source_end_offsets();
    ASSERT_EQ(backlog.size(), static_cast<std::size_t>(partitions_));
    CommitWatch commits(source(), "kmirror." + topic_, topic_, partitions_);
    std::optional<double> first_ack_s;
    std::optional<double> ready_s;
    const bool caught_up = harness::poll_until(
        [&] {
            if (!first_ack_s && mirrored() > mirrored_at_restart) {
                first_ack_s = seconds_since(answering);
            }
            if (!ready_s && harness::http_get(address_, "/readyz").status == 200) {
                ready_s = seconds_since(answering);
            }
            return commits.reached(backlog);
        },
        120s);
    const double catch_up_s = seconds_since(answering);
    std::cout << "[ MEASURE  ] target back: first record acknowledged after "
              << first_ack_s.value_or(-1) << " s, /readyz 200 after " << ready_s.value_or(-1)
              << " s, backlog of " << static_cast<double>(sum(backlog)) - mirrored_at_restart
              << " records cleared after " << catch_up_s << " s\n";
    ASSERT_TRUE(caught_up) << "backlog not cleared in " << harness::scaled(120s).count()
                           << " ms\n"
                           << kmirror_->log();
    // Most of the catch-up is the wait for the producer's next reconnect
    // attempt: kmirror leaves librdkafka's reconnect.backoff.max.ms at 10 s,
    // so after a long outage that attempt comes anywhere up to 10 s after the
    // broker answers (see first_ack_s); the transfer itself takes under a second.
    EXPECT_LE(catch_up_s, 10.0 * harness::timeout_scale())
        << "the backlog took longer than 10 s (x KMIRROR_TEST_TIMEOUT_SCALE) to clear";

    // ... and it keeps pace with the stream afterwards
    const double rate_after = acknowledged_rate(address_, topic_, 10s);
    const auto lag_after = metric_sum(address_, "kmirror_lag_records", of_topic);
    std::cout << "[ MEASURE  ] rate before the outage " << rate_before
              << " records/s, in the 10 s after the catch-up " << rate_after
              << " records/s; lag at the end of those 10 s " << lag_after.value_or(-1)
              << " records\n";
    EXPECT_GE(rate_after, 0.8 * rate_before);
    EXPECT_LE(lag_after.value_or(1e9), kPerSecond * harness::timeout_scale())
        << "more than one second of writes behind after the catch-up";

    // and readiness, heartbeat age and lag come back
    EXPECT_TRUE(harness::wait_until(
        [&] { return harness::http_get(address_, "/readyz").status == 200; }, 30s, "/readyz 200"));
    const double heartbeat_limit = 2 * 1.0 + 1.0 * harness::timeout_scale();
    std::optional<double> heartbeat_age;
    EXPECT_TRUE(harness::wait_until(
        [&] {
            heartbeat_age = metric_sum(address_, "kmirror_heartbeat_age_seconds", of_flow);
            return heartbeat_age && *heartbeat_age < heartbeat_limit;
        },
        30s, "heartbeat age below 2 intervals + 1 s"))
        << heartbeat_age.value_or(-1);
    ASSERT_TRUE(producer_->stop(60s)) << "the test's producer could not write everything";
    std::optional<double> lag;
    EXPECT_TRUE(harness::wait_until(
        [&] {
            lag = metric_sum(address_, "kmirror_lag_records", of_topic);
            return lag == 0.0;
        },
        60s, "lag 0 once the stream ends"))
        << lag.value_or(-1);
    std::cout << "[ MEASURE  ] after the stream: lag " << lag.value_or(-1)
              << " records, heartbeat age " << heartbeat_age.value_or(-1) << " s\n";
    expect_everything_mirrored("target down for 2 minutes under a steady stream");
}

// Fault test 2: the source broker dies (kill -9) mid-stream and comes back;
// the same kmirror process carries on (never exited, never restarted).
TEST_F(Outages, SourceBrokerKilledMidStreamRecoversWithoutAKmirrorRestart) {
    // given kmirror mirroring a steady stream
    ASSERT_NO_FATAL_FAILURE(start_mirror("srckill", 12));
    const auto started = metric_sum(address_, "process_start_time_seconds", "");
    ASSERT_TRUE(started);
    ASSERT_NO_FATAL_FAILURE(start_stream(300));

    // when the source broker is killed mid-stream, stays down 5 s, and restarts
    harness::source().kill();
    RunningAgainAtExit restart(harness::source());
    std::this_thread::sleep_for(5s);  // the outage itself
    ASSERT_TRUE(kmirror_->running()) << kmirror_->log();
    harness::source().start_again();
    const auto answering = Clock::now();
    const auto mirrored_at_restart = mirrored();

    // then the same process mirrors again: first new acknowledgement, then
    // everything on the source by then (written before, during and after)
    ASSERT_TRUE(harness::wait_until([&] { return mirrored() > mirrored_at_restart; }, 120s,
                                    "a record acknowledged after the restart"))
        << kmirror_->log();
    const double first_ack_s = seconds_since(answering);
    ASSERT_TRUE(mirrored_up_to_now("the first acknowledgement")) << kmirror_->log();
    const double recovered_s = seconds_since(answering);
    std::cout << "[ MEASURE  ] source killed and restarted: first record acknowledged "
              << first_ack_s << " s after it answered again, everything written by then mirrored "
              << recovered_s << " s after it answered\n";
    EXPECT_TRUE(harness::wait_until(
        [&] { return harness::http_get(address_, "/readyz").status == 200; }, 30s, "/readyz 200"));
    EXPECT_TRUE(kmirror_->running());
    EXPECT_EQ(metric_sum(address_, "process_start_time_seconds", ""), started)
        << "kmirror restarted";
    const auto log = kmirror_->log();
    EXPECT_EQ(log.find("kmirror ready"), log.rfind("kmirror ready")) << "kmirror restarted";
    expect_everything_mirrored("source killed (kill -9) and restarted mid-stream");
}

/// The values of a record's kmirror.hops headers, in order.
std::vector<std::string> hops_of(const TestRecord& r) {
    std::vector<std::string> hops;
    for (const auto& [name, value] : r.headers) {
        if (name == "kmirror.hops") hops.push_back(value.value_or(""));
    }
    return hops;
}

/// One cluster's copy of an active/active topic, by where each record came from.
struct ByOrigin {
    std::map<std::int32_t, std::vector<TestRecord>> local;     ///< produced here: no hops
    std::map<std::int32_t, std::vector<TestRecord>> mirrored;  ///< hops == {other}
    std::size_t cycled = 0;                                    ///< anything else: came back
};

ByOrigin by_origin(const std::map<std::int32_t, std::vector<TestRecord>>& records,
                   const std::string& other_alias) {
    ByOrigin out;
    for (const auto& [p, list] : records) {
        out.local[p];
        out.mirrored[p];
        for (const auto& r : list) {
            const auto hops = hops_of(r);
            if (hops.empty()) {
                out.local[p].push_back(r);
            } else if (hops == std::vector<std::string>{other_alias}) {
                out.mirrored[p].push_back(r);
            } else {
                ++out.cycled;
            }
        }
    }
    return out;
}

// Fault test 7: active/active with the identity policy, both flows in one
// process. A record copied from "primary" to "dr" carries the header
// kmirror.hops=primary; the dr -> primary flow must skip it. The quiet period
// is an observation window: every exact condition (both groups committed at
// the end) is waited for first, then nothing may move for 30 s.
TEST(ActiveActive, TwoFlowsInOppositeDirectionsCopyEachRecordOnceAndNothingCyclesBack) {
    // given one topic name on both clusters, mirrored both ways by one process
    const auto topic = unique_name("aa");
    constexpr int kPartitions = 4;
    constexpr int kRecords = 10'000;
    create_topic(source(), topic, kPartitions);
    create_topic(target(), topic, kPartitions);
    const std::string identity = "    rename: { policy: identity }\n";
    auto config = flow_config(topic + "-to-dr", source(), target(), topic, identity);
    config.insert(config.find("log: {"), "  - name: " + topic + "-to-primary\n"
                                         "    source: dr\n"
                                         "    target: primary\n"
                                         "    topics: { include: [\"" + topic + "\"] }\n"
                                         "    workers: 2\n" + identity);
    KmirrorProcess kmirror(config, "active-active");
    kmirror.start();
    ASSERT_TRUE(kmirror.wait_ready(60s)) << kmirror.log();

    // when 10,000 records are written on each side at the same time
    const auto records = [&](const std::string& side) {
        std::vector<kafka::Record> out;
        for (int i = 0; i < kRecords; ++i) {
            out.push_back({topic, i % kPartitions, "k" + std::to_string(i),
                           side + "-" + std::to_string(i), {}, 0});
        }
        return out;
    };
    std::thread on_dr([&] { produce(target(), records("dr")); });
    produce(source(), records("primary"));
    on_dr.join();

    // then both flows reach the end of their source topic: primary's, then
    // dr's (which holds primary's copies by then), then primary's again (which
    // holds dr's copies): nothing is left to copy either way
    const auto group_to_dr = "kmirror." + topic + "-to-dr";
    const auto group_to_primary = "kmirror." + topic + "-to-primary";
    ASSERT_TRUE(wait_for_commits_at_end(source(), group_to_dr, topic, 120s)) << kmirror.log();
    ASSERT_TRUE(wait_for_commits_at_end(target(), group_to_primary, topic, 120s)) << kmirror.log();
    ASSERT_TRUE(wait_for_commits_at_end(source(), group_to_dr, topic, 120s)) << kmirror.log();
    const auto primary_end = end_offsets(source(), topic, kPartitions);
    const auto dr_end = end_offsets(target(), topic, kPartitions);
    std::this_thread::sleep_for(30s);  // the quiet period: an observation window
    EXPECT_EQ(end_offsets(source(), topic, kPartitions), primary_end)
        << "records arrived on primary during 30 s of quiet";
    EXPECT_EQ(end_offsets(target(), topic, kPartitions), dr_end)
        << "records arrived on dr during 30 s of quiet";
    const auto address = http_address(kmirror);
    const auto skipped = [&](const std::string& flow) {
        return metric_sum(address, "kmirror_records_skipped_total", "flow=\"" + flow + "\"")
            .value_or(-1);
    };
    const auto skipped_to_dr = skipped(topic + "-to-dr");
    const auto skipped_to_primary = skipped(topic + "-to-primary");
    kmirror.signal(SIGTERM);
    EXPECT_EQ(kmirror.wait_exit(40s), 0) << kmirror.log();

    const auto on_primary = by_origin(read_topic(source(), topic), "dr");
    const auto on_dr_side = by_origin(read_topic(target(), topic), "primary");
    const auto to_dr = tally(on_primary.local, on_dr_side.mirrored);
    const auto to_primary = tally(on_dr_side.local, on_primary.mirrored);
    std::cout << "[ MEASURE  ] active/active: end offsets after 30 s of quiet: primary "
              << sum(primary_end) << ", dr " << sum(dr_end) << "; records that cycled back: "
              << on_primary.cycled << " on primary, " << on_dr_side.cycled
              << " on dr; records skipped by their hops header (with heartbeats): "
              << skipped_to_dr << " primary -> dr, " << skipped_to_primary << " dr -> primary\n";
    print_tally("active/active primary -> dr", to_dr, count(on_primary.local));
    print_tally("active/active dr -> primary", to_primary, count(on_dr_side.local));
    EXPECT_EQ(count(on_primary.local), static_cast<std::size_t>(kRecords));
    EXPECT_EQ(count(on_dr_side.local), static_cast<std::size_t>(kRecords));
    for (const auto& [what, t] : {std::pair{"primary -> dr", to_dr}, std::pair{"dr -> primary", to_primary}}) {
        EXPECT_EQ(t.missing, 0u) << what;
        EXPECT_EQ(t.duplicates(), 0u) << what;
        EXPECT_EQ(t.out_of_order, 0u) << what;
    }
    EXPECT_EQ(on_primary.cycled, 0u);
    EXPECT_EQ(on_dr_side.cycled, 0u);
    // By end offsets: each side holds its own records and the other's, once.
    EXPECT_EQ(sum(primary_end), 2 * kRecords);
    EXPECT_EQ(sum(dr_end), 2 * kRecords);
    EXPECT_GE(skipped_to_dr, kRecords);
    EXPECT_GE(skipped_to_primary, kRecords);
}

}  // namespace
}  // namespace kmirror::test
