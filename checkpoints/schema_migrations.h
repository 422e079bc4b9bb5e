#pragma once
// The on-disk schema of the offset range store and its forward migrations.
// Internal to checkpoints/.
//
// A store is recognised by its `kmirror_schema` table (one row: the schema
// version) and by PRAGMA application_id = kApplicationId ("kmir"). Version 0
// means an empty database (a new file), which migrate() initialises.
//
// Schema v1:
//   kmirror_schema(version)
//   partitions(id, flow, topic, partition_number)          -- (flow, source topic, partition)
//   offset_ranges(partition_id, target_start, source_start, length)
//       PRIMARY KEY (partition_id, target_start), WITHOUT ROWID

#include <cstdint>

#include "base/result.h"

namespace kmirror::checkpoints {

class SqliteDb;

inline constexpr int kSchemaVersion = 3;
inline constexpr std::int32_t kApplicationId = 0x6b6d6972;  // "kmir"

/// Read-only look at a database: its schema version (0: empty database).
/// Errc::not_a_store for a non-SQLite file or foreign tables,
/// Errc::newer_schema above kSchemaVersion, Errc::corrupt_store when
/// PRAGMA quick_check fails. Writes nothing.
Result<int> inspect_schema(SqliteDb& db);

/// Brings the database to kSchemaVersion in one transaction (re-inspecting it
/// inside the transaction, so a concurrent opener cannot race it).
Result<void> migrate_schema(SqliteDb& db);

}  // namespace kmirror::checkpoints
