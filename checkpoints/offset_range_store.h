#pragma once
// OffsetRangeStore: the (source offset -> target offset) ranges of every
// mirrored partition, kept in memory and written to one SQLite file, so the
// target offset of any committed source offset is known exactly
// (DESIGN.md "Offset translation"; the rules are in partition_ranges.h).
//
//   delivery threads --record()--> memory (O(1), one mutex)
//   timer ------------flush()----> SQLite, one transaction with every change
//   checkpoint loop --translate()/prune()
//
// Durability: flush() is the only write. A crash (kill -9) loses what was
// recorded since the last flush: the store then lags behind the target, which
// only makes translations more conservative, never wrong (a lagging store
// answers "end of what I know" for newer offsets, with Exactness::conservative
// when records could be missing). The destructor does not flush.
//
// One file per kmirror instance (DESIGN.md "Scale-out"); nothing stops two
// processes from writing the same file, so do not point two daemons at one.
//
// @thread record(), translate(), prune(), ranges(), start marks: any thread (guarded by mu_);
//         flush(): one thread at a time (db_mu_), without blocking record();
//         forget(): any thread, waits for a flush under way.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "base/strong_int.h"
#include "checkpoints/partition_ranges.h"
#include "checkpoints/range_row.h"
#include "checkpoints/start_mark.h"
#include "checkpoints/translation.h"

namespace kmirror::checkpoints {

class SqliteDb;

/// Source record `src` is at target offset `tgt`.
struct OffsetPair {
    SourceOffset src;
    TargetOffset tgt;
};

class OffsetRangeStore {
public:
    /// Rows kept per partition before the oldest are coalesced
    /// (PartitionRanges::coalesce): 1024 rows of 32 bytes, so 2,000
    /// partitions at the limit take about 64 MiB. A partition mirrored in
    /// one go needs one row per restart or compaction gap; only compacted
    /// and transactional topics get near it.
    static constexpr std::size_t kMaxRowsPerPartition = 1024;


    /// Opens or creates the store at `path` (WAL mode, busy timeout, PRAGMA
    /// quick_check, schema migrated forward) and loads its ranges. Refuses,
    /// without writing to the file: a non-SQLite file or one with tables kmirror
    /// did not create (Errc::not_a_store), a newer schema (Errc::newer_schema), a
    /// corrupt file (Errc::corrupt_store). Errc::missing_directory and
    /// Errc::read_only_location when the location is unusable.
    static Result<std::unique_ptr<OffsetRangeStore>> open(const std::string& path);

    ~OffsetRangeStore();
    OffsetRangeStore(const OffsetRangeStore&) = delete;
    OffsetRangeStore& operator=(const OffsetRangeStore&) = delete;

    /// The target acknowledged source record `src` of (flow, source topic,
    /// partition) at target offset `tgt`. In memory only; cheap.
    /// @thread delivery
    void record(std::string_view flow, std::string_view topic, std::int32_t partition,
                SourceOffset src, TargetOffset tgt);
    /// The same for a run of one partition's pairs, in acknowledgement order:
    /// one lock for the run.
    /// @thread delivery
    void record_run(std::string_view flow, std::string_view topic, std::int32_t partition,
                    std::span<const OffsetPair> pairs);

    /// Writes every change since the last flush in one transaction. On error
    /// nothing is lost from memory: the next flush() writes it again.
    /// @thread timer
    Result<void> flush();

    /// Where a group that committed `committed` on the source resumes on the target.
    [[nodiscard]] Translation translate(std::string_view flow, std::string_view topic,
                                        std::int32_t partition, SourceOffset committed) const;

    /// Sets the start mark of a partition (start_mark.h): written by the next flush().
    void set_start_mark(std::string_view flow, std::string_view topic, std::int32_t partition,
                        StartMark mark);
    [[nodiscard]] std::optional<StartMark> start_mark(std::string_view flow,
                                                      std::string_view topic,
                                                      std::int32_t partition) const;
    /// Whether a session of the partition starting at `start` should take a
    /// start mark (PartitionRanges::wants_start_mark).
    [[nodiscard]] bool wants_start_mark(std::string_view flow, std::string_view topic,
                                        std::int32_t partition, SourceOffset start,
                                        TargetOffset target_high) const;

    /// Drops the ranges entirely below the target's low watermark (records
    /// deleted by retention), so the store stays bounded; the newest range of
    /// the partition always stays (see PartitionRanges::prune). Written by the
    /// next flush().
    void prune(std::string_view flow, std::string_view topic, std::int32_t partition,
               TargetOffset target_low_watermark);

    /// Forgets every partition of `topic` in `flow` (a topic deleted on the
    /// source): gone from memory at once, from the file at the next flush().
    /// Returns how many partitions were forgotten.
    std::size_t forget(std::string_view flow, std::string_view topic);

    /// The source topics of `flow` the store holds ranges (or a start mark)
    /// of, each with its partitions.
    [[nodiscard]] std::map<std::string, std::vector<std::int32_t>> partitions(
        std::string_view flow) const;

    /// The ranges of one partition in target order (tests, `kmirror translate`).
    [[nodiscard]] std::vector<RangeRow> ranges(std::string_view flow, std::string_view topic,
                                               std::int32_t partition) const;

    [[nodiscard]] const std::string& path() const noexcept { return path_; }

private:
    struct Key {
        std::string flow;
        std::string topic;
        std::int32_t partition = 0;
    };
    struct KeyView {
        std::string_view flow;
        std::string_view topic;
        std::int32_t partition = 0;
    };
    struct KeyHash {
        using is_transparent = void;
        std::size_t operator()(const KeyView& k) const noexcept;
        std::size_t operator()(const Key& k) const noexcept {
            return (*this)(KeyView{k.flow, k.topic, k.partition});
        }
    };
    struct KeyEq {
        using is_transparent = void;
        static KeyView view(const Key& k) noexcept { return {k.flow, k.topic, k.partition}; }
        static KeyView view(const KeyView& k) noexcept { return k; }
        template <typename A, typename B>
        bool operator()(const A& a, const B& b) const noexcept {
            const KeyView x = view(a);
            const KeyView y = view(b);
            return x.partition == y.partition && x.flow == y.flow && x.topic == y.topic;
        }
    };
    struct Partition {
        PartitionRanges ranges;
        std::int64_t db_id = 0;  // row id in `partitions`; 0 until first written
        bool dirty = false;      // listed in dirty_
    };
    using Partitions = std::unordered_map<Key, Partition, KeyHash, KeyEq>;
    struct PendingWrite;

    OffsetRangeStore(std::string path, std::unique_ptr<SqliteDb> db);
    Result<void> load();
    Result<void> write(std::vector<PendingWrite>& writes,
                       const std::vector<std::pair<std::string, std::string>>& forgotten);
    void mark_dirty(Partitions::value_type& entry);

    const std::string path_;
    std::mutex db_mu_;              // serializes flush(); taken before mu_
    std::unique_ptr<SqliteDb> db_;  // guarded by db_mu_
    mutable std::mutex mu_;
    // Nodes are erased only by forget(), which holds db_mu_ as well: pointers
    // into the map stay valid while flush() writes.
    Partitions partitions_;                       // guarded by mu_
    std::vector<Partitions::value_type*> dirty_;  // guarded by mu_
    // (flow, topic) forgotten in memory, to delete from the file.
    std::vector<std::pair<std::string, std::string>> forgotten_;  // guarded by mu_
};

}  // namespace kmirror::checkpoints
