#pragma once
// ProtocolReader: Kafka's protocol primitive types, read big-endian from a
// byte view (clients/.../protocol/types/Type.java): INT16/32/64, STRING,
// COMPACT_STRING, UNSIGNED_VARINT. Every read checks the remaining length
// first, so no input makes it read past the view. Shared by the decoders of
// MM2's records and of __consumer_offsets.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "checkpoints/error.h"

namespace kmirror::checkpoints {

class ProtocolReader {
public:
    // Java's generated readers reject longer strings.
    static constexpr std::uint32_t kMaxStringBytes = 0x7fff;
    // Java's ByteUtils.readUnsignedVarint reads at most 5 bytes (32 bits).
    static constexpr int kMaxVarintBytes = 5;

    explicit ProtocolReader(std::string_view in) : in_(in) {}

    Result<std::int16_t> int16() {
        BOOST_OUTCOME_TRY(v, get(2));
        return static_cast<std::int16_t>(static_cast<std::uint16_t>(v));
    }
    Result<std::int32_t> int32() {
        BOOST_OUTCOME_TRY(v, get(4));
        return static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
    }
    Result<std::int64_t> int64() {
        BOOST_OUTCOME_TRY(v, get(8));
        return static_cast<std::int64_t>(v);
    }
    /// STRING: INT16 length, not nullable.
    Result<std::string> string() {
        BOOST_OUTCOME_TRY(length, int16());
        if (length < 0) return Errc::negative_string_length;
        BOOST_OUTCOME_TRY(s, bytes(static_cast<std::size_t>(length)));
        return std::string(s);
    }
    /// COMPACT_STRING: UNSIGNED_VARINT length + 1, not nullable.
    Result<std::string> compact_string() {
        BOOST_OUTCOME_TRY(length_plus_one, unsigned_varint());
        if (length_plus_one == 0) return Errc::negative_string_length;
        const std::uint32_t length = length_plus_one - 1;
        if (length > kMaxStringBytes) return Errc::malformed_field;
        BOOST_OUTCOME_TRY(s, bytes(length));
        return std::string(s);
    }
    /// UNSIGNED_VARINT: 7 bits a byte, low bits first, at most 32 bits.
    Result<std::uint32_t> unsigned_varint() {
        std::uint32_t v = 0;
        for (int i = 0; i < kMaxVarintBytes; ++i) {
            if (pos_ == in_.size()) return Errc::truncated_record;
            const auto byte = static_cast<std::uint8_t>(in_[pos_++]);
            // The fifth byte carries bits 28..31 only.
            if (i == kMaxVarintBytes - 1 && byte > 0x0fU) return Errc::malformed_field;
            v |= static_cast<std::uint32_t>(byte & 0x7fU) << (7 * i);
            if ((byte & 0x80U) == 0) return v;
        }
        return Errc::malformed_field;  // unreachable: the fifth byte ends it
    }
    Result<std::string_view> bytes(std::size_t n) {
        if (in_.size() - pos_ < n) return Errc::truncated_record;
        const auto s = in_.substr(pos_, n);
        pos_ += n;
        return s;
    }

private:
    Result<std::uint64_t> get(std::size_t n) {
        BOOST_OUTCOME_TRY(s, bytes(n));
        std::uint64_t v = 0;
        for (const char c : s) v = (v << 8U) | static_cast<std::uint8_t>(c);
        return v;
    }
    std::string_view in_;
    std::size_t pos_ = 0;
};

}  // namespace kmirror::checkpoints
