#include "replicator/record_size.h"

namespace kmirror::replicator {
namespace {

/// Bytes of a zig-zag varint (Kafka's record fields).
std::int64_t varint_size(std::int64_t value) {
    auto z = static_cast<std::uint64_t>((value << 1) ^ (value >> 63));
    std::int64_t n = 1;
    while (z >= 0x80) {
        z >>= 7;
        ++n;
    }
    return n;
}

std::int64_t bytes_field(const std::optional<kafka::Bytes>& b) {
    if (!b) return varint_size(-1);
    const auto n = static_cast<std::int64_t>(b->size());
    return varint_size(n) + n;
}

}  // namespace

std::int64_t single_record_batch_size(const std::optional<kafka::Bytes>& key,
                                      const std::optional<kafka::Bytes>& value,
                                      std::span<const kafka::HeaderView> headers) {
    std::int64_t header_bytes = 0;
    for (const auto& h : headers) {
        header_bytes += varint_size(static_cast<std::int64_t>(h.name.size())) +
                        static_cast<std::int64_t>(h.name.size()) + bytes_field(h.value);
    }
    // attributes (1), timestampDelta 0 (1), offsetDelta 0 (1), key, value, headers.
    const std::int64_t body = 1 + 1 + 1 + bytes_field(key) + bytes_field(value) +
                              varint_size(static_cast<std::int64_t>(headers.size())) +
                              header_bytes;
    return kRecordBatchHeader + varint_size(body) + body;
}

std::int64_t single_record_batch_size(const kafka::Message& record, std::string_view extra_name,
                                      std::string_view extra_value) {
    auto headers = record.headers();
    if (!extra_name.empty()) {
        headers.push_back({extra_name, kafka::Bytes(reinterpret_cast<const std::byte*>(
                                                        extra_value.data()),
                                                    extra_value.size())});
    }
    return single_record_batch_size(record.key(), record.value(), headers);
}

}  // namespace kmirror::replicator
