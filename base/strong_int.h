#pragma once
// StrongInt<T, Tag>: an integer that does not mix with other integers.
// Kafka offsets of the source and of the target are different numbers
// (Redpanda's kafka::offset vs model::offset); mixing them is the classic
// mirror bug, so the compiler refuses it.

#include <compare>
#include <cstdint>
#include <functional>
#include <ostream>

namespace kmirror {

template <typename T, typename Tag>
class StrongInt {
public:
    using value_type = T;
    constexpr StrongInt() = default;
    constexpr explicit StrongInt(T v) noexcept : v_(v) {}
    [[nodiscard]] constexpr T value() const noexcept { return v_; }
    constexpr auto operator<=>(const StrongInt&) const = default;
    constexpr StrongInt operator+(T d) const noexcept { return StrongInt(v_ + d); }
    constexpr StrongInt operator-(T d) const noexcept { return StrongInt(v_ - d); }
    constexpr T operator-(StrongInt o) const noexcept { return v_ - o.v_; }
    constexpr StrongInt& operator++() noexcept {
        ++v_;
        return *this;
    }
    friend std::ostream& operator<<(std::ostream& os, StrongInt s) { return os << s.v_; }

private:
    T v_{};
};

using SourceOffset = StrongInt<std::int64_t, struct SourceOffsetTag>;
using TargetOffset = StrongInt<std::int64_t, struct TargetOffsetTag>;
using PartitionId = StrongInt<std::int32_t, struct PartitionIdTag>;

namespace literals {
constexpr SourceOffset operator""_src(unsigned long long v) {
    return SourceOffset(static_cast<std::int64_t>(v));
}
constexpr TargetOffset operator""_tgt(unsigned long long v) {
    return TargetOffset(static_cast<std::int64_t>(v));
}
}  // namespace literals

}  // namespace kmirror

template <typename T, typename Tag>
struct std::hash<kmirror::StrongInt<T, Tag>> {
    std::size_t operator()(kmirror::StrongInt<T, Tag> s) const noexcept {
        return std::hash<T>{}(s.value());
    }
};
