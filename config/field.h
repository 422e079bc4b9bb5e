#pragma once
// The building blocks of the declarative schema (STYLE.md rule 18, after
// Redpanda's property<T>): one Table per config section, one Field per key.
// The same tables drive parsing, check-config output, --print-defaults and
// docs/configuration.md, so the reference cannot drift from the code.

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kmirror::config {

class Reader;

enum class FieldType {
    string,
    integer,
    boolean,
    duration,
    size,  ///< bytes, with a unit (config/byte_size.h)
    enumeration,
    string_list,
    regex_list,
    section,       ///< a map with its own table
    section_map,   ///< a map of name -> section (clusters)
    section_list,  ///< a list of sections (flows)
    properties,    ///< librdkafka property -> scalar, passed verbatim
    secret,        ///< a string, ${env:}/${file:} resolved, never printed
};

/// A validator beyond the type: returns why `value` is invalid, or "" if it is fine.
using StringCheck = std::string (*)(std::string_view value);

/// The type-independent description of one key. Validation limits live here
/// as data so that the docs print exactly what the parser enforces.
struct FieldSpec {
    std::string_view key{};
    FieldType type = FieldType::string;
    std::string_view description{};
    bool required = false;
    bool secret = false;
    std::int64_t min = 0;  ///< integer: inclusive lower bound; duration: minimum in ms; size: in bytes
    std::int64_t max = 0;  ///< integer: inclusive upper bound
    std::span<const std::string_view> allowed{};  ///< enumeration: names in enum declaration order
    StringCheck check = nullptr;                  ///< strings, and each element of a list
    std::string_view rule{};     ///< the validator in words, when it is not just min/max/allowed
    std::string_view section{};  ///< section types: name of the nested table, for the docs
};

/// A value to read: the node, where it is (the key's position when the value is
/// empty, since yaml-cpp marks an empty value at the next token), and its key path.
struct Entry {
    YAML::Node node;
    YAML::Mark mark;
    std::string path;
};

template <typename T>
struct Field {
    FieldSpec spec;
    /// Reads `entry` into `out`, reporting problems through the Reader.
    void (*read)(Reader& reader, const FieldSpec& spec, const Entry& entry, T& out) = nullptr;
    /// The current value as YAML, or nullopt to leave the key out (e.g. an unused template).
    std::optional<YAML::Node> (*dump)(const FieldSpec& spec, const T& in) = nullptr;
};

template <typename T>
struct Table {
    std::string_view name{};  ///< "flows[]", "clusters.<alias>"
    std::string_view description{};
    std::span<const Field<T>> fields{};
    T (*make_default)() = nullptr;  ///< the value a section starts from before its keys are read
};

/// A field as the docs see it: the spec plus its default, rendered as YAML.
struct FieldDoc {
    FieldSpec spec;
    std::string default_value;  ///< flow-style YAML; empty for required keys and sections
};

struct TableDoc {
    std::string_view name{};
    std::string_view description{};
    std::vector<FieldDoc> fields;
};

}  // namespace kmirror::config

namespace kmirror::config {

/// A section as a YAML map, key by key in table order (yaml-cpp keeps insertion order).
template <typename T>
YAML::Node dump_table(const Table<T>& table, const T& value) {
    YAML::Node map(YAML::NodeType::Map);
    for (const Field<T>& f : table.fields) {
        if (std::optional<YAML::Node> node = f.dump(f.spec, value)) {
            map[std::string(f.spec.key)] = *node;
        }
    }
    return map;
}

}  // namespace kmirror::config
