// Secured clusters: kmirror against real brokers whose client listener requires
// SASL SCRAM-SHA-512 (users created at format time, as Strimzi does), on the
// default Kafka 4.x and on 3.9.1. The plaintext target is the binary's
// TwoClusterEnvironment target; the SCRAM sources start once per Kafka version.

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <map>
#include <memory>
#include <regex>
#include <sstream>

#include "tests/harness/kafka_cluster.h"
#include "tests/harness/oidc_issuer.h"
#include "tests/harness/prometheus.h"
#include "kafka/consumer.h"
#include "tests/harness/wait.h"
#include "tests/integration/mirror_fixture.h"

namespace kmirror::test {
namespace {

using namespace std::chrono_literals;

const harness::ScramUser kMirrorUser{"kmirror", "Scr4m-p4ss-only-in-env"};

std::string target() { return harness::target().bootstrap(); }

/// Runs `kmirror` until it committed the end of every partition of `topic`
/// on `source`, stops it with SIGTERM, and compares every record on `target`.
void mirror_and_compare(KmirrorProcess& kmirror, const std::string& source,
                        const std::string& topic, const std::string& target) {
    kmirror.start();
    ASSERT_TRUE(kmirror.wait_ready(60s)) << kmirror.log();
    ASSERT_TRUE(wait_for_commits_at_end(source, "kmirror." + topic, topic, 120s))
        << kmirror.log();
    kmirror.signal(SIGTERM);
    EXPECT_EQ(kmirror.wait_exit(60s), 0) << kmirror.log();
    expect_same_records(read_topic(source, topic), read_topic(target, "primary." + topic));
}

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
    /// `extra_properties`: more lines of the source's properties (6 spaces in).
    static std::string config(const std::string& flow, const std::string& topic,
                              const std::string& extra_properties = "",
                              const std::string& log_level = "info") {
        std::ostringstream y;
        y << "clusters:\n"
          << "  primary:\n"
          << "    bootstrap: \"" << source().bootstrap() << "\"\n"
          << "    properties:\n"
          << "      security.protocol: SASL_PLAINTEXT\n"
          << "      sasl.mechanism: SCRAM-SHA-512\n"
          << "      sasl.username: " << kMirrorUser.name << "\n"
          << "      sasl.password: \"${env:KMIRROR_TEST_PRIMARY_PASSWORD}\"\n"
          << extra_properties << "  dr: { bootstrap: \"" << target() << "\" }\n"
          << "flows:\n"
          << "  - name: " << flow << "\n"
          << "    source: primary\n"
          << "    target: dr\n"
          << "    topics: { include: [\"" << topic << "\"] }\n"
          << "log: { level: " << log_level << " }\n"
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
    // then every record arrives, same partition, order and content,
    mirror_and_compare(kmirror, source().bootstrap(), topic, target());
    // and the password appears nowhere in what kmirror printed
    EXPECT_EQ(kmirror.log().find(kMirrorUser.password), std::string::npos);
}

TEST_P(ScramSource, ThePasswordNeverShowsInLibrdkafkasDebugOutput) {
    // given kmirror logging everything librdkafka says (debug: all)
    const auto topic = unique_name("debug");
    create_topic(source().bootstrap(), topic, 1);
    produce(source().bootstrap(), {{topic, 0, "k", "v", {}, 0}});
    KmirrorProcess kmirror(config(topic, topic, "      debug: all\n", "debug"), "debug");
    kmirror.set_env("KMIRROR_TEST_PRIMARY_PASSWORD", kMirrorUser.password);
    kmirror.start();
    ASSERT_TRUE(kmirror.wait_ready(60s)) << kmirror.log().substr(0, 20'000);
    ASSERT_TRUE(wait_for_commits_at_end(source().bootstrap(), "kmirror." + topic, topic, 60s));
    ::setenv("KMIRROR_TEST_PRIMARY_PASSWORD", kMirrorUser.password.c_str(), 1);
    const auto check_config = run_kmirror({"check-config", "-c", kmirror.config_path()});
    EXPECT_EQ(check_config.first, 0) << check_config.second;
    kmirror.signal(SIGTERM);
    EXPECT_EQ(kmirror.wait_exit(60s), 0);

    // then its SASL handshake and configuration were logged, the password not
    const auto log = kmirror.log();
    EXPECT_NE(log.find("SCRAM"), std::string::npos) << "no SASL debug output at all";
    EXPECT_NE(log.find("sasl.username"), std::string::npos) << "no configuration dump";
    EXPECT_EQ(log.find(kMirrorUser.password), std::string::npos) << "the password was logged";
    EXPECT_EQ(check_config.second.find(kMirrorUser.password), std::string::npos)
        << check_config.second;
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
    expect_within(started, 30s, "the authentication error in the log");
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
    const auto started = std::chrono::steady_clock::now();
    kmirror.start();
    EXPECT_EQ(kmirror.wait_exit(30s), 1) << kmirror.log();
    expect_within(started, 30s, "exit 1 under --fail-fast");
    EXPECT_NE(kmirror.log().find("source cluster 'primary' at " + source().bootstrap() +
                                 " refused kmirror: authentication failed"),
              std::string::npos)
        << kmirror.log();
}

INSTANTIATE_TEST_SUITE_P(Versions, ScramSource, ::testing::ValuesIn(kVersions), version_name);

// ---- TLS, mutual TLS and ACLs ---------------------------------------------------------------

/// One AclCommand call on `cluster` as its admin: ALLOW `operations` to
/// User:kmirror on one resource ("--topic X", "--group Y", "--cluster").
void grant(const harness::KafkaCluster& cluster, const std::vector<std::string>& resource,
           const std::vector<std::string>& operations, bool prefixed) {
    std::vector<std::string> args{"--command-config", cluster.java_client_config(), "--add",
                                  "--allow-principal", "User:kmirror"};
    args.insert(args.end(), resource.begin(), resource.end());
    if (prefixed) args.insert(args.end(), {"--resource-pattern-type", "prefixed"});
    for (const auto& op : operations) args.insert(args.end(), {"--operation", op});
    const auto r = cluster.acls(args);
    ASSERT_TRUE(r.ok()) << r.output;
}

/// The ACLs docs/security.md lists, for a flow from `source` (topics named
/// `topic_prefix`...) into `target` with the prefix policy and alias "primary".
/// Keep both in step: this is the test that the documented set suffices.
void grant_documented_acls(const harness::KafkaCluster& source,
                           const harness::KafkaCluster& target, const std::string& topic_prefix) {
    // source: read the mirrored topics and their configs
    grant(source, {"--topic", topic_prefix}, {"Read", "Describe", "DescribeConfigs"}, true);
    // source: the flow's consumer group (kmirror.<flow>) and kmirror's own probes
    grant(source, {"--group", "kmirror."}, {"Read", "Describe"}, true);
    // source: heartbeats and MM2's offset-syncs topic, which kmirror creates and writes
    // (heartbeats are mirrored like any topic, so read too)
    grant(source, {"--topic", "heartbeats"},
          {"Create", "Write", "Read", "Describe", "DescribeConfigs"}, false);
    grant(source, {"--topic", "mm2-offset-syncs."},
          {"Create", "Write", "Read", "Describe", "DescribeConfigs"}, true);
    // source: the groups whose commits become checkpoints (list, describe, offsets),
    // and __consumer_offsets to follow their commits as they happen
    grant(source, {"--group", "*"}, {"Describe"}, false);
    grant(source, {"--topic", "__consumer_offsets"}, {"Read", "Describe"}, false);
    // target: the mirrored topics (created, grown, configured, written) and
    // <source>.checkpoints.internal, all under the "primary." prefix
    grant(target, {"--topic", "primary."},
          {"Create", "Write", "Read", "Describe", "DescribeConfigs", "AlterConfigs", "Alter"},
          true);
}

class Secured : public ::testing::Test {
public:
    // A SASL_SSL/SCRAM-SHA-512 source and a mutual-TLS target, both with an
    // authorizer, and a TLS cluster whose certificate names another host.
    static void SetUpTestSuite() {
        certificates() = harness::make_certificates(
            (std::filesystem::temp_directory_path() / unique_name("kmirror-certs")).string(),
            {"kmirror"});
        const harness::TlsOptions tls{.certificates = certificates()};
        auto source = std::async(std::launch::async, [&] {
            return harness::KafkaCluster::start({.name = unique_name("sasl-ssl"),
                                                 .scram_users = {kMirrorUser},
                                                 .tls = tls,
                                                 .authorizer = true});
        });
        auto target = std::async(std::launch::async, [&] {
            auto mutual = tls;
            mutual.require_client_certificate = true;
            return harness::KafkaCluster::start(
                {.name = unique_name("mtls"), .tls = mutual, .authorizer = true});
        });
        auto wrong = std::async(std::launch::async, [&] {
            auto named = tls;
            named.wrong_host_name = true;
            return harness::KafkaCluster::start({.name = unique_name("wrong-name"), .tls = named});
        });
        source_ = source.get();
        target_ = target.get();
        wrong_name_ = wrong.get();
        grant_documented_acls(*source_, *target_, "sec-");
    }
    static void TearDownTestSuite() {
        source_.reset();
        target_.reset();
        wrong_name_.reset();
        std::filesystem::remove_all(certificates());
    }

protected:
    static std::string& certificates() {
        static std::string dir;
        return dir;
    }

    /// kmirror's view of the clusters: its SCRAM user over TLS on the source,
    /// its client certificate (CN=kmirror) on the target.
    /// The target's client certificate as PEM files.
    static std::string pem_client_certificate() {
        return "      ssl.certificate.location: " + certificates() + "/kmirror.crt\n" +
               "      ssl.key.location: " + certificates() + "/kmirror.key\n";
    }
    static std::string clusters_yaml(const std::string& target_bootstrap,
                                     const std::string& target_ca,
                                     const std::string& client_certificate = pem_client_certificate()) {
        std::ostringstream y;
        y << "clusters:\n"
          << "  primary:\n"
          << "    bootstrap: \"" << source_->bootstrap() << "\"\n"
          << "    properties:\n"
          << "      security.protocol: SASL_SSL\n"
          << "      sasl.mechanism: SCRAM-SHA-512\n"
          << "      sasl.username: " << kMirrorUser.name << "\n"
          << "      sasl.password: \"${env:KMIRROR_TEST_PRIMARY_PASSWORD}\"\n"
          << "      ssl.ca.location: " << certificates() << "/ca.crt\n"
          << "  dr:\n"
          << "    bootstrap: \"" << target_bootstrap << "\"\n"
          << "    properties:\n"
          << "      security.protocol: SSL\n"
          << "      ssl.ca.location: " << target_ca << "\n"
          << client_certificate;
        return y.str();
    }
    static std::string flow_yaml(const std::string& flow, const std::string& include,
                                 const std::string& extra = "") {
        std::ostringstream y;
        y << "flows:\n"
          << "  - name: " << flow << "\n"
          << "    source: primary\n"
          << "    target: dr\n"
          << "    topics: { include: [\"" << include << "\"] }\n"
          << "    checkpoint_interval: 1s\n"
          << extra << "shutdown: { timeout: 20s }\n"
          << "http: { listen: \"127.0.0.1:0\" }\n";
        return y.str();
    }

    static std::unique_ptr<harness::KafkaCluster> source_;
    static std::unique_ptr<harness::KafkaCluster> target_;
    static std::unique_ptr<harness::KafkaCluster> wrong_name_;
};

std::unique_ptr<harness::KafkaCluster> Secured::source_;
std::unique_ptr<harness::KafkaCluster> Secured::target_;
std::unique_ptr<harness::KafkaCluster> Secured::wrong_name_;

TEST_F(Secured, MirrorsFromSaslSslToMutualTlsWithOnlyTheDocumentedAcls) {
    // given a topic and a consumer group's commit on the secured source
    const auto topic = unique_name("sec");
    create_topic(source_->bootstrap(), topic, 2);
    std::vector<kafka::Record> records;
    for (int i = 0; i < 2'000; ++i) {
        records.push_back({topic, i % 2, "k" + std::to_string(i), "v" + std::to_string(i),
                           {{"h", "x"}}, 0});
    }
    produce(source_->bootstrap(), records);
    const auto group = unique_name("app");
    {
        kafka::Consumer app(settings_for("test", source_->bootstrap()),
                            {{"group.id", group}, {"enable.auto.commit", "false"}});
        ASSERT_TRUE(app.commit({{topic, 0, 300}, {topic, 1, 400}}, false));
        app.close(10s);
    }

    // when kmirror mirrors it, authorized by nothing but the documented ACLs,
    // configured with `security:` sections as a Strimzi user would write them
    std::ostringstream clusters;
    clusters << "clusters:\n"
             << "  primary:\n"
             << "    bootstrap: \"" << source_->bootstrap() << "\"\n"
             << "    security:\n"
             << "      protocol: SASL_SSL\n"
             << "      tls: { ca: " << certificates() << "/ca.crt }\n"
             << "      sasl:\n"
             << "        mechanism: SCRAM-SHA-512\n"
             << "        username: " << kMirrorUser.name << "\n"
             << "        password: \"${env:KMIRROR_TEST_PRIMARY_PASSWORD}\"\n"
             << "  dr:\n"
             << "    bootstrap: \"" << target_->bootstrap() << "\"\n"
             << "    security:\n"
             << "      protocol: SSL\n"
             << "      tls:\n"
             << "        ca: " << certificates() << "/ca.crt\n"
             << "        cert: " << certificates() << "/kmirror.crt\n"
             << "        key: " << certificates() << "/kmirror.key\n";
    KmirrorProcess kmirror(clusters.str() + flow_yaml(topic, topic), "secured");
    kmirror.set_env("KMIRROR_TEST_PRIMARY_PASSWORD", kMirrorUser.password);
    // (and for `kmirror translate`, run from this process)
    ::setenv("KMIRROR_TEST_PRIMARY_PASSWORD", kMirrorUser.password.c_str(), 1);
    kmirror.start();
    ASSERT_TRUE(kmirror.wait_ready(60s)) << kmirror.log();
    ASSERT_TRUE(wait_for_commits_at_end(source_->bootstrap(), "kmirror." + topic, topic, 120s))
        << kmirror.log();

    // then every record arrived,
    expect_same_records(read_topic(source_->bootstrap(), topic),
                        read_topic(target_->bootstrap(), "primary." + topic));
    // the group's checkpoint too, in primary.checkpoints.internal on the
    // target (each record copied once: target offset = source offset),
    const std::map<std::int32_t, std::int64_t> committed{{0, 300}, {1, 400}};
    std::map<std::int32_t, checkpoints::Checkpoint> cps;
    const auto reached = [&](const auto& answers, const auto& offset_of) {
        return answers.size() == committed.size() &&
               std::all_of(committed.begin(), committed.end(), [&](const auto& c) {
                   const auto it = answers.find(c.first);
                   return it != answers.end() && offset_of(it->second) == c.second;
               });
    };
    (void)harness::poll_until(
        [&] {
            cps = read_checkpoints(target_->bootstrap(), "primary", group);
            return reached(cps, [](const auto& cp) { return cp.downstream.value(); });
        },
        60s);
    ASSERT_EQ(cps.size(), committed.size()) << "checkpoints of " << group << "\n" << kmirror.log();
    for (const auto& [p, offset] : committed) {
        ASSERT_TRUE(cps.contains(p)) << "no checkpoint for partition " << p;
        EXPECT_EQ(cps.at(p).topic, "primary." + topic);  // keyed by the target topic
        EXPECT_EQ(cps.at(p).upstream.value(), offset) << "partition " << p;
        EXPECT_EQ(cps.at(p).downstream.value(), offset) << "partition " << p;
    }
    // and `kmirror translate` (from the state file, the source being up)
    // resumes the group exactly there
    std::map<std::int32_t, CliTranslation> translated;
    (void)harness::poll_until(
        [&] {
            translated = translate(kmirror, topic, group);
            return reached(translated, [](const auto& t) {
                return t.exactness == "exact" ? t.target_offset : -1;
            });
        },
        60s);
    for (const auto& [p, offset] : committed) {
        ASSERT_TRUE(translated.contains(p)) << "partition " << p << " not translated";
        EXPECT_EQ(translated.at(p).target_offset, offset) << "partition " << p;
        EXPECT_EQ(translated.at(p).exactness, "exact") << "partition " << p;
    }
    // no operation was denied,
    auto log = kmirror.log();
    std::transform(log.begin(), log.end(), log.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (const auto* denied : {"authorization failed", "authorization_failed", "not authorized"}) {
        EXPECT_EQ(log.find(denied), std::string::npos) << denied << "\n" << kmirror.log();
    }
    // and the password shows nowhere: not in the log, /status or /metrics
    // (each answered in full: 200, /status and /metrics naming the flow)
    const auto address = "127.0.0.1:" + std::to_string(kmirror.http_port());
    for (const std::string path : {"/status", "/metrics", "/readyz"}) {
        const auto r = harness::http_get(address, path);
        ASSERT_EQ(r.status, 200) << path << ": " << r.error << r.body;
        if (path != "/readyz") {
            EXPECT_NE(r.body.find(topic), std::string::npos) << r.body;
        }
        EXPECT_EQ(r.body.find(kMirrorUser.password), std::string::npos) << path;
    }
    kmirror.signal(SIGTERM);
    EXPECT_EQ(kmirror.wait_exit(60s), 0) << kmirror.log();
    EXPECT_EQ(kmirror.log().find(kMirrorUser.password), std::string::npos);
}

TEST_F(Secured, MutualTlsWorksWithThePkcs12KeystoreOfAStrimziUserSecret) {
    // given the client certificate as user.p12 + user.password, as a Strimzi
    // KafkaUser secret holds it, the password read from its file
    const auto topic = unique_name("sec-p12");
    create_topic(source_->bootstrap(), topic, 1);
    std::vector<kafka::Record> records;
    for (int i = 0; i < 100; ++i) records.push_back({topic, 0, "k", std::to_string(i), {}, 0});
    produce(source_->bootstrap(), records);
    const auto keystore = "      ssl.keystore.location: " + certificates() + "/kmirror.p12\n" +
                          "      ssl.keystore.password: \"${file:" + certificates() +
                          "/kmirror.password}\"\n";
    KmirrorProcess kmirror(
        clusters_yaml(target_->bootstrap(), certificates() + "/ca.crt", keystore) +
            flow_yaml(topic, topic),
        "p12");
    kmirror.set_env("KMIRROR_TEST_PRIMARY_PASSWORD", kMirrorUser.password);
    mirror_and_compare(kmirror, source_->bootstrap(), topic, target_->bootstrap());
    std::string keystore_password;
    std::getline(std::ifstream(certificates() + "/kmirror.password"), keystore_password);
    ASSERT_FALSE(keystore_password.empty());
    EXPECT_EQ(kmirror.log().find(keystore_password), std::string::npos);
}

TEST_F(Secured, AClientThatTrustsAnotherCaIsRefusedWithATlsError) {
    const auto topic = unique_name("sec-ca");
    KmirrorProcess kmirror(clusters_yaml(target_->bootstrap(), certificates() + "/other-ca.crt") +
                               flow_yaml(topic, topic),
                           "wrong-ca");
    kmirror.set_env("KMIRROR_TEST_PRIMARY_PASSWORD", kMirrorUser.password);
    kmirror.add_run_argument("--fail-fast");
    kmirror.start();
    EXPECT_EQ(kmirror.wait_exit(30s), 1) << kmirror.log();
    EXPECT_NE(kmirror.log().find("target cluster 'dr' at " + target_->bootstrap() +
                                 " refused kmirror: TLS handshake failed"),
              std::string::npos)
        << kmirror.log();
    EXPECT_NE(kmirror.log().find("certificate verify failed"), std::string::npos) << kmirror.log();
}

TEST_F(Secured, ABrokerCertificateForAnotherHostNameIsRefusedWithATlsError) {
    const auto topic = unique_name("sec-name");
    std::ostringstream y;
    y << "clusters:\n"
      << "  primary:\n"
      << "    bootstrap: \"" << wrong_name_->bootstrap() << "\"\n"
      << "    properties:\n"
      << "      security.protocol: SSL\n"
      << "      ssl.ca.location: " << certificates() << "/ca.crt\n"
      << "  dr: { bootstrap: \"" << target() << "\" }\n";
    KmirrorProcess kmirror(y.str() + flow_yaml(topic, topic), "wrong-name");
    kmirror.add_run_argument("--fail-fast");
    kmirror.start();
    EXPECT_EQ(kmirror.wait_exit(30s), 1) << kmirror.log();
    EXPECT_NE(kmirror.log().find("source cluster 'primary' at " + wrong_name_->bootstrap() +
                                 " refused kmirror: TLS handshake failed"),
              std::string::npos)
        << kmirror.log();
}

TEST_F(Secured, AMissingCreateAclIsReportedNamingTheTopicAndTheOperation) {
    // given a flow whose target names ("denied.<topic>") no ACL covers
    const auto topic = unique_name("sec-denied");
    create_topic(source_->bootstrap(), topic, 1);
    produce(source_->bootstrap(), {{topic, 0, "k", "v", {}, 0}});
    KmirrorProcess kmirror(
        clusters_yaml(target_->bootstrap(), certificates() + "/ca.crt") +
            flow_yaml(topic, topic, "    rename: { policy: template, format: \"denied.{topic}\" }\n"),
        "denied");
    kmirror.set_env("KMIRROR_TEST_PRIMARY_PASSWORD", kMirrorUser.password);
    kmirror.start();
    // then the log says which topic and which operation, on which cluster
    const std::string expected = "cannot create topic 'denied." + topic +
                                 "' on target cluster 'dr': not authorized: kmirror's user needs "
                                 "the CREATE operation on topic 'denied." + topic + "'";
    EXPECT_TRUE(harness::wait_until(
        [&] { return kmirror.log().find(expected) != std::string::npos; }, 60s,
        "the denied creation in the log"))
        << kmirror.log();
    kmirror.signal(SIGTERM);
    EXPECT_EQ(kmirror.wait_exit(60s), 0) << kmirror.log();
    EXPECT_EQ(kmirror.log().find(kMirrorUser.password), std::string::npos);
}

// ---- SASL OAUTHBEARER with OIDC client credentials -----------------------------------------

const harness::ScramUser kMirrorClient{"kmirror", "oidc-client-secret-only-in-env"};

class OAuthBearer : public ::testing::Test {
public:
    // An OIDC issuer (client-credentials grant, JWKS) and a cluster whose
    // listener takes its tokens, checking them against its JWKS.
    static void SetUpTestSuite() {
        dir() = (std::filesystem::temp_directory_path() / unique_name("kmirror-oidc")).string();
        issuer_ = std::make_unique<harness::OidcIssuer>(
            dir(), std::vector<std::pair<std::string, std::string>>{
                       {harness::kAdminUser.name, harness::kAdminUser.password},
                       {harness::kBrokerOAuthClient.name, harness::kBrokerOAuthClient.password},
                       {kMirrorClient.name, kMirrorClient.password}});
        source_ = harness::KafkaCluster::start(
            {.name = unique_name("oauth"), .oauth = harness::OAuthOptions{issuer_->url()}});
    }
    static void TearDownTestSuite() {
        source_.reset();
        issuer_.reset();
        std::filesystem::remove_all(dir());
    }

protected:
    static std::string& dir() {
        static std::string d;
        return d;
    }
    /// kmirror as the OIDC client "kmirror", its secret from the environment;
    /// with `security:` or with librdkafka's `properties:`.
    static std::string config(const std::string& topic, bool security_section) {
        std::ostringstream y;
        y << "clusters:\n"
          << "  primary:\n"
          << "    bootstrap: \"" << source_->bootstrap() << "\"\n";
        if (security_section) {
            y << "    security:\n"
              << "      protocol: SASL_PLAINTEXT\n"
              << "      sasl:\n"
              << "        mechanism: OAUTHBEARER\n"
              << "        token_endpoint: " << issuer_->token_url() << "\n"
              << "        client_id: " << kMirrorClient.name << "\n"
              << "        client_secret: \"${env:KMIRROR_TEST_OIDC_SECRET}\"\n"
              << "        scope: kafka\n";
        } else {
            y << "    properties:\n"
              << "      security.protocol: SASL_PLAINTEXT\n"
              << "      sasl.mechanism: OAUTHBEARER\n"
              << "      sasl.oauthbearer.method: oidc\n"
              << "      sasl.oauthbearer.token.endpoint.url: " << issuer_->token_url() << "\n"
              << "      sasl.oauthbearer.client.id: " << kMirrorClient.name << "\n"
              << "      sasl.oauthbearer.client.secret: \"${env:KMIRROR_TEST_OIDC_SECRET}\"\n"
              << "      sasl.oauthbearer.scope: kafka\n";
        }
        y << "  dr: { bootstrap: \"" << target() << "\" }\n"
          << "flows:\n"
          << "  - name: " << topic << "\n"
          << "    source: primary\n"
          << "    target: dr\n"
          << "    topics: { include: [\"" << topic << "\"] }\n"
          << "shutdown: { timeout: 20s }\n"
          << "http: { listen: \"127.0.0.1:0\" }\n";
        return y.str();
    }

    static std::unique_ptr<harness::OidcIssuer> issuer_;
    static std::unique_ptr<harness::KafkaCluster> source_;
};

std::unique_ptr<harness::OidcIssuer> OAuthBearer::issuer_;
std::unique_ptr<harness::KafkaCluster> OAuthBearer::source_;

TEST_F(OAuthBearer, MirrorsFromASourceThatValidatesOidcTokensAgainstItsJwks) {
    // given records on a cluster that takes OAUTHBEARER tokens only
    const auto topic = unique_name("oauth");
    create_topic(source_->bootstrap(), topic, 2);
    std::vector<kafka::Record> records;
    for (int i = 0; i < 500; ++i) {
        records.push_back({topic, i % 2, "k" + std::to_string(i), std::to_string(i), {}, 0});
    }
    produce(source_->bootstrap(), records);

    // when kmirror mirrors them with a token fetched as OIDC client "kmirror"
    // (configured with a `security:` section)
    KmirrorProcess kmirror(config(topic, /*security_section=*/true), "oauth");
    kmirror.set_env("KMIRROR_TEST_OIDC_SECRET", kMirrorClient.password);
    // then every record arrives, and the client secret is never printed
    mirror_and_compare(kmirror, source_->bootstrap(), topic, target());
    EXPECT_EQ(kmirror.log().find(kMirrorClient.password), std::string::npos);
}

TEST_F(OAuthBearer, AWrongClientSecretIsReportedByClusterWithinThirtySeconds) {
    const auto topic = unique_name("oauth-bad");
    KmirrorProcess kmirror(config(topic, /*security_section=*/false), "oauth-bad");
    kmirror.set_env("KMIRROR_TEST_OIDC_SECRET", "not-the-secret");
    kmirror.add_run_argument("--fail-fast");
    const auto started = std::chrono::steady_clock::now();
    kmirror.start();
    EXPECT_EQ(kmirror.wait_exit(30s), 1) << kmirror.log();
    expect_within(started, 30s, "the refused client secret reported (exit 1 under --fail-fast)");
    EXPECT_NE(kmirror.log().find("source cluster 'primary' at " + source_->bootstrap() +
                                 " refused kmirror: authentication failed"),
              std::string::npos)
        << kmirror.log();
    EXPECT_EQ(kmirror.log().find("not-the-secret"), std::string::npos);
}

}  // namespace
}  // namespace kmirror::test
