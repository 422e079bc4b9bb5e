#pragma once
// Translation over the state files of several instances of one flow.
//
// Instances of a flow share its partitions (DESIGN.md "Scale-out"), and each
// keeps only the ranges of what it mirrored itself. A partition that moved
// between instances has its history split over their files: alone, each file
// sees the other's copies as a hole. Read together, the rows of every file
// for the partition, put in target order, are what one instance would have
// recorded had it mirrored all of it (each target offset was written by one
// producer), so the rules of partition_ranges.h apply unchanged.
//
// Rows that overlap on the target (files of different generations of the
// target topic, or the same file given twice) cannot all be true: the first
// in target order is kept and the others dropped, which leaves holes and only
// makes the answer more conservative.
//
// Each file's start mark (start_mark.h) is tried against the merged rows: the
// rows of the other files may account for the target below it where the
// mark's own file cannot.

#include <cstdint>
#include <string_view>
#include <vector>

#include "checkpoints/offset_range_store.h"
#include "checkpoints/translation.h"

namespace kmirror::checkpoints {

/// Where a group that committed `committed` resumes, from every store's rows.
/// One store: exactly OffsetRangeStore::translate().
Translation translate_merged(const std::vector<const OffsetRangeStore*>& stores,
                             std::string_view flow, std::string_view topic,
                             std::int32_t partition, SourceOffset committed);

}  // namespace kmirror::checkpoints
