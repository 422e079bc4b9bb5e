#include "checkpoints/consumer_offsets_records.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>

#include "checkpoints/error.h"
#include "tests/unit/checkpoints/hex_bytes.h"

namespace kmirror::checkpoints {
namespace {

using namespace kmirror::literals;
using Kind = ConsumerOffsetsRecord::Kind;

using test::bytes;

// A heap copy of exactly s.size() bytes, so ASan reports any read past it
// (a std::string may have spare capacity after its last byte).
class ExactBuffer {
public:
    explicit ExactBuffer(std::string_view s)
        : data_(std::make_unique<char[]>(s.size())), size_(s.size()) {
        std::copy(s.begin(), s.end(), data_.get());
    }
    [[nodiscard]] std::string_view view() const { return {data_.get(), size_}; }

private:
    std::unique_ptr<char[]> data_;
    std::size_t size_;
};

Result<ConsumerOffsetsRecord> decode_exact(std::string_view key,
                                           std::optional<std::string_view> value) {
    const ExactBuffer k(key);
    if (!value) return decode_consumer_offsets_record(k.view(), std::nullopt);
    const ExactBuffer v(*value);
    return decode_consumer_offsets_record(k.view(), v.view());
}

// ("orders-app", "orders", 3) after the record type
const std::string kKeyBody =
    "00 0a 6f 72 64 65 72 73 2d 61 70 70  00 06 6f 72 64 65 72 73  00 00 00 03";
const GroupOffsetKey kKey{.group = "orders-app", .topic = "orders", .partition = 3};
// 1700000000000 ms, 1700086400000 ms (one day later)
const std::string kCommitTs = "00 00 01 8b cf e5 68 00";
const std::string kExpireTs = "00 00 01 8b d5 0b c4 00";
// the topic id 00112233-4455-6677-8899-aabbccddeeff
const std::string kTopicIdBytes = "00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff";
const TopicId kTopicId{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                       0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};

// --- offset commit keys ------------------------------------------------------

TEST(ConsumerOffsetsRecords, KeyVersionOneIsAnOffsetCommit) {
    // given key type 1 and a v3 value (what Kafka 2.1 .. 4.0 write)
    auto r = decode_exact(bytes("00 01 " + kKeyBody),
                          bytes("00 03  00 00 00 00 00 00 05 e6  00 00 00 07  00 04 6d 65 74 61 " +
                                kCommitTs));
    // then the group, topic and partition come from the key
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r.value().kind, Kind::offset_commit);
    EXPECT_EQ(r.value().record_type, 1);
    EXPECT_EQ(r.value().key, kKey);
    EXPECT_EQ(r.value().commit, (GroupOffsetCommit{.offset = 1510_src,
                                                   .metadata = "meta",
                                                   .commit_timestamp_ms = 1700000000000,
                                                   .leader_epoch = 7,
                                                   .expire_timestamp_ms = -1,
                                                   .topic_id = {}}));
}

TEST(ConsumerOffsetsRecords, KeyVersionZeroIsTheLegacyOffsetCommitWithTheSameLayout) {
    // given key type 0 (Kafka 0.8.2) and its value v0
    auto r = decode_exact(bytes("00 00 " + kKeyBody),
                          bytes("00 00  00 00 00 00 00 00 05 e6  00 00 " + kCommitTs));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r.value().kind, Kind::offset_commit);
    EXPECT_EQ(r.value().record_type, 0);
    EXPECT_EQ(r.value().key, kKey);
    EXPECT_EQ(r.value().commit.offset, 1510_src);
    EXPECT_EQ(r.value().commit.metadata, "");
    EXPECT_EQ(r.value().commit.commit_timestamp_ms, 1700000000000);
}

TEST(ConsumerOffsetsRecords, TheValueVersionDecidesTheLayoutWhateverTheKeyType) {
    // given key type 0 with a v3 value (Kafka never pairs them; decoding by
    // the value's own version still reads it right)
    auto r = decode_exact(bytes("00 00 " + kKeyBody),
                          bytes("00 03  00 00 00 00 00 00 00 01  00 00 00 02  00 00 " + kCommitTs));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r.value().commit.offset, 1_src);
    EXPECT_EQ(r.value().commit.leader_epoch, 2);
}

// --- every value version -----------------------------------------------------

TEST(ConsumerOffsetsRecords, ValueVersionZeroHasOffsetMetadataAndCommitTimestamp) {
    auto r = decode_exact(bytes("00 01 " + kKeyBody),
                          bytes("00 00  00 00 00 00 00 00 05 e6  00 01 6d  " + kCommitTs));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r.value().commit, (GroupOffsetCommit{.offset = 1510_src,
                                                   .metadata = "m",
                                                   .commit_timestamp_ms = 1700000000000,
                                                   .leader_epoch = -1,
                                                   .expire_timestamp_ms = -1,
                                                   .topic_id = {}}));
}

TEST(ConsumerOffsetsRecords, ValueVersionOneAddsTheExpireTimestampAfterTheCommitTimestamp) {
    // v1 is still written by Kafka 4.x when the commit carried a retention time
    auto r = decode_exact(
        bytes("00 01 " + kKeyBody),
        bytes("00 01  00 00 00 00 00 00 05 e6  00 01 6d  " + kCommitTs + " " + kExpireTs));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r.value().commit, (GroupOffsetCommit{.offset = 1510_src,
                                                   .metadata = "m",
                                                   .commit_timestamp_ms = 1700000000000,
                                                   .leader_epoch = -1,
                                                   .expire_timestamp_ms = 1700086400000,
                                                   .topic_id = {}}));
}

TEST(ConsumerOffsetsRecords, ValueVersionTwoDropsTheExpireTimestampAgain) {
    // given v2 followed by 8 more bytes: they are trailing, not an expiry
    auto r = decode_exact(
        bytes("00 01 " + kKeyBody),
        bytes("00 02  00 00 00 00 00 00 05 e6  00 00  " + kCommitTs + " " + kExpireTs));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r.value().commit.commit_timestamp_ms, 1700000000000);
    EXPECT_EQ(r.value().commit.expire_timestamp_ms, -1);
    EXPECT_EQ(r.value().commit.leader_epoch, -1);
}

TEST(ConsumerOffsetsRecords, ValueVersionThreeHasTheLeaderEpochBeforeTheMetadata) {
    // offset | epoch -1 | metadata "meta" | commit ts
    auto r = decode_exact(
        bytes("00 01 " + kKeyBody),
        bytes("00 03  7f ff ff ff ff ff ff fe  ff ff ff ff  00 04 6d 65 74 61  " + kCommitTs));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r.value().commit.offset, SourceOffset(0x7ffffffffffffffe));
    EXPECT_EQ(r.value().commit.leader_epoch, -1);
    EXPECT_EQ(r.value().commit.metadata, "meta");
    EXPECT_EQ(r.value().commit.commit_timestamp_ms, 1700000000000);
}

TEST(ConsumerOffsetsRecords, ValueVersionFourAsWrittenByKafka41Decodes) {
    // given the value bytes a Kafka 4.1.0 broker wrote (twmb/franz-go#1105):
    // 0004 | offset 2217128 | epoch -1 | COMPACT_STRING "" (01) | commit ts | no tags (00)
    auto r = decode_exact(bytes("00 01 " + kKeyBody),
                          bytes("00 04 00 00 00 00 00 21 d4 a8 ff ff ff ff 01 00 00 01 99 64 f2 "
                                "d8 36 00"));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r.value().kind, Kind::offset_commit);
    EXPECT_EQ(r.value().commit, (GroupOffsetCommit{.offset = 2217128_src,
                                                   .metadata = "",
                                                   .commit_timestamp_ms = 1758335260726,
                                                   .leader_epoch = -1,
                                                   .expire_timestamp_ms = -1,
                                                   .topic_id = {}}));
}

TEST(ConsumerOffsetsRecords, ValueVersionFourReadsTheTopicIdTagAndSkipsUnknownTags) {
    // given v4 with three tagged fields:
    //   tag 0 size 16: topicId     tag 7 size 2: unknown     tag 300 size 0: unknown
    // (300 = varint ac 02)
    auto r = decode_exact(bytes("00 01 " + kKeyBody),
                          bytes("00 04  00 00 00 00 00 00 05 e6  00 00 00 07  05 6d 65 74 61  " +
                                kCommitTs + "  03  00 10 " + kTopicIdBytes +
                                "  07 02 aa bb  ac 02 00"));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r.value().commit, (GroupOffsetCommit{.offset = 1510_src,
                                                   .metadata = "meta",
                                                   .commit_timestamp_ms = 1700000000000,
                                                   .leader_epoch = 7,
                                                   .expire_timestamp_ms = -1,
                                                   .topic_id = kTopicId}));
}

TEST(ConsumerOffsetsRecords, CompactStringLengthsUseMultiByteVarints) {
    // given 200 bytes of metadata: length + 1 = 201 = varint c9 01
    const std::string metadata(200, 'x');
    std::string value = bytes("00 04  00 00 00 00 00 00 00 2a  ff ff ff ff  c9 01");
    value += metadata;
    value += bytes(kCommitTs + " 00");
    auto r = decode_exact(bytes("00 01 " + kKeyBody), value);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r.value().commit.metadata, metadata);
    EXPECT_EQ(r.value().commit.offset, 42_src);
    EXPECT_EQ(r.value().commit.commit_timestamp_ms, 1700000000000);
}

TEST(ConsumerOffsetsRecords, StringsAreRawUtf8BytesCountedInBytes) {
    // "grüppe" is 6 characters, 7 bytes
    auto r = decode_exact(bytes("00 01  00 07 67 72 c3 bc 70 70 65  00 01 74  00 00 00 00"),
                          bytes("00 02  00 00 00 00 00 00 00 00  00 02 c3 b8  " + kCommitTs));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r.value().key, (GroupOffsetKey{"grüppe", "t", 0}));
    EXPECT_EQ(r.value().commit.metadata, "ø");
}

TEST(ConsumerOffsetsRecords, TrailingBytesAfterKeyAndValueAreIgnoredLikeJava) {
    auto r = decode_exact(bytes("00 01 " + kKeyBody + " de ad"),
                          bytes("00 03  00 00 00 00 00 00 05 e6  00 00 00 07  00 00 " + kCommitTs +
                                " be ef"));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r.value().key, kKey);
    EXPECT_EQ(r.value().commit.offset, 1510_src);
}

// --- tombstones ----------------------------------------------------------------

TEST(ConsumerOffsetsRecords, ANullValueOfAnOffsetKeyIsADeletion) {
    for (const char* type : {"00 00 ", "00 01 "}) {
        auto r = decode_exact(bytes(type + kKeyBody), std::nullopt);
        ASSERT_TRUE(r) << type << r.error().message();
        EXPECT_EQ(r.value().kind, Kind::offset_deleted);
        EXPECT_EQ(r.value().key, kKey);
        EXPECT_EQ(r.value().commit, GroupOffsetCommit{});
    }
}

TEST(ConsumerOffsetsRecords, AnEmptyValueIsNotATombstoneButTruncated) {
    auto r = decode_exact(bytes("00 01 " + kKeyBody), std::string_view{});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), Errc::truncated_record);
}

// --- other record types --------------------------------------------------------

TEST(ConsumerOffsetsRecords, GroupMetadataRecordsAreOtherAndTheirValueIsNotRead) {
    // given key type 2 ("orders-app") with a value that is no OffsetCommitValue
    const std::string key = bytes("00 02  00 0a 6f 72 64 65 72 73 2d 61 70 70");
    auto r = decode_exact(key, bytes("00 03 ff"));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r.value().kind, Kind::other);
    EXPECT_EQ(r.value().record_type, 2);
    EXPECT_EQ(r.value().key, GroupOffsetKey{});
    // and its tombstone (the group was deleted) is other too
    auto tombstone = decode_exact(key, std::nullopt);
    ASSERT_TRUE(tombstone);
    EXPECT_EQ(tombstone.value().kind, Kind::other);
}

TEST(ConsumerOffsetsRecords, NewProtocolShareStreamsAndFutureRecordTypesAreOther) {
    // 3..8 consumer groups (KIP-848), 9..15 share groups, 16 regexes, 17+
    // streams groups, then types no Kafka has written yet, and negative ones
    const std::pair<const char*, std::int16_t> types[] = {
        {"00 03", 3}, {"00 08", 8},       {"00 09", 9},   {"00 0f", 15},      {"00 10", 16},
        {"00 11", 17}, {"00 64", 100}, {"7f ff", 32767}, {"ff ff", -1}, {"80 00", -32768}};
    for (const auto& [hex, type] : types) {
        // whatever follows, even nothing or garbage, and whatever the value
        for (const char* rest : {"", "ff ff", "00 01 67"}) {
            for (const auto& value :
                 {std::optional<std::string>(bytes("ff")), std::optional<std::string>()}) {
                auto r = decode_exact(bytes(std::string(hex) + " " + rest), value);
                ASSERT_TRUE(r) << hex << " / " << rest;
                EXPECT_EQ(r.value().kind, Kind::other) << hex;
                EXPECT_EQ(r.value().record_type, type) << hex;
            }
        }
    }
}

// --- malformed input -------------------------------------------------------------

TEST(ConsumerOffsetsRecords, ANullKeyIsAnError) {
    auto r = decode_consumer_offsets_record(std::nullopt, bytes("00 00"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), Errc::missing_key);
}

TEST(ConsumerOffsetsRecords, EveryTruncationOfKeyOrValueIsRejectedWithoutOverRead) {
    // given a complete record of each value version, when any proper prefix
    // of the key or of the value is decoded, then it fails as truncated
    const std::string key = bytes("00 01 " + kKeyBody);
    const std::string values[] = {
        bytes("00 00  00 00 00 00 00 00 05 e6  00 01 6d  " + kCommitTs),
        bytes("00 01  00 00 00 00 00 00 05 e6  00 01 6d  " + kCommitTs + " " + kExpireTs),
        bytes("00 02  00 00 00 00 00 00 05 e6  00 01 6d  " + kCommitTs),
        bytes("00 03  00 00 00 00 00 00 05 e6  00 00 00 07  00 01 6d  " + kCommitTs),
        bytes("00 04  00 00 00 00 00 00 05 e6  00 00 00 07  02 6d  " + kCommitTs + "  02  00 10 " +
              kTopicIdBytes + "  ac 02 01 aa"),
    };
    for (const auto& value : values) {
        ASSERT_TRUE(decode_exact(key, value)) << "complete value v" << int{value[1]};
        for (std::size_t n = 0; n < value.size(); ++n) {
            auto r = decode_exact(key, std::string_view(value).substr(0, n));
            ASSERT_FALSE(r) << "v" << int{value[1]} << " value prefix " << n;
            EXPECT_EQ(r.error(), Errc::truncated_record) << "v" << int{value[1]} << " prefix " << n;
        }
    }
    for (std::size_t n = 0; n < key.size(); ++n) {
        for (const auto& value : {std::optional<std::string_view>(values[0]),
                                  std::optional<std::string_view>()}) {
            auto r = decode_exact(std::string_view(key).substr(0, n), value);
            ASSERT_FALSE(r) << "key prefix " << n;
            EXPECT_EQ(r.error(), Errc::truncated_record) << "key prefix " << n;
        }
    }
}

TEST(ConsumerOffsetsRecords, NullStringsAreRejectedAsTheFieldsAreNotNullable) {
    // given a key whose group length is -1 (a NULLABLE_STRING null)
    auto key = decode_exact(bytes("00 01  ff ff  00 01 74  00 00 00 00"), std::nullopt);
    ASSERT_FALSE(key);
    EXPECT_EQ(key.error(), Errc::negative_string_length);
    // a v3 value whose metadata length is -2
    auto v3 = decode_exact(bytes("00 01 " + kKeyBody),
                           bytes("00 03  00 00 00 00 00 00 00 01  00 00 00 00  ff fe " +
                                 kCommitTs));
    ASSERT_FALSE(v3);
    EXPECT_EQ(v3.error(), Errc::negative_string_length);
    // a v4 value whose COMPACT_STRING is null (length + 1 = 0)
    auto v4 = decode_exact(bytes("00 01 " + kKeyBody),
                           bytes("00 04  00 00 00 00 00 00 00 01  00 00 00 00  00 " + kCommitTs +
                                 " 00"));
    ASSERT_FALSE(v4);
    EXPECT_EQ(v4.error(), Errc::negative_string_length);
}

TEST(ConsumerOffsetsRecords, OverlongVarintsAndStringsAreMalformed) {
    const std::string key = bytes("00 01 " + kKeyBody);
    const std::string head = "00 04  00 00 00 00 00 00 00 01  00 00 00 00 ";
    // a compact length of 32768 bytes (varint 81 80 02 = 32769) is over Java's limit
    // a 0xffffffff length (ff ff ff ff 0f) too
    // a fifth varint byte above 0x0f does not fit 32 bits; a sixth byte never comes
    for (const char* bad : {"81 80 02", "ff ff ff ff 0f", "80 80 80 80 10", "ff ff ff ff ff 01"}) {
        auto r = decode_exact(key, bytes(head + bad + " 00 00 00 00 00 00 00 00 00"));
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error(), Errc::malformed_field) << bad;
    }
    // the longest valid compact string, 32767 bytes (varint 80 80 02 = 32768), decodes
    std::string longest = bytes(head + "80 80 02");
    longest += std::string(32767, 'm');
    longest += bytes(kCommitTs + " 00");
    auto ok = decode_exact(key, longest);
    ASSERT_TRUE(ok) << ok.error().message();
    EXPECT_EQ(ok.value().commit.metadata.size(), 32767u);
}

TEST(ConsumerOffsetsRecords, ATopicIdTagOfTheWrongSizeIsMalformed) {
    // given tag 0 with size 15: reading a UUID would shift the rest
    auto r = decode_exact(bytes("00 01 " + kKeyBody),
                          bytes("00 04  00 00 00 00 00 00 00 01  00 00 00 00  01 " + kCommitTs +
                                "  01  00 0f 00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), Errc::malformed_field);
}

TEST(ConsumerOffsetsRecords, UnknownValueVersionsAreRefusedNotGuessed) {
    for (const char* version : {"00 05", "7f ff", "ff ff"}) {
        auto r = decode_exact(bytes("00 01 " + kKeyBody),
                              bytes(std::string(version) +
                                    " 00 00 00 00 00 00 00 01  00 00 00 00  01 " + kCommitTs +
                                    " 00"));
        ASSERT_FALSE(r) << version;
        EXPECT_EQ(r.error(), Errc::unknown_value_version) << version;
    }
}

TEST(ConsumerOffsetsRecords, RandomGarbageNeverCrashesOrOverReads) {
    // given random keys and values, most starting like an offset commit so the
    // decoder gets deep into them; any result is fine, crashing is not
    std::mt19937 rng(20240601);  // fixed seed: reproducible
    std::uniform_int_distribution<int> byte(0, 255);
    std::uniform_int_distribution<std::size_t> length(0, 48);
    const std::string key_head = bytes("00 01 00 01 67 00 01 74");
    for (int i = 0; i < 20000; ++i) {
        std::string key = (i % 4 == 0) ? std::string() : key_head;
        for (std::size_t n = length(rng); n > 0; --n) key.push_back(static_cast<char>(byte(rng)));
        std::string value = bytes(i % 2 == 0 ? "00 04" : "00 03");
        for (std::size_t n = length(rng); n > 0; --n) value.push_back(static_cast<char>(byte(rng)));
        auto r = decode_exact(key, value);
        if (r && r.value().kind == Kind::offset_commit) {
            EXPECT_LE(r.value().commit.metadata.size(), value.size());
        }
    }
}

TEST(ConsumerOffsetsRecords, EverySingleByteCorruptionOfAV4RecordIsHandled) {
    const std::string key = bytes("00 01 " + kKeyBody);
    const std::string value =
        bytes("00 04  00 00 00 00 00 00 05 e6  00 00 00 07  05 6d 65 74 61  " + kCommitTs +
              "  02  00 10 " + kTopicIdBytes + "  07 02 aa bb");
    ASSERT_TRUE(decode_exact(key, value));
    for (std::size_t i = 0; i < value.size(); ++i) {
        for (const int b : {0x00, 0x01, 0x7f, 0x80, 0xff}) {
            std::string corrupt = value;
            corrupt[i] = static_cast<char>(b);
            (void)decode_exact(key, corrupt);  // must return, value or error
        }
    }
}

TEST(ConsumerOffsetsRecords, NewErrorsHaveReadableMessages) {
    EXPECT_NE(std::error_code(Errc::missing_key).message().find("null key"), std::string::npos);
    EXPECT_NE(std::error_code(Errc::malformed_field).message().find("malformed"),
              std::string::npos);
    EXPECT_NE(std::error_code(Errc::unknown_value_version).message().find("0..4"),
              std::string::npos);
    EXPECT_EQ(std::error_code(Errc::truncated_record).category().name(),
              std::string("checkpoints"));
}

}  // namespace
}  // namespace kmirror::checkpoints
