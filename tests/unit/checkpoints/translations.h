#pragma once
// Shorthands for translation tests: runs of records, expected answers.

#include <cstdint>

#include "checkpoints/partition_ranges.h"
#include "checkpoints/translation.h"

namespace kmirror::checkpoints::testing {

// Records source offsets [src, src + n) at target offsets [tgt, tgt + n).
inline void record_run(PartitionRanges& ranges, SourceOffset src, TargetOffset tgt,
                       std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i) ranges.record(src + i, tgt + i);
}

inline Translation exact(TargetOffset at) { return {at, Exactness::exact, 0}; }
inline Translation conservative(TargetOffset at, std::int64_t rereads = 0) {
    return {at, Exactness::conservative, rereads};
}
inline const Translation kUnknown{TargetOffset(-1), Exactness::unknown, 0};

}  // namespace kmirror::checkpoints::testing
