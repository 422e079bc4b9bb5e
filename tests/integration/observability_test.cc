// Heartbeats, /metrics, health endpoints, the Grafana dashboard and the alert
// rules, against two real Kafka clusters and a real Prometheus server.

#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <thread>

#include "tests/harness/command.h"
#include "tests/harness/kafka_cluster.h"
#include "tests/harness/prometheus.h"
#include "tests/harness/wait.h"
#include "tests/integration/mirror_fixture.h"

namespace kmirror::test {
namespace {

using namespace std::chrono_literals;

std::string source() { return harness::source().bootstrap(); }
std::string target() { return harness::target().bootstrap(); }
std::string repo_file(const std::string& rel) { return std::string(KMIRROR_SOURCE_DIR) + "/" + rel; }
const std::string kDashboard = repo_file("helm/kmirror/dashboards/kmirror.json");
const std::string kRules = repo_file("helm/kmirror/alerts/kmirror-rules.yaml");

std::string http_address(const KmirrorProcess& k) {
    return "127.0.0.1:" + std::to_string(k.http_port());
}

// "x > 60" -> "x > bool 60": a rule's condition as a value for every series,
// so "returns data" means the metrics behind the alert exist.
std::string as_bool_comparison(const std::string& expr) {
    static const std::regex cmp(R"((>=|<=|==|!=|>|<)\s*(-?[0-9][0-9.e+]*))");
    return std::regex_replace(expr, cmp, "$1 bool $2");
}

// One kmirror for the whole binary, mirroring this binary's topics.
class Observability : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        base_ = new std::string(unique_name("obs"));
        create_topic(source(), *base_ + "-orders", 3);
        // Larger records than the target allows: max.message.bytes stays local.
        create_topic(source(), *base_ + "-big", 1, {{"max.message.bytes", "3000000"}});
        create_topic(source(), *base_ + "-gone", 1);
        kmirror_ = new KmirrorProcess(
            flow_config(*base_, source(), target(), *base_ + "-.*",
                        "    config_exclude: [max.message.bytes]\n"
                        "    commit_interval: 200ms\n"),
            "obs");
        kmirror_->start();
        ASSERT_TRUE(kmirror_->wait_ready(60s)) << kmirror_->log();
    }
    static void TearDownTestSuite() {
        kmirror_->signal(SIGTERM);
        EXPECT_EQ(kmirror_->wait_exit(60s), 0) << kmirror_->log();
        delete kmirror_;
        delete base_;
    }

    static void produce_orders(int n) {
        std::vector<kafka::Record> records;
        for (int i = 0; i < n; ++i) {
            records.push_back({*base_ + "-orders", i % 3, "k" + std::to_string(i), "v", {}, 0});
        }
        produce(source(), records);
    }

    static std::string* base_;
    static KmirrorProcess* kmirror_;
};

std::string* Observability::base_ = nullptr;
KmirrorProcess* Observability::kmirror_ = nullptr;

TEST_F(Observability, HeartbeatAgeStaysBelowTwoIntervalsPlusLatencyWhenIdle) {
    ASSERT_TRUE(harness::poll_until(
        [&] {
            return metric_value(*kmirror_, "kmirror_heartbeat_age_seconds{flow=\"" + *base_ + "\"}")
                .has_value();
        },
        30s));
    // Idle business topics; heartbeats alone keep the age low. Interval 1 s.
    double worst = 0;
    for (int i = 0; i < 20; ++i) {
        const auto age = metric_value(*kmirror_, "kmirror_heartbeat_age_seconds{flow=\"" + *base_ + "\"}");
        ASSERT_TRUE(age);
        worst = std::max(worst, *age);
        std::this_thread::sleep_for(250ms);
    }
    std::cout << "[ MEASURE  ] worst heartbeat age over 5 s idle: " << worst << " s\n";
    // 2 x heartbeat_interval + replication latency (fetch wait + produce): a
    // 1 s allowance, stretched like every wall-clock limit of the suite.
    EXPECT_LT(worst, 2 * 1.0 + 1.0 * harness::timeout_scale());
}

TEST_F(Observability, EndpointSurvivesMalformedRequestsAndFiftyClientsWhileMirroring) {
    const auto address = http_address(*kmirror_);
    std::atomic<bool> done{false};
    std::atomic<int> answered{0};
    std::atomic<int> failed{0};
    std::vector<std::thread> clients;
    for (int c = 0; c < 50; ++c) {
        clients.emplace_back([&, c] {
            const char* paths[] = {"/metrics", "/status", "/readyz", "/healthz", "/nope"};
            while (!done.load()) {
                const auto r = harness::http_get(address, paths[c % 5]);
                (r.status != 0 ? answered : failed).fetch_add(1);
            }
        });
    }
    // Malformed requests through raw sockets.
    for (const char* garbage : {"GARBAGE\r\n\r\n", "GET / HTTP/7\r\n\r\n", "\x01\x02\x03\r\n\r\n"}) {
        const auto r = harness::run_command(
            {"bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(kmirror_->http_port()) +
                               "; printf '" + std::string(garbage) + "' >&3; timeout 5 cat <&3"});
        // (the status line itself: "400" anywhere in the reply would not do)
        EXPECT_TRUE(std::regex_search(r.output, std::regex(R"(^HTTP/1\.[01] 400 )")))
            << r.output;
    }
    const auto before = count(read_topic(target(), "primary." + *base_ + "-orders"));
    produce_orders(3000);
    EXPECT_TRUE(wait_for_records(target(), "primary." + *base_ + "-orders", before + 3000, 60s))
        << kmirror_->log();
    done = true;
    for (auto& t : clients) t.join();
    std::cout << "[ MEASURE  ] " << answered.load() << " HTTP answers to 50 clients while "
              << "mirroring 3000 records\n";
    EXPECT_EQ(failed.load(), 0);
    EXPECT_GT(answered.load(), 50);
    EXPECT_EQ(harness::http_get(address, "/healthz").status, 200);
    const auto status = harness::http_get(address, "/status");
    EXPECT_EQ(status.status, 200);
    EXPECT_NE(status.body.find("\"name\":\"" + *base_ + "\""), std::string::npos) << status.body;
}

TEST_F(Observability, PrometheusEvaluatesEveryDashboardAndAlertExpression) {
    // promtool validates the rules file.
    const auto check = harness::run_command({"promtool", "check", "rules", kRules});
    EXPECT_EQ(check.exit_code, 0) << check.output;

    // Events behind the error panels and alerts, provoked for real:
    // a record the target refuses (partition stops) ...
    {
        kafka::Producer big(settings_for("test", source()), {{"message.max.bytes", "5000000"}});
        ASSERT_TRUE(big.produce({*base_ + "-big", 0, "k", std::string(2'000'000, 'x'), {}, 0}));
        ASSERT_TRUE(big.flush(30s));
    }
    // ... and a mirrored source topic deleted and created again (a consume
    // error, "topic_recreated"; librdkafka 2.8 also reported the deleted
    // topic's partitions as consumer errors, 2.14 no longer does).
    ASSERT_TRUE(wait_for_records(target(), "primary." + *base_ + "-gone", 0, 30s));
    produce(source(), {{*base_ + "-gone", 0, "k", "v", {}, 0}});
    ASSERT_TRUE(wait_for_records(target(), "primary." + *base_ + "-gone", 1, 30s));
    {
        const auto mark = kmirror_->log().size();
        kafka::Admin admin(settings_for("test", source()));
        ASSERT_FALSE(admin.delete_topics({*base_ + "-gone"}, 30s).at(0).error);
        ASSERT_TRUE(harness::wait_until(
            [&] {
                return kmirror_->log().find("released partition(s) of deleted topic '" + *base_ +
                                                "-gone' marked",
                                            mark) != std::string::npos;
            },
            60s, "kmirror releasing and marking the deleted topic's partition"));
        // Created again only once the deletion is complete on the broker.
        ASSERT_TRUE(harness::wait_until(
            [&] {
                const auto r = admin.create_topics({{*base_ + "-gone", 1, 1, {}}}, 30s);
                return r.size() == 1 && !r[0].error;
            },
            60s, "the topic created again"));
    }
    produce(source(), {{*base_ + "-gone", 0, "k", "again", {}, 0}});
    produce_orders(500);

    auto prometheus = harness::PrometheusServer::start(unique_name("prom"),
                                                       {http_address(*kmirror_)}, {kRules});
    const auto has_data = [&](const std::string& expr) {
        return harness::query(prometheus->address(), expr).series > 0;
    };
    const std::vector<std::string> needed{
        "rate(kmirror_records_total[1m]) > 0", "kmirror_produce_errors_total",
        "kmirror_consume_errors_total", "kmirror_checkpoint_age_seconds"};
    const auto missing = [&] {
        std::string out;
        for (const auto& expr : needed) {
            if (!has_data(expr)) out += (out.empty() ? "" : ", ") + expr;
        }
        return out;
    };
    ASSERT_TRUE(harness::poll_until([&] { return missing().empty(); }, 90s))
        << "no data in Prometheus for: " << missing() << "\n"
        << kmirror_->log();

    int evaluated = 0;
    for (const auto& q : harness::dashboard_queries(kDashboard)) {
        const auto r = harness::query(prometheus->address(), q.expr);
        EXPECT_TRUE(r.ok) << q.origin << ": " << q.expr << ": " << r.error;
        EXPECT_GT(r.series, 0) << q.origin << " has no data: " << q.expr;
        ++evaluated;
    }
    for (const auto& q : harness::rule_queries(kRules)) {
        const auto r = harness::query(prometheus->address(), q.expr);
        EXPECT_TRUE(r.ok) << q.origin << ": " << q.expr << ": " << r.error;
        const auto values = harness::query(prometheus->address(), as_bool_comparison(q.expr));
        EXPECT_TRUE(values.ok) << q.origin << ": " << values.error;
        EXPECT_GT(values.series, 0) << q.origin << " has no data: " << as_bool_comparison(q.expr);
        ++evaluated;
    }
    std::cout << "[ MEASURE  ] " << evaluated << " dashboard and rule expressions evaluated\n";
    EXPECT_GT(evaluated, 20);
}

// A copy of the rules file whose `alert`'s `for:` is `for_` instead, in the
// temporary directory; empty (with a test failure) when the rule or its
// `for:` is not found.
std::string rules_with_for(const std::string& alert, const std::string& for_) {
    std::ifstream in(kRules);
    std::string rules((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto rule = rules.find("- alert: " + alert + "\n");
    const auto next = rules.find("- alert: ", rule + 1);  // npos for the last rule
    const auto at = rule == std::string::npos ? rule : rules.find(" for: ", rule);
    if (at == std::string::npos || at > next) {
        ADD_FAILURE() << "no `for:` of alert " << alert << " in " << kRules;
        return "";
    }
    rules.replace(at, rules.find('\n', at) - at, " for: " + for_);
    const auto path = std::filesystem::temp_directory_path() / (unique_name("rules") + ".yaml");
    std::ofstream(path) << rules;
    return path.string();
}

// Last: it stops the target cluster of this binary.
TEST_F(Observability, TargetOutageRaisesLagAndTheGapAlertThenRecovers) {
    const auto address = http_address(*kmirror_);
    ASSERT_TRUE(harness::poll_until([&] { return harness::http_get(address, "/readyz").ok(); }, 60s));
    // The shipped rules, but the gap alert's `for: 5m` is 5 s: the alert
    // itself (expression, `for`, grouping and labels) must fire during the
    // outage and resolve after it, not just its expression become true.
    const auto short_rules = rules_with_for("KmirrorReplicationGapHigh", "5s");
    ASSERT_FALSE(short_rules.empty());
    struct Remove {
        std::string path;
        ~Remove() { std::filesystem::remove(path); }
    } remove_short_rules{short_rules};
    auto prometheus =
        harness::PrometheusServer::start(unique_name("prom"), {address}, {short_rules});
    const auto gap_alert = "ALERTS{alertname=\"KmirrorReplicationGapHigh\",alertstate=\"firing\","
                           "job=\"kmirror\",flow=\"" + *base_ + "\"}";
    // (-1: the query failed, which is neither firing nor resolved)
    const auto firing = [&] {
        const auto r = harness::query(prometheus->address(), gap_alert);
        return r.ok ? r.series : -1;
    };
    const auto gap_rule = [&] {
        for (const auto& q : harness::rule_queries(kRules)) {
            if (q.origin.find("KmirrorReplicationGapHigh") != std::string::npos) return q.expr;
        }
        return std::string();
    }();
    ASSERT_FALSE(gap_rule.empty());
    const auto orders_lag = "sum(kmirror_lag_records{flow=\"" + *base_ + "\",topic=\"" + *base_ +
                            "-orders\"})";
    const auto value = [&](const std::string& expr) -> double {
        const auto r = harness::query(prometheus->address(), expr);
        return r.samples.empty() ? -1 : r.samples.front().value;
    };

    harness::target().stop();
    std::atomic<bool> done{false};
    std::thread writer([&] {
        while (!done.load()) {
            produce_orders(100);
            std::this_thread::sleep_for(500ms);
        }
    });
    // The gap rule's threshold is 60 s: the outage must outlast it.
    EXPECT_TRUE(harness::poll_until([&] { return value(orders_lag) > 500; }, 60s))
        << "lag in records did not rise";
    EXPECT_TRUE(harness::poll_until(
        [&] { return harness::query(prometheus->address(), gap_rule).series > 0; }, 120s))
        << "the gap alert's expression did not become true";
    EXPECT_TRUE(harness::poll_until([&] { return firing() == 1; }, 30s))
        << "the gap alert did not fire: " << gap_alert << " has " << firing() << " series";
    EXPECT_EQ(harness::http_get(address, "/readyz").status, 503);
    std::cout << "[ MEASURE  ] during the outage: lag " << value(orders_lag) << " records, "
              << value("max(kmirror_lag_seconds)") << " s, heartbeat age "
              << value("max(kmirror_heartbeat_age_seconds)") << " s\n";
    done = true;
    writer.join();

    harness::target().start_again();
    EXPECT_TRUE(harness::poll_until([&] { return harness::http_get(address, "/readyz").ok(); }, 90s))
        << harness::http_get(address, "/readyz").body;
    EXPECT_TRUE(harness::poll_until([&] { return value(orders_lag) == 0; }, 90s))
        << "lag did not fall back: " << value(orders_lag);
    EXPECT_TRUE(harness::poll_until([&] { return firing() == 0; }, 60s))
        << "the gap alert still fires after the outage";
    EXPECT_TRUE(harness::poll_until(
        [&] {
            return value("max(kmirror_heartbeat_age_seconds{flow=\"" + *base_ + "\"})") <
                   2 * 1.0 + 1.0 * harness::timeout_scale();
        },
        60s));
}

}  // namespace
}  // namespace kmirror::test
