#include "checkpoints/sqlite_db.h"

#include "checkpoints/error.h"

namespace kmirror::checkpoints {

Result<SqliteDb> SqliteDb::open(const std::string& path, int flags) {
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
    SqlitePtr db(raw);  // sqlite3_open_v2 may return a handle even on failure
    if (rc != SQLITE_OK) {
        return make_sqlite_error(raw != nullptr ? sqlite3_extended_errcode(raw) : rc);
    }
    sqlite3_extended_result_codes(db.get(), 1);
    return SqliteDb(std::move(db));
}

Result<void> SqliteDb::exec(const char* sql) {
    const int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return make_sqlite_error(sqlite3_extended_errcode(db_.get()));
    return outcome::success();
}

Result<SqliteStatement> SqliteDb::prepare(std::string_view sql) {
    sqlite3_stmt* raw = nullptr;
    const int rc =
        sqlite3_prepare_v2(db_.get(), sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
    SqliteStmtPtr stmt(raw);
    if (rc != SQLITE_OK) return make_sqlite_error(sqlite3_extended_errcode(db_.get()));
    return SqliteStatement(std::move(stmt));
}

Result<std::string> SqliteDb::query_text(std::string_view sql) {
    BOOST_OUTCOME_TRY(stmt, prepare(sql));
    BOOST_OUTCOME_TRY(row, stmt.step());
    if (!row) return std::string();
    return stmt.column_text(0);
}

Result<std::int64_t> SqliteDb::query_int(std::string_view sql) {
    BOOST_OUTCOME_TRY(stmt, prepare(sql));
    BOOST_OUTCOME_TRY(row, stmt.step());
    if (!row) return std::int64_t{0};
    return stmt.column_int(0);
}

bool SqliteDb::read_only() const noexcept { return sqlite3_db_readonly(db_.get(), "main") == 1; }

std::int64_t SqliteDb::last_insert_rowid() const noexcept {
    return sqlite3_last_insert_rowid(db_.get());
}

}  // namespace kmirror::checkpoints
