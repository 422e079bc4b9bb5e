#pragma once
// PartitionRanges: the offset ranges of one mirrored partition, in memory,
// and the translation rules (DESIGN.md invariant 3). No I/O, no locking:
// OffsetRangeStore guards it and writes it to SQLite.
//
// Rows are kept in TARGET order (the order the target acknowledged them).
// A new row starts when (target - source) changes or the source skips:
//
//   source   10 11 12 13    16 17 18      (14, 15: compacted, or a control record)
//   target   50 51 52 53    54 55 56
//   rows     [10..13]->50   [16..18]->54
//
// A restart that resumes from an older committed offset copies records again:
// the same source offsets appear twice. Both rows are kept. A row whose source
// start is below the previous row's source end begins a new SEGMENT; inside a
// segment source offsets only grow, so lookups are binary searches.
//
//   source   10 11 12 13 14 | 12 13 14 15 16     (restart resumed at 12)
//   target   50 51 52 53 54 | 55 56 57 58 59
//   rows     [10..14]->50   | [12..16]->55       (2 segments)
//
// HOLES are target offsets inside the known span that no row covers:
//
//   source   10 11 12           20 21
//   target   50 51 52  53 54 55 56 57
//   rows     [10..12]->50  hole [20..21]->56
//
// A hole holds records the store never saw: transaction markers on the
// target, or the tail of a session that died before flush() (kill -9). The
// model: every session copies the existing records of the source partition
// in order, from the offset it resumed at. So a hole after row A holds at most
// `length` records, all with source offsets >= A.source_end:
//   - those below the next row's source start exist nowhere else;
//   - the others are copied again by the sessions after the hole, but only
//     once they have got that far. A hole is COVERED once the rows after it
//     hold at least `length` distinct source offsets >= A.source_end (then
//     every record in it has a later copy). Until then it is OPEN and no
//     translation goes past it: a session that restarted after a crash is
//     still catching up, and the only copy of some records may be in the hole.
//     A transaction marker (length 1) is covered by the next record.
//
// translate(committed): `committed` is the next source offset the group would
// read. The answer T is where it resumes on the target.
//
// INVARIANT (never skip): every known target record whose source offset is
// >= committed is at target offset >= T; every hole that may hold the only
// copy of a source offset >= committed starts at or after T. (The property
// test checks both, and that the unrecorded records of crashed sessions are
// never skipped.)
//
//   committed inside a row:  exact, T = row.target_start + (committed - row.source_start)
//     source   10 11 12 13                 committed 12 -> T 52, exact
//     target   50 51 52 53
//                    ^
//   committed at the end of a row, next row follows without a hole: exact
//     rows     [10..13]->50  [16..18]->54  committed 14 (or 15, 16) -> T 54, exact
//   committed in a source gap that spans a hole: the hole may hold the
//   records in between, so resume at the hole, conservative
//     rows     [10..12]->50  hole(53..55)  [20..23]->56   (hole covered by 20, 21, 22)
//     committed 13..19 -> T 53, conservative (the hole may hold 13..19)
//     committed 20     -> T 56, exact (whatever the hole holds is below 20,
//                                      or was copied again at 56 and later)
//   committed at or after the end of everything known: T = end of the last row,
//   exact when committed == last row's source end, else conservative (the store
//   may lag behind the target: records after it could be below committed)
//   duplicates: T goes to the EARLIEST copy at or after committed, and the
//   records of later copies below committed are counted in `rereads`
//     rows     [10..14]->50 | [12..16]->55
//     committed 13 -> T 53 (first copy of 13), conservative, rereads 1 (12 at 55)
//     committed 15 -> T 58 (only copy of 15), exact
//   an open hole before T: T = the hole's start, conservative
//   committed below every known source offset: unknown, T = -1 (like MM2's
//   "too old" answer: no checkpoint should be emitted from it).
//
// exact <=> rereads == 0 and T does not point into a hole: no record below
// `committed` is at or after T. (Later duplicates of records >= committed,
// which any reader of the target meets, are not rereads.)
//
// COALESCED rows (range_row.h) keep the store bounded where rows pile up:
// a compacted topic skips offsets wherever compaction removed records, a
// transactional one at every transaction marker, and neither ever moves the
// target's low watermark, so prune() does not help. Past a row budget the
// oldest rows that follow each other on the target without a hole are
// merged; the newest stay exact. Inside a coalesced row translation is
// conservative: T is the lowest place the first record >= committed can be
// (row.target_start + committed - row.source_start - row.gaps()), so it never
// skips; `rereads` counts an upper bound for the part of it after T. A group
// committed at a coalesced row's first offset, or past it, is still exact.
//
// START MARKS (start_mark.h, issue 21) answer where rows say nothing: a
// session that began with nothing produced yet copies the source from
// `source` on, to target offsets >= `target`. A mark is used for committed
// C >= source only, and only when the target below `target` is accounted for
// (the rows before it end exactly there and leave no open hole, or there are
// none and the target held nothing then: `target_low` == `target`) and no row
// before it holds a source offset >= C (an earlier copy a consumer at
// `target` would pass). Then, with R the first row at or after `target`:
//
//   no R, C == source:   T = target, exact (all the target gets from there on
//                        is copied from `source` on)
//     mark {0_src, 0_tgt, low 0_tgt}, no rows (an empty partition):  0 -> 0, exact
//   no R, C > source:    T = target, conservative (records in between may be
//                        copied later, at or after it)
//   C in [source, R.source_start]:  T = target; exact when R starts at `target`
//                        (the session copied nothing before R: offsets below
//                        R's hold no record) and nothing after it is a reread
//     mark {100_src, 40_tgt}, rows [120..130)->40:  100..120 -> 40, exact
//   otherwise (C past R's start, C < source, conditions unmet): the rows decide.
// A mark answer replaces the rows' answer when that is unknown, or when the
// mark's is exact, or both are conservative and the mark's is further on.
// The target going back below a mark (record() with an older target offset:
// topic re-created, truncated) drops it.
//
// Limits (the store cannot see a session that died before its first flush):
//   - the store knows nothing before a partition's first row. If the first
//     session of a partition dies before its first flush, the records it
//     copied sit before the first row, outside any hole, until the next
//     session copies them again;
//   - such a session later on only ever makes translation re-read more than
//     `rereads` says: `exact` assumes every session flushed at least once.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "base/strong_int.h"
#include "checkpoints/range_row.h"
#include "checkpoints/start_mark.h"
#include "checkpoints/translation.h"

namespace kmirror::checkpoints {

class PartitionRanges {
public:
    enum class Recorded {
        extended,   ///< the last row grew by one
        started,    ///< a new row (gap, offset change, or restart)
        duplicate,  ///< an acknowledgement already known: ignored
        truncated,  ///< the target went backwards (topic recreated, log
                    ///< truncated): rows at and after it were dropped first
        invalid,    ///< negative offset: ignored
    };

    /// One acknowledged record: source offset `src` is at target offset `tgt`.
    /// O(1) amortized; O(log n) when the target goes backwards.
    Recorded record(SourceOffset src, TargetOffset tgt);

    /// See the header comment. O(segments * log n).
    [[nodiscard]] Translation translate(SourceOffset committed) const;

    /// Bounds the rows kept: beyond `max_rows`, merges neighbouring rows of
    /// the older half that follow each other on the target without a hole
    /// into coalesced rows (range_row.h), until at most 3/4 of `max_rows`
    /// are left or nothing more can merge. The newest max_rows / 2 rows stay
    /// as recorded. Returns how many merges were made.
    std::size_t coalesce(std::size_t max_rows);

    /// Drops the rows whose records, and the hole after them, are all below
    /// the target's low watermark (deleted by retention). The last row always
    /// stays, as the anchor of whatever follows it. Returns how many.
    std::size_t prune(TargetOffset target_low_watermark);

    /// Replaces the content with rows read from disk, in target order.
    /// False (and unchanged) when they overlap on the target or a length < 1.
    [[nodiscard]] bool assign(std::vector<RangeRow> rows);

    /// Sets the start mark (start_mark.h); the previous one is replaced.
    void set_start_mark(StartMark mark);
    [[nodiscard]] const std::optional<StartMark>& start_mark() const noexcept { return mark_; }
    /// Whether a session starting at `start`, with the target's high
    /// watermark at `target_high`, should take a mark: when nothing recorded
    /// tells where it continues (no rows, or it starts past every recorded
    /// source offset), and no mark of an earlier session that started at
    /// the same offset still holds (it says more).
    [[nodiscard]] bool wants_start_mark(SourceOffset start, TargetOffset target_high) const;

    [[nodiscard]] const std::vector<RangeRow>& rows() const noexcept { return rows_; }
    [[nodiscard]] bool empty() const noexcept { return rows_.empty(); }

    // Write-back bookkeeping for OffsetRangeStore::flush().
    /// Index of the first row that changed since the last mark_synced(); size() when none.
    [[nodiscard]] std::size_t unsynced_from() const noexcept { return unsynced_from_; }
    /// Rows dropped from the front since construction (prune, truncation to empty).
    [[nodiscard]] std::uint64_t dropped_total() const noexcept { return dropped_total_; }
    /// All rows are on disk.
    void mark_synced() noexcept { unsynced_from_ = rows_.size(); }
    /// A write started at unsynced_from() == `from` (when dropped_total() was
    /// `dropped_then`) failed: those rows are not on disk after all.
    void mark_unsynced(std::size_t from, std::uint64_t dropped_then) noexcept;
    /// The start mark changed (set, or dropped) since the last
    /// set_start_mark_synced(true).
    [[nodiscard]] bool start_mark_unsynced() const noexcept { return mark_unsynced_; }
    void set_start_mark_synced(bool synced) noexcept { mark_unsynced_ = !synced; }

private:
    // A hole that may still hold the only copy of some records (see above).
    struct OpenHole {
        TargetOffset start;
        std::int64_t length = 0;
        SourceOffset floor;       // source end of the row before the hole
        SourceOffset max_seen;    // highest source offset counted so far
        std::int64_t copied = 0;  // distinct source offsets >= floor seen after the hole
        /// Counts records [from, to) seen after the hole; true once covered.
        bool count(SourceOffset from, SourceOffset to);
        /// Counts a row's records: for a coalesced one, only as many as it
        /// surely holds above what was counted.
        bool count(const RangeRow& row);
    };

    /// The rows' answer (everything above START MARKS).
    [[nodiscard]] Translation translate_rows(SourceOffset committed) const;
    /// The mark's answer, when the mark applies to `committed`.
    [[nodiscard]] std::optional<Translation> translate_from_mark(SourceOffset committed) const;
    Recorded record_row(SourceOffset src, TargetOffset tgt);
    void append(SourceOffset src, TargetOffset tgt);
    void count_for_holes(SourceOffset src);
    void rebuild_holes();
    void truncate_at(TargetOffset tgt);
    void drop_front(std::size_t n);
    void rebuild_index();
    [[nodiscard]] std::size_t segment_end(std::size_t segment) const noexcept;
    /// First row in [first, last) whose source end is > committed (rows are source-sorted there).
    [[nodiscard]] std::size_t first_ending_after(std::size_t first, std::size_t last,
                                                 SourceOffset committed) const;
    /// Records of rows [first, last) with a source offset < committed.
    [[nodiscard]] std::int64_t records_below(std::size_t first, std::size_t last,
                                             SourceOffset committed) const;
    /// Known records at target offsets >= at with a source offset < committed.
    [[nodiscard]] std::int64_t rereads_from(TargetOffset at, SourceOffset committed) const;

    std::vector<RangeRow> rows_;                // target order
    std::vector<std::int64_t> records_before_;  // parallel to rows_: prefix sums of length
    std::vector<std::size_t> segment_starts_;   // row index where each segment starts
    std::vector<OpenHole> open_holes_;          // target order
    SourceOffset min_source_;                   // lowest source offset known
    std::size_t unsynced_from_ = 0;
    std::uint64_t dropped_total_ = 0;
    std::size_t next_coalesce_at_ = 0;  // coalesce() does nothing up to this many rows
    std::optional<StartMark> mark_;
    bool mark_unsynced_ = false;
};

}  // namespace kmirror::checkpoints
