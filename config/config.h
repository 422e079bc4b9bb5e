#pragma once
// The typed, validated configuration. Built only by config::parse(); every
// field here has passed validation (regexes compile, clusters exist, ...).

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/secret.h"

namespace kmirror::config {

using Duration = std::chrono::milliseconds;

/// A number of bytes, written with a unit in the file (config/byte_size.h).
struct ByteSize {
    std::int64_t bytes = 0;
    auto operator<=>(const ByteSize&) const = default;
};

inline constexpr std::int64_t kMiB = std::int64_t{1} << 20;

/// One librdkafka property of a cluster. Values of keys that look like
/// credentials (sasl.password, ssl.key.password, ...) are secrets.
struct ClusterProperty {
    std::string key;
    Secret value;
    bool secret = false;
    int line = 0;  ///< 1-based line in the YAML file, for librdkafka errstr reports
    int column = 0;
    /// Same setting: where it is written in the file does not matter.
    bool operator==(const ClusterProperty& o) const {
        return key == o.key && value == o.value && secret == o.secret;
    }
};

enum class SecurityProtocol { plaintext, ssl, sasl_plaintext, sasl_ssl };
enum class SaslMechanism { plain, scram_sha_256, scram_sha_512, oauthbearer };

/// `security.tls`: for protocol SSL or SASL_SSL. Paths of PEM files, or a
/// PKCS#12 keystore (what a Strimzi KafkaUser secret holds as user.p12).
struct Tls {
    std::string ca;    ///< CA certificate(s) the brokers' certificates must chain to
    std::string cert;  ///< client certificate (mutual TLS)
    std::string key;   ///< its private key
    Secret key_password;
    std::string keystore;  ///< PKCS#12 file instead of cert + key
    Secret keystore_password;
    bool verify_hostname = true;
    bool operator==(const Tls&) const = default;
};

/// `security.sasl`: for protocol SASL_PLAINTEXT or SASL_SSL. A user name and
/// password (PLAIN, SCRAM), or OIDC client credentials (OAUTHBEARER).
struct Sasl {
    SaslMechanism mechanism = SaslMechanism::scram_sha_512;
    std::string username;
    Secret password;
    std::string token_endpoint;  ///< OAUTHBEARER: the OIDC token endpoint URL
    std::string client_id;
    Secret client_secret;
    std::string scope;
    bool operator==(const Sasl&) const = default;
};

struct Security {
    SecurityProtocol protocol = SecurityProtocol::plaintext;
    Tls tls;
    Sasl sasl;
    bool operator==(const Security&) const = default;
};

struct Cluster {
    std::string alias;
    std::string bootstrap;
    std::vector<ClusterProperty> properties;  ///< passed verbatim to rd_kafka_conf_set
    /// Stands for librdkafka properties (config/security.h); none may repeat in `properties`.
    std::optional<Security> security;
    bool operator==(const Cluster&) const = default;
};

enum class RenamePolicy { prefix, identity, template_ };

struct Rename {
    RenamePolicy policy = RenamePolicy::prefix;
    std::string separator = ".";
    std::string format;  ///< template policy only: "{source}.{topic}", "dr-{topic}"
    bool operator==(const Rename&) const = default;
};

enum class OnDataLoss { stop, continue_ };

enum class OffsetSyncsLocation { source, target };

/// Codec of the batches kmirror writes to the target. `source`: the source
/// topic's `compression.type` when it names a codec, else none.
enum class Compression { source, none, gzip, snappy, lz4, zstd };

/// Which consumer groups of the source get checkpoints (MM2's `groups` and
/// `groups.exclude`).
struct GroupFilter {
    std::vector<std::string> include{".*"};  ///< full-match regexes (ECMAScript)
    std::vector<std::string> exclude{"console-consumer-.*", "connect-.*", "__.*"};
    bool operator==(const GroupFilter&) const = default;
};

struct Flow {
    std::string name;
    std::string source;  ///< cluster alias
    std::string target;  ///< cluster alias
    std::vector<std::string> include{".*"};  ///< full-match regexes (ECMAScript)
    std::vector<std::string> exclude;
    Rename rename;
    int workers = 1;
    bool sync_topic_configs = true;
    Duration refresh_interval{5000};
    Duration config_sync_interval{60000};
    Duration commit_interval{1000};
    /// -1: min(3, number of target brokers)
    int replication_factor = -1;
    /// Topic configs never copied to the target.
    std::vector<std::string> config_exclude;
    OnDataLoss on_data_loss = OnDataLoss::stop;
    /// Heartbeats written to the source's "heartbeats" topic (MM2's format).
    bool emit_heartbeats = true;
    Duration heartbeat_interval{1000};
    /// Where MM2's offset-syncs topic lives: `mm2-offset-syncs.<target>.internal`
    /// on the source, or `mm2-offset-syncs.<source>.internal` on the target.
    OffsetSyncsLocation offset_syncs_location = OffsetSyncsLocation::source;
    /// A sync is written at every range boundary and, for the newest pair of
    /// each partition, at least this often.
    Duration offset_sync_interval{10000};
    /// Consumer groups whose committed offsets are translated.
    GroupFilter groups;
    /// Checkpoints of translated group offsets to `<source>.checkpoints.internal`.
    bool emit_checkpoints = true;
    /// Every translation is checked again this often (commits are followed
    /// as they happen; this catches what the store learned since).
    Duration checkpoint_interval{10000};
    /// Write translated offsets into the target's groups (while they are empty).
    bool sync_group_offsets = false;
    /// Cap on the bytes (keys and values) this flow copies per second; 0: none.
    ByteSize max_bytes_per_second{0};
    /// Codec of the records written to the target.
    Compression compression = Compression::source;
    bool operator==(const Flow&) const = default;
};

struct State {
    std::string path = "/var/lib/kmirror/state.db";
    /// How long a topic is no longer mirrored before its state is dropped.
    Duration forget_after{86400000};
    bool operator==(const State&) const = default;
};

struct Http {
    std::string listen = "127.0.0.1:9464";
};

enum class LogFormat { text, json };

struct Log {
    std::string level = "info";
    LogFormat format = LogFormat::text;
};

struct Metrics {
    /// Per-partition lag series; off for clusters with very many partitions.
    bool partition_labels = true;
};

/// One budget for everything kmirror buffers (replicator/memory_plan.h
/// derives every librdkafka queue and fetch size from it).
struct Memory {
    ByteSize budget{256 * kMiB};
    bool operator==(const Memory&) const = default;
};

/// Each worker's share of the budget must be at least this.
inline constexpr ByteSize kMinWorkerMemory{16 * kMiB};

struct Shutdown {
    Duration timeout{30000};
    bool operator==(const Shutdown&) const = default;
};

/// When mirroring counts as stalled (reported on /readyz; systemd's watchdog
/// is no longer pinged, so systemd restarts kmirror).
struct Health {
    Duration stall_timeout{300000};
    bool operator==(const Health&) const = default;
};

struct Config {
    std::map<std::string, Cluster> clusters;  ///< by alias
    std::vector<Flow> flows;
    State state;
    Http http;
    Log log;
    Metrics metrics;
    Shutdown shutdown;
    Health health;
    Memory memory;
    /// How long start-up waits for a cluster to answer before failing.
    Duration connect_timeout{15000};
};

/// The default topic-config exclude list (MM2's, plus a few target-local keys).
std::vector<std::string> default_config_exclude();

}  // namespace kmirror::config
