#include "checkpoints/offset_range_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <thread>
#include <vector>

#include "checkpoints/error.h"
#include "checkpoints/schema_migrations.h"
#include "checkpoints/sqlite_db.h"  // to craft foreign and newer files; checkpoints-internal
#include "temp_dir.h"

namespace kmirror::checkpoints {
namespace {

using namespace kmirror::literals;
using testing::read_bytes;
using testing::TempDir;
using testing::write_bytes;
namespace fs = std::filesystem;

std::unique_ptr<OffsetRangeStore> open_store(const std::string& path) {
    auto store = OffsetRangeStore::open(path);
    EXPECT_TRUE(store) << path << ": " << (store ? "" : store.error().message());
    return store ? std::move(store).value() : nullptr;
}

void record_run(OffsetRangeStore& store, std::string_view flow, std::string_view topic,
                std::int32_t partition, SourceOffset src, TargetOffset tgt, std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i) store.record(flow, topic, partition, src + i, tgt + i);
}

std::int64_t count_rows(const std::string& path) {
    auto db = SqliteDb::open(path, SQLITE_OPEN_READONLY);
    if (!db) return -1;
    auto n = db.value().query_int("SELECT count(*) FROM offset_ranges");
    return n ? n.value() : -1;
}

// Runs `fn` in a child process (as user nobody when we are root, so file
// permissions apply) and returns its exit code.
int run_unprivileged(const std::function<int()>& fn) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(100);
        ::_exit(fn());
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// --- open, refuse, migrate -------------------------------------------------

TEST(OffsetRangeStore, CreatesANewStoreWithTheCurrentSchemaInWalMode) {
    TempDir dir;
    const auto path = dir.file("state.db");
    ASSERT_NE(open_store(path), nullptr);

    auto db = SqliteDb::open(path, SQLITE_OPEN_READONLY);
    ASSERT_TRUE(db);
    EXPECT_EQ(db.value().query_int("SELECT version FROM kmirror_schema").value(), kSchemaVersion);
    EXPECT_EQ(db.value().query_int("PRAGMA application_id").value(), kApplicationId);
    EXPECT_EQ(db.value().query_text("PRAGMA journal_mode").value(), "wal");
}

TEST(OffsetRangeStore, DataSurvivesAFlushAndAReopen) {
    // given  two flows and partitions, flushed
    //   primary->dr orders-0   [100..109]->0  [120..124]->10
    //   primary->dr orders-1   [7..8]->70
    //   other->dr   orders-0   [0..2]->5
    TempDir dir;
    const auto path = dir.file("state.db");
    {
        auto store = open_store(path);
        ASSERT_NE(store, nullptr);
        record_run(*store, "primary->dr", "orders", 0, 100_src, 0_tgt, 10);
        record_run(*store, "primary->dr", "orders", 0, 120_src, 10_tgt, 5);
        record_run(*store, "primary->dr", "orders", 1, 7_src, 70_tgt, 2);
        record_run(*store, "other->dr", "orders", 0, 0_src, 5_tgt, 3);
        ASSERT_TRUE(store->flush());
    }
    // when reopened
    auto store = open_store(path);
    ASSERT_NE(store, nullptr);
    // then every range is back and translates as before
    EXPECT_EQ(store->ranges("primary->dr", "orders", 0),
              (std::vector<RangeRow>{{100_src, 0_tgt, 10}, {120_src, 10_tgt, 5}}));
    EXPECT_EQ(store->ranges("primary->dr", "orders", 1),
              (std::vector<RangeRow>{{7_src, 70_tgt, 2}}));
    EXPECT_EQ(store->ranges("other->dr", "orders", 0), (std::vector<RangeRow>{{0_src, 5_tgt, 3}}));
    EXPECT_EQ(store->translate("primary->dr", "orders", 0, 122_src),
              (Translation{12_tgt, Exactness::exact, 0}));
    EXPECT_EQ(store->translate("primary->dr", "orders", 0, 110_src),
              (Translation{10_tgt, Exactness::exact, 0}));
    EXPECT_EQ(store->translate("primary->dr", "orders", 2, 5_src).exactness, Exactness::unknown);
}

TEST(OffsetRangeStore, AdoptsAnEmptyFileAndAnEmptySqliteDatabase) {
    TempDir dir;
    write_bytes(dir.file("empty.db"), "");
    EXPECT_NE(open_store(dir.file("empty.db")), nullptr);

    {
        auto db = SqliteDb::open(dir.file("blank.db"), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
        ASSERT_TRUE(db);
        ASSERT_TRUE(db.value().exec("CREATE TABLE t (a); DROP TABLE t;"));
    }
    ASSERT_GT(fs::file_size(dir.file("blank.db")), 0u);
    auto store = open_store(dir.file("blank.db"));
    ASSERT_NE(store, nullptr);
    auto db = SqliteDb::open(dir.file("blank.db"), SQLITE_OPEN_READONLY);
    EXPECT_EQ(db.value().query_int("SELECT version FROM kmirror_schema").value(), kSchemaVersion);
}

TEST(OffsetRangeStore, RefusesAFileThatIsNotSqliteAndLeavesItUnchanged) {
    TempDir dir;
    const auto path = dir.file("state.db");
    std::string garbage = "this is a kmirror.yaml, not a database\n";
    while (garbage.size() < 8192) garbage += garbage;
    write_bytes(path, garbage);

    auto store = OffsetRangeStore::open(path);
    ASSERT_FALSE(store);
    EXPECT_EQ(store.error(), Errc::not_a_store);
    EXPECT_NE(store.error().message().find("not a kmirror offset store"), std::string::npos);
    EXPECT_EQ(read_bytes(path), garbage);
    EXPECT_FALSE(fs::exists(path + "-wal"));
    EXPECT_FALSE(fs::exists(path + "-shm"));
}

TEST(OffsetRangeStore, RefusesAnotherApplicationsSqliteDatabaseAndLeavesItUnchanged) {
    TempDir dir;
    const auto path = dir.file("crm.db");
    {
        auto db = SqliteDb::open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
        ASSERT_TRUE(db);
        ASSERT_TRUE(
            db.value().exec("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);"
                            "INSERT INTO customers (name) VALUES ('ada'), ('grace');"));
    }
    const std::string before = read_bytes(path);

    auto store = OffsetRangeStore::open(path);
    ASSERT_FALSE(store);
    EXPECT_EQ(store.error(), Errc::not_a_store);
    EXPECT_EQ(read_bytes(path), before);
    EXPECT_FALSE(fs::exists(path + "-wal"));
}

TEST(OffsetRangeStore, APartitionWithEndlessGapsStaysWithinItsRowBudgetOnDisk) {
    // given a compacted partition: every other source offset is gone
    TempDir dir;
    const auto path = dir.file("state.db");
    const auto budget = static_cast<std::int64_t>(OffsetRangeStore::kMaxRowsPerPartition);
    const std::int64_t records = 10 * budget;
    {
        auto store = open_store(path);
        ASSERT_NE(store, nullptr);
        for (std::int64_t i = 0; i < records; ++i) {
            store->record("f", "compacted", 0, SourceOffset(2 * i), TargetOffset(i));
            if (i % 1000 == 0) {
                ASSERT_TRUE(store->flush());
            }
        }
        ASSERT_TRUE(store->flush());
        // then memory and disk hold at most the budget
        EXPECT_LE(static_cast<std::int64_t>(store->ranges("f", "compacted", 0).size()), budget);
        EXPECT_LE(count_rows(path), budget);
    }
    // and a reopened store answers as before: exact at the head, never ahead at the start
    auto store = open_store(path);
    ASSERT_NE(store, nullptr);
    EXPECT_LE(count_rows(path), budget);
    EXPECT_EQ(store->translate("f", "compacted", 0, SourceOffset(2 * (records - 5))),
              (Translation{TargetOffset(records - 5), Exactness::exact, 0}));
    const auto old = store->translate("f", "compacted", 0, SourceOffset(2 * 100));
    EXPECT_EQ(old.exactness, Exactness::conservative);
    EXPECT_LE(old.offset, TargetOffset(100));
}

TEST(OffsetRangeStore, AStoreOfSchemaVersion1IsMigratedAndKeepsItsRanges) {
    // given a store as kmirror wrote it before coalesced rows (version 1)
    TempDir dir;
    const auto path = dir.file("state.db");
    {
        auto db = SqliteDb::open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
        ASSERT_TRUE(db);
        ASSERT_TRUE(db.value().exec(R"sql(
            CREATE TABLE kmirror_schema (version INTEGER NOT NULL);
            INSERT INTO kmirror_schema (version) VALUES (1);
            CREATE TABLE partitions (
                id INTEGER PRIMARY KEY, flow TEXT NOT NULL, topic TEXT NOT NULL,
                partition_number INTEGER NOT NULL, UNIQUE (flow, topic, partition_number));
            CREATE TABLE offset_ranges (
                partition_id INTEGER NOT NULL REFERENCES partitions (id),
                target_start INTEGER NOT NULL, source_start INTEGER NOT NULL,
                length INTEGER NOT NULL CHECK (length >= 1),
                PRIMARY KEY (partition_id, target_start)) WITHOUT ROWID;
            INSERT INTO partitions VALUES (1, 'f', 'orders', 0);
            INSERT INTO offset_ranges VALUES (1, 0, 100, 10), (1, 10, 120, 5);
        )sql"));
        const std::string id = "PRAGMA application_id = " + std::to_string(kApplicationId);
        ASSERT_TRUE(db.value().exec(id.c_str()));
    }
    // when this kmirror opens it
    auto store = open_store(path);
    ASSERT_NE(store, nullptr);
    // then its ranges are there, and it is at the current version
    EXPECT_EQ(store->ranges("f", "orders", 0),
              (std::vector<RangeRow>{{100_src, 0_tgt, 10}, {120_src, 10_tgt, 5}}));
    record_run(*store, "f", "orders", 0, 125_src, 15_tgt, 2);
    ASSERT_TRUE(store->flush());
    auto db = SqliteDb::open(path, SQLITE_OPEN_READONLY);
    ASSERT_TRUE(db);
    EXPECT_EQ(db.value().query_int("SELECT version FROM kmirror_schema").value(), kSchemaVersion);
}

TEST(OffsetRangeStore, RefusesAStoreWithANewerSchemaAndLeavesItUnchanged) {
    // given a store written by a future kmirror (schema version + 1)
    TempDir dir;
    const auto path = dir.file("state.db");
    {
        auto store = open_store(path);
        ASSERT_NE(store, nullptr);
        record_run(*store, "f", "t", 0, 0_src, 0_tgt, 5);
        ASSERT_TRUE(store->flush());
    }
    {
        auto db = SqliteDb::open(path, SQLITE_OPEN_READWRITE);
        ASSERT_TRUE(db);
        const std::string bump =
            "UPDATE kmirror_schema SET version = " + std::to_string(kSchemaVersion + 1);
        ASSERT_TRUE(db.value().exec(bump.c_str()));
    }
    const std::string before = read_bytes(path);
    // when this kmirror opens it
    auto store = OffsetRangeStore::open(path);
    // then it refuses, and the file is byte-for-byte the same
    ASSERT_FALSE(store);
    EXPECT_EQ(store.error(), Errc::newer_schema);
    EXPECT_NE(store.error().message().find("newer kmirror"), std::string::npos);
    EXPECT_EQ(read_bytes(path), before);
}

TEST(OffsetRangeStore, RefusesACorruptStore) {
    TempDir dir;
    const auto path = dir.file("state.db");
    {
        auto store = open_store(path);
        ASSERT_NE(store, nullptr);
        for (std::int64_t i = 0; i < 2000; ++i)
            store->record("f", "t", 0, SourceOffset(3 * i), TargetOffset(i));
        ASSERT_TRUE(store->flush());
    }
    // overwrite the third page (a b-tree page of the store) with garbage
    std::string bytes = read_bytes(path);
    ASSERT_GT(bytes.size(), 4u * 4096);
    std::fill(bytes.begin() + 2 * 4096, bytes.begin() + 3 * 4096, '\x5a');
    write_bytes(path, bytes);

    auto store = OffsetRangeStore::open(path);
    ASSERT_FALSE(store);
    EXPECT_EQ(store.error(), Errc::corrupt_store) << store.error().message();
    EXPECT_EQ(read_bytes(path), bytes);
}

TEST(OffsetRangeStore, ReportsAMissingDirectory) {
    TempDir dir;
    auto store = OffsetRangeStore::open(dir.file("no-such-dir/state.db"));
    ASSERT_FALSE(store);
    EXPECT_EQ(store.error(), Errc::missing_directory);
    EXPECT_EQ(store.error().message(), "the directory of the offset store does not exist");
    EXPECT_FALSE(fs::exists(dir.file("no-such-dir")));
}

TEST(OffsetRangeStore, ReportsAReadOnlyLocation) {
    // given a directory nobody may write to, holding an existing store
    TempDir dir;
    fs::permissions(dir.path(), fs::perms::owner_all | fs::perms::group_read |
                                    fs::perms::group_exec | fs::perms::others_read |
                                    fs::perms::others_exec);
    const auto ro = dir.path() / "ro";
    fs::create_directory(ro);
    { ASSERT_NE(open_store((ro / "existing.db").string()), nullptr); }
    fs::permissions(ro / "existing.db",
                    fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
    fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                            fs::perms::group_exec | fs::perms::others_read |
                            fs::perms::others_exec);
    const std::string before = read_bytes((ro / "existing.db").string());
    auto expect_read_only = [](const std::string& path) {
        return [path] {
            auto store = OffsetRangeStore::open(path);
            if (store) return 2;
            return store.error() == Errc::read_only_location ? 0 : 1;
        };
    };
    // when a new store or the existing one is opened there (as a normal user)
    // then both are refused as read-only
    EXPECT_EQ(run_unprivileged(expect_read_only((ro / "new.db").string())), 0);
    EXPECT_EQ(run_unprivileged(expect_read_only((ro / "existing.db").string())), 0);
    EXPECT_EQ(read_bytes((ro / "existing.db").string()), before);
    EXPECT_NE(std::error_code(Errc::read_only_location).message().find("not writable"),
              std::string::npos);
}

// --- batching and durability -----------------------------------------------

TEST(OffsetRangeStore, RecordsStayInMemoryUntilOneFlushWritesThemAll) {
    // given 10,000 acknowledgements in 100 ranges of 100 records
    //   source [0..99] [200..299] [400..499] ...
    //   target [0..99] [100..199] [200..299] ...
    TempDir dir;
    const auto path = dir.file("state.db");
    auto store = open_store(path);
    ASSERT_NE(store, nullptr);
    for (std::int64_t r = 0; r < 100; ++r) {
        record_run(*store, "f", "t", 0, SourceOffset(200 * r), TargetOffset(100 * r), 100);
    }
    // then nothing is on disk yet, but translation already knows them
    EXPECT_EQ(count_rows(path), 0);
    EXPECT_EQ(store->translate("f", "t", 0, 250_src), (Translation{150_tgt, Exactness::exact, 0}));
    // when flushed once
    ASSERT_TRUE(store->flush());
    // then all 100 rows are there; a second flush has nothing to do
    EXPECT_EQ(count_rows(path), 100);
    ASSERT_TRUE(store->flush());
    EXPECT_EQ(count_rows(path), 100);
}

TEST(OffsetRangeStore, AForgottenTopicIsGoneFromMemoryAndFromTheFileAfterTheNextFlush) {
    // given topics "gone" (2 partitions, one not flushed yet) and "kept" of flow f,
    //       and "gone" of flow g
    TempDir dir;
    const auto path = dir.file("state.db");
    auto store = open_store(path);
    ASSERT_NE(store, nullptr);
    record_run(*store, "f", "gone", 0, 0_src, 0_tgt, 5);
    record_run(*store, "f", "kept", 0, 0_src, 0_tgt, 5);
    record_run(*store, "g", "gone", 0, 0_src, 0_tgt, 5);
    ASSERT_TRUE(store->flush());
    record_run(*store, "f", "gone", 1, 0_src, 0_tgt, 5);
    EXPECT_EQ(store->partitions("f"), (std::map<std::string, std::vector<std::int32_t>>{
                                          {"gone", {0, 1}}, {"kept", {0}}}));
    // when f's "gone" is forgotten
    EXPECT_EQ(store->forget("f", "gone"), 2u);
    // then only that topic of that flow is gone, at once in memory...
    EXPECT_EQ(store->partitions("f"),
              (std::map<std::string, std::vector<std::int32_t>>{{"kept", {0}}}));
    EXPECT_EQ(store->translate("f", "gone", 0, 2_src).exactness, Exactness::unknown);
    EXPECT_EQ(store->ranges("g", "gone", 0).size(), 1u);
    // ...and in the file after the next flush
    EXPECT_EQ(count_rows(path), 3);
    ASSERT_TRUE(store->flush());
    EXPECT_EQ(count_rows(path), 2);
    // and a topic of that name mirrored again later starts afresh
    record_run(*store, "f", "gone", 0, 100_src, 7_tgt, 2);
    ASSERT_TRUE(store->flush());
    store.reset();
    auto reopened = open_store(path);
    ASSERT_NE(reopened, nullptr);
    EXPECT_EQ(reopened->ranges("f", "gone", 0), (std::vector<RangeRow>{{100_src, 7_tgt, 2}}));
    EXPECT_TRUE(reopened->ranges("f", "gone", 1).empty());
    EXPECT_EQ(reopened->ranges("f", "kept", 0).size(), 1u);
}

TEST(OffsetRangeStore, TheOpenRangeKeepsGrowingAcrossFlushes) {
    // [0..4]->0, flush, [5..9]->5, flush  ==  one row [0..9]->0 on disk
    TempDir dir;
    const auto path = dir.file("state.db");
    {
        auto store = open_store(path);
        record_run(*store, "f", "t", 0, 0_src, 0_tgt, 5);
        ASSERT_TRUE(store->flush());
        record_run(*store, "f", "t", 0, 5_src, 5_tgt, 5);
        ASSERT_TRUE(store->flush());
    }
    EXPECT_EQ(count_rows(path), 1);
    EXPECT_EQ(open_store(path)->ranges("f", "t", 0), (std::vector<RangeRow>{{0_src, 0_tgt, 10}}));
}

TEST(OffsetRangeStore, AKillMinus9LeavesAStoreThatLagsButIsNeverWrong) {
    // given a kmirror process that flushed source 0..99 -> target 0..99,
    //       then copied 100..199 -> 100..199 and was killed before flushing
    //   source  0 ..... 99 | 100 .... 199
    //   target  0 ..... 99 | 100 .... 199   (not in the store)
    TempDir dir;
    const auto path = dir.file("state.db");
    const pid_t pid = ::fork();
    if (pid == 0) {
        auto store = OffsetRangeStore::open(path);
        if (!store) ::_exit(1);
        record_run(*store.value(), "f", "orders", 0, 0_src, 0_tgt, 100);
        if (!store.value()->flush()) ::_exit(2);
        record_run(*store.value(), "f", "orders", 0, 100_src, 100_tgt, 100);
        ::kill(::getpid(), SIGKILL);
        ::_exit(3);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;

    // when the store is reopened
    auto store = open_store(path);
    ASSERT_NE(store, nullptr);
    // then it knows the flushed part only
    EXPECT_EQ(store->ranges("f", "orders", 0), (std::vector<RangeRow>{{0_src, 0_tgt, 100}}));
    // and translations are exact there, and never past what it knows beyond
    EXPECT_EQ(store->translate("f", "orders", 0, 50_src),
              (Translation{50_tgt, Exactness::exact, 0}));
    EXPECT_EQ(store->translate("f", "orders", 0, 150_src),
              (Translation{100_tgt, Exactness::conservative, 0}));

    // when the restarted mirror resumes at its committed offset 120 and copies
    // 120..129 -> 200..209
    //   target  0 .. 99 | 100 .. 199 (hole: the lost tail) | 200 .. 209
    record_run(*store, "f", "orders", 0, 120_src, 200_tgt, 10);
    // then a group at 150 still resumes at the hole: 150 is only there so far
    EXPECT_EQ(store->translate("f", "orders", 0, 150_src).offset, 100_tgt);
    EXPECT_EQ(store->translate("f", "orders", 0, 110_src).offset, 100_tgt);
    // and once the new session has copied the hole's worth again, 150 is exact
    record_run(*store, "f", "orders", 0, 130_src, 210_tgt, 90);
    EXPECT_EQ(store->translate("f", "orders", 0, 150_src),
              (Translation{230_tgt, Exactness::exact, 0}));
    EXPECT_EQ(store->translate("f", "orders", 0, 110_src).offset, 100_tgt);
}

// --- pruning and target changes on disk ------------------------------------

TEST(OffsetRangeStore, PruneIsWrittenByTheNextFlush) {
    // rows [0..9]->0  [20..29]->10  [40..49]->20; target low watermark 20
    TempDir dir;
    const auto path = dir.file("state.db");
    {
        auto store = open_store(path);
        record_run(*store, "f", "t", 0, 0_src, 0_tgt, 10);
        record_run(*store, "f", "t", 0, 20_src, 10_tgt, 10);
        record_run(*store, "f", "t", 0, 40_src, 20_tgt, 10);
        ASSERT_TRUE(store->flush());
        store->prune("f", "t", 0, 20_tgt);
        store->prune("f", "t", 9, 20_tgt);  // unknown partition: nothing to do
        EXPECT_EQ(store->ranges("f", "t", 0), (std::vector<RangeRow>{{40_src, 20_tgt, 10}}));
        EXPECT_EQ(count_rows(path), 3);
        ASSERT_TRUE(store->flush());
    }
    EXPECT_EQ(count_rows(path), 1);
    auto store = open_store(path);
    EXPECT_EQ(store->ranges("f", "t", 0), (std::vector<RangeRow>{{40_src, 20_tgt, 10}}));
    EXPECT_EQ(store->translate("f", "t", 0, 5_src).exactness, Exactness::unknown);
}

TEST(OffsetRangeStore, ATargetThatWentBackwardsIsRewrittenOnDisk) {
    TempDir dir;
    const auto path = dir.file("state.db");
    {
        auto store = open_store(path);
        record_run(*store, "f", "t", 0, 0_src, 0_tgt, 10);
        ASSERT_TRUE(store->flush());
        // the target log was cut at 5: source 100 lands at 5
        store->record("f", "t", 0, 100_src, 5_tgt);
        ASSERT_TRUE(store->flush());
    }
    EXPECT_EQ(open_store(path)->ranges("f", "t", 0),
              (std::vector<RangeRow>{{0_src, 0_tgt, 5}, {100_src, 5_tgt, 1}}));
}

TEST(OffsetRangeStore, RecordsFromManyThreadsWhileFlushingAreAllKept) {
    TempDir dir;
    const auto path = dir.file("state.db");
    auto store = open_store(path);
    ASSERT_NE(store, nullptr);
    std::atomic<bool> done{false};
    std::thread flusher([&] {
        while (!done.load()) EXPECT_TRUE(store->flush());
    });
    std::vector<std::thread> delivery;
    for (std::int32_t p = 0; p < 4; ++p) {
        delivery.emplace_back([&store, p] {
            // a gap every 50 records: 40 ranges of 50 per partition
            for (std::int64_t i = 0; i < 2000; ++i) {
                store->record("f", "t", p, SourceOffset(i + i / 50), TargetOffset(i));
            }
        });
    }
    for (auto& t : delivery) t.join();
    done = true;
    flusher.join();
    ASSERT_TRUE(store->flush());
    std::vector<std::vector<RangeRow>> in_memory;
    for (std::int32_t p = 0; p < 4; ++p) in_memory.push_back(store->ranges("f", "t", p));
    store.reset();

    // record i is source i + i / 50 at target i: row k is [51k..51k+49] -> 50k
    std::vector<RangeRow> expected;
    for (std::int64_t k = 0; k < 40; ++k) {
        expected.push_back({SourceOffset(51 * k), TargetOffset(50 * k), 50});
    }
    auto reopened = open_store(path);
    for (std::int32_t p = 0; p < 4; ++p) {
        EXPECT_EQ(in_memory[static_cast<std::size_t>(p)], expected) << "partition " << p;
        EXPECT_EQ(reopened->ranges("f", "t", p), expected) << "partition " << p;
    }
}

// --- size ------------------------------------------------------------------

TEST(OffsetRangeStore, MeasuresBytesPerRangeOnDisk) {
    // 10,000 ranges of one partition (a transactional source: every commit
    // marker starts a range), offsets past 2^32, versus a store with one range.
    // The connection is closed before measuring: the WAL is checkpointed
    // into the main file and removed.
    constexpr std::int64_t kRanges = 10'000;
    TempDir dir;
    auto size_with = [&](const std::string& name, std::int64_t ranges) {
        const auto path = dir.file(name);
        {
            auto store = open_store(path);
            const SourceOffset src(5'000'000'000);
            const TargetOffset tgt(4'000'000'000);
            for (std::int64_t r = 0; r < ranges; ++r) {
                // 99 records, then the source skips a control record
                record_run(*store, "primary->dr", "orders", 7, src + 100 * r, tgt + 99 * r, 99);
            }
            EXPECT_TRUE(store->flush());
        }
        EXPECT_FALSE(fs::exists(path + "-wal"));
        return static_cast<double>(fs::file_size(path));
    };
    const double one = size_with("one.db", 1);
    const double many = size_with("many.db", kRanges);
    const double per_range = (many - one) / static_cast<double>(kRanges - 1);
    std::cout << "[ measure  ] offset store: " << per_range << " bytes per range on disk ("
              << static_cast<std::int64_t>(many) << " bytes for " << kRanges << " ranges, "
              << static_cast<std::int64_t>(one) << " bytes for 1)\n";
    RecordProperty("bytes_per_range", std::to_string(per_range));
    EXPECT_LT(per_range, 48.0);
}

}  // namespace
}  // namespace kmirror::checkpoints
