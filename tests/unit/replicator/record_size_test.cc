#include "replicator/record_size.h"

#include <gtest/gtest.h>

#include <string>

namespace kmirror::replicator {
namespace {

kafka::Bytes bytes(const std::string& s) {
    return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

// Sizes from Kafka's DefaultRecord.sizeInBytes() and RECORD_BATCH_OVERHEAD
// (61), worked out by hand for a record alone in its batch.
TEST(RecordSize, OneByteKeyAndValueMakeA70ByteBatch) {
    // body: attributes 1, timestampDelta 1, offsetDelta 1, key length 1 + 1,
    // value length 1 + 1, header count 1 = 8; length prefix 1; batch 61.
    const std::string k = "k";
    const std::string v = "v";
    EXPECT_EQ(single_record_batch_size(bytes(k), bytes(v), {}), 70);
}

TEST(RecordSize, NullKeyAndValueTakeOneByteEach) {
    // -1 as a zig-zag varint is one byte.
    EXPECT_EQ(single_record_batch_size(std::nullopt, std::nullopt, {}), 61 + 1 + 6);
}

TEST(RecordSize, LongFieldsUseLongerVarints) {
    // a 1000-byte value: length 1000 zig-zags to 2000, two varint bytes; the
    // body is 3 + 1 + 2 + 1000 + 1 = 1007, whose length takes two bytes.
    const std::string v(1000, 'x');
    EXPECT_EQ(single_record_batch_size(std::nullopt, bytes(v), {}), 61 + 2 + 1007);
}

TEST(RecordSize, HeadersCountNameAndValue) {
    const std::string name = "kmirror.hops";  // 12 bytes
    const std::string value = "east";          // 4 bytes
    const kafka::HeaderView h{name, bytes(value)};
    // with a one-byte key and value the body is 8 (see above, header count
    // included); the header adds 1 + 12 + 1 + 4 = 18
    const std::string k = "k";
    EXPECT_EQ(single_record_batch_size(bytes(k), bytes(k), std::span(&h, 1)), 61 + 1 + 26);
}

}  // namespace
}  // namespace kmirror::replicator
