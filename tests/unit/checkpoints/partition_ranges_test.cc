#include "checkpoints/partition_ranges.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "translations.h"

namespace kmirror::checkpoints {
namespace {

using namespace kmirror::literals;

using testing::conservative;
using testing::exact;
using testing::kUnknown;
using testing::record_run;

// --- building ranges -------------------------------------------------------

TEST(PartitionRanges, ConsecutiveOffsetsExtendOneRange) {
    // source 10 11 12 13
    // target 50 51 52 53      -> [10..13]->50
    PartitionRanges ranges;
    EXPECT_EQ(ranges.record(10_src, 50_tgt), PartitionRanges::Recorded::started);
    EXPECT_EQ(ranges.record(11_src, 51_tgt), PartitionRanges::Recorded::extended);
    record_run(ranges, 12_src, 52_tgt, 2);
    EXPECT_EQ(ranges.rows(), (std::vector<RangeRow>{{10_src, 50_tgt, 4}}));
}

TEST(PartitionRanges, ASourceGapStartsANewRange) {
    // source 10 11 12 13 . . 16 17 18     (14, 15 compacted away)
    // target 50 51 52 53     54 55 56
    PartitionRanges ranges;
    record_run(ranges, 10_src, 50_tgt, 4);
    record_run(ranges, 16_src, 54_tgt, 3);
    EXPECT_EQ(ranges.rows(), (std::vector<RangeRow>{{10_src, 50_tgt, 4}, {16_src, 54_tgt, 3}}));
}

TEST(PartitionRanges, ATargetJumpStartsANewRange) {
    // source 10 11 12    13 14
    // target 50 51 52 53 54 55     (53: a transaction marker on the target)
    PartitionRanges ranges;
    record_run(ranges, 10_src, 50_tgt, 3);
    record_run(ranges, 13_src, 54_tgt, 2);
    EXPECT_EQ(ranges.rows(), (std::vector<RangeRow>{{10_src, 50_tgt, 3}, {13_src, 54_tgt, 2}}));
}

TEST(PartitionRanges, ARestartThatResumesEarlierKeepsBothCopies) {
    // source 10 11 12 13 14 | 12 13 14 15 16     (restart resumed at 12)
    // target 50 51 52 53 54 | 55 56 57 58 59
    PartitionRanges ranges;
    record_run(ranges, 10_src, 50_tgt, 5);
    record_run(ranges, 12_src, 55_tgt, 5);
    EXPECT_EQ(ranges.rows(), (std::vector<RangeRow>{{10_src, 50_tgt, 5}, {12_src, 55_tgt, 5}}));
}

TEST(PartitionRanges, ARepeatedAcknowledgementIsIgnored) {
    PartitionRanges ranges;
    record_run(ranges, 10_src, 50_tgt, 4);
    EXPECT_EQ(ranges.record(11_src, 51_tgt), PartitionRanges::Recorded::duplicate);
    EXPECT_EQ(ranges.rows(), (std::vector<RangeRow>{{10_src, 50_tgt, 4}}));
}

TEST(PartitionRanges, NegativeOffsetsAreIgnored) {
    PartitionRanges ranges;
    EXPECT_EQ(ranges.record(SourceOffset(-1), 5_tgt), PartitionRanges::Recorded::invalid);
    EXPECT_EQ(ranges.record(5_src, TargetOffset(-1001)), PartitionRanges::Recorded::invalid);
    EXPECT_TRUE(ranges.empty());
}

TEST(PartitionRanges, ATargetThatGoesBackwardsDropsTheRangesFromThere) {
    // given  source 0..9 -> target 0..9
    // when   source 100 is acknowledged at target 5 (the target log was cut at 5)
    // then   [0..4]->0 [100]->5
    PartitionRanges ranges;
    record_run(ranges, 0_src, 0_tgt, 10);
    EXPECT_EQ(ranges.record(100_src, 5_tgt), PartitionRanges::Recorded::truncated);
    EXPECT_EQ(ranges.rows(), (std::vector<RangeRow>{{0_src, 0_tgt, 5}, {100_src, 5_tgt, 1}}));
}

TEST(PartitionRanges, ATargetTopicRecreatedFromZeroStartsOver) {
    PartitionRanges ranges;
    record_run(ranges, 500_src, 40_tgt, 10);
    record_run(ranges, 510_src, 0_tgt, 3);
    EXPECT_EQ(ranges.rows(), (std::vector<RangeRow>{{510_src, 0_tgt, 3}}));
    EXPECT_EQ(ranges.translate(505_src), kUnknown);
}

// --- translation -----------------------------------------------------------

TEST(PartitionRanges, TranslatesCommittedOffsetInsideRangeExactly) {
    // source 10 11 12 13
    // target 50 51 52 53
    //              ^ committed 12: the group read 10, 11 -> resume at 52
    PartitionRanges ranges;
    record_run(ranges, 10_src, 50_tgt, 4);
    EXPECT_EQ(ranges.translate(10_src), exact(50_tgt));
    EXPECT_EQ(ranges.translate(12_src), exact(52_tgt));
}

TEST(PartitionRanges, TranslatesTheEndOfTheLastRangeExactly) {
    // source 10 11 12 13 |
    // target 50 51 52 53 |    committed 14: everything read -> 54
    PartitionRanges ranges;
    record_run(ranges, 10_src, 50_tgt, 4);
    EXPECT_EQ(ranges.translate(14_src), exact(54_tgt));
}

TEST(PartitionRanges, TranslatesASourceGapWithoutTargetHoleExactly) {
    // source 10 11 12 13 . . 16 17 18
    // target 50 51 52 53     54 55 56
    //                 committed 14, 15 or 16 -> 54: nothing before it is unread,
    //                 nothing from it on was read
    PartitionRanges ranges;
    record_run(ranges, 10_src, 50_tgt, 4);
    record_run(ranges, 16_src, 54_tgt, 3);
    EXPECT_EQ(ranges.translate(14_src), exact(54_tgt));
    EXPECT_EQ(ranges.translate(15_src), exact(54_tgt));
    EXPECT_EQ(ranges.translate(16_src), exact(54_tgt));
    EXPECT_EQ(ranges.translate(17_src), exact(55_tgt));
}

TEST(PartitionRanges, TranslatesASourceGapSpanningAHoleToTheHoleConservatively) {
    // source 10 11 12  ?  ?  ? 20 21 22 23
    // target 50 51 52 53 54 55 56 57 58 59
    //                 \_hole_/ may hold 13..19
    PartitionRanges ranges;
    record_run(ranges, 10_src, 50_tgt, 3);
    record_run(ranges, 20_src, 56_tgt, 4);
    EXPECT_EQ(ranges.translate(13_src), conservative(53_tgt));
    EXPECT_EQ(ranges.translate(19_src), conservative(53_tgt));
    // committed 20: whatever the hole holds is below 20, or was copied again
    EXPECT_EQ(ranges.translate(20_src), exact(56_tgt));
}

TEST(PartitionRanges, TheEndOfARangeBeforeAHoleIsExactOnlyIfTheNextRecordFollows) {
    // given  source 10 11 12  ?  20 21 22
    //        target 50 51 52 53  54 55 56     (53 may hold 13..19)
    PartitionRanges gap;
    record_run(gap, 10_src, 50_tgt, 3);
    record_run(gap, 20_src, 54_tgt, 3);
    // then committed 13 resumes at the hole
    EXPECT_EQ(gap.translate(13_src), conservative(53_tgt));

    // given  source 10 11 12  ?  13 14 15
    //        target 50 51 52 53  54 55 56     (53: a transaction marker)
    PartitionRanges marker;
    record_run(marker, 10_src, 50_tgt, 3);
    record_run(marker, 13_src, 54_tgt, 3);
    // then the next source record is known to be at 54: nothing in 53 is 13 or later
    EXPECT_EQ(marker.translate(13_src), exact(54_tgt));
}

TEST(PartitionRanges, CommittedBeyondEverythingKnownIsConservative) {
    // source 10 11 12 13 |  ...  committed 16
    // target 50 51 52 53 |  the store may lag: 54.. could hold 14, 15
    PartitionRanges ranges;
    record_run(ranges, 10_src, 50_tgt, 4);
    EXPECT_EQ(ranges.translate(16_src), conservative(54_tgt));
}

TEST(PartitionRanges, CommittedBelowEverythingKnownIsUnknown) {
    PartitionRanges ranges;
    EXPECT_EQ(ranges.translate(0_src), kUnknown);
    record_run(ranges, 10_src, 50_tgt, 4);
    EXPECT_EQ(ranges.translate(9_src), kUnknown);
    EXPECT_EQ(ranges.translate(0_src), kUnknown);
}

TEST(PartitionRanges, DuplicatesTranslateToTheEarlierCopyAndCountRereads) {
    // source 10 11 12 13 14 | 12 13 14 15 16
    // target 50 51 52 53 54 | 55 56 57 58 59
    //                 ^ committed 13 -> 53: from there the group meets 12 again at 55
    PartitionRanges ranges;
    record_run(ranges, 10_src, 50_tgt, 5);
    record_run(ranges, 12_src, 55_tgt, 5);
    EXPECT_EQ(ranges.translate(12_src), exact(52_tgt));
    EXPECT_EQ(ranges.translate(13_src), conservative(53_tgt, 1));
    EXPECT_EQ(ranges.translate(14_src), conservative(54_tgt, 2));
    // 15 and 16 have only the later copy
    EXPECT_EQ(ranges.translate(15_src), exact(58_tgt));
    EXPECT_EQ(ranges.translate(17_src), exact(60_tgt));
}

TEST(PartitionRanges, AnOpenHoleAfterACrashHoldsTranslationBackUntilCopiedAgain) {
    // given  session 1 flushed 0..9, then copied 10..19 and died before flushing them;
    //        session 2 resumed at 15 (its commit was ahead of the flush)
    //   source  0 .. 9 | 10 .. 19 (unrecorded) | 15 16 17
    //   target  0 .. 9 | 10 .. 19  hole        | 20 21 22
    PartitionRanges ranges;
    record_run(ranges, 0_src, 0_tgt, 10);
    record_run(ranges, 15_src, 20_tgt, 3);
    // when a group committed 18: its only copy so far is in the hole
    // then translation stops at the hole
    EXPECT_EQ(ranges.translate(18_src), conservative(10_tgt, 3));
    EXPECT_EQ(ranges.translate(16_src), conservative(10_tgt, 1));

    // when session 2 has copied 10 records >= 10 (15..24), the hole is covered
    record_run(ranges, 18_src, 23_tgt, 7);
    // then offsets >= 15 translate into session 2's copies, exactly
    EXPECT_EQ(ranges.translate(18_src), exact(23_tgt));
    // and 10..14, which only the hole holds, still resume at the hole
    EXPECT_EQ(ranges.translate(12_src), conservative(10_tgt));
}

// --- pruning ---------------------------------------------------------------

TEST(PartitionRanges, PruneDropsRangesEntirelyBelowTheLowWatermark) {
    // rows      [0..9]->0   [20..29]->10   [40..49]->20
    // target    0 ....... 9 10 ....... 19 20 ....... 29
    //                          ^ low watermark 15: the middle row straddles it, kept
    PartitionRanges ranges;
    record_run(ranges, 0_src, 0_tgt, 10);
    record_run(ranges, 20_src, 10_tgt, 10);
    record_run(ranges, 40_src, 20_tgt, 10);
    EXPECT_EQ(ranges.prune(15_tgt), 1u);
    EXPECT_EQ(ranges.rows(), (std::vector<RangeRow>{{20_src, 10_tgt, 10}, {40_src, 20_tgt, 10}}));
    EXPECT_EQ(ranges.translate(5_src), kUnknown);
    EXPECT_EQ(ranges.translate(25_src), exact(15_tgt));
    EXPECT_EQ(ranges.prune(20_tgt), 1u);
    EXPECT_EQ(ranges.prune(20_tgt), 0u);
    EXPECT_EQ(ranges.rows(), (std::vector<RangeRow>{{40_src, 20_tgt, 10}}));
}

TEST(PartitionRanges, PruningKeepsTheLastRangeAsAnAnchor) {
    // given  [0..9]->0 and a target whose low watermark moved past it to 100
    // when   pruned
    // then   the last range stays: it tells where an unrecorded tail would start
    PartitionRanges ranges;
    record_run(ranges, 0_src, 0_tgt, 10);
    EXPECT_EQ(ranges.prune(100_tgt), 0u);
    EXPECT_EQ(ranges.rows(), (std::vector<RangeRow>{{0_src, 0_tgt, 10}}));
    // and once a newer range exists, the old one goes
    record_run(ranges, 10_src, 100_tgt, 2);
    EXPECT_EQ(ranges.prune(100_tgt), 1u);
    EXPECT_EQ(ranges.rows(), (std::vector<RangeRow>{{10_src, 100_tgt, 2}}));
    EXPECT_EQ(ranges.translate(5_src), kUnknown);
    EXPECT_EQ(ranges.translate(11_src), exact(101_tgt));
}

TEST(PartitionRanges, PruningKeepsARangeWhoseHoleIsStillPartlyThere) {
    // rows    [0..9]->0   hole 10..19 (a crashed session's tail)   [15..24]->20
    // low watermark 15: the hole's 15..19 are still on the target, so [0..9]
    // stays to say what the hole may hold
    PartitionRanges ranges;
    record_run(ranges, 0_src, 0_tgt, 10);
    record_run(ranges, 15_src, 20_tgt, 3);
    EXPECT_EQ(ranges.prune(15_tgt), 0u);
    EXPECT_EQ(ranges.translate(12_src), conservative(10_tgt));
    EXPECT_EQ(ranges.prune(20_tgt), 1u);
}

TEST(PartitionRanges, PruningKeepsTheDuplicateBookkeepingRight) {
    // rows  [0..9]->0 | [5..14]->10 | [10..19]->20     (two restarts)
    PartitionRanges ranges;
    record_run(ranges, 0_src, 0_tgt, 10);
    record_run(ranges, 5_src, 10_tgt, 10);
    record_run(ranges, 10_src, 20_tgt, 10);
    EXPECT_EQ(ranges.translate(12_src), conservative(17_tgt, 2));
    ranges.prune(10_tgt);
    EXPECT_EQ(ranges.translate(5_src), exact(10_tgt));
    EXPECT_EQ(ranges.translate(12_src), conservative(17_tgt, 2));
    EXPECT_EQ(ranges.translate(15_src), exact(25_tgt));
}

// --- loading ---------------------------------------------------------------

// --- coalescing (a bounded store for compacted and transactional topics) ---

TEST(PartitionRanges, CoalescedRowsTranslateConservativelyInsideAndExactlyAtTheirEdges) {
    // source 10 11 12 13       16 17 18 | 20 21 22   (14, 15, 19: compacted)
    // target 50 51 52 53       54 55 56 | 57 58 59
    // rows [10..13]->50 [16..18]->54 [20..22]->57; budget 2 keeps the last
    // row and merges the first two into {10_src, 50_tgt, 7 records, span 9}
    PartitionRanges ranges;
    record_run(ranges, 10_src, 50_tgt, 4);
    record_run(ranges, 16_src, 54_tgt, 3);
    record_run(ranges, 20_src, 57_tgt, 3);
    EXPECT_EQ(ranges.coalesce(2), 1u);
    EXPECT_EQ(ranges.rows(),
              (std::vector<RangeRow>{{10_src, 50_tgt, 7, 9}, {20_src, 57_tgt, 3}}));
    // the first offset of the coalesced row, and everything after it: exact
    EXPECT_EQ(ranges.translate(10_src), exact(50_tgt));
    EXPECT_EQ(ranges.translate(19_src), exact(57_tgt));
    EXPECT_EQ(ranges.translate(21_src), exact(58_tgt));
    // inside: the lowest place the record can be (2 gaps), re-reading at most 2 records
    //   exact answers were 12 -> 52, 17 -> 55
    EXPECT_EQ(ranges.translate(12_src), conservative(50_tgt, 2));
    EXPECT_EQ(ranges.translate(17_src), conservative(55_tgt, 2));
    EXPECT_EQ(ranges.translate(18_src), conservative(56_tgt, 1));  // only 56 is left to re-read
}

TEST(PartitionRanges, CoalescingKeepsRowsSeparatedByAHoleOrARestart) {
    // [0..4]->0, hole at 5, [10..14]->6, restart [2..4]->11, [8..9]->14
    PartitionRanges ranges;
    record_run(ranges, 0_src, 0_tgt, 5);
    record_run(ranges, 10_src, 6_tgt, 5);
    record_run(ranges, 2_src, 11_tgt, 3);
    record_run(ranges, 8_src, 14_tgt, 2);
    // only [2..4]->11 and [8..9]->14 follow each other, and they are the newest half
    EXPECT_EQ(ranges.coalesce(2), 0u);
    EXPECT_EQ(ranges.rows().size(), 4u);
}

TEST(PartitionRanges, ATransactionalTopicStaysBoundedAndExactAtItsHead) {
    // given 100,000 transactions of 3 records, each followed by a marker on the source
    PartitionRanges ranges;
    std::int64_t src = 0;
    std::int64_t tgt = 0;
    for (int txn = 0; txn < 100000; ++txn) {
        record_run(ranges, SourceOffset(src), TargetOffset(tgt), 3);
        src += 4;
        tgt += 3;
        ranges.coalesce(64);
    }
    // then at most 64 rows are kept, the newest 32 as recorded
    EXPECT_LE(ranges.rows().size(), 64u);
    EXPECT_FALSE(ranges.rows().back().coalesced());
    // a group a few transactions behind is translated exactly
    EXPECT_EQ(ranges.translate(SourceOffset(src - 4 * 10 + 1)),
              exact(TargetOffset(tgt - 3 * 10 + 1)));
    // one at the very start (committed 5) resumes at or before source 5's
    // copy, which is at target 4:
    //   source  0 1 2 (3) 4 5 6 (7) ...   (n): transaction marker
    //   target  0 1 2     3 4 5     ...
    // and counts as re-read at least the records from there to it (all below
    // 5), and no more than there are offsets below 5
    const Translation old = ranges.translate(SourceOffset(5));
    EXPECT_EQ(old.exactness, Exactness::conservative);
    ASSERT_GE(old.offset, 0_tgt);
    EXPECT_LE(old.offset, 4_tgt);
    EXPECT_GE(old.rereads, 4 - old.offset.value());
    EXPECT_LE(old.rereads, 5);
}

TEST(PartitionRanges, AssignRefusesOverlappingOrEmptyRows) {
    EXPECT_FALSE(PartitionRanges().assign({{0_src, 0_tgt, 3, 3}}));  // coalesced without a gap
    PartitionRanges ranges;
    EXPECT_FALSE(ranges.assign({{0_src, 0_tgt, 5}, {10_src, 4_tgt, 1}}));
    EXPECT_FALSE(ranges.assign({{0_src, 0_tgt, 0}}));
    EXPECT_TRUE(ranges.assign({{0_src, 0_tgt, 5}, {10_src, 5_tgt, 1}}));
    EXPECT_EQ(ranges.translate(10_src), exact(5_tgt));
}

TEST(PartitionRanges, AssignedRowsRebuildTheOpenHoles) {
    // the crash example above, read back from disk
    PartitionRanges ranges;
    ASSERT_TRUE(ranges.assign({{0_src, 0_tgt, 10}, {15_src, 20_tgt, 3}}));
    EXPECT_EQ(ranges.translate(18_src), conservative(10_tgt, 3));
    record_run(ranges, 18_src, 23_tgt, 7);
    EXPECT_EQ(ranges.translate(18_src), exact(23_tgt));
}

}  // namespace
}  // namespace kmirror::checkpoints
