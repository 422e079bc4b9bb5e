#pragma once
// MirrorMaker 2's internal records, byte for byte, so MM2's own tooling
// (RemoteClusterUtils, MirrorClient, the *Formatter classes) reads what
// kmirror writes, and kmirror reads what MM2 wrote.
//
// Layouts (reference/mirrormaker2.md §2; checked against apache/kafka
// connect/mirror-client/.../Checkpoint.java, Heartbeat.java and
// connect/mirror/.../OffsetSync.java). Kafka's protocol Schema types:
// INT16/INT32/INT64 big-endian; STRING = INT16 byte length (0..32767, not
// nullable) + UTF-8 bytes; fields in order, no tags, no padding.
//
//   OffsetSync  key   topic:STRING partition:INT32         (upstream topic)
//               value upstreamOffset:INT64 offset:INT64    (no version header)
//   Checkpoint  key   group:STRING topic:STRING partition:INT32   (target topic)
//               value version:INT16=0 upstreamOffset:INT64 offset:INT64 metadata:STRING
//   Heartbeat   key   sourceClusterAlias:STRING targetClusterAlias:STRING
//               value version:INT16=0 timestamp:INT64      (epoch ms)
//
// Decoders reject truncated input and negative STRING lengths, and ignore
// trailing bytes (as Java's Schema.read does). They also reject a value
// version other than 0: Java only `assert`s it, and a future layout read as
// V0 would give wrong offsets. Strings are kept as raw bytes (no UTF-8
// validation), so decode(encode(x)) == x for any x.

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "base/strong_int.h"

namespace kmirror::checkpoints {

/// An offset sync: upstream record `upstream` of (topic, partition) is at
/// `downstream` in the mirrored partition. `topic` is the SOURCE topic name.
struct OffsetSync {
    std::string topic;
    std::int32_t partition = 0;
    SourceOffset upstream;
    TargetOffset downstream;
    bool operator==(const OffsetSync&) const = default;
};

/// A translated committed offset of a consumer group. `topic` is the
/// TARGET-side name (e.g. "primary.orders"); `metadata` is the group's commit
/// metadata, "" when it has none (never null in MM2).
struct Checkpoint {
    std::string group;
    std::string topic;
    std::int32_t partition = 0;
    SourceOffset upstream;
    TargetOffset downstream;
    std::string metadata;
    bool operator==(const Checkpoint&) const = default;
};

/// A heartbeat emitted for the flow source_alias -> target_alias.
struct Heartbeat {
    std::string source_alias;
    std::string target_alias;
    std::int64_t timestamp_ms = 0;
    bool operator==(const Heartbeat&) const = default;
};

/// Key and value bytes of one Kafka record (no headers: MM2 writes none).
struct EncodedRecord {
    std::string key;
    std::string value;
    bool operator==(const EncodedRecord&) const = default;
};

/// Fails only with Errc::string_too_long (a string over 32767 bytes).
Result<EncodedRecord> encode(const OffsetSync& sync);
Result<EncodedRecord> encode(const Checkpoint& checkpoint);
Result<EncodedRecord> encode(const Heartbeat& heartbeat);

Result<OffsetSync> decode_offset_sync(std::string_view key, std::string_view value);
Result<Checkpoint> decode_checkpoint(std::string_view key, std::string_view value);
Result<Heartbeat> decode_heartbeat(std::string_view key, std::string_view value);

/// MM2's DefaultReplicationPolicy names. `separator` is the internal topic
/// separator: replication.policy.separator, or "." when
/// replication.policy.internal.topic.separator.enabled=false (KIP-949).
/// "mm2-offset-syncs" + sep + alias + sep + "internal"
std::string offset_syncs_topic(std::string_view cluster_alias, std::string_view separator = ".");
/// alias + sep + "checkpoints" + sep + "internal"
std::string checkpoints_topic(std::string_view cluster_alias, std::string_view separator = ".");
/// "heartbeats" (the separator does not apply).
std::string heartbeats_topic();

}  // namespace kmirror::checkpoints
