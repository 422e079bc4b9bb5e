#pragma once
// Sizes in the config file are written with a unit ("256MiB", "10MB",
// "512KiB"): a bare number is rejected with a hint, as for durations, because
// librdkafka counts some sizes in bytes and others in kilobytes.

#include "config/config.h"

#include <optional>
#include <string>
#include <string_view>

namespace kmirror::config {

/// Parses "<digits><unit>" with unit B, KiB, MiB, GiB (powers of 1024) or
/// KB, MB, GB (powers of 1000). On failure returns nullopt and sets `error`
/// to a message for a Diagnostic (without the key path).
std::optional<ByteSize> parse_byte_size(std::string_view text, std::string& error);

/// The shortest exact binary form: 268435456 -> "256MiB", 1500 -> "1500B";
/// decimal units only when no binary one divides (10000000 -> "10MB").
std::string format_byte_size(ByteSize size);

}  // namespace kmirror::config
