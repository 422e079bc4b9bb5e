#pragma once
// Value validators beyond the type (FieldSpec::check): each returns why the
// value is invalid, as a Diagnostic message, or "" when it is fine.

#include <string>
#include <string_view>

namespace kmirror::config {

/// Flow names and cluster aliases: Kafka topic-name characters, [A-Za-z0-9._-]+,
/// since both end up in topic names (prefix policy) and group ids.
std::string check_name(std::string_view value);

/// A std::regex in ECMAScript syntax; the message carries std::regex_error's text.
std::string check_regex(std::string_view value);

/// A topic config name (config_exclude entries are compared exactly, not as patterns).
std::string check_config_name(std::string_view value);

/// A prefix-policy separator: topic-name characters only.
std::string check_separator(std::string_view value);

/// A template-policy format: contains {topic}, no placeholder but {source} and
/// {topic}, balanced braces, and topic-name characters elsewhere.
std::string check_template(std::string_view value);

/// host:port or [ipv6]:port, port 0..65535.
std::string check_listen(std::string_view value);

/// A comma-separated broker list without empty entries.
std::string check_bootstrap(std::string_view value);

/// Replication factor: -1 means "up to 3", 0 is not a value (the range is checked by min/max).
std::string check_replication_factor(std::string_view value);

}  // namespace kmirror::config
