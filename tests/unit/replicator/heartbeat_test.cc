#include "replicator/heartbeat.h"

#include <gtest/gtest.h>

namespace kmirror::replicator {
namespace {

std::span<const std::byte> bytes(const std::string& s) {
    return std::as_bytes(std::span<const char>(s.data(), s.size()));
}

std::string hex(const std::string& s) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : s) {
        if (!out.empty()) out += ' ';
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
    return out;
}

TEST(Heartbeat, EncodesExactlyLikeMirrorMaker2) {
    // mirrormaker2.md §2a: primary -> backup at 1700000000000 (0x18BCFE56800).
    const Heartbeat hb{"primary", "backup", 1'700'000'000'000};
    EXPECT_EQ(hex(encode_heartbeat_key(hb)),
              "00 07 70 72 69 6d 61 72 79 00 06 62 61 63 6b 75 70");
    EXPECT_EQ(hex(encode_heartbeat_value(hb)), "00 00 00 00 01 8b cf e5 68 00");
}

TEST(Heartbeat, DecodesWhatItEncodes) {
    const Heartbeat hb{"a", "", 42};
    const auto key = encode_heartbeat_key(hb);
    const auto value = encode_heartbeat_value(hb);
    EXPECT_EQ(decode_heartbeat(bytes(key), bytes(value)), hb);
}

TEST(Heartbeat, RejectsTruncatedRecordsAndUnknownVersions) {
    const Heartbeat hb{"primary", "backup", 1};
    const auto key = encode_heartbeat_key(hb);
    const auto value = encode_heartbeat_value(hb);
    EXPECT_EQ(decode_heartbeat(bytes(key.substr(0, 5)), bytes(value)), std::nullopt);
    EXPECT_EQ(decode_heartbeat(bytes(key), bytes(value.substr(0, 9))), std::nullopt);
    EXPECT_EQ(decode_heartbeat(bytes(key), bytes(std::string("\x00\x01", 2) + value.substr(2))),
              std::nullopt);
}

}  // namespace
}  // namespace kmirror::replicator
