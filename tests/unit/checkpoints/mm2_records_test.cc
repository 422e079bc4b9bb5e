#include "checkpoints/mm2_records.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <sstream>
#include <string>

#include "checkpoints/error.h"
#include "tests/unit/checkpoints/hex_bytes.h"

namespace kmirror::checkpoints {
namespace {

using namespace kmirror::literals;

using test::bytes;

// Worked examples of reference/mirrormaker2.md §2.

TEST(Mm2Records, HeartbeatMatchesTheWorkedExampleByteForByte) {
    // given primary -> backup at 1700000000000 ms (0x18BCFE56800)
    const Heartbeat heartbeat{
        .source_alias = "primary", .target_alias = "backup", .timestamp_ms = 1700000000000};
    // when encoded
    auto encoded = encode(heartbeat);
    // then key = STRING STRING, value = version 0 + INT64
    ASSERT_TRUE(encoded);
    EXPECT_EQ(encoded.value().key, bytes("00 07 70 72 69 6d 61 72 79  00 06 62 61 63 6b 75 70"));
    EXPECT_EQ(encoded.value().value, bytes("00 00  00 00 01 8b cf e5 68 00"));
    EXPECT_EQ(encoded.value().key.size(), 17u);
    EXPECT_EQ(encoded.value().value.size(), 10u);
}

TEST(Mm2Records, CheckpointMatchesTheWorkedExampleByteForByte) {
    // given orders-app, primary.orders-3, upstream 1510 -> downstream 1401, no metadata
    const Checkpoint checkpoint{.group = "orders-app",
                                .topic = "primary.orders",
                                .partition = 3,
                                .upstream = 1510_src,
                                .downstream = 1401_tgt,
                                .metadata = ""};
    auto encoded = encode(checkpoint);
    ASSERT_TRUE(encoded);
    EXPECT_EQ(encoded.value().key,
              bytes("00 0a 6f 72 64 65 72 73 2d 61 70 70  "
                    "00 0e 70 72 69 6d 61 72 79 2e 6f 72 64 65 72 73  00 00 00 03"));
    EXPECT_EQ(encoded.value().value,
              bytes("00 00  00 00 00 00 00 00 05 e6  00 00 00 00 00 00 05 79  00 00"));
    EXPECT_EQ(encoded.value().key.size(), 32u);
    EXPECT_EQ(encoded.value().value.size(), 20u);
}

TEST(Mm2Records, OffsetSyncMatchesTheWorkedExampleWithoutAVersionHeader) {
    // given orders-3, upstream 1500 -> downstream 1400
    const OffsetSync sync{
        .topic = "orders", .partition = 3, .upstream = 1500_src, .downstream = 1400_tgt};
    auto encoded = encode(sync);
    ASSERT_TRUE(encoded);
    EXPECT_EQ(encoded.value().key, bytes("00 06 6f 72 64 65 72 73  00 00 00 03"));
    EXPECT_EQ(encoded.value().value, bytes("00 00 00 00 00 00 05 dc  00 00 00 00 00 00 05 78"));
}

TEST(Mm2Records, WorkedExamplesDecodeBackToTheirValues) {
    auto heartbeat = decode_heartbeat(bytes("00 07 70 72 69 6d 61 72 79 00 06 62 61 63 6b 75 70"),
                                      bytes("00 00 00 00 01 8b cf e5 68 00"));
    ASSERT_TRUE(heartbeat);
    EXPECT_EQ(heartbeat.value(), (Heartbeat{"primary", "backup", 1700000000000}));

    auto checkpoint = decode_checkpoint(
        bytes("00 0a 6f 72 64 65 72 73 2d 61 70 70 00 0e 70 72 69 6d 61 72 79 2e 6f 72 64 65 72 "
              "73 00 00 00 03"),
        bytes("00 00 00 00 00 00 00 00 05 e6 00 00 00 00 00 00 05 79 00 00"));
    ASSERT_TRUE(checkpoint);
    EXPECT_EQ(checkpoint.value(),
              (Checkpoint{"orders-app", "primary.orders", 3, 1510_src, 1401_tgt, ""}));

    auto sync = decode_offset_sync(bytes("00 06 6f 72 64 65 72 73 00 00 00 03"),
                                   bytes("00 00 00 00 00 00 05 dc 00 00 00 00 00 00 05 78"));
    ASSERT_TRUE(sync);
    EXPECT_EQ(sync.value(), (OffsetSync{"orders", 3, 1500_src, 1400_tgt}));
}

TEST(Mm2Records, EmptyStringsAreAZeroLength) {
    auto encoded = encode(Checkpoint{"", "", 0, 0_src, 0_tgt, ""});
    ASSERT_TRUE(encoded);
    EXPECT_EQ(encoded.value().key, bytes("00 00  00 00  00 00 00 00"));
    EXPECT_EQ(encoded.value().value, bytes("00 00  00 00 00 00 00 00 00 00  "
                                           "00 00 00 00 00 00 00 00  00 00"));
    auto decoded = decode_checkpoint(encoded.value().key, encoded.value().value);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded.value(), (Checkpoint{"", "", 0, 0_src, 0_tgt, ""}));
}

TEST(Mm2Records, ExtremeIntegersAreBigEndianTwosComplement) {
    constexpr auto max = std::numeric_limits<std::int64_t>::max();
    const OffsetSync sync{.topic = "t",
                          .partition = std::numeric_limits<std::int32_t>::max(),
                          .upstream = SourceOffset(max),
                          .downstream = TargetOffset(-1)};
    auto encoded = encode(sync);
    ASSERT_TRUE(encoded);
    EXPECT_EQ(encoded.value().key, bytes("00 01 74  7f ff ff ff"));
    EXPECT_EQ(encoded.value().value, bytes("7f ff ff ff ff ff ff ff  ff ff ff ff ff ff ff ff"));
    auto decoded = decode_offset_sync(encoded.value().key, encoded.value().value);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded.value(), sync);

    const Heartbeat heartbeat{"a", "b", std::numeric_limits<std::int64_t>::min()};
    auto hb = encode(heartbeat);
    ASSERT_TRUE(hb);
    EXPECT_EQ(hb.value().value, bytes("00 00  80 00 00 00 00 00 00 00"));
    EXPECT_EQ(decode_heartbeat(hb.value().key, hb.value().value).value(), heartbeat);
}

TEST(Mm2Records, UnicodeNamesAreLengthPrefixedInUtf8Bytes) {
    // given names whose UTF-8 byte length differs from their character count
    const std::string topic = "zamówienia.注文";  // 14 characters, 18 bytes
    const Checkpoint checkpoint{.group = "grüppe",
                                .topic = topic,
                                .partition = 1,
                                .upstream = 10_src,
                                .downstream = 9_tgt,
                                .metadata = "ø"};
    auto encoded = encode(checkpoint);
    ASSERT_TRUE(encoded);
    // then each STRING starts with its byte length: "grüppe" is 7 bytes
    EXPECT_EQ(encoded.value().key.substr(0, 9), bytes("00 07 67 72 c3 bc 70 70 65"));
    EXPECT_EQ(static_cast<unsigned char>(encoded.value().key[9]), 0);
    EXPECT_EQ(static_cast<std::size_t>(static_cast<unsigned char>(encoded.value().key[10])),
              topic.size());
    EXPECT_EQ(encoded.value().value.substr(18), bytes("00 02 c3 b8"));
    auto decoded = decode_checkpoint(encoded.value().key, encoded.value().value);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded.value(), checkpoint);
}

TEST(Mm2Records, RoundTripsEveryRecordType) {
    const OffsetSync sync{"orders", 7, 123456789_src, 987654321_tgt};
    const Checkpoint checkpoint{"g", "dr.orders", 0, 5_src, 4_tgt, "meta:data"};
    const Heartbeat heartbeat{"us-east", "us-west", 42};
    auto s = encode(sync).value();
    auto c = encode(checkpoint).value();
    auto h = encode(heartbeat).value();
    EXPECT_EQ(decode_offset_sync(s.key, s.value).value(), sync);
    EXPECT_EQ(decode_checkpoint(c.key, c.value).value(), checkpoint);
    EXPECT_EQ(decode_heartbeat(h.key, h.value).value(), heartbeat);
}

TEST(Mm2Records, EveryTruncationOfARecordIsRejected) {
    // given a complete checkpoint, when any proper prefix of key or value is
    // decoded, then it fails as truncated
    const auto c = encode(Checkpoint{"group", "topic", 2, 3_src, 4_tgt, "meta"}).value();
    for (std::size_t n = 0; n < c.key.size(); ++n) {
        auto r = decode_checkpoint(c.key.substr(0, n), c.value);
        ASSERT_FALSE(r) << "key prefix " << n;
        EXPECT_EQ(r.error(), Errc::truncated_record);
    }
    for (std::size_t n = 0; n < c.value.size(); ++n) {
        auto r = decode_checkpoint(c.key, c.value.substr(0, n));
        ASSERT_FALSE(r) << "value prefix " << n;
        EXPECT_EQ(r.error(), Errc::truncated_record);
    }
    const auto s = encode(OffsetSync{"t", 0, 1_src, 2_tgt}).value();
    for (std::size_t n = 0; n < s.value.size(); ++n) {
        EXPECT_EQ(decode_offset_sync(s.key, s.value.substr(0, n)).error(), Errc::truncated_record);
    }
    const auto h = encode(Heartbeat{"a", "b", 1}).value();
    for (std::size_t n = 0; n < h.key.size(); ++n) {
        EXPECT_EQ(decode_heartbeat(h.key.substr(0, n), h.value).error(), Errc::truncated_record);
    }
}

TEST(Mm2Records, NegativeStringLengthIsRejectedAsMm2StringsAreNotNullable) {
    // given a key whose topic length is -1 (0xffff, a NULLABLE_STRING null)
    auto r = decode_offset_sync(bytes("ff ff 00 00 00 03"),
                                bytes("00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 02"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), Errc::negative_string_length);
    EXPECT_EQ(
        decode_heartbeat(bytes("00 01 61 80 00"), bytes("00 00 00 00 00 00 00 00 00 01")).error(),
        Errc::negative_string_length);
}

TEST(Mm2Records, TrailingBytesAreIgnoredLikeJavaSchemaRead) {
    auto r = decode_offset_sync(bytes("00 01 74 00 00 00 01 ff ff"),
                                bytes("00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 02 aa"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r.value(), (OffsetSync{"t", 1, 1_src, 2_tgt}));
}

TEST(Mm2Records, AValueVersionOtherThanZeroIsRejected) {
    auto r = decode_heartbeat(bytes("00 01 61 00 01 62"), bytes("00 01 00 00 00 00 00 00 00 01"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), Errc::unsupported_version);
    auto c =
        decode_checkpoint(bytes("00 01 67 00 01 74 00 00 00 00"),
                          bytes("00 01 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 02 00 00"));
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error(), Errc::unsupported_version);
}

TEST(Mm2Records, StringsOver32767BytesCannotBeEncoded) {
    const std::string longest(32767, 'm');
    auto fits = encode(Checkpoint{"g", "t", 0, 0_src, 0_tgt, longest});
    ASSERT_TRUE(fits);
    EXPECT_EQ(fits.value().value.substr(18, 2), bytes("7f ff"));
    EXPECT_EQ(decode_checkpoint(fits.value().key, fits.value().value).value().metadata, longest);

    auto too_long = encode(Checkpoint{"g", "t", 0, 0_src, 0_tgt, longest + "m"});
    ASSERT_FALSE(too_long);
    EXPECT_EQ(too_long.error(), Errc::string_too_long);
    EXPECT_EQ(encode(OffsetSync{longest + "m", 0, 0_src, 0_tgt}).error(), Errc::string_too_long);
    EXPECT_EQ(encode(Heartbeat{"a", longest + "m", 0}).error(), Errc::string_too_long);
}

TEST(Mm2Records, InternalTopicNamesFollowDefaultReplicationPolicy) {
    EXPECT_EQ(offset_syncs_topic("backup"), "mm2-offset-syncs.backup.internal");
    EXPECT_EQ(checkpoints_topic("primary"), "primary.checkpoints.internal");
    EXPECT_EQ(heartbeats_topic(), "heartbeats");
    // a custom separator (KIP-949: internal.topic.separator.enabled=true)
    EXPECT_EQ(offset_syncs_topic("backup", "_"), "mm2-offset-syncs_backup_internal");
    EXPECT_EQ(checkpoints_topic("primary", "__"), "primary__checkpoints__internal");
}

TEST(Mm2Records, ErrorsHaveReadableMessages) {
    const std::error_code ec = Errc::negative_string_length;
    EXPECT_EQ(ec.category().name(), std::string("checkpoints"));
    EXPECT_NE(ec.message().find("negative"), std::string::npos);
}

}  // namespace
}  // namespace kmirror::checkpoints
