// Secured clusters: kmirror against real brokers whose client listener requires
// SASL SCRAM-SHA-512 (users created at format time, as Strimzi does), on the
// default Kafka 4.x and on 3.9.1. The plaintext target is the binary's
// TwoClusterEnvironment target; the SCRAM sources start once per Kafka version.

#include <gtest/gtest.h>

#include <future>
#include <iostream>
#include <map>
#include <memory>
#include <regex>
#include <sstream>

#include "tests/harness/kafka_cluster.h"
#include "tests/harness/prometheus.h"
#include "tests/harness/wait.h"
#include "tests/integration/mirror_fixture.h"

namespace kmirror::test {
namespace {

using namespace std::chrono_literals;

const harness::ScramUser kMirrorUser{"kmirror", "Scr4m-p4ss-only-in-env"};

std::string target() { return harness::target().bootstrap(); }

// "" is the harness's default Kafka (4.x); 3.9.1 is the last 3.x line.
const std::vector<std::string> kVersions{"", "3.9.1"};

class ScramSource : public ::testing::TestWithParam<std::string> {
public:
    // Both SCRAM clusters start together, once for the binary.
    static void SetUpTestSuite() {
        std::map<std::string, std::future<std::unique_ptr<harness::KafkaCluster>>> starting;
        for (const auto& v : kVersions) {
            starting[v] = std::async(std::launch::async, [v] {
                return harness::KafkaCluster::start(
                    {.name = unique_name("scram" + (v.empty() ? std::string() : "-" + v)),
                     .kafka_version = v,
                     .scram_users = {kMirrorUser}});
            });
        }
        for (auto& [v, f] : starting) clusters()[v] = f.get();
    }
    static void TearDownTestSuite() { clusters().clear(); }

protected:
    static std::map<std::string, std::unique_ptr<harness::KafkaCluster>>& clusters() {
        static std::map<std::string, std::unique_ptr<harness::KafkaCluster>> c;
        return c;
    }
    static harness::KafkaCluster& source() { return *clusters().at(GetParam()); }

    /// A flow from the SCRAM source to the plaintext target; the password is
    /// read from the environment variable KMIRROR_TEST_PRIMARY_PASSWORD.
    static std::string config(const std::string& flow, const std::string& topic) {
        std::ostringstream y;
        y << "clusters:\n"
          << "  primary:\n"
          << "    bootstrap: \"" << source().bootstrap() << "\"\n"
          << "    properties:\n"
          << "      security.protocol: SASL_PLAINTEXT\n"
          << "      sasl.mechanism: SCRAM-SHA-512\n"
          << "      sasl.username: " << kMirrorUser.name << "\n"
          << "      sasl.password: \"${env:KMIRROR_TEST_PRIMARY_PASSWORD}\"\n"
          << "  dr: { bootstrap: \"" << target() << "\" }\n"
          << "flows:\n"
          << "  - name: " << flow << "\n"
          << "    source: primary\n"
          << "    target: dr\n"
          << "    topics: { include: [\"" << topic << "\"] }\n"
          << "shutdown: { timeout: 20s }\n"
          << "http: { listen: \"127.0.0.1:0\" }\n";
        return y.str();
    }
};

std::string version_name(const ::testing::TestParamInfo<std::string>& info) {
    return info.param.empty() ? std::string("DefaultKafka")
                              : "Kafka" + std::regex_replace(info.param, std::regex("\\."), "_");
}

TEST_P(ScramSource, MirrorsEveryRecordWithThePasswordFromTheEnvironment) {
    // given a topic of three partitions on the SCRAM-SHA-512 source
    const auto topic = unique_name("scram");
    create_topic(source().bootstrap(), topic, 3);
    std::vector<kafka::Record> records;
    for (int i = 0; i < 3'000; ++i) {
        kafka::Record r{topic, i % 3, "key-" + std::to_string(i), "value-" + std::to_string(i),
                        {}, 0};
        if (i % 7 == 0) r.value.reset();
        if (i % 5 == 0) r.headers = {{"trace", "t-" + std::to_string(i)}};
        records.push_back(std::move(r));
    }
    produce(source().bootstrap(), records);

    // when kmirror mirrors it as its SCRAM user, password from ${env:...}
    KmirrorProcess kmirror(config(topic, topic), "scram");
    kmirror.set_env("KMIRROR_TEST_PRIMARY_PASSWORD", kMirrorUser.password);
    kmirror.start();
    ASSERT_TRUE(kmirror.wait_ready(60s)) << kmirror.log();
    ASSERT_TRUE(wait_for_commits_at_end(source().bootstrap(), "kmirror." + topic, topic, 120s))
        << kmirror.log();
    kmirror.signal(SIGTERM);
    EXPECT_EQ(kmirror.wait_exit(60s), 0) << kmirror.log();

    // then every record arrived, same partition, order and content,
    expect_same_records(read_topic(source().bootstrap(), topic),
                        read_topic(target(), "primary." + topic));
    // and the password appears nowhere in what kmirror printed
    EXPECT_EQ(kmirror.log().find(kMirrorUser.password), std::string::npos);
}

TEST_P(ScramSource, AWrongPasswordIsReportedByClusterWithinThirtySecondsAndKeepsReadyzFalse) {
    const auto topic = unique_name("badpass");
    create_topic(source().bootstrap(), topic, 1);
    const std::string wrong = "not-" + kMirrorUser.password;
    KmirrorProcess kmirror(config(topic, topic), "badpass");
    kmirror.set_env("KMIRROR_TEST_PRIMARY_PASSWORD", wrong);
    const auto started = std::chrono::steady_clock::now();
    kmirror.start();

    // The error names the cluster and says what failed, within 30 s.
    const std::string expected = "source cluster 'primary' at " + source().bootstrap() +
                                 " refused kmirror: authentication failed";
    ASSERT_TRUE(harness::wait_until([&] { return kmirror.log().find(expected) != std::string::npos; },
                                    30s, "the authentication error in the log"))
        << kmirror.log();
    std::cout << "[ MEASURE  ] authentication failure reported after "
              << std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - started)
                     .count()
              << " ms\n";

    // /readyz answers 503 with that reason, while the flow is retried (never ready).
    ASSERT_GT(kmirror.http_port(), 0) << kmirror.log();
    const auto address = "127.0.0.1:" + std::to_string(kmirror.http_port());
    const auto ready = harness::http_get(address, "/readyz");
    EXPECT_EQ(ready.status, 503) << ready.body << ready.error;
    EXPECT_NE(ready.body.find("authentication failed"), std::string::npos) << ready.body;
    EXPECT_NE(ready.body.find("'primary'"), std::string::npos) << ready.body;
    EXPECT_TRUE(kmirror.running()) << kmirror.log();
    EXPECT_EQ(kmirror.log().find("kmirror ready"), std::string::npos) << kmirror.log();

    kmirror.signal(SIGTERM);
    EXPECT_EQ(kmirror.wait_exit(30s), 0) << kmirror.log();
    for (const auto& secret : {wrong, kMirrorUser.password}) {
        EXPECT_EQ(kmirror.log().find(secret), std::string::npos) << "a password was logged";
        EXPECT_EQ(ready.body.find(secret), std::string::npos) << "a password in /readyz";
    }
}

TEST_P(ScramSource, AWrongPasswordEndsKmirrorWithExitCodeOneUnderFailFast) {
    const auto topic = unique_name("failfast");
    create_topic(source().bootstrap(), topic, 1);
    KmirrorProcess kmirror(config(topic, topic), "failfast");
    kmirror.set_env("KMIRROR_TEST_PRIMARY_PASSWORD", "wrong");
    kmirror.add_run_argument("--fail-fast");
    kmirror.start();
    EXPECT_EQ(kmirror.wait_exit(30s), 1) << kmirror.log();
    EXPECT_NE(kmirror.log().find("source cluster 'primary' at " + source().bootstrap() +
                                 " refused kmirror: authentication failed"),
              std::string::npos)
        << kmirror.log();
}

INSTANTIATE_TEST_SUITE_P(Versions, ScramSource, ::testing::ValuesIn(kVersions), version_name);

}  // namespace
}  // namespace kmirror::test
