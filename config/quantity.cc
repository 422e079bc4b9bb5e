#include "config/quantity.h"

#include <charconv>
#include <limits>
#include <system_error>

namespace kmirror::config {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// "10ms, 10s, 10m or 10h" (each item after `prefix`).
std::string or_list(std::span<const std::string_view> items, std::string_view prefix) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out += i + 1 == items.size() ? " or " : ", ";
        out.append(prefix).append(items[i]);
    }
    return out;
}

}  // namespace

std::optional<std::int64_t> parse_quantity(std::string_view text, const QuantityKind& kind,
                                           std::string& error) {
    const std::string noun(kind.noun);
    // append(), not "'" + std::string: GCC 12 -O3 misreports that as -Wrestrict (bug 105329).
    const std::string quoted = std::string("'").append(text).append("'");
    if (text.empty()) {
        error = "expected a " + noun + " such as " + std::string(kind.examples) +
                ", got an empty value";
        return std::nullopt;
    }
    if (text.front() == '-') {
        error = noun + " " + quoted + " must not be negative";
        return std::nullopt;
    }
    std::size_t digits = 0;
    while (digits < text.size() && is_digit(text[digits])) {
        ++digits;
    }
    const std::string_view number = text.substr(0, digits);
    const std::string_view suffix = text.substr(digits);
    if (number.empty()) {
        error = "invalid " + noun + " " + quoted + ": expected a number followed by " +
                or_list(kind.suggested, "");
        return std::nullopt;
    }
    if (suffix.empty()) {
        // A bare number is the commonest mistake: say what it could have meant.
        error = noun + " " + quoted + " has no unit: write " + or_list(kind.suggested, number);
        return std::nullopt;
    }
    const QuantityUnit* unit = nullptr;
    for (const QuantityUnit& u : kind.units) {
        if (u.suffix == suffix) unit = &u;
    }
    if (unit == nullptr) {
        error = "invalid " + noun + " " + quoted + ": unit must be one of " +
                std::string(kind.unit_list) +
                (suffix.front() == '.'
                     ? " (no fractions: use a smaller unit, e.g. " + std::string(kind.fraction) + ")"
                     : "");
        return std::nullopt;
    }
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (ec != std::errc{} || end != number.data() + number.size() ||
        value > std::numeric_limits<std::int64_t>::max() / unit->scale) {
        error = noun + " " + quoted + " is too large";
        return std::nullopt;
    }
    return value * unit->scale;
}

std::string format_quantity(std::int64_t value, const QuantityKind& kind) {
    if (value == 0) return std::string(kind.zero);
    for (const QuantityUnit& u : kind.units) {
        if (value % u.scale == 0) return std::to_string(value / u.scale) + std::string(u.suffix);
    }
    // unreachable while the smallest unit has scale 1
    return std::to_string(value) + std::string(kind.units.back().suffix);
}

}  // namespace kmirror::config
