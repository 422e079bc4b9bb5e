#pragma once
// A whole number followed by a unit ("30s", "256MiB"): the one grammar of
// durations and sizes in the config file. A bare number is rejected with a
// hint instead of guessed, because librdkafka and Kafka mix units.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace kmirror::config {

struct QuantityUnit {
    std::string_view suffix;
    std::int64_t scale;  // in the quantity's base unit (ms, bytes)
};

/// What a kind of quantity is called and which units it takes.
struct QuantityKind {
    std::string_view noun;        // "duration"
    std::string_view examples;    // "500ms, 30s, 5m or 1h"
    std::string_view unit_list;   // every suffix, for "unit must be one of ..."
    std::string_view fraction;    // a whole-number example for "1.5s": "1500ms"
    std::string_view zero;        // how 0 is written: "0s"
    // Largest first: formatting picks the first that divides exactly.
    std::span<const QuantityUnit> units;
    // Suggested for a bare number, smallest first: "write 10ms, 10s, ...".
    std::span<const std::string_view> suggested;
};

/// The value in the base unit. On failure nullopt, and `error` is a message
/// for a Diagnostic (without the key path).
std::optional<std::int64_t> parse_quantity(std::string_view text, const QuantityKind& kind,
                                           std::string& error);

/// The shortest exact form in the kind's units.
std::string format_quantity(std::int64_t value, const QuantityKind& kind);

}  // namespace kmirror::config
