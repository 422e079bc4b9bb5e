#pragma once
// Durations in the config file are written with a unit ("500ms", "30s", "5m",
// "1h"): a bare number is ambiguous (librdkafka uses ms, Kafka configs mix ms
// and s), so it is rejected with a hint instead of guessed.

#include "config/config.h"

#include <optional>
#include <string>
#include <string_view>

namespace kmirror::config {

/// Parses "<digits><unit>" with unit ms, s, m or h. On failure returns nullopt
/// and sets `error` to a message for a Diagnostic (without the key path).
std::optional<Duration> parse_duration(std::string_view text, std::string& error);

/// The shortest exact form: 90000ms -> "90s", 3600000ms -> "1h", 1500ms -> "1500ms".
std::string format_duration(Duration d);

}  // namespace kmirror::config
