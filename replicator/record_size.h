#pragma once
// What a target broker compares with a topic's `max.message.bytes`: the size
// of the record batch (Kafka's v2 format) that carries a record. A record
// alone in an uncompressed batch is the smallest that batch can be, so a
// record whose single-record batch exceeds the limit is refused whatever
// kmirror does, and is stopped before it is produced (a record refused
// after later ones were queued would leave them on the target after a gap).

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "kafka/message.h"

namespace kmirror::replicator {

/// RecordBatch header (magic 2): baseOffset .. recordsCount.
inline constexpr std::int64_t kRecordBatchHeader = 61;

/// The size of an uncompressed record batch holding only a record with this
/// key, value and headers.
std::int64_t single_record_batch_size(const std::optional<kafka::Bytes>& key,
                                      const std::optional<kafka::Bytes>& value,
                                      std::span<const kafka::HeaderView> headers);
/// The same for a consumed record, plus the header `extra_name`=`extra_value`
/// when `extra_name` is not empty (kmirror's provenance header).
std::int64_t single_record_batch_size(const kafka::Message& record,
                                      std::string_view extra_name = {},
                                      std::string_view extra_value = {});

}  // namespace kmirror::replicator
