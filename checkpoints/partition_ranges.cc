#include "checkpoints/partition_ranges.h"

#include <algorithm>
#include <iterator>

namespace kmirror::checkpoints {

PartitionRanges::Recorded PartitionRanges::record(SourceOffset src, TargetOffset tgt) {
    const Recorded recorded = record_row(src, tgt);
    if (recorded != Recorded::duplicate && recorded != Recorded::invalid && mark_ &&
        tgt < mark_->target) {
        // A new record below the mark: the target is not the log the mark
        // was taken on any more (topic re-created, truncated).
        mark_.reset();
        mark_unsynced_ = true;
    }
    return recorded;
}

PartitionRanges::Recorded PartitionRanges::record_row(SourceOffset src, TargetOffset tgt) {
    if (src.value() < 0 || tgt.value() < 0) return Recorded::invalid;
    if (rows_.empty()) {
        append(src, tgt);
        count_for_holes(src);
        return Recorded::started;
    }
    RangeRow& last = rows_.back();
    if (src == last.source_end() && tgt == last.target_end()) {
        ++last.length;
        if (last.coalesced()) ++last.source_span;
        unsynced_from_ = std::min(unsynced_from_, rows_.size() - 1);
        count_for_holes(src);
        return Recorded::extended;
    }
    if (tgt >= last.target_end()) {
        if (tgt > last.target_end()) {
            open_holes_.push_back(OpenHole{.start = last.target_end(),
                                           .length = tgt - last.target_end(),
                                           .floor = last.source_end(),
                                           .max_seen = last.source_end() - 1,
                                           .copied = 0});
        }
        append(src, tgt);
        count_for_holes(src);
        return Recorded::started;
    }
    // The target went backwards. A repeated acknowledgement matches a known row...
    const auto after =
        std::upper_bound(rows_.begin(), rows_.end(), tgt,
                         [](TargetOffset t, const RangeRow& row) { return t < row.target_start; });
    if (after != rows_.begin()) {
        const RangeRow& row = *std::prev(after);
        // (Inside a coalesced row the pairing is not known: a source offset
        // in its span is taken as the copy it holds.)
        const bool same = row.coalesced()
                              ? src >= row.source_start && src < row.source_end()
                              : src - row.source_start == tgt - row.target_start;
        if (tgt < row.target_end() && same) return Recorded::duplicate;
    }
    // ...anything else means the target log is not the one the rows describe
    // from `tgt` on (topic recreated, unclean leader election): forget that part.
    truncate_at(tgt);
    append(src, tgt);
    rebuild_holes();
    return Recorded::truncated;
}

Translation PartitionRanges::translate(SourceOffset committed) const {
    const Translation rows = translate_rows(committed);
    if (rows.exactness == Exactness::exact || !mark_ || committed < mark_->source) return rows;
    const auto marked = translate_from_mark(committed);
    if (!marked) return rows;
    const bool better = rows.exactness == Exactness::unknown ||
                        marked->exactness == Exactness::exact || marked->offset > rows.offset;
    return better ? *marked : rows;
}

std::optional<Translation> PartitionRanges::translate_from_mark(SourceOffset committed) const {
    const StartMark& mark = *mark_;
    const auto after = std::partition_point(
        rows_.begin(), rows_.end(),
        [&mark](const RangeRow& row) { return row.target_start < mark.target; });
    // What is below the mark must be known: an unrecorded copy there (a
    // session killed before its first flush) could be the only one of
    // records >= committed until this session gets to them.
    TargetOffset known_to = mark.target_low;
    for (auto it = rows_.begin(); it != after; ++it) {
        if (it->source_end() > committed) return std::nullopt;  // an earlier copy >= committed
        known_to = std::max(known_to, it->target_end());
    }
    if (known_to != mark.target) return std::nullopt;  // a gap below, or a row across the mark
    if (!open_holes_.empty() && open_holes_.front().start < mark.target) return std::nullopt;
    if (after == rows_.end()) {
        return Translation{mark.target,
                           committed == mark.source ? Exactness::exact : Exactness::conservative,
                           0};
    }
    if (committed > after->source_start) return std::nullopt;
    const std::int64_t rereads = rereads_from(mark.target, committed);
    const bool exact = after->target_start == mark.target && rereads == 0;
    return Translation{mark.target, exact ? Exactness::exact : Exactness::conservative, rereads};
}

void PartitionRanges::set_start_mark(StartMark mark) {
    if (mark_ == mark) return;
    mark_ = mark;
    mark_unsynced_ = true;
}

bool PartitionRanges::wants_start_mark(SourceOffset start, TargetOffset target_high) const {
    if (mark_ && target_high < mark_->target) return true;  // the mark's target log is gone
    // A mark with no row after it, of a session that started where this one
    // does, still holds, and its lower target offset says more: kept. A
    // session starting elsewhere was repositioned (back, or forward past
    // records deleted before they were copied) and needs its own.
    const bool mark_is_newest =
        mark_ && (rows_.empty() || rows_.back().target_end() <= mark_->target);
    if (mark_is_newest && mark_->source == start) return false;
    for (const RangeRow& row : rows_) {
        if (row.source_end() > start) return false;  // rows say where it continues
    }
    return true;
}

Translation PartitionRanges::translate_rows(SourceOffset committed) const {
    if (rows_.empty() || committed < min_source_) {
        return {TargetOffset(-1), Exactness::unknown, 0};
    }
    TargetOffset at;
    bool uncertain = false;  // T may point at records below committed
    // The first segment (in target order) holding a source offset >= committed
    // holds the earliest such copy: earlier segments end below committed.
    const std::size_t segments = segment_starts_.size();
    std::size_t g = 0;
    while (g < segments && rows_[segment_end(g) - 1].source_end() <= committed) ++g;
    if (g == segments) {
        // Everything known was read. Records after the last row continue its
        // session, so they are >= its source end: exact only if that is `committed`.
        const RangeRow& last = rows_.back();
        at = last.target_end();
        uncertain = committed != last.source_end();
    } else {
        const std::size_t j = first_ending_after(segment_starts_[g], segment_end(g), committed);
        const RangeRow& row = rows_[j];
        const std::int64_t into = committed - row.source_start;
        // In a coalesced row, the earliest place its first record >= committed can be.
        at = row.target_start + std::max<std::int64_t>(0, into - row.gaps());
        if (row.coalesced() && into > 0) uncertain = true;
        if (committed < row.source_start && j > 0) {
            // committed is in a source gap before `row`. If a hole separates
            // the rows on the target and the gap is real (not a rewind), the
            // hole may hold the only copies of the records in between.
            const RangeRow& prev = rows_[j - 1];
            if (prev.target_end() < row.target_start && prev.source_end() < row.source_start) {
                at = prev.target_end();
                uncertain = true;
            }
        }
    }
    if (!open_holes_.empty() && open_holes_.front().start < at) {
        at = open_holes_.front().start;
        uncertain = true;
    }
    const std::int64_t rereads = rereads_from(at, committed);
    const bool exact = !uncertain && rereads == 0;
    return {at, exact ? Exactness::exact : Exactness::conservative, rereads};
}

std::size_t PartitionRanges::coalesce(std::size_t max_rows) {
    // Rows separated by holes cannot merge: after a pass that left more than
    // the budget, the next waits for max_rows / 4 new rows.
    if (rows_.size() <= std::max(max_rows, next_coalesce_at_)) return 0;
    // Pairs of neighbours are merged, oldest part only, pass after pass: the
    // older a row, the coarser it gets, and each pass is O(rows), at most
    // once per max_rows / 4 new rows.
    // The last row always stays as recorded: records extending it are then
    // counted for holes the same way before and after a reload.
    const std::size_t keep_exact = std::max<std::size_t>(1, max_rows / 2);
    const std::size_t goal = max_rows - max_rows / 4;
    std::size_t merged = 0;
    while (rows_.size() > goal) {
        const std::size_t old_end = rows_.size() - std::min(keep_exact, rows_.size());
        std::vector<RangeRow> out;
        out.reserve(rows_.size());
        std::size_t before = merged;
        std::size_t i = 0;
        while (i < rows_.size()) {
            const RangeRow& a = rows_[i];
            if (i + 1 < old_end) {
                const RangeRow& b = rows_[i + 1];
                // Same segment, and no hole between them on the target.
                if (b.source_start >= a.source_end() && b.target_start == a.target_end()) {
                    const std::int64_t span = b.source_end() - a.source_start;
                    const std::int64_t length = a.length + b.length;
                    out.push_back(RangeRow{a.source_start, a.target_start, length,
                                           span > length ? span : 0});
                    ++merged;
                    i += 2;
                    continue;
                }
            }
            out.push_back(a);
            ++i;
        }
        rows_ = std::move(out);
        if (merged == before) break;
    }
    next_coalesce_at_ = rows_.size() + max_rows / 4;
    if (merged > 0) {
        rebuild_index();
        // Counted again as a reload would count them: the same answers after
        // a restart (a coalesced row counts for a hole only what it surely holds).
        rebuild_holes();
        unsynced_from_ = 0;  // rewritten whole at the next flush
    }
    return merged;
}

std::size_t PartitionRanges::prune(TargetOffset target_low_watermark) {
    // A row goes once its records are gone AND so is the hole after it: the
    // row is what tells what a partly retained hole may hold. The last row
    // always stays: a session that dies before its first flush leaves a hole
    // after it, and only the last row can say where that hole starts.
    std::size_t n = 0;
    while (n + 1 < rows_.size() && rows_[n + 1].target_start <= target_low_watermark) ++n;
    if (n > 0) drop_front(n);
    std::erase_if(open_holes_, [target_low_watermark](const OpenHole& h) {
        return h.start + h.length <= target_low_watermark;
    });
    return n;
}

bool PartitionRanges::assign(std::vector<RangeRow> rows) {
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (rows[i].length < 1 || rows[i].source_start.value() < 0 ||
            rows[i].target_start.value() < 0) {
            return false;
        }
        if (rows[i].coalesced() && rows[i].source_span <= rows[i].length) return false;
        if (i > 0 && rows[i].target_start < rows[i - 1].target_end()) return false;
    }
    rows_ = std::move(rows);
    rebuild_index();
    rebuild_holes();
    unsynced_from_ = rows_.size();
    return true;
}

void PartitionRanges::mark_unsynced(std::size_t from, std::uint64_t dropped_then) noexcept {
    const std::uint64_t dropped_since = dropped_total_ - dropped_then;
    const std::size_t shift = dropped_since < from ? static_cast<std::size_t>(dropped_since) : from;
    unsynced_from_ = std::min(unsynced_from_, from - shift);
}

void PartitionRanges::append(SourceOffset src, TargetOffset tgt) {
    if (rows_.empty()) {
        records_before_.push_back(0);
        segment_starts_.push_back(0);
        min_source_ = src;
    } else {
        const RangeRow& last = rows_.back();
        records_before_.push_back(records_before_.back() + last.length);
        if (src < last.source_end()) segment_starts_.push_back(rows_.size());
        min_source_ = std::min(min_source_, src);
    }
    rows_.push_back(RangeRow{src, tgt, 1});
}

void PartitionRanges::truncate_at(TargetOffset tgt) {
    const auto first_dropped =
        std::lower_bound(rows_.begin(), rows_.end(), tgt,
                         [](const RangeRow& row, TargetOffset t) { return row.target_start < t; });
    auto keep = static_cast<std::size_t>(std::distance(rows_.begin(), first_dropped));
    rows_.resize(keep);
    records_before_.resize(keep);
    unsynced_from_ = std::min(unsynced_from_, keep);
    if (keep > 0 && rows_.back().target_end() > tgt) {
        RangeRow& cut = rows_.back();
        const std::int64_t length = tgt - cut.target_start;
        if (cut.coalesced()) {
            // The records kept are the first ones: the span shrinks by at
            // least as many offsets as records were dropped.
            const std::int64_t span = cut.source_span - (cut.length - length);
            cut.source_span = span > length ? span : 0;
        }
        cut.length = length;
        unsynced_from_ = std::min(unsynced_from_, keep - 1);
    }
    std::erase_if(segment_starts_, [keep](std::size_t s) { return s >= keep; });
    if (!rows_.empty()) {
        min_source_ = rows_[segment_starts_.front()].source_start;
        for (std::size_t s : segment_starts_)
            min_source_ = std::min(min_source_, rows_[s].source_start);
    }
}

void PartitionRanges::drop_front(std::size_t n) {
    const auto count = static_cast<std::ptrdiff_t>(n);
    rows_.erase(rows_.begin(), rows_.begin() + count);
    // Prefix sums stay valid: only differences between them are used.
    records_before_.erase(records_before_.begin(), records_before_.begin() + count);
    dropped_total_ += n;
    unsynced_from_ -= std::min(unsynced_from_, n);
    std::vector<std::size_t> starts;
    if (!rows_.empty()) starts.push_back(0);
    for (std::size_t s : segment_starts_) {
        if (s > n) starts.push_back(s - n);
    }
    segment_starts_ = std::move(starts);
    if (!rows_.empty()) {
        min_source_ = rows_.front().source_start;
        for (std::size_t s : segment_starts_)
            min_source_ = std::min(min_source_, rows_[s].source_start);
    }
}

void PartitionRanges::rebuild_index() {
    records_before_.clear();
    segment_starts_.clear();
    std::int64_t total = 0;
    for (std::size_t i = 0; i < rows_.size(); ++i) {
        records_before_.push_back(total);
        total += rows_[i].length;
        if (i == 0 || rows_[i].source_start < rows_[i - 1].source_end()) {
            segment_starts_.push_back(i);
        }
        min_source_ = i == 0 ? rows_[i].source_start : std::min(min_source_, rows_[i].source_start);
    }
}

std::size_t PartitionRanges::segment_end(std::size_t segment) const noexcept {
    return segment + 1 < segment_starts_.size() ? segment_starts_[segment + 1] : rows_.size();
}

std::size_t PartitionRanges::first_ending_after(std::size_t first, std::size_t last,
                                                SourceOffset committed) const {
    const auto begin = rows_.begin() + static_cast<std::ptrdiff_t>(first);
    const auto end = rows_.begin() + static_cast<std::ptrdiff_t>(last);
    const auto it = std::partition_point(
        begin, end, [committed](const RangeRow& row) { return row.source_end() <= committed; });
    return static_cast<std::size_t>(std::distance(rows_.begin(), it));
}

bool PartitionRanges::OpenHole::count(SourceOffset from, SourceOffset to) {
    const SourceOffset lo = std::max({from, floor, max_seen + 1});
    if (lo < to) {
        copied += to - lo;
        max_seen = to - 1;
    }
    return copied >= length;
}

bool PartitionRanges::OpenHole::count(const RangeRow& row) {
    if (!row.coalesced()) return count(row.source_start, row.source_end());
    // Where its records are in its span is not known: count only those that
    // must be at or above `lo` (never more than there are, so a hole is never
    // taken for covered too early).
    const SourceOffset lo = std::max({row.source_start, floor, max_seen + 1});
    if (lo < row.source_end()) {
        copied += std::max<std::int64_t>(0, row.length - (lo - row.source_start));
        max_seen = row.source_end() - 1;
    }
    return copied >= length;
}

void PartitionRanges::count_for_holes(SourceOffset src) {
    if (open_holes_.empty()) return;
    std::erase_if(open_holes_, [src](OpenHole& h) { return h.count(src, src + 1); });
}

void PartitionRanges::rebuild_holes() {
    open_holes_.clear();
    for (std::size_t i = 1; i < rows_.size(); ++i) {
        const RangeRow& before = rows_[i - 1];
        if (rows_[i].target_start == before.target_end()) continue;
        OpenHole hole{.start = before.target_end(),
                      .length = rows_[i].target_start - before.target_end(),
                      .floor = before.source_end(),
                      .max_seen = before.source_end() - 1,
                      .copied = 0};
        bool covered = false;
        for (std::size_t j = i; j < rows_.size() && !covered; ++j) {
            covered = hole.count(rows_[j]);
        }
        if (!covered) open_holes_.push_back(hole);
    }
}

std::int64_t PartitionRanges::rereads_from(TargetOffset at, SourceOffset committed) const {
    const auto it = std::partition_point(
        rows_.begin(), rows_.end(), [at](const RangeRow& row) { return row.target_end() <= at; });
    if (it == rows_.end()) return 0;
    std::int64_t total = 0;
    auto next = static_cast<std::size_t>(std::distance(rows_.begin(), it));
    if (at > it->target_start) {
        // `at` is inside this row: count its part from `at` on.
        // (In a coalesced row, `from` is the lowest source offset the record
        // at `at` can have: the count is an upper bound.)
        const SourceOffset from = it->source_start + (at - it->target_start);
        total += std::clamp<std::int64_t>(std::min(it->source_end(), committed) - from, 0,
                                          it->target_end() - at);
        ++next;
    }
    const auto seg = static_cast<std::size_t>(
        std::distance(segment_starts_.begin(),
                      std::upper_bound(segment_starts_.begin(), segment_starts_.end(), next)) -
        1);
    for (std::size_t h = seg; h < segment_starts_.size(); ++h) {
        total += records_below(std::max(segment_starts_[h], next), segment_end(h), committed);
    }
    return total;
}

std::int64_t PartitionRanges::records_below(std::size_t first, std::size_t last,
                                            SourceOffset committed) const {
    if (first >= last) return 0;
    const std::size_t k = first_ending_after(first, last, committed);
    const std::int64_t whole =
        (k < rows_.size() ? records_before_[k] : records_before_.back() + rows_.back().length) -
        records_before_[first];
    // In a coalesced row, an upper bound: its records below `committed`.
    const std::int64_t partial =
        k < last ? std::clamp<std::int64_t>(committed - rows_[k].source_start, 0, rows_[k].length)
                 : 0;
    return whole + partial;
}

}  // namespace kmirror::checkpoints
