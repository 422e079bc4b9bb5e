#include "checkpoints/merged_translation.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>

#include "temp_dir.h"

namespace kmirror::checkpoints {
namespace {

using namespace kmirror::literals;
using testing::TempDir;

std::unique_ptr<OffsetRangeStore> store_with(const std::string& path, SourceOffset src,
                                             TargetOffset tgt, std::int64_t n) {
    auto store = OffsetRangeStore::open(path);
    EXPECT_TRUE(store);
    for (std::int64_t i = 0; i < n; ++i) store.value()->record("f", "t", 0, src + i, tgt + i);
    return std::move(store).value();
}

TEST(MergedTranslation, APartitionThatMovedBetweenInstancesIsTranslatedFromBothFiles) {
    // given instance A mirrored source 0..99 to target 0..99 and lost the
    // partition with 80 committed; instance B resumed at 80: 80..199 -> 100..219
    TempDir dir;
    auto a = store_with(dir.file("a.db"), 0_src, 0_tgt, 100);
    auto b = store_with(dir.file("b.db"), 80_src, 100_tgt, 120);
    const std::vector<const OffsetRangeStore*> both{a.get(), b.get()};

    // then together they know every copy: past the move, exact...
    EXPECT_EQ(translate_merged(both, "f", "t", 0, 150_src),
              (Translation{170_tgt, Exactness::exact, 0}));
    // ...and before it, the first copy, naming every record read twice (B's 80..89)
    EXPECT_EQ(translate_merged(both, "f", "t", 0, 90_src),
              (Translation{90_tgt, Exactness::conservative, 10}));
    // while A alone sees B's copies as the unknown end of the partition: it
    // names none of the 70 records (80..149 at 100..169) read again
    EXPECT_EQ(translate_merged({a.get()}, "f", "t", 0, 150_src),
              (Translation{100_tgt, Exactness::conservative, 0}));
    // and the order of the files does not matter
    EXPECT_EQ(translate_merged({b.get(), a.get()}, "f", "t", 0, 150_src),
              translate_merged(both, "f", "t", 0, 150_src));
}

TEST(MergedTranslation, AOneRecordRowSeededFromAnOffsetSyncNeverHidesTheRowItRestates) {
    // Instance C took the partition over at source 5 (target 5) and copied
    // 5..154; instance B, killed before its first flush and restarted within
    // an offset-sync interval, seeded C's first pair as a row of its own.
    // (Seen in Scale.ThreeInstances...: 155 was translated to 6, conservative,
    // naming 0 of the 149 re-reads.)
    TempDir dir;
    auto b = store_with(dir.file("b.db"), 5_src, 5_tgt, 1);
    auto c = store_with(dir.file("c.db"), 5_src, 5_tgt, 150);
    for (const auto& order : {std::vector<const OffsetRangeStore*>{b.get(), c.get()},
                              std::vector<const OffsetRangeStore*>{c.get(), b.get()}}) {
        EXPECT_EQ(translate_merged(order, "f", "t", 0, 155_src),
                  (Translation{155_tgt, Exactness::exact, 0}));
        EXPECT_EQ(translate_merged(order, "f", "t", 0, 77_src),
                  (Translation{77_tgt, Exactness::exact, 0}));
    }
    // The same pairing overlapping in part is joined too: 5..54 and 30..154.
    auto c1 = store_with(dir.file("c1.db"), 5_src, 5_tgt, 50);
    auto c2 = store_with(dir.file("c2.db"), 30_src, 30_tgt, 125);
    EXPECT_EQ(translate_merged({c1.get(), c2.get()}, "f", "t", 0, 155_src),
              (Translation{155_tgt, Exactness::exact, 0}));
}

TEST(MergedTranslation, OverlappingRowsKeepTheFirstAndNeverGoAhead) {
    // the same file given twice, and a file of an older target generation
    //   a     source 0..49   -> target 0..49
    //   old   source 500..504 -> target 10..14   (inside a's rows on the target)
    TempDir dir;
    auto a = store_with(dir.file("a.db"), 0_src, 0_tgt, 50);
    auto old = store_with(dir.file("old.db"), 500_src, 10_tgt, 5);
    EXPECT_EQ(translate_merged({a.get(), a.get()}, "f", "t", 0, 20_src),
              (Translation{20_tgt, Exactness::exact, 0}));
    // a's row starts first on the target, so it is kept and old's dropped:
    // source 20 is where a put it, target 20, exactly, in either order
    EXPECT_EQ(translate_merged({a.get(), old.get()}, "f", "t", 0, 20_src),
              (Translation{20_tgt, Exactness::exact, 0}));
    EXPECT_EQ(translate_merged({old.get(), a.get()}, "f", "t", 0, 20_src),
              (Translation{20_tgt, Exactness::exact, 0}));
    // and old's row really is dropped: source 502 is past everything known,
    // so it resumes after a's copy, conservatively, not at 12 where old put it
    EXPECT_EQ(translate_merged({a.get(), old.get()}, "f", "t", 0, 502_src),
              (Translation{50_tgt, Exactness::conservative, 0}));
}

}  // namespace
}  // namespace kmirror::checkpoints
