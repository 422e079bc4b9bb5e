#pragma once
// Real single-node KRaft Apache Kafka clusters for integration tests, started
// on OS-chosen loopback ports by tests/harness/kafka.sh (DESIGN.md "Testing").
//
//     auto cluster = KafkaCluster::start({.name = "restart-test"});
//     // ... cluster->bootstrap() == "127.0.0.1:41234"
//     cluster->stop();          // SIGTERM, data kept
//     cluster->start_again();   // same port, same data, waits until ready
//     // ~KafkaCluster: kafka.sh down (stop + delete its directory)
//
// Most tests use the two clusters of TwoClusterEnvironment instead: one per
// test binary, reached with harness::source() / harness::target().
//
// Cleanup when the test process dies early: the destructor, the environment's
// TearDown, an std::atexit hook and a SIGINT/SIGTERM/SIGHUP handler all run
// `kafka.sh down`; for SIGKILL and crashes, kafka.sh's watchdog downs the
// cluster within about a second of this process's death (see kafka.sh).

#include "tests/harness/command.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kmirror::harness {

/// A SCRAM user created when the cluster's storage is formatted.
struct ScramUser {
    std::string name;
    std::string password;
};

/// The user the broker itself and the harness's own clients (readiness probe,
/// client_properties()) authenticate as on a secured cluster; a super user
/// where an authorizer is on. Over mutual TLS it is the certificate CN=admin.
inline const ScramUser kAdminUser{"admin", "admin-secret"};

/// TLS on the client listener. Certificates come from tests/harness/certs.sh
/// (make_certificates()): the broker's has SAN 127.0.0.1 and localhost.
struct TlsOptions {
    /// Directory made by make_certificates().
    std::string certificates;
    /// Mutual TLS: clients must present a certificate signed by the test CA;
    /// its CN is the principal (User:kmirror for CN=kmirror).
    bool require_client_certificate = false;
    /// The broker presents a certificate for wrong.example.com instead.
    bool wrong_host_name = false;
};

/// The client the broker itself logs in as on an OAUTHBEARER cluster; the
/// harness's own clients use kAdminUser's name and password as client id and
/// secret. Both must be clients of the issuer.
inline const ScramUser kBrokerOAuthClient{"broker", "broker-secret"};

/// SASL OAUTHBEARER on the client listener: tokens from `issuer` (an
/// OidcIssuer's url()), checked by the broker against its JWKS.
struct OAuthOptions {
    std::string issuer;
};

/// Makes (once) the test certificates of tests/harness/certs.sh in `dir`, with
/// a client certificate for kAdminUser and for each of `clients`; returns `dir`.
std::string make_certificates(const std::string& dir, const std::vector<std::string>& clients);

struct ClusterOptions {
    /// Directory name under $KMIRROR_HARNESS_DIR (default /tmp/kmirror-harness):
    /// letters, digits, '.', '_', '-'. Must be unique on the machine while the
    /// cluster lives, so add getpid() when several binaries may run at once.
    std::string name;
    /// Apache Kafka release, e.g. "3.9.1"; empty: $KAFKA_VERSION, else the
    /// default of fetch-kafka.sh.
    std::string kafka_version{};
    /// Extra server.properties lines ("key=value"); they override the defaults.
    std::vector<std::string> broker_properties{};
    /// Extra environment for kafka.sh, e.g. {"KMIRROR_KCAT_ARGS", "-X security.protocol=..."}
    /// so its readiness probe can talk to a secured listener.
    std::vector<std::pair<std::string, std::string>> script_env{};
    /// Non-empty: the client listener (bootstrap()) requires SASL_PLAINTEXT with
    /// SCRAM-SHA-512, and these users plus kAdminUser are created at format time
    /// (`kafka-storage format --add-scram`), the way Strimzi sets users up.
    std::vector<ScramUser> scram_users{};
    /// TLS on the client listener (SSL, or SASL_SSL with scram_users or oauth).
    std::optional<TlsOptions> tls{};
    /// SASL OAUTHBEARER instead of SCRAM (Kafka 4.x class names).
    std::optional<OAuthOptions> oauth{};
    /// StandardAuthorizer on, with kAdminUser, the broker itself and the
    /// controller listener as super users: others need ACLs.
    bool authorizer = false;
};

class KafkaCluster {
public:
    /// Picks free ports, runs `kafka.sh up` and returns once the broker answers
    /// metadata. Throws std::runtime_error (with kafka.sh's output and the tail
    /// of the broker log) when the cluster does not come up.
    static std::unique_ptr<KafkaCluster> start(ClusterOptions options);

    KafkaCluster(const KafkaCluster&) = delete;
    KafkaCluster& operator=(const KafkaCluster&) = delete;
    KafkaCluster(KafkaCluster&&) = delete;
    KafkaCluster& operator=(KafkaCluster&&) = delete;
    /// `kafka.sh down`: stops the broker and deletes its directory.
    ~KafkaCluster();

    [[nodiscard]] const std::string& name() const { return options_.name; }
    /// "127.0.0.1:PORT"; the same for the cluster's whole life.
    [[nodiscard]] const std::string& bootstrap() const { return bootstrap_; }
    [[nodiscard]] int port() const { return port_; }
    /// librdkafka properties the harness's own clients need here (security
    /// protocol, kAdminUser's credentials or certificate, the CA); empty for a
    /// plaintext cluster.
    [[nodiscard]] std::vector<std::pair<std::string, std::string>> client_properties() const;
    /// The same for Kafka's Java tools (`--command-config FILE`, e.g. AclCommand
    /// through acls()); the file is written in directory(). Not for OAUTHBEARER
    /// clusters (throws std::logic_error).
    [[nodiscard]] std::string java_client_config() const;
    /// The cluster's directory (server.properties, data/, broker.log).
    [[nodiscard]] std::string directory() const;
    [[nodiscard]] std::string broker_log() const { return directory() + "/broker.log"; }

    /// SIGTERM (SIGKILL after 20 s), keeps the data. Throws on failure.
    void stop();
    /// SIGKILL, keeps the data. Throws on failure.
    void kill();
    /// Restarts a stopped or killed broker on the same ports and data and waits
    /// until it answers metadata. Throws on failure.
    void start_again();
    /// True while the broker process runs (`kafka.sh status`).
    [[nodiscard]] bool running() const;

    /// Runs a Kafka tool class with this cluster's jars, e.g. tool({"org.apache.kafka.tools.
    /// TopicCommand", "--bootstrap-server", "{bootstrap}", "--list"}): "{bootstrap}" in an
    /// argument is replaced by bootstrap(). Starts a JVM
    /// (about a second): prefer librdkafka's admin API in tests.
    CommandResult tool(const std::vector<std::string>& class_and_args) const;
    /// Kafka's AclCommand (whichever class this Kafka version has) with
    /// --bootstrap-server set, e.g. acls({"--command-config", f, "--add", ...}).
    CommandResult acls(const std::vector<std::string>& args) const;
    /// Kafka's ConfigCommand (org.apache.kafka.tools in 4.x, kafka.admin in
    /// 3.x) with --bootstrap-server set, e.g. configs({"--entity-type",
    /// "clients", "--entity-name", id, "--alter", "--add-config", "producer_byte_rate=1000"}).
    CommandResult configs(const std::vector<std::string>& args) const;

    /// Stops the broker and deletes its directory now; the destructor then has
    /// nothing left to do. Idempotent.
    void down();

private:
    explicit KafkaCluster(ClusterOptions options);
    CommandResult script(const std::vector<std::string>& args) const;
    /// The client listener's security protocol: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL.
    [[nodiscard]] std::string security_protocol() const;
    [[nodiscard]] bool sasl() const { return !options_.scram_users.empty() || options_.oauth; }

    ClusterOptions options_;
    std::string bootstrap_;
    int port_ = 0;
    int emergency_slot_ = -1;  // see kafka_cluster.cc: teardown from signal handlers
    bool down_ = false;
};

/// client_properties() of the live cluster at `bootstrap` (empty when none is
/// known), so helpers given only a bootstrap can still reach a secured cluster.
std::vector<std::pair<std::string, std::string>> client_properties_for(const std::string& bootstrap);

/// Absolute path of tests/harness/kafka.sh (from KMIRROR_SOURCE_DIR).
std::string kafka_sh();

/// Starts clusters "source-<pid>" and "target-<pid>" once per test binary
/// (concurrently) and downs them after the last test. Register it once per
/// binary, before RUN_ALL_TESTS, for example at namespace scope in one test file:
///
///     static auto* const kEnvironment =
///         ::testing::AddGlobalTestEnvironment(new kmirror::harness::TwoClusterEnvironment);
class TwoClusterEnvironment : public ::testing::Environment {
public:
    void SetUp() override;
    void TearDown() override;
};

/// The clusters of TwoClusterEnvironment. Only valid between its SetUp and
/// TearDown, i.e. inside tests.
KafkaCluster& source();
KafkaCluster& target();

}  // namespace kmirror::harness
