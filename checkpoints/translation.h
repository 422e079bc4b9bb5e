#pragma once
// Translation: where a consumer group resumes on the target after it
// committed a source offset (see partition_ranges.h for the rules).

#include <cstdint>

#include "base/strong_int.h"

namespace kmirror::checkpoints {

enum class Exactness {
    exact,         ///< nothing at or after `offset` is below the committed offset, nothing skipped
    conservative,  ///< skips nothing, may re-read (`rereads` known ones, holes may add more)
    unknown,       ///< the store has no history for this offset; `offset` is -1
};

struct Translation {
    TargetOffset offset;
    Exactness exactness = Exactness::unknown;
    /// Known target records at or after `offset` whose source offset is below
    /// the committed offset: records the consumer will read a second time.
    /// Where they sit in coalesced rows (partition_ranges.h), an upper bound.
    std::int64_t rereads = 0;
    bool operator==(const Translation&) const = default;
};

}  // namespace kmirror::checkpoints
