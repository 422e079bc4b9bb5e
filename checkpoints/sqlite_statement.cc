#include "checkpoints/sqlite_statement.h"

#include "checkpoints/error.h"

namespace kmirror::checkpoints {

SqliteStatement& SqliteStatement::bind(int index, std::int64_t value) {
    const int rc = sqlite3_bind_int64(stmt_.get(), index, value);
    if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) bind_error_ = rc;
    return *this;
}

SqliteStatement& SqliteStatement::bind(int index, std::string_view text) {
    const int rc = sqlite3_bind_text64(stmt_.get(), index, text.data(), text.size(),
                                       SQLITE_TRANSIENT, SQLITE_UTF8);
    if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) bind_error_ = rc;
    return *this;
}

Result<bool> SqliteStatement::step() {
    if (bind_error_ != SQLITE_OK) return make_sqlite_error(bind_error_);
    const int rc = sqlite3_step(stmt_.get());
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return make_sqlite_error(sqlite3_extended_errcode(sqlite3_db_handle(stmt_.get())));
}

Result<void> SqliteStatement::run() {
    for (;;) {
        auto more = step();
        if (!more) {
            reset();
            return more.error();
        }
        if (!more.value()) break;
    }
    reset();
    return outcome::success();
}

void SqliteStatement::reset() noexcept {
    sqlite3_reset(stmt_.get());
    sqlite3_clear_bindings(stmt_.get());
    bind_error_ = SQLITE_OK;
}

std::int64_t SqliteStatement::column_int(int index) const noexcept {
    return sqlite3_column_int64(stmt_.get(), index);
}

std::string SqliteStatement::column_text(int index) const {
    const auto* text = sqlite3_column_text(stmt_.get(), index);
    const int bytes = sqlite3_column_bytes(stmt_.get(), index);
    if (text == nullptr) return {};
    return {reinterpret_cast<const char*>(text), static_cast<std::size_t>(bytes)};
}

}  // namespace kmirror::checkpoints
