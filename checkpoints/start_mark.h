#pragma once
// StartMark: where a mirroring session of one partition began, on both sides.
//
// "This flow copies the source partition from offset `source` on, in order,
// and every record it copies lands at target offset >= `target`." It is
// taken when a session starts (a partition assigned, or repositioned), while
// the session has produced nothing yet: `source` is where it consumes from,
// `target` the target partition's high watermark read then.
//
// It lets translation answer where no range says anything (issue 21): a
// group at the start of a partition that is empty, or whose records
// retention removed before kmirror ran, or at the end of what an instance
// without history (a new one, a pruned store) has copied. The rules are in
// partition_ranges.h.
//
//   source   [ deleted 0..99 ]  100 (nothing yet)      mark {100_src, 0_tgt, low 0_tgt}
//   target   (empty)                                   group at 100 -> 0, exact
//
// The mark says nothing of what is on the target below `target`: records an
// earlier session copied but never recorded (killed before a flush) may be
// there. Translation uses a mark only where rows, or the target's low
// watermark, account for everything below it.

#include "base/strong_int.h"

namespace kmirror::checkpoints {

struct StartMark {
    SourceOffset source;  ///< where the session consumes from
    TargetOffset target;  ///< the target's high watermark before it produced
    /// The target's low watermark then: below it nothing is left to skip.
    TargetOffset target_low;
    bool operator==(const StartMark&) const = default;
};

}  // namespace kmirror::checkpoints
