#include "config/properties.h"

#include "config/reader.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

namespace kmirror::config {
namespace {

constexpr std::array<std::string_view, 1> only_false{"false"};
constexpr std::array<std::string_view, 1> only_true{"true"};
constexpr std::array<std::string_view, 2> only_all{"all", "-1"};
constexpr std::array<std::string_view, 1> only_read_committed{"read_committed"};

// Each of these would break a mirroring invariant (DESIGN.md) or fight kmirror's own setting.
constexpr std::string_view kBudgetOwned =
    "kmirror derives it from `memory.budget` so that the process stays within its budget; "
    "change the budget instead";

constexpr std::array<PropertyRule, 21> rules{{
    {"bootstrap.servers", {}, "use the cluster's `bootstrap` key"},
    {"group.id", {}, "kmirror names the consumer group after the flow"},
    {"enable.auto.commit", only_false,
     "source offsets are committed only after the target acknowledged the records"},
    {"enable.auto.offset.store", only_false,
     "offsets are stored only after the target acknowledged the records"},
    {"enable.idempotence", only_true, "the idempotent producer keeps per-partition order"},
    {"acks", only_all, "a record counts as mirrored only once all in-sync replicas have it"},
    {"request.required.acks", only_all,
     "a record counts as mirrored only once all in-sync replicas have it"},
    {"transactional.id", {}, "kmirror derives transactional ids from the flow"},
    {"auto.offset.reset",
     {},
     "kmirror starts new partitions at the earliest offset and handles lost ones by the flow's "
     "`on_data_loss`; `latest` would skip records silently"},
    {"isolation.level", only_read_committed,
     "records of aborted transactions would be mirrored as committed data"},
    {"message.timeout.ms", {},
     "records wait for the target as long as it takes; a timeout would drop them during an "
     "outage"},
    {"delivery.timeout.ms", {},
     "records wait for the target as long as it takes; a timeout would drop them during an "
     "outage"},
    {"partition.assignment.strategy", {},
     "instances of a flow share partitions with cooperative-sticky, so a rebalance moves only "
     "some"},
    {"queued.max.messages.kbytes", {}, kBudgetOwned},
    {"queued.min.messages", {}, kBudgetOwned},
    {"fetch.max.bytes", {}, kBudgetOwned},
    {"max.partition.fetch.bytes", {}, kBudgetOwned},
    {"queue.buffering.max.kbytes", {}, kBudgetOwned},
    {"queue.buffering.max.messages", {}, kBudgetOwned},
    {"compression.codec", {}, "set the flow's `compression` instead"},
    {"compression.type", {}, "set the flow's `compression` instead"},
}};

constexpr std::array<std::string_view, 2> fragments{"password", "secret"};
constexpr std::array<std::string_view, 2> exact_secrets{"ssl.key.pem", "sasl.oauthbearer.config"};

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto lower = [](char c) {
            return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
        };
        if (lower(a[i]) != lower(b[i])) {
            return false;
        }
    }
    return true;
}

std::string quote_list(std::span<const std::string_view> values) {
    std::string out;
    for (const std::string_view v : values) {
        out += (out.empty() ? "'" : " or '") + std::string(v) + "'";
    }
    return out;
}

bool read_env(const std::string& name, std::string& out, std::string& error) {
    // The config is parsed at start-up, before kmirror starts threads: getenv() cannot race.
    const char* value =
        name.empty() ? nullptr : std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe)
    if (value == nullptr) {
        error = name.empty() ? "empty variable name in ${env:}"
                             : "environment variable " + name + " is not set";
        return false;
    }
    out += value;
    return true;
}

bool read_file(std::filesystem::path path, const std::string& base_dir, std::string& out,
               std::string& error) {
    if (path.empty()) {
        error = "empty path in ${file:}";
        return false;
    }
    if (path.is_relative() && !base_dir.empty()) {
        path = std::filesystem::path(base_dir) / path;
    }
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
        error = "cannot read secret file '" + path.string() + "': it is a directory";
        return false;
    }
    std::ifstream in(path, std::ios::binary);
    std::ostringstream contents;
    if (in) {
        contents << in.rdbuf();
    }
    if (!in || in.bad()) {
        const int err = errno;
        error = "cannot read secret file '" + path.string() +
                "': " + std::error_code(err, std::generic_category()).message();
        return false;
    }
    std::string value = contents.str();
    // Files written by editors and `echo` end in a newline that is not part of the secret.
    if (value.ends_with('\n')) {
        value.pop_back();
        if (value.ends_with('\r')) {
            value.pop_back();
        }
    }
    out += value;
    return true;
}

bool resolve(std::string_view reference, const std::string& base_dir, std::string& out,
             std::string& error) {
    if (reference.starts_with("env:")) {
        return read_env(std::string(reference.substr(4)), out, error);
    }
    if (reference.starts_with("file:")) {
        return read_file(std::filesystem::path(reference.substr(5)), base_dir, out, error);
    }
    error = "unknown reference '${" + std::string(reference) +
            "}'; use ${env:NAME} or ${file:/path} ($${ for a literal ${)";
    return false;
}

/// Reports `value` for `key` if a rule forbids it.
void check_rules(Reader& reader, const YAML::Mark& mark, const std::string& path,
                 std::string_view key, std::string_view value) {
    for (const PropertyRule& rule : rules) {
        if (rule.key != key) {
            continue;
        }
        const bool allowed = std::ranges::any_of(
            rule.allowed, [&](std::string_view a) { return equals_ignoring_case(value, a); });
        if (!allowed) {
            reader.error(mark, path,
                         rule.allowed.empty() ? "must not be set: " + std::string(rule.reason)
                                              : "may only be " + quote_list(rule.allowed) + ": " +
                                                    std::string(rule.reason));
        }
    }
}

}  // namespace

std::span<const PropertyRule> property_rules() { return rules; }
std::span<const std::string_view> secret_key_fragments() { return fragments; }
std::span<const std::string_view> secret_keys() { return exact_secrets; }

bool is_secret_property(std::string_view key) {
    return std::ranges::any_of(
               fragments,
               [&](std::string_view f) { return key.find(f) != std::string_view::npos; }) ||
           std::ranges::find(exact_secrets, key) != exact_secrets.end();
}

bool interpolate(std::string_view raw, const std::string& base_dir, std::string& out,
                 std::string& error, bool& referenced) {
    out.clear();
    referenced = false;
    std::size_t pos = 0;
    while (pos < raw.size()) {
        const std::size_t dollar = raw.find('$', pos);
        if (dollar == std::string_view::npos) {
            out += raw.substr(pos);
            break;
        }
        out += raw.substr(pos, dollar - pos);
        if (raw.substr(dollar).starts_with("$${")) {
            out += "${";
            pos = dollar + 3;
        } else if (raw.substr(dollar).starts_with("${")) {
            const std::size_t close = raw.find('}', dollar);
            if (close == std::string_view::npos) {
                error = "unterminated '${' (write $${ for a literal ${)";
                return false;
            }
            if (!resolve(raw.substr(dollar + 2, close - dollar - 2), base_dir, out, error)) {
                return false;
            }
            referenced = true;
            pos = close + 1;
        } else {
            out += '$';
            pos = dollar + 1;
        }
    }
    return true;
}

void read_properties(Reader& reader, const Entry& entry, std::vector<ClusterProperty>& out) {
    if (!reader.expect_map(entry)) {
        return;
    }
    std::set<std::string, std::less<>> seen;
    for (auto it = entry.node.begin(); it != entry.node.end(); ++it) {
        const std::optional<std::string> key = reader.key_of(it->first, entry.path);
        if (!key) {
            continue;
        }
        const std::string path = join_path(entry.path, *key);
        const YAML::Mark key_mark = it->first.Mark();
        if (!seen.insert(*key).second) {
            reader.error(key_mark, path, "duplicate key");
            continue;
        }
        // A copy: yaml-cpp iterators hand out a temporary pair, so a reference would dangle.
        const YAML::Node value_node = it->second;
        if (!value_node.IsScalar()) {
            reader.error(value_mark(it->first, value_node), path,
                         "expected a scalar value (string, number or boolean), got " +
                             std::string(describe(value_node)));
            continue;
        }
        std::string value;
        std::string why;
        bool referenced = false;
        if (!interpolate(value_node.Scalar(), reader.base_dir().string(), value, why, referenced)) {
            reader.error(value_node.Mark(), path, why);
            continue;
        }
        check_rules(reader, key_mark, path, *key, value);
        if (*key == "ssl.endpoint.identification.algorithm" && equals_ignoring_case(value, "none")) {
            reader.warning(key_mark, path,
                           "host name verification is off: any certificate the CA signed, for "
                           "any host, is accepted as this cluster's (librdkafka's default "
                           "'https' checks it)");
        }
        out.push_back(ClusterProperty{
            .key = *key,
            .value = Secret(std::move(value)),
            // A value fetched from the environment or a file was put there to keep it out of
            // the config file: treat it as a credential whatever the key is called.
            .secret = is_secret_property(*key) || referenced,
            .line = key_mark.line + 1,
            .column = key_mark.column + 1,
        });
    }
}

YAML::Node dump_properties(const std::vector<ClusterProperty>& properties) {
    YAML::Node map(YAML::NodeType::Map);
    for (const ClusterProperty& p : properties) {
        map[p.key] = p.secret ? std::string("[secret]") : p.value.reveal();
    }
    if (properties.empty()) {
        // "properties: {}", rather than "{}" alone on the next line.
        map.SetStyle(YAML::EmitterStyle::Flow);
    }
    return map;
}

}  // namespace kmirror::config
