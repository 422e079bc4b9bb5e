// Translation with a start mark (checkpoints/start_mark.h, the rules in
// partition_ranges.h "START MARKS"; issue 21).

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>

#include "checkpoints/merged_translation.h"
#include "checkpoints/offset_range_store.h"
#include "checkpoints/partition_ranges.h"
#include "temp_dir.h"
#include "translations.h"

namespace kmirror::checkpoints {
namespace {

using namespace kmirror::literals;
using testing::TempDir;

using testing::conservative;
using testing::exact;
using testing::kUnknown;
using testing::record_run;

TEST(StartMark, AnEmptyPartitionIsExactAtItsStartAndConservativePastIt) {
    // given a session that starts at 0 on an empty source partition, the
    // target empty too: mark {0 -> 0, target low 0}, and no rows
    PartitionRanges ranges;
    ranges.set_start_mark({0_src, 0_tgt, 0_tgt});
    // then a group that committed 0 resumes at 0, exactly
    EXPECT_EQ(ranges.translate(0_src), exact(0_tgt));
    // and a group at 50 has read records 0..49 that the target will get at
    // 0.. (they arrived since, not copied yet): it re-reads them, never skips
    EXPECT_EQ(ranges.translate(50_src), conservative(0_tgt));
}

TEST(StartMark, APartitionEmptiedByRetentionTranslatesItsEndExactly) {
    // source   [ 0..99 deleted ]  next 100     mark {100 -> 0}
    // target   (empty)
    PartitionRanges ranges;
    ranges.set_start_mark({100_src, 0_tgt, 0_tgt});
    EXPECT_EQ(ranges.translate(100_src), exact(0_tgt));
    // below the mark: records that may exist unmirrored; nothing to say
    EXPECT_EQ(ranges.translate(99_src), kUnknown);
    EXPECT_EQ(ranges.translate(0_src), kUnknown);
}

TEST(StartMark, AGroupBeforeTheFirstCopiedRecordIsExactWhenNothingPrecedesIt) {
    // mark {100 -> 40}, the target below 40 accounted for by an earlier row;
    // the session's first record is source 120 (100..119 compacted away) at 40
    //   rows     [0..40)->0   [120..130)->40
    PartitionRanges ranges;
    record_run(ranges, 0_src, 0_tgt, 40);
    ranges.set_start_mark({100_src, 40_tgt, 0_tgt});
    record_run(ranges, 120_src, 40_tgt, 10);
    for (const auto c : {100_src, 110_src, 120_src}) {
        EXPECT_EQ(ranges.translate(c), exact(40_tgt)) << c;
    }
    // past the first record, the rows decide as always
    EXPECT_EQ(ranges.translate(125_src), exact(45_tgt));
}

TEST(StartMark, AHoleBetweenTheMarkAndTheFirstRowIsConservative) {
    // the session's first recorded record is at 45: 40..44 unknown (a crash
    // before a flush, or another writer)
    PartitionRanges ranges;
    ranges.set_start_mark({0_src, 40_tgt, 40_tgt});
    record_run(ranges, 10_src, 45_tgt, 10);
    EXPECT_EQ(ranges.translate(0_src), conservative(40_tgt));
}

TEST(StartMark, UnaccountedTargetRecordsBelowTheMarkMakeItUseless) {
    // given a target holding records 0..9 the store knows nothing of (a
    // session killed before its first flush, whose copies may be the only
    // ones of records >= the group's offset), and a mark {5 -> 10, low 0}
    PartitionRanges ranges;
    ranges.set_start_mark({5_src, 10_tgt, 0_tgt});
    // then the mark is not used: nothing known, nothing said
    EXPECT_EQ(ranges.translate(5_src), kUnknown);
    // while the same with everything below 10 deleted is fine
    ranges.set_start_mark({5_src, 10_tgt, 10_tgt});
    EXPECT_EQ(ranges.translate(5_src), exact(10_tgt));
}

TEST(StartMark, AnEarlierCopyOfLaterRecordsBelowTheMarkIsNeverPassed) {
    // rows [0..50)->0 from an earlier session that copied past its commit,
    // and a session resuming at 30 (its committed offset) at 50
    PartitionRanges ranges;
    record_run(ranges, 0_src, 0_tgt, 50);
    ranges.set_start_mark({30_src, 50_tgt, 0_tgt});
    // the first copy of 30 is at 30: the rows' answer stands
    EXPECT_EQ(ranges.translate(30_src), exact(30_tgt));
    EXPECT_EQ(ranges.translate(60_src), conservative(50_tgt));
}

TEST(StartMark, ALaterRestartBelowTheGroupCountsItsRereads) {
    // mark {100 -> 0}; first session copies 100..109 at 0..9; a restart
    // resumes at 100 again and copies 100..104 at 10..14
    PartitionRanges ranges;
    ranges.set_start_mark({100_src, 0_tgt, 0_tgt});
    record_run(ranges, 100_src, 0_tgt, 10);
    record_run(ranges, 100_src, 10_tgt, 5);
    EXPECT_EQ(ranges.translate(100_src), exact(0_tgt));
}

TEST(StartMark, ATargetThatGoesBackBelowTheMarkDropsIt) {
    PartitionRanges ranges;
    ranges.set_start_mark({0_src, 50_tgt, 50_tgt});
    ranges.set_start_mark_synced(true);
    ranges.record(0_src, 3_tgt);  // the target topic was re-created
    EXPECT_FALSE(ranges.start_mark());
    EXPECT_TRUE(ranges.start_mark_unsynced());
}

TEST(StartMark, AMarkIsWantedOnlyWhereTheRowsSayNothing) {
    PartitionRanges ranges;
    EXPECT_TRUE(ranges.wants_start_mark(0_src, 0_tgt));
    ranges.set_start_mark({0_src, 5_tgt, 5_tgt});
    // an earlier mark with nothing after it still holds, and says more
    EXPECT_FALSE(ranges.wants_start_mark(0_src, 7_tgt));
    // unless the target went back below it (re-created), or the session
    // starts elsewhere: repositioned back, or forward past records deleted
    // before they were copied (which the old mark would say were copied)
    EXPECT_TRUE(ranges.wants_start_mark(0_src, 2_tgt));
    EXPECT_TRUE(ranges.wants_start_mark(3_src, 7_tgt));
    ranges.set_start_mark({3_src, 5_tgt, 5_tgt});
    EXPECT_TRUE(ranges.wants_start_mark(0_src, 5_tgt));
    ranges.set_start_mark({0_src, 0_tgt, 0_tgt});
    record_run(ranges, 0_src, 0_tgt, 10);
    // resuming inside the rows: they say where it continues
    EXPECT_FALSE(ranges.wants_start_mark(5_src, 10_tgt));
    // resuming past them: a mark
    EXPECT_TRUE(ranges.wants_start_mark(10_src, 10_tgt));
}

TEST(StartMark, IsWrittenWithTheStoreAndReadBack) {
    TempDir dir;
    const auto path = dir.file("marks.db");
    {
        auto store = OffsetRangeStore::open(path);
        ASSERT_TRUE(store) << store.error().message();
        store.value()->set_start_mark("f", "t", 2, {0_src, 0_tgt, 0_tgt});
        store.value()->set_start_mark("f", "gone", 0, {7_src, 3_tgt, 3_tgt});
        ASSERT_TRUE(store.value()->flush());
        EXPECT_EQ(store.value()->forget("f", "gone"), 1u);
        ASSERT_TRUE(store.value()->flush());
    }
    auto store = OffsetRangeStore::open(path);
    ASSERT_TRUE(store) << store.error().message();
    EXPECT_EQ(store.value()->start_mark("f", "t", 2), (StartMark{0_src, 0_tgt, 0_tgt}));
    EXPECT_FALSE(store.value()->start_mark("f", "gone", 0));
    EXPECT_EQ(store.value()->translate("f", "t", 2, 0_src), exact(0_tgt));
    // a partition with only a mark is listed, for pruning and forgetting
    EXPECT_EQ(store.value()->partitions("f").at("t"), std::vector<std::int32_t>{2});
}

TEST(StartMark, MergedFilesAccountForTheTargetBelowAnotherFilesMark) {
    // instance A mirrored source 0..99 to target 0..99 and committed 100;
    // instance B, with an empty file, took over at 100 and has copied
    // nothing yet: mark {100 -> 100, low 0}
    TempDir dir;
    auto a = OffsetRangeStore::open(dir.file("a.db"));
    auto b = OffsetRangeStore::open(dir.file("b.db"));
    ASSERT_TRUE(a && b);
    for (std::int64_t i = 0; i < 100; ++i) {
        a.value()->record("f", "t", 0, SourceOffset(i), TargetOffset(i));
    }
    b.value()->set_start_mark("f", "t", 0, {100_src, 100_tgt, 0_tgt});
    // B alone cannot tell what is below 100 on the target
    EXPECT_EQ(translate_merged({b.value().get()}, "f", "t", 0, 100_src), kUnknown);
    // with A's file, it can
    const std::vector<const OffsetRangeStore*> both{a.value().get(), b.value().get()};
    EXPECT_EQ(translate_merged(both, "f", "t", 0, 100_src), exact(100_tgt));
    EXPECT_EQ(translate_merged(both, "f", "t", 0, 150_src), conservative(100_tgt));
}

}  // namespace
}  // namespace kmirror::checkpoints
