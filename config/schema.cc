#include "config/schema.h"

#include "config/checks.h"
#include "config/member_field.h"
#include "config/properties.h"
#include "config/reader.h"
#include "config/security.h"

#include <array>
#include <string>

namespace kmirror::config {
namespace {

// ---- enumerations: names in the order of the enum's declaration ----------------------------

constexpr std::array<std::string_view, 3> rename_policy_names{"prefix", "identity", "template"};
constexpr std::array<std::string_view, 2> on_data_loss_names{"stop", "continue"};
constexpr std::array<std::string_view, 2> offset_syncs_location_names{"source", "target"};
constexpr std::array<std::string_view, 2> log_format_names{"text", "json"};
constexpr std::array<std::string_view, 6> compression_names{"source", "none", "gzip",
                                                            "snappy", "lz4",  "zstd"};
// spdlog's level names, with "warn" as its from_str() accepts it.
constexpr std::array<std::string_view, 7> log_level_names{"trace", "debug",    "info", "warn",
                                                          "error", "critical", "off"};

// ---- the tables, innermost first ---------------------------------------------------------------

/// A path or name that is simply absent when not set (no `ca: ""` in check-config).
template <auto Member>
std::optional<YAML::Node> dump_if_set(const FieldSpec& /*spec*/, const OwnerOf<Member>& in) {
    if ((in.*Member).empty()) return std::nullopt;
    return YAML::Node(in.*Member);
}

/// Secrets print as "[secret]", and not at all when not set.
template <auto Member>
std::optional<YAML::Node> dump_secret(const FieldSpec& /*spec*/, const OwnerOf<Member>& in) {
    if ((in.*Member).empty()) return std::nullopt;
    return YAML::Node("[secret]");
}

constexpr std::array<Field<Tls>, 7> tls_fields{{
    {.spec = {.key = "ca",
              .type = FieldType::string,
              .description = "PEM file of the CA certificate(s) the brokers' certificates must "
                             "chain to (Strimzi: the cluster CA secret's `ca.crt`); librdkafka "
                             "`ssl.ca.location`. Unset: the system's CAs."},
     .read = read_member<&Tls::ca>,
     .dump = dump_if_set<&Tls::ca>},
    {.spec = {.key = "cert",
              .type = FieldType::string,
              .description = "PEM file of the client certificate, for mutual TLS (Strimzi "
                             "KafkaUser: `user.crt`); with `key`."},
     .read = read_member<&Tls::cert>,
     .dump = dump_if_set<&Tls::cert>},
    {.spec = {.key = "key",
              .type = FieldType::string,
              .description = "PEM file of the client certificate's private key (`user.key`)."},
     .read = read_member<&Tls::key>,
     .dump = dump_if_set<&Tls::key>},
    {.spec = {.key = "key_password",
              .type = FieldType::secret,
              .description = "Password of an encrypted `key`; `${env:NAME}` or `${file:PATH}`.",
              .secret = true},
     .read = read_member<&Tls::key_password>,
     .dump = dump_secret<&Tls::key_password>},
    {.spec = {.key = "keystore",
              .type = FieldType::string,
              .description = "PKCS#12 file with the client certificate and key, instead of "
                             "`cert` and `key` (`user.p12`)."},
     .read = read_member<&Tls::keystore>,
     .dump = dump_if_set<&Tls::keystore>},
    {.spec = {.key = "keystore_password",
              .type = FieldType::secret,
              .description = "Password of `keystore` (`user.password`); `${env:NAME}` or "
                             "`${file:PATH}`.",
              .secret = true},
     .read = read_member<&Tls::keystore_password>,
     .dump = dump_secret<&Tls::keystore_password>},
    {.spec = {.key = "verify_hostname",
              .type = FieldType::boolean,
              .description = "Check that a broker's certificate names the host kmirror connects "
                             "to. Turning it off is accepted with a warning."},
     .read = read_member<&Tls::verify_hostname>,
     .dump = dump_member<&Tls::verify_hostname>},
}};

constexpr Table<Tls> tls_table{
    .name = "clusters.<alias>.security.tls",
    .description = "TLS, for protocol `SSL` or `SASL_SSL`.",
    .fields = tls_fields,
    .make_default = [] { return Tls{}; },
};

constexpr std::array<Field<Sasl>, 7> sasl_fields{{
    {.spec = {.key = "mechanism",
              .type = FieldType::enumeration,
              .description = "SASL mechanism (Strimzi's default user authentication is "
                             "SCRAM-SHA-512; OAUTHBEARER fetches tokens with OIDC client "
                             "credentials).",
              .allowed = kSaslMechanismNames},
     .read = read_member<&Sasl::mechanism>,
     .dump = dump_member<&Sasl::mechanism>},
    {.spec = {.key = "username",
              .type = FieldType::string,
              .description = "SASL user name (PLAIN, SCRAM)."},
     .read = read_member<&Sasl::username>,
     .dump = dump_if_set<&Sasl::username>},
    {.spec = {.key = "password",
              .type = FieldType::secret,
              .description = "SASL password (PLAIN, SCRAM); `${env:NAME}` or `${file:PATH}` "
                             "(Strimzi: the KafkaUser secret's `password`).",
              .secret = true},
     .read = read_member<&Sasl::password>,
     .dump = dump_secret<&Sasl::password>},
    {.spec = {.key = "token_endpoint",
              .type = FieldType::string,
              .description = "OAUTHBEARER: the OIDC token endpoint (client-credentials grant), "
                             "e.g. Red Hat SSO / Keycloak's "
                             "`https://sso.example.com/realms/kafka/protocol/openid-connect/token`."},
     .read = read_member<&Sasl::token_endpoint>,
     .dump = dump_if_set<&Sasl::token_endpoint>},
    {.spec = {.key = "client_id",
              .type = FieldType::string,
              .description = "OAUTHBEARER: the OIDC client id."},
     .read = read_member<&Sasl::client_id>,
     .dump = dump_if_set<&Sasl::client_id>},
    {.spec = {.key = "client_secret",
              .type = FieldType::secret,
              .description = "OAUTHBEARER: the OIDC client secret; `${env:NAME}` or "
                             "`${file:PATH}`.",
              .secret = true},
     .read = read_member<&Sasl::client_secret>,
     .dump = dump_secret<&Sasl::client_secret>},
    {.spec = {.key = "scope",
              .type = FieldType::string,
              .description = "OAUTHBEARER: the scope to ask the token for (optional)."},
     .read = read_member<&Sasl::scope>,
     .dump = dump_if_set<&Sasl::scope>},
}};

constexpr Table<Sasl> sasl_table{
    .name = "clusters.<alias>.security.sasl",
    .description = "SASL authentication, for protocol `SASL_PLAINTEXT` or `SASL_SSL`: "
                   "`username` and `password` for PLAIN and SCRAM, `token_endpoint`, "
                   "`client_id`, `client_secret` (and `scope`) for OAUTHBEARER.",
    .fields = sasl_fields,
    .make_default = [] { return Sasl{}; },
};

constexpr std::array<Field<Security>, 3> security_fields{{
    {.spec = {.key = "protocol",
              .type = FieldType::enumeration,
              .description = "How kmirror talks to the brokers (librdkafka "
                             "`security.protocol`).",
              .required = true,
              .allowed = kSecurityProtocolNames},
     .read = read_member<&Security::protocol>,
     .dump = dump_member<&Security::protocol>},
    {.spec = {.key = "tls",
              .type = FieldType::section,
              .description = "TLS settings.",
              .section = "clusters.<alias>.security.tls"},
     .read = read_section<&Security::tls, tls_table>,
     .dump = dump_section<&Security::tls, tls_table>},
    {.spec = {.key = "sasl",
              .type = FieldType::section,
              .description = "SASL settings.",
              .section = "clusters.<alias>.security.sasl"},
     .read = read_section<&Security::sasl, sasl_table>,
     .dump = dump_section<&Security::sasl, sasl_table>},
}};

constexpr Table<Security> security_table{
    .name = "clusters.<alias>.security",
    .description =
        "How to reach a secured cluster, in the words of Kafka's own tools instead of "
        "librdkafka's property names. Each key stands for a librdkafka property "
        "(see [docs/security.md](security.md)), which `properties:` may then not set as well.",
    .fields = security_fields,
    .make_default = [] { return Security{}; },
};

constexpr std::array<Field<Cluster>, 3> cluster_fields{{
    {.spec = {.key = "bootstrap",
              .type = FieldType::string,
              .description = "Bootstrap brokers, `host:port[,host:port...]` (librdkafka "
                             "`bootstrap.servers`).",
              .required = true,
              .check = check_bootstrap},
     .read = read_member<&Cluster::bootstrap>,
     .dump = dump_member<&Cluster::bootstrap>},
    {.spec = {.key = "properties",
              .type = FieldType::properties,
              .description = "librdkafka properties, passed verbatim to every client of this "
                             "cluster (security, timeouts, `client.id`, ...). See "
                             "[Cluster properties](#cluster-properties).",
              .section = "properties"},
     .read = [](Reader& reader, const FieldSpec&, const Entry& entry,
                Cluster& out) { read_properties(reader, entry, out.properties); },
     .dump = [](const FieldSpec&, const Cluster& in) -> std::optional<YAML::Node> {
         return dump_properties(in.properties);
     }},
    {.spec = {.key = "security",
              .type = FieldType::section,
              .description = "TLS and SASL settings (protocol, CA, client certificate or "
                             "keystore, user), an alternative to setting librdkafka's "
                             "properties by hand.",
              .section = "clusters.<alias>.security"},
     .read = [](Reader& reader, const FieldSpec&, const Entry& entry,
                Cluster& out) {
         out.security.emplace();
         read_table(reader, security_table, entry, *out.security);
     },
     .dump = [](const FieldSpec&, const Cluster& in) -> std::optional<YAML::Node> {
         if (!in.security) return std::nullopt;
         return dump_table(security_table, *in.security);
     }},
}};

constexpr Table<Cluster> cluster_table{
    .name = "clusters.<alias>",
    .description =
        "A Kafka cluster, named by its alias. The alias is what flows name in "
        "`source` and `target`, and the prefix the `prefix` policy puts in front "
        "of mirrored topics, so it must match `[A-Za-z0-9._-]+`.",
    .fields = cluster_fields,
    .make_default = [] { return Cluster{}; },
};

constexpr std::array<Field<Flow>, 2> topics_fields{{
    {.spec = {.key = "include",
              .type = FieldType::regex_list,
              .description = "Topics to mirror: full-match ECMAScript regexes.",
              .check = check_regex},
     .read = read_member<&Flow::include>,
     .dump = dump_member<&Flow::include>},
    {.spec = {.key = "exclude",
              .type = FieldType::regex_list,
              .description = "Topics not to mirror even if included: full-match ECMAScript "
                             "regexes. Internal topics are never mirrored, whatever these say: "
                             "names starting with `__` or `.`, or ending in `.internal` or "
                             "`-internal` (MM2's rule, which covers its topics and kmirror's).",
              .check = check_regex},
     .read = read_member<&Flow::exclude>,
     .dump = dump_member<&Flow::exclude>},
}};

constexpr Table<Flow> topics_table{
    .name = "flows[].topics",
    .description =
        "Which source topics the flow mirrors. A topic is mirrored when it fully "
        "matches an `include` pattern and no `exclude` pattern.",
    .fields = topics_fields,
    .make_default = default_flow,
};

constexpr std::array<Field<Rename>, 3> rename_fields{{
    {.spec = {.key = "policy",
              .type = FieldType::enumeration,
              .description = "How a source topic is named on the target. `prefix`: "
                             "`<source alias><separator><topic>` (MM2's "
                             "DefaultReplicationPolicy). `identity`: the same name (MM2's "
                             "IdentityReplicationPolicy; provenance headers stop active/active "
                             "loops). `template`: `format`.",
              .allowed = rename_policy_names},
     .read = read_member<&Rename::policy>,
     .dump = dump_member<&Rename::policy>},
    {.spec = {.key = "separator",
              .type = FieldType::string,
              .description = "`prefix` policy: what goes between the alias and the topic "
                             "(MM2's `replication.policy.separator`).",
              .check = check_separator,
              .rule = "characters legal in topic names"},
     .read = read_member<&Rename::separator>,
     .dump = dump_member<&Rename::separator>},
    {.spec = {.key = "format",
              .type = FieldType::string,
              .description = "`template` policy (required there): the target topic name, "
                             "e.g. `dr-{topic}` or `{source}.{topic}`.",
              .check = check_template,
              .rule = "must contain `{topic}`; placeholders `{source}`, `{topic}` only"},
     .read = read_member<&Rename::format>,
     .dump = [](const FieldSpec&, const Rename& in) -> std::optional<YAML::Node> {
         if (in.format.empty()) {
             return std::nullopt;  // only templates have one
         }
         return YAML::Node(in.format);
     }},
}};

constexpr Table<Rename> rename_table{
    .name = "flows[].rename",
    .description = "The replication policy: how mirrored topics are named on the target.",
    .fields = rename_fields,
    .make_default = [] { return Rename{}; },
};

constexpr std::array<Field<GroupFilter>, 2> groups_fields{{
    {.spec = {.key = "include",
              .type = FieldType::regex_list,
              .description = "Consumer groups of the source to translate: full-match "
                             "ECMAScript regexes (MM2's `groups`).",
              .check = check_regex},
     .read = read_member<&GroupFilter::include>,
     .dump = dump_member<&GroupFilter::include>},
    {.spec = {.key = "exclude",
              .type = FieldType::regex_list,
              .description = "Groups not translated even if included (MM2's `groups.exclude`). "
                             "kmirror's own groups (`kmirror.<flow>`) never are. Setting it "
                             "replaces the default list.",
              .check = check_regex},
     .read = read_member<&GroupFilter::exclude>,
     .dump = dump_member<&GroupFilter::exclude>},
}};

constexpr Table<GroupFilter> groups_table{
    .name = "flows[].groups",
    .description = "Which consumer groups of the source get their committed offsets "
                   "translated (checkpoints, `sync_group_offsets`, `kmirror failover "
                   "--all-groups`). Only offsets of topics the flow mirrors are translated.",
    .fields = groups_fields,
    .make_default = [] { return GroupFilter{}; },
};

constexpr std::array<Field<Flow>, 23> flow_fields{{
    {.spec = {.key = "name",
              .type = FieldType::string,
              .description = "Unique name of the flow. Its consumer group on the source cluster "
                             "is `kmirror.<name>`, shared by every instance running the flow.",
              .required = true,
              .check = check_name,
              .rule = "`[A-Za-z0-9._-]+`, unique"},
     .read = read_member<&Flow::name>,
     .dump = dump_member<&Flow::name>},
    {.spec = {.key = "source",
              .type = FieldType::string,
              .description = "Alias of the cluster to mirror from.",
              .required = true,
              .rule = "a cluster alias"},
     .read = read_member<&Flow::source>,
     .dump = dump_member<&Flow::source>},
    {.spec = {.key = "target",
              .type = FieldType::string,
              .description = "Alias of the cluster to mirror into.",
              .required = true,
              .rule = "a cluster alias"},
     .read = read_member<&Flow::target>,
     .dump = dump_member<&Flow::target>},
    {.spec = {.key = "topics",
              .type = FieldType::section,
              .description = "Topic filters.",
              .section = "flows[].topics"},
     .read = [](Reader& reader, const FieldSpec&, const Entry& entry,
                Flow& out) { read_table(reader, topics_table, entry, out); },
     .dump = [](const FieldSpec&, const Flow& in) -> std::optional<YAML::Node> {
         return dump_table(topics_table, in);
     }},
    {.spec = {.key = "rename",
              .type = FieldType::section,
              .description = "Replication policy (target topic names).",
              .section = "flows[].rename"},
     .read = read_section<&Flow::rename, rename_table>,
     .dump = dump_section<&Flow::rename, rename_table>},
    {.spec = {.key = "workers",
              .type = FieldType::integer,
              .description = "Consumer/producer worker threads of this flow in this process.",
              .min = 1,
              .max = 64},
     .read = read_member<&Flow::workers>,
     .dump = dump_member<&Flow::workers>},
    {.spec = {.key = "sync_topic_configs",
              .type = FieldType::boolean,
              .description = "Copy topic configs from source to target (minus "
                             "`config_exclude`)."},
     .read = read_member<&Flow::sync_topic_configs>,
     .dump = dump_member<&Flow::sync_topic_configs>},
    {.spec = {.key = "refresh_interval",
              .type = FieldType::duration,
              .description = "How often new source topics and partitions are looked for.",
              .min = 100},
     .read = read_member<&Flow::refresh_interval>,
     .dump = dump_member<&Flow::refresh_interval>},
    {.spec = {.key = "config_sync_interval",
              .type = FieldType::duration,
              .description = "How often topic configs are copied to the target, and offset "
                             "ranges of records the target's retention deleted are pruned.",
              .min = 100},
     .read = read_member<&Flow::config_sync_interval>,
     .dump = dump_member<&Flow::config_sync_interval>},
    {.spec = {.key = "commit_interval",
              .type = FieldType::duration,
              .description = "How often acknowledged source progress is committed.",
              .min = 10},
     .read = read_member<&Flow::commit_interval>,
     .dump = dump_member<&Flow::commit_interval>},
    {.spec = {.key = "replication_factor",
              .type = FieldType::integer,
              .description = "Replication factor of topics created on the target; -1: "
                             "min(3, number of target brokers).",
              .min = -1,
              .max = 32767,
              .check = check_replication_factor,
              .rule = "-1 or 1..32767"},
     .read = read_member<&Flow::replication_factor>,
     .dump = dump_member<&Flow::replication_factor>},
    {.spec = {.key = "config_exclude",
              .type = FieldType::string_list,
              .description = "Topic configs never copied to the target, by exact name (MM2's "
                             "`config.properties.exclude` takes regexes; this takes names). "
                             "Setting it replaces the default list.",
              .check = check_config_name,
              .rule = "config names"},
     .read = read_member<&Flow::config_exclude>,
     .dump = dump_member<&Flow::config_exclude>},
    {.spec = {.key = "on_data_loss",
              .type = FieldType::enumeration,
              .description = "When source records were deleted before they were mirrored "
                             "(offset out of range): `stop` mirroring that partition, or "
                             "`continue` from the earliest available offset. Either way the "
                             "loss is logged and counted in metrics.",
              .allowed = on_data_loss_names},
     .read = read_member<&Flow::on_data_loss>,
     .dump = dump_member<&Flow::on_data_loss>},
    {.spec = {.key = "emit_heartbeats",
              .type = FieldType::boolean,
              .description = "Write a heartbeat to the source's `heartbeats` topic every "
                             "`heartbeat_interval` (MirrorMaker 2's format); mirrored like any "
                             "topic, its age on the target is the end-to-end replication gap."},
     .read = read_member<&Flow::emit_heartbeats>,
     .dump = dump_member<&Flow::emit_heartbeats>},
    {.spec = {.key = "heartbeat_interval",
              .type = FieldType::duration,
              .description = "How often a heartbeat is written.",
              .min = 100},
     .read = read_member<&Flow::heartbeat_interval>,
     .dump = dump_member<&Flow::heartbeat_interval>},
    {.spec = {.key = "offset_syncs_location",
              .type = FieldType::enumeration,
              .description = "Cluster holding MM2's offset-syncs topic: `source` "
                             "(`mm2-offset-syncs.<target>.internal`, MM2's default) or `target` "
                             "(`mm2-offset-syncs.<source>.internal`). Must match what MM2 "
                             "tools reading it expect.",
              .allowed = offset_syncs_location_names},
     .read = read_member<&Flow::offset_syncs_location>,
     .dump = dump_member<&Flow::offset_syncs_location>},
    {.spec = {.key = "offset_sync_interval",
              .type = FieldType::duration,
              .description = "An offset sync is written at every range boundary (source gap, "
                             "restart) and, for the newest position of each partition, at "
                             "least this often (MM2: `offset.lag.max`).",
              .min = 100},
     .read = read_member<&Flow::offset_sync_interval>,
     .dump = dump_member<&Flow::offset_sync_interval>},
    {.spec = {.key = "groups",
              .type = FieldType::section,
              .description = "Consumer-group filters.",
              .section = "flows[].groups"},
     .read = read_section<&Flow::groups, groups_table>,
     .dump = dump_section<&Flow::groups, groups_table>},
    {.spec = {.key = "emit_checkpoints",
              .type = FieldType::boolean,
              .description = "Write the translated committed offsets of the source's groups to "
                             "`<source>.checkpoints.internal` on the target (MM2's format, read "
                             "by `RemoteClusterUtils.translateOffsets`)."},
     .read = read_member<&Flow::emit_checkpoints>,
     .dump = dump_member<&Flow::emit_checkpoints>},
    {.spec = {.key = "checkpoint_interval",
              .type = FieldType::duration,
              .description = "Group commits are followed as they happen (from the source's "
                             "`__consumer_offsets`); every translation is also re-checked this "
                             "often, and groups are listed this often where "
                             "`__consumer_offsets` cannot be read.",
              .min = 100},
     .read = read_member<&Flow::checkpoint_interval>,
     .dump = dump_member<&Flow::checkpoint_interval>},
    {.spec = {.key = "sync_group_offsets",
              .type = FieldType::boolean,
              .description = "Also write the translated offsets into the same group on the "
                             "target, only while it has no active members there, and never "
                             "backwards (MM2's `sync.group.offsets.enabled`)."},
     .read = read_member<&Flow::sync_group_offsets>,
     .dump = dump_member<&Flow::sync_group_offsets>},
    {.spec = {.key = "max_bytes_per_second",
              .type = FieldType::size,
              .description = "Cap on what this flow copies per second (keys and values, as "
                             "`kmirror_bytes_total` counts them), for a DR link shared with "
                             "others: enforced smoothly, shown in `/status` and as "
                             "`kmirror_throttled_seconds_total`. `0B`: no cap."},
     .read = read_member<&Flow::max_bytes_per_second>,
     .dump = dump_member<&Flow::max_bytes_per_second>},
    {.spec = {.key = "compression",
              .type = FieldType::enumeration,
              .description = "Codec of the batches written to the target. `source`: the source "
                             "topic's `compression.type` when it names a codec, else `none`. "
                             "Another codec also keeps `compression.type` off the topic-config "
                             "sync, so the target stores what kmirror sends.",
              .allowed = compression_names},
     .read = read_member<&Flow::compression>,
     .dump = dump_member<&Flow::compression>},
}};

constexpr Table<Flow> flow_table{
    .name = "flows[]",
    .description =
        "A flow mirrors one source cluster into one target cluster. Several flows "
        "can run in one process (fan-in, active/active).",
    .fields = flow_fields,
    .make_default = default_flow,
};

constexpr std::array<Field<State>, 2> state_fields{{
    {.spec = {.key = "path",
              .type = FieldType::string,
              .description = "SQLite file with the offset ranges used for offset translation. "
                             "Its directory must exist and be writable."},
     .read = read_member<&State::path>,
     .dump = dump_member<&State::path>},
    {.spec = {.key = "forget_after",
              .type = FieldType::duration,
              .description = "A topic no longer mirrored (deleted on the source, no longer "
                             "matched by `include`/`exclude`) for this long is forgotten: its "
                             "offset ranges, its partitions in `/status` and its metric series. "
                             "Counted only while the source cluster answers: an unreachable "
                             "primary never makes kmirror forget anything.",
              .min = 1000},
     .read = read_member<&State::forget_after>,
     .dump = dump_member<&State::forget_after>},
}};

constexpr Table<State> state_table{
    .name = "state",
    .description = "Local state of this instance.",
    .fields = state_fields,
    .make_default = [] { return State{}; },
};

constexpr std::array<Field<Http>, 1> http_fields{{
    {.spec = {.key = "listen",
              .type = FieldType::string,
              .description = "Address of the HTTP endpoint (`/metrics`, `/healthz`, `/readyz`, "
                             "`/status`). Port 0 picks a free port.",
              .check = check_listen,
              .rule = "`host:port`, `[ipv6]:port`; port 0..65535"},
     .read = read_member<&Http::listen>,
     .dump = dump_member<&Http::listen>},
}};

constexpr Table<Http> http_table{
    .name = "http",
    .description = "The HTTP endpoint for Prometheus and health checks.",
    .fields = http_fields,
    .make_default = [] { return Http{}; },
};

constexpr std::array<Field<Log>, 2> log_fields{{
    {.spec = {.key = "level",
              .type = FieldType::enumeration,
              .description = "Minimum level logged.",
              .allowed = log_level_names},
     .read =
         [](Reader& reader, const FieldSpec& spec, const Entry& entry, Log& out) {
             std::size_t index = 0;
             if (reader.read_enum(spec, entry, index)) {
                 out.level = std::string(spec.allowed[index]);
             }
         },
     .dump = dump_member<&Log::level>},
    {.spec = {.key = "format",
              .type = FieldType::enumeration,
              .description = "`text` for people, `json` (one object per line) for log "
                             "collectors.",
              .allowed = log_format_names},
     .read = read_member<&Log::format>,
     .dump = dump_member<&Log::format>},
}};

constexpr Table<Log> log_table{
    .name = "log",
    .description = "Logging (spdlog, to stderr). Secrets are never logged.",
    .fields = log_fields,
    .make_default = [] { return Log{}; },
};

constexpr std::array<Field<Metrics>, 1> metrics_fields{{
    {.spec = {.key = "partition_labels",
              .type = FieldType::boolean,
              .description = "Export lag per partition (2 series per partition). Off: per topic "
                             "only, for clusters with many thousands of partitions."},
     .read = read_member<&Metrics::partition_labels>,
     .dump = dump_member<&Metrics::partition_labels>},
}};

constexpr Table<Metrics> metrics_table{
    .name = "metrics",
    .description = "What `/metrics` exports.",
    .fields = metrics_fields,
    .make_default = [] { return Metrics{}; },
};

constexpr std::array<Field<Memory>, 1> memory_fields{{
    {.spec = {.key = "budget",
              .type = FieldType::size,
              .description = "Everything kmirror buffers, for all flows together: the source "
                             "consumers' queues and fetches, the target producers' queues, "
                             "and the records in flight between them. Split evenly across "
                             "the workers of all flows; each needs at least 16MiB. The "
                             "process stays within the budget plus a fixed overhead (see "
                             "docs/operations.md, \"Memory\"). The Helm chart sets it from "
                             "the container's memory limit.",
              .min = 16 * kMiB},
     .read = read_member<&Memory::budget>,
     .dump = dump_member<&Memory::budget>},
}};

constexpr Table<Memory> memory_table{
    .name = "memory",
    .description = "Memory bound of the whole process.",
    .fields = memory_fields,
    .make_default = [] { return Memory{}; },
};

constexpr std::array<Field<Shutdown>, 1> shutdown_fields{{
    {.spec = {.key = "timeout",
              .type = FieldType::duration,
              .description = "On SIGTERM, how long in-flight records may take to be "
                             "acknowledged and committed before they are purged (and re-sent "
                             "after restart).",
              .min = 100},
     .read = read_member<&Shutdown::timeout>,
     .dump = dump_member<&Shutdown::timeout>},
}};

constexpr Table<Shutdown> shutdown_table{
    .name = "shutdown",
    .description = "Graceful drain on SIGTERM.",
    .fields = shutdown_fields,
    .make_default = [] { return Shutdown{}; },
};

constexpr std::array<Field<Health>, 1> health_fields{{
    {.spec = {.key = "stall_timeout",
              .type = FieldType::duration,
              .description = "A flow is stalled when its target answers, records wait to be "
                             "copied, and the target acknowledged none of them for this long "
                             "(a partition refused or stuck in kmirror). `/readyz` then says so, "
                             "and kmirror stops pinging systemd's watchdog (`WatchdogSec=`), so "
                             "systemd restarts it. A target that does not answer is reported, "
                             "not counted as a stall: a restart would not help.",
              .min = 1000},
     .read = read_member<&Health::stall_timeout>,
     .dump = dump_member<&Health::stall_timeout>},
}};

constexpr Table<Health> health_table{
    .name = "health",
    .description = "When mirroring counts as stalled.",
    .fields = health_fields,
    .make_default = [] { return Health{}; },
};

void read_clusters(Reader& reader, const FieldSpec& /*spec*/, const Entry& entry, Config& out) {
    if (!reader.expect_map(entry)) {
        return;
    }
    if (entry.node.size() == 0) {
        reader.error(entry.mark, entry.path, "at least one cluster is required");
    }
    for (auto it = entry.node.begin(); it != entry.node.end(); ++it) {
        const std::optional<std::string> alias = reader.key_of(it->first, entry.path);
        if (!alias) {
            continue;
        }
        const std::string path = join_path(entry.path, *alias);
        if (out.clusters.contains(*alias)) {
            reader.error(it->first.Mark(), path, "duplicate cluster alias");
            continue;
        }
        if (std::string why = check_name(*alias); !why.empty()) {
            reader.error(it->first.Mark(), path, "cluster alias " + why);
        }
        // Kept even when invalid, so flows naming it do not add "unknown cluster" noise.
        Cluster cluster = cluster_table.make_default();
        cluster.alias = *alias;
        read_table(reader, cluster_table,
                   Entry{it->second, value_mark(it->first, it->second), path}, cluster);
        out.clusters.emplace(*alias, std::move(cluster));
    }
}

void read_flows(Reader& reader, const FieldSpec& /*spec*/, const Entry& entry, Config& out) {
    if (!reader.expect_list(entry)) {
        return;
    }
    if (entry.node.size() == 0) {
        reader.error(entry.mark, entry.path, "at least one flow is required");
    }
    for (std::size_t i = 0; i < entry.node.size(); ++i) {
        const YAML::Node item = entry.node[i];
        Flow flow = flow_table.make_default();
        read_table(reader, flow_table,
                   Entry{item, item.IsNull() ? entry.mark : item.Mark(),
                         entry.path + "[" + std::to_string(i) + "]"},
                   flow);
        out.flows.push_back(std::move(flow));
    }
}

constexpr std::array<Field<Config>, 10> config_fields{{
    {.spec = {.key = "clusters",
              .type = FieldType::section_map,
              .description = "The Kafka clusters, by alias. At least one.",
              .required = true,
              .section = "clusters.<alias>"},
     .read = read_clusters,
     .dump = [](const FieldSpec&, const Config& in) -> std::optional<YAML::Node> {
         YAML::Node map(YAML::NodeType::Map);
         for (const auto& [alias, cluster] : in.clusters) {
             map[alias] = dump_table(cluster_table, cluster);
         }
         return map;
     }},
    {.spec = {.key = "flows",
              .type = FieldType::section_list,
              .description = "What to mirror from where to where. At least one.",
              .required = true,
              .section = "flows[]"},
     .read = read_flows,
     .dump = [](const FieldSpec&, const Config& in) -> std::optional<YAML::Node> {
         YAML::Node list(YAML::NodeType::Sequence);
         for (const Flow& flow : in.flows) {
             list.push_back(dump_table(flow_table, flow));
         }
         return list;
     }},
    {.spec = {.key = "state",
              .type = FieldType::section,
              .description = "Local state.",
              .section = "state"},
     .read = read_section<&Config::state, state_table>,
     .dump = dump_section<&Config::state, state_table>},
    {.spec = {.key = "http",
              .type = FieldType::section,
              .description = "Metrics and health endpoint.",
              .section = "http"},
     .read = read_section<&Config::http, http_table>,
     .dump = dump_section<&Config::http, http_table>},
    {.spec =
         {.key = "log", .type = FieldType::section, .description = "Logging.", .section = "log"},
     .read = read_section<&Config::log, log_table>,
     .dump = dump_section<&Config::log, log_table>},
    {.spec = {.key = "metrics",
              .type = FieldType::section,
              .description = "Metrics export.",
              .section = "metrics"},
     .read = read_section<&Config::metrics, metrics_table>,
     .dump = dump_section<&Config::metrics, metrics_table>},
    {.spec = {.key = "shutdown",
              .type = FieldType::section,
              .description = "Graceful shutdown.",
              .section = "shutdown"},
     .read = read_section<&Config::shutdown, shutdown_table>,
     .dump = dump_section<&Config::shutdown, shutdown_table>},
    {.spec = {.key = "health",
              .type = FieldType::section,
              .description = "Stall detection (readiness, systemd watchdog).",
              .section = "health"},
     .read = read_section<&Config::health, health_table>,
     .dump = dump_section<&Config::health, health_table>},
    {.spec = {.key = "memory",
              .type = FieldType::section,
              .description = "Memory budget.",
              .section = "memory"},
     .read = read_section<&Config::memory, memory_table>,
     .dump = dump_section<&Config::memory, memory_table>},
    {.spec = {.key = "connect_timeout",
              .type = FieldType::duration,
              .description = "How long start-up waits for each cluster to answer before "
                             "failing.",
              .min = 100},
     .read = read_member<&Config::connect_timeout>,
     .dump = dump_member<&Config::connect_timeout>},
}};

constexpr Table<Config> config_table{
    .name = "",
    .description = "The top level of the file.",
    .fields = config_fields,
    .make_default = [] { return Config{}; },
};

std::string flow_style(const YAML::Node& node) {
    YAML::Emitter out;
    out << YAML::Flow << node;
    return out.c_str();
}

template <typename T>
TableDoc describe_table(const Table<T>& table) {
    TableDoc doc{.name = table.name, .description = table.description, .fields = {}};
    const T defaults = table.make_default();
    for (const Field<T>& f : table.fields) {
        FieldDoc field{.spec = f.spec, .default_value = {}};
        const bool nested = f.spec.type == FieldType::section ||
                            f.spec.type == FieldType::section_map ||
                            f.spec.type == FieldType::section_list;
        if (!f.spec.required && !nested) {
            const std::optional<YAML::Node> node = f.dump(f.spec, defaults);
            field.default_value = node ? flow_style(*node) : "";
        }
        doc.fields.push_back(std::move(field));
    }
    return doc;
}

}  // namespace

Flow default_flow() {
    Flow flow;
    flow.config_exclude = default_config_exclude();
    return flow;
}

std::string_view to_string(RenamePolicy policy) {
    return rename_policy_names.at(static_cast<std::size_t>(policy));
}

std::string_view to_string(OnDataLoss on_data_loss) {
    return on_data_loss_names.at(static_cast<std::size_t>(on_data_loss));
}

std::string_view to_string(OffsetSyncsLocation location) {
    return offset_syncs_location_names.at(static_cast<std::size_t>(location));
}

std::string_view to_string(Compression compression) {
    return compression_names.at(static_cast<std::size_t>(compression));
}

std::string_view to_string(LogFormat format) {
    return log_format_names.at(static_cast<std::size_t>(format));
}

void read_config(Reader& reader, const Entry& root, Config& out) {
    read_table(reader, config_table, root, out);
}

YAML::Node dump_config(const Config& config) { return dump_table(config_table, config); }

std::vector<TableDoc> schema_docs() {
    return {describe_table(config_table),  describe_table(cluster_table),
            describe_table(security_table), describe_table(tls_table),
            describe_table(sasl_table),
            describe_table(flow_table),    describe_table(topics_table),
            describe_table(rename_table),  describe_table(groups_table),
            describe_table(state_table),
            describe_table(http_table),    describe_table(log_table),
            describe_table(metrics_table), describe_table(shutdown_table),
            describe_table(health_table),  describe_table(memory_table)};
}

}  // namespace kmirror::config
