#pragma once
// RangeRow: one run of consecutive source offsets copied to consecutive
// target offsets. Source record s in [source_start, source_start + length)
// is at target offset target_start + (s - source_start).
//
//   source  100 101 102 103          RangeRow{100_src, 40_tgt, 4}
//            |   |   |   |
//   target   40  41  42  43
//
// A COALESCED row (PartitionRanges::coalesce) stands for several old rows
// that followed each other on the target without a hole but skipped source
// offsets (compaction, transaction markers). It keeps how many records it
// holds and the source offsets they span, not where the gaps were:
//
//   rows       [10..13]->50  [16..18]->54     coalesced: RangeRow{10_src, 50_tgt, 7, 9}
//   records    7 at target 50..56, source offsets somewhere in 10..18, in order
//
// So record k of the row (target_start + k) has a source offset in
// [source_start + k, source_start + k + gaps()]: translation inside it can
// only be conservative, re-reading at most gaps() records.

#include <cstdint>

#include "base/strong_int.h"

namespace kmirror::checkpoints {

struct RangeRow {
    SourceOffset source_start;
    TargetOffset target_start;
    std::int64_t length = 0;  ///< records, >= 1
    /// Coalesced rows only: the source offsets the records span (> length).
    /// 0 for a row as recorded, whose span is its length.
    std::int64_t source_span = 0;

    [[nodiscard]] bool coalesced() const noexcept { return source_span > 0; }
    /// Source offsets inside the row that hold none of its records.
    [[nodiscard]] std::int64_t gaps() const noexcept {
        return coalesced() ? source_span - length : 0;
    }
    /// One past the last source offset of the range.
    [[nodiscard]] SourceOffset source_end() const noexcept {
        return source_start + (coalesced() ? source_span : length);
    }
    /// One past the last target offset of the range.
    [[nodiscard]] TargetOffset target_end() const noexcept { return target_start + length; }
    bool operator==(const RangeRow&) const = default;
};

}  // namespace kmirror::checkpoints
