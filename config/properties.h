#pragma once
// A cluster's `properties:` map: librdkafka property -> scalar, handed to
// rd_kafka_conf_set verbatim (STYLE.md rule 20), with ${env:NAME} and
// ${file:/path} references resolved and credentials marked secret.

#include "config/config.h"
#include "config/field.h"

#include <yaml-cpp/yaml.h>

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kmirror::config {

class Reader;

/// A property kmirror sets itself. Setting it is an error unless the value is
/// one of `allowed` (compared case-insensitively); with none allowed it is always one.
struct PropertyRule {
    std::string_view key;
    std::span<const std::string_view> allowed;
    std::string_view reason;
};

/// The properties a `properties:` map may not weaken, for validation and the docs.
std::span<const PropertyRule> property_rules();

/// Credentials: the key contains one of secret_key_fragments() or is one of secret_keys().
std::span<const std::string_view> secret_key_fragments();
std::span<const std::string_view> secret_keys();
bool is_secret_property(std::string_view key);

/// Resolves ${env:NAME} and ${file:/path} ("$${" is a literal "${"). A relative
/// file path is taken from `base_dir`; one trailing newline of a file is dropped.
/// On failure returns false and sets `error`, which never contains a value.
/// `referenced` tells whether any reference was resolved.
bool interpolate(std::string_view raw, const std::string& base_dir, std::string& out,
                 std::string& error, bool& referenced);

/// Reads the map at `entry` into `out`, reporting every rule it breaks.
void read_properties(Reader& reader, const Entry& entry, std::vector<ClusterProperty>& out);

/// The map again, with "[secret]" in place of every secret value.
YAML::Node dump_properties(const std::vector<ClusterProperty>& properties);

}  // namespace kmirror::config
