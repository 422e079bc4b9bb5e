#include "checkpoints/error.h"

#include <sqlite3.h>

#include <string>

namespace kmirror::checkpoints {
namespace {

class CheckpointsCategory final : public std::error_category {
public:
    [[nodiscard]] const char* name() const noexcept override { return "checkpoints"; }
    [[nodiscard]] std::string message(int ev) const override {
        switch (static_cast<Errc>(ev)) {
            case Errc::truncated_record:
                return "MM2 record is truncated (fewer bytes than its schema needs)";
            case Errc::negative_string_length:
                return "MM2 record has a negative STRING length (STRING is not nullable)";
            case Errc::string_too_long:
                return "string longer than 32767 bytes cannot be written as an MM2 STRING";
            case Errc::unsupported_version:
                return "MM2 record value has a version other than 0";
            case Errc::missing_directory:
                return "the directory of the offset store does not exist";
            case Errc::read_only_location:
                return "the offset store or its directory is not writable";
            case Errc::not_a_store:
                return "not a kmirror offset store (not an SQLite database, or one with "
                       "tables kmirror did not create); it was left unchanged";
            case Errc::newer_schema:
                return "the offset store was written by a newer kmirror (newer schema "
                       "version); it was left unchanged";
            case Errc::corrupt_store:
                return "the offset store is corrupt (PRAGMA quick_check or a row check "
                       "failed); move it aside, kmirror rebuilds ranges as it mirrors";
        }
        return "unknown checkpoints error " + std::to_string(ev);
    }
};

class SqliteCategory final : public std::error_category {
public:
    [[nodiscard]] const char* name() const noexcept override { return "sqlite"; }
    [[nodiscard]] std::string message(int ev) const override { return sqlite3_errstr(ev); }
};

}  // namespace

const std::error_category& error_category() noexcept {
    static const CheckpointsCategory category;
    return category;
}

const std::error_category& sqlite_category() noexcept {
    static const SqliteCategory category;
    return category;
}

std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), error_category()}; }

std::error_code make_sqlite_error(int sqlite_result_code) noexcept {
    return {sqlite_result_code, sqlite_category()};
}

}  // namespace kmirror::checkpoints
