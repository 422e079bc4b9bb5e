#pragma once
// SqliteStatement: a prepared statement with Result-returning step().
// Internal to checkpoints/.

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "checkpoints/sqlite_handles.h"

namespace kmirror::checkpoints {

class SqliteStatement {
public:
    explicit SqliteStatement(SqliteStmtPtr stmt) : stmt_(std::move(stmt)) {}

    /// Parameters are 1-based, as in sqlite3_bind_*.
    SqliteStatement& bind(int index, std::int64_t value);
    SqliteStatement& bind(int index, std::string_view text);
    /// True when a row is available, false when done.
    Result<bool> step();
    /// Steps to completion, ignoring rows, then resets for the next bindings.
    Result<void> run();
    void reset() noexcept;

    [[nodiscard]] std::int64_t column_int(int index) const noexcept;
    [[nodiscard]] std::string column_text(int index) const;

private:
    SqliteStmtPtr stmt_;
    int bind_error_ = SQLITE_OK;  // first bind failure, reported by step()
};

}  // namespace kmirror::checkpoints
