// kmirror as a service: systemd's notify protocol through a real
// NOTIFY_SOCKET (READY, STATUS, WATCHDOG, STOPPING), and SIGHUP reloads,
// against two real Kafka clusters (started once for this binary).

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <sstream>
#include <thread>

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

// What systemd would receive: a unix datagram socket the child's
// $NOTIFY_SOCKET names, read on a thread; every datagram is kept with the
// time it arrived.
class NotifySocket {
public:
    struct Message {
        Clock::time_point at;
        std::string text;  // "READY=1", "STATUS=...", "WATCHDOG=1", ...
    };

    NotifySocket() {
        path_ = (std::filesystem::temp_directory_path() / unique_name("notify")).string();
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        path_.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
            throw std::runtime_error("cannot bind " + path_);
        }
        timeval tv{0, 100'000};  // lets the reader see stop_
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        reader_ = std::thread([this] {
            char buf[4096];
            while (!stop_) {
                const auto n = ::recv(fd_, buf, sizeof(buf), 0);
                if (n <= 0) continue;
                std::lock_guard lock(mu_);
                // One datagram may carry several "KEY=value" lines.
                std::istringstream lines(std::string(buf, static_cast<std::size_t>(n)));
                for (std::string line; std::getline(lines, line);) {
                    messages_.push_back({Clock::now(), line});
                }
            }
        });
    }
    ~NotifySocket() {
        stop_ = true;
        reader_.join();
        ::close(fd_);
        std::filesystem::remove(path_);
    }
    NotifySocket(const NotifySocket&) = delete;
    NotifySocket& operator=(const NotifySocket&) = delete;

    [[nodiscard]] const std::string& path() const { return path_; }
    std::vector<Message> messages() const {
        std::lock_guard lock(mu_);
        return messages_;
    }
    /// The first message starting with `prefix`, if any.
    std::optional<Message> first(const std::string& prefix) const {
        for (const auto& m : messages()) {
            if (m.text.rfind(prefix, 0) == 0) return m;
        }
        return std::nullopt;
    }
    /// Arrival times of the messages equal to `text`.
    std::vector<Clock::time_point> times_of(const std::string& text) const {
        std::vector<Clock::time_point> out;
        for (const auto& m : messages()) {
            if (m.text == text) out.push_back(m.at);
        }
        return out;
    }
    std::string dump() const {
        std::string out;
        const auto all = messages();
        const auto t0 = all.empty() ? Clock::now() : all.front().at;
        for (const auto& m : all) {
            out += "  +" +
                   std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(m.at - t0).count()) +
                   " ms " + m.text + "\n";
        }
        return out;
    }

private:
    std::string path_;
    int fd_ = -1;
    std::atomic<bool> stop_{false};
    std::thread reader_;
    mutable std::mutex mu_;
    std::vector<Message> messages_;
};

// Flows need a (source, target) pair each: the source cluster is configured
// under the aliases p1 .. p4, so its copies are named "p1.<topic>", ...
std::string flow_yaml(const std::string& name, const std::string& source_alias,
                      const std::vector<std::string>& include, const std::string& extra = "") {
    std::string topics;
    for (const auto& t : include) topics += (topics.empty() ? "\"" : ", \"") + t + "\"";
    return "  - name: " + name + "\n    source: " + source_alias + "\n    target: dr\n" +
           "    topics: { include: [" + topics + "] }\n    refresh_interval: 500ms\n" + extra;
}

std::string service_config(const std::string& flows, const std::string& extra = "",
                           const std::string& more_clusters = "") {
    std::string clusters = "clusters:\n  dr: { bootstrap: \"" + target() + "\" }\n" + more_clusters;
    for (const auto* alias : {"p1", "p2", "p3", "p4"}) {
        clusters += "  " + std::string(alias) + ": { bootstrap: \"" + source() + "\" }\n";
    }
    return clusters + "flows:\n" + flows + extra + "log: { level: info }\nshutdown: { timeout: 20s }\nhttp: { listen: \"127.0.0.1:0\" }\n";
}

harness::HttpResponse get(const KmirrorProcess& kmirror, const std::string& path) {
    return harness::http_get("127.0.0.1:" + std::to_string(kmirror.http_port()), path);
}

TEST(Notify, ReadyOnlyOnceEveryFlowIsAssignedThenStatusWatchdogAndStopping) {
    // given two flows, the second of which has a source cluster that is down
    auto late = harness::KafkaCluster::start({.name = unique_name("notify-late")});
    late->stop();
    const auto a = unique_name("notify-a");
    const auto b = unique_name("notify-b");
    create_topic(source(), a, 2);
    NotifySocket notify;
    KmirrorProcess kmirror(
        service_config(flow_yaml("fa", "p1", {a}) + flow_yaml("fb", "late", {b}),
                       "connect_timeout: 2s\n",
                       "  late: { bootstrap: \"" + late->bootstrap() + "\" }\n"),
        "notify");
    kmirror.set_env("NOTIFY_SOCKET", notify.path());
    kmirror.set_env("WATCHDOG_USEC", "1000000");  // WatchdogSec=1
    kmirror.start();

    // then systemd hears why it is not ready, and no READY=1
    ASSERT_TRUE(harness::wait_until(
        [&] { return notify.first("STATUS=1/2 flows ready; flow 'fb': cannot start").has_value(); },
        60s, "STATUS= naming the flow that cannot start"))
        << notify.dump() << kmirror.log();
    EXPECT_FALSE(notify.first("READY=1")) << notify.dump();
    EXPECT_EQ(get(kmirror, "/readyz").status, 503);

    // when its cluster comes up, READY=1 follows once the flow is assigned
    late->start_again();
    create_topic(late->bootstrap(), b, 3);
    ASSERT_TRUE(harness::wait_until([&] { return notify.first("READY=1").has_value(); }, 90s,
                                    "READY=1"))
        << notify.dump() << kmirror.log();
    const auto ready_at = notify.first("READY=1")->at;
    EXPECT_EQ(get(kmirror, "/readyz").status, 200) << get(kmirror, "/readyz").body;
    // fb: its topic's 3 partitions and the heartbeats topic's one (the
    // heartbeats topic is created on the source when a flow starts). READY
    // needs one partition per flow: when fb started before `b` was created,
    // discovery adds b's partitions a moment after READY.
    const auto fb_assigned = [&]() -> std::int64_t {
        const auto flows = status_flows(kmirror);
        return flows && flows->contains("fb") ? flows->at("fb").assigned_partitions : -1;
    };
    EXPECT_TRUE(harness::wait_until([&] { return fb_assigned() == 4; }, 30s,
                                    "fb assigned its 4 partitions"))
        << "fb: " << fb_assigned() << "\n" << get(kmirror, "/status").body;
    ASSERT_TRUE(harness::wait_until(
        [&] { return notify.first("STATUS=mirroring: 2 flows, 7 partitions").has_value(); }, 30s,
        "STATUS=mirroring: 2 flows, 7 partitions"))
        << notify.dump();

    // and WATCHDOG=1 comes at half of WatchdogSec, from the start on
    ASSERT_TRUE(harness::wait_until(
        [&] {
            const auto t = notify.times_of("WATCHDOG=1");
            return !t.empty() && t.back() - ready_at >= 5s;
        },
        30s, "5 s of watchdog pings after READY=1"))
        << notify.dump();
    const auto pings = notify.times_of("WATCHDOG=1");
    ASSERT_GE(pings.size(), 10u) << notify.dump();
    auto max_gap = Clock::duration::zero();
    std::size_t after_ready = 0;
    for (std::size_t i = 1; i < pings.size(); ++i) {
        max_gap = std::max(max_gap, pings[i] - pings[i - 1]);
        if (pings[i] >= ready_at && pings[i] < ready_at + 5s) ++after_ready;
    }
    std::cout << "[ MEASURE  ] WatchdogSec=1: " << after_ready << " pings in the 5 s after READY, "
              << "largest gap " << std::chrono::duration_cast<std::chrono::milliseconds>(max_gap).count()
              << " ms\n";
    // Every 500 ms: 10. A loaded machine only delays pings (each one re-arms
    // the timer), so the lower bound is stretched and the upper one is not:
    // never more often than half the interval.
    EXPECT_GE(static_cast<double>(after_ready), 8 / harness::timeout_scale());
    EXPECT_LE(after_ready, 11u);
    EXPECT_LT(max_gap, harness::scaled(1000ms)) << notify.dump();

    // when SIGTERM arrives: STOPPING=1, then no more pings
    kmirror.signal(SIGTERM);
    EXPECT_EQ(kmirror.wait_exit(40s), 0) << kmirror.log();
    const auto stopping = notify.first("STOPPING=1");
    ASSERT_TRUE(stopping) << notify.dump();
    for (const auto& t : notify.times_of("WATCHDOG=1")) {
        EXPECT_LT(t, stopping->at) << notify.dump();
    }
}

TEST(Notify, AFlowWhoseTargetRefusesEveryRecordStopsTheWatchdogPings) {
    // given a target topic that refuses every record (max.message.bytes below
    // the record size; config sync off so kmirror keeps it), and no heartbeats
    // (they would get through: a flow that copies heartbeats is not stalled)
    const auto topic = unique_name("notify-stall");
    create_topic(source(), topic, 2);
    create_topic(target(), "p1." + topic, 2, {{"max.message.bytes", "200"}});
    NotifySocket notify;
    KmirrorProcess kmirror(
        service_config(flow_yaml("stuck", "p1", {topic},
                                 "    sync_topic_configs: false\n    emit_heartbeats: false\n"),
                       "health: { stall_timeout: 3s }\n"),
        "notify-stall");
    kmirror.set_env("NOTIFY_SOCKET", notify.path());
    kmirror.set_env("WATCHDOG_USEC", "1000000");
    kmirror.start();
    ASSERT_TRUE(harness::wait_until([&] { return notify.first("READY=1").has_value(); }, 60s,
                                    "READY=1"))
        << notify.dump() << kmirror.log();
    ASSERT_TRUE(harness::wait_until([&] { return notify.times_of("WATCHDOG=1").size() >= 2; }, 10s,
                                    "watchdog pings while healthy"))
        << notify.dump();

    // when records arrive that the target refuses
    produce(source(), numbered(topic, 2, 0, 10, 1000));

    // then the flow is reported stalled and the pings stop
    ASSERT_TRUE(harness::wait_until(
        [&] { return get(kmirror, "/readyz").body.find("stalled") != std::string::npos; }, 60s,
        "/readyz reporting the stall"))
        << get(kmirror, "/readyz").body << kmirror.log();
    const auto stalled_at = Clock::now();
    EXPECT_EQ(get(kmirror, "/readyz").status, 503);
    ASSERT_TRUE(harness::wait_until(
        [&] { return notify.first("STATUS=0/1 flows ready; flow 'stuck': stalled").has_value(); },
        10s, "STATUS= naming the stalled flow"))
        << notify.dump();
    // Three watchdog intervals (at least): systemd would have restarted kmirror.
    std::this_thread::sleep_for(harness::scaled(3s));
    // One ping may have been on its way when the stall was seen (the margin
    // stretched like every wait: the ping loop runs later on a loaded machine).
    const auto pings = notify.times_of("WATCHDOG=1");
    const auto late = std::count_if(pings.begin(), pings.end(), [&](auto t) {
        return t > stalled_at + harness::scaled(600ms);
    });
    EXPECT_EQ(late, 0) << notify.dump();
    EXPECT_NE(kmirror.log().find("systemd watchdog: not pinging"), std::string::npos)
        << kmirror.log();
    kmirror.signal(SIGTERM);
    EXPECT_EQ(kmirror.wait_exit(40s), 0) << kmirror.log();
}

// Counts the rebalances kmirror saw in a flow (kmirror_rebalances_total).
double rebalances(const KmirrorProcess& kmirror, const std::string& flow) {
    const auto body = get(kmirror, "/metrics").body;
    const auto key = "kmirror_rebalances_total{flow=\"" + flow + "\"} ";
    const auto pos = body.find(key);
    return pos == std::string::npos ? -1 : std::stod(body.substr(pos + key.size()));
}

TEST(Reload, SighupAddsRemovesAndRestartsFlowsWhileTheOthersMirrorUntouched) {
    const auto a = unique_name("reload-a");    // flow fa: unchanged
    const auto b1 = unique_name("reload-b1");  // flow fb: gains b2
    const auto b2 = unique_name("reload-b2");
    const auto c = unique_name("reload-c");  // flow fc: added
    const auto d = unique_name("reload-d");  // flow fd: removed
    for (const auto& t : {a, b1, b2, c, d}) create_topic(source(), t, 2);
    KmirrorProcess kmirror(service_config(flow_yaml("fa", "p1", {a}) + flow_yaml("fb", "p2", {b1}) +
                                          flow_yaml("fd", "p3", {d})),
                           "reload");
    kmirror.start();
    ASSERT_TRUE(kmirror.wait_ready(60s)) << kmirror.log();
    ASSERT_TRUE(harness::wait_until(
        [&] { return get(kmirror, "/readyz").status == 200; }, 60s, "every flow assigned"))
        << get(kmirror, "/readyz").body;
    const auto fa_rebalances = rebalances(kmirror, "fa");
    ASSERT_GE(fa_rebalances, 1) << get(kmirror, "/metrics").body;

    // given a steady stream into the unchanged flow's topic
    std::atomic<bool> stop_a{false};
    std::thread producer_a([&] {
        for (int i = 0; !stop_a; i += 100) {
            produce(source(), numbered(a, 2, i, 100));
            std::this_thread::sleep_for(50ms);
        }
    });
    produce(source(), numbered(b1, 2, 0, 200));
    produce(source(), numbered(d, 2, 0, 200));
    ASSERT_TRUE(wait_for_commits_at_end(source(), "kmirror.fd", d, 60s)) << kmirror.log();

    // when the file changes and SIGHUP arrives
    kmirror.rewrite_config(service_config(flow_yaml("fa", "p1", {a}) + flow_yaml("fb", "p2", {b1, b2}) +
                                          flow_yaml("fc", "p4", {c})));
    kmirror.signal(SIGHUP);
    ASSERT_TRUE(harness::wait_until(
        [&] {
            return kmirror.log().find("flows added: fc; removed: fd; restarted: fb; unchanged: fa") !=
                   std::string::npos;
        },
        30s, "the reload's summary"))
        << kmirror.log();
    // The removed flow drained and left its group before d gets new records.
    ASSERT_TRUE(harness::wait_until(
        [&] {
            return kmirror.log().find("flow 'fd': stopped for the new configuration") !=
                   std::string::npos;
        },
        30s, "the removed flow stopped"))
        << kmirror.log();
    produce(source(), numbered(b1, 2, 200, 200));
    produce(source(), numbered(b2, 2, 0, 200));
    produce(source(), numbered(c, 2, 0, 200));
    produce(source(), numbered(d, 2, 200, 200));

    // then the added and the changed flow mirror their topics
    ASSERT_TRUE(wait_for_commits_at_end(source(), "kmirror.fb", b1, 60s)) << kmirror.log();
    ASSERT_TRUE(wait_for_commits_at_end(source(), "kmirror.fb", b2, 60s)) << kmirror.log();
    ASSERT_TRUE(wait_for_commits_at_end(source(), "kmirror.fc", c, 60s)) << kmirror.log();

    // when an invalid file arrives
    kmirror.rewrite_config(service_config(flow_yaml("fa", "p1", {a}) +
                                          "    refresh_interval: soon\n    wrokers: 2\n"));
    const auto [code, diagnostics] = run_kmirror({"check-config", "-c", kmirror.config_path()});
    ASSERT_EQ(code, 2) << diagnostics;
    kmirror.signal(SIGHUP);
    ASSERT_TRUE(harness::wait_until(
        [&] { return kmirror.log().find("reload refused") != std::string::npos; }, 30s,
        "the refusal"))
        << kmirror.log();
    // then the log has check-config's diagnostics, line for line
    std::istringstream lines(diagnostics);
    for (std::string line; std::getline(lines, line);) {
        if (!line.empty()) {
            EXPECT_NE(kmirror.log().find(line), std::string::npos) << line;
        }
    }
    // and everything keeps running as it was
    produce(source(), numbered(c, 2, 200, 100));
    ASSERT_TRUE(wait_for_commits_at_end(source(), "kmirror.fc", c, 60s)) << kmirror.log();

    stop_a = true;
    producer_a.join();
    ASSERT_TRUE(wait_for_commits_at_end(source(), "kmirror.fa", a, 60s)) << kmirror.log();
    EXPECT_EQ(rebalances(kmirror, "fa"), fa_rebalances) << "the unchanged flow was disturbed";
    kmirror.signal(SIGTERM);
    ASSERT_EQ(kmirror.wait_exit(40s), 0) << kmirror.log();

    for (const auto& t : {a, b1, b2, c}) {
        const auto src = read_topic(source(), t);
        const auto tl = tally(src, read_topic(target(), t == a ? "p1." + t : t == c ? "p4." + t : "p2." + t));
        std::cout << "[ MEASURE  ] " << t << ": " << count(src) << " records, " << tl.missing
                  << " missing, " << tl.duplicates() << " duplicates\n";
        EXPECT_EQ(tl.missing, 0u) << t;
        EXPECT_EQ(tl.duplicates(), 0u) << t;
    }
    // The removed flow mirrored nothing after the reload: the target still
    // holds the 200 records it copied before.
    EXPECT_EQ(count(read_topic(target(), "p3." + d)), 200u);
}

}  // namespace
}  // namespace kmirror::test
