#pragma once
// RangeRow: one run of consecutive source offsets copied to consecutive
// target offsets. Source record s in [source_start, source_start + length)
// is at target offset target_start + (s - source_start).
//
//   source  100 101 102 103          RangeRow{100_src, 40_tgt, 4}
//            |   |   |   |
//   target   40  41  42  43

#include <cstdint>

#include "base/strong_int.h"

namespace kmirror::checkpoints {

struct RangeRow {
    SourceOffset source_start;
    TargetOffset target_start;
    std::int64_t length = 0;  ///< >= 1

    /// One past the last source offset of the range.
    [[nodiscard]] SourceOffset source_end() const noexcept { return source_start + length; }
    /// One past the last target offset of the range.
    [[nodiscard]] TargetOffset target_end() const noexcept { return target_start + length; }
    bool operator==(const RangeRow&) const = default;
};

}  // namespace kmirror::checkpoints
