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
                return "record is truncated (fewer bytes than its schema needs)";
            case Errc::negative_string_length:
                return "record has a negative STRING length (the string is not nullable)";
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
            case Errc::missing_key:
                return "__consumer_offsets record has a null key";
            case Errc::malformed_field:
                return "__consumer_offsets record has a malformed field (varint over 5 bytes, "
                       "string over 32767 bytes, or a tagged field of the wrong size)";
            case Errc::unknown_value_version:
                return "__consumer_offsets OffsetCommit value has a version kmirror does not "
                       "know (not 0..4)";
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
