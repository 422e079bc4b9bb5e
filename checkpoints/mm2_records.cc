#include "checkpoints/mm2_records.h"

#include "checkpoints/protocol_reader.h"

#include <limits>
#include <utility>

#include "checkpoints/error.h"

namespace kmirror::checkpoints {
namespace {

constexpr std::int16_t kRecordVersion = 0;
constexpr std::size_t kMaxStringBytes = std::numeric_limits<std::int16_t>::max();

// Kafka's protocol types, big-endian (Java ByteBuffer's default order).
class Writer {
public:
    void int16(std::int16_t v) { put(static_cast<std::uint16_t>(v), 2); }
    void int32(std::int32_t v) { put(static_cast<std::uint32_t>(v), 4); }
    void int64(std::int64_t v) { put(static_cast<std::uint64_t>(v), 8); }
    /// False when the string does not fit an INT16 length.
    [[nodiscard]] bool string(std::string_view s) {
        if (s.size() > kMaxStringBytes) return false;
        int16(static_cast<std::int16_t>(s.size()));
        out_.append(s);
        return true;
    }
    std::string take() { return std::move(out_); }

private:
    void put(std::uint64_t v, int bytes) {
        for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8) {
            out_.push_back(static_cast<char>((v >> shift) & 0xffU));
        }
    }
    std::string out_;
};


Result<void> read_version(ProtocolReader& value) {
    BOOST_OUTCOME_TRY(version, value.int16());
    if (version != kRecordVersion) return Errc::unsupported_version;
    return outcome::success();
}

}  // namespace

Result<EncodedRecord> encode(const OffsetSync& sync) {
    Writer key;
    if (!key.string(sync.topic)) return Errc::string_too_long;
    key.int32(sync.partition);
    Writer value;
    value.int64(sync.upstream.value());
    value.int64(sync.downstream.value());
    return EncodedRecord{key.take(), value.take()};
}

Result<EncodedRecord> encode(const Checkpoint& checkpoint) {
    Writer key;
    if (!key.string(checkpoint.group) || !key.string(checkpoint.topic)) {
        return Errc::string_too_long;
    }
    key.int32(checkpoint.partition);
    Writer value;
    value.int16(kRecordVersion);
    value.int64(checkpoint.upstream.value());
    value.int64(checkpoint.downstream.value());
    if (!value.string(checkpoint.metadata)) return Errc::string_too_long;
    return EncodedRecord{key.take(), value.take()};
}

Result<EncodedRecord> encode(const Heartbeat& heartbeat) {
    Writer key;
    if (!key.string(heartbeat.source_alias) || !key.string(heartbeat.target_alias)) {
        return Errc::string_too_long;
    }
    Writer value;
    value.int16(kRecordVersion);
    value.int64(heartbeat.timestamp_ms);
    return EncodedRecord{key.take(), value.take()};
}

Result<OffsetSync> decode_offset_sync(std::string_view key, std::string_view value) {
    ProtocolReader k(key);
    ProtocolReader v(value);
    BOOST_OUTCOME_TRY(topic, k.string());
    BOOST_OUTCOME_TRY(partition, k.int32());
    BOOST_OUTCOME_TRY(upstream, v.int64());
    BOOST_OUTCOME_TRY(downstream, v.int64());
    return OffsetSync{.topic = std::move(topic),
                      .partition = partition,
                      .upstream = SourceOffset(upstream),
                      .downstream = TargetOffset(downstream)};
}

Result<Checkpoint> decode_checkpoint(std::string_view key, std::string_view value) {
    ProtocolReader k(key);
    ProtocolReader v(value);
    BOOST_OUTCOME_TRY(group, k.string());
    BOOST_OUTCOME_TRY(topic, k.string());
    BOOST_OUTCOME_TRY(partition, k.int32());
    BOOST_OUTCOME_TRY(read_version(v));
    BOOST_OUTCOME_TRY(upstream, v.int64());
    BOOST_OUTCOME_TRY(downstream, v.int64());
    BOOST_OUTCOME_TRY(metadata, v.string());
    return Checkpoint{.group = std::move(group),
                      .topic = std::move(topic),
                      .partition = partition,
                      .upstream = SourceOffset(upstream),
                      .downstream = TargetOffset(downstream),
                      .metadata = std::move(metadata)};
}

Result<Heartbeat> decode_heartbeat(std::string_view key, std::string_view value) {
    ProtocolReader k(key);
    ProtocolReader v(value);
    BOOST_OUTCOME_TRY(source_alias, k.string());
    BOOST_OUTCOME_TRY(target_alias, k.string());
    BOOST_OUTCOME_TRY(read_version(v));
    BOOST_OUTCOME_TRY(timestamp_ms, v.int64());
    return Heartbeat{.source_alias = std::move(source_alias),
                     .target_alias = std::move(target_alias),
                     .timestamp_ms = timestamp_ms};
}

std::string offset_syncs_topic(std::string_view cluster_alias, std::string_view separator) {
    std::string name = "mm2-offset-syncs";
    name.append(separator).append(cluster_alias).append(separator).append("internal");
    return name;
}

std::string checkpoints_topic(std::string_view cluster_alias, std::string_view separator) {
    std::string name(cluster_alias);
    name.append(separator).append("checkpoints").append(separator).append("internal");
    return name;
}

std::string heartbeats_topic() { return "heartbeats"; }

}  // namespace kmirror::checkpoints
