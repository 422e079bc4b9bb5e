#include "config/duration.h"

#include <array>

#include "config/quantity.h"

namespace kmirror::config {
namespace {

constexpr std::array<QuantityUnit, 4> units{{{"h", 3'600'000}, {"m", 60'000}, {"s", 1'000}, {"ms", 1}}};
constexpr std::array<std::string_view, 4> suggested{"ms", "s", "m", "h"};
constexpr QuantityKind kDuration{"duration", "500ms, 30s, 5m or 1h", "ms, s, m, h", "1500ms",
                                 "0s",       units,                  suggested};

}  // namespace

std::optional<Duration> parse_duration(std::string_view text, std::string& error) {
    const auto ms = parse_quantity(text, kDuration, error);
    if (!ms) return std::nullopt;
    return Duration{*ms};
}

std::string format_duration(Duration d) { return format_quantity(d.count(), kDuration); }

}  // namespace kmirror::config
