#pragma once
// The records of Kafka's internal `__consumer_offsets` topic, decoded byte for
// byte, so kmirror can follow the source cluster's consumer-group commits the
// way Burrow does: consume the topic (isolation.level=read_committed, so
// aborted transactional offset commits are never seen) and decode each record.
//
// Layouts, checked against apache/kafka (git mirror at commit
// 1eb7644349cb07139d6a3c1ad1986979647cac99, 2024-10-25, plus later stored
// versions of single files, commit given per file):
//   group-coordinator/src/main/resources/common/message/OffsetCommitKey.json,
//     OffsetCommitValue.json, GroupMetadataKey.json and the other *Key.json;
//     OffsetCommitValue.json again at 45b0af26e27ba05f79bc7e3f207683c51c0c11da
//     (4.0 layout: "coordinator-value", apiKey 1, still validVersions 0-4);
//     LegacyOffsetCommitKey.json / LegacyOffsetCommitValue.json (4.0: record
//     type 0, value version 0 only) at 3fcb1f54 / 09f382cf;
//   coordinator-common/.../runtime/CoordinatorRecordSerde.java (key = INT16
//     record type + key message; value = INT16 version + value message; a
//     tombstone is a null value);
//   group-coordinator/.../GroupCoordinatorRecordSerde.java (record types);
//   group-coordinator/.../GroupCoordinatorRecordHelpers.java and
//     server-common/.../MetadataVersion.java offsetCommitValueVersion()
//     (value version written: 1 when the commit has an expire timestamp, else 3);
//   core/.../CoordinatorLoaderImpl.scala (unknown record types are skipped);
//   generator/.../MessageDataGenerator.java and ByteUtils.readUnsignedVarint
//     (flexible-version encoding).
// Kafka 4.1.0 writes value version 4 (KAFKA-19141, apache/kafka#19683: a
// TopicId tagged field, tag 0). That revision of the source was not available
// to read; the v4 layout below follows the spec's "flexibleVersions": "4+" and
// the generator, and matches bytes a 4.1.0 broker wrote (twmb/franz-go#1105).
//
// Key: record type:INT16, then the key message. From Kafka 4.0 the prefix is
// the "coordinator-key" apiKey and the message is written at version 0, but
// the bytes are unchanged (keys are not flexible).
//   type 0, 1   offset commit   group:STRING topic:STRING partition:INT32
//   type 2      group metadata  group:STRING                  -> Kind::other
//   type 3..8   consumer groups of the new protocol (KIP-848) -> Kind::other
//   type 9..15  share groups (KIP-932); 16+ regexes, streams  -> Kind::other
//   any other type (also negative)                            -> Kind::other
// Value of an offset commit: version:INT16, then by version:
//   v0, v2  offset:INT64 metadata:STRING commitTimestamp:INT64
//   v1      offset:INT64 metadata:STRING commitTimestamp:INT64 expireTimestamp:INT64
//   v3      offset:INT64 leaderEpoch:INT32 metadata:STRING commitTimestamp:INT64
//   v4      offset:INT64 leaderEpoch:INT32 metadata:COMPACT_STRING
//           commitTimestamp:INT64 TAGGED_FIELDS   (tag 0 = topicId:UUID, 16 bytes)
//   null    tombstone: the offset was deleted (expired, group or topic deleted)
// INT16/32/64 big-endian; STRING = INT16 length (not nullable) + UTF-8 bytes;
// COMPACT_STRING = UNSIGNED_VARINT (length + 1, 0 = null, here an error) +
// bytes; TAGGED_FIELDS = UNSIGNED_VARINT count, then per field UNSIGNED_VARINT
// tag, UNSIGNED_VARINT size, size bytes. UNSIGNED_VARINT is at most 5 bytes.
//
// The value version is taken from the value, whatever the key type (Kafka
// pairs type 0 with v0 and type 1 with v1+). Trailing bytes after a message
// and unknown tagged fields are ignored, as Java's readers do. Truncated input,
// a null key, null or over-32767-byte strings, an over-long varint and a value
// version outside 0..4 are errors (KIP-915: a new version breaks old readers,
// so kmirror refuses to guess). Strings are kept as raw bytes.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "base/strong_int.h"

namespace kmirror::checkpoints {

/// A Kafka topic id (UUID bytes). All zero is Kafka's ZERO_UUID: not known.
using TopicId = std::array<std::uint8_t, 16>;

/// What an offset commit is about. `topic` is the SOURCE topic name.
struct GroupOffsetKey {
    std::string group;
    std::string topic;
    std::int32_t partition = 0;
    bool operator==(const GroupOffsetKey&) const = default;
};

/// One committed offset. Kafka defaults mark fields a version lacks.
struct GroupOffsetCommit {
    /// The next record the group will read (consumers commit last read + 1).
    SourceOffset offset;
    std::string metadata;  ///< "" when the client sent none
    std::int64_t commit_timestamp_ms = 0;
    std::int32_t leader_epoch = -1;          ///< v3+; -1 when unknown
    std::int64_t expire_timestamp_ms = -1;   ///< v1 only; -1 when none
    TopicId topic_id{};                      ///< v4 tag 0; zero when absent
    bool operator==(const GroupOffsetCommit&) const = default;
};

struct ConsumerOffsetsRecord {
    enum class Kind {
        offset_commit,   ///< `key` and `commit` are set
        offset_deleted,  ///< tombstone of an offset key: `key` is set
        /// Group metadata, records of new-protocol, share and streams groups,
        /// unknown record types: skip (only `record_type` is set).
        other,
    };
    Kind kind = Kind::other;
    std::int16_t record_type = 0;  ///< the key's leading INT16
    GroupOffsetKey key;
    GroupOffsetCommit commit;
    bool operator==(const ConsumerOffsetsRecord&) const = default;
};

/// Decodes one `__consumer_offsets` record; nullopt is a null key or value.
/// Fails with Errc::missing_key, truncated_record, negative_string_length,
/// malformed_field or unknown_value_version. Never reads past either view.
Result<ConsumerOffsetsRecord> decode_consumer_offsets_record(
    std::optional<std::string_view> key, std::optional<std::string_view> value);

}  // namespace kmirror::checkpoints
