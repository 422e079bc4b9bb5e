#pragma once
// SqliteDb: an open SQLite connection with Result-returning calls. Internal to
// checkpoints/ (it exposes <sqlite3.h>); not thread-safe: callers serialize.

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "checkpoints/sqlite_handles.h"
#include "checkpoints/sqlite_statement.h"

namespace kmirror::checkpoints {

class SqliteDb {
public:
    /// sqlite3_open_v2 with `flags` (SQLITE_OPEN_*); SQLITE_OPEN_NOMUTEX is added.
    static Result<SqliteDb> open(const std::string& path, int flags);

    /// Runs one or more statements that return no rows of interest.
    Result<void> exec(const char* sql);
    Result<SqliteStatement> prepare(std::string_view sql);
    /// The single value of a statement like "PRAGMA journal_mode".
    Result<std::string> query_text(std::string_view sql);
    Result<std::int64_t> query_int(std::string_view sql);

    [[nodiscard]] bool read_only() const noexcept;
    [[nodiscard]] std::int64_t last_insert_rowid() const noexcept;
    [[nodiscard]] sqlite3* get() const noexcept { return db_.get(); }

private:
    explicit SqliteDb(SqlitePtr db) : db_(std::move(db)) {}
    SqlitePtr db_;
};

}  // namespace kmirror::checkpoints
