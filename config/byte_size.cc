#include "config/byte_size.h"

#include <array>

#include "config/quantity.h"

namespace kmirror::config {
namespace {

// Binary before decimal: 10000000 formats as "10MB", 268435456 as "256MiB".
constexpr std::array<QuantityUnit, 7> units{{{"GiB", std::int64_t{1} << 30},
                                             {"MiB", std::int64_t{1} << 20},
                                             {"KiB", std::int64_t{1} << 10},
                                             {"GB", 1'000'000'000},
                                             {"MB", 1'000'000},
                                             {"KB", 1'000},
                                             {"B", 1}}};
constexpr std::array<std::string_view, 4> suggested{"B", "KiB", "MiB", "GiB"};
constexpr QuantityKind kSize{"size", "256MiB, 10MB or 512KiB", "B, KiB, MiB, GiB, KB, MB, GB",
                             "1536MiB", "0B", units, suggested};

}  // namespace

std::optional<ByteSize> parse_byte_size(std::string_view text, std::string& error) {
    const auto bytes = parse_quantity(text, kSize, error);
    if (!bytes) return std::nullopt;
    return ByteSize{*bytes};
}

std::string format_byte_size(ByteSize size) { return format_quantity(size.bytes, kSize); }

}  // namespace kmirror::config
