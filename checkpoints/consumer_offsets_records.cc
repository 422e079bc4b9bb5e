#include "checkpoints/consumer_offsets_records.h"

#include "checkpoints/protocol_reader.h"

#include <algorithm>
#include <utility>

#include "checkpoints/error.h"

namespace kmirror::checkpoints {
namespace {

// Record types (the key's leading INT16) of an offset commit.
constexpr std::int16_t kLegacyOffsetCommitType = 0;
constexpr std::int16_t kOffsetCommitType = 1;
// OffsetCommitValue versions where fields come and go.
constexpr std::int16_t kExpireTimestampVersion = 1;  // the only one with it
constexpr std::int16_t kFirstLeaderEpochVersion = 3;
constexpr std::int16_t kFirstFlexibleVersion = 4;
constexpr std::int16_t kNewestValueVersion = 4;
// OffsetCommitValue's tagged field topicId (a 16-byte UUID).
constexpr std::uint32_t kTopicIdTag = 0;

Result<GroupOffsetKey> read_offset_key(ProtocolReader& key) {
    BOOST_OUTCOME_TRY(group, key.string());
    BOOST_OUTCOME_TRY(topic, key.string());
    BOOST_OUTCOME_TRY(partition, key.int32());
    return GroupOffsetKey{
        .group = std::move(group), .topic = std::move(topic), .partition = partition};
}

// The tagged-fields section ending a flexible version. Only topicId is known;
// other tags are skipped by their size, as Java keeps them as unknown fields.
Result<void> read_tagged_fields(ProtocolReader& value, GroupOffsetCommit& commit) {
    BOOST_OUTCOME_TRY(count, value.unsigned_varint());
    // Each field takes at least two bytes, so a bogus count ends as truncated.
    for (std::uint32_t i = 0; i < count; ++i) {
        BOOST_OUTCOME_TRY(tag, value.unsigned_varint());
        BOOST_OUTCOME_TRY(size, value.unsigned_varint());
        BOOST_OUTCOME_TRY(field, value.bytes(size));
        if (tag == kTopicIdTag) {
            // Java reads the UUID whatever the size says; a mismatch would
            // shift every later field, so it is an error here.
            if (field.size() != commit.topic_id.size()) return Errc::malformed_field;
            std::transform(field.begin(), field.end(), commit.topic_id.begin(),
                           [](char c) { return static_cast<std::uint8_t>(c); });
        }
    }
    return outcome::success();
}

Result<GroupOffsetCommit> read_offset_commit(ProtocolReader& value) {
    BOOST_OUTCOME_TRY(version, value.int16());
    if (version < 0 || version > kNewestValueVersion) return Errc::unknown_value_version;
    GroupOffsetCommit commit;
    BOOST_OUTCOME_TRY(offset, value.int64());
    commit.offset = SourceOffset(offset);
    if (version >= kFirstLeaderEpochVersion) {
        BOOST_OUTCOME_TRY(leader_epoch, value.int32());
        commit.leader_epoch = leader_epoch;
    }
    if (version >= kFirstFlexibleVersion) {
        BOOST_OUTCOME_TRY(metadata, value.compact_string());
        commit.metadata = std::move(metadata);
    } else {
        BOOST_OUTCOME_TRY(metadata, value.string());
        commit.metadata = std::move(metadata);
    }
    BOOST_OUTCOME_TRY(commit_timestamp_ms, value.int64());
    commit.commit_timestamp_ms = commit_timestamp_ms;
    if (version == kExpireTimestampVersion) {
        BOOST_OUTCOME_TRY(expire_timestamp_ms, value.int64());
        commit.expire_timestamp_ms = expire_timestamp_ms;
    }
    if (version >= kFirstFlexibleVersion) {
        BOOST_OUTCOME_TRY(read_tagged_fields(value, commit));
    }
    return commit;
}

}  // namespace

Result<ConsumerOffsetsRecord> decode_consumer_offsets_record(
    std::optional<std::string_view> key, std::optional<std::string_view> value) {
    if (!key) return Errc::missing_key;
    ProtocolReader k(*key);
    ConsumerOffsetsRecord record;
    BOOST_OUTCOME_TRY(record_type, k.int16());
    record.record_type = record_type;
    if (record_type != kLegacyOffsetCommitType && record_type != kOffsetCommitType) {
        // Kafka's loader skips record types it does not know; kmirror follows
        // offset commits only, so every other type is skipped undecoded.
        record.kind = ConsumerOffsetsRecord::Kind::other;
        return record;
    }
    BOOST_OUTCOME_TRY(offset_key, read_offset_key(k));
    record.key = std::move(offset_key);
    if (!value) {
        record.kind = ConsumerOffsetsRecord::Kind::offset_deleted;
        return record;
    }
    ProtocolReader v(*value);
    BOOST_OUTCOME_TRY(commit, read_offset_commit(v));
    record.kind = ConsumerOffsetsRecord::Kind::offset_commit;
    record.commit = std::move(commit);
    return record;
}

}  // namespace kmirror::checkpoints
