#include "config/duration.h"

#include <array>
#include <charconv>
#include <cstdint>
#include <limits>
#include <system_error>

namespace kmirror::config {
namespace {

struct Unit {
    std::string_view suffix;
    std::int64_t ms;
};

// Longest unit first: format_duration picks the first that divides exactly.
constexpr std::array<Unit, 4> units{{{"h", 3'600'000}, {"m", 60'000}, {"s", 1'000}, {"ms", 1}}};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::optional<Duration> parse_duration(std::string_view text, std::string& error) {
    // append(), not "'" + std::string: GCC 12 -O3 misreports that as -Wrestrict (bug 105329).
    const std::string quoted = std::string("'").append(text).append("'");
    if (text.empty()) {
        error = "expected a duration such as 500ms, 30s, 5m or 1h, got an empty value";
        return std::nullopt;
    }
    if (text.front() == '-') {
        error = "duration " + quoted + " must not be negative";
        return std::nullopt;
    }
    std::size_t digits = 0;
    while (digits < text.size() && is_digit(text[digits])) {
        ++digits;
    }
    const std::string_view number = text.substr(0, digits);
    const std::string_view suffix = text.substr(digits);
    if (number.empty()) {
        error = "invalid duration " + quoted + ": expected a number followed by ms, s, m or h";
        return std::nullopt;
    }
    if (suffix.empty()) {
        // A bare number is the commonest mistake: say what it could have meant.
        error = "duration " + quoted + " has no unit: write " + std::string(number) + "ms, " +
                std::string(number) + "s, " + std::string(number) + "m or " + std::string(number) +
                "h";
        return std::nullopt;
    }
    const Unit* unit = nullptr;
    for (const Unit& u : units) {
        if (u.suffix == suffix) {
            unit = &u;
        }
    }
    if (unit == nullptr) {
        error = "invalid duration " + quoted + ": unit must be one of ms, s, m, h" +
                (suffix.front() == '.' ? " (no fractions: use a smaller unit, e.g. 1500ms)" : "");
        return std::nullopt;
    }
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (ec != std::errc{} || end != number.data() + number.size() ||
        value > std::numeric_limits<std::int64_t>::max() / unit->ms) {
        error = "duration " + quoted + " is too large";
        return std::nullopt;
    }
    return Duration{value * unit->ms};
}

std::string format_duration(Duration d) {
    const std::int64_t ms = d.count();
    if (ms == 0) {
        return "0s";
    }
    for (const Unit& u : units) {
        if (ms % u.ms == 0) {
            return std::to_string(ms / u.ms) + std::string(u.suffix);
        }
    }
    return std::to_string(ms) + "ms";  // unreachable: every count is a multiple of 1ms
}

}  // namespace kmirror::config
