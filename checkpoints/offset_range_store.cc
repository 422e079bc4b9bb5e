#include "checkpoints/offset_range_store.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <limits>
#include <optional>
#include <unordered_map>
#include <utility>

#include "checkpoints/error.h"
#include "checkpoints/schema_migrations.h"
#include "checkpoints/sqlite_db.h"

namespace kmirror::checkpoints {
namespace {

namespace fs = std::filesystem;

constexpr int kBusyTimeoutMs = 5000;

bool writable(const fs::path& p) { return ::access(p.c_str(), W_OK) == 0; }

bool is_read_only_error(const std::error_code& ec) {
    if (ec.category() != sqlite_category()) return false;
    const int primary = ec.value() & 0xff;
    return primary == SQLITE_READONLY || primary == SQLITE_CANTOPEN || primary == SQLITE_PERM;
}

// Looks at an existing file without writing to it: a refused file stays
// byte-for-byte what it was.
Result<void> inspect_existing(const fs::path& file) {
    std::error_code ec;
    if (fs::is_directory(file, ec)) return Errc::not_a_store;
    const auto size = fs::file_size(file, ec);
    if (ec) return ec;
    if (size == 0) return outcome::success();  // SQLite's empty database: initialise it
    BOOST_OUTCOME_TRY(db, SqliteDb::open(file.string(), SQLITE_OPEN_READONLY));
    BOOST_OUTCOME_TRY(inspect_schema(db));
    return outcome::success();
}

}  // namespace

// One partition's changes, copied under mu_ and written without it.
struct OffsetRangeStore::PendingWrite {
    Partitions::value_type* entry = nullptr;
    std::int64_t db_id = 0;
    std::size_t from = 0;                      // PartitionRanges::unsynced_from() when copied
    std::uint64_t dropped_then = 0;            // PartitionRanges::dropped_total() when copied
    std::optional<TargetOffset> first_target;  // rows before it were pruned; none: all were
    std::vector<RangeRow> rows;  // rows [from, size): replace the disk rows from there
    bool mark_changed = false;
    std::optional<StartMark> mark;  // when changed: the new mark; none: deleted
};

std::size_t OffsetRangeStore::KeyHash::operator()(const KeyView& k) const noexcept {
    std::size_t h = std::hash<std::string_view>{}(k.flow);
    h = h * 31 + std::hash<std::string_view>{}(k.topic);
    return h * 31 + std::hash<std::int32_t>{}(k.partition);
}

Result<std::unique_ptr<OffsetRangeStore>> OffsetRangeStore::open(const std::string& path) {
    const fs::path file(path);
    const fs::path dir = file.has_parent_path() ? file.parent_path() : fs::path(".");
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return Errc::missing_directory;
    const bool exists = fs::exists(file, ec);
    // SQLite creates the -wal and -shm files beside the store (even to read a
    // store in WAL mode).
    if (!writable(dir) || (exists && !writable(file))) return Errc::read_only_location;
    if (exists) {
        BOOST_OUTCOME_TRY(inspect_existing(file));
    }

    auto opened = SqliteDb::open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (!opened) {
        if (is_read_only_error(opened.error())) return Errc::read_only_location;
        return opened.error();
    }
    auto db = std::make_unique<SqliteDb>(std::move(opened).value());
    if (db->read_only()) return Errc::read_only_location;
    sqlite3_busy_timeout(db->get(), kBusyTimeoutMs);
    auto mode = db->query_text("PRAGMA journal_mode = WAL");
    if (!mode) {
        if (is_read_only_error(mode.error())) return Errc::read_only_location;
        return mode.error();
    }
    // NORMAL in WAL mode: a power loss may drop the last transactions, never
    // corrupt the file; a lagging store is safe (see the header).
    BOOST_OUTCOME_TRY(db->exec("PRAGMA synchronous = NORMAL"));
    BOOST_OUTCOME_TRY(migrate_schema(*db));

    std::unique_ptr<OffsetRangeStore> store(new OffsetRangeStore(path, std::move(db)));
    BOOST_OUTCOME_TRY(store->load());
    return store;
}

OffsetRangeStore::OffsetRangeStore(std::string path, std::unique_ptr<SqliteDb> db)
    : path_(std::move(path)), db_(std::move(db)) {}

OffsetRangeStore::~OffsetRangeStore() = default;

Result<void> OffsetRangeStore::load() {
    std::scoped_lock lock(db_mu_, mu_);
    std::unordered_map<std::int64_t, Partitions::value_type*> by_id;
    BOOST_OUTCOME_TRY(partitions,
                      db_->prepare("SELECT id, flow, topic, partition_number FROM partitions"));
    for (;;) {
        BOOST_OUTCOME_TRY(row, partitions.step());
        if (!row) break;
        const auto partition = partitions.column_int(3);
        if (partition < std::numeric_limits<std::int32_t>::min() ||
            partition > std::numeric_limits<std::int32_t>::max()) {
            return Errc::corrupt_store;
        }
        auto [it, inserted] =
            partitions_.try_emplace(Key{partitions.column_text(1), partitions.column_text(2),
                                        static_cast<std::int32_t>(partition)});
        if (!inserted) return Errc::corrupt_store;
        it->second.db_id = partitions.column_int(0);
        by_id.emplace(it->second.db_id, &*it);
    }

    BOOST_OUTCOME_TRY(ranges,
                      db_->prepare("SELECT partition_id, source_start, target_start, length, source_span "
                                   "FROM offset_ranges ORDER BY partition_id, target_start"));
    std::int64_t current = 0;
    std::vector<RangeRow> rows;
    auto assign = [&]() -> Result<void> {
        if (current == 0) return outcome::success();
        const auto it = by_id.find(current);
        if (it == by_id.end() || !it->second->second.ranges.assign(std::move(rows))) {
            return Errc::corrupt_store;
        }
        // A store written with a larger budget: bounded from the start.
        if (it->second->second.ranges.coalesce(kMaxRowsPerPartition) > 0) {
            mark_dirty(*it->second);
        }
        rows.clear();
        return outcome::success();
    };
    for (;;) {
        BOOST_OUTCOME_TRY(row, ranges.step());
        if (!row) break;
        if (ranges.column_int(0) != current) {
            BOOST_OUTCOME_TRY(assign());
            current = ranges.column_int(0);
        }
        rows.push_back(RangeRow{SourceOffset(ranges.column_int(1)),
                                TargetOffset(ranges.column_int(2)), ranges.column_int(3),
                                ranges.column_int(4)});
    }
    BOOST_OUTCOME_TRY(assign());

    BOOST_OUTCOME_TRY(marks, db_->prepare("SELECT partition_id, source_offset, target_offset, "
                                          "target_low FROM start_marks"));
    for (;;) {
        BOOST_OUTCOME_TRY(row, marks.step());
        if (!row) break;
        const auto it = by_id.find(marks.column_int(0));
        if (it == by_id.end()) return Errc::corrupt_store;
        PartitionRanges& loaded = it->second->second.ranges;
        loaded.set_start_mark(StartMark{SourceOffset(marks.column_int(1)),
                                        TargetOffset(marks.column_int(2)),
                                        TargetOffset(marks.column_int(3))});
        loaded.set_start_mark_synced(true);
    }
    return outcome::success();
}

void OffsetRangeStore::record(std::string_view flow, std::string_view topic, std::int32_t partition,
                              SourceOffset src, TargetOffset tgt) {
    const OffsetPair pair{src, tgt};
    record_run(flow, topic, partition, std::span(&pair, 1));
}

void OffsetRangeStore::record_run(std::string_view flow, std::string_view topic,
                                  std::int32_t partition, std::span<const OffsetPair> pairs) {
    if (pairs.empty()) return;
    std::lock_guard lock(mu_);
    auto it = partitions_.find(KeyView{flow, topic, partition});
    if (it == partitions_.end()) {
        it = partitions_.try_emplace(Key{std::string(flow), std::string(topic), partition}).first;
    }
    bool changed = false;
    for (const auto& [src, tgt] : pairs) {
        switch (it->second.ranges.record(src, tgt)) {
            case PartitionRanges::Recorded::duplicate:
            case PartitionRanges::Recorded::invalid:
                continue;
            case PartitionRanges::Recorded::truncated:
                spdlog::warn(
                    "offset store: {}/{}-{}: target offset {} is behind the recorded ranges "
                    "(target topic recreated or truncated?); ranges from there on were dropped",
                    flow, topic, partition, tgt.value());
                break;
            case PartitionRanges::Recorded::started:
                it->second.ranges.coalesce(kMaxRowsPerPartition);
                break;
            case PartitionRanges::Recorded::extended:
                break;
        }
        changed = true;
    }
    if (changed) mark_dirty(*it);
}

void OffsetRangeStore::mark_dirty(Partitions::value_type& entry) {
    if (entry.second.dirty) return;
    entry.second.dirty = true;
    dirty_.push_back(&entry);
}

Result<void> OffsetRangeStore::flush() {
    std::lock_guard db_lock(db_mu_);
    std::vector<PendingWrite> writes;
    std::vector<std::pair<std::string, std::string>> forgotten;
    {
        std::lock_guard lock(mu_);
        forgotten.swap(forgotten_);
        writes.reserve(dirty_.size());
        for (auto* entry : dirty_) {
            Partition& p = entry->second;
            const auto& rows = p.ranges.rows();
            PendingWrite w;
            w.entry = entry;
            w.db_id = p.db_id;
            w.from = p.ranges.unsynced_from();
            w.dropped_then = p.ranges.dropped_total();
            if (!rows.empty()) w.first_target = rows.front().target_start;
            w.rows.assign(rows.begin() + static_cast<std::ptrdiff_t>(w.from), rows.end());
            p.ranges.mark_synced();
            if (p.ranges.start_mark_unsynced()) {
                w.mark_changed = true;
                w.mark = p.ranges.start_mark();
                p.ranges.set_start_mark_synced(true);
            }
            p.dirty = false;
            writes.push_back(std::move(w));
        }
        dirty_.clear();
    }
    if (writes.empty() && forgotten.empty()) return outcome::success();

    auto written = write(writes, forgotten);
    std::lock_guard lock(mu_);
    if (!written) {
        forgotten_.insert(forgotten_.end(), forgotten.begin(), forgotten.end());
    }
    for (auto& w : writes) {
        if (written) {
            w.entry->second.db_id = w.db_id;
        } else {
            w.entry->second.ranges.mark_unsynced(w.from, w.dropped_then);
            if (w.mark_changed) w.entry->second.ranges.set_start_mark_synced(false);
            mark_dirty(*w.entry);
        }
    }
    return written;
}

Result<void> OffsetRangeStore::write(
    std::vector<PendingWrite>& writes,
    const std::vector<std::pair<std::string, std::string>>& forgotten) {
    BOOST_OUTCOME_TRY(db_->exec("BEGIN IMMEDIATE"));
    auto done = [&]() -> Result<void> {
        BOOST_OUTCOME_TRY(forget_ranges,
                          db_->prepare("DELETE FROM offset_ranges WHERE partition_id IN "
                                       "(SELECT id FROM partitions WHERE flow = ?1 AND topic = ?2)"));
        BOOST_OUTCOME_TRY(
            forget_marks,
            db_->prepare("DELETE FROM start_marks WHERE partition_id IN "
                         "(SELECT id FROM partitions WHERE flow = ?1 AND topic = ?2)"));
        BOOST_OUTCOME_TRY(forget_partitions,
                          db_->prepare("DELETE FROM partitions WHERE flow = ?1 AND topic = ?2"));
        // First: a partition recorded again since it was forgotten is written
        // below as a new one.
        for (const auto& [flow, topic] : forgotten) {
            BOOST_OUTCOME_TRY(forget_ranges.bind(1, flow).bind(2, topic).run());
            BOOST_OUTCOME_TRY(forget_marks.bind(1, flow).bind(2, topic).run());
            BOOST_OUTCOME_TRY(forget_partitions.bind(1, flow).bind(2, topic).run());
        }
        BOOST_OUTCOME_TRY(add_partition,
                          db_->prepare("INSERT INTO partitions (flow, topic, partition_number) "
                                       "VALUES (?1, ?2, ?3)"));
        BOOST_OUTCOME_TRY(delete_all,
                          db_->prepare("DELETE FROM offset_ranges WHERE partition_id = ?1"));
        BOOST_OUTCOME_TRY(delete_before, db_->prepare("DELETE FROM offset_ranges WHERE "
                                                      "partition_id = ?1 AND target_start < ?2"));
        BOOST_OUTCOME_TRY(delete_from, db_->prepare("DELETE FROM offset_ranges WHERE "
                                                    "partition_id = ?1 AND target_start >= ?2"));
        BOOST_OUTCOME_TRY(insert, db_->prepare("INSERT INTO offset_ranges "
                                               "(partition_id, target_start, source_start, length, "
                                               "source_span) VALUES (?1, ?2, ?3, ?4, ?5)"));
        BOOST_OUTCOME_TRY(put_mark, db_->prepare("INSERT OR REPLACE INTO start_marks "
                                                 "(partition_id, source_offset, target_offset, "
                                                 "target_low) VALUES (?1, ?2, ?3, ?4)"));
        BOOST_OUTCOME_TRY(delete_mark,
                          db_->prepare("DELETE FROM start_marks WHERE partition_id = ?1"));
        for (auto& w : writes) {
            // Keys are immutable, and erased only by forget(), which waits for
            // db_mu_: readable without mu_.
            const Key& key = w.entry->first;
            if (w.db_id == 0) {
                BOOST_OUTCOME_TRY(add_partition.bind(1, key.flow)
                                      .bind(2, key.topic)
                                      .bind(3, key.partition)
                                      .run());
                w.db_id = db_->last_insert_rowid();
            }
            if (w.mark_changed && w.mark) {
                BOOST_OUTCOME_TRY(put_mark.bind(1, w.db_id)
                                      .bind(2, w.mark->source.value())
                                      .bind(3, w.mark->target.value())
                                      .bind(4, w.mark->target_low.value())
                                      .run());
            } else if (w.mark_changed) {
                BOOST_OUTCOME_TRY(delete_mark.bind(1, w.db_id).run());
            }
            if (!w.first_target) {
                BOOST_OUTCOME_TRY(delete_all.bind(1, w.db_id).run());
                continue;
            }
            BOOST_OUTCOME_TRY(
                delete_before.bind(1, w.db_id).bind(2, w.first_target->value()).run());
            if (w.rows.empty()) continue;
            BOOST_OUTCOME_TRY(
                delete_from.bind(1, w.db_id).bind(2, w.rows.front().target_start.value()).run());
            for (const RangeRow& row : w.rows) {
                BOOST_OUTCOME_TRY(insert.bind(1, w.db_id)
                                      .bind(2, row.target_start.value())
                                      .bind(3, row.source_start.value())
                                      .bind(4, row.length)
                                      .bind(5, row.source_span)
                                      .run());
            }
        }
        return db_->exec("COMMIT");
    }();
    if (!done) (void)db_->exec("ROLLBACK");
    return done;
}

Translation OffsetRangeStore::translate(std::string_view flow, std::string_view topic,
                                        std::int32_t partition, SourceOffset committed) const {
    std::lock_guard lock(mu_);
    const auto it = partitions_.find(KeyView{flow, topic, partition});
    if (it == partitions_.end()) return {TargetOffset(-1), Exactness::unknown, 0};
    return it->second.ranges.translate(committed);
}

void OffsetRangeStore::set_start_mark(std::string_view flow, std::string_view topic,
                                      std::int32_t partition, StartMark mark) {
    std::lock_guard lock(mu_);
    auto it = partitions_.find(KeyView{flow, topic, partition});
    if (it == partitions_.end()) {
        it = partitions_.try_emplace(Key{std::string(flow), std::string(topic), partition}).first;
    }
    it->second.ranges.set_start_mark(mark);
    if (it->second.ranges.start_mark_unsynced()) mark_dirty(*it);
}

std::optional<StartMark> OffsetRangeStore::start_mark(std::string_view flow,
                                                      std::string_view topic,
                                                      std::int32_t partition) const {
    std::lock_guard lock(mu_);
    const auto it = partitions_.find(KeyView{flow, topic, partition});
    if (it == partitions_.end()) return std::nullopt;
    return it->second.ranges.start_mark();
}

bool OffsetRangeStore::wants_start_mark(std::string_view flow, std::string_view topic,
                                        std::int32_t partition, SourceOffset start,
                                        TargetOffset target_high) const {
    std::lock_guard lock(mu_);
    const auto it = partitions_.find(KeyView{flow, topic, partition});
    return it == partitions_.end() || it->second.ranges.wants_start_mark(start, target_high);
}

void OffsetRangeStore::prune(std::string_view flow, std::string_view topic, std::int32_t partition,
                             TargetOffset target_low_watermark) {
    std::lock_guard lock(mu_);
    const auto it = partitions_.find(KeyView{flow, topic, partition});
    if (it == partitions_.end()) return;
    if (it->second.ranges.prune(target_low_watermark) > 0) mark_dirty(*it);
}

std::size_t OffsetRangeStore::forget(std::string_view flow, std::string_view topic) {
    // db_mu_ first: flush() writes through pointers into partitions_ without mu_.
    std::scoped_lock lock(db_mu_, mu_);
    std::size_t n = 0;
    for (auto it = partitions_.begin(); it != partitions_.end();) {
        if (it->first.flow != flow || it->first.topic != topic) {
            ++it;
            continue;
        }
        if (it->second.dirty) std::erase(dirty_, &*it);
        it = partitions_.erase(it);
        ++n;
    }
    forgotten_.emplace_back(std::string(flow), std::string(topic));
    return n;
}

std::map<std::string, std::vector<std::int32_t>> OffsetRangeStore::partitions(
    std::string_view flow) const {
    std::lock_guard lock(mu_);
    std::map<std::string, std::vector<std::int32_t>> out;
    for (const auto& [key, p] : partitions_) {
        if (key.flow == flow) out[key.topic].push_back(key.partition);
    }
    for (auto& [topic, list] : out) std::sort(list.begin(), list.end());
    return out;
}

std::vector<RangeRow> OffsetRangeStore::ranges(std::string_view flow, std::string_view topic,
                                               std::int32_t partition) const {
    std::lock_guard lock(mu_);
    const auto it = partitions_.find(KeyView{flow, topic, partition});
    if (it == partitions_.end()) return {};
    return it->second.ranges.rows();
}

}  // namespace kmirror::checkpoints
