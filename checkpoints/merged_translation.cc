#include "checkpoints/merged_translation.h"

#include <algorithm>

#include "checkpoints/partition_ranges.h"

namespace kmirror::checkpoints {

Translation translate_merged(const std::vector<const OffsetRangeStore*>& stores,
                             std::string_view flow, std::string_view topic,
                             std::int32_t partition, SourceOffset committed) {
    if (stores.size() == 1) return stores.front()->translate(flow, topic, partition, committed);
    std::vector<RangeRow> all;
    for (const auto* store : stores) {
        auto rows = store->ranges(flow, topic, partition);
        all.insert(all.end(), rows.begin(), rows.end());
    }
    // On a tie the longest first, whatever the order of the files: a row
    // seeded from an offset sync (offset_sync_rebuild.cc) restates the first
    // record of another instance's row, and must not hide the rest of it.
    std::sort(all.begin(), all.end(), [](const RangeRow& a, const RangeRow& b) {
        if (a.target_start != b.target_start) return a.target_start < b.target_start;
        return a.target_end() > b.target_end();
    });
    std::vector<RangeRow> kept;
    kept.reserve(all.size());
    for (const auto& row : all) {
        if (!kept.empty() && row.target_start < kept.back().target_end()) {
            // The same copies told by two files (the same source-to-target
            // pairing, neither coalesced): their union is as true as either.
            auto& k = kept.back();
            const bool same_pairing =
                !k.coalesced() && !row.coalesced() &&
                row.source_start.value() - k.source_start.value() ==
                    row.target_start.value() - k.target_start.value();
            if (same_pairing && row.target_end() > k.target_end()) {
                k.length = row.target_end().value() - k.target_start.value();
            }
            continue;
        }
        kept.push_back(row);
    }
    PartitionRanges merged;
    if (!merged.assign(std::move(kept))) return {TargetOffset(-1), Exactness::unknown, 0};
    Translation best = merged.translate(committed);
    // Each file's start mark is true of the partition: the one that says most wins.
    for (const auto* store : stores) {
        if (best.exactness == Exactness::exact) break;
        const auto mark = store->start_mark(flow, topic, partition);
        if (!mark) continue;
        merged.set_start_mark(*mark);
        const Translation t = merged.translate(committed);
        const bool better = best.exactness == Exactness::unknown ||
                            (t.exactness != Exactness::unknown &&
                             (t.exactness == Exactness::exact || t.offset > best.offset));
        if (better) best = t;
    }
    return best;
}

}  // namespace kmirror::checkpoints
