#pragma once
// Errors of the checkpoints library as std::error_code (STYLE.md rule 8):
//   error_category()  - kmirror's own conditions: malformed MM2 and
//                       __consumer_offsets records, and stores that open()
//                       refuses to touch;
//   sqlite_category() - raw SQLite result codes (message: sqlite3_errstr).
// Messages are written to be shown after the file name, e.g.
//   "/var/lib/kmirror/state.db: not a kmirror offset store (...)".

#include <system_error>

namespace kmirror::checkpoints {

enum class Errc {
    // MM2 record codecs (mm2_records.h); the first two also for consumer_offsets_records.h
    truncated_record = 1,    ///< fewer bytes than the schema needs
    negative_string_length,  ///< STRING length < 0 / null COMPACT_STRING (not nullable)
    string_too_long,         ///< STRING over 32767 bytes cannot be encoded
    unsupported_version,     ///< Checkpoint/Heartbeat value version other than 0
    // Offset range store (offset_range_store.h)
    missing_directory,   ///< the directory of the store file does not exist
    read_only_location,  ///< the file or its directory is not writable
    not_a_store,         ///< not SQLite, or SQLite with tables kmirror did not create
    newer_schema,        ///< written by a newer kmirror; left untouched
    corrupt_store,       ///< PRAGMA quick_check failed, or rows break the store's invariants
    // __consumer_offsets records (consumer_offsets_records.h)
    missing_key,            ///< null key (Kafka never writes one)
    malformed_field,        ///< varint over 5 bytes, string over 32767, bad tagged field
    unknown_value_version,  ///< OffsetCommit value version outside 0..4
};

const std::error_category& error_category() noexcept;
const std::error_category& sqlite_category() noexcept;

std::error_code make_error_code(Errc e) noexcept;
/// An error_code from a SQLite result code (primary or extended).
std::error_code make_sqlite_error(int sqlite_result_code) noexcept;

}  // namespace kmirror::checkpoints

template <>
struct std::is_error_code_enum<kmirror::checkpoints::Errc> : std::true_type {};
