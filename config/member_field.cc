#include "config/member_field.h"

#include "config/byte_size.h"
#include "config/duration.h"

namespace kmirror::config {

YAML::Node to_node(const FieldSpec& /*spec*/, const std::string& v) { return YAML::Node(v); }
YAML::Node to_node(const FieldSpec& /*spec*/, int v) { return YAML::Node(v); }
YAML::Node to_node(const FieldSpec& /*spec*/, bool v) { return YAML::Node(v); }
YAML::Node to_node(const FieldSpec& /*spec*/, Duration v) { return YAML::Node(format_duration(v)); }
YAML::Node to_node(const FieldSpec& /*spec*/, ByteSize v) {
    return YAML::Node(format_byte_size(v));
}

YAML::Node to_node(const FieldSpec& /*spec*/, const std::vector<std::string>& v) {
    YAML::Node list(YAML::NodeType::Sequence);
    std::size_t length = 0;
    for (const std::string& s : v) {
        list.push_back(s);
        length += s.size() + 2;
    }
    // A few patterns read best on one line; a long list (config_exclude) one per line.
    constexpr std::size_t max_flow_length = 60;
    if (length <= max_flow_length) {
        list.SetStyle(YAML::EmitterStyle::Flow);
    }
    return list;
}

}  // namespace kmirror::config
