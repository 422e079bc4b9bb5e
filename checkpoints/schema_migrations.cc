#include "checkpoints/schema_migrations.h"

#include <array>
#include <string>

#include "checkpoints/error.h"
#include "checkpoints/sqlite_db.h"

namespace kmirror::checkpoints {
namespace {

// migrations[i] takes a store from version i to version i + 1. Append only:
// never edit a step that has shipped.
constexpr std::array<const char*, kSchemaVersion> kMigrations = {
    // 0 -> 1: the first schema.
    R"sql(
    CREATE TABLE kmirror_schema (version INTEGER NOT NULL);
    INSERT INTO kmirror_schema (version) VALUES (0);
    CREATE TABLE partitions (
        id INTEGER PRIMARY KEY,
        flow TEXT NOT NULL,
        topic TEXT NOT NULL,
        partition_number INTEGER NOT NULL,
        UNIQUE (flow, topic, partition_number));
    CREATE TABLE offset_ranges (
        partition_id INTEGER NOT NULL REFERENCES partitions (id),
        target_start INTEGER NOT NULL,
        source_start INTEGER NOT NULL,
        length INTEGER NOT NULL CHECK (length >= 1),
        PRIMARY KEY (partition_id, target_start)) WITHOUT ROWID;
    )sql",
    // 1 -> 2: coalesced rows (range_row.h): the source offsets a row spans; 0 = length.
    R"sql(
    ALTER TABLE offset_ranges ADD COLUMN source_span INTEGER NOT NULL DEFAULT 0
        CHECK (source_span = 0 OR source_span > length);
    )sql",
    // 2 -> 3: start marks (start_mark.h), at most one per partition.
    R"sql(
    CREATE TABLE start_marks (
        partition_id INTEGER PRIMARY KEY REFERENCES partitions (id),
        source_offset INTEGER NOT NULL CHECK (source_offset >= 0),
        target_offset INTEGER NOT NULL CHECK (target_offset >= 0),
        target_low INTEGER NOT NULL CHECK (target_low >= 0 AND target_low <= target_offset));
    )sql",
};

bool is_not_a_database(const std::error_code& ec) {
    return ec.category() == sqlite_category() && (ec.value() & 0xff) == SQLITE_NOTADB;
}

// SQLite reports some damage as errors rather than quick_check rows.
std::error_code as_corruption(const std::error_code& ec) {
    if (ec.category() == sqlite_category() && (ec.value() & 0xff) == SQLITE_CORRUPT) {
        return Errc::corrupt_store;
    }
    return ec;
}

Result<void> check_integrity(SqliteDb& db) {
    BOOST_OUTCOME_TRY(stmt, db.prepare("PRAGMA quick_check"));
    BOOST_OUTCOME_TRY(row, stmt.step());
    if (!row || stmt.column_text(0) != "ok") return Errc::corrupt_store;
    return outcome::success();
}

Result<int> inspect(SqliteDb& db) {
    auto tables = db.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' "
        "ESCAPE '\\'");
    if (!tables) {
        if (is_not_a_database(tables.error())) return Errc::not_a_store;
        return tables.error();
    }
    bool any_table = false;
    bool schema_table = false;
    for (;;) {
        auto row = tables.value().step();
        if (!row) {
            if (is_not_a_database(row.error())) return Errc::not_a_store;
            return row.error();
        }
        if (!row.value()) break;
        any_table = true;
        if (tables.value().column_text(0) == "kmirror_schema") schema_table = true;
    }
    BOOST_OUTCOME_TRY(application_id, db.query_int("PRAGMA application_id"));
    if (application_id != 0 && application_id != kApplicationId) return Errc::not_a_store;
    if (!any_table) return 0;
    if (!schema_table) return Errc::not_a_store;

    BOOST_OUTCOME_TRY(versions, db.prepare("SELECT version FROM kmirror_schema"));
    BOOST_OUTCOME_TRY(row, versions.step());
    if (!row) return Errc::corrupt_store;
    const std::int64_t version = versions.column_int(0);
    BOOST_OUTCOME_TRY(more, versions.step());
    if (more || version < 0) return Errc::corrupt_store;
    if (version > kSchemaVersion) return Errc::newer_schema;
    return static_cast<int>(version);
}

}  // namespace

Result<int> inspect_schema(SqliteDb& db) {
    auto version = inspect(db);
    if (version && version.value() > 0) {
        auto intact = check_integrity(db);
        if (!intact) return as_corruption(intact.error());
    }
    if (!version) return as_corruption(version.error());
    return version;
}

Result<void> migrate_schema(SqliteDb& db) {
    BOOST_OUTCOME_TRY(db.exec("BEGIN IMMEDIATE"));
    auto migrated = [&]() -> Result<void> {
        BOOST_OUTCOME_TRY(from, inspect(db));
        for (int v = from; v < kSchemaVersion; ++v) {
            BOOST_OUTCOME_TRY(db.exec(kMigrations.at(static_cast<std::size_t>(v))));
        }
        if (from < kSchemaVersion) {
            const std::string set_version =
                "UPDATE kmirror_schema SET version = " + std::to_string(kSchemaVersion) +
                "; PRAGMA application_id = " + std::to_string(kApplicationId) + ";";
            BOOST_OUTCOME_TRY(db.exec(set_version.c_str()));
        }
        return outcome::success();
    }();
    if (!migrated) {
        (void)db.exec("ROLLBACK");
        return migrated.error();
    }
    return db.exec("COMMIT");
}

}  // namespace kmirror::checkpoints
