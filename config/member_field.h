#pragma once
// Field read/dump functions for a struct member, so a schema table entry says
// only which member it fills: `.read = read_member<&Flow::workers>`. The
// member's type picks the Reader overload (and so the YAML type expected).

#include "config/config.h"
#include "config/field.h"
#include "config/reader.h"

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace kmirror::config {

/// The struct and value type of a pointer to member.
template <auto Member>
struct MemberOf;

template <typename C, typename V, V C::*M>
struct MemberOf<M> {
    using Owner = C;
    using Value = V;
};

template <auto Member>
using OwnerOf = typename MemberOf<Member>::Owner;

template <auto Member>
void read_member(Reader& reader, const FieldSpec& spec, const Entry& entry, OwnerOf<Member>& out) {
    using Value = typename MemberOf<Member>::Value;
    if constexpr (std::is_enum_v<Value>) {
        std::size_t index = 0;
        if (reader.read_enum(spec, entry, index)) {
            out.*Member = static_cast<Value>(index);
        }
    } else {
        reader.read(spec, entry, out.*Member);
    }
}

/// A member's value as YAML: durations formatted, enums by name, short lists on one line.
YAML::Node to_node(const FieldSpec& spec, const std::string& v);
YAML::Node to_node(const FieldSpec& spec, int v);
YAML::Node to_node(const FieldSpec& spec, bool v);
YAML::Node to_node(const FieldSpec& spec, Duration v);
YAML::Node to_node(const FieldSpec& spec, ByteSize v);
YAML::Node to_node(const FieldSpec& spec, const std::vector<std::string>& v);

template <typename T>
concept Enum = std::is_enum_v<T>;

/// Enumerations print as their name in spec.allowed (listed in declaration order).
YAML::Node to_node(const FieldSpec& spec, Enum auto v) {
    return YAML::Node(std::string(spec.allowed[static_cast<std::size_t>(v)]));
}

template <auto Member>
std::optional<YAML::Node> dump_member(const FieldSpec& spec, const OwnerOf<Member>& in) {
    return to_node(spec, in.*Member);
}

template <auto Member, const auto& SubTable>
void read_section(Reader& reader, const FieldSpec& /*spec*/, const Entry& entry,
                  OwnerOf<Member>& out) {
    read_table(reader, SubTable, entry, out.*Member);
}

template <auto Member, const auto& SubTable>
std::optional<YAML::Node> dump_section(const FieldSpec& /*spec*/, const OwnerOf<Member>& in) {
    return dump_table(SubTable, in.*Member);
}

}  // namespace kmirror::config
